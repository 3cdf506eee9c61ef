/* efi/panic.c - the end for a state the loader cannot go on from: one line, then a halt. */
#include "anima_efi.h"
#include "dashboard.h"

void halt_forever(void)
{
	/* With interrupts off nothing wakes a hlt: this is the intended dead stop. */
	for (;;)
		__asm__ volatile("cli; hlt");
}

void panic(const char *msg)
{
	char line[ANIMA_ERR_MAX + 32] = "# anima: panic: ";
	str_add(line, sizeof line, msg);
	if (console_attached()) {
		say(line);
	} else {
		serial_puts(line);
		serial_puts("\n");
		dashboard_message(line); /* after EBS the screen, when there is one, is the only other place */
		tracefile_end();
	}
	halt_forever();
}
