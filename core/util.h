/* core/util.h - the few freestanding helpers the engine shares between its files. */
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

#endif
