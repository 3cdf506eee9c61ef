/* efi/libc.c - the few C library functions the compiler may emit calls to (struct copies, zeroing), and
 * string helpers for building one-line messages. gnu-efi's libefi.a is ELF and cannot be linked into our
 * PE/COFF image, so these are ours. */
#include "anima_efi.h"
#include "util.h"

void *memcpy(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	while (n--)
		*d++ = *s++;
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	if (d < s) {
		while (n--)
			*d++ = *s++;
	} else if (d > s) {
		while (n--)
			d[n] = s[n];
	}
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	uint8_t *d = dst;
	while (n--)
		*d++ = (uint8_t)c;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x < *y ? -1 : 1;
	return 0;
}

size_t str_add(char *dst, size_t cap, const char *src)
{
	size_t n = anima_strlen(dst);
	while (*src && n + 1 < cap)
		dst[n++] = *src++;
	dst[n] = 0;
	return n;
}

size_t str_add_u64(char *dst, size_t cap, uint64_t v)
{
	char t[24];
	t[anima_fmt_u64(t, v)] = 0;
	return str_add(dst, cap, t);
}

size_t str_add_hex(char *dst, size_t cap, uint64_t v)
{
	char t[24] = "0x";
	t[2 + anima_fmt_hex(t + 2, v)] = 0;
	return str_add(dst, cap, t);
}
