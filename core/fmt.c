/* core/fmt.c - integer formatting and parsing without libc, used for trace rows and options on every platform. */
#include "anima.h"
#include "util.h"

size_t anima_fmt_u64(char *dst, uint64_t v)
{
	char tmp[20];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		dst[i] = tmp[n - 1 - i];
	return n;
}

size_t anima_fmt_i64(char *dst, int64_t v)
{
	if (v < 0) {
		dst[0] = '-';
		return 1 + anima_fmt_u64(dst + 1, (uint64_t)0 - (uint64_t)v);
	}
	return anima_fmt_u64(dst, (uint64_t)v);
}

size_t anima_fmt_hex(char *dst, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[16];
	size_t n = 0;
	do {
		tmp[n++] = digits[v & 15];
		v >>= 4;
	} while (v);
	for (size_t i = 0; i < n; i++)
		dst[i] = tmp[n - 1 - i];
	return n;
}

static void put_char(struct anima_str *s, char c)
{
	if (s->len + 1 < s->cap)
		s->buf[s->len++] = c;
}

/* Control characters are written escaped (\n, \t, \xHH): what these buffers hold is one line of a message,
 * and a newline inside a user's argument must not split it. */
void anima_str_addn(struct anima_str *s, const char *text, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n && s->len + 1 < s->cap; i++) {
		uint8_t c = (uint8_t)text[i];
		if (c >= 0x20 && c != 0x7F) {
			put_char(s, (char)c);
			continue;
		}
		put_char(s, '\\');
		if (c == '\n' || c == '\r' || c == '\t') {
			put_char(s, c == '\n' ? 'n' : c == '\r' ? 'r' : 't');
		} else {
			put_char(s, 'x');
			put_char(s, hex[c >> 4]);
			put_char(s, hex[c & 15]);
		}
	}
	if (s->cap)
		s->buf[s->len] = 0;
}

void anima_str_add(struct anima_str *s, const char *text)
{
	anima_str_addn(s, text, anima_strlen(text));
}

void anima_str_u64(struct anima_str *s, uint64_t v)
{
	char tmp[24];
	anima_str_addn(s, tmp, anima_fmt_u64(tmp, v));
}

void anima_str_i64(struct anima_str *s, int64_t v)
{
	char tmp[24];
	anima_str_addn(s, tmp, anima_fmt_i64(tmp, v));
}

int anima_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		uint64_t d = (uint64_t)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -2;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}
