/* efi/exitbs.c - leave boot services.
 *
 * ExitBootServices needs the key of the current memory map. Any allocation changes the map, so the
 * buffer is sized once with spare descriptors and reused; when the firmware reports a stale key
 * (EFI_INVALID_PARAMETER: an event handler changed the map) the map is fetched again into the same buffer
 * and EBS retried once. Between the two only GetMemoryMap and ExitBootServices may be called: no printing. */
#include "anima_efi.h"

#define SPARE_DESCRIPTORS 16

EFI_STATUS exit_boot_services(EFI_HANDLE image, EFI_SYSTEM_TABLE *st, int *tried)
{
	EFI_BOOT_SERVICES *bs = st->BootServices;
	EFI_MEMORY_DESCRIPTOR *map = NULL;
	UINTN size = 0, key = 0, dsize = 0, cap;
	UINT32 dver = 0;
	EFI_STATUS s;

	*tried = 0;
	s = bs->GetMemoryMap(&size, NULL, &key, &dsize, &dver);
	if (s != EFI_BUFFER_TOO_SMALL)
		return EFI_ERROR(s) ? s : EFI_LOAD_ERROR;
	if (dsize < sizeof(EFI_MEMORY_DESCRIPTOR))
		dsize = sizeof(EFI_MEMORY_DESCRIPTOR);
	/* The pool allocation below may split a free region: spare room keeps it from being too small. */
	cap = size + SPARE_DESCRIPTORS * dsize;
	s = bs->AllocatePool(EfiLoaderData, cap, (void **)&map);
	if (EFI_ERROR(s))
		return s;
	for (int attempt = 0; attempt < 2; attempt++) {
		size = cap;
		s = bs->GetMemoryMap(&size, map, &key, &dsize, &dver);
		if (EFI_ERROR(s))
			return s;
		*tried = 1;
		s = bs->ExitBootServices(image, key);
		if (s != EFI_INVALID_PARAMETER)
			return s;
	}
	return s;
}
