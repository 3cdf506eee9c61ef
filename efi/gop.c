/* efi/gop.c - the Graphics Output Protocol, before ExitBootServices: choose a mode, keep its framebuffer.
 *
 * After EBS the protocol is gone and only the framebuffer memory stays, so everything the dashboard needs
 * (base, stride, pixel layout) is copied out here. The GOP on ConOut's handle comes first: that is the
 * screen the user looks at (on a machine with several outputs the others may be dark). It is opened with
 * HandleProtocol, which does not take the device away from the console the way an exclusive open would.
 * Modes without a linear framebuffer (PixelBltOnly) are of no use once Blt() is gone, and are skipped. */
#include "dashboard.h"

static int bit_span(uint32_t mask, uint32_t *shift, uint32_t *bits)
{
	uint32_t s = 0, b = 0;
	if (!mask)
		return -1;
	while (!(mask & 1u)) {
		mask >>= 1;
		s++;
	}
	while (mask & 1u) {
		mask >>= 1;
		b++;
	}
	if (mask) /* not contiguous: no real device does this */
		return -1;
	*shift = s;
	*bits = b;
	return 0;
}

/* The pixel layout of a mode, or -1 when it is not drawable after EBS. */
static int layout(const EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *m, struct gop_info *g)
{
	const EFI_PIXEL_BITMASK *px = &m->PixelInformation;
	uint32_t all, top = 0;

	switch (m->PixelFormat) {
	case PixelRedGreenBlueReserved8BitPerColor: /* bytes R, G, B, x */
		g->shift[0] = 0, g->shift[1] = 8, g->shift[2] = 16;
		g->bits[0] = g->bits[1] = g->bits[2] = 8;
		g->bytes = 4;
		g->format = "rgb";
		return 0;
	case PixelBlueGreenRedReserved8BitPerColor: /* bytes B, G, R, x: QEMU's and most PCs' */
		g->shift[0] = 16, g->shift[1] = 8, g->shift[2] = 0;
		g->bits[0] = g->bits[1] = g->bits[2] = 8;
		g->bytes = 4;
		g->format = "bgr";
		return 0;
	case PixelBitMask:
		if (bit_span(px->RedMask, &g->shift[0], &g->bits[0]) || bit_span(px->GreenMask, &g->shift[1], &g->bits[1]) ||
		    bit_span(px->BlueMask, &g->shift[2], &g->bits[2]))
			return -1;
		all = px->RedMask | px->GreenMask | px->BlueMask | px->ReservedMask;
		while (top < 32 && (all >> top))
			top++;
		g->bytes = (top + 7) / 8;
		if (g->bytes < 2)
			return -1;
		g->format = "bitmask";
		return 0;
	default: /* PixelBltOnly: nothing to write to once Blt() is gone */
		return -1;
	}
}

static int fits(const EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *m)
{
	return m->HorizontalResolution <= GOP_MAX_W && m->VerticalResolution <= GOP_MAX_H;
}

/* Picks and sets a mode on one GOP; 0 and *g filled, or -1. */
static int try_gop(EFI_SYSTEM_TABLE *st, EFI_GRAPHICS_OUTPUT_PROTOCOL *gop, struct gop_info *g)
{
	EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *m;
	UINTN size;
	uint64_t best_area = 0;
	uint32_t best = UINT32_MAX;
	struct gop_info tmp;

	if (!gop || !gop->Mode)
		return -1;
	for (uint32_t i = 0; i < gop->Mode->MaxMode; i++) {
		if (gop->QueryMode(gop, i, &size, &m) != EFI_SUCCESS)
			continue;
		uint64_t area = (uint64_t)m->HorizontalResolution * m->VerticalResolution;
		if (fits(m) && layout(m, &tmp) == 0 && area > best_area) {
			best_area = area;
			best = i;
		}
		st->BootServices->FreePool(m);
	}
	/* A mode change can fail on real hardware (a monitor that refuses it): then the current mode will do
	 * when it is drawable, whatever its size. */
	if (best != UINT32_MAX && best != gop->Mode->Mode)
		gop->SetMode(gop, best);
	m = gop->Mode->Info;
	if (!m || layout(m, g) != 0 || !gop->Mode->FrameBufferBase)
		return -1;
	g->base = gop->Mode->FrameBufferBase;
	g->size = gop->Mode->FrameBufferSize;
	g->width = m->HorizontalResolution;
	g->height = m->VerticalResolution;
	g->stride = m->PixelsPerScanLine;
	if (g->width < 320 || g->height < 200 || g->stride < g->width ||
	    (uint64_t)g->stride * g->height * g->bytes > g->size)
		return -1; /* too small to draw on, or a framebuffer smaller than the mode: do not write past it */
	return 0;
}

int gop_init(EFI_SYSTEM_TABLE *st, struct gop_info *g, char *why, size_t whylen)
{
	EFI_GUID guid = EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID;
	EFI_BOOT_SERVICES *bs = st->BootServices;
	EFI_GRAPHICS_OUTPUT_PROTOCOL *gop = NULL;
	EFI_HANDLE *handles = NULL;
	UINTN n = 0;
	int found = 0;

	why[0] = 0;
	if (st->ConsoleOutHandle && bs->HandleProtocol(st->ConsoleOutHandle, &guid, (void **)&gop) == EFI_SUCCESS) {
		found = 1;
		if (try_gop(st, gop, g) == 0)
			return 0;
	}
	/* Not on ConOut (a serial-only console, or a console splitter that offers no framebuffer): any GOP. */
	if (bs->LocateHandleBuffer(ByProtocol, &guid, NULL, &n, &handles) == EFI_SUCCESS) {
		for (UINTN i = 0; i < n; i++) {
			gop = NULL;
			if (bs->HandleProtocol(handles[i], &guid, (void **)&gop) != EFI_SUCCESS)
				continue;
			found = 1;
			if (try_gop(st, gop, g) == 0) {
				bs->FreePool(handles);
				return 0;
			}
		}
		bs->FreePool(handles);
	}
	str_add(why, whylen, found ? "no GOP mode with a framebuffer" : "no GOP");
	return -1;
}
