/* host/summary.c - anima-sim --summary and --summarize: the engine's summary (core/summary.c) written as JSON,
 * fed either by the run or by the rows of a trace file or captured COM1 log. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anima.h"
#include "host.h"

struct text {
	char *p;
	size_t n, cap;
	int failed;
};

static void text_add(struct text *t, const char *s, size_t n)
{
	if (t->failed)
		return;
	if (t->n + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 4096;
		while (t->n + n + 1 > cap)
			cap *= 2;
		char *p = realloc(t->p, cap);
		if (!p) {
			t->failed = 1;
			return;
		}
		t->p = p;
		t->cap = cap;
	}
	memcpy(t->p + t->n, s, n);
	t->n += n;
}

static struct text nights, days;

static void collect(void *ctx, int kind, const char *json, size_t n)
{
	(void)ctx;
	text_add(kind == ANIMA_SUMMARY_NIGHT ? &nights : &days, json, n);
}

static void to_file(void *ctx, const char *bytes, size_t n)
{
	text_add(ctx, bytes, n);
}

void host_summary_begin(struct anima_summary *s)
{
	int32_t slots[ANIMA_SUMMARY_NOBS];
	int present[ANIMA_SUMMARY_NOBS];
	anima_summary_slots(slots);
	for (int k = 0; k < ANIMA_SUMMARY_NOBS; k++)
		present[k] = slots[k] >= 0;
	anima_summary_init(s, present, collect, NULL);
}

void host_catalogue_hex(char hex[17])
{
	char line[96];
	anima_version_line("", line, sizeof line);
	const char *h = strstr(line, "catalogue=");
	snprintf(hex, 17, "%s", h ? h + 10 : "");
}

/* The document to path ("-": standard output), all at once: a failed run leaves no half-written file. */
int host_summary_write(const char *path, struct anima_summary_head *h)
{
	struct text doc = {0};
	anima_summary_document(h, nights.p ? nights.p : "", nights.n, days.p ? days.p : "", days.n, to_file, &doc);
	if (nights.failed || days.failed || doc.failed) {
		fprintf(stderr, "anima-sim: --summary %s: out of memory\n", path);
		return -1;
	}
	int to_stdout = strcmp(path, "-") == 0;
	FILE *f = to_stdout ? stdout : fopen(path, "w");
	if (!f || fwrite(doc.p, 1, doc.n, f) != doc.n || fflush(f) != 0 || (!to_stdout && fclose(f) != 0)) {
		fprintf(stderr, "anima-sim: --summary %s: %s\n", path, strerror(errno));
		free(doc.p);
		return -1;
	}
	free(doc.p);
	return 0;
}

/* Drops ANSI escape sequences and CRs, what a serial capture adds (as tools/anima_trace.py does). */
static void clean(char *line)
{
	char *w = line;
	for (char *r = line; *r;) {
		if (*r == '\r') {
			r++;
		} else if (*r == 0x1b) {
			r++;
			if (*r == '[') {
				r++;
				while (*r && !(*r >= '@' && *r <= '~'))
					r++;
				if (*r)
					r++;
			} else if (*r) {
				r++;
			}
		} else {
			*w++ = *r++;
		}
	}
	*w = 0;
}

static int number_after(const char *line, const char *key, uint64_t *v)
{
	const char *p = strstr(line, key);
	if (!p)
		return 0;
	p += strlen(key);
	if (*p < '0' || *p > '9')
		return 0;
	*v = strtoull(p, NULL, 10);
	return 1;
}

