/* tests/fuzz/fuzz_scenario.c - scenario files (core/scenario.c): any bytes, an error of one line naming
 * FILE:LINE:COLUMN or a sorted schedule of stimuli within their ranges. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "anima.h"

static struct anima_stimulus schedule[1 << 16];
static struct anima_options opts;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[ANIMA_ERR_MAX + 64];
	opts.stimuli = schedule;
	opts.max_stimuli = sizeof schedule / sizeof schedule[0];
	anima_options_defaults(&opts);
	err[0] = 0;
	if (anima_scenario_parse(&opts, "fuzz.scn", (const char *)data, size, err, sizeof err) != 0) {
		if (strncmp(err, "fuzz.scn:", 9) != 0 || strchr(err, '\n'))
			abort();
		return 0;
	}
	for (size_t i = 0; i < opts.nstimuli; i++) {
		const struct anima_stimulus *s = &opts.stimuli[i];
		if (s->id >= ANIMA_NSTIMULI || (i && s->tick < opts.stimuli[i - 1].tick))
			abort();
	}
	return 0;
}
