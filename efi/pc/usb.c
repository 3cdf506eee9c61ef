/* efi/pc/usb.c - USB enumeration after ExitBootServices: descriptors, configuration, hubs, and handing
 * each interface to its class driver (boot keyboard, bulk-only mass storage).
 *
 * Devices are enumerated once, at start; a device plugged in later is not seen (nor is one unplugged and
 * plugged back). Hubs are walked down to the five tiers xHCI's route string can name. */
#include "anima_efi.h"
#include "usb.h"

#define MAX_DEVICES 24

/* Standard requests (USB 2.0 chapter 9) and hub class requests (chapter 11). */
#define REQ_GET_STATUS 0
#define REQ_CLEAR_FEATURE 1
#define REQ_SET_FEATURE 3
#define REQ_GET_DESCRIPTOR 6
#define REQ_SET_CONFIGURATION 9
#define HUB_PORT_RESET 4
#define HUB_PORT_POWER 8
#define HUB_C_PORT_CONNECTION 16
#define HUB_C_PORT_RESET 20

static struct usb_dev devs[MAX_DEVICES];
static int ndevs, nhubs, nfailed;

int usb_clear_halt(struct usb_dev *d, uint8_t ep)
{
	return xhci_control(d, 0x02, REQ_CLEAR_FEATURE, 0, ep, NULL, 0); /* ENDPOINT_HALT of ep */
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Ports of a (USB 2) hub: power them, then reset and enumerate each one with a device on it. */
static void hub_scan(struct usb_dev *h)
{
	uint8_t desc[16], st[4];

	if (h->speed == USB_SUPER || h->depth >= 4)
		return; /* USB 3 hubs need their own requests; and the route string ends at five tiers */
	if (xhci_control(h, 0xA0, REQ_GET_DESCRIPTOR, 0x2900, 0, desc, 9) != 0)
		return;
	h->is_hub = 1;
	h->hub_ports = desc[2] > 15 ? 15 : desc[2];
	if (xhci_configure(h, NULL, 0) != 0)
		return;
	nhubs++;
	for (uint8_t p = 1; p <= h->hub_ports; p++)
		xhci_control(h, 0x23, REQ_SET_FEATURE, HUB_PORT_POWER, p, NULL, 0);
	usb_delay_ms(desc[5] * 2u + 100u); /* power-on to power-good, then the attach debounce */
	for (uint8_t p = 1; p <= h->hub_ports; p++) {
		if (xhci_control(h, 0xA3, REQ_GET_STATUS, 0, p, st, 4) != 0 || !(st[0] & 1))
			continue;
		xhci_control(h, 0x23, REQ_SET_FEATURE, HUB_PORT_RESET, p, NULL, 0);
		int ok = 0;
		for (int i = 0; i < 50 && !ok; i++) {
			usb_delay_ms(10);
			if (xhci_control(h, 0xA3, REQ_GET_STATUS, 0, p, st, 4) != 0)
				break;
			ok = !(st[0] & 0x10) && (st[0] & 0x02); /* reset over, port enabled */
		}
		xhci_control(h, 0x23, REQ_CLEAR_FEATURE, HUB_C_PORT_RESET, p, NULL, 0);
		xhci_control(h, 0x23, REQ_CLEAR_FEATURE, HUB_C_PORT_CONNECTION, p, NULL, 0);
		if (!ok)
			continue;
		usb_delay_ms(10); /* reset recovery */
		uint16_t status = le16(st);
		usb_attach(h->hc, h, p, status & 0x200 ? USB_LOW : status & 0x400 ? USB_HIGH : USB_FULL);
	}
}

struct found {
	uint8_t kbd_iface, msd_iface, has_kbd, has_msd;
	struct usb_ep_desc kbd_in, msd_in, msd_out;
};

/* Walks a configuration descriptor: interfaces (alternate setting 0 only) and their endpoints. */
static void parse_config(const uint8_t *c, uint16_t len, struct found *f)
{
	int kind = 0; /* 1 boot keyboard, 2 bulk-only SCSI storage */
	uint8_t iface = 0;

	for (uint16_t at = 0; at + 2 <= len && c[at] >= 2 && at + c[at] <= len; at += c[at]) {
		const uint8_t *d = c + at;
		if (d[1] == 4 && d[0] >= 9) {
			iface = d[2];
			kind = 0;
			if (d[3] != 0)
				continue;
			if (d[5] == 3 && d[6] == 1 && d[7] == 1 && !f->has_kbd)
				kind = 1;
			else if (d[5] == 8 && d[6] == 6 && d[7] == 0x50 && !f->has_msd)
				kind = 2;
		} else if (d[1] == 5 && d[0] >= 7 && kind) {
			struct usb_ep_desc e = {d[2], (uint8_t)(d[3] & 3), (uint16_t)(le16(d + 4) & 0x7FF), d[6]};
			if (kind == 1 && e.attr == 3 && (e.addr & USB_DIR_IN)) {
				f->kbd_in = e;
				f->kbd_iface = iface;
				f->has_kbd = 1;
			} else if (kind == 2 && e.attr == 2) {
				if (e.addr & USB_DIR_IN)
					f->msd_in = e;
				else
					f->msd_out = e;
				if (f->msd_in.addr && f->msd_out.addr) {
					f->msd_iface = iface;
					f->has_msd = 1;
				}
			}
		}
	}
}

void usb_attach(struct xhci *hc, struct usb_dev *hub, uint8_t port, uint8_t speed)
{
	static uint8_t cfg[1024];
	uint8_t dd[18];
	struct found f;
	struct usb_ep_desc eps[3];
	int n = 0;

	if (ndevs == MAX_DEVICES)
		return;
	struct usb_dev *d = &devs[ndevs];
	memset(d, 0, sizeof *d);
	d->hc = hc;
	d->hub = hub;
	d->speed = speed;
	d->port = port;
	if (hub) {
		d->root_port = hub->root_port;
		d->depth = (uint8_t)(hub->depth + 1);
		d->route = hub->route | (uint32_t)port << (4 * hub->depth);
		/* A low/full-speed device below a high-speed hub talks through that hub's transaction translator. */
		if ((speed == USB_FULL || speed == USB_LOW) && hub->speed == USB_HIGH) {
			d->tt_slot = hub->slot;
			d->tt_port = port;
		} else {
			d->tt_slot = hub->tt_slot;
			d->tt_port = hub->tt_port;
		}
	} else {
		d->root_port = port;
	}
	ndevs++;
	memset(&f, 0, sizeof f);
	if (xhci_address(d) != 0 || xhci_control(d, 0x80, REQ_GET_DESCRIPTOR, 0x0100, 0, dd, 8) != 0)
		goto fail;
	if (xhci_set_mps0(d, speed == USB_SUPER ? (uint16_t)(1u << (dd[7] & 15)) : dd[7]) != 0 ||
	    xhci_control(d, 0x80, REQ_GET_DESCRIPTOR, 0x0100, 0, dd, 18) != 0 ||
	    xhci_control(d, 0x80, REQ_GET_DESCRIPTOR, 0x0200, 0, cfg, 9) != 0)
		goto fail;
	d->vendor = le16(dd + 8);
	d->product = le16(dd + 10);
	uint16_t total = le16(cfg + 2);
	if (total > sizeof cfg)
		total = sizeof cfg;
	if (total < 9 || xhci_control(d, 0x80, REQ_GET_DESCRIPTOR, 0x0200, 0, cfg, total) != 0 ||
	    xhci_control(d, 0x00, REQ_SET_CONFIGURATION, cfg[5], 0, NULL, 0) != 0)
		goto fail;
	if (dd[4] == 9) {
		d->hub_mtt = dd[6] == 2;
		hub_scan(d);
		return;
	}
	parse_config(cfg, total, &f);
	if (f.has_kbd)
		eps[n++] = f.kbd_in;
	if (f.has_msd) {
		eps[n++] = f.msd_in;
		eps[n++] = f.msd_out;
	}
	if (!n)
		return; /* nothing we drive: it stays addressed and configured, and idle */
	if (xhci_configure(d, eps, n) != 0)
		goto fail;
	if (f.has_kbd)
		usbkbd_attach(d, f.kbd_iface, &f.kbd_in);
	if (f.has_msd)
		usbmsd_attach(d, f.msd_iface, &f.msd_in, &f.msd_out);
	return;
fail:
	nfailed++;
}

/* After exit: take the controllers from the firmware, enumerate, and say what was found. */
void usb_start(void)
{
	char line[160] = "# anima: usb: xhci=";
	if (!xhci_count())
		return;
	int run = xhci_start();
	str_add_u64(line, sizeof line, (uint64_t)run);
	if (run != xhci_count()) {
		str_add(line, sizeof line, " failed=");
		str_add_u64(line, sizeof line, (uint64_t)(xhci_count() - run));
	}
	str_add(line, sizeof line, " devices=");
	str_add_u64(line, sizeof line, (uint64_t)ndevs);
	str_add(line, sizeof line, " hubs=");
	str_add_u64(line, sizeof line, (uint64_t)nhubs);
	str_add(line, sizeof line, " keyboards=");
	str_add_u64(line, sizeof line, (uint64_t)usbkbd_count());
	str_add(line, sizeof line, " storage=");
	str_add_u64(line, sizeof line, (uint64_t)usbmsd_count());
	if (nfailed) {
		str_add(line, sizeof line, " unanswered=");
		str_add_u64(line, sizeof line, (uint64_t)nfailed);
	}
	str_add(line, sizeof line, "\n");
	serial_puts(line);
}
