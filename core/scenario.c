/* core/scenario.c - scenario files: timed stimuli, one per line, parsed from a buffer.
 *
 *     # comment (also after an action)
 *     43200:infection=600            TICK:NAME=VALUE, as --stimulus
 *     d1 07:30 meal=500              dDAY HH:MM[:SS] NAME=VALUE; day 0 starts at tick 0 (midnight)
 *
 * Freestanding (no allocation, no files): the platform reads the file (anima-sim from disk, anima.efi from
 * its volume before ExitBootServices) and hands over the bytes, so the same parser is fuzzed on its own.
 * Every error is one line `FILE:LINE:COLUMN: error: MESSAGE`, COLUMN counting bytes from 1.
 */
#include "anima.h"
#include "util.h"

struct cursor {
	const char *p, *end; /* the rest of this line (comment and line end excluded) */
	const char *line;    /* its first byte, for columns */
};

struct where {
	const char *file;
	uint64_t line;
	char *err;
	size_t errlen;
};

static int error(const struct where *w, const struct cursor *c, const char *at, const char *a, const char *b)
{
	struct anima_str s = {w->err, w->errlen, 0};
	anima_str_add(&s, w->file);
	anima_str_add(&s, ":");
	anima_str_u64(&s, w->line);
	anima_str_add(&s, ":");
	anima_str_u64(&s, (uint64_t)(at - c->line) + 1);
	anima_str_add(&s, ": error: ");
	anima_str_add(&s, a);
	if (b)
		anima_str_add(&s, b);
	return -1;
}

static int is_digit(char ch) { return ch >= '0' && ch <= '9'; }
static int is_blank(char ch) { return ch == ' ' || ch == '\t'; }

static void skip_blanks(struct cursor *c)
{
	while (c->p < c->end && is_blank(*c->p))
		c->p++;
}

/* Digits at the cursor; -1 when there are none, -2 when the number exceeds max. */
static int number(struct cursor *c, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (c->p >= c->end || !is_digit(*c->p))
		return -1;
	while (c->p < c->end && is_digit(*c->p)) {
		uint64_t d = (uint64_t)(*c->p - '0');
		if (v > (max - d) / 10)
			return -2;
		v = v * 10 + d;
		c->p++;
	}
	*out = v;
	return 0;
}

static const char SYNTAX[] = "expected TICK:NAME=VALUE or dDAY HH:MM[:SS] NAME=VALUE";

/* dDAY HH:MM[:SS] */
static int clock_time(struct cursor *c, const struct where *w, uint64_t *tick)
{
	uint64_t day, h, m, s = 0;
	const char *at = ++c->p; /* after 'd' */
	int r = number(c, UINT64_MAX / 86400 - 1, &day);
	if (r)
		return error(w, c, at, r == -1 ? "expected the day's number after 'd'" : "day is too large", 0);
	if (c->p >= c->end || !is_blank(*c->p))
		return error(w, c, c->p, SYNTAX, 0);
	skip_blanks(c);
	at = c->p;
	if (number(c, 99, &h) || c->p >= c->end || *c->p != ':')
		return error(w, c, at, "expected the time as HH:MM or HH:MM:SS", 0);
	if (h > 23)
		return error(w, c, at, "hour must be 0..23", 0);
	c->p++;
	at = c->p;
	if (number(c, 99, &m))
		return error(w, c, at, "expected the time as HH:MM or HH:MM:SS", 0);
	if (m > 59)
		return error(w, c, at, "minute must be 0..59", 0);
	if (c->p < c->end && *c->p == ':') {
		c->p++;
		at = c->p;
		if (number(c, 99, &s))
			return error(w, c, at, "expected the seconds after 'HH:MM:'", 0);
		if (s > 59)
			return error(w, c, at, "second must be 0..59", 0);
	}
	if (c->p >= c->end || !is_blank(*c->p))
		return error(w, c, c->p, "expected a blank, then NAME=VALUE, after the time", 0);
	skip_blanks(c);
	*tick = day * 86400 + h * 3600 + m * 60 + s;
	return 0;
}

static int action(struct anima_options *o, struct cursor *c, const struct where *w)
{
	uint64_t tick = 0;
	const char *at = c->p;
	if (*c->p == 'd') {
		if (clock_time(c, w, &tick))
			return -1;
	} else {
		int r = number(c, UINT64_MAX, &tick);
		if (r == -2)
			return error(w, c, at, "tick is too large", 0);
		if (r == -1 || c->p >= c->end || *c->p != ':')
			return error(w, c, r == -1 ? at : c->p, SYNTAX, 0);
		c->p++;
	}
	const char *name = c->p;
	while (c->p < c->end && *c->p != '=' && !is_blank(*c->p))
		c->p++;
	if (c->p == name || c->p >= c->end || *c->p != '=')
		return error(w, c, c->p == name ? name : c->p, "expected NAME=VALUE", 0);
	int id = anima_stimulus_find(name, (size_t)(c->p - name));
	if (id < 0) {
		error(w, c, name, "", 0);
		anima_stimulus_unknown(name, (size_t)(c->p - name), w->err, w->errlen);
		return -1;
	}
	const char *val = ++c->p;
	while (c->p < c->end && !is_blank(*c->p))
		c->p++;
	int32_t v;
	error(w, c, val, "", 0);
	if (anima_stimulus_value((uint32_t)id, val, (size_t)(c->p - val), &v, w->err, w->errlen))
		return -1;
	skip_blanks(c);
	if (c->p < c->end)
		return error(w, c, c->p, "unexpected text after the action (one action per line)", 0);
	if (anima_options_add_stimulus(o, tick, (uint32_t)id, v, 0, 0))
		return error(w, c, at, "more timed stimuli than this build holds", 0);
	return 0;
}

int anima_scenario_parse(struct anima_options *o, const char *file, const char *buf, size_t len, char *err,
			 size_t errlen)
{
	struct where w = {file, 0, err, errlen};
	const char *p = buf, *end = buf + len;
	if (len >= 3 && (uint8_t)p[0] == 0xEF && (uint8_t)p[1] == 0xBB && (uint8_t)p[2] == 0xBF)
		p += 3; /* a UTF-8 byte order mark from a Windows editor */
	while (p < end) {
		struct cursor c = {p, p, p};
		w.line++;
		while (c.end < end && *c.end != '\n')
			c.end++;
		p = c.end < end ? c.end + 1 : end;
		if (c.end > c.line && c.end[-1] == '\r')
			c.end--;
		for (const char *q = c.line; q < c.end; q++) {
			if (*q == '#') {
				c.end = q;
				break;
			}
			if ((uint8_t)*q < 0x20 ? *q != '\t' : (uint8_t)*q > 0x7E)
				return error(&w, &c, q, "not a line of ASCII text", 0);
		}
		while (c.end > c.line && is_blank(c.end[-1]))
			c.end--;
		skip_blanks(&c);
		if (c.p < c.end && action(o, &c, &w))
			return -1;
	}
	return 0;
}
