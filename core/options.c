/* core/options.c - the command line shared by anima-sim, the UEFI Shell and anima.cfg.
 *
 * Every option is one row of `options[]` below: its name, the kind of value it takes (a parse function and
 * its range or words), the platforms that accept it, its help text and the field of struct anima_options it
 * sets. The row drives parsing, `--help` (anima_options_usage) and, through `--help`, the reference page
 * docs/options.md. Every refusal is one line naming the argument; nothing is half-applied that a caller
 * could run with.
 */
#include <stddef.h>

#include "anima.h"
#include "util.h"

#ifndef ANIMA_VERSION
#define ANIMA_VERSION 0.0.0 /* the build passes the project's VERSION (CMakeLists.txt) */
#endif
#define STRINGIFY2(x) #x
#define STRINGIFY(x) STRINGIFY2(x)

#define BOTH (ANIMA_OPT_HOST | ANIMA_OPT_UEFI)
#define NO_FIELD ((size_t)-1)

struct option;
typedef int (*parse_fn)(struct anima_options *o, const struct option *opt, const char *val, char *err,
			size_t errlen);

struct option {
	const char *name;  /* "--seed" */
	const char *value; /* how --help shows the value; NULL: a flag */
	parse_fn parse;    /* NULL: a flag, which sets the int at `field` to 1 */
	uint64_t lo, hi;   /* numbers: the accepted range */
	const char *const *words; /* words accepted instead of (numbers) or as (choices) the value: word k is k */
	unsigned platforms;       /* ANIMA_OPT_HOST, ANIMA_OPT_UEFI or both */
	size_t field;             /* offsetof(struct anima_options, ...) of what it sets */
	size_t given;             /* offsetof of the int that says the option was given, or NO_FIELD */
	const char *help;
};

static int fail(char *err, size_t errlen, const char *a, const char *b, const char *c, const char *d)
{
	struct anima_str s = {err, errlen, 0};
	anima_str_add(&s, a);
	if (b)
		anima_str_add(&s, b);
	if (c)
		anima_str_add(&s, c);
	if (d)
		anima_str_add(&s, d);
	return -1;
}

