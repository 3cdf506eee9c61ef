/* efi/persist.c - --persist: the organism in a non-volatile UEFI variable, so it lives across reboots.
 *
 * The variable AnimaOrganism holds a 32-byte header and an engine checkpoint (the bytes of a --save file):
 *   "ANMP", version 1, a generation counter (+1 per write), the tick, flags (bit 0 FINAL: written when the
 *   run ended), the checkpoint's length.
 * It is written
 *   - once at boot, before ExitBootServices, with FINAL clear: "a run continues this state". If that run
 *     is cut off (power cut, a hang) or its later saves do not fit, the next boot finds a state without
 *     FINAL and says so instead of resuming an older organism silently;
 *   - at most once per 10 minutes of wall time while the run goes on (only with a clock to tell);
 *   - when the run ends, with FINAL set.
 * Why so rarely: EDK2-based firmware (nearly every PC) never reclaims its variable store after
 * ExitBootServices; each SetVariable appends a whole record until the store is full, and only the next
 * boot's firmware compacts it. So before each runtime write QueryVariableInfo must show room for it and
 * still leave a reserve, as Linux's efi_query_variable_store does (EFI_MIN_RESERVE, 5 KiB, which some
 * firmware needs to keep working); the periodic writes also leave room for the final one, so the end of a
 * run is always saved. A write that is refused or fails is reported on COM1 and on the screen. */
#include "anima_efi.h"
#include "dashboard.h"

#define ATTRS (EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS)
#define HEADER 32
#define VERSION 1
#define FLAG_FINAL 1u
#define MIN_RESERVE 5120 /* bytes left free for the firmware, as Linux's EFI_MIN_RESERVE */
/* A record's cost in an EDK2 store beyond its data: the authenticated variable header (60 bytes), the
 * UCS-2 name (28), alignment; rounded up. */
#define RECORD_OVERHEAD 128

/* Anima's own vendor GUID for its variables. */
static EFI_GUID vendor = {0x6d1c3f5e, 0x2a47, 0x4b8e, {0x9a, 0x61, 0x41, 0x4e, 0x49, 0x4d, 0x41, 0x31}};
static CHAR16 name[] = L"AnimaOrganism";
static EFI_RUNTIME_SERVICES *rt;
static uint8_t buf[HEADER + ANIMA_CHECKPOINT_BYTES];
static uint64_t generation;
static uint64_t cost;          /* bytes one write takes from the store */
static uint64_t est_remaining; /* when QueryVariableInfo is not available at runtime: counted down */
static int warned, query_ok;

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* One line on COM1 and the screen: the console before EBS; after it, the dashboard's events (and, for the
 * last save, a band drawn at once, since no redraw follows). */
static void report(const char *text, int final)
{
	char line[ANIMA_ERR_MAX + 96] = "# anima: ";
	str_add(line, sizeof line, text);
	if (console_attached()) {
		say(line);
		return;
	}
	/* The screen first: whoever acts on the line from COM1 (a person, a test taking a screendump) finds the
	 * screen already saying it. */
	char shown[sizeof line + 1] = "";
	str_add(shown, sizeof shown, line);
	str_add(shown, sizeof shown, "\n");
	dashboard_comments(shown, anima_strlen(shown));
	if (final)
		dashboard_message(shown);
	if (!serial_at_line_start())
		serial_puts("\n");
	serial_puts(line);
	serial_puts("\n");
}

static void say_tick(const char *what, uint64_t tick)
{
	char line[64] = "";
	str_add(line, sizeof line, what);
	str_add(line, sizeof line, " tick=");
	str_add_u64(line, sizeof line, tick);
	report(line + 9, 0); /* report() adds the "# anima: " that `what` starts with */
}

/* Free bytes in the store as the firmware counts them now; 0 and *ok = 0 when it cannot tell. */
static uint64_t store_free(uint64_t *total, int *ok)
{
	UINT64 max = 0, left = 0, maxvar = 0;
	EFI_STATUS s = EFI_UNSUPPORTED;

	/* QueryVariableInfo is UEFI 2.0; older runtime tables end before it. */
	if (rt->Hdr.Revision >= (2u << 16) && rt->QueryVariableInfo)
		s = rt->QueryVariableInfo(ATTRS, &max, &left, &maxvar);
	*ok = s == EFI_SUCCESS;
	if (total)
		*total = max;
	return *ok ? left : 0;
}

