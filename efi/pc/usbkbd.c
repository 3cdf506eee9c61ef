/* efi/pc/usbkbd.c - USB keyboards in HID boot protocol, polled after ExitBootServices.
 *
 * Boot protocol (HID 1.11, appendix B) makes every keyboard send the same 8-byte report: modifier bits,
 * a reserved byte, and up to six usage IDs of the keys held down. A key is pressed when it appears in a
 * report and was not in the previous one. Characters come out as the PS/2 driver gives them (ASCII, '\n'
 * for Enter, 27 for Esc, '\b' for Backspace) and go to the same live-command line editor. No key repeat. */
#include "anima_efi.h"
#include "usb.h"

#define MAX_KBD 4
#define QUEUE 64

struct kbd {
	struct usb_dev *dev;
	uint8_t ep;
	uint8_t *report; /* 8 bytes of DMA memory */
	uint8_t prev[8];
};

static struct kbd kbds[MAX_KBD];
static int nkbd;
static char queue[QUEUE];
static unsigned qhead, qn;

/* Usage IDs 0x04..0x38 (keyboard page) to ASCII, unshifted and shifted (US layout). */
static const char plain[0x39] = {
	0,   0,   0,   0,   'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l',
	'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', '1', '2',
	'3', '4', '5', '6', '7', '8', '9', '0', '\n', 27, '\b', '\t', ' ', '-', '=', '[',
	']', '\\', '#', ';', '\'', '`', ',', '.', '/'};
static const char shifted[0x39] = {
	0,   0,   0,   0,   'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L',
	'M', 'N', 'O', 'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', '!', '@',
	'#', '$', '%', '^', '&', '*', '(', ')', '\n', 27, '\b', '\t', ' ', '_', '+', '{',
	'}', '|', '~', ':', '"', '~', '<', '>', '?'};
/* Keypad 0x54..0x63: / * - + Enter 1..9 0 . (as with Num Lock on) */
static const char keypad[0x10] = {'/', '*', '-', '+', '\n', '1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '.'};

static void push(char c)
{
	if (qn < QUEUE)
		queue[(qhead + qn++) % QUEUE] = c;
}

static char translate(uint8_t usage, int shift)
{
	if (usage < sizeof plain)
		return shift ? shifted[usage] : plain[usage];
	if (usage >= 0x54 && usage <= 0x63)
		return keypad[usage - 0x54];
	return 0;
}

static void report(struct kbd *k, const uint8_t *r)
{
	int shift = (r[0] & 0x22) != 0; /* left or right shift */

	if (r[2] == 1)
		return; /* phantom state: too many keys at once, the report says nothing about which */
	for (int i = 2; i < 8; i++) {
		int held = 0;
		if (r[i] < 4)
			continue;
		for (int j = 2; j < 8; j++)
			held |= k->prev[j] == r[i];
		char c = held ? 0 : translate(r[i], shift);
		if (c)
			push(c);
	}
	memcpy(k->prev, r, 8);
}

int usbkbd_attach(struct usb_dev *d, uint8_t iface, const struct usb_ep_desc *in)
{
	if (nkbd == MAX_KBD)
		return -1;
	struct kbd *k = &kbds[nkbd];
	k->report = xhci_dma(d->hc, 8);
	if (!k->report)
		return -1;
	/* SET_PROTOCOL(boot): the fixed report whatever the device's report descriptor says; SET_IDLE(0): a
	 * report only when something changes. A device may stall SET_IDLE, which is harmless. */
	if (xhci_control(d, 0x21, 0x0B, 0, iface, NULL, 0) != 0)
		return -1;
	(void)xhci_control(d, 0x21, 0x0A, 0, iface, NULL, 0);
	k->dev = d;
	k->ep = in->addr;
	memset(k->prev, 0, sizeof k->prev);
	if (xhci_intr_submit(d, k->ep, k->report, 8) != 0)
		return -1;
	nkbd++;
	return 0;
}

int usbkbd_count(void)
{
	return nkbd;
}

int usbkbd_getc(void)
{
	if (!nkbd)
		return -1;
	if (!qn) {
		xhci_poll();
		for (int i = 0; i < nkbd; i++) {
			uint32_t residual;
			struct kbd *k = &kbds[i];
			if (!xhci_intr_done(k->dev, k->ep, &residual))
				continue;
			if (residual == 0)
				report(k, k->report);
			xhci_intr_submit(k->dev, k->ep, k->report, 8);
		}
	}
	if (!qn)
		return -1;
	char c = queue[qhead];
	qhead = (qhead + 1) % QUEUE;
	qn--;
	return (uint8_t)c;
}
