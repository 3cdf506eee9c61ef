/* core/summary.c - the summary of a run: its nights (sleep onset, wake, stages, cycles, temperature minimum)
 * and the daily means of the main observables, computed from the samples as they come.
 *
 * This is the one definition of these numbers (docs/options.md, "Summary"): `anima-sim --summary` feeds it
 * the samples of the run (the rows at ticks divisible by --every, whatever --columns shows), `anima-sim
 * --summarize TRACE` the rows of a trace or a COM1 log, and tools/anima-report and tools/anima-sweep read its
 * JSON. Nothing of the trace is stored: a sample is held until the next one says how long it stood, a sleep
 * episode until it can no longer grow, a night until its episodes are final. Integers only.
 *
 * Definitions (those of the report before, unchanged):
 *  - a sample stands for the seconds up to the next sample (the last one: the sampling step);
 *  - a sleep episode is a run of sleep samples (stage 1..4) with awakenings of at most WAKE_GAP between them;
 *    onset is its first sleep sample's tick, wake the tick of the first wake sample after its last sleep
 *    sample (the end of the samples when it is still asleep);
 *  - a cycle is a REM period (REM samples less than REM_MERGE apart belong to one) that follows at least
 *    MIN_NREM of NREM (N1..N3) since the previous REM period;
 *  - night d is the window from noon of day d to noon of day d+1; its main sleep is the longest episode
 *    whose onset lies in it (the earlier one on a tie), the others are naps; its temperature minimum and
 *    cortisol peak are the first lowest body.temp and first highest cortisol.level sample inside it;
 *  - day d is midnight to midnight; its means are the plain means of its samples.
 */
#include "anima.h"
#include "util.h"

#define DAY 86400
#define NOON 43200
#define WAKE_GAP (30 * 60)
#define REM_MERGE (15 * 60)
#define MIN_NREM (15 * 60)

const char *const anima_summary_observables[ANIMA_SUMMARY_NOBS] = {
	"env.light",	  "circadian.phase",	 "sleep.stage",	       "sleep.pressure",      "melatonin.level",
	"cortisol.level", "body.temp",		 "heart.rate",	       "eeg.delta",	      "eeg.theta",
	"eeg.alpha",	  "eeg.beta",		 "eeg.gamma",	       "metabolism.glucose",  "metabolism.reserve",
	"drive.hunger",	  "immune.pathogen",	 "immune.inflammation", "affect.valence",      "affect.arousal",
	"life.health",	  "life.alive",		 "mortality.awareness", "consciousness.pci",
};

enum { OBS_STAGE = 2, OBS_CORTISOL = 5, OBS_TEMP = 6 };

static int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

static void emit(struct anima_summary *s, int kind, struct anima_str *j)
{
	s->emit(s->ctx, kind, j->buf, j->len);
	j->len = 0;
	if (j->cap)
		j->buf[0] = 0;
}

static void add_key(struct anima_str *j, const char *key)
{
	anima_str_add(j, "\"");
	anima_str_add(j, key);
	anima_str_add(j, "\":");
}

static void add_u(struct anima_str *j, const char *key, uint64_t v)
{
	add_key(j, key);
	anima_str_u64(j, v);
	anima_str_add(j, ",");
}

static void add_i(struct anima_str *j, const char *key, int64_t v)
{
	add_key(j, key);
	anima_str_i64(j, v);
	anima_str_add(j, ",");
}

static void add_null(struct anima_str *j, const char *key)
{
	add_key(j, key);
	anima_str_add(j, "null,");
}

/* Seconds as whole minutes, rounded half up. */
static uint64_t minutes(uint64_t seconds) { return (seconds + 30) / 60; }

/* A mean sum/n with two decimals, rounded half away from zero, as a JSON number. */
static void add_mean(struct anima_str *j, int64_t sum, uint64_t n)
{
	int neg = sum < 0;
	uint64_t a = neg ? (uint64_t)0 - (uint64_t)sum : (uint64_t)sum;
	uint64_t hundredths = (a * 200 / n + 1) / 2;
	char frac[3] = {(char)('0' + hundredths % 100 / 10), (char)('0' + hundredths % 10), 0};
	if (neg && hundredths)
		anima_str_add(j, "-");
	anima_str_u64(j, hundredths / 100);
	anima_str_add(j, ".");
	anima_str_add(j, frac);
}

