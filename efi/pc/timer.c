/* efi/pc/timer.c - wall-clock time after ExitBootServices, for pacing --speed N.
 *
 * The firmware's timer services end with EBS, so the clock is read from hardware. The TSC is the cheapest
 * clock but its rate is unknown and, without CPUID's invariant-TSC bit, not even constant (and QEMU's TCG
 * makes no promise either). So before EBS the TSC is calibrated against a clock of known rate: the ACPI PM
 * timer (3.579545 MHz, port from the FADT), else PIT channel 2 (1.193182 MHz), else the firmware's Stall.
 * The run's clock is then the TSC when it is invariant, else the PM timer itself when there is one, else
 * the TSC anyway (best effort). */
#include "anima_efi.h"
#include "io.h"

#define PM_HZ 3579545u
#define PIT_HZ 1193182u
#define CAL_US 50000u /* 50 ms: a 20 ppm read error on a PM timer, quick enough not to be noticed */

enum clock { CLOCK_NONE, CLOCK_TSC, CLOCK_PM };

static enum clock clock;
static uint16_t pm_port;
static uint32_t pm_mask; /* 24 or 32 bits (FADT flag TMR_VAL_EXT) */
static uint64_t tsc_hz;
static int tsc_invariant;
static const char *cal_by = "nothing";
static uint32_t pm_last;
static uint64_t pm_total;

static int guid_eq(const EFI_GUID *a, const EFI_GUID *b)
{
	return memcmp(a, b, sizeof *a) == 0;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* The FADT ("FACP") through the RSDP of the firmware's configuration table: XSDT, else RSDT. */
static const uint8_t *find_fadt(EFI_SYSTEM_TABLE *st)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
	const uint8_t *rsdp = NULL;

	for (UINTN i = 0; i < st->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &st->ConfigurationTable[i];
		if (guid_eq(&t->VendorGuid, &acpi20))
			rsdp = t->VendorTable;
		else if (!rsdp && guid_eq(&t->VendorGuid, &acpi10))
			rsdp = t->VendorTable;
	}
	if (!rsdp || memcmp(rsdp, "RSD PTR ", 8) != 0)
		return NULL;
	int xsdt = rsdp[15] >= 2 && rd64(rsdp + 24) != 0;
	const uint8_t *sdt = (const uint8_t *)(uintptr_t)(xsdt ? rd64(rsdp + 24) : rd32(rsdp + 16));
	if (!sdt)
		return NULL;
	uint32_t len = rd32(sdt + 4), step = xsdt ? 8 : 4;
	for (uint32_t off = 36; off + step <= len; off += step) {
		const uint8_t *t = (const uint8_t *)(uintptr_t)(xsdt ? rd64(sdt + off) : rd32(sdt + off));
		if (t && memcmp(t, "FACP", 4) == 0)
			return t;
	}
	return NULL;
}

static uint32_t pm_read(void)
{
	return inl(pm_port) & pm_mask;
}

static void find_pm_timer(EFI_SYSTEM_TABLE *st)
{
	const uint8_t *fadt = find_fadt(st);
	uint64_t port = 0;

	if (!fadt)
		return;
	uint32_t len = rd32(fadt + 4);
	if (len >= 220 && fadt[208] == 1) /* X_PM_TMR_BLK in system I/O space */
		port = rd64(fadt + 212);
	if (!port && len >= 80)
		port = rd32(fadt + 76); /* PM_TMR_BLK */
	if (!port || port > 0xFFFC)
		return;
	pm_port = (uint16_t)port;
	pm_mask = len >= 116 && (rd32(fadt + 112) & (1u << 8)) ? 0xFFFFFFFFu : 0xFFFFFFu;
	/* A timer that does not move is no timer (hardware-reduced platforms leave the block empty). */
	uint32_t a = pm_read();
	for (int i = 0; i < 100000; i++)
		if (pm_read() != a)
			return;
	pm_port = 0;
}

