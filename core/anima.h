/* core/anima.h - the facade of the simulation engine.
 *
 * The engine is freestanding C (no libc beyond <stdint.h>/<stddef.h>, no floats, no allocation) and is
 * compiled unchanged into the hosted runner (host/) and the UEFI application (efi/). Everything it needs
 * from the outside world comes through struct anima_platform.
 */
#ifndef ANIMA_CORE_ANIMA_H
#define ANIMA_CORE_ANIMA_H

#include <stddef.h>
#include <stdint.h>

#include "anima_gen.h" /* generated from the catalogue: sizes, tables, step code */

#define ANIMA_ERR_MAX 240
#define ANIMA_MAX_SETS 256 /* distinct parameters one run may --set */

/* The engine's day counter (struct anima_ctx.day) holds days 0..ANIMA_DAY_MAX; a checkpoint's tick must be
 * within them. */
#define ANIMA_DAY_MAX ((1u << 20) - 1)
#define ANIMA_TICK_MAX ((uint64_t)(ANIMA_DAY_MAX + 1) * 86400 - 1)

enum anima_env { ANIMA_ENV_NORMAL = 0, ANIMA_ENV_DARK = 1, ANIMA_ENV_LIGHT = 2 };

enum anima_end_reason { ANIMA_END_NONE = 0, ANIMA_END_TICKS, ANIMA_END_DEATH, ANIMA_END_COMMAND };

enum anima_fault { ANIMA_FAULT_NONE = 0, ANIMA_FAULT_DIVIDE, ANIMA_FAULT_PAGEFAULT, ANIMA_FAULT_INVALID_OPCODE };

/* --clock (UEFI): which time source paces the run. The order is that of the option's words in
 * core/options.c (clock_words); a new source is added to both. */
enum anima_clock {
	ANIMA_CLOCK_AUTO = 0,
	ANIMA_CLOCK_TSC,
	ANIMA_CLOCK_PMTIMER,
	ANIMA_CLOCK_HPET,
	ANIMA_CLOCK_PIT,
	ANIMA_CLOCK_CPUID,
};

/* One scheduled stimulus: at tick `tick`, stimulus `id` (index into the catalogue's stimulus table) acts with
 * `value` (already mapped: `auto` becomes the catalogue's auto value). */
struct anima_stimulus {
	uint64_t tick;
	uint32_t id;
	int32_t value;
};

/* One --set: parameter `id` (index into the catalogue's parameter table) takes `value`. */
struct anima_param_set {
	uint32_t id;
	int32_t value;
};

/* Which platform accepts an option (the options table in core/options.c says, per option). */
#define ANIMA_OPT_HOST 1u /* anima-sim */
#define ANIMA_OPT_UEFI 2u /* anima.efi */

struct anima_options {
	uint64_t seed;
	int seed_given; /* 0: the platform chooses (hosted: 1; UEFI: RDRAND or a fixed seed) */
	uint64_t individual; /* --individual: the individual's traits are drawn from this instead of the seed */
	int individual_given;
	uint64_t ticks; /* default 86400; the UEFI default boot runs "forever": ticks_given == 0 there */
	int ticks_given;
	uint64_t every; /* default 60 */
	int env;        /* enum anima_env */
	uint64_t speed; /* simulated seconds per wall second; 0 = max */
	int speed_given;
	const char *trace;      /* hosted: path or "-"; NULL = no trace */
	const char *save;       /* path, NULL = none */
	const char *resume;     /* path, NULL = none */
	const char *scenario;   /* path, NULL = none: the platform reads it and calls anima_scenario_parse */
	const char *columns;    /* comma-separated globs, NULL = every column */
	const char *events;     /* hosted: path for the '#' lines, NULL = in the trace */
	const char *summary;    /* hosted: path for the JSON summary, NULL = none */
	const char *summarize;  /* hosted: no run, the summary of this trace file */
	const char *trace_file; /* UEFI: NAME or "none", NULL = the default */
	int catalogue_info;
	int describe;
	int help;
	int version;
	int persist;
	int fault; /* enum anima_fault */
	int clock; /* enum anima_clock */
	unsigned nsets;
	struct anima_param_set sets[ANIMA_MAX_SETS];
	/* The schedule of --stimulus and --scenario actions, sorted by tick (stable). Its storage belongs to
	 * the platform (anima_options_defaults keeps it), sized so that no practical scenario meets the bound. */
	struct anima_stimulus *stimuli;
	size_t nstimuli, max_stimuli;
};

