/* core/run.c - the run loop shared by anima-sim and anima.efi: stimuli, rows, comments, the end line. */
#include "anima.h"
#include "util.h"

#define OUT_CAP 65536

struct out {
	void (*write)(void *ctx, const char *bytes, size_t n);
	void *ctx;
	size_t len;
	char buf[OUT_CAP];
};

static void out_flush(struct out *o)
{
	if (o->len)
		o->write(o->ctx, o->buf, o->len);
	o->len = 0;
}

static void out_room(struct out *o, size_t n)
{
	if (o->len + n > OUT_CAP)
		out_flush(o);
}

static void out_bytes(struct out *o, const char *s, size_t n);

static void out_str(struct out *o, const char *s)
{
	out_bytes(o, s, anima_strlen(s));
}

static void out_bytes(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		out_room(o, 1);
		o->buf[o->len++] = s[i];
	}
}

static void out_u64(struct out *o, uint64_t v)
{
	out_room(o, 24);
	o->len += anima_fmt_u64(o->buf + o->len, v);
}

static void out_i64(struct out *o, int64_t v)
{
	out_room(o, 24);
	o->len += anima_fmt_i64(o->buf + o->len, v);
}

/* The columns of this run (--columns): state slots in catalogue order, and how many. */
static uint32_t col_slots[ANIMA_NVARS];
static uint32_t ncols;

/* The header line and the column slots: every column, or those matching --columns (tick always first). */
static void write_header(struct out *o, const struct anima_options *opt, int header)
{
	struct anima_column c = {0};
	anima_column_next(&c); /* "tick" */
	ncols = 0;
	if (header)
		out_str(o, "tick");
	while (anima_column_next(&c) && ncols < ANIMA_NVARS) {
		if (opt->columns && !anima_column_selected(opt->columns, &c))
			continue;
		col_slots[ncols++] = (uint32_t)c.slot;
		if (header) {
			out_str(o, ",");
			out_bytes(o, c.name, c.len);
		}
	}
	if (header)
		out_str(o, "\n");
}

static void write_row(struct out *o, const struct anima_sim *sim)
{
	out_u64(o, sim->tick);
	for (uint32_t k = 0; k < ncols; k++) {
		out_room(o, 13);
		o->buf[o->len++] = ',';
		o->len += anima_fmt_i64(o->buf + o->len, sim->state[col_slots[k]]);
	}
	out_room(o, 1);
	o->buf[o->len++] = '\n';
}

/* `# anima: stimulus T:name=value`, the --stimulus form, so a live session can be replayed by anima-sim. */
static void apply_stimulus(struct out *o, struct anima_sim *sim, uint32_t id, int32_t value)
{
	const struct anima_stim_desc *d = &anima_stimuli[id];
	out_str(o, "# anima: stimulus ");
	out_u64(o, sim->tick);
	out_str(o, ":");
	out_str(o, d->name);
	out_str(o, "=");
	if (d->has_auto && value == d->auto_value)
		out_str(o, "auto");
	else
		out_i64(o, value);
	out_str(o, "\n");
	anima_sim_stimulus(sim, id, value);
}

/* The summary's sample: every observable, from the state (not from the row, which --columns may thin). */
static int32_t obs_slots[ANIMA_SUMMARY_NOBS];

static void summarize(struct anima_summary *s, const struct anima_sim *sim)
{
	int32_t v[ANIMA_SUMMARY_NOBS];
	for (int k = 0; k < ANIMA_SUMMARY_NOBS; k++)
		v[k] = obs_slots[k] >= 0 ? sim->state[obs_slots[k]] : 0;
	anima_summary_sample(s, sim->tick, v);
}

static const char *const reason_names[] = {"none", "ticks", "death", "command"};

#define LIVE_MAX 16 /* live stimuli taken in one tick; more wait for the next */