static void trim_comma(struct anima_str *j)
{
	if (j->len && j->buf[j->len - 1] == ',')
		j->buf[--j->len] = 0;
}

void anima_summary_init(struct anima_summary *s, const int *present, void (*emit_fn)(void *, int, const char *, size_t),
			void *ctx)
{
	char *p = (char *)s;
	for (size_t i = 0; i < sizeof *s; i++)
		p[i] = 0;
	for (int k = 0; k < ANIMA_SUMMARY_NOBS; k++)
		s->present[k] = present[k];
	s->emit = emit_fn;
	s->ctx = ctx;
}

static struct anima_summary_night *night_of(struct anima_summary *s, int64_t day)
{
	for (unsigned k = 0; k < s->nnights; k++)
		if (s->nights[k].day == day)
			return &s->nights[k];
	return 0;
}

static void write_night(struct anima_summary *s, const struct anima_summary_night *n)
{
	char buf[1024];
	struct anima_str j = {buf, sizeof buf, 0};
	const struct anima_summary_episode *e = &n->main;
	anima_str_add(&j, s->nights_written++ ? ",{" : "{");
	add_i(&j, "night", n->day);
	if (n->has_main) {
		add_u(&j, "onset", e->onset);
		add_u(&j, "wake", e->wake);
		add_u(&j, "duration_min", minutes(e->wake - e->onset));
		add_u(&j, "asleep_min", minutes(e->stage_s[1] + e->stage_s[2] + e->stage_s[3] + e->stage_s[4]));
		add_u(&j, "n1_min", minutes(e->stage_s[1]));
		add_u(&j, "n2_min", minutes(e->stage_s[2]));
		add_u(&j, "n3_min", minutes(e->stage_s[3]));
		add_u(&j, "rem_min", minutes(e->stage_s[4]));
		add_u(&j, "cycles", e->cycles);
		add_key(&j, "began_before");
		anima_str_add(&j, e->began_before ? "true," : "false,");
		add_key(&j, "ended_after");
		anima_str_add(&j, e->ended_after ? "true," : "false,");
	} else {
		static const char *const keys[] = {"onset", "wake", "duration_min", "asleep_min", "n1_min", "n2_min",
						   "n3_min", "rem_min", "cycles", "began_before", "ended_after"};
		for (unsigned k = 0; k < sizeof keys / sizeof keys[0]; k++)
			add_null(&j, keys[k]);
	}
	add_u(&j, "naps", n->others);
	if (n->has_temp) {
		add_i(&j, "temp_min", n->temp_min);
		add_u(&j, "temp_min_tick", n->temp_min_tick);
	} else {
		add_null(&j, "temp_min");
		add_null(&j, "temp_min_tick");
	}
	if (n->has_cortisol) {
		add_i(&j, "cortisol_peak", n->cortisol_peak);
		add_u(&j, "cortisol_peak_tick", n->cortisol_peak_tick);
	} else {
		add_null(&j, "cortisol_peak");
		add_null(&j, "cortisol_peak_tick");
	}
	add_u(&j, "covered_from", n->covered_from);
	add_u(&j, "covered_to", n->covered_to);
	trim_comma(&j);
	anima_str_add(&j, "}");
	emit(s, ANIMA_SUMMARY_NIGHT, &j);
}

/* Emits the nights, oldest first, that nothing can change any more: their window is over (samples have
 * reached `now`) and no unfinished episode began in it. */
static void flush_nights(struct anima_summary *s, uint64_t now, int all)
{
	unsigned done = 0;
	while (done < s->nnights) {
		struct anima_summary_night *n = &s->nights[done];
		int64_t w1 = n->day * DAY + NOON + DAY;
		if (!all && ((int64_t)now < w1 || (s->ep_state && (int64_t)s->ep.onset < w1)))
			break;
		write_night(s, n);
		done++;
	}
	for (unsigned k = done; k < s->nnights; k++)
		s->nights[k - done] = s->nights[k];
	s->nnights -= done;
}

