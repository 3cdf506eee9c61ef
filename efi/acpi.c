/* efi/acpi.c - the firmware's ACPI tables, read before ExitBootServices by the drivers that need them:
 * the timer (FADT PM timer, HPET), the serial port (SPCR), the keyboard (FADT IAPC_BOOT_ARCH 8042 flag)
 * and power off (FADT PM1 control blocks and the \_S5 package of the DSDT).
 *
 * The RSDP comes from the UEFI configuration table (ACPI 2.0 GUID first), then the XSDT (64-bit entries)
 * or, on old firmware, the RSDT. A table is taken only when its length is sane and its checksum is right: a
 * damaged table is treated as absent, so a driver falls back to its legacy default rather than trusting
 * garbage. The tables live in ACPI reclaim / NVS memory, which nobody reclaims after EBS in this program, so
 * pointers into them stay valid; still, every driver copies what it needs before EBS. */
#include "anima_efi.h"

#define TABLE_MAX (16u << 20) /* no real table comes near 16 MiB: a larger length is a broken header */

static const uint8_t *sdt; /* XSDT or RSDT */
static int sdt_wide;       /* 1: XSDT (8-byte entries) */

uint16_t acpi_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

uint32_t acpi_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t acpi_rd64(const uint8_t *p)
{
	return acpi_rd32(p) | (uint64_t)acpi_rd32(p + 4) << 32;
}

static int checksum_ok(const uint8_t *p, uint32_t len)
{
	uint8_t sum = 0;
	for (uint32_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return sum == 0;
}

/* A table header at address a that is whole and sums to zero. */
static const uint8_t *valid(uint64_t a, const char *sig)
{
	const uint8_t *t = (const uint8_t *)(uintptr_t)a;
	if (!a)
		return NULL;
	if (sig && memcmp(t, sig, 4) != 0)
		return NULL;
	uint32_t len = acpi_rd32(t + 4);
	if (len < 36 || len > TABLE_MAX || !checksum_ok(t, len))
		return NULL;
	return t;
}

static int guid_eq(const EFI_GUID *a, const EFI_GUID *b)
{
	return memcmp(a, b, sizeof *a) == 0;
}

int acpi_init(EFI_SYSTEM_TABLE *st)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
	const uint8_t *rsdp = NULL;

	sdt = NULL;
	for (UINTN i = 0; i < st->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &st->ConfigurationTable[i];
		if (guid_eq(&t->VendorGuid, &acpi20))
			rsdp = t->VendorTable;
		else if (!rsdp && guid_eq(&t->VendorGuid, &acpi10))
			rsdp = t->VendorTable;
	}
	if (!rsdp || memcmp(rsdp, "RSD PTR ", 8) != 0 || !checksum_ok(rsdp, 20))
		return -1;
	if (rsdp[15] >= 2 && acpi_rd32(rsdp + 20) >= 36 && checksum_ok(rsdp, acpi_rd32(rsdp + 20))) {
		sdt = valid(acpi_rd64(rsdp + 24), "XSDT");
		sdt_wide = 1;
	}
	if (!sdt) {
		sdt = valid(acpi_rd32(rsdp + 16), "RSDT");
		sdt_wide = 0;
	}
	return sdt ? 0 : -1;
}

const uint8_t *acpi_table(const char *sig, unsigned n)
{
	if (!sdt)
		return NULL;
	uint32_t len = acpi_rd32(sdt + 4), step = sdt_wide ? 8 : 4;
	for (uint32_t off = 36; off + step <= len; off += step) {
		uint64_t a = sdt_wide ? acpi_rd64(sdt + off) : acpi_rd32(sdt + off);
		const uint8_t *t = valid(a, sig);
		if (t && n-- == 0)
			return t;
	}
	return NULL;
}

const uint8_t *acpi_fadt(void)
{
	return acpi_table("FACP", 0);
}

void acpi_gas(const uint8_t *p, struct acpi_gas *g)
{
	g->space = p[0];
	g->bit_width = p[1];
	g->bit_offset = p[2];
	g->access = p[3];
	g->address = acpi_rd64(p + 4);
}

