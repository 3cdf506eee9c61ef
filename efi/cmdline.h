/* efi/cmdline.h - the UEFI Shell's command line (LoadedImage->LoadOptions, UCS-2) as ASCII words. Pure: no
 * firmware, so the host builds it too (tests/fuzz/fuzz_cmdline.c). */
#ifndef ANIMA_EFI_CMDLINE_H
#define ANIMA_EFI_CMDLINE_H

#include <stddef.h>
#include <stdint.h>

enum cmdline_kind {
	CMDLINE_NONE = 0, /* no text: nothing, or a boot entry's binary optional data (not ours) */
	CMDLINE_TEXT,     /* dst holds the line in ASCII */
	CMDLINE_BAD,      /* the Shell's text with something that is not ASCII: err says what and where */
};

/* src[0..nchars) as the Shell passes it: NUL-terminated UCS-2 text. Tab, CR and LF become spaces. */
enum cmdline_kind cmdline_from_ucs2(const uint16_t *src, size_t nchars, char *dst, size_t cap, char *err,
				    size_t errlen);

#endif