/* Sets the defaults; keeps the schedule's storage (o->stimuli, o->max_stimuli) and empties it. */
void anima_options_defaults(struct anima_options *o);
/* Parses argv[0..argc) (no program name) on top of what *o holds: call anima_options_defaults first (or
 * parse anima.cfg's words first and then the command line's, so that the later ones win). On error writes
 * one line (no newline) naming the argument into err and returns -1; the options are then unusable.
 * `accept` is the platform (ANIMA_OPT_HOST or ANIMA_OPT_UEFI). */
int anima_options_parse(struct anima_options *o, int argc, char *const *argv, unsigned accept, char *err,
			size_t errlen);
/* Writes the usage (every option of both programs, generated from the options table) line by line, each
 * line without its newline. */
void anima_options_usage(const char *prog, void (*line)(void *ctx, const char *text), void *ctx);
/* "PROG VERSION catalogue=HASH" into buf. */
void anima_version_line(const char *prog, char *buf, size_t cap);
/* Adds one timed stimulus to the schedule (sorted, stable). Returns 0, or -1 with a one-line reason. */
int anima_options_add_stimulus(struct anima_options *o, uint64_t tick, uint32_t id, int32_t value, char *err,
			       size_t errlen);
/* Stimuli by name, shared by --stimulus, scenario files and live commands. anima_stimulus_find returns the
 * catalogue index of name[0..n) or -1. The other two append a one-line reason to err (a terminated string). */
int anima_stimulus_find(const char *name, size_t n);
void anima_stimulus_unknown(const char *name, size_t n, char *err, size_t errlen);
/* text[0..n): a whole number in the stimulus's range, or `auto` where it has one (mapped to its value). */
int anima_stimulus_value(uint32_t id, const char *text, size_t n, int32_t *value, char *err, size_t errlen);

/* Parses a scenario file's text buf[0..len) (docs/options.md: `TICK:NAME=VALUE` or
 * `dDAY HH:MM[:SS] NAME=VALUE` lines, `#` comments) into o's schedule. On error writes
 * `FILE:LINE:COLUMN: error: MESSAGE` (one line, no newline) into err and returns -1. */
int anima_scenario_parse(struct anima_options *o, const char *file, const char *buf, size_t len, char *err,
			 size_t errlen);

/* Gives the parameters of every --set their values (after anima_sim_init or a checkpoint). */
struct anima_sim;
void anima_options_apply_sets(const struct anima_options *o, struct anima_sim *sim);

/* Splits a command line (anima.cfg's line, or the UEFI Shell's LoadOptions converted to ASCII) into argv in
 * place; quotes are not special. Returns argc, or -1 when there are more than max words. */
int anima_split_args(char *line, char **argv, int max);

/* Shell-style glob (`*`, `?`, `[...]`) over a whole name. */
int anima_glob(const char *pattern, const char *name);

/* The trace's columns (core/columns.c, the one reader of the generated header): index 0 is "tick", 1..ANIMA_NVARS
 * the variables in catalogue order; name[0..len) points into the header; slot is the state slot (-1 for tick).
 * Walk them with `struct anima_column c = {0}; while (anima_column_next(&c)) ...`. */
struct anima_column {
	const char *name;
	size_t len;
	uint32_t index;
	int32_t slot;
};
int anima_column_next(struct anima_column *c);
/* Column index into c: 1, or 0 when there is no such column. */
int anima_column_at(uint32_t index, struct anima_column *c);
/* The state slot of the variable column called name[0..len), or -1 (unknown names and "tick"). */
int32_t anima_column_slot(const char *name, size_t len);

/* --columns' PATTERN[,PATTERN...]: the longest pattern, and one pattern at a time. anima_column_pattern copies
 * the next pattern of *list into pattern and advances *list: 0, -1 past the last, -2 for an empty pattern, -3
 * for one of ANIMA_COLUMN_PATTERN_MAX bytes or more. */
