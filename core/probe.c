/* core/probe.c - the perturbational complexity index the organism computes about itself (Casali et al. 2013;
 * docs/consciousness.md, and 'probe' in docs/catalogue.md).
 *
 * At a probe tick the state is copied (it is plain data). The copy is stepped for `baseline` steps of the
 * probe's subsystems, and the mean absolute deviation of every observed region over them sets that region's
 * threshold. Then it forks: one copy gets the perturbation, the other (the counterfactual) does not, and both
 * are stepped for `window` steps at the same future ticks, so with the same noise. A region is "significant"
 * at a step when the two copies differ by more than its threshold. The binary matrix (regions sorted by their
 * number of significant steps, read time-major) is compressed by the Lempel-Ziv 1976 parsing, and the phrase
 * count is divided by L*H/log2(L), the count of a random string of the same length L and entropy H: that is
 * PCI, written x 1000 into the probe's variable. Integer arithmetic only; gen/anima_gen/probe.py is the
 * reference and must agree bit for bit.
 *
 * Only the probe's subsystems move in the copies; everything else holds its value at the probe tick (the
 * response lasts minutes, the hormones and the sleep switch move slower). The real state is read, never
 * written, except for the index itself, which no rule reads (the generator refuses a catalogue where one
 * could): the organism's course is the same with and without the probe.
 */
#include "anima.h"
#include "anima_rt.h"
#include "util.h"

#if ANIMA_PROBE

#define NOBS ANIMA_PROBE_NOBSERVE
#define WIN ANIMA_PROBE_WINDOW
#define BASE ANIMA_PROBE_BASELINE
#define LOG_Q 16

/* Static: the probe's copies are as large as the state, too big for a firmware stack. */
static int32_t kicked[ANIMA_NVARS], counterfactual[ANIMA_NVARS], scratch[ANIMA_NVARS];
static int32_t history[BASE][NOBS];
static uint8_t significant[NOBS][WIN];
static uint8_t bits[NOBS * WIN];

/* floor(log2(x) * 2^16) for x >= 1: the integer part from the top bit, the fraction by squaring the Q30
 * mantissa bit by bit. */
static int64_t log2_q(uint64_t x)
{
	int n = 63;
	while (!(x >> n))
		n--;
	int64_t r = (int64_t)n << LOG_Q;
	uint64_t m = n <= 30 ? (x << 30) >> n : x >> (n - 30);
	for (int k = LOG_Q - 1; k >= 0; k--) {
		m = (m * m) >> 30;
		if (m >= (2ull << 30)) {
			m >>= 1;
			r += (int64_t)1 << k;
		}
	}
	return r;
}

/* Lempel-Ziv (1976) complexity: the number of phrases, Kaspar & Schuster's (1987) algorithm. */
static uint32_t lz76(const uint8_t *s, uint32_t n)
{
	if (n < 2)
		return n;
	uint32_t c = 1, l = 1, i = 0, k = 1, kmax = 1;
	for (;;) {
		if (s[i + k - 1] == s[l + k - 1]) {
			k++;
			if (l + k > n) {
				c++;
				break;
			}
		} else {
			if (k > kmax)
				kmax = k;
			i++;
			if (i == l) {
				c++;
				l += kmax;
				if (l + 1 > n)
					break;
				i = 0;
				k = 1;
				kmax = 1;
			} else {
				k = 1;
			}
		}
	}
	return c;
}

static uint64_t next_step_tick(uint64_t t)
{
	uint64_t d = (ANIMA_PROBE_STEP_PHASE + ANIMA_PROBE_STEP_EVERY - t % ANIMA_PROBE_STEP_EVERY) % ANIMA_PROBE_STEP_EVERY;
	return t + (d ? d : ANIMA_PROBE_STEP_EVERY);
}

static int64_t idiv(int64_t a, int64_t b) { return a / b; } /* C division: truncates toward zero */

