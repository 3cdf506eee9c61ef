/* efi/console.c - the firmware's text console (ConOut) while boot services last.
 *
 * With a serial console configured (QEMU -nographic, servers with console redirection) ConOut already
 * echoes to COM1; say() then leaves COM1 to the firmware so each message appears once in a serial log. */
#include "anima_efi.h"

static SIMPLE_TEXT_OUTPUT_INTERFACE *conout;
static int mirrors_com1;

/* Does the ConOut variable (a multi-instance device path) name a UART on COM1 (ACPI PNP0501 UID 0)? */
static int conout_has_com1(EFI_SYSTEM_TABLE *st)
{
	static uint8_t buf[1024];
	EFI_GUID global = EFI_GLOBAL_VARIABLE;
	UINTN size = sizeof buf;
	UINT32 attr;
	int com1 = 0;

	if (st->RuntimeServices->GetVariable(L"ConOut", &global, &attr, &size, buf) != EFI_SUCCESS)
		return 0;
	for (UINTN off = 0; off + 4 <= size;) {
		EFI_DEVICE_PATH *dp = (EFI_DEVICE_PATH *)(buf + off);
		UINTN len = (UINTN)dp->Length[0] | ((UINTN)dp->Length[1] << 8);
		if (len < 4 || off + len > size)
			break;
		if (dp->Type == ACPI_DEVICE_PATH && dp->SubType == ACPI_DP && len >= sizeof(ACPI_HID_DEVICE_PATH)) {
			ACPI_HID_DEVICE_PATH *a = (ACPI_HID_DEVICE_PATH *)dp;
			com1 = a->HID == EISA_PNP_ID(0x0501) && a->UID == 0;
		} else if (dp->Type == MESSAGING_DEVICE_PATH && dp->SubType == MSG_UART_DP && com1) {
			return 1;
		}
		off += len;
	}
	return 0;
}

void console_init(EFI_SYSTEM_TABLE *st)
{
	conout = st->ConOut;
	mirrors_com1 = conout_has_com1(st);
}

void console_puts(const char *s)
{
	CHAR16 buf[130];
	size_t n = 0;

	if (!conout)
		return;
	for (; *s; s++) {
		if (*s == '\n')
			buf[n++] = L'\r';
		buf[n++] = (CHAR16)(uint8_t)*s;
		if (n >= 128) {
			buf[n] = 0;
			conout->OutputString(conout, buf);
			n = 0;
		}
	}
	buf[n] = 0;
	if (n)
		conout->OutputString(conout, buf);
}

void console_detach(void)
{
	conout = NULL;
}

int console_attached(void)
{
	return conout != NULL;
}

void say(const char *line)
{
	console_puts(line);
	console_puts("\n");
	if (!conout || !mirrors_com1 || !serial_is_com1()) { /* a SPCR UART elsewhere is not ConOut's */
		serial_puts(line);
		serial_puts("\n");
	}
}
