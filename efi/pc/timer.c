/* efi/pc/timer.c - wall-clock time after ExitBootServices, for pacing --speed N.
 *
 * The firmware's timer services end with EBS, so the clock is read from hardware. The sources, found
 * before EBS through ACPI (efi/acpi.c):
 *   tsc      the CPU's time-stamp counter: cheapest to read, but its rate must be learnt, and without
 *            CPUID's invariant-TSC bit it may change with power states (and QEMU's TCG promises nothing);
 *   cpuid    the TSC's rate as CPUID says it (leaf 0x15: crystal clock times a ratio; leaf 0x16: the base
 *            frequency), no measurement at all;
 *   hpet     the HPET's main counter (ACPI HPET table; its period in femtoseconds is in its registers);
 *   pmtimer  the ACPI PM timer, 3.579545 MHz, 24 or 32 bits (FADT), an I/O port;
 *   pit      PIT channel 2, 1.193182 MHz, free-running and latched: only to measure the TSC against.
 * The TSC's rate is measured against the best reference present (HPET, PM timer, PIT, the firmware's
 * Stall), five times 10 ms, and the median kept: a System Management Interrupt between reading the
 * reference and reading the TSC shows as a read pair that took far longer than the others and is taken
 * again; one that lands inside a sample moves that sample away from the others, and the median ignores it.
 * The run's clock is then the TSC when it is invariant, else the HPET, else the PM timer, else the TSC
 * anyway. Hardware-reduced ACPI platforms have no PM timer and may clock-gate the PIT: every loop that
 * waits for hardware is bounded (a counter that does not move in 100,000 reads is absent; a sample gives
 * up after 2 million reads).
 *
 * timer_force() (before timer_init) makes one source the only one tried, so tests can run every path. */
#include "anima_efi.h"
#include "io.h"

#define PM_HZ 3579545u
#define PIT_HZ 1193182u
#define SAMPLE_US 10000u  /* one calibration sample */
#define SAMPLES 5
#define SPIN_MAX 2000000u /* reads of a reference per sample at most: a counter that stops cannot hold us */
#define PIT_SPIN_MAX 2000000u /* port reads (~1 us each) before a PIT that never fires is given up */
#define HPET_PERIOD_MAX 100000000u /* fs: the spec's slowest HPET is 10 MHz */

enum clock { CLOCK_NONE, CLOCK_TSC, CLOCK_PM, CLOCK_HPET, CLOCK_PIT /* a reference only */ };

static enum timer_source requested = TIMER_AUTO;
static enum clock clock;
static uint16_t pm_port;
static uint32_t pm_mask; /* 24 or 32 bits (FADT flag TMR_VAL_EXT) */
static uint64_t hpet_base, hpet_hz;
static int hpet_wide; /* 64-bit main counter */
static uint64_t tsc_hz;
static int tsc_invariant;
static const char *cal_by = "nothing";
static uint32_t spread_ppm; /* of the kept samples around the median */
static uint32_t pm_last, hpet_last;
static uint64_t pm_total, hpet_total;
static const char *note = "";

static const char *const names[] = {"auto", "tsc", "pmtimer", "hpet", "pit", "cpuid"};

void timer_force(enum timer_source s)
{
	requested = s;
}

/* ---- the references ---- */

static uint32_t pm_read(void)
{
	return inl(pm_port) & pm_mask;
}

static void find_pm_timer(void)
{
	struct acpi_gas g;
	const uint8_t *f = acpi_fadt();

	if (!f || !acpi_fadt_block(76, 208, &g) || g.space != ACPI_SPACE_IO || !g.address || g.address > 0xFFFC)
		return;
	pm_port = (uint16_t)g.address;
	pm_mask = acpi_rd32(f + 4) >= 116 && (acpi_rd32(f + 112) & (1u << 8)) ? 0xFFFFFFFFu : 0xFFFFFFu;
	/* A timer that does not move is no timer (hardware-reduced platforms leave the block empty). */
	uint32_t a = pm_read();
	for (int i = 0; i < 100000; i++)
		if (pm_read() != a)
			return;
	pm_port = 0;
}

static uint64_t hpet_read(void)
{
	if (hpet_wide)
		return mmio_rd64(hpet_base + 0xF0);
	return mmio_rd32(hpet_base + 0xF0);
}

