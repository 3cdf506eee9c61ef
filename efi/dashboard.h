/* efi/dashboard.h - the screen: GOP (gop.c) before ExitBootServices, a RAM back buffer and its copy to the
 * framebuffer (pc/fb.c), and the organism's dashboard drawn into it (dashboard.c).
 *
 * Everything is integer; nothing here runs unless a GOP with a linear framebuffer was found, so a machine
 * without a screen (or QEMU -vga none) runs on COM1 alone as before. */
#ifndef ANIMA_EFI_DASHBOARD_H
#define ANIMA_EFI_DASHBOARD_H

#include "anima_efi.h"

/* The framebuffer as it stays after EBS: the GOP protocol is gone then, only this memory remains. */
struct gop_info {
	uint64_t base;           /* physical address, all 64 bits (may lie above 4 GiB) */
	uint64_t size;           /* bytes the firmware says are there */
	uint32_t width, height;  /* visible pixels */
	uint32_t stride;         /* pixels per scan line (>= width) */
	uint32_t bytes;          /* bytes per pixel: 4 for RGB/BGR, 2..4 for bitmask formats */
	uint32_t shift[3], bits[3]; /* red, green, blue: position and width in the pixel */
	const char *format;      /* "rgb", "bgr" or "bitmask", for the log line */
	const char *source;      /* which GOP: "conout", "conout-path", "edid" or "any" */
	int mode_changed;        /* 0: the firmware's current mode was kept */
};

/* gop.c: finds a GOP (the one on ConOut's handle first) and keeps its current mode when it has a
 * framebuffer, else sets the largest one up to MAX_W x MAX_H that has. Returns 0 and fills *g, or -1 with
 * a one-line reason in why. Before EBS only. */
#define GOP_MAX_W 3840
#define GOP_MAX_H 2160
int gop_init(EFI_SYSTEM_TABLE *st, struct gop_info *g, char *why, size_t whylen);

/* pc/fb.c: drawing into a RAM back buffer (0x00RRGGBB), flushed by copying only what changed. */
int fb_init(EFI_SYSTEM_TABLE *st, const struct gop_info *g, char *why, size_t whylen); /* allocates, before EBS */
uint32_t fb_width(void);
uint32_t fb_height(void);
void fb_fill(int x, int y, int w, int h, uint32_t rgb);
void fb_pixel(int x, int y, uint32_t rgb);
/* Text in the console font; returns the x after the last glyph. bg == FB_CLEAR leaves the background. */
#define FB_CLEAR 0xFF000000u
int fb_text(int x, int y, const char *s, uint32_t fg, uint32_t bg);
int fb_text_n(int x, int y, const char *s, size_t n, uint32_t fg, uint32_t bg);
uint32_t fb_font_w(void); /* the console font's cell, scaled */
uint32_t fb_font_h(void);
uint32_t fb_font_scale(void); /* 1, 2 or 3: by screen height, so text keeps its size on 4K panels */
/* Copies the rows that differ from what the screen shows; returns the number of pixels written. */
uint64_t fb_flush(void);

/* dashboard.c */
/* Before EBS: the screen (when there is one) and what the dashboard reads. Says one '#' line either way. */
void dashboard_init(EFI_SYSTEM_TABLE *st, const struct anima_sim *sim, const struct anima_options *o);
/* After the platform is set up: wraps its write (events are tee'd from the '#' lines) and poll (sampling,
 * redraws at a bounded rate). Does nothing without a screen. */
void dashboard_attach(struct anima_platform *p);
/* Bytes written to COM1 outside the platform's write hook (live.c's acknowledgements: speed=, paused):
 * their '#' lines update the header and the events. Whole lines only. */
void dashboard_comments(const char *bytes, size_t n);
/* While the run is held (paused): redraws at the paced rate, so the screen shows the pause and what is typed
 * meanwhile (speed changes). Cheap when not due: one clock read. */
void dashboard_idle(void);
/* A line in red across the screen, drawn and shown at once (a panic, a fatal message); successive lines
 * stack down from the top. Safe in an exception handler: no allocation, bounded work. */
void dashboard_message(const char *line);

#endif
