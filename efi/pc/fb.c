/* efi/pc/fb.c - a RAM back buffer and its copy to the framebuffer.
 *
 * Drawing goes to RAM (0x00RRGGBB, one uint32 per pixel): a framebuffer is uncached or write-combined, so
 * reading it back is very slow and even writing it costs far more than RAM (under QEMU every write to it
 * also marks the display dirty). A second RAM copy, `shown`, holds what the screen shows; fb_flush()
 * compares the rows drawn since the last flush with it and writes only the span of each row that really
 * changed, converted to the framebuffer's pixel layout. A dashboard that redraws everything but changes
 * little then costs little on the bus. Both buffers are allocated before ExitBootServices. */
#include "dashboard.h"

extern const uint32_t anima_font_width, anima_font_height, anima_font_row_bytes;
extern const uint8_t anima_font_glyphs[];

static struct gop_info G;
static uint32_t *back, *shown;   /* width * height each */
/* Per row, the columns drawn into since the last flush: [x0, x1), empty when x0 >= x1. Only these are
 * compared, so a redraw of one panel costs nothing elsewhere on its rows. */
static uint16_t *dirty0, *dirty1;
static int ready;
static uint32_t scale = 1; /* each font pixel drawn as scale x scale */

static uint64_t pages(uint64_t bytes)
{
	return (bytes + 4095) / 4096;
}

static void touch(int y, int x0, int x1)
{
	if (dirty0[y] >= dirty1[y]) {
		dirty0[y] = (uint16_t)x0;
		dirty1[y] = (uint16_t)x1;
		return;
	}
	if (x0 < dirty0[y])
		dirty0[y] = (uint16_t)x0;
	if (x1 > dirty1[y])
		dirty1[y] = (uint16_t)x1;
}

/* Under QEMU's TCG every guest memory access is a software TLB lookup: two pixels per access halve the
 * cost of filling, comparing and copying. */
static void fill_row(uint32_t *p, int n, uint32_t rgb)
{
	if (n > 0 && ((uintptr_t)p & 7)) {
		*p++ = rgb;
		n--;
	}
	uint64_t two = (uint64_t)rgb << 32 | rgb, *q = (uint64_t *)p;
	for (int i = 0; i < n / 2; i++)
		q[i] = two;
	if (n & 1)
		p[n - 1] = rgb;
}

int fb_init(EFI_SYSTEM_TABLE *st, const struct gop_info *g, char *why, size_t whylen)
{
	uint64_t px = (uint64_t)g->width * g->height;
	EFI_PHYSICAL_ADDRESS a = 0;

	why[0] = 0;
	if (g->width > 65535 || g->height > 65535) {
		str_add(why, whylen, "screen too large");
		return -1;
	}
	if (st->BootServices->AllocatePages(AllocateAnyPages, EfiLoaderData, pages(px * 8 + g->height * 4ull), &a) !=
	    EFI_SUCCESS) {
		str_add(why, whylen, "no memory for the screen's back buffer");
		return -1;
	}
	G = *g;
	/* The console font is 8x16 pixels: fine up to ~1440 lines, tiny on a 4K panel. */
	scale = g->height / 1000;
	scale = scale < 1 ? 1 : scale > 3 ? 3 : scale;
	back = (uint32_t *)(uintptr_t)a;
	shown = back + px;
	dirty0 = (uint16_t *)(shown + px);
	dirty1 = dirty0 + g->height;
	fill_row(back, (int)px, 0);
	/* Never a back-buffer colour (those have a zero top byte): the first flush writes every pixel. */
	fill_row(shown, (int)px, 0xFFFFFFFFu);
	for (uint32_t y = 0; y < g->height; y++) {
		dirty0[y] = 0;
		dirty1[y] = (uint16_t)g->width;
	}
	ready = 1;
	return 0;
}

uint32_t fb_width(void)
{
	return ready ? G.width : 0;
}

uint32_t fb_height(void)
{
	return ready ? G.height : 0;
}

uint32_t fb_font_w(void)
{
	return anima_font_width * scale;
}

uint32_t fb_font_h(void)
{
	return anima_font_height * scale;
}

uint32_t fb_font_scale(void)
{
	return scale;
}

/* Clips a rectangle to the screen; 0 when nothing is left. */
static int clip(int *x, int *y, int *w, int *h)
{
	if (*x < 0) {
		*w += *x;
		*x = 0;
	}
	if (*y < 0) {
		*h += *y;
		*y = 0;
	}
	if (*x + *w > (int)G.width)
		*w = (int)G.width - *x;
	if (*y + *h > (int)G.height)
		*h = (int)G.height - *y;
	return ready && *w > 0 && *h > 0;
}

void fb_fill(int x, int y, int w, int h, uint32_t rgb)
{
	if (!clip(&x, &y, &w, &h))
		return;
	for (int r = y; r < y + h; r++) {
		fill_row(back + (uint64_t)r * G.width + x, w, rgb);
		touch(r, x, x + w);
	}
}

void fb_pixel(int x, int y, uint32_t rgb)
{
	if (!ready || x < 0 || y < 0 || x >= (int)G.width || y >= (int)G.height)
		return;
	back[(uint64_t)y * G.width + x] = rgb;
	touch(y, x, x + 1);
}