static void find_hpet(void)
{
	const uint8_t *t = acpi_table("HPET", 0);
	struct acpi_gas g;

	if (!t || acpi_rd32(t + 4) < 56)
		return;
	acpi_gas(t + 40, &g);
	if (g.space != ACPI_SPACE_MEM || !g.address || (g.address & 0x3FF))
		return;
	uint64_t cap = mmio_rd64(g.address);
	uint32_t period = (uint32_t)(cap >> 32);
	if (cap == ~0ull || !period || period > HPET_PERIOD_MAX)
		return;
	hpet_base = g.address;
	hpet_hz = 1000000000000000ull / period;
	hpet_wide = (cap >> 13) & 1;
	/* Enable the main counter (bit 0 of the configuration register), legacy routing untouched. */
	uint64_t cfg = mmio_rd64(hpet_base + 0x10);
	if (!(cfg & 1))
		mmio_wr64(hpet_base + 0x10, cfg | 1);
	uint64_t a = hpet_read();
	for (int i = 0; i < 100000; i++)
		if (hpet_read() != a)
			return;
	hpet_base = 0; /* does not count */
}

/* PIT channel 2 as a free-running counter: mode 2 (rate generator) from 65536, read by latching it; the
 * count goes down, so its negation counts up (mod 65536, 55 ms a turn: read far more often than that). The
 * gate (port 0x61 bit 0) lets it count; the speaker (bit 1) stays off. */
static uint8_t pit_saved;

static uint32_t pit_read(void)
{
	outb(0x43, 0x80); /* latch channel 2 */
	uint32_t lo = inb(0x42), hi = inb(0x42);
	return (uint32_t)(-(int32_t)(lo | hi << 8)) & 0xFFFF;
}

static int pit_start(void)
{
	pit_saved = inb(0x61);
	if (pit_saved == 0xFF)
		return 0;
	outb(0x61, (uint8_t)((pit_saved & ~0x02) | 0x01));
	outb(0x43, 0xB4); /* channel 2, lo/hi byte, mode 2, binary */
	outb(0x42, 0);
	outb(0x42, 0);
	uint32_t a = pit_read();
	for (int i = 0; i < 100000; i++)
		if (pit_read() != a)
			return 1;
	outb(0x61, pit_saved);
	return 0; /* clock-gated or absent: it does not count */
}

/* A reference read with the TSC around it; a pair that took much longer than the quickest (an SMI, a
 * host preemption under a hypervisor) is read again. */
static uint64_t pair_limit;

static uint64_t ref_read(int ref, uint64_t *tsc)
{
	for (int tries = 0;; tries++) {
		uint64_t t0 = rdtsc(), v = ref == CLOCK_PM ? pm_read() : ref == CLOCK_PIT ? pit_read() : hpet_read(),
			 t1 = rdtsc();
		if (t1 - t0 <= pair_limit || tries == 8) {
			*tsc = t0 / 2 + t1 / 2;
			return v;
		}
	}
}

static void measure_pair_limit(int ref)
{
	uint64_t best = ~0ull, tsc;
	pair_limit = ~0ull;
	for (int i = 0; i < 16; i++) {
		uint64_t t0 = rdtsc();
		(void)ref_read(ref, &tsc);
		uint64_t d = rdtsc() - t0;
		if (d < best)
			best = d;
	}
	pair_limit = best * 4 + 200;
}

/* One sample of the TSC's rate against a counter (PM timer or HPET); 0 when it does not advance. */
static uint64_t sample_counter(int ref)
{
	uint64_t hz = ref == CLOCK_PM ? PM_HZ : ref == CLOCK_PIT ? PIT_HZ : hpet_hz;
	uint64_t mask = ref == CLOCK_PM ? pm_mask : ref == CLOCK_PIT ? 0xFFFF : hpet_wide ? ~0ull : 0xFFFFFFFFull;
	uint64_t last = 0;
	uint64_t want = hz * SAMPLE_US / 1000000u, t0, t1, start, now, d = 0;

	start = ref_read(ref, &t0);
	/* Bounded: a counter that stops mid-way would otherwise hold us for good. The PIT wraps every 55 ms:
	 * its elapsed count is summed read to read. */
	last = start;
	for (uint64_t spins = 0; spins < SPIN_MAX; spins++) {
		now = ref_read(ref, &t1);
		if (ref == CLOCK_PIT) {
			d += (now - last) & mask;
			last = now;
		} else {
			d = (now - start) & mask;
		}
		if (d >= want)
			return (t1 - t0) * hz / d;
	}
	return 0;
}

