/* efi/persist.c - --persist: the organism in a non-volatile UEFI variable, so it lives across reboots.
 *
 * The variable holds an engine checkpoint (the same bytes as a --save file). It is read before EBS and
 * written through the runtime SetVariable after EBS (every simulated hour and when the run ends), hence
 * the RUNTIME_ACCESS attribute. On firmware that cannot write variables at runtime the failure is noted on
 * COM1 once and the run goes on. */
#include "anima_efi.h"

#define ATTRS (EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS)

/* Anima's own vendor GUID for its variables. */
static EFI_GUID vendor = {0x6d1c3f5e, 0x2a47, 0x4b8e, {0x9a, 0x61, 0x41, 0x4e, 0x49, 0x4d, 0x41, 0x31}};
static CHAR16 name[] = L"AnimaOrganism";
static EFI_RUNTIME_SERVICES *rt;
static uint8_t buf[ANIMA_CHECKPOINT_BYTES];
static int failed;

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
	if (anima_checkpoint_read(sim, buf, size, why, sizeof why) != 0) {
		str_add(err, errlen, why);
		str_add(err, errlen, " (dmpstore -d AnimaOrganism in the Shell clears it)");
		return -1;
	}
	return 1;
}

void persist_save(const struct anima_sim *sim)
{
	size_t n;
	EFI_STATUS s;

	if (!rt || failed)
		return;
	n = anima_checkpoint_write(sim, buf, sizeof buf);
	s = n ? rt->SetVariable(name, &vendor, ATTRS, n, buf) : EFI_BUFFER_TOO_SMALL;
	if (s != EFI_SUCCESS) {
		char line[96] = "# anima: persist: SetVariable failed, status ";
		str_add_hex(line, sizeof line, (uint64_t)s);
		str_add(line, sizeof line, "; the organism is not saved\n");
		if (console_attached())
			console_puts(line);
		serial_puts(line);
		failed = 1;
	}
}
