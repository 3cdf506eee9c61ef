/* efi/live.c - the platform of a run after ExitBootServices: the trace to COM1, pacing to the wall clock,
 * and live commands typed on the PS/2 keyboard or sent to COM1.
 *
 * Commands, one per line (Enter or CR): quit | pause | resume | speed N|max|up|down | faster | slower |
 * NAME VALUE (a stimulus, as `--stimulus T:NAME=VALUE` spells it: meal 500, infection 600, light auto).
 * Keys at the start of a line: Esc quits (on COM1 a lone Esc: escape sequences such as an arrow key's ESC [ A
 * are taken out whole and ignored), + and - double and halve the speed.
 *
 * Ordering: the engine flushes its buffered rows before every poll() call, and everything here (reading
 * the inputs, pacing, pausing) happens inside poll(), so our own '#' lines (acknowledgements, errors) are
 * written the moment they are made and always land after the rows they follow. The engine's pace hook is
 * not used: poll() runs every tick at any speed, and the speed it paces to lives here, changed by live
 * commands. The lines also go to the dashboard (its header shows the speed and the pause). */
#include "anima_efi.h"
#include "dashboard.h"
#include "livecmd.h"

#define SPEED_CAP LIVECMD_SPEED_CAP
#define QUEUE_MAX 256         /* live stimuli waiting for the engine */
#define PUMP_CHARS 64         /* characters read from each source by one pump() */
#define PUMP_COMMANDS (3 * PUMP_CHARS / 4) /* the most stimulus commands one pump() can bring */
#define MAX_POLL_EVERY 64       /* at max speed, look at the inputs every 64 ticks, not every tick */
 /* A lone Esc on COM1 quits once nothing followed it for this long: a terminal sends the keys that are
  * not characters (arrows, F-keys, Home...) as ESC [ ... or ESC O x in one burst. */
#define ESC_WAIT_MS 300
#define ESC_WAIT_PUMPS 4096 /* the same without a clock */
#define PERSIST_EVERY 600       /* --persist: seconds of wall time between two saves, at least */

struct input {
	char buf[96];
	size_t n;
	int overflow;
	int esc;           /* COM1 escape sequence: 0 none, 1 after ESC, 2 in ESC [ ..., 3 after ESC O */
	uint64_t esc_time; /* when the ESC came (clock ticks), or the pumps since, without a clock */
};