static EFI_SYSTEM_TABLE *systab;

static uint64_t sample_stall(void)
{
	uint64_t t0 = rdtsc();
	systab->BootServices->Stall(SAMPLE_US);
	return (rdtsc() - t0) * 1000000u / SAMPLE_US;
}

/* SAMPLES measurements, the median kept; spread_ppm says how far the middle three lie apart. */
static int calibrate(int ref)
{
	uint64_t v[SAMPLES] = {0};

	if (ref == CLOCK_PIT && !pit_start())
		return 0;
	if (ref != CLOCK_NONE)
		measure_pair_limit(ref);
	for (int i = 0; i < SAMPLES; i++) {
		v[i] = ref == CLOCK_NONE ? sample_stall() : sample_counter(ref);
		if (v[i] < 1000000)
			break;
	}
	if (ref == CLOCK_PIT)
		outb(0x61, pit_saved);
	for (int i = 0; i < SAMPLES; i++)
		if (v[i] < 1000000)
			return 0;
	for (int i = 1; i < SAMPLES; i++) /* insertion sort of five */
		for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
			uint64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	tsc_hz = v[SAMPLES / 2];
	spread_ppm = (uint32_t)((v[SAMPLES / 2 + 1] - v[SAMPLES / 2 - 1]) * 1000000u / tsc_hz);
	return 1;
}

/* The TSC's rate from CPUID leaf 0x15: TSC = crystal * EBX / EAX, when ECX gives the crystal (exact: the
 * TSC is derived from that crystal). */
static int tsc_from_cpuid15(void)
{
	uint32_t r[4];

	cpuid(0, 0, r);
	if (r[0] < 0x15)
		return 0;
	cpuid(0x15, 0, r);
	if (!r[0] || !r[1] || !r[2])
		return 0;
	tsc_hz = (uint64_t)r[2] * r[1] / r[0];
	cal_by = "cpuid15";
	return 1;
}

/* Leaf 0x16 EAX: the base frequency in MHz, which the TSC runs at on the CPUs that have the leaf (a
 * nominal figure, rounded to a MHz: used only with nothing to measure against, or when forced). */
static int tsc_from_cpuid16(void)
{
	uint32_t r[4];

	cpuid(0, 0, r);
	if (r[0] < 0x16)
		return 0;
	cpuid(0x16, 0, r);
	if (!(r[0] & 0xFFFF))
		return 0;
	tsc_hz = (uint64_t)(r[0] & 0xFFFF) * 1000000u;
	cal_by = "cpuid16";
	return 1;
}

/* Finds the sources `forced` allows, the TSC's rate, and the run's clock; 0, or -1 when a forced source is
 * missing. */
static int init(enum timer_source forced)
{
	int missing = 0;

	if (forced == TIMER_AUTO || forced == TIMER_TSC || forced == TIMER_HPET)
		find_hpet();
	if (forced == TIMER_AUTO || forced == TIMER_TSC || forced == TIMER_PMTIMER)
		find_pm_timer();

	/* The TSC's rate: from CPUID when asked to, else measured against the best reference there is. */
	tsc_hz = 0;
	if (forced == TIMER_CPUID) {
		if (!tsc_from_cpuid15() && !tsc_from_cpuid16())
			missing = 1;
	} else if (forced == TIMER_PIT) {
		if (calibrate(CLOCK_PIT))
			cal_by = "pit";
		else
			missing = 1;
	} else if (forced == TIMER_AUTO && tsc_from_cpuid15()) {
		/* the CPU says exactly: nothing to measure */
	} else if (hpet_base && calibrate(CLOCK_HPET)) {
		cal_by = "hpet";
	} else if (pm_port && calibrate(CLOCK_PM)) {
		cal_by = "pmtimer";
	} else if (forced == TIMER_AUTO && tsc_from_cpuid16()) {
		/* nothing to measure against, but the CPU gives a figure */
	} else if (forced == TIMER_AUTO && calibrate(CLOCK_PIT)) {
		cal_by = "pit";
	} else if (calibrate(CLOCK_NONE)) {
		cal_by = "stall";
	}
	if ((forced == TIMER_HPET && !hpet_base) || (forced == TIMER_PMTIMER && !pm_port))
		missing = 1;

	if (forced == TIMER_HPET && hpet_base)
		clock = CLOCK_HPET;
	else if (forced == TIMER_PMTIMER && pm_port)
		clock = CLOCK_PM;
	else if (forced != TIMER_AUTO && tsc_hz)
		clock = CLOCK_TSC; /* tsc, pit, cpuid: the TSC at the rate they gave */
	else if (tsc_hz && tsc_invariant)
		clock = CLOCK_TSC;
	else if (hpet_base)
		clock = CLOCK_HPET;
	else if (pm_port)
		clock = CLOCK_PM;
	else if (tsc_hz)
		clock = CLOCK_TSC;
	else
		clock = CLOCK_NONE;
	return missing ? -1 : 0;
}

