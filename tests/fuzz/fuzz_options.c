/* tests/fuzz/fuzz_options.c - the option parser (core/options.c) on any words: the input is one line as
 * anima.cfg or the Shell gives it, split by anima_split_args, then parsed for both platforms. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "anima.h"

#define LINE_MAX 4096
#define WORDS_MAX (LINE_MAX / 2 + 1)

static struct anima_stimulus schedule[4096];
static struct anima_options opts;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char line[LINE_MAX + 1];
	static char *argv[WORDS_MAX];
	char err[ANIMA_ERR_MAX];
	if (size > LINE_MAX)
		size = LINE_MAX;
	memcpy(line, data, size);
	line[size] = 0;
	int argc = anima_split_args(line, argv, WORDS_MAX);
	if (argc < 0)
		return 0;
	for (unsigned platform = ANIMA_OPT_HOST; platform <= ANIMA_OPT_UEFI; platform++) {
		opts.stimuli = schedule;
		opts.max_stimuli = sizeof schedule / sizeof schedule[0];
		anima_options_defaults(&opts);
		err[0] = 0;
		if (anima_options_parse(&opts, argc, argv, platform, err, sizeof err) != 0) {
			/* a refusal is one line of text */
			if (!err[0] || strchr(err, '\n') || strlen(err) >= sizeof err)
				abort();
			continue;
		}
		if (opts.nstimuli > opts.max_stimuli || opts.nsets > ANIMA_MAX_SETS)
			abort();
		for (size_t i = 1; i < opts.nstimuli; i++)
			if (opts.stimuli[i].tick < opts.stimuli[i - 1].tick)
				abort(); /* the schedule is sorted */
	}
	return 0;
}
