/* efi/cmdline.c - LoadOptions as the options' text.
 *
 * The UEFI Shell passes the whole command line, program name first, as UCS-2 text ending in a NUL within
 * LoadOptionsSize. A boot-manager entry passes nothing or binary optional data (a GUID, a device path...),
 * which must not be taken for options nor refused. Told apart: the Shell's text has its NUL, no control
 * characters before it, and starts with a printable ASCII character (the program's name). Such text with a
 * character outside printable ASCII (an accented letter, a typographic dash pasted from a document) is refused
 * with one line naming it, not ignored: running with defaults instead of the options typed would be wrong. */
#include "cmdline.h"
#include "anima.h"
#include "util.h"

static int is_space(uint16_t c)
{
	return c == '\t' || c == '\r' || c == '\n';
}

enum cmdline_kind cmdline_from_ucs2(const uint16_t *src, size_t nchars, char *dst, size_t cap, char *err,
				    size_t errlen)
{
	size_t len = 0;
	struct anima_str e = {err, errlen, 0};

	if (errlen)
		err[0] = 0;
	if (cap)
		dst[0] = 0;
	while (len < nchars && src[len])
		len++;
	if (len == 0 || len == nchars) /* empty, or no terminating NUL: not the Shell's text */
		return CMDLINE_NONE;
	if (src[0] < 0x21 || src[0] > 0x7E)
		return CMDLINE_NONE;
	for (size_t i = 0; i < len; i++)
		if (src[i] < 0x20 && !is_space(src[i]))
			return CMDLINE_NONE;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		uint16_t c = is_space(src[i]) ? ' ' : src[i];
		if (c > 0x7E) {
			static const char hex[] = "0123456789ABCDEF";
			char u[7] = {'U', '+', hex[c >> 12], hex[(c >> 8) & 15], hex[(c >> 4) & 15], hex[c & 15], 0};
			anima_str_add(&e, "character ");
			anima_str_add(&e, u);
			anima_str_add(&e, " at column ");
			anima_str_u64(&e, i + 1);
			anima_str_add(&e, " is not ASCII (options are plain ASCII text)");
			return CMDLINE_BAD;
		}
		if (n + 1 >= cap) {
			anima_str_add(&e, "longer than ");
			anima_str_u64(&e, cap ? cap - 1 : 0);
			anima_str_add(&e, " characters");
			return CMDLINE_BAD;
		}
		dst[n++] = (char)c;
	}
	dst[n] = 0;
	return CMDLINE_TEXT;
}
