/* efi/live.c - the platform of a run after ExitBootServices: the trace to COM1, pacing to the wall clock,
 * and live commands typed on the PS/2 keyboard or sent to COM1.
 *
 * Commands, one per line (Enter or CR): quit | pause | resume | speed N|max|up|down | faster | slower |
 * NAME VALUE (a stimulus, as `--stimulus T:NAME=VALUE` spells it: meal 500, infection 600, light auto).
 * Keys at the start of a line: Esc quits, + and - double and halve the speed.
 *
 * Ordering: the engine flushes its buffered rows before every poll() call, and everything here (reading
 * the inputs, pacing, pausing) happens inside poll(), so our own '#' lines (acknowledgements, errors) are
 * written the moment they are made and always land after the rows they follow. The engine's pace hook is
 * not used: poll() runs every tick at any speed, and the speed it paces to lives here, changed by live
 * commands. The lines also go to the dashboard (its header shows the speed and the pause). */
#include "anima_efi.h"
#include "dashboard.h"

#define SPEED_CAP 1000000000ull /* beyond this pacing is moot; keeps the time arithmetic in 64 bits */
#define MAX_POLL_EVERY 64       /* at max speed, look at the inputs every 64 ticks, not every tick */

struct input {
	char buf[96];
	size_t n;
	int overflow;
};

static struct {
	uint64_t speed; /* simulated seconds per wall second; 0 = as fast as possible */
	uint64_t hz;    /* timer_now() per second; 0 = no clock: max */
	int epoch_valid;
	uint64_t epoch_time, epoch_tick;
	uint64_t tick; /* the tick the engine last told us about */
	struct anima_sim *sim; /* for --persist: saved at tick boundaries, where its state is whole */
	int persist;
	uint64_t saved_tick;
	int paused, quit, fault, fault_done;
	uint32_t qid[16];
	int32_t qval[16];
	unsigned qhead, qn;
	struct input com1, kbd, usbkbd;
} L;

static void com1_write(void *ctx, const char *bytes, size_t n)
{
	(void)ctx;
	serial_write(bytes, n);
}

/* A '#' line to COM1 and the screen, at once (see Ordering above). */
static void note(const char *a, const char *b, const char *c)
{
	char line[256] = "# anima: ";
	str_add(line, sizeof line, a);
	if (b)
		str_add(line, sizeof line, b);
	if (c)
		str_add(line, sizeof line, c);
	str_add(line, sizeof line, "\n");
	size_t n = str_len(line);
	if (line[n - 1] != '\n')
		line[n - 1] = '\n'; /* cut short: still a whole line */
	serial_write(line, n);
	dashboard_comments(line, n);
}

static void note_speed(void)
{
	char t[64] = "";
	str_add(t, sizeof t, "speed=");
	if (L.speed)
		str_add_u64(t, sizeof t, L.speed);
	else
		str_add(t, sizeof t, "max");
	str_add(t, sizeof t, " tick=");
	str_add_u64(t, sizeof t, L.tick);
	note(t, 0, 0);
}

static void set_speed(uint64_t s)
{
	L.speed = s > SPEED_CAP ? 0 : s;
	L.epoch_valid = 0; /* the schedule restarts from the current tick */
	note_speed();
}

static int parse_u64(const char *s, uint64_t *v)
{
	uint64_t x = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || x > SPEED_CAP)
			return -1;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*v = x;
	return 0;
}

static void queue_stimulus(uint32_t id, int32_t v)
{
	if (L.qn == 16) {
		note("stimulus dropped: 16 already waiting", 0, 0);
		return;
	}
	L.qid[(L.qhead + L.qn) % 16] = id;
	L.qval[(L.qhead + L.qn) % 16] = v;
	L.qn++;
}

static void command(char *line)
{
	char *w[3] = {0, 0, 0}, *p = line;
	int n = 0;
	char err[ANIMA_ERR_MAX] = "";

	for (char *q = line; *q; q++) {
		if (*q >= 'A' && *q <= 'Z')
			*q = (char)(*q - 'A' + 'a');
		else if (*q == '=' || *q == '\t')
			*q = ' '; /* "meal=500" as well as "meal 500" */
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
		note("command '", w[0], "': too many words");
		return;
	}
	if (n == 1 && (str_eq(w[0], "quit") || str_eq(w[0], "q") || str_eq(w[0], "exit"))) {
		L.quit = 1;
	} else if (n == 1 && str_eq(w[0], "pause")) {
		if (!L.paused) {
			char t[48] = "paused tick=";
			str_add_u64(t, sizeof t, L.tick);
			note(t, 0, 0);
		}
		L.paused = 1;
	} else if (n == 1 && (str_eq(w[0], "resume") || str_eq(w[0], "continue"))) {
		if (L.paused) {
			char t[48] = "resumed tick=";
			str_add_u64(t, sizeof t, L.tick);
			note(t, 0, 0);
		}
		L.paused = 0;
		L.epoch_valid = 0;
	} else if ((n == 1 && (str_eq(w[0], "faster") || str_eq(w[0], "+"))) ||
		   (n == 2 && str_eq(w[0], "speed") && str_eq(w[1], "up"))) {
		set_speed(L.speed ? L.speed * 2 : 0);
	} else if ((n == 1 && (str_eq(w[0], "slower") || str_eq(w[0], "-"))) ||
		   (n == 2 && str_eq(w[0], "speed") && str_eq(w[1], "down"))) {
		set_speed(L.speed ? (L.speed > 1 ? L.speed / 2 : 1) : 86400); /* from max: a day a second */
	} else if (n == 2 && str_eq(w[0], "speed")) {
		uint64_t s;
		if (str_eq(w[1], "max"))
			set_speed(0);
		else if (parse_u64(w[1], &s) == 0 && s > 0)
			set_speed(s);
		else
			note("command 'speed ", w[1], "': expected a number of ticks per second, up, down or max");
	} else if (n == 2) {
		uint32_t id;
		int32_t v;
		if (options_stimulus(w[0], w[1], &id, &v, err, sizeof err) == 0) {
			queue_stimulus(id, v);
		} else {
			char t[ANIMA_ERR_MAX + 64] = "command '";
			str_add(t, sizeof t, w[0]);
			str_add(t, sizeof t, " ");
			str_add(t, sizeof t, w[1]);
			str_add(t, sizeof t, "': ");
			str_add(t, sizeof t, err);
			note(t, 0, 0);
		}
	} else {
		note("command '", w[0], "': unknown (quit, pause, resume, speed N|max|up|down, NAME VALUE)");
	}
}

