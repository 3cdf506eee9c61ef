/* efi/power.c - the end of a run: power off through the firmware's runtime ResetSystem, which still works
 * after ExitBootServices (in physical mode: we never call SetVirtualAddressMap).
 *
 * Some firmware leaves ResetSystem out at runtime, or returns from it. Then ACPI S5 ourselves, as an OS
 * does: SLP_TYPa/b from the \_S5 package of the DSDT (acpi.c's bounded scan) written with SLP_EN into
 * PM1a/PM1b control (FADT), or into the sleep control register on hardware-reduced ACPI. Both are found
 * before EBS. Then, only under a hypervisor (CPUID says so), QEMU's isa-debug-exit port 0xF4: on a real PC
 * that port may belong to anything (a POST card, a chipset register). Then a halt. */
#include "anima_efi.h"
#include "io.h"

#define DEBUG_EXIT_PORT 0xF4
#define SLP_EN (1u << 13)           /* PM1 control */
#define SLEEP_CTL_SLP_EN (1u << 5)  /* hardware-reduced sleep control register */
#define FADT_HW_REDUCED (1u << 20)

static EFI_RUNTIME_SERVICES *rt;
static struct acpi_gas pm1a, pm1b, sleep_ctl;
static uint8_t typa, typb;
static int s5, hw_reduced;

void power_init(EFI_SYSTEM_TABLE *st)
{
	const uint8_t *f = acpi_fadt();

	rt = st->RuntimeServices;
	if (!f || !acpi_s5(&typa, &typb))
		return;
	uint32_t len = acpi_rd32(f + 4);
	hw_reduced = len >= 116 && (acpi_rd32(f + 112) & FADT_HW_REDUCED);
	if (hw_reduced) {
		if (len >= 256)
			acpi_gas(f + 244, &sleep_ctl); /* SLEEP_CONTROL_REG */
		s5 = sleep_ctl.address != 0;
	} else {
		acpi_fadt_block(64, 172, &pm1a); /* PM1a_CNT_BLK, X_PM1a_CNT_BLK */
		acpi_fadt_block(68, 184, &pm1b);
		s5 = pm1a.address != 0;
	}
}

void power_describe(char *buf, size_t cap)
{
	buf[0] = 0;
	str_add(buf, cap, "# anima: power=resetsystem");
	if (s5) {
		str_add(buf, cap, " s5=");
		str_add(buf, cap, hw_reduced ? "sleep_ctl:" : "pm1a:");
		str_add_hex(buf, cap, hw_reduced ? sleep_ctl.address : pm1a.address);
		if (pm1b.address) {
			str_add(buf, cap, ",pm1b:");
			str_add_hex(buf, cap, pm1b.address);
		}
		str_add(buf, cap, " slp_typ=");
		str_add_u64(buf, cap, typa);
		str_add(buf, cap, ",");
		str_add_u64(buf, cap, typb);
	} else {
		str_add(buf, cap, " s5=none");
	}
	str_add(buf, cap, hypervisor_present() ? " hypervisor=1" : " hypervisor=0");
}

static void reg_write(const struct acpi_gas *g, uint32_t v)
{
	if (g->space == ACPI_SPACE_IO && g->address <= 0xFFFF) {
		if (g->bit_width == 8)
			outb((uint16_t)g->address, (uint8_t)v);
		else if (g->bit_width == 32)
			outl((uint16_t)g->address, v);
		else
			outw((uint16_t)g->address, (uint16_t)v);
	} else if (g->space == ACPI_SPACE_MEM) {
		if (g->bit_width == 8)
			mmio_wr8(g->address, (uint8_t)v);
		else
			mmio_wr32(g->address, v);
	}
}

static uint16_t pm1_read(const struct acpi_gas *g)
{
	if (g->space == ACPI_SPACE_IO && g->address <= 0xFFFF)
		return inw((uint16_t)g->address);
	return g->space == ACPI_SPACE_MEM ? (uint16_t)mmio_rd32(g->address) : 0;
}

static void acpi_s5_off(void)
{
	if (hw_reduced) {
		reg_write(&sleep_ctl, (uint32_t)(typa & 7) << 2 | SLEEP_CTL_SLP_EN);
	} else {
		/* SLP_TYP in bits 12:10; the other bits as they are (SCI_EN must stay). */
		uint16_t a = (uint16_t)((pm1_read(&pm1a) & ~(7u << 10)) | (uint32_t)(typa & 7) << 10);
		if (pm1b.address) {
			uint16_t b = (uint16_t)((pm1_read(&pm1b) & ~(7u << 10)) | (uint32_t)(typb & 7) << 10);
			reg_write(&pm1b, b | SLP_EN);
		}
		reg_write(&pm1a, a | SLP_EN);
	}
	for (volatile uint32_t i = 0; i < 10000000u; i++) /* the power goes within microseconds */
		cpu_relax();
}

void power_off(void)
{
	if (rt && rt->ResetSystem)
		rt->ResetSystem(EfiResetShutdown, EFI_SUCCESS, 0, NULL);
	if (s5) {
		serial_puts("# anima: ResetSystem returned: ACPI S5\n");
		acpi_s5_off();
	}
	serial_puts("# anima: power off failed, halting\n");
	/* QEMU's isa-debug-exit reads as 0; a port nobody decodes reads 0xFF. Writing v exits with 2v+1. */
	if (hypervisor_present() && inb(DEBUG_EXIT_PORT) != 0xFF)
		outb(DEBUG_EXIT_PORT, 0);
	halt_forever();
}
