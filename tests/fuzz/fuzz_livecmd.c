/* tests/fuzz/fuzz_livecmd.c - a live command line (efi/livecmd.c), as efi/live.c hands it over: at most 95
 * printable characters or Tabs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "livecmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[96];
	struct livecmd cmd;
	size_t n = size < sizeof line - 1 ? size : sizeof line - 1;
	memcpy(line, data, n);
	line[n] = 0;
	livecmd_parse(line, &cmd);
	switch (cmd.kind) {
	case LIVECMD_SPEED:
		if (cmd.speed == 0 || cmd.speed > LIVECMD_SPEED_CAP)
			abort();
		break;
	case LIVECMD_STIMULUS:
		if (cmd.id >= ANIMA_NSTIMULI)
			abort();
		if ((cmd.value < anima_stimuli[cmd.id].lo || cmd.value > anima_stimuli[cmd.id].hi) &&
		    !(anima_stimuli[cmd.id].has_auto && cmd.value == anima_stimuli[cmd.id].auto_value))
			abort(); /* within the stimulus's range, or its `auto` */
		break;
	case LIVECMD_ERROR:
		if (!cmd.msg[0] || strchr(cmd.msg, '\n') || strlen(cmd.msg) >= sizeof cmd.msg)
			abort();
		break;
	default:
		break;
	}
	return 0;
}
