/* host/main.c - anima-sim: the simulation core on Linux, for tests, experiments and benchmarks. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "anima.h"
#include "host.h"
#include "util.h"

static struct anima_sim sim; /* static: its size grows with the catalogue */
static struct anima_options opts;
/* The schedule of timed stimuli: untouched pages cost nothing, and a million is more than a scenario of a
 * year at one action a minute. */
#define MAX_STIMULI (1u << 20)
static struct anima_stimulus schedule[MAX_STIMULI];

struct host {
	FILE *trace;
	FILE *events;
	int events_failed;
	int write_failed;
	struct timespec start;
	uint64_t start_tick;
	int progress; /* stderr is a terminal and the run is long */
	uint64_t last_progress_ns;
	uint64_t end_tick;
};

/* A path as an error line shows it: control characters escaped (core's anima_str does it), so a newline in a
 * file name cannot split the one-line error. Four buffers: a message may show more than one. */
static const char *shown(const char *path)
{
	static char bufs[4][4096 + 64];
	static unsigned next;
	char *b = bufs[next++ % 4];
	struct anima_str s = {b, sizeof bufs[0], 0};
	anima_str_add(&s, path);
	return b;
}

static void usage_error(const char *msg)
{
	fprintf(stderr, "anima-sim: %s\n", msg);
	exit(2);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void host_write(void *ctx, const char *bytes, size_t n)
{
	struct host *h = ctx;
	if (h->trace && fwrite(bytes, 1, n, h->trace) != n)
		h->write_failed = 1;
}

static void host_comment(void *ctx, const char *bytes, size_t n)
{
	struct host *h = ctx;
	if (fwrite(bytes, 1, n, h->events) != n)
		h->events_failed = 1;
}

static void print_line(void *ctx, const char *text)
{
	(void)ctx;
	puts(text);
}

/* The whole file, NUL-terminated, in memory the caller frees; NULL with errno on failure. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;
	if (!f)
		return NULL;
	for (;;) {
		if (n + 1 >= cap) {
			char *more = realloc(buf, cap = cap ? 2 * cap : 65536);
			if (!more) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = more;
		}
		size_t got = fread(buf + n, 1, cap - 1 - n, f);
		n += got;
		if (got == 0)
			break;
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		errno = EIO;
		return NULL;
	}
	buf[n] = 0;
	*len = n;
	return buf;
}

static void host_pace(void *ctx, uint64_t tick, uint64_t speed)
{
	struct host *h = ctx;
	uint64_t start = (uint64_t)h->start.tv_sec * 1000000000ull + (uint64_t)h->start.tv_nsec;
	uint64_t due = start + (tick - h->start_tick) * 1000000000ull / speed;
	uint64_t now = now_ns();
	if (h->trace)
		fflush(h->trace);
	if (due > now) {
		struct timespec ts = {(time_t)((due - now) / 1000000000ull), (long)((due - now) % 1000000000ull)};
		nanosleep(&ts, NULL);
	}
}

/* Progress on a terminal only, so pipes and tests stay clean. */
static int host_poll(void *ctx, uint64_t tick, uint32_t *id, int32_t *value)
{
	struct host *h = ctx;
	(void)id, (void)value;
	if ((tick & 0xffff) != 0)
		return 0;
	uint64_t now = now_ns();
	if (now - h->last_progress_ns < 500000000ull)
		return 0;
	h->last_progress_ns = now;
	uint64_t start = (uint64_t)h->start.tv_sec * 1000000000ull + (uint64_t)h->start.tv_nsec;
	double secs = (double)(now - start) / 1e9;
	double rate = secs > 0 ? (double)(tick - h->start_tick) / secs : 0;
	double left = rate > 0 ? (double)(h->end_tick - tick) / rate : 0;
	fprintf(stderr, "\ranima-sim: day %llu %02llu:%02llu  %.0f ticks/s  %.0f s left   ",
		(unsigned long long)(tick / 86400), (unsigned long long)(tick % 86400 / 3600),
		(unsigned long long)(tick % 3600 / 60), rate, left);
	return 0;
}

/* Up to cap bytes of the file; (size_t)-1 with errno when it cannot be read (a directory included). A file
 * longer than a checkpoint is read in part: its header still says whose checkpoint it is. */
static size_t read_file(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return (size_t)-1;
	size_t n = fread(buf, 1, cap, f);
	int bad = ferror(f), saved = errno;
	fclose(f);
	if (bad) {
		errno = saved ? saved : EIO;
		return (size_t)-1;
	}
	return n;
}

/* --save FILE: the checkpoint goes to a temporary file of a unique name beside FILE (created before the run,
 * which proves the directory writable), then is renamed onto FILE, so a failed run never leaves a damaged
 * FILE and no file of the user's (FILE.tmp included) is touched. FILE itself, when it exists, must be a
 * regular file: a symlink, device or directory is never replaced. */
static char save_tmp[4096];
static int save_fd = -1;

static void save_discard(void)
{
	if (save_fd >= 0) {
		close(save_fd);
		save_fd = -1;
		unlink(save_tmp);
	}
}

/* 0, or -1 with a one-line reason in why. */
static int save_prepare(const char *path, const char **why)
{
	struct stat st;
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		*why = S_ISLNK(st.st_mode) ? "is a symbolic link (not replaced)"
		       : S_ISDIR(st.st_mode) ? "is a directory" : "is not a regular file (not replaced)";
		return -1;
	}
	if (snprintf(save_tmp, sizeof save_tmp, "%s.XXXXXX", path) >= (int)sizeof save_tmp) {
		*why = "path too long";
		return -1;
	}
	save_fd = mkstemp(save_tmp);
	if (save_fd < 0) {
		*why = strerror(errno);
		return -1;
	}
	mode_t mask = umask(0);
	umask(mask);
	if (fchmod(save_fd, 0666 & ~mask) != 0) {
		*why = strerror(errno);
		save_discard();
		return -1;
	}
	atexit(save_discard);
	return 0;
}