/* A register block of the FADT: the 64-bit X_ form (a Generic Address Structure at xoff) when the table is
 * long enough and it is set, else the legacy 32-bit I/O port at off. 0 when neither is there. */
int acpi_fadt_block(unsigned off, unsigned xoff, struct acpi_gas *g)
{
	const uint8_t *f = acpi_fadt();
	memset(g, 0, sizeof *g);
	if (!f)
		return 0;
	uint32_t len = acpi_rd32(f + 4);
	if (xoff && len >= xoff + 12) {
		acpi_gas(f + xoff, g);
		if (g->address)
			return 1;
	}
	if (off && len >= off + 4 && acpi_rd32(f + off)) {
		g->space = ACPI_SPACE_IO;
		g->address = acpi_rd32(f + off);
		return 1;
	}
	return 0;
}

/* ---- \_S5: a bounded scan of AML for  Name(_S5_, Package(){SLP_TYPa, SLP_TYPb, ...}) ----
 * A full AML interpreter is far beyond a loader; like many boot loaders and small kernels we look for the
 * byte pattern NameOp "_S5_" PackageOp in the DSDT (and SSDTs) and decode the first two integers. A _S5
 * defined by a method, or inside a condition, is missed: power off then falls back to the halt. */

/* An integer data object at p (ZeroOp, OneOp, OnesOp, BytePrefix, WordPrefix, DWordPrefix); its length,
 * or 0 when it is something else. */
static unsigned aml_int(const uint8_t *p, const uint8_t *end, uint32_t *v)
{
	if (p >= end)
		return 0;
	switch (p[0]) {
	case 0x00: *v = 0; return 1;
	case 0x01: *v = 1; return 1;
	case 0xFF: *v = 0xFFFFFFFFu; return 1;
	case 0x0A: if (p + 2 > end) return 0; *v = p[1]; return 2;
	case 0x0B: if (p + 3 > end) return 0; *v = acpi_rd16(p + 1); return 3;
	case 0x0C: if (p + 5 > end) return 0; *v = acpi_rd32(p + 1); return 5;
	default: return 0;
	}
}

static int s5_in(const uint8_t *t, uint8_t *typa, uint8_t *typb)
{
	uint32_t len = acpi_rd32(t + 4);
	const uint8_t *end = t + len;

	for (const uint8_t *p = t + 36; p + 8 <= end; p++) {
		if (memcmp(p, "_S5_", 4) != 0)
			continue;
		/* NameOp (0x08) before the name, optionally with a root prefix '\' */
		if (!(p[-1] == 0x08 || (p[-1] == '\\' && p[-2] == 0x08)))
			continue;
		const uint8_t *q = p + 4;
		if (*q++ != 0x12) /* PackageOp */
			continue;
		q += 1 + (*q >> 6); /* PkgLength: bits 7:6 of its lead byte count the bytes that follow */
		if (q + 1 > end)
			continue;
		q++; /* NumElements */
		uint32_t a, b;
		unsigned n = aml_int(q, end, &a);
		if (!n)
			continue;
		unsigned m = aml_int(q + n, end, &b);
		if (!m)
			b = a; /* a package of one: the same type for both registers */
		*typa = (uint8_t)(a & 7);
		*typb = (uint8_t)(b & 7);
		return 1;
	}
	return 0;
}

int acpi_s5(uint8_t *typa, uint8_t *typb)
{
	const uint8_t *f = acpi_fadt();
	if (!f)
		return 0;
	uint32_t flen = acpi_rd32(f + 4);
	uint64_t dsdt = flen >= 148 ? acpi_rd64(f + 140) : 0; /* X_DSDT */
	if (!dsdt)
		dsdt = acpi_rd32(f + 40);
	const uint8_t *t = valid(dsdt, "DSDT");
	if (t && s5_in(t, typa, typb))
		return 1;
	for (unsigned i = 0; i < 64 && (t = acpi_table("SSDT", i)) != NULL; i++)
		if (s5_in(t, typa, typb))
			return 1;
	return 0;
}