#define ANIMA_COLUMN_PATTERN_MAX 128
int anima_column_pattern(const char **list, char *pattern);
int anima_column_matches(const char *pattern, const struct anima_column *c);
/* Whether any pattern of the list matches c (patterns that anima_column_pattern refuses match nothing). */
int anima_column_selected(const char *patterns, const struct anima_column *c);

/* The platform: where the trace goes, how the run is paced, how live commands arrive. */
struct anima_platform {
	void *ctx;
	/* Writes bytes of the trace (rows and '#' lines). Required. */
	void (*write)(void *ctx, const char *bytes, size_t n);
	/* Called once per tick before it is computed when speed != 0: blocks until that tick is due. Optional. */
	void (*pace)(void *ctx, uint64_t tick, uint64_t speed);
	/* Called at each tick boundary until it returns 0: may return 1 and fill id and value to inject a stimulus
	 * at the next tick, or return 2 to stop the run (reason=command). After 16 stimuli in one boundary it is
	 * not called again until the next one: the platform keeps what it has queued. Optional. */
	int (*poll)(void *ctx, uint64_t tick, uint32_t *id, int32_t *value);
	/* Takes the '#' lines apart from the rows (anima-sim --events); NULL: they go to write, in order. */
	void (*comment)(void *ctx, const char *bytes, size_t n);
	/* Fed every sample (the rows' ticks, all observables whatever --columns shows); NULL: none. */
	struct anima_summary *summary;
};

/* The summary of a run (core/summary.c, the one definition of its numbers; docs/options.md "Summary"). */
#define ANIMA_SUMMARY_NOBS 24        /* the observables of anima_summary_observables */
#define ANIMA_SUMMARY_OPEN_NIGHTS 16 /* nights held until their episodes are final */
enum { ANIMA_SUMMARY_NIGHT = 1, ANIMA_SUMMARY_DAY = 2 };
extern const char *const anima_summary_observables[ANIMA_SUMMARY_NOBS];

struct anima_summary_episode {
	uint64_t onset, wake;
	uint64_t stage_s[5]; /* seconds in each stage (0 unused) */
	uint64_t nrem, last_rem_end;
	uint32_t cycles;
	int has_rem, began_before, ended_after;
};

struct anima_summary_night {
	int64_t day; /* the window from noon of `day` to noon of day+1 */
	struct anima_summary_episode main;
	int has_main, has_temp, has_cortisol;
	uint32_t others;
	int32_t temp_min, cortisol_peak;
	uint64_t temp_min_tick, cortisol_peak_tick, covered_from, covered_to;
};

struct anima_summary {
	int present[ANIMA_SUMMARY_NOBS];
	/* Receives each finished night and day as a JSON object (a leading ',' after the first of its kind). */
	void (*emit)(void *ctx, int kind, const char *json, size_t n);
	void *ctx;
	uint64_t held_tick, step, samples;
	int has_held;
	int32_t held[ANIMA_SUMMARY_NOBS];
	int ep_state; /* 0 none, 1 asleep, 2 awake since ep.wake: may still go on */
	struct anima_summary_episode ep;
	struct anima_summary_night nights[ANIMA_SUMMARY_OPEN_NIGHTS];
	unsigned nnights;
	int64_t day;
	uint64_t day_samples, day_asleep_s;
	int64_t day_sum[ANIMA_SUMMARY_NOBS];
	uint64_t nights_written, days_written;
};

/* What the summary says about the run as a whole. */
struct anima_summary_head {
	int has_seed, has_individual, has_death;
	uint64_t seed, individual, start_tick, end_tick, every, death_tick;
	const char *end;       /* ticks, death, command; NULL: unknown */
	const char *cause;     /* with has_death */
	const char *catalogue; /* the catalogue hash in hex; NULL: unknown */
};

/* present[k]: observable k is known (its column exists). */
void anima_summary_init(struct anima_summary *s, const int *present,
			void (*emit)(void *ctx, int kind, const char *json, size_t n), void *ctx);
/* One sample: values[k] of observable k at `tick`; ticks increase. */
void anima_summary_sample(struct anima_summary *s, uint64_t tick, const int32_t *values);
/* After the last sample; `step` is what the last sample stands for when only one was seen. */
void anima_summary_finish(struct anima_summary *s, uint64_t step);
/* The whole JSON document: the head, then the nights and days that were emitted (concatenated). */
void anima_summary_document(const struct anima_summary_head *h, const char *nights, size_t nights_len,
			    const char *days, size_t days_len, void (*write)(void *ctx, const char *bytes, size_t n),
			    void *ctx);