static int save_checkpoint(const char *path)
{
	static uint8_t buf[ANIMA_CHECKPOINT_BYTES];
	size_t n = anima_checkpoint_write(&sim, buf, sizeof buf);
	struct stat st;
	if (!n) {
		errno = ENOSPC;
		return -1;
	}
	for (size_t done = 0; done < n;) {
		ssize_t w = write(save_fd, buf + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		done += (size_t)w;
	}
	if (fsync(save_fd) != 0)
		return -1;
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) { /* it changed during the run */
		errno = EEXIST;
		return -1;
	}
	if (rename(save_tmp, path) != 0)
		return -1;
	close(save_fd);
	save_fd = -1;
	return 0;
}

int main(int argc, char **argv)
{
	char err[ANIMA_ERR_MAX + 200];
	struct host h = {0};

	opts.stimuli = schedule;
	opts.max_stimuli = MAX_STIMULI;
	anima_options_defaults(&opts);
	if (anima_options_parse(&opts, argc - 1, argv + 1, ANIMA_OPT_HOST, err, sizeof err))
		usage_error(err);
	if (opts.help) {
		anima_options_usage("anima-sim", print_line, NULL);
		return 0;
	}
	if (opts.version) {
		anima_version_line("anima-sim", err, sizeof err);
		puts(err);
		return 0;
	}
	if (opts.summarize)
		return host_summarize(opts.summarize, opts.summary);
	if (opts.scenario) {
		size_t len = 0;
		char *text = slurp(opts.scenario, &len);
		if (!text) {
			fprintf(stderr, "anima-sim: --scenario %s: %s\n", shown(opts.scenario), strerror(errno));
			return 2;
		}
		if (anima_scenario_parse(&opts, opts.scenario, text, len, err, sizeof err)) {
			fprintf(stderr, "%s\n", err);
			free(text);
			return 2;
		}
		free(text);
	}
	if (opts.catalogue_info) {
		printf("subsystems=%d variables=%d couplings=%d groups=%d\n", ANIMA_NSUBSYSTEMS, ANIMA_NVARS,
		       ANIMA_NCOUPLINGS, ANIMA_NGROUPS);
		return 0;
	}
	if (opts.resume) {
		static uint8_t buf[ANIMA_CHECKPOINT_BYTES + 1]; /* one more: a longer file is not taken for whole */
		size_t n = read_file(opts.resume, buf, sizeof buf);
		if (n == (size_t)-1) {
			fprintf(stderr, "anima-sim: --resume %s: %s\n", shown(opts.resume), strerror(errno));
			return 1;
		}
		if (anima_checkpoint_read(&sim, buf, n, err, sizeof err)) {
			fprintf(stderr, "anima-sim: --resume %s: %s\n", shown(opts.resume), err);
			return 1;
		}
		if (!anima_checkpoint_same_catalogue(buf, n))
			fprintf(stderr, "anima-sim: --resume %s: taken with another catalogue of the same layout: its state "
					"and parameter values go on under this build's rules\n", shown(opts.resume));
	} else {
		anima_sim_init(&sim, opts.seed, opts.env);
		anima_sim_individual(&sim, opts.individual_given ? opts.individual : opts.seed);
	}
	anima_options_apply_sets(&opts, &sim);
	if (opts.describe) {
		host_describe(&sim, stdout);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (opts.save) {
		const char *why = "";
		if (save_prepare(opts.save, &why) != 0) {
			fprintf(stderr, "anima-sim: --save %s: cannot write checkpoint: %s\n", shown(opts.save), why);
			return 1;
		}
	}
	const char *trace = opts.trace ? opts.trace : "-";
	if (strcmp(trace, "-") == 0) {
		h.trace = stdout;
	} else {
		h.trace = fopen(trace, "w");
		if (!h.trace) {
			fprintf(stderr, "anima-sim: --trace %s: %s\n", shown(trace), strerror(errno));
			return 1;
		}
	}
	static char iobuf[1 << 16];
	setvbuf(h.trace, iobuf, _IOFBF, sizeof iobuf);
	if (opts.events) {
		h.events = strcmp(opts.events, "-") == 0 ? stdout : fopen(opts.events, "w");
		if (!h.events) {
			fprintf(stderr, "anima-sim: --events %s: %s\n", shown(opts.events), strerror(errno));
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &h.start);
	h.start_tick = sim.tick;
	h.end_tick = sim.tick + opts.ticks;
	h.progress = isatty(2) && opts.ticks >= 10 * 86400;
	static struct anima_summary summary;
	struct anima_platform p = {&h, host_write, host_pace, h.progress ? host_poll : NULL,
				   h.events ? host_comment : NULL, opts.summary ? &summary : NULL};
	if (opts.summary)
		host_summary_begin(&summary);
	enum anima_end_reason reason = anima_run(&sim, &opts, &p, 1);
	if (h.progress)
		fprintf(stderr, "\r\033[K");
	if (fflush(h.trace) != 0 || h.write_failed || (h.trace != stdout && fclose(h.trace) != 0)) {
		fprintf(stderr, "anima-sim: --trace %s: write failed: %s\n", shown(trace), strerror(errno));
		return 1;
	}
	if (h.events && (fflush(h.events) != 0 || h.events_failed || (h.events != stdout && fclose(h.events) != 0))) {
		fprintf(stderr, "anima-sim: --events %s: write failed: %s\n", shown(opts.events), strerror(errno));
		return 1;
	}
	if (opts.summary) {
		static const char *const reasons[] = {"none", "ticks", "death", "command"};
		struct anima_summary_head head = {0};
		char hex[17];
		host_catalogue_hex(hex);
		head.catalogue = hex;
		anima_summary_finish(&summary, opts.every);
		head.has_seed = 1;
		head.seed = sim.seed;
		head.has_individual = 1;
		head.individual = opts.individual_given ? opts.individual : sim.seed;
		head.start_tick = h.start_tick;
		head.end_tick = sim.tick;
		head.every = opts.every;
		head.end = reasons[reason];
		if (reason == ANIMA_END_DEATH) {
			head.has_death = 1;
			head.death_tick = sim.tick;
			head.cause = anima_sim_cause(&sim);
		}
		if (host_summary_write(opts.summary, &head) != 0)
			return 1;
	}
	if (opts.save && save_checkpoint(opts.save) != 0) {
		fprintf(stderr, "anima-sim: --save %s: cannot write checkpoint: %s\n", shown(opts.save), strerror(errno));
		return 1;
	}
	return 0;
}