static void finish_episode(struct anima_summary *s)
{
	struct anima_summary_night *n = night_of(s, floor_div((int64_t)s->ep.onset - NOON, DAY));
	s->ep_state = 0;
	if (!n)
		return; /* cannot happen: the onset's sample opened its night */
	if (!n->has_main) {
		n->main = s->ep;
		n->has_main = 1;
	} else if (s->ep.wake - s->ep.onset > n->main.wake - n->main.onset) {
		n->main = s->ep;
		n->others++;
	} else {
		n->others++;
	}
}

static void write_day(struct anima_summary *s)
{
	char buf[2048];
	struct anima_str j = {buf, sizeof buf, 0};
	anima_str_add(&j, s->days_written++ ? ",{" : "{");
	add_i(&j, "day", s->day);
	add_u(&j, "samples", s->day_samples);
	add_u(&j, "asleep_min", minutes(s->day_asleep_s));
	for (int k = 0; k < ANIMA_SUMMARY_NOBS; k++) {
		if (!s->present[k])
			continue;
		add_key(&j, anima_summary_observables[k]);
		add_mean(&j, s->day_sum[k], s->day_samples);
		anima_str_add(&j, ",");
	}
	trim_comma(&j);
	anima_str_add(&j, "}");
	emit(s, ANIMA_SUMMARY_DAY, &j);
	s->day_samples = 0;
	s->day_asleep_s = 0;
	for (int k = 0; k < ANIMA_SUMMARY_NOBS; k++)
		s->day_sum[k] = 0;
}

/* The held sample, now that its duration is known. */
static void take(struct anima_summary *s, uint64_t dur)
{
	uint64_t t = s->held_tick;
	const int32_t *v = s->held;
	int64_t day = (int64_t)(t / DAY), wday = floor_div((int64_t)t - NOON, DAY);

	/* The calendar day. */
	if (s->day_samples && day != s->day)
		write_day(s);
	s->day = day;
	s->day_samples++;
	for (int k = 0; k < ANIMA_SUMMARY_NOBS; k++)
		s->day_sum[k] += s->present[k] ? v[k] : 0;

	/* The night window it lies in. */
	struct anima_summary_night *n = night_of(s, wday);
	if (!n) {
		if (s->nnights == ANIMA_SUMMARY_OPEN_NIGHTS) /* an episode spanning days: its onset's night waits */
			flush_nights(s, t, 0);
		if (s->nnights == ANIMA_SUMMARY_OPEN_NIGHTS) {
			write_night(s, &s->nights[0]); /* an episode of more than a week: its night is written first */
			for (unsigned k = 1; k < s->nnights; k++)
				s->nights[k - 1] = s->nights[k];
			s->nnights--;
		}
		n = &s->nights[s->nnights++];
		char *p = (char *)n;
		for (size_t i = 0; i < sizeof *n; i++)
			p[i] = 0;
		n->day = wday;
		n->covered_from = t;
	}
	n->covered_to = t + dur < (uint64_t)(wday * DAY + NOON + DAY) ? t + dur : (uint64_t)(wday * DAY + NOON + DAY);
	if (s->present[OBS_TEMP] && (!n->has_temp || v[OBS_TEMP] < n->temp_min)) {
		n->has_temp = 1;
		n->temp_min = v[OBS_TEMP];
		n->temp_min_tick = t;
	}
	if (s->present[OBS_CORTISOL] && (!n->has_cortisol || v[OBS_CORTISOL] > n->cortisol_peak)) {
		n->has_cortisol = 1;
		n->cortisol_peak = v[OBS_CORTISOL];
		n->cortisol_peak_tick = t;
	}

	/* Sleep episodes. */
	if (!s->present[OBS_STAGE])
		goto done;
	int32_t stage = v[OBS_STAGE];
	if (stage >= 1 && stage <= 4) {
		if (s->ep_state == 2 && t - s->ep.wake > WAKE_GAP)
			finish_episode(s);
		if (s->ep_state == 0) {
			struct anima_summary_episode *e = &s->ep;
			char *p = (char *)e;
			for (size_t i = 0; i < sizeof *e; i++)
				p[i] = 0;
			e->onset = t;
			e->began_before = s->samples == 0;
		}
		s->ep_state = 1;
		s->ep.stage_s[stage] += dur;
		s->day_asleep_s += dur;
		if (stage == 4) {
			if (!(s->ep.has_rem && t - s->ep.last_rem_end < REM_MERGE) && s->ep.nrem >= MIN_NREM)
				s->ep.cycles++;
			s->ep.nrem = 0;
			s->ep.has_rem = 1;
			s->ep.last_rem_end = t + dur;
		} else {
			s->ep.nrem += dur;
		}
	} else {
		if (s->ep_state == 1) {
			s->ep_state = 2;
			s->ep.wake = t;
		} else if (s->ep_state == 2 && t - s->ep.wake > WAKE_GAP) {
			finish_episode(s);
		}
	}
done:
	s->samples++;
	flush_nights(s, t + dur, 0);
}

