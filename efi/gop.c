/* efi/gop.c - the Graphics Output Protocol, before ExitBootServices: choose a GOP and a mode, keep its
 * framebuffer.
 *
 * After EBS the protocol is gone and only the framebuffer memory stays, so everything the dashboard needs
 * (base, stride, pixel layout) is copied out here. The GOP on ConOut's handle comes first: that is the
 * screen the user looks at (on a machine with several outputs the others may be dark); its current mode is
 * kept. It is opened with
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

/* The mode to use on one GOP: the current one when it is drawable (the firmware set it, usually the
 * panel's native mode: switching could leave a laptop panel scaled or a monitor black, and the Linux EFI
 * stub keeps it too), else the largest drawable one. -1 when none is drawable. */
static int pick_mode(EFI_SYSTEM_TABLE *st, EFI_GRAPHICS_OUTPUT_PROTOCOL *gop, uint32_t *mode)
{
	EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *m;
	UINTN size;
	uint64_t best_area = 0;
	struct gop_info tmp;

	if (gop->Mode->Info && layout(gop->Mode->Info, &tmp) == 0 && gop->Mode->FrameBufferBase &&
	    gop->Mode->Info->HorizontalResolution >= 320 && gop->Mode->Info->VerticalResolution >= 200) {
		*mode = gop->Mode->Mode;
		return 0;
	}
	*mode = UINT32_MAX;
	for (uint32_t i = 0; i < gop->Mode->MaxMode; i++) {
		if (gop->QueryMode(gop, i, &size, &m) != EFI_SUCCESS)
			continue;
		uint64_t area = (uint64_t)m->HorizontalResolution * m->VerticalResolution;
		if (m->HorizontalResolution <= GOP_MAX_W && m->VerticalResolution <= GOP_MAX_H &&
		    layout(m, &tmp) == 0 && area > best_area) {
			best_area = area;
			*mode = i;
		}
		st->BootServices->FreePool(m);
	}
	return *mode == UINT32_MAX ? -1 : 0;
}

/* Sets the chosen mode on one GOP when it is not current; 0 and *g filled, or -1. */
static int try_gop(EFI_SYSTEM_TABLE *st, EFI_GRAPHICS_OUTPUT_PROTOCOL *gop, struct gop_info *g)
{
	EFI_GRAPHICS_OUTPUT_MODE_INFORMATION *m;
	uint32_t mode;

	if (!gop || !gop->Mode || pick_mode(st, gop, &mode) != 0)
		return -1;
	g->mode_changed = mode != gop->Mode->Mode;
	/* A mode change can fail on real hardware (a monitor that refuses it): then nothing changed. */
	if (g->mode_changed && gop->SetMode(gop, mode) != EFI_SUCCESS)
		return -1;
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

/* The bytes of a device path up to (not including) its end node; 0 when malformed. */
static size_t dp_len(const uint8_t *p, size_t max)
{
	size_t n = 0;
	while (n + 4 <= max) {
		size_t len = (size_t)p[n + 2] | (size_t)p[n + 3] << 8;
		if (len < 4 || n + len > max)
			return 0;
		if (p[n] == END_DEVICE_PATH_TYPE)
			return n;
		n += len;
	}
	return 0;
}

/* Is this handle's device path one of the ConOut variable's instances (a display the firmware's console
 * is on, hence connected)? The variable is a multi-instance path: instances end in an end-instance node. */
static int on_conout(EFI_BOOT_SERVICES *bs, EFI_HANDLE h, const uint8_t *conout, size_t conout_len)
{
	EFI_GUID dpg = DEVICE_PATH_PROTOCOL;
	const uint8_t *dp;

	if (!conout_len || bs->HandleProtocol(h, &dpg, (void **)&dp) != EFI_SUCCESS || !dp)
		return 0;
	size_t n = dp_len(dp, 4096);
	if (!n)
		return 0;
	for (size_t off = 0; off < conout_len;) {
		size_t k = dp_len(conout + off, conout_len - off);
		if (!k && off + 4 > conout_len)
			break;
		if (k == n && memcmp(conout + off, dp, n) == 0)
			return 1;
		off += k + 4; /* past the end-instance (or end-entire) node */
	}
	return 0;
}

int gop_init(EFI_SYSTEM_TABLE *st, struct gop_info *g, char *why, size_t whylen)
{
	EFI_GUID guid = EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID, edid = EFI_EDID_ACTIVE_PROTOCOL_GUID;
	EFI_GUID global = EFI_GLOBAL_VARIABLE;
	EFI_BOOT_SERVICES *bs = st->BootServices;
	EFI_GRAPHICS_OUTPUT_PROTOCOL *gop = NULL;
	EFI_HANDLE *handles = NULL;
	static uint8_t conout[2048];
	UINTN n = 0, conout_len = sizeof conout;
	UINT32 attr;
	int found = 0;

	why[0] = 0;
	g->source = "conout";
	if (st->ConsoleOutHandle && bs->HandleProtocol(st->ConsoleOutHandle, &guid, (void **)&gop) == EFI_SUCCESS) {
		found = 1;
		if (try_gop(st, gop, g) == 0)
			return 0;
	}
	/* Not on ConOut's handle: a serial-only console, or EDK2's console splitter, whose GOP spans all
	 * screens and is BltOnly when there are several. Then the GOP of a display the console is on (its path
	 * is in the ConOut variable), else one with a monitor attached (EDID active), else any. */
	if (st->RuntimeServices->GetVariable(L"ConOut", &global, &attr, &conout_len, conout) != EFI_SUCCESS)
		conout_len = 0;
	if (bs->LocateHandleBuffer(ByProtocol, &guid, NULL, &n, &handles) == EFI_SUCCESS) {
		static const char *const sources[] = {"any", "edid", "conout-path"};
		for (int rank = 2; rank >= 0; rank--) {
			for (UINTN i = 0; i < n; i++) {
				void *e;
				int r = on_conout(bs, handles[i], conout, conout_len) ? 2 :
					bs->HandleProtocol(handles[i], &edid, &e) == EFI_SUCCESS ? 1 : 0;
				gop = NULL;
				if (r != rank || bs->HandleProtocol(handles[i], &guid, (void **)&gop) != EFI_SUCCESS)
					continue;
				found = 1;
				if (try_gop(st, gop, g) == 0) {
					g->source = sources[rank];
					bs->FreePool(handles);
					return 0;
				}
			}
		}
		bs->FreePool(handles);
	}
	str_add(why, whylen, found ? "no GOP mode with a framebuffer" : "no GOP");
	return -1;
}