static int32_t probe_index(const struct anima_sim *sim)
{
	struct anima_ctx c;
	int64_t thr[NOBS];
	uint64_t t = sim->tick;

	anima_copy32(counterfactual, sim->state, ANIMA_NVARS);
	anima_copy32(scratch, sim->state, ANIMA_NVARS);
	for (uint32_t b = 0; b < BASE; b++) {
		t = next_step_tick(t);
		anima_ctx_at(sim, t, &c);
		anima_gen_probe_step(counterfactual, sim->params, sim->delay, scratch, &c);
		for (uint32_t r = 0; r < NOBS; r++)
			history[b][r] = counterfactual[anima_probe_observe[r]];
	}
	for (uint32_t r = 0; r < NOBS; r++) {
		int64_t sum = 0, dev = 0;
		for (uint32_t b = 0; b < BASE; b++)
			sum += history[b][r];
		int64_t mean = idiv(sum, BASE);
		for (uint32_t b = 0; b < BASE; b++)
			dev += anima_abs(history[b][r] - mean);
		int64_t th = idiv(dev * ANIMA_PROBE_THRESHOLD, 10 * (int64_t)BASE);
		thr[r] = th > ANIMA_PROBE_FLOOR ? th : ANIMA_PROBE_FLOOR;
	}
	anima_copy32(kicked, counterfactual, ANIMA_NVARS);
	for (uint32_t k = 0; k < ANIMA_PROBE_NPERTURB; k++) {
		const struct anima_probe_kick *p = &anima_probe_perturb[k];
		kicked[p->slot] = (int32_t)anima_clamp((int64_t)kicked[p->slot] + p->amount, p->lo, p->hi);
	}
	uint32_t w = 0;
	for (; w < WIN; w++) {
		t = next_step_tick(t);
		anima_ctx_at(sim, t, &c);
		anima_gen_probe_step(kicked, sim->params, sim->delay, scratch, &c);
		anima_gen_probe_step(counterfactual, sim->params, sim->delay, scratch, &c);
		for (uint32_t r = 0; r < NOBS; r++) {
			uint32_t slot = anima_probe_observe[r];
			significant[r][w] = anima_abs((int64_t)kicked[slot] - counterfactual[slot]) > thr[r];
		}
		/* Copies that are equal again stay equal (same rules, same draws): the rest of the window is 0. */
		uint32_t k = 0;
		while (k < ANIMA_PROBE_NSLOTS && kicked[anima_probe_slots[k]] == counterfactual[anima_probe_slots[k]])
			k++;
		if (k == ANIMA_PROBE_NSLOTS)
			break;
	}
	for (w = w + 1; w < WIN; w++)
		for (uint32_t r = 0; r < NOBS; r++)
			significant[r][w] = 0;
	/* Regions by number of significant steps, more first, ties in declared order (a stable insertion sort). */
	uint32_t order[NOBS], count[NOBS];
	for (uint32_t r = 0; r < NOBS; r++) {
		count[r] = 0;
		for (uint32_t w = 0; w < WIN; w++)
			count[r] += significant[r][w];
		uint32_t j = r;
		while (j > 0 && count[order[j - 1]] < count[r]) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = r;
	}
	uint32_t n = 0, ones = 0;
	for (uint32_t w = 0; w < WIN; w++)
		for (uint32_t r = 0; r < NOBS; r++) {
			bits[n++] = significant[order[r]][w];
			ones += significant[order[r]][w];
		}
	if (ones == 0 || ones == n)
		return 0;
	int64_t lg = log2_q(n);
	int64_t denom = (int64_t)n * lg - (int64_t)ones * log2_q(ones) - (int64_t)(n - ones) * log2_q(n - ones);
	if (denom <= 0)
		return 0;
	int64_t pci = idiv((int64_t)lz76(bits, n) * lg * 1000, denom);
	return (int32_t)(pci < 1000 ? pci : 1000);
}

void anima_probe(struct anima_sim *sim)
{
#if ANIMA_PROBE_EVERY_PARAM >= 0
	int64_t every = sim->params[ANIMA_PROBE_EVERY_PARAM]; /* --set may change it; 0 is off */
#else
	int64_t every = ANIMA_PROBE_EVERY;
#endif
	/* Only at the stepped subsystems' ticks (a division by a constant), then the run-time rate. */
	if (sim->tick % ANIMA_PROBE_STEP_EVERY == ANIMA_PROBE_STEP_PHASE && every > 0 &&
	    sim->tick % (uint64_t)every == ANIMA_PROBE_PHASE % (uint64_t)every)
		sim->state[ANIMA_PROBE_INTO] = probe_index(sim);
}

#else

void anima_probe(struct anima_sim *sim)
{
	(void)sim;
}

#endif
