/* core/options.c - the command line shared by anima-sim, the UEFI Shell and anima.cfg.
 * Every refusal is one line naming the argument; nothing is half-applied that a caller could run with. */
#include "anima.h"
#include "util.h"

void anima_options_defaults(struct anima_options *o)
{
	char *p = (char *)o;
	for (size_t i = 0; i < sizeof *o; i++)
		p[i] = 0;
	o->seed = 1;
	o->ticks = 86400;
	o->every = 60;
	o->env = ANIMA_ENV_NORMAL;
	o->speed = 0;
}

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

/* Parses a decimal unsigned 64-bit number, the whole string. */
static int parse_u64(const char *s, uint64_t *out)
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

static int parse_i64(const char *s, int64_t *out)
{
	uint64_t v;
	int neg = *s == '-';
	int r = parse_u64(s + neg, &v);
	if (r)
		return r;
	if (v > (uint64_t)INT64_MAX)
		return -2;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

static int number(const char *opt, const char *val, uint64_t lo, uint64_t hi, uint64_t *out, char *err, size_t errlen)
{
	int r = parse_u64(val, out);
	char a[24], b[24];
	if (r == -1)
		return fail(err, errlen, opt, ": expected a whole number, got '", val, "'");
	if (r == -2 || *out < lo || *out > hi) {
		struct anima_str s = {err, errlen, 0};
		a[anima_fmt_u64(a, lo)] = 0;
		b[anima_fmt_u64(b, hi)] = 0;
		anima_str_add(&s, opt);
		anima_str_add(&s, ": ");
		anima_str_add(&s, val);
		anima_str_add(&s, " is out of range ");
		anima_str_add(&s, a);
		anima_str_add(&s, "..");
		anima_str_add(&s, b);
		return -1;
	}
	return 0;
}

/* TICK:NAME=VALUE, VALUE a number in the stimulus's range or `auto` where it has one. */
static int stimulus(struct anima_options *o, const char *arg, char *err, size_t errlen)
{
	char buf[128];
	struct anima_str q = {err, errlen, 0};
	size_t n = anima_strlen(arg);
	if (n >= sizeof buf)
		return fail(err, errlen, "--stimulus: argument too long", 0, 0, 0);
	for (size_t i = 0; i <= n; i++)
		buf[i] = arg[i];
	char *colon = buf, *eq;
	while (*colon && *colon != ':')
		colon++;
	eq = colon;
	while (*eq && *eq != '=')
		eq++;
	if (!*colon || !*eq || eq == colon + 1)
		return fail(err, errlen, "--stimulus '", arg, "': expected TICK:NAME=VALUE", 0);
	*colon = 0;
	*eq = 0;
	uint64_t tick;
	if (parse_u64(buf, &tick))
		return fail(err, errlen, "--stimulus '", arg, "': tick is not a whole number", 0);
	const char *name = colon + 1, *val = eq + 1;
	const uint32_t nstimuli = ANIMA_NSTIMULI; /* may be 0: a variable keeps -Wtype-limits quiet */
	uint32_t id = 0;
	while (id < nstimuli && !anima_streq(anima_stimuli[id].name, name))
		id++;
	if (id >= nstimuli) {
		anima_str_add(&q, "--stimulus '");
		anima_str_add(&q, arg);
		anima_str_add(&q, "': unknown stimulus '");
		anima_str_add(&q, name);
		anima_str_add(&q, "' (known:");
		for (uint32_t k = 0; k < nstimuli; k++) {
			anima_str_add(&q, " ");
			anima_str_add(&q, anima_stimuli[k].name);
		}
		anima_str_add(&q, ")");
		return -1;
	}
	const struct anima_stim_desc *d = &anima_stimuli[id];
	int64_t v;
	if (d->has_auto && anima_streq(val, "auto")) {
		v = d->auto_value;
	} else if (parse_i64(val, &v) || v < d->lo || v > d->hi) {
		anima_str_add(&q, "--stimulus '");
		anima_str_add(&q, arg);
		anima_str_add(&q, "': value must be a whole number in ");
		anima_str_i64(&q, d->lo);
		anima_str_add(&q, "..");
		anima_str_i64(&q, d->hi);
		if (d->has_auto)
			anima_str_add(&q, " or 'auto'");
		return -1;
	}
	if (o->nstimuli >= ANIMA_MAX_STIMULI)
		return fail(err, errlen, "--stimulus: more than 512 stimuli", 0, 0, 0);
	/* Keep the schedule sorted by tick, stable: same-tick stimuli act in the order given. */
	unsigned k = o->nstimuli++;
	while (k > 0 && o->stimuli[k - 1].tick > tick) {
		o->stimuli[k] = o->stimuli[k - 1];
		k--;
	}
	o->stimuli[k].tick = tick;
	o->stimuli[k].id = id;
	o->stimuli[k].value = (int32_t)v;
	return 0;
}

static int is(const char *a, const char *b) { return anima_streq(a, b); }

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

		int flag = is(name, "--catalogue-info") || is(name, "--persist");
		int known = flag || is(name, "--seed") || is(name, "--ticks") || is(name, "--every") ||
			    is(name, "--env") || is(name, "--stimulus") || is(name, "--speed") || is(name, "--save") ||
			    is(name, "--resume") || is(name, "--trace") || is(name, "--fault");
		if (!known)
			return fail(err, errlen, "unknown option '", name, "'", 0);
		if ((is(name, "--trace") || is(name, "--catalogue-info")) && !(accept & ANIMA_OPT_HOST))
			return fail(err, errlen, "option '", name, "' is for anima-sim only", 0);
		if ((is(name, "--persist") || is(name, "--fault")) && !(accept & ANIMA_OPT_UEFI))
			return fail(err, errlen, "option '", name, "' is for the UEFI application only", 0);
		if (flag) {
			if (val)
				return fail(err, errlen, "option '", name, "' takes no value", 0);
			if (is(name, "--persist"))
				o->persist = 1;
			else
				o->catalogue_info = 1;
			continue;
		}
		if (!val) {
			if (i + 1 >= argc)
				return fail(err, errlen, name, ": missing value", 0, 0);
			val = argv[++i];
		}
		if (is(name, "--seed")) {
			if (number(name, val, 0, UINT64_MAX, &o->seed, err, errlen))
				return -1;
			o->seed_given = 1;
		} else if (is(name, "--ticks")) {
			if (number(name, val, 0, UINT64_MAX, &o->ticks, err, errlen))
				return -1;
			o->ticks_given = 1;
		} else if (is(name, "--every")) {
			if (number(name, val, 1, 1000000000, &o->every, err, errlen))
				return -1;
		} else if (is(name, "--env")) {
			if (is(val, "normal"))
				o->env = ANIMA_ENV_NORMAL;
			else if (is(val, "dark"))
				o->env = ANIMA_ENV_DARK;
			else if (is(val, "light"))
				o->env = ANIMA_ENV_LIGHT;
			else
				return fail(err, errlen, "--env: expected normal, dark or light, got '", val, "'", 0);
		} else if (is(name, "--stimulus")) {
			if (stimulus(o, val, err, errlen))
				return -1;
		} else if (is(name, "--speed")) {
			if (is(val, "max"))
				o->speed = 0;
			else if (number(name, val, 1, 1000000000, &o->speed, err, errlen))
				return -1;
			o->speed_given = 1;
		} else if (is(name, "--fault")) {
			if (is(val, "divide"))
				o->fault = ANIMA_FAULT_DIVIDE;
			else if (is(val, "pagefault"))
				o->fault = ANIMA_FAULT_PAGEFAULT;
			else if (is(val, "invalid-opcode"))
				o->fault = ANIMA_FAULT_INVALID_OPCODE;
			else
				return fail(err, errlen, "--fault: expected divide, pagefault or invalid-opcode, got '", val, "'", 0);
		} else {
			if (!*val)
				return fail(err, errlen, name, ": empty file name", 0, 0);
			if (is(name, "--trace"))
				o->trace = val;
			else if (is(name, "--save"))
				o->save = val;
			else
				o->resume = val;
		}
	}
	return 0;
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