void timer_init(EFI_SYSTEM_TABLE *st)
{
	uint32_t r[4];

	systab = st;
	cpuid(0x80000000u, 0, r);
	if (r[0] >= 0x80000007u) {
		cpuid(0x80000007u, 0, r);
		tsc_invariant = (r[3] >> 8) & 1;
	}
	if (init(requested) != 0) {
		/* A forced source this machine lacks: said on the clock line, and the best of the rest used. */
		note = " forced_source_missing=1";
		cal_by = "nothing";
		init(TIMER_AUTO);
	}
	if (clock == CLOCK_PM)
		pm_last = pm_read();
	if (clock == CLOCK_HPET)
		hpet_last = (uint32_t)hpet_read();
}

uint64_t timer_hz(void)
{
	return clock == CLOCK_TSC ? tsc_hz : clock == CLOCK_PM ? PM_HZ : clock == CLOCK_HPET ? hpet_hz : 0;
}

/* Monotonic. The PM timer wraps every 4.7 s (24 bits), a 32-bit HPET at 100 MHz every 43 s: they must be
 * read at least that often, which the pacing loop (continuously) and the dashboard (every few ms) do. */
uint64_t timer_now(void)
{
	if (clock == CLOCK_TSC)
		return rdtsc();
	if (clock == CLOCK_PM) {
		uint32_t now = pm_read();
		pm_total += (now - pm_last) & pm_mask;
		pm_last = now;
		return pm_total;
	}
	if (clock == CLOCK_HPET) {
		if (hpet_wide)
			return hpet_read();
		uint32_t now = (uint32_t)hpet_read();
		hpet_total += (uint32_t)(now - hpet_last);
		hpet_last = now;
		return hpet_total;
	}
	return 0;
}

void timer_describe(char *buf, size_t cap)
{
	buf[0] = 0;
	str_add(buf, cap, "# anima: clock=");
	str_add(buf, cap, clock == CLOCK_TSC ? "tsc" : clock == CLOCK_PM ? "pmtimer" : clock == CLOCK_HPET ? "hpet" : "none");
	str_add(buf, cap, " hz=");
	str_add_u64(buf, cap, timer_hz());
	str_add(buf, cap, " tsc_hz=");
	str_add_u64(buf, cap, tsc_hz);
	str_add(buf, cap, " calibrated_by=");
	str_add(buf, cap, cal_by);
	if (tsc_hz && cal_by[0] != 'c' && cal_by[0] != 'n') {
		str_add(buf, cap, " spread_ppm=");
		str_add_u64(buf, cap, spread_ppm);
	}
	str_add(buf, cap, tsc_invariant ? " invariant_tsc=1" : " invariant_tsc=0");
	str_add(buf, cap, " source=");
	str_add(buf, cap, names[requested]);
	str_add(buf, cap, note);
	if (pm_port) {
		str_add(buf, cap, " pm_port=");
		str_add_hex(buf, cap, pm_port);
	}
	if (hpet_base) {
		str_add(buf, cap, " hpet=");
		str_add_hex(buf, cap, hpet_base);
		str_add(buf, cap, " hpet_hz=");
		str_add_u64(buf, cap, hpet_hz);
	}
}
