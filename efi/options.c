/* efi/options.c - the run's options: anima.cfg's line first, then the command line, parsed by the engine.
 *
 * The command line is LoadedImage->LoadOptions. The UEFI Shell passes the whole command line in UCS-2,
 * program name first; a boot-manager entry passes nothing, or binary optional data (efi/cmdline.c tells them
 * apart). A first word that is not an option is the program name. */
#include "anima_efi.h"
#include "cmdline.h"

#define CFG_MAX 4096
#define LINE_MAX 8192
#define WORDS_MAX (LINE_MAX / 2 + 1) /* a line of one-letter words */
#define MAX_STIMULI 65536            /* the schedule of --stimulus and --scenario actions */
#define SCENARIO_MAX (4u << 20)      /* bytes of a scenario file: some 150,000 lines */

static char cfg[CFG_MAX + 1];
static char cmdline[LINE_MAX + 1];
static char *argv_all[2 * WORDS_MAX];
static struct anima_stimulus schedule[MAX_STIMULI];
static char scenario[SCENARIO_MAX];
static struct anima_options scratch; /* validating one source alone */

/* anima.cfg: one line of options; blank lines and lines starting with '#' are allowed around it. */
static int cfg_words(char **argv, int max, int *argc, char *err, size_t errlen)
{
	size_t len = 0;
	char *line = NULL;
	int r = volume_read("anima.cfg", cfg, CFG_MAX, &len, err, errlen);

	*argc = 0;
	if (r == 1)
		return 0;
	if (r < 0)
		return -1;
	cfg[len] = 0;
	char *p = cfg;
	if (len >= 3 && (uint8_t)p[0] == 0xEF && (uint8_t)p[1] == 0xBB && (uint8_t)p[2] == 0xBF)
		p += 3; /* a UTF-8 byte order mark from a Windows editor */
	while (*p) {
		char *start = p;
		while (*p && *p != '\n')
			p++;
		if (*p)
			*p++ = 0;
		for (char *q = start; *q; q++) {
			if (*q == '\r' || *q == '\t')
				*q = ' ';
			else if ((uint8_t)*q < 0x20 || (uint8_t)*q > 0x7E) {
				str_add(err, errlen, "not a line of ASCII text");
				return -1;
			}
		}
		char *t = start;
		while (*t == ' ')
			t++;
		if (!*t || *t == '#')
			continue;
		if (line) {
			str_add(err, errlen, "more than one line of options");
			return -1;
		}
		line = t;
	}
	if (!line)
		return 0;
	*argc = anima_split_args(line, argv, max);
	if (*argc < 0) {
		str_add(err, errlen, "too many words");
		return -1;
	}
	return 0;
}

static int cmdline_words(char **argv, int max, int *argc, char *err, size_t errlen)
{
	EFI_LOADED_IMAGE *li = volume_loaded_image();

	*argc = 0;
	if (!li || !li->LoadOptions || li->LoadOptionsSize < 2 || (li->LoadOptionsSize & 1))
		return 0;
	switch (cmdline_from_ucs2(li->LoadOptions, li->LoadOptionsSize / 2, cmdline, sizeof cmdline, err, errlen)) {
	case CMDLINE_NONE:
		return 0; /* binary optional data of a boot entry: not ours */
	case CMDLINE_BAD:
		return -1;
	case CMDLINE_TEXT:
		break;
	}
	*argc = anima_split_args(cmdline, argv, max);
	if (*argc < 0) {
		str_add(err, errlen, "too many words");
		return -1;
	}
	if (*argc > 0 && !anima_starts(argv[0], "--")) { /* the Shell's program name */
		for (int i = 1; i < *argc; i++)
			argv[i - 1] = argv[i];
		(*argc)--;
	}
	return 0;
}

static int fail(char *err, size_t errlen, const char *source, const char *why)
{
	char msg[ANIMA_ERR_MAX + 64] = "";
	str_add(msg, sizeof msg, source);
	str_add(msg, sizeof msg, ": ");
	str_add(msg, sizeof msg, why);
	err[0] = 0;
	str_add(err, errlen, msg);
	return -1;
}

int options_load(struct anima_options *o, char *err, size_t errlen)
{
	char why[ANIMA_ERR_MAX] = "";
	char **cfg_argv = argv_all, **cmd_argv;
	int ncfg, ncmd;

	if (cfg_words(cfg_argv, WORDS_MAX, &ncfg, why, sizeof why) != 0)
		return fail(err, errlen, "anima.cfg", why);
	cmd_argv = argv_all + ncfg;
	if (cmdline_words(cmd_argv, WORDS_MAX, &ncmd, why, sizeof why) != 0)
		return fail(err, errlen, "command line", why);
	/* Each source alone first, so an error names where the bad option is. The parser only sets what it
	 * reads: defaults first, every time. The final options' schedule is the scratch's while validating:
	 * it is parsed again below. */
	scratch.stimuli = schedule;
	scratch.max_stimuli = MAX_STIMULI;
	anima_options_defaults(&scratch);
	if (ncfg && anima_options_parse(&scratch, ncfg, cfg_argv, ANIMA_OPT_UEFI, why, sizeof why) != 0)
		return fail(err, errlen, "anima.cfg", why);
	anima_options_defaults(&scratch);
	if (ncmd && anima_options_parse(&scratch, ncmd, cmd_argv, ANIMA_OPT_UEFI, why, sizeof why) != 0)
		return fail(err, errlen, "command line", why);
	/* Then together: later words override earlier ones, so the command line wins over anima.cfg. */
	o->stimuli = schedule;
	o->max_stimuli = MAX_STIMULI;
	anima_options_defaults(o);
	if (anima_options_parse(o, ncfg + ncmd, argv_all, ANIMA_OPT_UEFI, why, sizeof why) != 0)
		return fail(err, errlen, ncfg && ncmd ? "anima.cfg and command line" : ncfg ? "anima.cfg" : "command line", why);
	if (o->scenario && !o->help && !o->version) {
		size_t len = 0;
		int r = volume_read(o->scenario, scenario, sizeof scenario, &len, why, sizeof why);
		if (r == 1)
			str_add(why, sizeof why, "no such file");
		if (r != 0) {
			err[0] = 0;
			str_add(err, errlen, "--scenario ");
			str_add(err, errlen, o->scenario);
			str_add(err, errlen, ": ");
			str_add(err, errlen, why);
			return -1;
		}
		/* FILE:LINE:COLUMN: error: ... names the file itself */
		if (anima_scenario_parse(o, o->scenario, scenario, len, err, errlen) != 0)
			return -1;
	}
	return 0;
}