/* The state slot of each observable in this catalogue, -1 where it has none. */
void anima_summary_slots(int32_t *slots);

/* The whole simulation state: plain arrays, nothing behind pointers, so a checkpoint is a copy of it. */
struct anima_sim {
	uint64_t tick;
	uint64_t seed;
	int32_t env;
	/* The state at the end of `tick` (layout order), ANIMA_NVARS words; after it, ANIMA_GATHER_WORDS of
	 * scratch (no part of the state) where anima_gen_tick gathers inputs of shared step functions, which read
	 * those and plain inputs alike as words of one array. */
	int32_t state[ANIMA_NVARS + ANIMA_GATHER_WORDS];
	int32_t next[ANIMA_NVARS];         /* scratch: next state of the subsystems updating this tick */
	int32_t params[ANIMA_NPARAMS + 1]; /* parameter values, data not code */
	int32_t delay[ANIMA_DELAY_WORDS + 1]; /* ring buffers of delayed couplings */
	uint32_t phase[ANIMA_NRATES + 1];  /* tick mod every, per distinct update period; then tick mod the schedule's cycle */
};

/* Puts the organism at tick 0 with the catalogue's initial state. */
void anima_sim_init(struct anima_sim *sim, uint64_t seed, int env);
/* Draws the parameters the catalogue declares as traits for this individual (call after anima_sim_init;
 * a checkpoint carries the drawn values in its parameters). */
void anima_sim_individual(struct anima_sim *sim, uint64_t individual);
/* Advances one tick (computes tick+1); returns 1 when the organism is dead afterwards. */
int anima_sim_step(struct anima_sim *sim);
/* Applies a stimulus now (to the state of the current tick). */
void anima_sim_stimulus(struct anima_sim *sim, uint32_t id, int32_t value);
int anima_sim_alive(const struct anima_sim *sim);
/* Recomputes the per-period phase counters from sim->tick (after a checkpoint has set the tick). */
void anima_derive_phases(struct anima_sim *sim);
/* Name of the death cause (the catalogue's death.cause value name). */
const char *anima_sim_cause(const struct anima_sim *sim);

/* The context (tick, draws, time of day) a step computing `tick` sees; the probe steps copies with it. */
struct anima_ctx;
void anima_ctx_at(const struct anima_sim *sim, uint64_t tick, struct anima_ctx *c);
/* At a probe tick (the catalogue's 'probe'), computes the perturbational complexity index into its variable
 * (core/probe.c); otherwise does nothing. Called by anima_sim_step. */
void anima_probe(struct anima_sim *sim);

/* Runs from the current tick until `ticks` more ticks have passed, death, or a command: writes the trace
 * header (when header != 0), every rows (tick % every == 0, including the current tick when it is 0 and
 * header is set), comment lines for stimuli, death and the end line `# anima: end tick=N reason=R`. */
enum anima_end_reason anima_run(struct anima_sim *sim, const struct anima_options *o,
				const struct anima_platform *p, int header);

/* Checkpoints: a self-checking byte image of struct anima_sim plus the catalogue hash and format version. */
#define ANIMA_CHECKPOINT_BYTES (sizeof(struct anima_sim) + 64)
size_t anima_checkpoint_write(const struct anima_sim *sim, uint8_t *buf, size_t cap);
/* Returns 0 or writes a one-line reason into err and returns -1. */
int anima_checkpoint_read(struct anima_sim *sim, const uint8_t *buf, size_t len, char *err, size_t errlen);
/* Whether a checkpoint that anima_checkpoint_read accepted was taken with this very catalogue (1), or with
 * another of the same layout (0): its state and parameter values then go on under this build's rules. */
int anima_checkpoint_same_catalogue(const uint8_t *buf, size_t len);

/* Integer formatting helpers shared by the platforms (freestanding). Return the number of chars written. */
size_t anima_fmt_u64(char *dst, uint64_t v);
size_t anima_fmt_i64(char *dst, int64_t v);
size_t anima_fmt_hex(char *dst, uint64_t v);

#endif