static struct {
	uint64_t speed; /* simulated seconds per wall second; 0 = as fast as possible */
	uint64_t hz;    /* timer_now() per second; 0 = no clock: max */
	int epoch_valid;
	uint64_t epoch_time, epoch_tick;
	uint64_t tick; /* the tick the engine last told us about */
	struct anima_sim *sim; /* for --persist: saved at tick boundaries, where its state is whole */
	int persist;
	uint64_t saved_time, persist_check; /* the clock at the last save; the tick to look at it next */
	int paused, quit, fault, fault_done;
	uint32_t qid[QUEUE_MAX];
	int32_t qval[QUEUE_MAX];
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
	size_t n = anima_strlen(line);
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

/* Live stimuli wait here until the engine takes them (at most 16 a tick: the rest wait for the next ticks,
 * each logged at the tick it acts). Input is read only while the queue can take everything one pump() can
 * bring (64 characters from each of the 3 sources, a stimulus command being at least "x 1" and its Enter),
 * so no command is ever dropped: what is not read yet waits in the device. */
static void queue_stimulus(uint32_t id, int32_t v, const char *line)
{
	if (L.qn == QUEUE_MAX) { /* not reached while pump() keeps its margin; refused with a line if it is */
		note("command '", line, "': refused, the queue of live stimuli is full");
		return;
	}
	L.qid[(L.qhead + L.qn) % QUEUE_MAX] = id;
	L.qval[(L.qhead + L.qn) % QUEUE_MAX] = v;
	L.qn++;
}

static void command(char *line)
{
	struct livecmd cmd;
	char shown[sizeof ((struct input *)0)->buf] = "";
	str_add(shown, sizeof shown, line);
	livecmd_parse(line, &cmd);
	switch (cmd.kind) {
	case LIVECMD_NONE:
		break;
	case LIVECMD_QUIT:
		L.quit = 1;
		break;
	case LIVECMD_PAUSE:
		if (!L.paused) {
			char t[48] = "paused tick=";
			str_add_u64(t, sizeof t, L.tick);
			note(t, 0, 0);
		}
		L.paused = 1;
		break;
	case LIVECMD_RESUME:
		if (L.paused) {
			char t[48] = "resumed tick=";
			str_add_u64(t, sizeof t, L.tick);
			note(t, 0, 0);
		}
		L.paused = 0;
		L.epoch_valid = 0;
		break;
	case LIVECMD_FASTER:
		set_speed(L.speed ? L.speed * 2 : 0);
		break;
	case LIVECMD_SLOWER:
		set_speed(L.speed ? (L.speed > 1 ? L.speed / 2 : 1) : 86400); /* from max: a day a second */
		break;
	case LIVECMD_SPEED:
		set_speed(cmd.speed);
		break;
	case LIVECMD_SPEED_MAX:
		set_speed(0);
		break;
	case LIVECMD_STIMULUS:
		queue_stimulus(cmd.id, cmd.value, shown);
		break;
	case LIVECMD_ERROR:
		note(cmd.msg, 0, 0);
		break;
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

/* COM1 bytes: escape sequences (ESC [ params final, ESC O x, ESC x) are taken out whole; a lone ESC is
 * decided in pump() once its wait is over. */
static void feed_com1(int c)
{
	struct input *in = &L.com1;
	switch (in->esc) {
	case 1:
		in->esc = c == '[' ? 2 : c == 'O' ? 3 : 0; /* ESC and another key: Alt+key, ignored */
		return;
	case 2: /* CSI: parameter and intermediate bytes 0x20-0x3F until a final byte 0x40-0x7E */
		if (c < 0x20 || c > 0x3F)
			in->esc = 0;
		return;
	case 3:
		in->esc = 0;
		return;
	}
	if (c == 27) {
		in->esc = 1;
		in->esc_time = L.hz ? timer_now() : 0;
		return;
	}
	feed(in, c);
}

static void pump(void)
{
	int c;
	/* Bounded: a stuck receiver must not keep the run from going on. Held back while the queue could not
	 * take all it might bring (see queue_stimulus), except when paused: "resume" must still get through, and
	 * a stimulus beyond the queue is then refused with a line. */
	if (L.paused || QUEUE_MAX - L.qn >= PUMP_COMMANDS) {
		for (int i = 0; i < PUMP_CHARS && (c = serial_getc()) >= 0; i++)
			feed_com1(c);
		for (int i = 0; i < PUMP_CHARS && (c = kbd_getc()) >= 0; i++)
			feed(&L.kbd, c);
		for (int i = 0; i < PUMP_CHARS && (c = usbkbd_getc()) >= 0; i++)
			feed(&L.usbkbd, c);
	}
	if (L.com1.esc == 1 &&
	    (L.hz ? timer_now() - L.com1.esc_time >= L.hz * ESC_WAIT_MS / 1000 : ++L.com1.esc_time >= ESC_WAIT_PUMPS)) {
		L.com1.esc = 0;
		feed(&L.com1, 27); /* a lone Esc: at the start of a line it quits */
	}
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
	char nmi[128];
	if (trap_nmi_report(nmi, sizeof nmi))
		note(nmi + 9, 0, 0); /* logged, and the run goes on (note() adds the "# anima: ") */
	/* --persist: at most once per PERSIST_EVERY s of wall time (the firmware's store does not reclaim
	 * until the next boot); the clock is looked at about once a wall second at a paced speed. */
	if (L.persist && L.hz && tick >= L.persist_check) {
		L.persist_check = tick + (L.speed ? L.speed : 4096);
		uint64_t now = timer_now();
		if (now - L.saved_time >= PERSIST_EVERY * L.hz) {
			L.saved_time = now;
			persist_save(L.sim, 0);
		}
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
		L.qhead = (L.qhead + 1) % QUEUE_MAX;
		L.qn--;
		return 1;
	}
	return 0;
}

void live_init(struct anima_platform *p, struct anima_options *o, struct anima_sim *sim)
{
	L.sim = sim;
	L.persist = o->persist;
	L.saved_time = timer_now(); /* saved at boot (persist_begin) */
	L.persist_check = sim->tick;
	L.speed = o->speed > SPEED_CAP ? 0 : o->speed;
	L.hz = timer_hz();
	L.fault = o->fault;
	kbd_init();
	p->ctx = NULL;
	p->write = com1_write;
	p->pace = NULL; /* see Ordering: poll() paces */
	p->poll = poll;
}