static int parse_i64(const char *s, int64_t *out)
{
	uint64_t v;
	int neg = *s == '-';
	int r = anima_parse_u64(s + neg, &v);
	if (r)
		return r;
	if (v > (uint64_t)INT64_MAX)
		return -2;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

static void *field(struct anima_options *o, size_t offset) { return (char *)o + offset; }

static void mark_given(struct anima_options *o, const struct option *opt)
{
	if (opt->given != NO_FIELD)
		*(int *)field(o, opt->given) = 1;
}

/* A whole number in lo..hi, or one of the option's words (word k stands for the number k). */
static int parse_number(struct anima_options *o, const struct option *opt, const char *val, char *err,
			size_t errlen)
{
	uint64_t v;
	for (uint64_t k = 0; opt->words && opt->words[k]; k++) {
		if (anima_streq(val, opt->words[k])) {
			*(uint64_t *)field(o, opt->field) = k;
			mark_given(o, opt);
			return 0;
		}
	}
	int r = anima_parse_u64(val, &v);
	if (r == -1)
		return fail(err, errlen, opt->name, ": expected a whole number, got '", val, "'");
	if (r == -2 || v < opt->lo || v > opt->hi) {
		struct anima_str s = {err, errlen, 0};
		anima_str_add(&s, opt->name);
		anima_str_add(&s, ": ");
		anima_str_add(&s, val);
		anima_str_add(&s, " is out of range ");
		anima_str_u64(&s, opt->lo);
		anima_str_add(&s, "..");
		anima_str_u64(&s, opt->hi);
		return -1;
	}
	*(uint64_t *)field(o, opt->field) = v;
	mark_given(o, opt);
	return 0;
}

/* One of the option's words; the int field gets lo + its index. */
static int parse_choice(struct anima_options *o, const struct option *opt, const char *val, char *err,
			size_t errlen)
{
	struct anima_str s = {err, errlen, 0};
	int n = 0;
	while (opt->words[n])
		n++;
	for (int k = 0; k < n; k++) {
		if (anima_streq(val, opt->words[k])) {
			*(int *)field(o, opt->field) = (int)opt->lo + k;
			mark_given(o, opt);
			return 0;
		}
	}
	anima_str_add(&s, opt->name);
	anima_str_add(&s, ": expected ");
	for (int k = 0; k < n; k++) {
		anima_str_add(&s, opt->words[k]);
		anima_str_add(&s, k + 2 < n ? ", " : k + 2 == n ? " or " : "");
	}
	anima_str_add(&s, ", got '");
	anima_str_add(&s, val);
	anima_str_add(&s, "'");
	return -1;
}

/* A file name (or any non-empty word): the field points into argv, which outlives the options. */
static int parse_path(struct anima_options *o, const struct option *opt, const char *val, char *err,
		      size_t errlen)
{
	if (!*val)
		return fail(err, errlen, opt->name, ": empty file name", 0, 0);
	*(const char **)field(o, opt->field) = val;
	mark_given(o, opt);
	return 0;
}

int anima_options_add_stimulus(struct anima_options *o, uint64_t tick, uint32_t id, int32_t value, char *err,
			       size_t errlen)
{
	if (o->nstimuli >= o->max_stimuli) {
		struct anima_str s = {err, errlen, 0};
		anima_str_add(&s, "more than ");
		anima_str_u64(&s, o->max_stimuli);
		anima_str_add(&s, " timed stimuli");
		return -1;
	}
	/* Keep the schedule sorted by tick, stable: same-tick stimuli act in the order given. Scenarios come in
	 * order, so this is a constant-time append for them. */
	size_t k = o->nstimuli++;
	while (k > 0 && o->stimuli[k - 1].tick > tick) {
		o->stimuli[k] = o->stimuli[k - 1];
		k--;
	}
	o->stimuli[k].tick = tick;
	o->stimuli[k].id = id;
	o->stimuli[k].value = value;
	return 0;
}

int anima_stimulus_find(const char *name, size_t n)
{
	const uint32_t nstimuli = ANIMA_NSTIMULI; /* may be 0: a variable keeps -Wtype-limits quiet */
	for (uint32_t id = 0; id < nstimuli; id++) {
		const char *k = anima_stimuli[id].name;
		size_t i = 0;
		while (i < n && k[i] && k[i] == name[i])
			i++;
		if (i == n && !k[i])
			return (int)id;
	}
	return -1;
}

void anima_stimulus_unknown(const char *name, size_t n, char *err, size_t errlen)
{
	struct anima_str q = {err, errlen, anima_strlen(err)};
	const uint32_t nstimuli = ANIMA_NSTIMULI;
	anima_str_add(&q, "unknown stimulus '");
	anima_str_addn(&q, name, n);
	anima_str_add(&q, "' (known:");
	for (uint32_t k = 0; k < nstimuli; k++) {
		anima_str_add(&q, " ");
		anima_str_add(&q, anima_stimuli[k].name);
	}
	anima_str_add(&q, ")");
}

int anima_stimulus_value(uint32_t id, const char *text, size_t n, int32_t *value, char *err, size_t errlen)
{
	const struct anima_stim_desc *d = &anima_stimuli[id];
	char buf[24];
	int64_t v = 0;
	int ok = n > 0 && n < sizeof buf;
	for (size_t i = 0; ok && i < n; i++)
		buf[i] = text[i];
	buf[ok ? n : 0] = 0;
	if (ok && d->has_auto && anima_streq(buf, "auto"))
		v = d->auto_value;
	else if (!ok || parse_i64(buf, &v) || v < d->lo || v > d->hi) {
		struct anima_str q = {err, errlen, anima_strlen(err)};
		anima_str_add(&q, "value must be a whole number in ");
		anima_str_i64(&q, d->lo);
		anima_str_add(&q, "..");
		anima_str_i64(&q, d->hi);
		if (d->has_auto)
			anima_str_add(&q, " or 'auto'");
		return -1;
	}
	*value = (int32_t)v;
	return 0;
}

/* TICK:NAME=VALUE, VALUE a number in the stimulus's range or `auto` where it has one. */
static int parse_stimulus(struct anima_options *o, const struct option *opt, const char *arg, char *err,
			  size_t errlen)
{
	const char *colon = arg, *eq;
	(void)opt;
	while (*colon && *colon != ':')
		colon++;
	eq = colon;
	while (*eq && *eq != '=')
		eq++;
	if (!*colon || !*eq || eq == colon + 1)
		return fail(err, errlen, "--stimulus '", arg, "': expected TICK:NAME=VALUE", 0);
	char tbuf[24];
	uint64_t tick;
	size_t tn = (size_t)(colon - arg);
	for (size_t i = 0; i < tn && i + 1 < sizeof tbuf; i++)
		tbuf[i] = arg[i];
	tbuf[tn < sizeof tbuf ? tn : 0] = 0;
	if (tn >= sizeof tbuf || anima_parse_u64(tbuf, &tick))
		return fail(err, errlen, "--stimulus '", arg, "': tick is not a whole number", 0);
	const char *name = colon + 1, *val = eq + 1;
	fail(err, errlen, "--stimulus '", arg, "': ", 0);
	int id = anima_stimulus_find(name, (size_t)(eq - name));
	if (id < 0) {
		anima_stimulus_unknown(name, (size_t)(eq - name), err, errlen);
		return -1;
	}
	int32_t v;
	if (anima_stimulus_value((uint32_t)id, val, anima_strlen(val), &v, err, errlen))
		return -1;
	err[0] = 0;
	if (anima_options_add_stimulus(o, tick, (uint32_t)id, v, err, errlen)) {
		err[0] = 0;
		return fail(err, errlen, "--stimulus '", arg, "': more than the schedule holds", 0);
	}
	return 0;
}

/* SUBSYSTEM.PARAM=VALUE, VALUE within the parameter's declared range: the range analysis proved every rule
 * overflow-free over that whole range, so any value in it is safe without a rebuild. */
static int parse_set(struct anima_options *o, const struct option *opt, const char *arg, char *err,
		     size_t errlen)
{
	struct anima_str q = {err, errlen, 0};
	const uint32_t nparams = ANIMA_NPARAMS; /* may be 0 */
	const char *eq = arg;
	(void)opt;
	while (*eq && *eq != '=')
		eq++;
	if (!*eq || eq == arg)
		return fail(err, errlen, "--set '", arg, "': expected SUBSYSTEM.PARAM=VALUE", 0);
	uint32_t id = 0;
	for (; id < nparams; id++) {
		const char *n = anima_param_name(id), *a = arg;
		while (*n && a < eq && *n == *a)
			n++, a++;
		if (!*n && a == eq)
			break;
	}
	if (id >= nparams) {
		anima_str_add(&q, "--set '");
		anima_str_add(&q, arg);
		anima_str_add(&q, "': unknown parameter '");
		anima_str_addn(&q, arg, (size_t)(eq - arg));
		anima_str_add(&q, "' (anima-sim --describe lists them)");
		return -1;
	}
	int64_t v;
	int64_t lo = anima_param_range[id][0], hi = anima_param_range[id][1];
	if (parse_i64(eq + 1, &v) || v < lo || v > hi) {
		anima_str_add(&q, "--set '");
		anima_str_add(&q, arg);
		anima_str_add(&q, "': value must be a whole number in the declared range ");
		anima_str_i64(&q, lo);
		anima_str_add(&q, "..");
		anima_str_i64(&q, hi);
		return -1;
	}
	unsigned k = 0;
	while (k < o->nsets && o->sets[k].id != id)
		k++;
	if (k == ANIMA_MAX_SETS)
		return fail(err, errlen, "--set '", arg, "': more than 256 different parameters set", 0);
	if (k == o->nsets)
		o->nsets++;
	o->sets[k].id = id;
	o->sets[k].value = (int32_t)v;
	return 0;
}

void anima_options_apply_sets(const struct anima_options *o, struct anima_sim *sim)
{
	for (unsigned k = 0; k < o->nsets; k++)
		sim->params[o->sets[k].id] = o->sets[k].value;
}

int anima_glob(const char *p, const char *s)
{
	const char *star = 0, *resume = 0;
	while (*s) {
		if (*p == '*') {
			star = ++p;
			resume = s;
			continue;
		}
		if (*p == '[') {
			const char *q = p + 1;
			int neg = *q == '!' || *q == '^', hit = 0;
			q += neg;
			while (*q && *q != ']') { /* an unclosed '[' matches nothing */
				if (q[1] == '-' && q[2] && q[2] != ']') {
					hit |= *s >= q[0] && *s <= q[2];
					q += 3;
				} else {
					hit |= *s == *q;
					q++;
				}
			}
			if (*q == ']' && hit != neg) {
				p = q + 1;
				s++;
				continue;
			}
		} else if (*p && (*p == '?' || *p == *s)) {
			p++;
			s++;
			continue;
		}
		if (!star)
			return 0;
		p = star;
		s = ++resume;
	}
	while (*p == '*')
		p++;
	return !*p;
}

/* Each pattern of PATTERN[,PATTERN...] must match a column (tick included): a misspelt one is an error,
 * not a silently missing column. run.c selects the columns with the same anima_glob. */
static int parse_columns(struct anima_options *o, const struct option *opt, const char *val, char *err,
			 size_t errlen)
{
	char pat[ANIMA_COLUMN_PATTERN_MAX];
	const char *list = val;
	int r;
	while ((r = anima_column_pattern(&list, pat)) != -1) {
		if (r < 0)
			return fail(err, errlen, opt->name, r == -3 ? ": pattern too long in '" : ": empty pattern in '", val, "'");
		struct anima_column c = {0};
		int hit = 0;
		while (!hit && anima_column_next(&c))
			hit = anima_column_matches(pat, &c);
		if (!hit)
			return fail(err, errlen, opt->name, ": pattern '", pat, "' matches no column (anima-sim --describe lists them)");
	}
	o->columns = val;
	return 0;
}

static const char *const env_words[] = {"normal", "dark", "light", 0};
static const char *const fault_words[] = {"divide", "pagefault", "invalid-opcode", 0}; /* from ANIMA_FAULT_DIVIDE */
static const char *const clock_words[] = {"auto", "tsc", "pmtimer", "hpet", "pit", "cpuid", 0};
static const char *const speed_words[] = {"max", 0};

#define F(member) offsetof(struct anima_options, member)

static const struct option options[] = {
	{"--seed", "N", parse_number, 0, UINT64_MAX, 0, BOTH, F(seed), F(seed_given),
	 "64-bit seed of the deterministic generator (default 1; UEFI: RDSEED/RDRAND, else 1)"},
	{"--individual", "N", parse_number, 0, UINT64_MAX, 0, BOTH, F(individual), F(individual_given),
	 "draw the individual's traits from N instead of the seed; the seed then varies only the noise"},
	{"--ticks", "N", parse_number, 0, UINT64_MAX, 0, BOTH, F(ticks), F(ticks_given),
	 "ticks (simulated seconds) to run (default 86400; UEFI: until death or a command)"},
	{"--every", "N", parse_number, 1, 1000000000, 0, BOTH, F(every), NO_FIELD,
	 "one trace row every N ticks, from tick 0 (default 60)"},
	{"--env", "normal|dark|light", parse_choice, 0, 0, env_words, BOTH, F(env), NO_FIELD,
	 "lights on 07:00-23:00 (normal, the default), constant darkness or constant light"},
	{"--stimulus", "TICK:NAME=VALUE", parse_stimulus, 0, 0, 0, BOTH, 0, NO_FIELD,
	 "a stimulus at that tick (repeatable); --describe lists the names and ranges"},
	{"--scenario", "FILE", parse_path, 0, 0, 0, BOTH, F(scenario), NO_FIELD,
	 "timed stimuli, one per line: TICK:NAME=VALUE or dDAY HH:MM[:SS] NAME=VALUE, '#' comments"},
	{"--set", "SUBSYSTEM.PARAM=VALUE", parse_set, 0, 0, 0, BOTH, 0, NO_FIELD,
	 "a catalogue parameter's value, within its declared range (repeatable)"},
	{"--columns", "PATTERN[,PATTERN...]", parse_columns, 0, 0, 0, BOTH, 0, NO_FIELD,
	 "only the columns matching these globs (tick first, catalogue order)"},
	{"--speed", "N|max", parse_number, 1, 1000000000, speed_words, BOTH, F(speed), F(speed_given),
	 "simulated seconds per wall-clock second, or max (anima-sim default: max; UEFI: 600)"},
	{"--trace", "FILE", parse_path, 0, 0, 0, ANIMA_OPT_HOST, F(trace), NO_FIELD,
	 "where the trace goes; - is standard output (the default)"},
	{"--events", "FILE", parse_path, 0, 0, 0, ANIMA_OPT_HOST, F(events), NO_FIELD,
	 "write the '#' lines to FILE, so that the trace is plain CSV"},
	{"--summary", "FILE", parse_path, 0, 0, 0, ANIMA_OPT_HOST, F(summary), NO_FIELD,
	 "write the run's summary (nights, daily means, death) as JSON to FILE; - is standard output"},
	{"--summarize", "TRACE", parse_path, 0, 0, 0, ANIMA_OPT_HOST, F(summarize), NO_FIELD,
	 "no run: the summary of a trace or a captured COM1 log, to --summary FILE or standard output"},
	{"--save", "FILE", parse_path, 0, 0, 0, ANIMA_OPT_HOST, F(save), NO_FIELD,
	 "when the run ends, write a checkpoint to FILE"},
	{"--resume", "FILE", parse_path, 0, 0, 0, BOTH, F(resume), NO_FIELD,
	 "continue from a checkpoint (UEFI: a file on the application's volume)"},
	{"--persist", 0, 0, 0, 0, 0, ANIMA_OPT_UEFI, F(persist), NO_FIELD,
	 "keep the organism in a UEFI variable across boots"},
	{"--trace-file", "NAME|none", parse_path, 0, 0, 0, ANIMA_OPT_UEFI, F(trace_file), NO_FIELD,
	 "also write the trace to NAME on the application's USB volume (default anima-trace.csv)"},
	{"--clock", "auto|tsc|pmtimer|hpet|pit|cpuid", parse_choice, 0, 0, clock_words, ANIMA_OPT_UEFI, F(clock),
	 NO_FIELD, "the time source that paces the run (default auto)"},
	{"--fault", "divide|pagefault|invalid-opcode", parse_choice, ANIMA_FAULT_DIVIDE, 0, fault_words, ANIMA_OPT_UEFI,
	 F(fault), NO_FIELD, "raise that CPU exception at tick 1, to test the panic report"},
	{"--catalogue-info", 0, 0, 0, 0, 0, ANIMA_OPT_HOST, F(catalogue_info), NO_FIELD,
	 "print subsystems=N variables=M couplings=K groups=G and exit"},
	{"--describe", 0, 0, 0, 0, 0, ANIMA_OPT_HOST, F(describe), NO_FIELD,
	 "print the columns, parameters (this run's values) and stimuli as JSON and exit"},
	{"--help", 0, 0, 0, 0, 0, BOTH, F(help), NO_FIELD, "print this help and exit"},
	{"--version", 0, 0, 0, 0, 0, BOTH, F(version), NO_FIELD, "print the version and the catalogue hash and exit"},
};

#define NOPTIONS (sizeof options / sizeof options[0])

void anima_options_defaults(struct anima_options *o)
{
	struct anima_stimulus *storage = o->stimuli;
	size_t max = o->max_stimuli;
	char *p = (char *)o;
	for (size_t i = 0; i < sizeof *o; i++)
		p[i] = 0;
	o->seed = 1;
	o->ticks = 86400;
	o->every = 60;
	o->env = ANIMA_ENV_NORMAL;
	o->speed = 0;
	o->clock = ANIMA_CLOCK_AUTO;
	o->stimuli = storage;
	o->max_stimuli = storage ? max : 0;
}

int anima_options_parse(struct anima_options *o, int argc, char *const *argv, unsigned accept, char *err,
			size_t errlen)
{
	for (int i = 0; i < argc; i++) {
		char name[32];
		const char *arg = argv[i];
		const char *val = 0;
		if (arg[0] != '-' || arg[1] != '-')
			return fail(err, errlen, "unexpected argument '", arg, "' (options start with --)", 0);
		/* --name=value or --name value */
		size_t n = 0;
		while (arg[n] && arg[n] != '=' && n + 1 < sizeof name) {
			name[n] = arg[n];
			n++;
		}
		name[n] = 0;
		if (arg[n] == '=')
			val = arg + n + 1;
		else if (arg[n])
			return fail(err, errlen, "unknown option '", arg, "'", 0);
		const struct option *opt = 0;
		for (size_t k = 0; k < NOPTIONS && !opt; k++)
			if (anima_streq(options[k].name, name))
				opt = &options[k];
		if (!opt)
			return fail(err, errlen, "unknown option '", name, "' (--help lists them)", 0);
		if (!(opt->platforms & accept))
			return fail(err, errlen, "option '", name,
				    opt->platforms == ANIMA_OPT_HOST ? "' is for anima-sim only"
								     : "' is for the UEFI application only", 0);
		if (!opt->value) {
			if (val)
				return fail(err, errlen, "option '", name, "' takes no value", 0);
			*(int *)field(o, opt->field) = 1;
			continue;
		}
		if (!val) {
			if (i + 1 >= argc)
				return fail(err, errlen, name, ": missing value", 0, 0);
			val = argv[++i];
		}
		if (opt->parse(o, opt, val, err, errlen))
			return -1;
	}
	return 0;
}

void anima_options_usage(const char *prog, void (*line)(void *ctx, const char *text), void *ctx)
{
	char buf[256];
	struct anima_str s = {buf, sizeof buf, 0};
	anima_str_add(&s, "usage: ");
	anima_str_add(&s, prog);
	anima_str_add(&s, " [OPTION...]   (options also as --name=value)");
	line(ctx, buf);
	line(ctx, "Options of anima-sim and anima.efi alike, unless marked [anima-sim] or [UEFI]:");
	for (size_t k = 0; k < NOPTIONS; k++) {
		const struct option *opt = &options[k];
		s.len = 0;
		anima_str_add(&s, "  ");
		anima_str_add(&s, opt->name);
		if (opt->value) {
			anima_str_add(&s, " ");
			anima_str_add(&s, opt->value);
		}
		line(ctx, buf);
		s.len = 0;
		anima_str_add(&s, "      ");
		anima_str_add(&s, opt->help);
		if (opt->platforms == ANIMA_OPT_HOST)
			anima_str_add(&s, " [anima-sim]");
		else if (opt->platforms == ANIMA_OPT_UEFI)
			anima_str_add(&s, " [UEFI]");
		line(ctx, buf);
	}
	line(ctx, "Bad options: one line naming the argument, exit status 2. Reference: docs/options.md.");
}

void anima_version_line(const char *prog, char *buf, size_t cap)
{
	struct anima_str s = {buf, cap, 0};
	char hex[16];
	size_t n = anima_fmt_hex(hex, anima_gen_catalogue_hash());
	anima_str_add(&s, prog);
	anima_str_add(&s, " " STRINGIFY(ANIMA_VERSION) " catalogue=");
	anima_str_addn(&s, "0000000000000000", 16 - n); /* always 16 digits */
	anima_str_addn(&s, hex, n);
}

int anima_split_args(char *line, char **argv, int max)
{
	int argc = 0;
	char *p = line;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			*p++ = 0;
		if (!*p)
			return argc;
		if (argc >= max)
			return -1;
		argv[argc++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			p++;
	}
}
