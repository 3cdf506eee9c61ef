/* tests/fuzz/fuzz_checkpoint.c - checkpoints (core/checkpoint.c) as an attacker writes them. The first byte
 * chooses: odd, the input is the whole checkpoint (damaged ones: magic, lengths, checksum); even, the input
 * overwrites the words of a valid checkpoint at chosen places and the checksum is recomputed, so the fuzzer
 * reaches the validator. A checkpoint that is accepted then runs 900 ticks with every stimulus: under
 * ASan/UBSan whatever the validator lets through must be safe to run. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "anima.h"

static struct anima_sim sim;
static uint8_t valid[ANIMA_CHECKPOINT_BYTES];
static size_t valid_len;

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static void seal(uint8_t *buf, size_t len)
{
	uint64_t h = fnv1a(buf, len - 8);
	for (int i = 0; i < 8; i++)
		buf[len - 8 + i] = (uint8_t)(h >> (8 * i));
}

static void run_a_while(void)
{
	static volatile uint32_t nstimuli = ANIMA_NSTIMULI; /* may be 0 */
	for (int t = 0; t < 900 && anima_sim_alive(&sim); t++) {
		if (t % 150 == 0 && nstimuli > 0)
			anima_sim_stimulus(&sim, (uint32_t)(t / 150) % nstimuli,
					   anima_stimuli[(uint32_t)(t / 150) % nstimuli].hi);
		anima_sim_step(&sim);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[ANIMA_CHECKPOINT_BYTES + 16];
	char err[ANIMA_ERR_MAX];
	if (!valid_len) {
		anima_sim_init(&sim, 1, 0);
		for (int t = 0; t < 100; t++)
			anima_sim_step(&sim);
		valid_len = anima_checkpoint_write(&sim, valid, sizeof valid);
		if (!valid_len)
			abort();
	}
	if (!size)
		return 0;
	size_t len;
	if (data[0] & 1) {
		len = size - 1 < sizeof buf ? size - 1 : sizeof buf;
		memcpy(buf, data + 1, len);
	} else {
		/* records of 6 bytes: a 16-bit word index past the header, then the 32-bit word */
		memcpy(buf, valid, valid_len);
		len = valid_len;
		size_t words = (valid_len - 8) / 4;
		for (size_t i = 1; i + 6 <= size; i += 6) {
			size_t w = (data[i] | (size_t)data[i + 1] << 8) % words;
			memcpy(buf + 4 * w, data + i + 2, 4);
		}
		seal(buf, len);
	}
	err[0] = 0;
	if (anima_checkpoint_read(&sim, buf, len, err, sizeof err) != 0) {
		if (!err[0] || strchr(err, '\n'))
			abort();
		return 0;
	}
	run_a_while();
	return 0;
}