static int cal_pm(void)
{
	uint32_t want = (uint32_t)((uint64_t)PM_HZ * CAL_US / 1000000u), start, now, d;
	uint64_t t0, t1;

	start = pm_read();
	t0 = rdtsc();
	do {
		now = pm_read();
		d = (now - start) & pm_mask;
	} while (d < want);
	t1 = rdtsc();
	tsc_hz = (t1 - t0) * PM_HZ / d;
	return tsc_hz > 1000000;
}

/* PIT channel 2 in mode 0 counts down once; its OUT pin shows in port 0x61 bit 5. The gate (bit 0) lets
 * it count; the speaker (bit 1) stays off. */
static int cal_pit(void)
{
	uint16_t count = (uint16_t)((uint64_t)PIT_HZ * CAL_US / 1000000u);
	uint8_t saved = inb(0x61);
	uint64_t t0, t1;
	uint32_t spins = 0;

	if (saved == 0xFF)
		return 0;
	outb(0x61, (uint8_t)((saved & ~0x02) | 0x01));
	outb(0x43, 0xB0); /* channel 2, lo/hi byte, mode 0, binary */
	outb(0x42, (uint8_t)count);
	outb(0x42, (uint8_t)(count >> 8));
	t0 = rdtsc();
	while (!(inb(0x61) & 0x20))
		if (++spins > 50000000u)
			break;
	t1 = rdtsc();
	outb(0x61, saved);
	if (spins > 50000000u || spins < 100)
		return 0; /* never fired, or fired at once: not a PIT we can trust */
	tsc_hz = (t1 - t0) * PIT_HZ / count;
	return tsc_hz > 1000000;
}

static int cal_stall(EFI_SYSTEM_TABLE *st)
{
	uint64_t t0 = rdtsc();
	st->BootServices->Stall(CAL_US);
	tsc_hz = (rdtsc() - t0) * 1000000u / CAL_US;
	return tsc_hz > 1000000;
}

void timer_init(EFI_SYSTEM_TABLE *st)
{
	uint32_t r[4];

	cpuid(0x80000000u, 0, r);
	if (r[0] >= 0x80000007u) {
		cpuid(0x80000007u, 0, r);
		tsc_invariant = (r[3] >> 8) & 1;
	}
	find_pm_timer(st);
	if (pm_port && cal_pm())
		cal_by = "pmtimer";
	else if (cal_pit())
		cal_by = "pit";
	else if (cal_stall(st))
		cal_by = "stall";
	else
		tsc_hz = 0;

	if (tsc_hz && tsc_invariant)
		clock = CLOCK_TSC;
	else if (pm_port)
		clock = CLOCK_PM;
	else if (tsc_hz)
		clock = CLOCK_TSC;
	else
		clock = CLOCK_NONE;
	if (clock == CLOCK_PM)
		pm_last = pm_read();
}

uint64_t timer_hz(void)
{
	return clock == CLOCK_TSC ? tsc_hz : clock == CLOCK_PM ? PM_HZ : 0;
}

/* Monotonic; the PM timer wraps every 4.7 s (24 bits), so it must be read at least that often: the pacing
 * loop reads it continuously and a tick never takes that long. */
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
	return 0;
}

void timer_describe(char *buf, size_t cap)
{
	buf[0] = 0;
	str_add(buf, cap, "# anima: clock=");
	str_add(buf, cap, clock == CLOCK_TSC ? "tsc" : clock == CLOCK_PM ? "pmtimer" : "none");
	str_add(buf, cap, " hz=");
	str_add_u64(buf, cap, timer_hz());
	str_add(buf, cap, " tsc_hz=");
	str_add_u64(buf, cap, tsc_hz);
	str_add(buf, cap, " calibrated_by=");
	str_add(buf, cap, cal_by);
	str_add(buf, cap, tsc_invariant ? " invariant_tsc=1" : " invariant_tsc=0");
	if (pm_port) {
		str_add(buf, cap, " pm_port=");
		str_add_hex(buf, cap, pm_port);
	}
}
