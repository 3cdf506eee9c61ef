/* efi/livecmd.c - one live command line parsed: quit | pause | resume | speed N|max|up|down | faster | slower |
 * + | - | NAME VALUE (a stimulus, spelt as --stimulus T:NAME=VALUE: meal 500, meal=500, light auto). Words are
 * separated by spaces, Tabs or '='; case does not matter. */
#include "livecmd.h"
#include "util.h"

/* A speed: 1..LIVECMD_SPEED_CAP ticks per second (the number parsed by the library, core/fmt.c). */
static int parse_speed(const char *s, uint64_t *v)
{
	uint64_t x;
	if (anima_parse_u64(s, &x) != 0 || x == 0 || x > LIVECMD_SPEED_CAP)
		return -1;
	*v = x;
	return 0;
}

static void refuse(struct livecmd *cmd, char *const *w, int n, const char *why)
{
	struct anima_str s = {cmd->msg, sizeof cmd->msg, 0};
	anima_str_add(&s, "command '");
	for (int i = 0; i < n; i++) {
		if (i)
			anima_str_add(&s, " ");
		anima_str_add(&s, w[i]);
	}
	anima_str_add(&s, "': ");
	anima_str_add(&s, why);
	cmd->kind = LIVECMD_ERROR;
}

void livecmd_parse(char *line, struct livecmd *cmd)
{
	char *w[3] = {0, 0, 0}, *p = line;
	int n = 0;

	cmd->kind = LIVECMD_NONE;
	cmd->msg[0] = 0;
	for (char *q = line; *q; q++) {
		if (*q >= 'A' && *q <= 'Z')
			*q = (char)(*q - 'A' + 'a');
		else if (*q == '=' || *q == '\t')
			*q = ' ';
	}
	while (*p && n < 3) {
		while (*p == ' ')
			*p++ = 0;
		if (!*p)
			break;
		w[n++] = p;
		while (*p && *p != ' ')
			p++;
	}
	while (*p == ' ')
		p++;
	if (n == 0)
		return;
	if (n == 3 || *p) {
		refuse(cmd, w, 1, "too many words");
		return;
	}
	if (n == 1 && (anima_streq(w[0], "quit") || anima_streq(w[0], "q") || anima_streq(w[0], "exit"))) {
		cmd->kind = LIVECMD_QUIT;
	} else if (n == 1 && anima_streq(w[0], "pause")) {
		cmd->kind = LIVECMD_PAUSE;
	} else if (n == 1 && (anima_streq(w[0], "resume") || anima_streq(w[0], "continue"))) {
		cmd->kind = LIVECMD_RESUME;
	} else if ((n == 1 && (anima_streq(w[0], "faster") || anima_streq(w[0], "+"))) ||
		   (n == 2 && anima_streq(w[0], "speed") && anima_streq(w[1], "up"))) {
		cmd->kind = LIVECMD_FASTER;
	} else if ((n == 1 && (anima_streq(w[0], "slower") || anima_streq(w[0], "-"))) ||
		   (n == 2 && anima_streq(w[0], "speed") && anima_streq(w[1], "down"))) {
		cmd->kind = LIVECMD_SLOWER;
	} else if (n == 2 && anima_streq(w[0], "speed")) {
		if (anima_streq(w[1], "max"))
			cmd->kind = LIVECMD_SPEED_MAX;
		else if (parse_speed(w[1], &cmd->speed) == 0)
			cmd->kind = LIVECMD_SPEED;
		else
			refuse(cmd, w, 2, "expected a number of ticks per second, up, down or max");
	} else if (n == 2) {
		char err[ANIMA_ERR_MAX] = "";
		/* The engine's own lookup: the same names, ranges and `auto` as --stimulus and scenario files. */
		int k = anima_stimulus_find(w[0], anima_strlen(w[0]));
		if (k < 0) {
			anima_stimulus_unknown(w[0], anima_strlen(w[0]), err, sizeof err);
			refuse(cmd, w, 2, err);
		} else if (anima_stimulus_value((uint32_t)k, w[1], anima_strlen(w[1]), &cmd->value, err, sizeof err) != 0) {
			refuse(cmd, w, 2, err);
		} else {
			cmd->id = (uint32_t)k;
			cmd->kind = LIVECMD_STIMULUS;
		}
	} else {
		refuse(cmd, w, 1, "unknown (quit, pause, resume, speed N|max|up|down, NAME VALUE)");
	}
}
