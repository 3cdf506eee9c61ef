/* core/columns.c - the trace's columns by name: the one reader of the generated anima_trace_header (column 0
 * is "tick", columns 1..ANIMA_NVARS the variables in catalogue order, their state slots anima_trace_slots[k-1])
 * and of --columns' comma-separated glob patterns. run.c, options.c, summary.c, checkpoint.c and the UEFI
 * dashboard all ask here instead of walking the header themselves. */
#include "anima.h"
#include "util.h"

int anima_column_next(struct anima_column *c)
{
	const char *p = c->name ? c->name + c->len : anima_trace_header;
	if (c->name) {
		if (!*p)
			return 0;
		p++; /* the comma */
		c->index++;
	} else {
		c->index = 0;
	}
	size_t n = 0;
	while (p[n] && p[n] != ',')
		n++;
	c->name = p;
	c->len = n;
	c->slot = c->index ? (int32_t)anima_trace_slots[c->index - 1] : -1;
	return 1;
}

int anima_column_at(uint32_t index, struct anima_column *c)
{
	*c = (struct anima_column){0};
	while (anima_column_next(c))
		if (c->index == index)
			return 1;
	return 0;
}

int32_t anima_column_slot(const char *name, size_t len)
{
	struct anima_column c = {0};
	while (anima_column_next(&c))
		if (c.index && c.len == len && anima_memeq(c.name, name, len))
			return c.slot;
	return -1;
}

/* Copies a name into a terminated buffer for anima_glob; names longer than the buffer match nothing, as a
 * pattern that long could not have been typed to match them (options.c refuses patterns of 128 bytes). */
static int glob_n(const char *pattern, const char *name, size_t len)
{
	char buf[ANIMA_COLUMN_PATTERN_MAX];
	if (len >= sizeof buf)
		return 0;
	for (size_t i = 0; i < len; i++)
		buf[i] = name[i];
	buf[len] = 0;
	return anima_glob(pattern, buf);
}

int anima_column_pattern(const char **list, char *pattern)
{
	const char *p = *list;
	if (!p)
		return -1;
	size_t n = 0;
	while (p[n] && p[n] != ',')
		n++;
	*list = p[n] ? p + n + 1 : 0;
	if (n == 0 || n >= ANIMA_COLUMN_PATTERN_MAX) {
		pattern[0] = 0;
		return n ? -3 : -2;
	}
	for (size_t i = 0; i < n; i++)
		pattern[i] = p[i];
	pattern[n] = 0;
	return 0;
}

int anima_column_matches(const char *pattern, const struct anima_column *c)
{
	return glob_n(pattern, c->name, c->len);
}

int anima_column_selected(const char *patterns, const struct anima_column *c)
{
	char pat[ANIMA_COLUMN_PATTERN_MAX];
	const char *list = patterns;
	int r;
	while ((r = anima_column_pattern(&list, pat)) != -1)
		if (r == 0 && anima_column_matches(pat, c))
			return 1;
	return 0;
}