int host_summarize(const char *trace, const char *out)
{
	FILE *f = fopen(trace, "r");
	char *line = NULL, *header = NULL;
	size_t cap = 0;
	ssize_t got;
	uint64_t lineno = 0, first = 0, last = 0, every = 0, end_tick = 0;
	int has_end_tick = 0;
	int pos[ANIMA_SUMMARY_NOBS], present[ANIMA_SUMMARY_NOBS], ncols = 0, rows = 0;
	static char reason[32], cause[64];
	struct anima_summary_head h = {0};
	static struct anima_summary s;

	if (!f) {
		fprintf(stderr, "anima-sim: --summarize %s: %s\n", trace, strerror(errno));
		return 1;
	}
	while ((got = getline(&line, &cap, f)) > 0) {
		int complete = line[got - 1] == '\n';
		lineno++;
		line[strcspn(line, "\n")] = 0;
		if (lineno == 1 && strncmp(line, "\xef\xbb\xbf", 3) == 0)
			memmove(line, line + 3, strlen(line + 3) + 1); /* a UTF-8 byte order mark */
		clean(line);
		char *l = line + strspn(line, " \t");
		if (*l == '#') {
			uint64_t v;
			if (strstr(l, "# anima: seed=") == l && number_after(l, "seed=", &v))
				h.has_seed = 1, h.seed = v;
			if (strstr(l, "# anima: death ") == l && number_after(l, "tick=", &v)) {
				const char *c = strstr(l, "cause=");
				h.has_death = 1, h.death_tick = v;
				snprintf(cause, sizeof cause, "%s", c ? c + 6 : "unknown");
				cause[strcspn(cause, " ")] = 0;
				h.cause = cause;
			}
			if (strstr(l, "# anima: end ") == l) {
				const char *r = strstr(l, "reason=");
				if (number_after(l, "tick=", &v))
					end_tick = v, has_end_tick = 1;
				snprintf(reason, sizeof reason, "%s", r ? r + 7 : "unknown");
				reason[strcspn(reason, " ")] = 0;
				h.end = reason;
			}
			continue;
		}
		if (!header) {
			if (strncmp(l, "tick,", 5) != 0)
				continue; /* boot noise before the header */
			header = strdup(l);
			for (int k = 0; k < ANIMA_SUMMARY_NOBS; k++) {
				pos[k] = -1;
				int col = 0;
				for (char *c = header; c; c = strchr(c, ',') ? strchr(c, ',') + 1 : NULL, col++) {
					size_t n = strcspn(c, ",");
					if (n == strlen(anima_summary_observables[k]) && strncmp(c, anima_summary_observables[k], n) == 0)
						pos[k] = col;
				}
				present[k] = pos[k] >= 0;
			}
			for (char *c = header; c; c = strchr(c, ',') ? strchr(c, ',') + 1 : NULL)
				ncols++;
			anima_summary_init(&s, present, collect, NULL);
			continue;
		}
		if (!*l || strcmp(l, header) == 0)
			continue; /* a blank line, or the header again (a resumed run after a reboot) */
		int64_t fields[ANIMA_SUMMARY_NOBS];
		int32_t values[ANIMA_SUMMARY_NOBS] = {0};
		uint64_t tick = 0;
		int col = 0, bad = 0;
		for (char *c = l; c && !bad; col++) {
			char *end;
			errno = 0;
			long long v = strtoll(c, &end, 10);
			if (end == c || (*end && *end != ',') || errno)
				bad = 1;
			if (col == 0)
				tick = (uint64_t)v, bad |= v < 0;
			for (int k = 0; k < ANIMA_SUMMARY_NOBS; k++)
				if (pos[k] == col)
					fields[k] = v;
			c = *end == ',' ? end + 1 : NULL;
		}
		if (bad || col != ncols) {
			if (!complete)
				break; /* a log cut off in the middle of its last row */
			fprintf(stderr, "anima-sim: --summarize %s:%llu: not a row of %d integers\n", trace,
				(unsigned long long)lineno, ncols);
			fclose(f);
			return 1;
		}
		for (int k = 0; k < ANIMA_SUMMARY_NOBS; k++)
			values[k] = present[k] ? (int32_t)fields[k] : 0;
		if (rows && tick <= last)
			continue;
		if (rows == 1)
			every = tick - first;
		if (!rows)
			first = tick;
		last = tick;
		rows++;
		anima_summary_sample(&s, tick, values);
	}
	fclose(f);
	free(line);
	if (!header) {
		fprintf(stderr, "anima-sim: --summarize %s: not a trace (no header line starting with 'tick,')\n", trace);
		return 1;
	}
	free(header);
	anima_summary_finish(&s, every ? every : 1);
	h.start_tick = first;
	h.end_tick = has_end_tick ? end_tick : last; /* without an end line: the last sample's tick */
	h.every = every;
	return host_summary_write(out ? out : "-", &h) ? 1 : 0;
}
