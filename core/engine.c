/* core/engine.c - the tick loop over the generated modules.
 *
 * A tick t computes every subsystem scheduled at t from the snapshot of t-1 into `next`, then commits the
 * updated slots (contiguous by layout), applies the stimuli due at t, and records delayed couplings. The
 * schedule itself is generated code (anima_gen_tick): a switch per update period, straight calls for small
 * slots and a table for large ones.
 */
#include "anima.h"
#include "anima_rt.h"
#include "util.h"

#if ANIMA_GEN_FORMAT != ANIMA_RT_FORMAT
#error "anima_gen.h was generated for another runtime format: re-run anima-gen render"
#endif

void anima_ctx_at(const struct anima_sim *sim, uint64_t tick, struct anima_ctx *c)
{
	uint64_t day = tick / 86400;
	c->tick = tick;
	c->seed = sim->seed;
	c->draw = sim->seed + tick * 0x9E3779B97F4A7C15ull;
	c->tod = (int64_t)(tick % 86400);
	c->day = day > ANIMA_DAY_MAX ? ANIMA_DAY_MAX : (int64_t)day;
	c->env_mode = sim->env;
	c->epoch = 0; /* anima_gen_tick sets them for the rules it runs */
	c->rem = 0;
}

static void make_ctx(const struct anima_sim *sim, struct anima_ctx *c)
{
	anima_ctx_at(sim, sim->tick, c);
}

static void derive_phases(struct anima_sim *sim)
{
	for (uint32_t r = 0; r < ANIMA_NRATES; r++)
		sim->phase[r] = (uint32_t)(sim->tick % anima_rate_every[r]);
	sim->phase[ANIMA_NRATES] = (uint32_t)(sim->tick % anima_schedule_cycle);
}

void anima_sim_init(struct anima_sim *sim, uint64_t seed, int env)
{
	sim->tick = 0;
	sim->seed = seed;
	sim->env = env;
	anima_copy32(sim->state, anima_init_state, ANIMA_NVARS);
	anima_copy32(sim->next, anima_init_state, ANIMA_NVARS);
	anima_copy32(sim->params, anima_param_values, ANIMA_NPARAMS);
	anima_gen_rings_init(sim->delay);
	derive_phases(sim);
}

/* Individuals (the same draw as gen/anima_gen/traits.py): a near-normal deviate in 1/1000 of an SD from 12
 * uniforms of a counter-based stream keyed by (individual, the parameter's name, k), apart from the noise stream. */
static int64_t trait_deviate(uint64_t individual, uint64_t name_key)
{
	uint64_t stream = anima_mix64(anima_mix64(individual ^ 0x5EED7A175EED7A17ull) ^ name_key);
	int64_t total = 0;
	for (uint32_t k = 0; k < 12; k++) {
		uint64_t h = anima_mix64(stream + (uint64_t)k * 0xD6E8FEB86659FD93ull) >> 32;
		total += (int64_t)((h * 1000u) >> 32);
	}
	return total - 5994;
}

#define TRAIT_Q ((int64_t)1 << 20)
#define TRAIT_EXP_LIMIT 8000

/* e^(y/1000) in Q20 for |y| <= TRAIT_EXP_LIMIT: Taylor to the 4th power on y/16, squared four times. */
static int64_t trait_exp_q20(int64_t y)
{
	int64_t t = y * TRAIT_Q / 16000;
	int64_t t2 = t * t / TRAIT_Q;
	int64_t t3 = t2 * t / TRAIT_Q;
	int64_t t4 = t2 * t2 / TRAIT_Q;
	int64_t e = TRAIT_Q + t + t2 / 2 + t3 / 6 + t4 / 24;
	for (int k = 0; k < 4; k++)
		e = e * e / TRAIT_Q;
	return e;
}

void anima_sim_individual(struct anima_sim *sim, uint64_t individual)
{
	const uint32_t ntraits = ANIMA_NTRAITS; /* may be 0 */
	for (uint32_t t = 0; t < ntraits; t++) {
		uint32_t k = anima_param_traits[t].param;
		int32_t dist = anima_param_traits[t].dist, sd = anima_param_traits[t].sd;
		int64_t z = trait_deviate(individual, anima_param_traits[t].key), value = anima_param_values[k], v;
		if (dist == 1) {
			v = value + (int64_t)sd * z / 1000;
		} else {
			int64_t y = (int64_t)sd * z / 1000;
			y = y < -TRAIT_EXP_LIMIT ? -TRAIT_EXP_LIMIT : y > TRAIT_EXP_LIMIT ? TRAIT_EXP_LIMIT : y;
			v = value * trait_exp_q20(y) / TRAIT_Q;
		}
		if (v < anima_param_range[k][0])
			v = anima_param_range[k][0];
		if (v > anima_param_range[k][1])
			v = anima_param_range[k][1];
		sim->params[k] = (int32_t)v;
	}
}

int anima_sim_step(struct anima_sim *sim)
{
	struct anima_ctx c;

	sim->tick++;
	make_ctx(sim, &c);
	/* The generated tick computes every subsystem due now from the snapshot, then commits them all. */
	anima_gen_tick(sim->state, sim->params, sim->delay, sim->next, &c, sim->phase);
	anima_gen_record(sim->state, sim->delay, sim->tick);
#ifndef ANIMA_NO_PROBE
	/* Reads the state of this tick and writes only the index, which no rule and no ring reads. */
	anima_probe(sim);
#endif
	return !anima_sim_alive(sim);
}

void anima_sim_stimulus(struct anima_sim *sim, uint32_t id, int32_t value)
{
	struct anima_ctx c;
	const uint32_t nstimuli = ANIMA_NSTIMULI; /* may be 0 */
	if (id >= nstimuli)
		return;
	make_ctx(sim, &c);
	anima_gen_stimulus(id, value, sim->state, sim->params, sim->delay, sim->next, &c);
	anima_gen_record(sim->state, sim->delay, sim->tick); /* the rings hold the state of this tick as it ends, stimuli included */
}

int anima_sim_alive(const struct anima_sim *sim)
{
#if ANIMA_ALIVE_SLOT >= 0
	return sim->state[ANIMA_ALIVE_SLOT] != 0;
#else
	(void)sim;
	return 1;
#endif
}

const char *anima_sim_cause(const struct anima_sim *sim)
{
#if ANIMA_CAUSE_SLOT >= 0
	int32_t v = sim->state[ANIMA_CAUSE_SLOT];
	if (v >= 0 && v < ANIMA_NCAUSES)
		return anima_cause_names[v];
#else
	(void)sim;
#endif
	return "unknown";
}

void anima_derive_phases(struct anima_sim *sim)
{
	derive_phases(sim);
}
