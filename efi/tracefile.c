/* efi/tracefile.c - --trace-file: the trace written to a file on the USB stick the application was booted
 * from, for a PC without COM1.
 *
 * After ExitBootServices there is no file system driver, only our USB mass-storage driver and its sector
 * writes. So before exit the firmware does the file system work: it creates the file at the volume root and
 * sizes it (clusters allocated, up to CAP_BYTES or what fits); then the FAT is read through the partition's
 * BlockIo to learn where the file's clusters are (a list of runs) and where its directory entry is. After
 * exit every byte written to COM1 from `# anima: boot services exited` on is kept in a buffer and written
 * to those sectors: whenever 64 KiB have gathered, every FLUSH_SECONDS of wall time, and at the end; each
 * write also rewrites the directory entry's size, so the file is a valid prefix of the output after every
 * flush (a power cut loses at most the last FLUSH_SECONDS). The FAT chain stays as long as the preallocated
 * size: a file system check may call the unused tail lost clusters.
 *
 * The stick is recognised after exit by its partition's boot sector (which carries the FAT volume serial
 * number), read at the partition's start on each USB disk and compared with the copy read before exit. */
#include "anima_efi.h"

#define CAP_BYTES (256u * 1024u * 1024u) /* a year of the default trace; capped by the free space */
#define RESERVE_BYTES (1024u * 1024u)     /* left free on the volume for anima.cfg, checkpoints ... */
#define FLUSH_SECONDS 30
#define BUF_BYTES (128u * 1024u)
#define WRITE_AT (64u * 1024u) /* a write as soon as this much is waiting */
#define MAX_RUNS 64
#define REUSE_BYTES (1024u * 1024u) /* an existing file with at least this much allocated is kept as it is */
#define DEFAULT_NAME "anima-trace.csv"

enum state { OFF, CAPTURING, WRITING, STOPPED };

static struct {
	enum state state;
	char name[64];
	uint64_t part_lba; /* the partition's first sector on the disk */
	uint8_t boot[512]; /* its boot sector, to recognise the disk after exit */
	uint64_t dir_lba;  /* partition-relative sector of the directory entry, and its offset there */
	uint32_t dir_off;
	uint8_t dir[512];
	struct {
		uint64_t lba; /* partition-relative */
		uint32_t sectors;
	} run[MAX_RUNS];
	int nruns;
	uint64_t cap; /* bytes the file can hold */
	/* after exit */
	int disk;
	uint64_t done;  /* bytes before buf: whole sectors already on the stick */
	uint8_t buf[BUF_BYTES];
	uint32_t n;     /* bytes in buf */
	uint64_t flushed_size; /* the size the directory entry last got */
	uint64_t last_flush;
} T;

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void refuse(const char *why)
{
	char line[160] = "# anima: trace file ";
	str_add(line, sizeof line, T.name);
	str_add(line, sizeof line, ": ");
	str_add(line, sizeof line, why);
	say(line);
	T.state = OFF;
}

/* --- before exit ------------------------------------------------------------------------------------------ */

/* From the volume's device path: whether it sits on USB, and where its partition starts. */
static int on_usb(EFI_BOOT_SERVICES *bs, EFI_HANDLE dev)
{
	EFI_GUID dpg = EFI_DEVICE_PATH_PROTOCOL_GUID;
	EFI_DEVICE_PATH *dp;
	int usb = 0;

	if (bs->HandleProtocol(dev, &dpg, (void **)&dp) != EFI_SUCCESS)
		return 0;
	for (int guard = 0; guard < 64 && !(dp->Type == END_DEVICE_PATH_TYPE && dp->SubType == END_ENTIRE_DEVICE_PATH_SUBTYPE);
	     guard++) {
		size_t len = (size_t)dp->Length[0] | ((size_t)dp->Length[1] << 8);
		if (len < 4)
			break;
		if (dp->Type == MESSAGING_DEVICE_PATH &&
		    (dp->SubType == MSG_USB_DP || dp->SubType == MSG_USB_CLASS_DP || dp->SubType == MSG_USB_WWID_DP))
			usb = 1;
		if (dp->Type == MEDIA_DEVICE_PATH && dp->SubType == MEDIA_HARDDRIVE_DP)
			T.part_lba = ((HARDDRIVE_DEVICE_PATH *)dp)->PartitionStart;
		dp = (EFI_DEVICE_PATH *)((uint8_t *)dp + len);
	}
	return usb;
}

