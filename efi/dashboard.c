/* efi/dashboard.c - the organism on the screen after ExitBootServices.
 *
 * Layout (any resolution from 640x480 up; everything is computed from the screen and font size):
 *   a header line: day and time, seed, speed, sleep stage, consciousness (PCI), health, measured ticks/s;
 *   left: strip charts of the key observables over the last 24 simulated hours, and a hypnogram of the
 *         last 48 hours (two nights); night (env.light == 0) is shaded;
 *   right: one tile per subsystem coloured by its activity, in blocks by group (a label or a separator line
 *          per group), then the latest events.
 *
 * It hooks into the platform rather than the engine: poll() (once per tick) samples the charts on a
 * tick schedule and redraws at most ~4 times per wall second (or every simulated hour without a clock);
 * write() passes the trace on unchanged and keeps the '#' lines as events. Nothing is written to COM1, so
 * the trace is byte for byte what it is without a screen.
 *
 * Observables are looked up by their trace names; any the catalogue lacks are simply not drawn. Subsystems,
 * their groups and their variables' declared ranges come from the generated tables (anima_subsystems,
 * anima_group_names, anima_var_range): a tile's activity is how far its variables moved since the last
 * redraw as a share of their declared ranges. */
#include "dashboard.h"

#define RATE_PACED 4        /* redraws per wall second at most, paced */
#define RATE_MAX 2          /* ... and at --speed max, where every redraw takes ticks from the run */
#define NOCLOCK_EVERY 3600  /* without a clock: redraw every simulated hour */
#define MAXCOLS 2560        /* strip chart columns (a 3840-wide screen has ~2250) */
#define HYPNO_MIN 2880      /* hypnogram: 48 h of one-minute samples */
#define NEVENTS 24
#define EVENT_LEN 120
#define MAXSERIES 5

#define C_BG 0x0a0d12u
#define C_PANEL 0x151a22u
#define C_NIGHT 0x0c1a33u
#define C_GRID 0x2a3240u
#define C_TEXT 0xd8dee9u
#define C_DIM 0x7a8494u
#define C_HEAD 0x1f2a3au
#define C_RED 0xff5555u

struct series {
	const char *name;
	uint32_t color;
	int slot; /* index into sim->state, -1 when the catalogue lacks it */
};

struct chart {
	const char *label;
	int lo, hi;    /* fixed scale; lo == hi: autoscale, at least `span` wide */
	int span;
	int temp;      /* body.temp: shown as degrees C (centidegrees above 34.00) */
	struct series s[MAXSERIES];
	int present;
};

static struct chart charts[] = {
	{"body temp", 0, 0, 60, 1, {{"body.temp", 0xff8c42u, -1}}, 0},
	{"melatonin", 0, 1000, 0, 0, {{"melatonin.level", 0xb48eadu, -1}}, 0},
	{"cortisol", 0, 1000, 0, 0, {{"cortisol.level", 0xebcb8bu, -1}}, 0},
	{"heart rate", 0, 0, 20, 0, {{"heart.rate", 0xff6b6bu, -1}}, 0},
	{"glucose", 0, 0, 30, 0, {{"metabolism.glucose", 0xa3be8cu, -1}}, 0},
	{"eeg d t a b g", 0, 1000, 0, 0,
	 {{"eeg.delta", 0x5e81acu, -1}, {"eeg.theta", 0x88c0d0u, -1}, {"eeg.alpha", 0xa3be8cu, -1},
	  {"eeg.beta", 0xebcb8bu, -1}, {"eeg.gamma", 0xd08770u, -1}}, 0},
	{"valence arousal", 0, 1000, 0, 0, {{"affect.valence", 0x8fbcbbu, -1}, {"affect.arousal", 0xd08770u, -1}}, 0},
	{"health", 0, 1000, 0, 0, {{"life.health", 0x88dd88u, -1}}, 0},
};
#define NCHARTS (sizeof charts / sizeof charts[0])

static const char *const stage_names[] = {"awake", "N1", "N2", "N3", "REM"};
static const uint32_t stage_colors[] = {0xebcb8bu, 0x88c0d0u, 0x5e81acu, 0x3b4cc0u, 0xff6b9bu};
static const int stage_level[] = {0, 2, 3, 4, 1}; /* hypnogram rows, top to bottom: W, REM, N1, N2, N3 */

static struct {
	int on;
	const struct anima_sim *sim;
	struct anima_platform inner; /* the hooks we wrap */
	uint64_t seed, speed;        /* speed 0: max */
	int paused, ended, dead;
	char cause[32];

	/* Where things are on the screen. */
	int W, H, fw, fh;
	int hdr_h, lx, lw, rx, rw;
	int chart_y, chart_h, label_w, plot_x, plot_w;
	int hyp_y, hyp_h;
	int tile_y, tile_w, tile_h, tile_chars, label_chars, group_w, ev_y, ev_lines;

	/* Strip charts: one column per sample, every `sample_every` ticks, newest at ring[head-1]. */
	uint64_t sample_every;
	int32_t ring[NCHARTS][MAXSERIES][MAXCOLS];
	uint8_t night[MAXCOLS];
	uint64_t last_sample_tick, next_sample, next_minute;
	uint32_t head, count;

