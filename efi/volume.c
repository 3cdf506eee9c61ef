/* efi/volume.c - files beside the application on the volume it was loaded from (the ESP of a USB stick,
 * the disk the Shell ran it from). Only used before ExitBootServices. */
#include "anima_efi.h"

#define PATH_MAX16 260

static EFI_LOADED_IMAGE *loaded;
static EFI_FILE_HANDLE root;
static CHAR16 appdir[PATH_MAX16]; /* "\EFI\BOOT" or "" (root) */

EFI_LOADED_IMAGE *volume_loaded_image(void)
{
	return loaded;
}

EFI_FILE_HANDLE volume_root(void)
{
	return root;
}

/* The application's directory from LoadedImage->FilePath: the media file path nodes, concatenated (a path
 * may be split across nodes), up to the last backslash. */
static void find_appdir(void)
{
	EFI_DEVICE_PATH *dp = loaded->FilePath;
	size_t n = 0, cut = 0;

	appdir[0] = 0;
	while (dp && !(dp->Type == END_DEVICE_PATH_TYPE && dp->SubType == END_ENTIRE_DEVICE_PATH_SUBTYPE)) {
		size_t len = (size_t)dp->Length[0] | ((size_t)dp->Length[1] << 8);
		if (len < 4)
			break;
		if (dp->Type == MEDIA_DEVICE_PATH && dp->SubType == MEDIA_FILEPATH_DP) {
			const CHAR16 *p = ((FILEPATH_DEVICE_PATH *)dp)->PathName;
			size_t max = (len - 4) / 2;
			if (n && appdir[n - 1] != L'\\' && p[0] != L'\\' && n + 1 < PATH_MAX16)
				appdir[n++] = L'\\';
			for (size_t i = 0; i < max && p[i] && n + 1 < PATH_MAX16; i++)
				appdir[n++] = p[i] == L'/' ? L'\\' : p[i];
		}
		dp = (EFI_DEVICE_PATH *)((uint8_t *)dp + len);
	}
	for (size_t i = 0; i < n; i++)
		if (appdir[i] == L'\\')
			cut = i;
	appdir[cut] = 0;
}

int volume_init(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	EFI_GUID lip = EFI_LOADED_IMAGE_PROTOCOL_GUID;
	EFI_GUID sfsp = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
	EFI_FILE_IO_INTERFACE *fs;

	if (st->BootServices->HandleProtocol(image, &lip, (void **)&loaded) != EFI_SUCCESS)
		return -1;
	find_appdir();
	/* Loaded from the network or a firmware volume: there is no file system, hence no anima.cfg. */
	if (st->BootServices->HandleProtocol(loaded->DeviceHandle, &sfsp, (void **)&fs) != EFI_SUCCESS)
		return 0;
	if (fs->OpenVolume(fs, &root) != EFI_SUCCESS)
		root = NULL;
	return 0;
}

static int open_at(const CHAR16 *dir, const char *name, EFI_FILE_HANDLE *fh)
{
	CHAR16 path[PATH_MAX16];
	size_t n = 0;

	if (name[0] != '\\' && name[0] != '/') {
		for (; dir[n] && n + 1 < PATH_MAX16; n++)
			path[n] = dir[n];
		path[n++] = L'\\';
	}
	for (; *name && n + 1 < PATH_MAX16; name++)
		path[n++] = *name == '/' ? L'\\' : (CHAR16)(uint8_t)*name;
	path[n] = 0;
	return root->Open(root, fh, path, EFI_FILE_MODE_READ, 0) == EFI_SUCCESS ? 0 : -1;
}

int volume_read(const char *name, void *buf, size_t cap, size_t *len, char *err, size_t errlen)
{
	EFI_FILE_HANDLE fh;
	size_t got = 0;
	EFI_STATUS s = EFI_SUCCESS;

	err[0] = 0;
	if (!root)
		return 1;
	if (open_at(appdir, name, &fh) != 0 && (!appdir[0] || open_at(L"", name, &fh) != 0))
		return 1;
	for (;;) {
		UINTN chunk = cap - got;
		uint8_t extra;
		if (chunk == 0) {
			/* Full: one more byte tells a file of exactly cap bytes from a longer one. */
			chunk = 1;
			s = fh->Read(fh, &chunk, &extra);
			if (s == EFI_SUCCESS && chunk) {
				str_add(err, errlen, "file too large");
				fh->Close(fh);
				return -1;
			}
			break;
		}
		s = fh->Read(fh, &chunk, (uint8_t *)buf + got);
		if (s != EFI_SUCCESS || chunk == 0)
			break;
		got += chunk;
	}
	fh->Close(fh);
	if (s != EFI_SUCCESS) {
		str_add(err, errlen, "read error ");
		str_add_hex(err, errlen, (uint64_t)s);
		return -1;
	}
	*len = got;
	return 0;
}