/* Whether the USB controller the volume hangs on is an xHCI one (the only kind driven after exit): the PCI
 * device on the volume's device path, asked for its class code through the firmware's PciIo. */
static int on_xhci(EFI_BOOT_SERVICES *bs, EFI_HANDLE dev)
{
	EFI_GUID dpg = EFI_DEVICE_PATH_PROTOCOL_GUID, pcig = EFI_PCI_IO_PROTOCOL_GUID;
	EFI_DEVICE_PATH *dp;
	EFI_HANDLE pci;
	EFI_PCI_IO_PROTOCOL *io;
	uint32_t class_rev = 0;

	if (bs->HandleProtocol(dev, &dpg, (void **)&dp) != EFI_SUCCESS ||
	    bs->LocateDevicePath(&pcig, &dp, &pci) != EFI_SUCCESS ||
	    bs->HandleProtocol(pci, &pcig, (void **)&io) != EFI_SUCCESS ||
	    io->Pci.Read(io, EfiPciIoWidthUint32, 0x08, 1, &class_rev) != EFI_SUCCESS)
		return 0;
	return (class_rev >> 8) == 0x0C0330;
}

/* Creates the file at the root, empty, then sized to what the volume can spare. Returns the size, 0 on error. */
static uint64_t create_sized(EFI_FILE_HANDLE root)
{
	EFI_GUID fsi = EFI_FILE_SYSTEM_INFO_ID, fi = EFI_FILE_INFO_ID;
	CHAR16 path[64];
	EFI_FILE_HANDLE fh;
	uint64_t info[64]; /* EFI_FILE_INFO / EFI_FILE_SYSTEM_INFO and their names, 8-byte aligned */
	UINTN sz;
	size_t i;

	for (i = 0; T.name[i] && i + 1 < 64; i++)
		path[i] = (CHAR16)(uint8_t)T.name[i];
	path[i] = 0;
	if (root->Open(root, &fh, path, EFI_FILE_MODE_CREATE | EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE, 0) !=
	    EFI_SUCCESS)
		return 0;
	sz = sizeof info;
	if (fh->GetInfo(fh, &fi, &sz, info) != EFI_SUCCESS) {
		fh->Close(fh);
		return 0;
	}
	EFI_FILE_INFO *f = (EFI_FILE_INFO *)info;
	f->FileSize = 0; /* the old trace's clusters go back to the free space first */
	if (fh->SetInfo(fh, &fi, sz, f) != EFI_SUCCESS || fh->Flush(fh) != EFI_SUCCESS) {
		fh->Close(fh);
		return 0;
	}
	uint64_t want = CAP_BYTES;
	uint64_t fsinfo[64];
	UINTN fsz = sizeof fsinfo;
	if (root->GetInfo(root, &fsi, &fsz, fsinfo) == EFI_SUCCESS) {
		uint64_t free = ((EFI_FILE_SYSTEM_INFO *)fsinfo)->FreeSpace;
		want = free > RESERVE_BYTES ? free - RESERVE_BYTES : 0;
		if (want > CAP_BYTES)
			want = CAP_BYTES;
	}
	want &= ~511ull;
	if (want < 65536) {
		fh->Close(fh);
		return 0;
	}
	f->FileSize = want;
	EFI_STATUS s = fh->SetInfo(fh, &fi, sz, f);
	if (s == EFI_SUCCESS)
		s = fh->Flush(fh);
	fh->Close(fh);
	return s == EFI_SUCCESS ? want : 0;
}

struct fat {
	EFI_BLOCK_IO *bio;
	uint32_t spc, fat_lba, data_lba, root_lba, root_sectors, root_cluster, clusters;
	int fat32;
	uint8_t sec[512];
	uint64_t sec_lba;
};

static int rd(struct fat *v, uint64_t lba, void *buf)
{
	return v->bio->ReadBlocks(v->bio, v->bio->Media->MediaId, lba, 512, buf) == EFI_SUCCESS ? 0 : -1;
}

static uint32_t next_cluster(struct fat *v, uint32_t c)
{
	uint64_t byte = (uint64_t)c * (v->fat32 ? 4 : 2), lba = v->fat_lba + byte / 512;
	if (v->sec_lba != lba) {
		if (rd(v, lba, v->sec) != 0)
			return 0;
		v->sec_lba = lba;
	}
	uint32_t n = v->fat32 ? le32(v->sec + byte % 512) & 0x0FFFFFFF : le16(v->sec + byte % 512);
	if (n < 2 || n >= (v->fat32 ? 0x0FFFFFF7u : 0xFFF7u) || n >= v->clusters + 2)
		return 0; /* end of chain (or a bad cluster: the chain ends here for us) */
	return n;
}