	/* Hypnogram: one sample a minute; bits 0-2 stage, bit 3 night. */
	uint8_t hyp[HYPNO_MIN];
	uint32_t hyp_head, hyp_count;
	int stage_slot, light_slot, health_slot, alive_slot, pathogen_slot, pci_slot;

	/* Subsystem tiles: activity 0..1000, where each is on the screen (blocks by group), the colour it was
	 * last drawn in (only tiles whose colour changed are drawn again); the variables' values at the last
	 * redraw, by trace column. */
	uint16_t sub_act[ANIMA_NSUBSYSTEMS];
	uint16_t tile_x[ANIMA_NSUBSYSTEMS], tile_yy[ANIMA_NSUBSYSTEMS];
	uint32_t tile_rgb[ANIMA_NSUBSYSTEMS];
	int32_t prev[ANIMA_NVARS];

	/* Events: the '#' lines of the trace, and what the dashboard notices itself. */
	char ev[NEVENTS][EVENT_LEN];
	uint32_t ev_head, ev_count, ev_version, ev_drawn;
	int drawn_once;
	char line[EVENT_LEN];
	size_t line_n;
	int at_bol, capturing;
	int ill;

	/* Redraw pacing and the measured rate. */
	uint64_t hz, last_draw_time, last_draw_tick, polls, check_every, last_check;
	uint64_t tps, draw_cost, pixels, draw_total, start_time;
	uint64_t tick;
} D;

/* ---- small helpers ---- */

static size_t add_i(char *dst, size_t cap, int64_t v)
{
	char t[24];
	t[anima_fmt_i64(t, v)] = 0;
	return str_add(dst, cap, t);
}

static void add_2d(char *dst, size_t cap, uint64_t v)
{
	char t[3] = {(char)('0' + v / 10 % 10), (char)('0' + v % 10), 0};
	str_add(dst, cap, t);
}

static void add_clock(char *dst, size_t cap, uint64_t tick, int seconds)
{
	uint64_t t = tick % 86400;
	str_add(dst, cap, "day ");
	str_add_u64(dst, cap, tick / 86400);
	str_add(dst, cap, " ");
	add_2d(dst, cap, t / 3600);
	str_add(dst, cap, ":");
	add_2d(dst, cap, t / 60 % 60);
	if (seconds) {
		str_add(dst, cap, ":");
		add_2d(dst, cap, t % 60);
	}
}

static void add_value(char *dst, size_t cap, const struct chart *c, int32_t v)
{
	if (c->temp) { /* centidegrees above 34.00 C */
		int64_t cd = 3400 + (int64_t)v;
		if (cd < 0) {
			str_add(dst, cap, "-");
			cd = -cd;
		}
		add_i(dst, cap, cd / 100);
		str_add(dst, cap, ".");
		add_2d(dst, cap, (uint64_t)(cd % 100));
		str_add(dst, cap, "C");
	} else {
		add_i(dst, cap, v);
	}
}

/* The state slot of a trace column name, or -1. */
static int find_slot(const char *name)
{
	return anima_column_slot(name, anima_strlen(name));
}

static int32_t get(int slot)
{
	return slot >= 0 ? D.sim->state[slot] : 0;
}

