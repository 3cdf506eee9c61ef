/* efi/pc/usbmsd.c - USB mass storage, bulk-only transport (BOT 1.0) with SCSI commands, after
 * ExitBootServices: enough to find the stick the application was booted from and write sectors to it.
 *
 * Each transfer is a 31-byte command block wrapper (CBW) out, the data, and a 13-byte status wrapper (CSW)
 * in. A stalled data stage is cleared and the CSW still read; anything worse gets the reset recovery of
 * BOT section 5.3.4 (Bulk-Only Mass Storage Reset, then clearing both halts). Only 512-byte sectors. */
#include "anima_efi.h"
#include "usb.h"

#define MAX_DISKS 4
#define CHUNK_SECTORS 64 /* 32 KiB per READ(10)/WRITE(10) */

struct disk {
	struct usb_dev *dev;
	uint8_t iface, lun, in, out;
	uint32_t tag;
	uint8_t *wrap; /* CBW then CSW, DMA memory */
	uint8_t *buf;  /* CHUNK_SECTORS sectors, DMA memory within one 64 KiB block */
	uint64_t sectors;
};

static struct disk disks[MAX_DISKS];
static int ndisks;

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void reset_recovery(struct disk *k)
{
	(void)xhci_control(k->dev, 0x21, 0xFF, 0, k->iface, NULL, 0);
	(void)usb_clear_halt(k->dev, k->in);
	(void)usb_clear_halt(k->dev, k->out);
}

/* One SCSI command; data (len bytes, in k->buf) goes in or out. Returns 0 when the device reports success. */
static int scsi(struct disk *k, const uint8_t *cb, uint8_t cblen, uint32_t len, int in)
{
	uint8_t *cbw = k->wrap, *csw = k->wrap + 32;
	int32_t r;

	memset(cbw, 0, 31);
	memcpy(cbw, "USBC", 4);
	k->tag++;
	memcpy(cbw + 4, &k->tag, 4);
	memcpy(cbw + 8, &len, 4);
	cbw[12] = in ? 0x80 : 0;
	cbw[13] = k->lun;
	cbw[14] = cblen;
	memcpy(cbw + 15, cb, cblen);
	if (xhci_bulk(k->dev, k->out, cbw, 31) != 31) {
		reset_recovery(k);
		return -1;
	}
	if (len) {
		r = xhci_bulk(k->dev, in ? k->in : k->out, k->buf, len);
		if (r == -2)
			(void)usb_clear_halt(k->dev, in ? k->in : k->out);
		else if (r < 0) {
			reset_recovery(k);
			return -1;
		}
	}
	r = xhci_bulk(k->dev, k->in, csw, 13);
	if (r == -2) {
		(void)usb_clear_halt(k->dev, k->in);
		r = xhci_bulk(k->dev, k->in, csw, 13);
	}
	if (r != 13 || memcmp(csw, "USBS", 4) != 0 || memcmp(csw + 4, &k->tag, 4) != 0 || csw[12] == 2) {
		reset_recovery(k);
		return -1;
	}
	return csw[12] == 0 ? 0 : -1;
}

static int test_unit_ready(struct disk *k)
{
	static const uint8_t tur[6] = {0x00};
	static const uint8_t sense[6] = {0x03, 0, 0, 0, 18, 0};
	for (int i = 0; i < 20; i++) {
		if (scsi(k, tur, 6, 0, 0) == 0)
			return 0;
		(void)scsi(k, sense, 6, 18, 1); /* clears a unit attention (media changed, power on) */
		usb_delay_ms(50);
	}
	return -1;
}

int usbmsd_attach(struct usb_dev *d, uint8_t iface, const struct usb_ep_desc *in, const struct usb_ep_desc *out)
{
	uint8_t maxlun = 0;
	static const uint8_t capacity[10] = {0x25};

	/* GET MAX LUN; a device with one LUN may stall it. */
	if (xhci_control(d, 0xA1, 0xFE, 0, iface, &maxlun, 1) != 0)
		maxlun = 0;
	/* One pair of buffers for all the LUNs of a device (a card reader has several): they take turns. */
	uint8_t *wrap = xhci_dma(d->hc, 64), *buf = xhci_dma(d->hc, CHUNK_SECTORS * 512);
	if (!wrap || !buf)
		return -1;
	for (uint8_t lun = 0; lun <= (maxlun & 15) && ndisks < MAX_DISKS; lun++) {
		struct disk *k = &disks[ndisks];
		memset(k, 0, sizeof *k);
		k->dev = d;
		k->iface = iface;
		k->lun = lun;
		k->in = in->addr;
		k->out = out->addr;
		k->wrap = wrap;
		k->buf = buf;
		if (test_unit_ready(k) != 0 || scsi(k, capacity, 10, 8, 1) != 0)
			continue;
		if (be32(k->buf + 4) != 512)
			continue; /* 4 KiB logical sectors: not handled */
		k->sectors = (uint64_t)be32(k->buf) + 1;
		ndisks++;
	}
	return 0;
}

int usbmsd_count(void)
{
	return ndisks;
}

uint64_t usbmsd_sectors(int disk)
{
	return disk >= 0 && disk < ndisks ? disks[disk].sectors : 0;
}

static int rw(int disk, uint64_t lba, uint32_t count, uint8_t *buf, int write)
{
	if (disk < 0 || disk >= ndisks)
		return -1;
	struct disk *k = &disks[disk];
	if (lba + count > k->sectors || lba + count > 0xFFFFFFFFull)
		return -1;
	while (count) {
		uint32_t n = count > CHUNK_SECTORS ? CHUNK_SECTORS : count;
		uint8_t cb[10] = {write ? 0x2A : 0x28};
		put_be32(cb + 2, (uint32_t)lba);
		cb[7] = (uint8_t)(n >> 8);
		cb[8] = (uint8_t)n;
		if (write)
			memcpy(k->buf, buf, n * 512);
		int r = scsi(k, cb, 10, n * 512, !write);
		if (r != 0 && test_unit_ready(k) == 0) /* one retry, after a unit attention */
			r = scsi(k, cb, 10, n * 512, !write);
		if (r != 0)
			return -1;
		if (!write)
			memcpy(buf, k->buf, n * 512);
		lba += n;
		count -= n;
		buf += n * 512;
	}
	return 0;
}

int usbmsd_read(int disk, uint64_t lba, uint32_t count, void *buf)
{
	return rw(disk, lba, count, buf, 0);
}

int usbmsd_write(int disk, uint64_t lba, uint32_t count, const void *buf)
{
	return rw(disk, lba, count, (uint8_t *)(uintptr_t)buf, 1);
}
