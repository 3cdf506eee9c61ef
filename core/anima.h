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

#define ANIMA_MAX_STIMULI 512
#define ANIMA_ERR_MAX 160

enum anima_env { ANIMA_ENV_NORMAL = 0, ANIMA_ENV_DARK = 1, ANIMA_ENV_LIGHT = 2 };

enum anima_end_reason { ANIMA_END_NONE = 0, ANIMA_END_TICKS, ANIMA_END_DEATH, ANIMA_END_COMMAND };

enum anima_fault { ANIMA_FAULT_NONE = 0, ANIMA_FAULT_DIVIDE, ANIMA_FAULT_PAGEFAULT, ANIMA_FAULT_INVALID_OPCODE };

/* One scheduled stimulus: at tick `tick`, stimulus `id` (index into the catalogue's stimulus table) acts with
 * `value` (already mapped: `auto` becomes the catalogue's auto value). */
struct anima_stimulus {
	uint64_t tick;
	uint32_t id;
	int32_t value;
};

/* Which options a platform accepts beyond the common ones. */
#define ANIMA_OPT_HOST 1u /* --trace --catalogue-info --save FILE */
#define ANIMA_OPT_UEFI 2u /* --persist --fault */

struct anima_options {
	uint64_t seed;
	int seed_given; /* 0: the platform chooses (hosted: 1; UEFI: RDRAND or a fixed seed) */
	uint64_t ticks; /* default 86400; the UEFI default boot runs "forever": ticks_given == 0 there */
	int ticks_given;
	uint64_t every; /* default 60 */
	int env;        /* enum anima_env */
	uint64_t speed; /* simulated seconds per wall second; 0 = max */
	int speed_given;
	const char *trace;  /* hosted: path or "-"; NULL = no trace */
	const char *save;   /* path, NULL = none */
	const char *resume; /* path, NULL = none */
	int catalogue_info;
	int persist;
	int fault; /* enum anima_fault */
	unsigned nstimuli;
	struct anima_stimulus stimuli[ANIMA_MAX_STIMULI];
};

/* Parses argv[0..argc) (no program name) on top of what *o holds: call anima_options_defaults first (or
 * parse anima.cfg's words first and then the command line's, so that the later ones win). On error writes
 * one line (no newline) naming the argument into err and returns -1; the options are then unusable.
 * `accept` is a mask of ANIMA_OPT_*. */
int anima_options_parse(struct anima_options *o, int argc, char *const *argv, unsigned accept, char *err,
			size_t errlen);
void anima_options_defaults(struct anima_options *o);

/* Splits a command line (anima.cfg's line, or the UEFI Shell's LoadOptions converted to ASCII) into argv in
 * place; quotes are not special. Returns argc, or -1 when there are more than max words. */
int anima_split_args(char *line, char **argv, int max);

/* The platform: where the trace goes, how the run is paced, how live commands arrive. */
struct anima_platform {
	void *ctx;
	/* Writes bytes of the trace (rows and '#' lines). Required. */
	void (*write)(void *ctx, const char *bytes, size_t n);
	/* Called once per tick before it is computed when speed != 0: blocks until that tick is due. Optional. */
	void (*pace)(void *ctx, uint64_t tick, uint64_t speed);
	/* Called once per tick boundary: may return 1 and fill id and value to inject a stimulus at the next tick,
	 * or return 2 to stop the run (reason=command). Optional. */
	int (*poll)(void *ctx, uint64_t tick, uint32_t *id, int32_t *value);
};

/* The whole simulation state: plain arrays, nothing behind pointers, so a checkpoint is a copy of it. */
struct anima_sim {
	uint64_t tick;
	uint64_t seed;
	int32_t env;
	int32_t state[ANIMA_NVARS];        /* the state at the end of `tick` (layout order) */
	int32_t next[ANIMA_NVARS];         /* scratch: next state of the subsystems updating this tick */
	int32_t params[ANIMA_NPARAMS + 1]; /* parameter values, data not code */
	int32_t delay[ANIMA_DELAY_WORDS + 1]; /* ring buffers of delayed couplings */
	uint32_t phase[ANIMA_NRATES + 1];  /* tick mod every, per distinct update period */
};

/* Puts the organism at tick 0 with the catalogue's initial state. */
void anima_sim_init(struct anima_sim *sim, uint64_t seed, int env);
/* Advances one tick (computes tick+1); returns 1 when the organism is dead afterwards. */
int anima_sim_step(struct anima_sim *sim);
/* Applies a stimulus now (to the state of the current tick). */
void anima_sim_stimulus(struct anima_sim *sim, uint32_t id, int32_t value);
int anima_sim_alive(const struct anima_sim *sim);
/* Recomputes the per-period phase counters from sim->tick (after a checkpoint has set the tick). */
void anima_derive_phases(struct anima_sim *sim);
/* Name of the death cause (the catalogue's death.cause value name). */
const char *anima_sim_cause(const struct anima_sim *sim);
/* Value of a variable by trace name "subsystem.variable"; returns 0 and sets *found = 0 when unknown. */
int32_t anima_sim_get(const struct anima_sim *sim, const char *name, int *found);

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

/* Integer formatting helpers shared by the platforms (freestanding). Return the number of chars written. */
size_t anima_fmt_u64(char *dst, uint64_t v);
size_t anima_fmt_i64(char *dst, int64_t v);
size_t anima_fmt_hex(char *dst, uint64_t v);

#endif
