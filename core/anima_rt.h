/* core/anima_rt.h - the runtime the generated step code is written against.
 *
 * Hand-written facade over the generated tables: the integer semantics of the catalogue language
 * (docs/catalogue.md), inline so the compiler folds them into each subsystem's step. The reference
 * interpreter (gen/anima_gen/interp.py) implements the same semantics independently in Python; tests require
 * both to produce identical traces.
 */
#ifndef ANIMA_CORE_ANIMA_RT_H
#define ANIMA_CORE_ANIMA_RT_H

#include <stdint.h>

/* Bumped whenever the contract between generated code and this header changes; generated files #error when
 * they were rendered for another format. */
#define ANIMA_RT_FORMAT 7

/* What a step may know about the moment it runs in. Read-only for generated code. */
struct anima_ctx {
	uint64_t tick; /* the tick being computed */
	uint64_t seed;
	uint64_t draw;    /* seed + tick * 0x9E3779B97F4A7C15: the part of every draw that only the tick sets */
	int64_t tod;      /* tick of day, 0..86399 */
	int64_t day;      /* 0..1048575 */
	int64_t env_mode; /* 0 normal, 1 dark, 2 light */
	/* Within anima_gen_tick only (NULL elsewhere): per update period r, tick / anima_rate_every[r] and
	 * tick % anima_rate_every[r], which shared step functions index delay rings with (layout.py). */
	const uint64_t *epoch;
	const uint32_t *rem;
};

static inline int64_t anima_min(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t anima_max(int64_t a, int64_t b) { return a > b ? a : b; }
static inline int64_t anima_clamp(int64_t x, int64_t lo, int64_t hi) { return anima_min(anima_max(x, lo), hi); }
static inline int64_t anima_abs(int64_t x) { return x < 0 ? -x : x; }

/* One update's step toward target; k = 65536*(1-2^(-every/half_life)); at least one unit while apart. */
static inline int64_t anima_approach(int64_t x, int64_t target, int64_t k)
{
	int64_t d = target - x;
	int64_t q = d * k / 65536;
	/* Without a branch: near the target whether q is 0 is as good as random, and a mispredicted branch costs
	 * more than the arithmetic. */
	q += (int64_t)(q == 0) * ((int64_t)(d > 0) - (int64_t)(d < 0));
	return x + q;
}

/* A function sampled at 2^shift spacing from lo (docs/catalogue.md), T[0..n] and a copy of T[n] after it (so
 * that x = hi needs no guard): the shared form of the per-subsystem table helpers, for step functions that
 * serve many subsystems. Their members' tables usually have the same lo, shift, n and rising (no step goes
 * down), and need the same guards (below: x can be less than lo; above: more than lo + n * 2^shift; the
 * range analysis knows, and a table usually spans its argument's whole range), which are then literals the
 * compiler folds; T is in the build's shared table data, 16 bits a value where they fit (anima_table_at16:
 * half the cache lines for the tables of a large catalogue). */
static inline int64_t anima_table_index(int64_t x, int64_t lo, int64_t shift, int64_t n, int64_t below,
					int64_t above, int64_t *f)
{
	int64_t hi = lo + (n << shift);
	if (below && x < lo)
		x = lo;
	if (above && x > hi)
		x = hi;
	int64_t u = x - lo;
	int64_t i = u >> shift;
	*f = u & ((INT64_C(1) << shift) - 1); /* u - (i << shift), as u >= 0 (guarded or proven) */
	return i;
}

/* y0 + (y1 - y0) * f / 2^shift as C divides (toward zero), without a division instruction: a rising table's
 * product is never negative; else its magnitude is shifted and the sign put back (no shift of a negative). */
static inline int64_t anima_table_between(int64_t y0, int64_t y1, int64_t f, int64_t shift, int64_t rising)
{
	int64_t p = (y1 - y0) * f;
	if (rising)
		return y0 + (p >> shift);
	int64_t q = (p < 0 ? -p : p) >> shift;
	return y0 + (p < 0 ? -q : q);
}

static inline int64_t anima_table_at(int64_t x, int64_t lo, int64_t shift, int64_t n, int64_t rising,
				     int64_t below, int64_t above, const int32_t *T)
{
	int64_t f, i = anima_table_index(x, lo, shift, n, below, above, &f);
	return anima_table_between(T[i], T[i + 1], f, shift, rising);
}

static inline int64_t anima_table_at16(int64_t x, int64_t lo, int64_t shift, int64_t n, int64_t rising,
				       int64_t below, int64_t above, const int16_t *T)
{
	int64_t f, i = anima_table_index(x, lo, shift, n, below, above, &f);
	return anima_table_between(T[i], T[i + 1], f, shift, rising);
}

/* Subsystems whose rules have the same form share one step function (anima_gen_shapes.c), called once per
 * schedule slot for all of them: `count` subsystems, each with its own constants (state slots, parameter
 * indices, literals, where each input is), one after another in O (anima_gen_runs.c). An input is a word of
 * S: a plain input's source slot, or one of the words after the state (G = S + ANIMA_NVARS) that a gather
 * function filled. */
typedef void (*anima_shape_fn)(const int32_t *restrict S, const int32_t *restrict P, int32_t *restrict N,
			       const struct anima_ctx *restrict c, const int32_t *restrict O, uint32_t count);

/* Fetches `count` inputs of one form (a delay ring entry, or a state slot through a transform) into G before
 * the shared step functions read them: each input's constants in O, the first where it goes in G. */
typedef void (*anima_gather_fn)(const int32_t *restrict S, const int32_t *restrict P, const int32_t *restrict D,
				int32_t *restrict G, const struct anima_ctx *restrict c, const int32_t *restrict O,
				uint32_t count);

/* A hint that *p will be read soon (no effect on any value). */
#if defined(__GNUC__) || defined(__clang__)
#define anima_prefetch(p) __builtin_prefetch(p)
#else
#define anima_prefetch(p) ((void)(p))
#endif

struct anima_shape_run {
	anima_shape_fn fn;
	const int32_t *O;
	uint32_t count;
};

struct anima_gather_run {
	anima_gather_fn fn;
	const int32_t *O;
	uint32_t count;
};

/* Counter-based generator: the same (seed, tick, subsystem, call site) always gives the same bits, so noise
 * needs no state of its own and does not depend on the order subsystems are stepped in. */
static inline uint64_t anima_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* mix64(draw + ((sid << 16) | site) * K), written as sid * (K << 16) + site * K (site < 2^16, ranges.py): the
 * same bits, one shift fewer, and the site's part is a constant the compiler folds. */
static inline uint64_t anima_draw(const struct anima_ctx *c, uint32_t sid, uint32_t site)
{
	return anima_mix64(c->draw + (uint64_t)sid * (0xD1B54A32D192ED03ull << 16) + (uint64_t)site * 0xD1B54A32D192ED03ull);
}

static inline int64_t anima_noise(const struct anima_ctx *c, uint32_t sid, uint32_t site, int64_t a)
{
	uint64_t h = anima_draw(c, sid, site) >> 32;
	return (int64_t)((h * (uint64_t)(2 * a + 1)) >> 32) - a;
}

static inline int64_t anima_chance(const struct anima_ctx *c, uint32_t sid, uint32_t site, int64_t p)
{
	uint64_t h = anima_draw(c, sid, site) >> 32;
	return (int64_t)((h * 1000u) >> 32) < p;
}

#endif
