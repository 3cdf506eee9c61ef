/* core/util.h - the freestanding string and number library: the engine, anima-sim and anima.efi all use it
 * (efi/libc.c adds only what the compiler itself may call: memcpy, memset, ...). Numbers are formatted and
 * parsed in core/fmt.c. */
#ifndef ANIMA_CORE_UTIL_H
#define ANIMA_CORE_UTIL_H

#include <stddef.h>
#include <stdint.h>

static inline size_t anima_strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

static inline int anima_streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static inline int anima_memeq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

static inline void anima_copy32(int32_t *dst, const int32_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = src[i];
}

/* Appends text to a bounded, always terminated buffer. */
struct anima_str {
	char *buf;
	size_t cap, len;
};

void anima_str_add(struct anima_str *s, const char *text);
void anima_str_addn(struct anima_str *s, const char *text, size_t n);
void anima_str_u64(struct anima_str *s, uint64_t v);
void anima_str_i64(struct anima_str *s, int64_t v);

/* Parses a decimal unsigned 64-bit number, the whole string: 0, or -1 when it is not one, -2 when it overflows. */
int anima_parse_u64(const char *s, uint64_t *out);

static inline int anima_starts(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return 0;
	return 1;
}

#endif