static uint64_t isqrt(uint64_t v)
{
	uint64_t r = 0, bit = 1ull << 62;
	while (bit > v)
		bit >>= 2;
	while (bit) {
		if (v >= r + bit) {
			v -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
		bit >>= 2;
	}
	return r;
}

/* Activity 0..1000 to a colour: dark blue (idle), teal, green, yellow, red (changing fast). */
static uint32_t heat(uint32_t a)
{
	static const uint32_t stops[] = {0x1b2a4au, 0x1f6f78u, 0x4caf50u, 0xe0c040u, 0xe04a3au};
	uint32_t seg = a >= 1000 ? 3 : a * 4 / 1000, f = a >= 1000 ? 250 : a * 4 % 1000 / 4; /* f: 0..250 */
	uint32_t c0 = stops[seg], c1 = stops[seg + 1], out = 0;
	for (int sh = 0; sh <= 16; sh += 8) {
		int32_t x0 = (int32_t)(c0 >> sh & 0xFF), x1 = (int32_t)(c1 >> sh & 0xFF);
		out |= (uint32_t)(x0 + (x1 - x0) * (int32_t)f / 250) << sh;
	}
	return out;
}

static uint32_t ink_on(uint32_t bg)
{
	uint32_t y = ((bg >> 16 & 0xFF) * 3 + (bg >> 8 & 0xFF) * 6 + (bg & 0xFF)) / 10;
	return y > 110 ? 0x000000u : 0xffffffu;
}

/* ---- events ---- */

static void event(const char *text)
{
	char *e = D.ev[D.ev_head];
	e[0] = 0;
	add_clock(e, EVENT_LEN, D.tick, 0);
	str_add(e, EVENT_LEN, "  ");
	str_add(e, EVENT_LEN, text);
	D.ev_head = (D.ev_head + 1) % NEVENTS;
	D.ev_version++;
	if (D.ev_count < NEVENTS)
		D.ev_count++;
}

static uint64_t parse_num(const char *s)
{
	uint64_t v = 0;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (uint64_t)(*s++ - '0');
	return v;
}

static void draw(void);

/* One '#' line of the trace: the state it announces, then the event list. */
static void comment(char *l)
{
	const char *p = l + 1;
	while (*p == ' ')
		p++;
	if (anima_starts(p, "anima: "))
		p += 7;
	if (anima_starts(p, "speed=")) {
		D.speed = anima_starts(p + 6, "max") ? 0 : parse_num(p + 6);
	} else if (anima_starts(p, "paused")) {
		D.paused = 1;
	} else if (anima_starts(p, "resumed")) {
		D.paused = 0;
	} else if (anima_starts(p, "death ")) {
		const char *c = p;
		D.dead = 1;
		while (*c && !anima_starts(c, "cause="))
			c++;
		D.cause[0] = 0;
		if (*c)
			str_add(D.cause, sizeof D.cause, c + 6);
	} else if (anima_starts(p, "end ")) {
		D.ended = 1;
	}
	/* The last tick of a run is not seen by poll(): take it from the line. */
	if ((anima_starts(p, "death tick=") || anima_starts(p, "end tick=")))
		D.tick = parse_num(p + (p[0] == 'd' ? 11 : 9));
	event(p);
}

void dashboard_comments(const char *bytes, size_t n)
{
	if (!D.on)
		return;
	for (size_t i = 0; i < n; i++) {
		char c = bytes[i];
		if (D.at_bol && c == '#') {
			D.capturing = 1;
			D.line_n = 0;
		}
		if (D.capturing) {
			if (c == '\n') {
				D.line[D.line_n] = 0;
				D.capturing = 0;
				comment(D.line);
			} else if (D.line_n + 1 < sizeof D.line && c != '\r') {
				D.line[D.line_n++] = c;
			}
		}
		D.at_bol = c == '\n';
	}
	/* The last picture of a run stays on the screen until power-off (or, on a machine that does not power
	 * off, for good): draw it now, the poll hook is not called again. */
	if (D.ended) {
		if (D.hz) {
			uint64_t dt = timer_now() - D.last_draw_time;
			D.tps = (D.tick - D.last_draw_tick) * D.hz / (dt ? dt : 1);
		}
		draw();
		D.ended = 0;
	}
}

static void tee_write(void *ctx, const char *bytes, size_t n)
{
	D.inner.write(ctx, bytes, n);
	dashboard_comments(bytes, n);
}

/* ---- sampling ---- */

static void sample(uint64_t tick)
{
	uint32_t h = D.head;
	for (uint32_t c = 0; c < NCHARTS; c++)
		for (int s = 0; s < MAXSERIES; s++)
			if (charts[c].s[s].name)
				D.ring[c][s][h] = get(charts[c].s[s].slot);
	D.night[h] = D.light_slot >= 0 && get(D.light_slot) == 0;
	D.head = (h + 1) % (uint32_t)D.plot_w;
	if (D.count < (uint32_t)D.plot_w)
		D.count++;
	D.last_sample_tick = tick;
}

static void sample_hypno(void)
{
	int32_t st = get(D.stage_slot);
	if (st < 0 || st > 4)
		st = 0;
	D.hyp[D.hyp_head] = (uint8_t)(st | (D.light_slot >= 0 && get(D.light_slot) == 0 ? 8 : 0));
	D.hyp_head = (D.hyp_head + 1) % HYPNO_MIN;
	if (D.hyp_count < HYPNO_MIN)
		D.hyp_count++;
}

/* Illness is not a line of the trace: the dashboard notices it from the pathogen load, with hysteresis so
 * one infection is one event. */
static void watch(void)
{
	if (D.pathogen_slot < 0)
		return;
	int32_t p = get(D.pathogen_slot);
	if (!D.ill && p >= 300) {
		char t[64] = "illness: pathogen load ";
		add_i(t, sizeof t, p);
		event(t);
		D.ill = 1;
	} else if (D.ill && p < 100) {
		event("recovered: pathogen load below 100");
		D.ill = 0;
	}
}

/* ---- drawing ---- */

/* Per tile: the mean over its variables of |change since the last redraw| / declared range, in 1/1000,
 * square-rooted to spread the small changes most subsystems make between two redraws. One division per
 * variable per redraw. */
static void activity(void)
{
	for (uint32_t s = 0; s < ANIMA_NSUBSYSTEMS; s++) {
		const struct anima_subsystem_desc *d = &anima_subsystems[s];
		uint64_t sum = 0;
		for (uint32_t k = d->first_col - 1; k < d->first_col - 1 + d->nvars; k++) {
			int32_t v = D.sim->state[anima_trace_slots[k]];
			int64_t dv = (int64_t)v - D.prev[k], span = (int64_t)anima_var_range[k][1] - anima_var_range[k][0];
			if (dv < 0)
				dv = -dv;
			if (span > 0)
				sum += dv >= span ? 1000 : (uint64_t)(dv * 1000 / span);
			D.prev[k] = v;
		}
		uint64_t a = d->nvars ? isqrt(sum / d->nvars * 1000) : 0;
		D.sub_act[s] = (uint16_t)(a > 1000 ? 1000 : a);
	}
}

static void draw_header(void)
{
	char t[256] = "";
	int32_t st = get(D.stage_slot);

	fb_fill(0, 0, D.W, D.hdr_h, C_HEAD);
	str_add(t, sizeof t, "ANIMA  ");
	add_clock(t, sizeof t, D.tick, 1);
	str_add(t, sizeof t, "   seed ");
	str_add_u64(t, sizeof t, D.seed);
	str_add(t, sizeof t, "   speed ");
	if (D.speed) {
		str_add_u64(t, sizeof t, D.speed);
		str_add(t, sizeof t, "x");
	} else {
		str_add(t, sizeof t, "max");
	}
	if (D.paused)
		str_add(t, sizeof t, " (paused)");
	if (D.stage_slot >= 0) {
		str_add(t, sizeof t, "   sleep ");
		str_add(t, sizeof t, st >= 0 && st <= 4 ? stage_names[st] : "?");
	}
	if (D.pci_slot >= 0) { /* the perturbational complexity index of the last probe, PCI x 1000 as 0.xyz */
		int32_t pci = get(D.pci_slot);
		str_add(t, sizeof t, "   PCI ");
		str_add(t, sizeof t, pci >= 1000 ? "1." : "0.");
		char d[4] = {(char)('0' + pci % 1000 / 100), (char)('0' + pci % 100 / 10), (char)('0' + pci % 10), 0};
		str_add(t, sizeof t, pci < 0 ? "?" : d);
	}
	if (D.health_slot >= 0) {
		str_add(t, sizeof t, "   health ");
		add_i(t, sizeof t, get(D.health_slot));
	}
	if (D.dead) {
		str_add(t, sizeof t, "   DEAD: ");
		str_add(t, sizeof t, D.cause);
	}
	int x = fb_text(D.fw, (D.hdr_h - D.fh) / 2, t, D.dead ? C_RED : C_TEXT, FB_CLEAR);
	if (D.hz) {
		t[0] = 0;
		str_add_u64(t, sizeof t, D.tps);
		str_add(t, sizeof t, " ticks/s  draw ");
		str_add_u64(t, sizeof t, D.draw_cost);
		str_add(t, sizeof t, " ms, ");
		/* The share of wall time spent drawing: what the screen costs the run, whatever the host load. */
		uint64_t all = timer_now() - D.start_time;
		str_add_u64(t, sizeof t, all ? D.draw_total * 100 / all : 0);
		str_add(t, sizeof t, "% of the time");
		int w = (int)anima_strlen(t) * D.fw;
		if (D.W - D.fw - w > x + D.fw)
			fb_text(D.W - D.fw - w, (D.hdr_h - D.fh) / 2, t, C_DIM, FB_CLEAR);
	}
}

static int value_y(int32_t v, int lo, int hi, int y, int h)
{
	int64_t r = (int64_t)v - lo;
	if (r < 0)
		r = 0;
	if (r > (int64_t)hi - lo)
		r = (int64_t)hi - lo;
	return y + (h - 1) - (int)(r * (h - 1) / ((int64_t)hi - lo));
}

/* The ring index of column x (0 = oldest shown) when count samples of plot_w are there, right-aligned. */
static int ring_at(int x)
{
	int first = D.plot_w - (int)D.count; /* columns left of this are empty */
	if (x < first)
		return -1;
	return (int)((D.head + (uint32_t)D.plot_w - D.count + (uint32_t)(x - first)) % (uint32_t)D.plot_w);
}

static void draw_plot_background(int y, int h)
{
	int x = 0;
	fb_fill(D.plot_x, y, D.plot_w, h, C_PANEL);
	/* Night as runs of shaded columns, midnight as a grid line. */
	while (x < D.plot_w) {
		int i = ring_at(x);
		if (i < 0 || !D.night[i]) {
			x++;
			continue;
		}
		int x0 = x;
		while (x < D.plot_w && (i = ring_at(x)) >= 0 && D.night[i])
			x++;
		fb_fill(D.plot_x + x0, y, x - x0, h, C_NIGHT);
	}
	for (x = 1; x < D.plot_w; x++) {
		if (ring_at(x - 1) < 0)
			continue;
		uint64_t age = (uint64_t)(D.plot_w - 1 - x) * D.sample_every;
		if (age + D.sample_every > D.last_sample_tick)
			continue;
		uint64_t t = D.last_sample_tick - age;
		if (t / 86400 != (t - D.sample_every) / 86400 || t % 86400 == 0)
			fb_fill(D.plot_x + x, y, 1, h, C_GRID);
	}
}

static void draw_chart(struct chart *c, int y, int h)
{
	char t[64];
	int lo = c->lo, hi = c->hi;

	fb_fill(D.lx, y, D.label_w, h, C_BG);
	fb_text(D.lx + D.fw / 2, y + 2, c->label, C_DIM, FB_CLEAR);
	/* Current values, one per series in its colour, under the label while there is room. */
	int ly = y + 2 + D.fh, lxx = D.lx + D.fw / 2;
	for (int s = 0; s < MAXSERIES && c->s[s].name; s++) {
		if (c->s[s].slot < 0)
			continue;
		t[0] = 0;
		add_value(t, sizeof t, c, get(c->s[s].slot));
		int w = ((int)anima_strlen(t) + 1) * D.fw;
		if (lxx + w > D.lx + D.label_w) {
			lxx = D.lx + D.fw / 2;
			ly += D.fh;
		}
		if (ly + D.fh > y + h)
			break;
		fb_text(lxx, ly, t, c->s[s].color, FB_CLEAR);
		lxx += w;
	}
	if (lo == hi) { /* autoscale over what is shown, at least `span` wide */
		int first = 1;
		for (uint32_t k = 0; k < D.count; k++)
			for (int s = 0; s < MAXSERIES && c->s[s].name; s++) {
				if (c->s[s].slot < 0)
					continue;
				int32_t v = D.ring[c - charts][s][k];
				if (first || v < lo)
					lo = v;
				if (first || v > hi)
					hi = v;
				first = 0;
			}
		if (hi - lo < c->span) {
			int mid = lo / 2 + hi / 2;
			lo = mid - c->span / 2;
			hi = lo + c->span;
		}
	}
	draw_plot_background(y, h);
	/* Scale marks: the top and bottom of the range, inside the plot. */
	t[0] = 0;
	add_value(t, sizeof t, c, hi);
	fb_text(D.plot_x + D.plot_w - ((int)anima_strlen(t) + 1) * D.fw, y + 1, t, C_GRID + 0x303030u, FB_CLEAR);
	t[0] = 0;
	add_value(t, sizeof t, c, lo);
	fb_text(D.plot_x + D.plot_w - ((int)anima_strlen(t) + 1) * D.fw, y + h - D.fh - 1, t, C_GRID + 0x303030u,
		FB_CLEAR);
	for (int s = 0; s < MAXSERIES && c->s[s].name; s++) {
		if (c->s[s].slot < 0)
			continue;
		int py = -1;
		for (int x = 0; x < D.plot_w; x++) {
			int i = ring_at(x);
			if (i < 0)
				continue;
			int vy = value_y(D.ring[c - charts][s][i], lo, hi, y + 1, h - 2);
			/* A vertical segment from the previous column's value keeps steep changes connected. */
			int a = py < 0 ? vy : py, b = vy;
			if (a > b) {
				int tmp = a;
				a = b;
				b = tmp;
			}
			fb_fill(D.plot_x + x, a, 1, b - a + 1, c->s[s].color);
			py = vy;
		}
	}
}

static void draw_hypnogram(void)
{
	int y = D.hyp_y, h = D.hyp_h, top = y + D.fh + 2, ph = h - D.fh - 4, row = ph / 5;
	static const char *const rows[] = {"W", "REM", "N1", "N2", "N3"};

	fb_fill(D.lx, y, D.lw, h, C_BG);
	fb_text(D.lx + D.fw / 2, y + 1, "hypnogram, last 48 h (shaded: lights off)", C_DIM, FB_CLEAR);
	fb_fill(D.lx, top, D.label_w, ph, C_BG);
	for (int r = 0; r < 5; r++)
		fb_text(D.lx + D.label_w - 5 * D.fw, top + r * row + (row - D.fh) / 2, rows[r], C_DIM, FB_CLEAR);
	fb_fill(D.plot_x, top, D.plot_w, ph, C_PANEL);
	if (!D.hyp_count || D.stage_slot < 0)
		return;
	int prev = -1;
	for (int x = 0; x < D.plot_w; x++) {
		/* Column x covers minutes [x*N/w, (x+1)*N/w) of the 48 h window, the newest at the right edge. */
		uint32_t m = (uint32_t)((uint64_t)x * HYPNO_MIN / (uint32_t)D.plot_w);
		if (m < HYPNO_MIN - D.hyp_count) {
			prev = -1;
			continue;
		}
		uint32_t i = (D.hyp_head + m) % HYPNO_MIN; /* the oldest sample sits at hyp_head when full */
		uint8_t v = D.hyp[i];
		int st = v & 7, lvl = stage_level[st];
		if (v & 8)
			fb_fill(D.plot_x + x, top, 1, ph, C_NIGHT);
		int yy = top + lvl * row + row / 2 - 2;
		if (prev >= 0 && prev != yy) {
			int a = prev < yy ? prev : yy, b = prev < yy ? yy : prev;
			fb_fill(D.plot_x + x, a, 1, b - a + 4, C_GRID + 0x202020u);
		}
		fb_fill(D.plot_x + x, yy, 1, 4, stage_colors[st]);
		prev = yy;
	}
}

/* Does subsystem s start a block (the first of its group in catalogue order)? */
static int block_start(uint32_t s)
{
	return s == 0 || anima_subsystems[s].group != anima_subsystems[s - 1].group;
}

static void draw_tiles(void)
{
	if (!D.drawn_once) { /* the title, the group labels and the separators do not change */
		char t[128] = "subsystems (";
		str_add_u64(t, sizeof t, ANIMA_NSUBSYSTEMS);
		str_add(t, sizeof t, ") in ");
		str_add_u64(t, sizeof t, ANIMA_NGROUPS);
		str_add(t, sizeof t, " groups: activity since the last redraw");
		fb_fill(D.rx, D.hdr_h, D.rw, D.ev_y - D.hdr_h, C_BG);
		fb_text_n(D.rx, D.tile_y - D.fh - 2, t, (size_t)(D.rw / D.fw), C_DIM, FB_CLEAR);
		for (uint32_t s = 0; s < ANIMA_NSUBSYSTEMS; s++) {
			if (!block_start(s))
				continue;
			if (s > 0) /* a line in the gap above each block but the first */
				fb_fill(D.rx, D.tile_yy[s] - 2, D.rw, 1, C_GRID);
			if (D.label_chars > 0 && anima_subsystems[s].group < ANIMA_NGROUPS) {
				int ly = D.tile_yy[s] + (D.tile_h > D.fh ? (D.tile_h - 2 - D.fh) / 2 : 0);
				fb_text_n(D.rx, ly, anima_group_names[anima_subsystems[s].group], (size_t)D.label_chars,
					  C_DIM, FB_CLEAR);
			}
		}
	}
	for (uint32_t s = 0; s < ANIMA_NSUBSYSTEMS; s++) {
		uint32_t bg = heat(D.sub_act[s]);
		if (D.drawn_once && bg == D.tile_rgb[s])
			continue;
		D.tile_rgb[s] = bg;
		int x = D.tile_x[s], y = D.tile_yy[s];
		fb_fill(x, y, D.tile_w - 2, D.tile_h - 2, bg);
		if (D.tile_chars > 0)
			fb_text_n(x + 2, y + (D.tile_h - 2 - D.fh) / 2, anima_subsystem_name(s), (size_t)D.tile_chars,
				  ink_on(bg), FB_CLEAR);
	}
}

static void draw_events(void)
{
	int y = D.ev_y;
	int chars = (D.rw - D.fw) / D.fw;

	/* The pane is large and mostly still: drawn only when there is something new. */
	if (D.drawn_once && D.ev_drawn == D.ev_version)
		return;
	D.ev_drawn = D.ev_version;
	fb_fill(D.rx, y, D.rw, D.H - y, C_BG);
	fb_text(D.rx, y, "events (newest first)", C_DIM, FB_CLEAR);
	y += D.fh + 4;
	for (uint32_t k = 0; k < D.ev_count && k < (uint32_t)D.ev_lines; k++) {
		const char *e = D.ev[(D.ev_head + NEVENTS - 1 - k) % NEVENTS];
		uint32_t col = C_TEXT;
		const char *body = e;
		while (*body && !(body[0] == ' ' && body[1] == ' '))
			body++;
		body += *body ? 2 : 0;
		if (anima_starts(body, "death") || anima_starts(body, "panic"))
			col = C_RED;
		else if (anima_starts(body, "stimulus"))
			col = 0x88c0d0u;
		else if (anima_starts(body, "illness"))
			col = 0xd08770u;
		else if (anima_starts(body, "recovered"))
			col = 0xa3be8cu;
		else if (anima_starts(body, "end"))
			col = 0xebcb8bu;
		fb_text_n(D.rx, y, e, (size_t)chars, col, FB_CLEAR);
		y += D.fh;
	}
}

static void draw(void)
{
	uint64_t t0 = D.hz ? timer_now() : 0;
	int y = D.chart_y, n = 0, k = 0;

	activity();
	draw_header();
	for (uint32_t c = 0; c < NCHARTS; c++)
		n += charts[c].present;
	for (uint32_t c = 0; c < NCHARTS; c++) {
		if (!charts[c].present)
			continue;
		int y1 = D.chart_y + (k + 1) * D.chart_h / n;
		draw_chart(&charts[c], y, y1 - y - 3);
		fb_fill(D.lx, y1 - 3, D.lw, 3, C_BG);
		y = y1;
		k++;
	}
	if (n == 0)
		fb_fill(D.lx, D.chart_y, D.lw, D.chart_h, C_BG);
	draw_hypnogram();
	draw_tiles();
	draw_events();
	if (!D.drawn_once) {
		fb_fill(D.lx + D.lw, D.hdr_h, D.rx - D.lx - D.lw, D.H - D.hdr_h, C_BG);
		fb_fill(D.rx + D.rw, D.hdr_h, D.W - D.rx - D.rw, D.H - D.hdr_h, C_BG);
		fb_fill(D.lx, D.hdr_h, D.lw, D.chart_y - D.hdr_h, C_BG);
		fb_fill(D.lx, D.hyp_y - 4, D.lw, 4, C_BG);
		fb_fill(D.lx, D.hyp_y + D.hyp_h, D.lw, D.H - D.hyp_y - D.hyp_h, C_BG);
		D.drawn_once = 1;
	}
	D.pixels += fb_flush();
	if (D.hz) {
		uint64_t dt = timer_now() - t0;
		D.draw_cost = dt * 1000 / D.hz;
		D.draw_total += dt;
	}
}

/* ---- the hooks ---- */

/* A redraw at wall time `now` (clock ticks), with the rate measured since the last one. */
static void redraw(uint64_t now, uint64_t tick)
{
	uint64_t dt = now - D.last_draw_time;
	D.tps = (tick - D.last_draw_tick) * D.hz / (dt ? dt : 1);
	D.last_draw_time = now;
	D.last_draw_tick = tick;
	draw();
}

static int dash_poll(void *ctx, uint64_t tick, uint32_t *id, int32_t *value)
{
	D.tick = tick;
	/* One comparison per tick; a division (slow under TCG) only when a sample is due. */
	if (tick >= D.next_sample) {
		if (tick % D.sample_every == 0 && tick != D.last_sample_tick)
			sample(tick);
		D.next_sample = tick - tick % D.sample_every + D.sample_every;
	}
	if (tick >= D.next_minute) {
		if (tick % 60 == 0) {
			sample_hypno();
			watch();
		}
		D.next_minute = tick - tick % 60 + 60;
	}
	if (!D.hz) {
		if (tick % NOCLOCK_EVERY == 0)
			draw();
	} else if (++D.polls >= D.check_every) {
		/* Reading the clock costs an I/O exit under QEMU when it is the PM timer: look at it only about
		 * every 8 ms of wall time, however fast the ticks come, by adapting how many polls to skip. */
		uint64_t now = timer_now(), since = now - D.last_check;
		D.polls = 0;
		D.last_check = now;
		if (since < D.hz / 256 && D.check_every < 65536)
			D.check_every *= 2;
		else if (since > D.hz / 64 && D.check_every > 1)
			D.check_every /= 2;
		if (now - D.last_draw_time >= D.hz / (D.speed ? RATE_PACED : RATE_MAX))
			redraw(now, tick);
	}
	return D.inner.poll ? D.inner.poll(ctx, tick, id, value) : 0;
}

void dashboard_idle(void)
{
	if (!D.on)
		return;
	if (!D.hz) { /* no clock: once for each new line (the pause, a speed), not in a loop */
		if (D.ev_drawn != D.ev_version)
			draw();
		return;
	}
	uint64_t now = timer_now();
	if (now - D.last_draw_time >= D.hz / RATE_PACED)
		redraw(now, D.tick);
}

/* The height the tiles take with tiles of w x h pixels and a label column of `group_w` pixels: one block of
 * rows per group, at least a text line high when labelled, 3 pixels between blocks. Places the tiles when
 * `place` (tile_* and label_* set by the caller). */
static int tiles_height(int w, int h, int group_w, int labelled, int place)
{
	int cols = (D.rw - group_w) / w, y = 0;
	if (cols < 1)
		return 1 << 30;
	for (uint32_t s = 0; s < ANIMA_NSUBSYSTEMS;) {
		uint32_t e = s + 1;
		while (e < ANIMA_NSUBSYSTEMS && !block_start(e))
			e++;
		int rows = (int)(e - s + (uint32_t)cols - 1) / cols, bh = rows * h;
		if (labelled && bh < D.fh)
			bh = D.fh;
		if (place)
			for (uint32_t k = s; k < e; k++) {
				D.tile_x[k] = (uint16_t)(D.rx + group_w + (int)((k - s) % (uint32_t)cols) * w);
				D.tile_yy[k] = (uint16_t)(D.tile_y + y + (int)((k - s) / (uint32_t)cols) * h);
			}
		y += bh + 3;
		s = e;
	}
	return y;
}

/* The largest tiles that fit above room for ~12 event lines (else ~5): named tiles with group labels
 * first, then plain squares with labels, then squares with only the separator lines; at worst the smallest
 * squares, whatever is cut off at the bottom. */
static void tile_layout(void)
{
	static const int squares[] = {0, 8, 6, 4, 3}; /* 0: a glyph width + 4 */
	int longest = 0;

	for (uint32_t g = 0; g < ANIMA_NGROUPS; g++) {
		int n = (int)anima_strlen(anima_group_names[g]);
		longest = n > longest ? n : longest;
	}
	if (longest > 11)
		longest = 11;
	if ((longest + 1) * D.fw > D.rw / 3)
		longest = D.rw / 3 / D.fw - 1;
	D.tile_y = D.hdr_h + D.fh + 8;
	for (int pass = 0; pass < 2; pass++) {
		int room = D.H - D.tile_y - D.fh * (pass ? 6 : 13);
		for (int labelled = 1; labelled >= 0; labelled--) {
			if (labelled && longest < 3)
				continue;
			int lw = labelled ? (longest + 1) * D.fw : 0;
			for (int i = 0; i < 8 + 5; i++) {
				int chars = i < 8 ? 8 - i : 0;
				int w = chars ? chars * D.fw + 6 : squares[i - 8] ? squares[i - 8] : D.fw + 4;
				int h = chars ? D.fh + 6 : w;
				if (tiles_height(w, h, lw, labelled, 0) <= room) {
					D.tile_w = w;
					D.tile_h = h;
					D.tile_chars = chars;
					D.label_chars = labelled ? longest : 0;
					D.group_w = lw;
					goto found;
				}
			}
		}
	}
	D.tile_w = D.tile_h = 3;
	D.tile_chars = D.label_chars = D.group_w = 0;
found:
	D.ev_y = D.tile_y + tiles_height(D.tile_w, D.tile_h, D.group_w, D.label_chars > 0, 1) + D.fh;
	if (D.ev_y > D.H - D.fh)
		D.ev_y = D.H - D.fh;
}

static void layout(void)
{
	D.W = (int)fb_width();
	D.H = (int)fb_height();
	D.fw = (int)fb_font_w();
	D.fh = (int)fb_font_h();
	D.hdr_h = D.fh + 8;
	D.lx = 0;
	D.lw = D.W * 62 / 100;
	D.rx = D.lw + D.fw * 2;
	D.rw = D.W - D.rx - D.fw;
	D.label_w = D.fw * 16;
	D.plot_x = D.lx + D.label_w;
	D.plot_w = D.lw - D.label_w - D.fw;
	if (D.plot_w > MAXCOLS)
		D.plot_w = MAXCOLS;
	if (D.plot_w < 16)
		D.plot_w = 16;
	D.hyp_h = D.H / 6 > D.fh * 7 ? D.H / 6 : D.fh * 7;
	D.hyp_y = D.H - D.hyp_h - 2;
	D.chart_y = D.hdr_h + 4;
	D.chart_h = D.hyp_y - 4 - D.chart_y;
	/* 24 simulated hours across the plot. */
	D.sample_every = (86400 + (uint64_t)D.plot_w - 1) / (uint64_t)D.plot_w;

	tile_layout();
	D.ev_lines = (D.H - D.ev_y - D.fh - 4) / D.fh;
	if (D.ev_lines > NEVENTS)
		D.ev_lines = NEVENTS;
	if (D.ev_lines < 0)
		D.ev_lines = 0;
}

void dashboard_init(EFI_SYSTEM_TABLE *st, const struct anima_sim *sim, const struct anima_options *o)
{
	struct gop_info g;
	char why[96], line[160] = "# anima: screen ";

	if (gop_init(st, &g, why, sizeof why) != 0 || fb_init(st, &g, why, sizeof why) != 0) {
		str_add(line, sizeof line, "none (");
		str_add(line, sizeof line, why);
		str_add(line, sizeof line, "): COM1 only");
		say(line);
		return;
	}
	D.on = 1;
	D.sim = sim;
	D.seed = sim->seed;
	D.speed = o->speed;
	D.at_bol = 1;
	D.tick = sim->tick;
	for (uint32_t c = 0; c < NCHARTS; c++)
		for (int s = 0; s < MAXSERIES && charts[c].s[s].name; s++) {
			charts[c].s[s].slot = find_slot(charts[c].s[s].name);
			if (charts[c].s[s].slot >= 0)
				charts[c].present = 1;
		}
	D.stage_slot = find_slot("sleep.stage");
	D.light_slot = find_slot("env.light");
	D.health_slot = find_slot("life.health");
	D.alive_slot = find_slot("life.alive");
	D.pathogen_slot = find_slot("immune.pathogen");
	D.pci_slot = find_slot("consciousness.pci");
	for (uint32_t k = 0; k < ANIMA_NVARS; k++)
		D.prev[k] = sim->state[anima_trace_slots[k]];
	layout();
	str_add_u64(line, sizeof line, g.width);
	str_add(line, sizeof line, "x");
	str_add_u64(line, sizeof line, g.height);
	str_add(line, sizeof line, " ");
	str_add(line, sizeof line, g.format);
	str_add(line, sizeof line, " stride=");
	str_add_u64(line, sizeof line, g.stride);
	str_add(line, sizeof line, " fb=");
	str_add_hex(line, sizeof line, g.base);
	str_add(line, sizeof line, " gop=");
	str_add(line, sizeof line, g.source);
	str_add(line, sizeof line, g.mode_changed ? " mode=set" : " mode=kept");
	str_add(line, sizeof line, " font_scale=");
	str_add_u64(line, sizeof line, fb_font_scale());
	say(line);
}

void dashboard_attach(struct anima_platform *p)
{
	if (!D.on)
		return;
	D.inner = *p;
	D.hz = timer_hz();
	D.check_every = 1;
	D.last_check = D.last_draw_time = D.start_time = D.hz ? timer_now() : 0;
	D.last_draw_tick = D.tick;
	D.last_sample_tick = UINT64_MAX;
	sample(D.tick);
	sample_hypno();
	draw();
	p->write = tee_write;
	p->poll = dash_poll;
}

/* Safe in an exception handler: no allocation; one band of the screen filled, at most a screen width of
 * text, and a flush of the rows drawn since the last one. Successive lines stack down the screen (a panic's
 * report), the last band reused when the screen is full. */
void dashboard_message(const char *line)
{
	static int n;
	if (!D.on)
		return;
	int h = D.fh + 4, y = n * h;
	if (y + h > D.H)
		y = (D.H / h - 1) * h;
	else
		n++;
	fb_fill(0, y, D.W, h, 0x600000u);
	fb_text_n(D.fw, y + 2, line, (size_t)((D.W - 2 * D.fw) / D.fw), 0xffffffu, FB_CLEAR);
	fb_flush();
}
