/* tests/fuzz/fuzz_cmdline.c - the UEFI Shell's LoadOptions (UCS-2) to ASCII (efi/cmdline.c), then the words
 * and options as efi/options.c takes them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "anima.h"
#include "cmdline.h"

#define LINE_MAX 8192

static struct anima_stimulus schedule[4096];
static struct anima_options opts;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint16_t ucs2[LINE_MAX];
	static char line[LINE_MAX + 1];
	static char *argv[LINE_MAX / 2 + 1];
	char err[ANIMA_ERR_MAX];
	size_t n = size / 2 > LINE_MAX ? LINE_MAX : size / 2;
	for (size_t i = 0; i < n; i++)
		ucs2[i] = (uint16_t)(data[2 * i] | data[2 * i + 1] << 8);
	/* a small buffer too: the length limit is a refusal, not an overflow */
	size_t cap = size && data[0] == 'x' ? 16 : sizeof line;
	enum cmdline_kind k = cmdline_from_ucs2(ucs2, n, line, cap, err, sizeof err);
	if (k == CMDLINE_BAD && (!err[0] || strchr(err, '\n')))
		abort();
	if (k != CMDLINE_TEXT)
		return 0;
	for (const char *p = line; *p; p++)
		if (*p < 0x20 || *p > 0x7E)
			abort(); /* only printable ASCII reaches the option parser */
	int argc = anima_split_args(line, argv, (int)(sizeof argv / sizeof argv[0]));
	if (argc <= 0)
		return 0;
	opts.stimuli = schedule;
	opts.max_stimuli = sizeof schedule / sizeof schedule[0];
	anima_options_defaults(&opts);
	if (anima_options_parse(&opts, argc - 1, argv + 1, ANIMA_OPT_UEFI, err, sizeof err) != 0 && strchr(err, '\n'))
		abort();
	return 0;
}