static void feed(struct input *in, int c)
{
	if (c == '\r' || c == '\n') {
		in->buf[in->n] = 0;
		if (in->overflow)
			note("command too long, ignored", 0, 0);
		else
			command(in->buf);
		in->n = 0;
		in->overflow = 0;
	} else if (c == '\b' || c == 0x7F) {
		if (in->n)
			in->n--;
	} else if (in->n == 0 && !in->overflow && c == 27) {
		L.quit = 1;
	} else if (in->n == 0 && !in->overflow && (c == '+' || c == '-')) {
		char k[2] = {(char)c, 0};
		command(k);
	} else if ((c >= 0x20 && c < 0x7F) || c == '\t') { /* Tab separates words like a space */
		if (in->n + 1 < sizeof in->buf)
			in->buf[in->n++] = (char)c;
		else
			in->overflow = 1;
	}
}

static void pump(void)
{
	int c;
	/* Bounded: a stuck receiver must not keep the run from going on. */
	for (int i = 0; i < 64 && (c = serial_getc()) >= 0; i++)
		feed(&L.com1, c);
	for (int i = 0; i < 64 && (c = kbd_getc()) >= 0; i++)
		feed(&L.kbd, c);
	for (int i = 0; i < 64 && (c = usbkbd_getc()) >= 0; i++)
		feed(&L.usbkbd, c);
	tracefile_poll();
}

/* Wall-clock time of d ticks at the current speed, without overflow (speed <= SPEED_CAP). */
static uint64_t ticks_to_time(uint64_t d)
{
	return d / L.speed * L.hz + d % L.speed * L.hz / L.speed;
}

/* Waits until tick `next` is due at the current speed, reading the inputs meanwhile; holds here while paused
 * (the screen is still redrawn now and then). Returns at once at max speed, without a clock, or on quit. */
static void pace(uint64_t next)
{
	for (;;) {
		while (L.paused && !L.quit) {
			pump();
			dashboard_idle();
			(void)timer_now(); /* keeps a PM timer clock from missing a wrap */
		}
		if (L.quit || !L.speed || !L.hz)
			return;
		if (!L.epoch_valid) {
			L.epoch_valid = 1;
			L.epoch_time = timer_now();
			L.epoch_tick = next - 1;
		}
		uint64_t due = L.epoch_time + ticks_to_time(next - L.epoch_tick);
		while (timer_now() < due) {
			pump();
			if (L.quit)
				return;
			if (L.paused || !L.epoch_valid)
				break; /* pause before this tick; or a new speed: a new schedule from here */
		}
		if (!L.paused && L.epoch_valid)
			return;
	}
}

/* Once (or, after a stimulus, again) per tick, with the rows up to `tick` already written. */
static int poll(void *ctx, uint64_t tick, uint32_t *id, int32_t *value)
{
	(void)ctx;
	L.tick = tick;
	trap_set_tick(tick);
	if (L.persist && tick % 3600 == 0 && tick != L.saved_tick) {
		L.saved_tick = tick;
		persist_save(L.sim); /* every simulated hour */
	}
	/* --fault: at tick 1, once its row is out. */
	if (L.fault && !L.fault_done && tick >= 1) {
		L.fault_done = 1;
		trap_raise(L.fault);
	}
	if (L.speed || (tick % MAX_POLL_EVERY) == 0)
		pump();
	pace(tick + 1);
	if (L.quit)
		return 2;
	if (L.qn) {
		*id = L.qid[L.qhead];
		*value = L.qval[L.qhead];
		L.qhead = (L.qhead + 1) % 16;
		L.qn--;
		return 1;
	}
	return 0;
}

void live_init(struct anima_platform *p, struct anima_options *o, struct anima_sim *sim)
{
	L.sim = sim;
	L.persist = o->persist;
	L.saved_tick = sim->tick; /* just loaded or fresh: nothing new to save at the first boundary */
	L.speed = o->speed > SPEED_CAP ? 0 : o->speed;
	L.hz = timer_hz();
	L.fault = o->fault;
	kbd_init();
	p->ctx = NULL;
	p->write = com1_write;
	p->pace = NULL; /* see Ordering: poll() paces */
	p->poll = poll;
}