enum anima_end_reason anima_run(struct anima_sim *sim, const struct anima_options *opt,
				const struct anima_platform *p, int header)
{
	static struct out o;  /* 64 KiB: too big for a firmware stack */
	static struct out ev; /* the '#' lines, when the platform takes them apart (--events) */
	struct out *c = p->comment ? &ev : &o;
	enum anima_end_reason reason = ANIMA_END_TICKS;
	uint64_t every = opt->every ? opt->every : 1;
	uint64_t start = sim->tick;
	uint64_t end = opt->ticks > UINT64_MAX - start ? UINT64_MAX : start + opt->ticks;
	/* Ticks until the next row (rows at the ticks divisible by every): counted down, not a division a tick. */
	uint64_t row_in = every - start % every;
	size_t next_stim = 0;
	uint32_t live_id[LIVE_MAX];
	int32_t live_value[LIVE_MAX];
	unsigned nlive = 0;
	const uint32_t nstimuli = ANIMA_NSTIMULI; /* may be 0 */

	o.write = p->write;
	o.ctx = p->ctx;
	o.len = 0;
	ev.write = p->comment;
	ev.ctx = p->ctx;
	ev.len = 0;
	/* Stimuli at or before a resumed tick already acted on the checkpointed state. */
	while (next_stim < opt->nstimuli && (opt->stimuli[next_stim].tick < start ||
					     (start > 0 && opt->stimuli[next_stim].tick == start)))
		next_stim++;
	write_header(&o, opt, header);
	if (p->summary)
		anima_summary_slots(obs_slots);
	if (start == 0) {
		while (next_stim < opt->nstimuli && opt->stimuli[next_stim].tick == 0) {
			apply_stimulus(c, sim, opt->stimuli[next_stim].id, opt->stimuli[next_stim].value);
			next_stim++;
		}
		write_row(&o, sim);
		if (p->summary)
			summarize(p->summary, sim);
	}
	if (!anima_sim_alive(sim))
		reason = ANIMA_END_DEATH;
	while (reason == ANIMA_END_TICKS && sim->tick < end) {
		if (p->poll) {
			uint32_t id;
			out_flush(&o); /* what the platform writes itself must land after the rows it follows */
			int32_t value;
			int r;
			/* At most LIVE_MAX live stimuli a tick: poll is not asked for more, so the platform keeps the
			 * rest for the next tick (nothing is dropped; each is logged at the tick it acts). */
			while (nlive < LIVE_MAX && (r = p->poll(p->ctx, sim->tick, &id, &value)) != 0) {
				if (r == 2) {
					reason = ANIMA_END_COMMAND;
					goto done;
				}
				if (id < nstimuli) {
					live_id[nlive] = id;
					live_value[nlive++] = value;
				} else {
					out_str(c, "# anima: live stimulus refused: no stimulus number ");
					out_u64(c, id);
					out_str(c, "\n");
				}
				out_flush(&o);
			}
		}
		if (opt->speed && p->pace) {
			out_flush(&o);
			p->pace(p->ctx, sim->tick + 1, opt->speed);
		}
		anima_sim_step(sim);
		while (next_stim < opt->nstimuli && opt->stimuli[next_stim].tick == sim->tick) {
			apply_stimulus(c, sim, opt->stimuli[next_stim].id, opt->stimuli[next_stim].value);
			next_stim++;
		}
		for (unsigned k = 0; k < nlive; k++)
			apply_stimulus(c, sim, live_id[k], live_value[k]);
		nlive = 0;
		int dead = !anima_sim_alive(sim);
		if (--row_in == 0) {
			row_in = every;
			write_row(&o, sim);
			if (p->summary)
				summarize(p->summary, sim);
		}
		if (dead) {
			out_str(c, "# anima: death tick=");
			out_u64(c, sim->tick);
			out_str(c, " cause=");
			out_str(c, anima_sim_cause(sim));
			out_str(c, "\n");
			reason = ANIMA_END_DEATH;
			break;
		}
	}
done:
	out_str(c, "# anima: end tick=");
	out_u64(c, sim->tick);
	out_str(c, " reason=");
	out_str(c, reason_names[reason]);
	out_str(c, "\n");
	out_flush(&o);
	out_flush(&ev);
	return reason;
}