static uint64_t cluster_lba(struct fat *v, uint32_t c)
{
	return v->data_lba + (uint64_t)(c - 2) * v->spc;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Whether a directory entry (with the long name gathered before it) names T.name. */
static int entry_matches(const uint8_t *e, const char *lfn)
{
	char sfn[13];
	size_t n = 0;
	const char *want = T.name;

	if (lfn[0]) {
		size_t i;
		for (i = 0; lfn[i] && want[i]; i++)
			if (lower(lfn[i]) != lower(want[i]))
				break;
		if (!lfn[i] && !want[i])
			return 1;
	}
	for (int i = 0; i < 8 && e[i] != ' '; i++)
		sfn[n++] = (char)e[i];
	if (e[8] != ' ') {
		sfn[n++] = '.';
		for (int i = 8; i < 11 && e[i] != ' '; i++)
			sfn[n++] = (char)e[i];
	}
	sfn[n] = 0;
	size_t i;
	for (i = 0; sfn[i] && want[i]; i++)
		if (lower(sfn[i]) != lower(want[i]))
			break;
	return !sfn[i] && !want[i];
}

/* Walks one directory sector; returns 1 when the entry was found (T.dir*, *first set), -1 at the end. */
static int scan_sector(uint64_t lba, const uint8_t *s, char *lfn, uint32_t *first, struct fat *v)
{
	for (uint32_t off = 0; off < 512; off += 32) {
		const uint8_t *e = s + off;
		if (e[0] == 0)
			return -1;
		if (e[0] == 0xE5) {
			lfn[0] = 0;
			continue;
		}
		if (e[11] == 0x0F) { /* a piece of a long name: 13 UCS-2 characters, ASCII kept */
			static const uint8_t at[13] = {1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30};
			unsigned ord = (e[0] & 0x1F);
			if (ord == 0 || ord > 4)
				continue;
			if (e[0] & 0x40)
				memset(lfn, 0, 53);
			for (int k = 0; k < 13; k++) {
				uint16_t ch = le16(e + at[k]);
				lfn[(ord - 1) * 13 + k] = ch == 0 || ch == 0xFFFF ? 0 : ch < 0x80 ? (char)ch : '?';
			}
			continue;
		}
		if (!(e[11] & 0x18) && entry_matches(e, lfn)) {
			T.dir_lba = lba;
			T.dir_off = off;
			memcpy(T.dir, s, 512);
			*first = (uint32_t)le16(e + 26) | (v->fat32 ? (uint32_t)le16(e + 20) << 16 : 0);
			return 1;
		}
		lfn[0] = 0;
	}
	return 0;
}

static int find_entry(struct fat *v, uint32_t *first)
{
	static uint8_t s[512];
	char lfn[53] = "";

	if (!v->fat32) {
		for (uint32_t i = 0; i < v->root_sectors; i++) {
			if (rd(v, v->root_lba + i, s) != 0)
				return -1;
			int r = scan_sector(v->root_lba + i, s, lfn, first, v);
			if (r)
				return r > 0 ? 0 : -1;
		}
		return -1;
	}
	for (uint32_t c = v->root_cluster, guard = 0; c && guard < 65536; c = next_cluster(v, c), guard++) {
		for (uint32_t i = 0; i < v->spc; i++) {
			uint64_t lba = cluster_lba(v, c) + i;
			if (rd(v, lba, s) != 0)
				return -1;
			int r = scan_sector(lba, s, lfn, first, v);
			if (r)
				return r > 0 ? 0 : -1;
		}
	}
	return -1;
}

/* The volume's layout from its boot sector (FAT16 or FAT32, 512-byte sectors), then the file's runs. */
static const char *map_file(EFI_BOOT_SERVICES *bs, EFI_HANDLE dev, uint64_t size)
{
	EFI_GUID bg = EFI_BLOCK_IO_PROTOCOL_GUID;
	static struct fat v;
	uint32_t first = 0;

	memset(&v, 0, sizeof v);
	v.sec_lba = ~0ull;
	if (bs->HandleProtocol(dev, &bg, (void **)&v.bio) != EFI_SUCCESS || v.bio->Media->BlockSize != 512)
		return "the volume has no 512-byte-sector block device";
	if (rd(&v, 0, T.boot) != 0)
		return "cannot read the boot sector";
	const uint8_t *b = T.boot;
	uint32_t fatsz = le16(b + 22) ? le16(b + 22) : le32(b + 36);
	uint32_t total = le16(b + 19) ? le16(b + 19) : le32(b + 32);
	v.spc = b[13];
	if (le16(b + 11) != 512 || !v.spc || !b[16] || !fatsz || b[510] != 0x55 || b[511] != 0xAA)
		return "not a FAT volume with 512-byte sectors";
	v.fat_lba = le16(b + 14);
	v.root_sectors = (le16(b + 17) * 32u + 511) / 512;
	v.root_lba = v.fat_lba + b[16] * fatsz;
	v.data_lba = v.root_lba + v.root_sectors;
	if (total <= v.data_lba)
		return "not a FAT volume";
	v.clusters = (total - v.data_lba) / v.spc;
	if (v.clusters < 4085)
		return "FAT12 is not written";
	v.fat32 = v.clusters >= 65525;
	v.root_cluster = le32(b + 44);
	if (find_entry(&v, &first) != 0 || first < 2)
		return "cannot find the file in the root directory";
	/* The cluster chain as runs of consecutive sectors. */
	uint64_t have = 0;
	T.nruns = 0;
	for (uint32_t c = first, guard = 0; c && have < size && guard < 0x10000000u; guard++) {
		uint64_t lba = cluster_lba(&v, c);
		if (T.nruns && T.run[T.nruns - 1].lba + T.run[T.nruns - 1].sectors == lba) {
			T.run[T.nruns - 1].sectors += v.spc;
		} else {
			if (T.nruns == MAX_RUNS)
				break; /* badly fragmented: the file holds what the runs so far hold */
			T.run[T.nruns].lba = lba;
			T.run[T.nruns].sectors = v.spc;
			T.nruns++;
		}
		have += v.spc * 512ull;
		c = next_cluster(&v, c);
	}
	T.cap = have < size ? have : size;
	if (!T.cap)
		return "the file has no clusters";
	/* Size 0 until the first write after exit: a power cut before it leaves an empty file, not the
	 * preallocated zeros or an earlier run's trace. The firmware's driver is done with the file (closed). */
	uint8_t *e = T.dir + T.dir_off;
	e[28] = e[29] = e[30] = e[31] = 0;
	if (v.bio->WriteBlocks(v.bio, v.bio->Media->MediaId, T.dir_lba, 512, T.dir) != EFI_SUCCESS ||
	    v.bio->FlushBlocks(v.bio) != EFI_SUCCESS)
		return "cannot write its directory entry";
	return NULL;
}

/* Before exit: name is the option's value (NULL: the default, only when booted from USB; "none": off). */
void tracefile_prepare(EFI_SYSTEM_TABLE *st, const char *name)
{
	EFI_BOOT_SERVICES *bs = st->BootServices;
	EFI_LOADED_IMAGE *li = volume_loaded_image();
	EFI_FILE_HANDLE root = volume_root();
	const char *why;

	T.state = OFF;
	if (name && anima_streq(name, "none"))
		return;
	str_add(T.name, sizeof T.name, name ? name : DEFAULT_NAME);
	if (T.name[0] == '\\' || T.name[0] == '/')
		memmove(T.name, T.name + 1, anima_strlen(T.name));
	if (!li || !on_usb(bs, li->DeviceHandle)) {
		if (name)
			refuse("the application's volume is not a USB stick; not written");
		return;
	}
	if (!on_xhci(bs, li->DeviceHandle)) {
		refuse("the stick is not on a USB controller this application drives (xHCI); not written");
		return;
	}
	for (const char *p = T.name; *p; p++)
		if (*p == '\\' || *p == '/' || *p == ':') {
			refuse("must be a file name at the volume root");
			return;
		}
	if (!root || !T.name[0]) {
		refuse("no file system on the application's volume");
		return;
	}
	/* The file of an earlier boot keeps its clusters (only its size shrank to what was written): mapping
	 * them again spares rewriting the whole preallocation, which on a slow stick takes many seconds. */
	if (map_file(bs, li->DeviceHandle, CAP_BYTES) == NULL && T.cap >= REUSE_BYTES) { /* (size now 0) */
		T.state = CAPTURING;
		return;
	}
	uint64_t size = create_sized(root);
	if (!size) {
		refuse("cannot create it, or no room on the volume");
		return;
	}
	why = map_file(bs, li->DeviceHandle, size);
	if (why) {
		refuse(why);
		return;
	}
	T.state = CAPTURING;
}

/* --- after exit --------------------------------------------------------------------------------------- */

static int write_file_sectors(uint64_t sector, uint32_t count, const uint8_t *data)
{
	while (count) {
		uint64_t s = sector;
		int r = 0;
		while (r < T.nruns && s >= T.run[r].sectors)
			s -= T.run[r++].sectors;
		if (r == T.nruns)
			return -1;
		uint32_t n = T.run[r].sectors - (uint32_t)s;
		if (n > count)
			n = count;
		if (usbmsd_write(T.disk, T.part_lba + T.run[r].lba + s, n, data) != 0)
			return -1;
		sector += n;
		count -= n;
		data += n * 512;
	}
	return 0;
}

static void stop(const char *why)
{
	char line[160] = "# anima: trace file ";
	T.state = STOPPED; /* first: the line below goes to COM1 only */
	str_add(line, sizeof line, T.name);
	str_add(line, sizeof line, ": ");
	str_add(line, sizeof line, why);
	str_add(line, sizeof line, "\n");
	serial_puts(line);
}

/* Writes what is buffered (the last sector padded) and the size into the directory entry. */
static void flush(void)
{
	uint64_t size = T.done + T.n;
	uint32_t sectors = (T.n + 511) / 512;

	T.last_flush = timer_now();
	if (T.state != WRITING || size == T.flushed_size)
		return;
	memset(T.buf + T.n, 0, sectors * 512 - T.n);
	uint8_t *e = T.dir + T.dir_off;
	e[28] = (uint8_t)size, e[29] = (uint8_t)(size >> 8), e[30] = (uint8_t)(size >> 16), e[31] = (uint8_t)(size >> 24);
	if (write_file_sectors(T.done / 512, sectors, T.buf) != 0 ||
	    usbmsd_write(T.disk, T.part_lba + T.dir_lba, 1, T.dir) != 0) {
		stop("write error on the stick; no more is written");
		return;
	}
	T.flushed_size = size;
	uint32_t whole = T.n & ~511u;
	memmove(T.buf, T.buf + whole, T.n - whole);
	T.done += whole;
	T.n -= whole;
}

/* Every byte written to COM1 (present or not) while capturing. */
static void capture(const char *s, size_t n)
{
	if (T.state != CAPTURING && T.state != WRITING)
		return;
	while (n) {
		uint64_t room = T.cap - (T.done + T.n);
		if (room == 0) {
			flush();
			stop("full; the rest goes to COM1 only");
			return;
		}
		size_t k = BUF_BYTES - T.n;
		if (k > n)
			k = n;
		if (k > room)
			k = (size_t)room;
		memcpy(T.buf + T.n, s, k);
		T.n += (uint32_t)k;
		s += k;
		n -= k;
		if (T.state == WRITING && T.n >= WRITE_AT)
			flush();
		else if (T.n == BUF_BYTES) {
			/* Still waiting for the stick (enumeration): bytes beyond the buffer cannot be kept. */
			stop("more output before the stick was ready than fits in the buffer");
			return;
		}
	}
}

/* Right before `# anima: boot services exited`: from here on COM1's bytes are kept. */
void tracefile_capture(void)
{
	if (T.state == CAPTURING)
		serial_tee(capture);
}

/* After usb_start: the stick among the USB disks, then the first write (which also puts the size right). */
void tracefile_start(void)
{
	static uint8_t s[512];

	if (T.state != CAPTURING)
		return;
	T.disk = -1;
	for (int d = 0; d < usbmsd_count() && T.disk < 0; d++)
		if (usbmsd_read(d, T.part_lba, 1, s) == 0 && memcmp(s, T.boot, 512) == 0)
			T.disk = d;
	if (T.disk < 0) {
		stop("the stick was not found among the USB disks after exit; not written");
		return;
	}
	T.state = WRITING;
	T.flushed_size = ~0ull;
	flush();
}

/* From the run's polling: a flush every FLUSH_SECONDS of wall time (without a clock, at every 4 KiB). */
void tracefile_poll(void)
{
	uint64_t hz = timer_hz();
	if (T.state != WRITING)
		return;
	if (hz ? timer_now() - T.last_flush >= FLUSH_SECONDS * hz : T.n >= 4096)
		flush();
}

/* The end of the run (or a panic): whatever is buffered goes out. */
void tracefile_end(void)
{
	static int ending;
	if (T.state == WRITING && !ending) {
		ending = 1; /* a panic inside this flush must not flush again */
		flush();
		ending = 0;
	}
}