void anima_summary_sample(struct anima_summary *s, uint64_t tick, const int32_t *values)
{
	if (s->has_held) {
		if (tick <= s->held_tick)
			return; /* a resumed log repeating a tick: the first sample stands */
		s->step = tick - s->held_tick;
		take(s, s->step);
	}
	s->held_tick = tick;
	for (int k = 0; k < ANIMA_SUMMARY_NOBS; k++)
		s->held[k] = values[k];
	s->has_held = 1;
}

void anima_summary_finish(struct anima_summary *s, uint64_t step)
{
	if (s->has_held) {
		uint64_t dur = s->step ? s->step : step ? step : 1;
		take(s, dur);
		s->has_held = 0;
		if (s->ep_state == 1) {
			s->ep.wake = s->held_tick + dur;
			s->ep.ended_after = 1;
		}
	}
	if (s->ep_state)
		finish_episode(s);
	flush_nights(s, 0, 1);
	if (s->day_samples)
		write_day(s);
}

void anima_summary_slots(int32_t *slots)
{
	for (int k = 0; k < ANIMA_SUMMARY_NOBS; k++)
		slots[k] = anima_column_slot(anima_summary_observables[k], anima_strlen(anima_summary_observables[k]));
}

void anima_summary_document(const struct anima_summary_head *h, const char *nights, size_t nights_len,
			    const char *days, size_t days_len, void (*write)(void *, const char *, size_t), void *ctx)
{
	char buf[512];
	struct anima_str j = {buf, sizeof buf, 0};
	anima_str_add(&j, "{");
	if (h->has_seed)
		add_u(&j, "seed", h->seed);
	else
		add_null(&j, "seed");
	if (h->has_individual)
		add_u(&j, "individual", h->individual);
	else
		add_null(&j, "individual");
	add_u(&j, "start_tick", h->start_tick);
	add_u(&j, "ticks", h->end_tick - h->start_tick);
	add_u(&j, "end_tick", h->end_tick);
	add_key(&j, "end");
	anima_str_add(&j, "\"");
	anima_str_add(&j, h->end ? h->end : "unknown");
	anima_str_add(&j, "\",");
	add_key(&j, "death");
	if (h->has_death) {
		anima_str_add(&j, "{\"tick\":");
		anima_str_u64(&j, h->death_tick);
		anima_str_add(&j, ",\"cause\":\"");
		anima_str_add(&j, h->cause);
		anima_str_add(&j, "\"},");
	} else {
		anima_str_add(&j, "null,");
	}
	add_u(&j, "every", h->every);
	add_key(&j, "catalogue");
	if (h->catalogue) {
		anima_str_add(&j, "\"");
		anima_str_add(&j, h->catalogue);
		anima_str_add(&j, "\"");
	} else {
		anima_str_add(&j, "null"); /* a trace does not say which catalogue made it */
	}
	anima_str_add(&j, ",\"nights\":[");
	write(ctx, buf, j.len);
	write(ctx, nights, nights_len);
	write(ctx, "],\"days\":[", 10);
	write(ctx, days, days_len);
	write(ctx, "]}\n", 3);
}
