/* efi/power.c - the end of a run: power off through the firmware's runtime ResetSystem, which still works
 * after ExitBootServices (in physical mode: we never call SetVirtualAddressMap). Some firmware leaves
 * ResetSystem out at runtime, or returns from it: then QEMU's isa-debug-exit when present, and a halt. */
#include "anima_efi.h"
#include "io.h"

#define DEBUG_EXIT_PORT 0xF4

static EFI_RUNTIME_SERVICES *rt;

void power_init(EFI_SYSTEM_TABLE *st)
{
	rt = st->RuntimeServices;
}

void power_off(void)
{
	if (rt && rt->ResetSystem)
		rt->ResetSystem(EfiResetShutdown, EFI_SUCCESS, 0, NULL);
	serial_puts("# anima: power off failed, halting\n");
	/* QEMU's isa-debug-exit reads as 0; a port nobody decodes reads 0xFF. Writing v exits with 2v+1. */
	if (inb(DEBUG_EXIT_PORT) != 0xFF)
		outb(DEBUG_EXIT_PORT, 0);
	halt_forever();
}