int fb_text_n(int x, int y, const char *s, size_t n, uint32_t fg, uint32_t bg)
{
	uint32_t fw = anima_font_width * scale, fh = anima_font_height * scale, rb = anima_font_row_bytes;

	for (size_t k = 0; k < n && s[k]; k++, x += (int)fw) {
		unsigned c = (unsigned char)s[k];
		if (c < 32 || c > 126)
			c = '?';
		const uint8_t *gl = anima_font_glyphs + (c - 32) * anima_font_height * rb;
		if (!ready || x >= (int)G.width || x + (int)fw <= 0)
			continue;
		for (uint32_t r = 0; r < fh; r++) {
			int py = y + (int)r;
			if (py < 0 || py >= (int)G.height)
				continue;
			uint32_t *p = back + (uint64_t)py * G.width;
			const uint8_t *bits = gl + (r / scale) * rb;
			for (uint32_t col = 0; col < fw; col++) {
				int px = x + (int)col;
				if (px < 0 || px >= (int)G.width)
					continue;
				uint32_t fc = col / scale;
				if (bits[fc / 8] & (0x80u >> (fc % 8)))
					p[px] = fg;
				else if (bg != FB_CLEAR)
					p[px] = bg;
			}
			touch(py, x < 0 ? 0 : x, x + (int)fw > (int)G.width ? (int)G.width : x + (int)fw);
		}
	}
	return x;
}

int fb_text(int x, int y, const char *s, uint32_t fg, uint32_t bg)
{
	return fb_text_n(x, y, s, (size_t)-1, fg, bg);
}

/* One back-buffer pixel in the framebuffer's layout. */
static uint32_t convert(uint32_t rgb)
{
	uint32_t c[3] = {(rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF}, v = 0;
	for (int i = 0; i < 3; i++)
		v |= (G.bits[i] >= 8 ? c[i] << (G.bits[i] - 8) : c[i] >> (8 - G.bits[i])) << G.shift[i];
	return v;
}

/* Writes back[y][x0..x1) to the framebuffer and to `shown`. x0 is even. */
static void put_span(uint32_t y, uint32_t x0, uint32_t x1)
{
	const uint32_t *src = back + (uint64_t)y * G.width;
	uint32_t *sh = shown + (uint64_t)y * G.width;
	uint8_t *row = (uint8_t *)(uintptr_t)G.base + ((uint64_t)y * G.stride) * G.bytes;

	if (G.bytes == 4 && G.shift[0] == 16 && G.bits[0] == 8 && G.shift[1] == 8 && G.shift[2] == 0 &&
	    !(((uintptr_t)row | (uintptr_t)src) & 7)) {
		/* BGR, the back buffer's own layout: a copy, two pixels at a time. */
		volatile uint64_t *d = (volatile uint64_t *)(row + 4ull * x0);
		const uint64_t *s = (const uint64_t *)(src + x0);
		uint64_t *m = (uint64_t *)(sh + x0);
		uint32_t n = (x1 - x0) / 2;
		for (uint32_t i = 0; i < n; i++) {
			uint64_t v = s[i];
			d[i] = v;
			m[i] = v;
		}
		if ((x1 - x0) & 1) {
			((volatile uint32_t *)row)[x1 - 1] = src[x1 - 1];
			sh[x1 - 1] = src[x1 - 1];
		}
		return;
	}
	for (uint32_t x = x0; x < x1; x++) {
		uint32_t v = convert(src[x]);
		sh[x] = src[x];
		if (G.bytes == 4) {
			((volatile uint32_t *)row)[x] = v;
			continue;
		}
		volatile uint8_t *d = row + (uint64_t)x * G.bytes;
		for (uint32_t b = 0; b < G.bytes; b++)
			d[b] = (uint8_t)(v >> (8 * b));
	}
}

uint64_t fb_flush(void)
{
	uint64_t written = 0;

	if (!ready)
		return 0;
	for (uint32_t y = 0; y < G.height; y++) {
		if (dirty0[y] >= dirty1[y])
			continue;
		/* Compare in pairs of pixels from an even column; the rows start 8-byte aligned (pages, even
		 * widths) or are compared one pixel at a time. */
		uint32_t x0 = dirty0[y] & ~1u, x1 = dirty1[y];
		dirty0[y] = dirty1[y] = 0;
		const uint32_t *b = back + (uint64_t)y * G.width, *s = shown + (uint64_t)y * G.width;
		if (!(G.width & 1)) {
			const uint64_t *b2 = (const uint64_t *)b, *s2 = (const uint64_t *)s;
			uint32_t e = (x1 + 1) / 2;
			uint32_t i = x0 / 2;
			while (i < e && b2[i] == s2[i])
				i++;
			if (i == e)
				continue;
			while (e > i && b2[e - 1] == s2[e - 1])
				e--;
			x0 = 2 * i;
			x1 = 2 * e;
		} else {
			while (x0 < x1 && b[x0] == s[x0])
				x0++;
			if (x0 == x1)
				continue;
			while (x1 > x0 && b[x1 - 1] == s[x1 - 1])
				x1--;
			x0 &= ~1u;
		}
		put_span(y, x0, x1);
		written += x1 - x0;
	}
	return written;
}