int persist_load(EFI_SYSTEM_TABLE *st, struct anima_sim *sim, char *err, size_t errlen)
{
	UINTN size = sizeof buf;
	UINT32 attr = 0;
	char why[ANIMA_ERR_MAX] = "";
	EFI_STATUS s;

	rt = st->RuntimeServices;
	s = rt->GetVariable(name, &vendor, &attr, &size, buf);
	if (s == EFI_NOT_FOUND)
		return 0;
	err[0] = 0;
	str_add(err, errlen, "--persist: variable AnimaOrganism: ");
	if (s != EFI_SUCCESS) {
		str_add(err, errlen, s == EFI_BUFFER_TOO_SMALL ? "too large for this build" : "unreadable, status ");
		if (s != EFI_BUFFER_TOO_SMALL)
			str_add_hex(err, errlen, (uint64_t)s);
		return -1;
	}
	const uint8_t *ck = buf;
	size_t len = size;
	int headed = size >= HEADER && memcmp(buf, "ANMP", 4) == 0;
	uint32_t flags = 0;
	if (headed) {
		if (acpi_rd32(buf + 4) != VERSION) {
			str_add(err, errlen, "a record of another format version");
			str_add(err, errlen, " (dmpstore -d AnimaOrganism in the Shell clears it)");
			return -1;
		}
		generation = acpi_rd64(buf + 8);
		flags = acpi_rd32(buf + 24);
		ck = buf + HEADER;
		len = acpi_rd32(buf + 28);
		if (len > size - HEADER) {
			str_add(err, errlen, "record cut short");
			return -1;
		}
	}
	if (anima_checkpoint_read(sim, ck, len, why, sizeof why) != 0) {
		str_add(err, errlen, why);
		str_add(err, errlen, " (dmpstore -d AnimaOrganism in the Shell clears it)");
		return -1;
	}
	if (headed && acpi_rd64(buf + 16) != sim->tick) {
		str_add(err, errlen, "header and checkpoint disagree on the tick");
		return -1;
	}
	if (!headed) {
		report("persist: AnimaOrganism was written by an older build, which did not mark a run's last save:"
		       " it may be older than where that run got to", 0);
	} else if (!(flags & FLAG_FINAL)) {
		char line[ANIMA_ERR_MAX + 64] = "persist: stale: tick=";
		str_add_u64(line, sizeof line, sim->tick);
		str_add(line, sizeof line, " is not the end of the run that last had this organism (it was cut off,"
					   " or its later saves did not fit): that run's progress is lost");
		report(line, 0);
	}
	say_tick("# anima: resumed", sim->tick);
	return 1;
}

/* Writes the record now; 0 or -1 (reported). */
static int write_record(const struct anima_sim *sim, int final)
{
	size_t n = anima_checkpoint_write(sim, buf + HEADER, sizeof buf - HEADER);
	int ok;
	uint64_t left;

	if (!n) {
		report("persist: not saved: checkpoint larger than its buffer", final);
		return -1;
	}
	cost = HEADER + n + RECORD_OVERHEAD;
	if (!console_attached()) {
		/* After EBS: the store only shrinks until the next boot. The periodic saves leave room for the
		 * final one; the final one may use that room but not the firmware's reserve. */
		uint64_t need = (final ? 1 : 2) * cost + MIN_RESERVE;
		left = store_free(NULL, &ok);
		if (!ok) /* no QueryVariableInfo at runtime: what the boot saw, counted down; else just try */
			left = query_ok ? est_remaining : UINT64_MAX;
		if (left < need) {
			if (final || !warned) {
				char line[ANIMA_ERR_MAX + 64] = "persist: not saved at tick=";
				str_add_u64(line, sizeof line, sim->tick);
				str_add(line, sizeof line, ": the variable store has ");
				str_add_u64(line, sizeof line, left);
				str_add(line, sizeof line, final ? " bytes free, the last save needs " :
								   " bytes free, these saves need ");
				str_add_u64(line, sizeof line, need);
				str_add(line, sizeof line, final ? "" : " (room kept for the last one)");
				report(line, final);
				warned = 1;
			}
			return -1;
		}
	}
	memcpy(buf, "ANMP", 4);
	put32(buf + 4, VERSION);
	put64(buf + 8, ++generation);
	put64(buf + 16, sim->tick);
	put32(buf + 24, final ? FLAG_FINAL : 0);
	put32(buf + 28, (uint32_t)n);
	EFI_STATUS s = rt->SetVariable(name, &vendor, ATTRS, HEADER + n, buf);
	if (s != EFI_SUCCESS) {
		char line[ANIMA_ERR_MAX] = "persist: not saved at tick=";
		str_add_u64(line, sizeof line, sim->tick);
		str_add(line, sizeof line, ": SetVariable failed, status ");
		str_add_hex(line, sizeof line, (uint64_t)s);
		report(line, final);
		return -1;
	}
	est_remaining = est_remaining > cost ? est_remaining - cost : 0;
	say_tick("# anima: persisted", sim->tick);
	return 0;
}

int persist_begin(EFI_SYSTEM_TABLE *st, const struct anima_sim *sim)
{
	uint64_t total = 0, left;
	int ok;

	rt = st->RuntimeServices;
	/* Before EBS: a write that does not fit makes the firmware reclaim deleted records first. */
	if (write_record(sim, 0) != 0)
		return -1;
	left = store_free(&total, &ok);
	query_ok = ok;
	est_remaining = left;
	char line[ANIMA_ERR_MAX] = "persist: variable AnimaOrganism ";
	str_add_u64(line, sizeof line, cost - RECORD_OVERHEAD);
	str_add(line, sizeof line, " bytes");
	if (ok) {
		/* Before EBS the firmware counts deleted records as free (it could reclaim them now); after EBS
		 * they are not, so this is an upper bound of what the run has. */
		uint64_t room = left > MIN_RESERVE + cost ? (left - MIN_RESERVE - cost) / cost : 0;
		str_add(line, sizeof line, ", store ");
		str_add_u64(line, sizeof line, left);
		str_add(line, sizeof line, " of ");
		str_add_u64(line, sizeof line, total);
		str_add(line, sizeof line, " bytes free: room for ");
		str_add_u64(line, sizeof line, room);
		str_add(line, sizeof line, " periodic saves and the last");
	} else {
		str_add(line, sizeof line, ", store size unknown (no QueryVariableInfo)");
	}
	report(line, 0);
	return 0;
}

int persist_save(const struct anima_sim *sim, int final)
{
	if (!rt)
		return -1;
	return write_record(sim, final);
}
