/* efi/livecmd.h - one live command line parsed (docs/running.md "Live commands"). Pure: no firmware, so the
 * host builds it too (tests/fuzz/fuzz_livecmd.c). */
#ifndef ANIMA_EFI_LIVECMD_H
#define ANIMA_EFI_LIVECMD_H

#include <stdint.h>

#include "anima.h"

#define LIVECMD_SPEED_CAP 1000000000ull /* beyond this pacing is moot; keeps the time arithmetic in 64 bits */

enum livecmd_kind {
	LIVECMD_NONE = 0, /* a blank line */
	LIVECMD_QUIT,
	LIVECMD_PAUSE,
	LIVECMD_RESUME,
	LIVECMD_FASTER,
	LIVECMD_SLOWER,
	LIVECMD_SPEED,    /* speed: ticks per second, 1..LIVECMD_SPEED_CAP */
	LIVECMD_SPEED_MAX,
	LIVECMD_STIMULUS, /* id, value: as --stimulus resolves NAME=VALUE */
	LIVECMD_ERROR,    /* msg: the one-line refusal, naming the command */
};

struct livecmd {
	enum livecmd_kind kind;
	uint64_t speed;
	uint32_t id;
	int32_t value;
	char msg[ANIMA_ERR_MAX + 96];
};

/* Parses line (changed in place: lower case, '=' and Tab become spaces). Never fails: a bad line is
 * LIVECMD_ERROR with its message. */
void livecmd_parse(char *line, struct livecmd *cmd);

#endif
