/* efi/pc/ps2kbd.c - the PS/2 keyboard through the i8042 controller, polled (no interrupts after EBS).
 *
 * Firmware leaves the controller translating to scan code set 1, which is what is decoded here. On PCs
 * whose firmware emulates PS/2 for a USB keyboard this works until EBS; COM1 input is the dependable path.
 *
 * Is there a controller? ACPI says so: FADT (revision 3 on) IAPC_BOOT_ARCH bit 1, "8042". When the flag is
 * clear the ports are left alone (on legacy-free PCs 0x60/0x64 may belong to something else, or to an
 * emulation that SMM traps). Without that word (old FADT, no ACPI) a status port reading 0xFF means no
 * controller. Every loop here is bounded: a status byte stuck at "output full" must not hang the run. */
#include "anima_efi.h"
#include "io.h"

#define DATA 0x60
#define STATUS 0x64
#define ST_OBF 0x01 /* a byte waits in the output buffer */
#define ST_AUX 0x20 /* ... and it is from the mouse */

#define MAX_BYTES_PER_CALL 16 /* bytes read per kbd_getc() call at most, whatever the status says */

static int present;
static const char *why = "not probed";
static int shift;
static int extended;

/* Set 1 make codes 0x00..0x39 to ASCII (unshifted / shifted); 0 for keys without a character. */
static const char plain[0x3A] = {
	0,   27,  '1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '-', '=', '\b', '\t',
	'q', 'w', 'e', 'r', 't', 'y', 'u', 'i', 'o', 'p', '[', ']', '\n', 0,  'a', 's',
	'd', 'f', 'g', 'h', 'j', 'k', 'l', ';', '\'', '`', 0,  '\\', 'z', 'x', 'c', 'v',
	'b', 'n', 'm', ',', '.', '/', 0,   '*', 0,   ' '};
static const char shifted[0x3A] = {
	0,   27,  '!', '@', '#', '$', '%', '^', '&', '*', '(', ')', '_', '+', '\b', '\t',
	'Q', 'W', 'E', 'R', 'T', 'Y', 'U', 'I', 'O', 'P', '{', '}', '\n', 0,  'A', 'S',
	'D', 'F', 'G', 'H', 'J', 'K', 'L', ':', '"', '~', 0,  '|', 'Z', 'X', 'C', 'V',
	'B', 'N', 'M', '<', '>', '?', 0,   '*', 0,   ' '};

/* Before EBS (the FADT is read then). */
void kbd_probe(void)
{
	const uint8_t *f = acpi_fadt();
	present = 1;
	why = "status port";
	if (f && f[8] >= 3 && acpi_rd32(f + 4) >= 111) {
		present = (acpi_rd16(f + 109) >> 1) & 1;
		why = present ? "fadt" : "fadt says none";
	}
}

const char *kbd_describe(void)
{
	return why;
}

void kbd_init(void)
{
	/* No controller: the status port floats to 0xFF. */
	if (present && inb(STATUS) == 0xFF) {
		present = 0;
		why = "status port reads 0xff";
	}
	for (int i = 0; present && i < 64 && (inb(STATUS) & ST_OBF); i++)
		(void)inb(DATA); /* keys pressed before EBS are not commands */
}

int kbd_getc(void)
{
	for (int i = 0; present && i < MAX_BYTES_PER_CALL; i++) {
		uint8_t st = inb(STATUS), sc;
		if (!(st & ST_OBF))
			return -1;
		sc = inb(DATA);
		if (st & ST_AUX)
			continue;
		if (sc == 0xE0) {
			extended = 1;
			continue;
		}
		int ext = extended;
		extended = 0;
		if (sc == 0x2A || sc == 0x36) {
			shift = 1;
			continue;
		}
		if (sc == 0xAA || sc == 0xB6) {
			shift = 0;
			continue;
		}
		if (sc & 0x80)
			continue; /* key release */
		if (ext)
			return sc == 0x1C ? '\n' : sc == 0x35 ? '/' : -1; /* keypad Enter and slash */
		if (sc == 0x4A)
			return '-'; /* keypad minus and plus */
		if (sc == 0x4E)
			return '+';
		if (sc < sizeof plain && plain[sc])
			return shift ? shifted[sc] : plain[sc];
	}
	return -1;
}
