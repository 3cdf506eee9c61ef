/* efi/pc/xhci.c - an xHCI host controller driven by polling after ExitBootServices.
 *
 * Before exit (xhci_prepare) the controllers are found on PCI (class 0x0C0330) and the memory they will
 * use is allocated from the firmware, below 4 GiB unless the controller does 64-bit addressing. After exit
 * (xhci_start) each one is taken from the firmware: the USB legacy support capability hand-off (the BIOS
 * semaphore, and its SMIs off), a halt and a reset (the firmware's own USB stack left it running, its rings
 * in memory that is now ours), then our rings and a fresh enumeration. One command ring, one event ring
 * (interrupter 0, interrupts off: we poll it), a transfer ring per endpoint in use.
 *
 * Structure and register layout from the xHCI specification 1.2 (sections 4.2 initialisation, 4.3 device
 * slots, 4.22.1 legacy hand-off, 5 registers, 6.2 contexts, 6.4 TRBs); the overall approach (polled event
 * ring, boot keyboards, QEMU's need for 32-bit reads of the capability registers) as memtest86+'s
 * system/xhci.c does it. Every wait is bounded by the wall clock (timer_now) or, without one, a count. */
#include "anima_efi.h"
#include "io.h"
#include "usb.h"

#define MAX_HC 4
#define DMA_BYTES (512u * 1024u) /* per controller: contexts, rings, buffers of up to 16 devices */
#define RING_TRBS 64             /* per transfer/command ring, the last one a link back */
#define EVENT_TRBS 256
#define MAX_SLOTS 32

/* TRB types */
#define TRB_NORMAL 1
#define TRB_SETUP 2
#define TRB_DATA 3
#define TRB_STATUS 4
#define TRB_LINK 6
#define TRB_ENABLE_SLOT 9
#define TRB_ADDRESS_DEVICE 11
#define TRB_CONFIGURE_EP 12
#define TRB_EVALUATE_CONTEXT 13
#define TRB_RESET_EP 14
#define TRB_SET_TR_DEQUEUE 16
#define EVT_TRANSFER 32
#define EVT_COMMAND 33

#define TRB_CYCLE (1u << 0)
#define TRB_TC (1u << 1) /* link: toggle cycle */
#define TRB_ISP (1u << 2)
#define TRB_IOC (1u << 5)
#define TRB_IDT (1u << 6)
#define TRB_DIR_IN (1u << 16)

#define CC_SUCCESS 1
#define CC_STALL 6
#define CC_SHORT 13

/* Operational registers (dword index from the operational base) */
#define USBCMD 0
#define USBSTS 1
#define PAGESIZE 2
#define CRCR 6
#define DCBAAP 12
#define CONFIG 14
#define CMD_RS (1u << 0)
#define CMD_HCRST (1u << 1)
#define STS_HCH (1u << 0)
#define STS_CNR (1u << 11)

/* PORTSC */
#define PORT_CCS (1u << 0)
#define PORT_PED (1u << 1)
#define PORT_PR (1u << 4)
#define PORT_PP (1u << 9)
#define PORT_PRC (1u << 21)
#define PORT_WRC (1u << 19)
#define PORT_WPR (1u << 31)
#define PORT_CHANGES 0x00FE0000u  /* RW1C change bits, written back as 0 to leave them */
#define PORT_KEEP 0x0E00C200u     /* PP, PIC, wake enables: bits that a write must carry unchanged */

struct trb {
	uint32_t d[4]; /* parameter lo, hi, status, control */
};

struct xhci_ring {
	struct trb *trb;
	uint32_t idx;
	uint32_t cycle;
	/* completion as the event ring reported it */
	uint64_t wait_ptr; /* the TRB whose event ends the transfer in flight */
	volatile int done;
	uint8_t cc;
	uint32_t residual;
};

struct xhci {
	struct pci_fn pci;
	volatile uint32_t *cap, *op, *rt, *db;
	uint32_t csz; /* context size: 32 or 64 bytes */
	uint32_t slots, ports;
	uint8_t usb3[256]; /* per 1-based port: 1 when it is a USB 3 port (supported protocol capability) */
	uint8_t *dma;
	uint32_t dma_used;
	uint64_t *dcbaa;
	struct xhci_ring cmd;
	struct trb *evt;
	uint32_t evt_idx, evt_cycle;
	volatile int cmd_done;
	uint8_t cmd_cc, cmd_slot;
	uint8_t *input;   /* input context (33 contexts) */
	uint8_t *bounce;  /* control transfer data, 1 KiB */
	struct usb_dev *dev_of_slot[MAX_SLOTS + 1];
	int started;
};

static struct xhci hcs[MAX_HC];
static int nhc;

static uint64_t phys(const void *p)
{
	return (uint64_t)(uintptr_t)p; /* UEFI identity-maps memory, and we keep its page tables */
}

static uint32_t rd(volatile uint32_t *r, unsigned i)
{
	return r[i];
}

static void wr(volatile uint32_t *r, unsigned i, uint32_t v)
{
	r[i] = v;
}

static void wr64(volatile uint32_t *r, unsigned i, uint64_t v)
{
	r[i] = (uint32_t)v; /* low half first, as the specification asks of 32-bit writes */
	r[i + 1] = (uint32_t)(v >> 32);
}

/* --- time ---------------------------------------------------------------------------------------------- */

void usb_delay_ms(uint32_t ms)
{
	uint64_t hz = timer_hz();
	if (!hz) {
		for (uint64_t i = 0; i < (uint64_t)ms * 20000; i++)
			cpu_relax(); /* no clock: a rough spin; only lengthens the waits */
		return;
	}
	uint64_t end = timer_now() + hz / 1000 * ms;
	while (timer_now() < end)
		cpu_relax();
}

struct deadline {
	uint64_t end, spins;
	int clock;
};

static void deadline_set(struct deadline *d, uint32_t ms)
{
	uint64_t hz = timer_hz();
	d->clock = hz != 0;
	d->end = d->clock ? timer_now() + hz / 1000 * ms : 0;
	d->spins = (uint64_t)ms * 20000;
}

static int deadline_passed(struct deadline *d)
{
	if (d->clock)
		return timer_now() >= d->end;
	return d->spins-- == 0;
}

/* --- before exit ----------------------------------------------------------------------------------------- */

void *xhci_dma(struct xhci *hc, uint32_t size)
{
	uint64_t base = phys(hc->dma), a = (base + hc->dma_used + 63) & ~63ull;
	/* No TRB buffer may cross a 64 KiB boundary, nor a context a page: align up (physical addresses). */
	if (size <= 4096 && (a & 4095) + size > 4096)
		a = (a + 4095) & ~4095ull;
	if (size > 4096)
		a = (a + 65535) & ~65535ull;
	if (a - base + size > DMA_BYTES)
		return NULL;
	hc->dma_used = (uint32_t)(a - base + size);
	memset((void *)(uintptr_t)a, 0, size);
	return (void *)(uintptr_t)a;
}

static uint32_t cap_rd(struct xhci *hc, unsigned off)
{
	return hc->cap[off / 4]; /* QEMU answers only 32-bit reads here */
}

/* Finds the xHCI controllers and allocates their memory (rings, contexts, scratchpad, buffers). Returns
 * how many are ready to be started after exit. */
int xhci_prepare(EFI_BOOT_SERVICES *bs)
{
	struct pci_fn found[MAX_HC];
	int n = pci_find_class(0x0C0330, found, MAX_HC);

	for (int i = 0; i < n; i++) {
		struct xhci *hc = &hcs[nhc];
		uint64_t bar = pci_bar(found[i], 0);
		if (!bar)
			continue;
		memset(hc, 0, sizeof *hc);
		hc->pci = found[i];
		hc->cap = (volatile uint32_t *)(uintptr_t)bar;
		uint32_t hccp1 = cap_rd(hc, 0x10), hcsp2 = cap_rd(hc, 0x08);
		uint32_t scratch = ((hcsp2 >> 21) & 0x1F) << 5 | ((hcsp2 >> 27) & 0x1F);
		int ac64 = hccp1 & 1;
		/* Pages of 4 KiB: PAGESIZE bit 0 (4 KiB) is what every PC controller supports. */
		EFI_PHYSICAL_ADDRESS at = ac64 ? 0xFFFFFFFFFFFFull : 0xFFFFFFFFull;
		UINTN pages = DMA_BYTES / 4096 + scratch + 1;
		if (bs->AllocatePages(AllocateMaxAddress, EfiLoaderData, pages, &at) != EFI_SUCCESS)
			continue;
		hc->dma = (uint8_t *)(uintptr_t)at;
		memset(hc->dma, 0, pages * 4096);
		hc->csz = hccp1 & 4 ? 64 : 32;
		/* The scratchpad: its array of page pointers in the last page, the pages after the region. */
		hc->dcbaa = xhci_dma(hc, 8 * (MAX_SLOTS + 1));
		if (scratch) {
			uint64_t *arr = (uint64_t *)(hc->dma + DMA_BYTES);
			for (uint32_t k = 0; k < scratch; k++)
				arr[k] = phys(hc->dma + DMA_BYTES + 4096 * (k + 1));
			hc->dcbaa[0] = phys(arr);
		}
		hc->cmd.trb = xhci_dma(hc, RING_TRBS * sizeof(struct trb));
		hc->evt = xhci_dma(hc, EVENT_TRBS * sizeof(struct trb));
		hc->input = xhci_dma(hc, 33 * 64);
		hc->bounce = xhci_dma(hc, 1024);
		nhc++;
	}
	return nhc;
}

/* --- rings ------------------------------------------------------------------------------------------------ */

static void ring_init(struct xhci_ring *r)
{
	struct trb *link = &r->trb[RING_TRBS - 1];
	memset(r->trb, 0, RING_TRBS * sizeof(struct trb));
	link->d[0] = (uint32_t)phys(r->trb);
	link->d[1] = (uint32_t)(phys(r->trb) >> 32);
	link->d[3] = TRB_LINK << 10 | TRB_TC;
	r->idx = 0;
	r->cycle = 1;
}

static struct xhci_ring *ring_new(struct xhci *hc)
{
	struct xhci_ring *r = xhci_dma(hc, sizeof *r);
	if (!r)
		return NULL;
	r->trb = xhci_dma(hc, RING_TRBS * sizeof(struct trb));
	if (!r->trb)
		return NULL;
	ring_init(r);
	return r;
}

/* Writes one TRB (the cycle bit last, so the controller never sees half of it); returns its address. */
static uint64_t ring_put(struct xhci_ring *r, uint64_t param, uint32_t status, uint32_t control)
{
	struct trb *t = &r->trb[r->idx];
	t->d[0] = (uint32_t)param;
	t->d[1] = (uint32_t)(param >> 32);
	t->d[2] = status;
	__asm__ volatile("" ::: "memory");
	t->d[3] = (control & ~TRB_CYCLE) | r->cycle;
	uint64_t at = phys(t);
	if (++r->idx == RING_TRBS - 1) {
		struct trb *link = &r->trb[r->idx];
		link->d[3] = (link->d[3] & ~TRB_CYCLE) | r->cycle;
		r->idx = 0;
		r->cycle ^= 1;
	}
	return at;
}

static void ring_doorbell(struct xhci *hc, unsigned slot, unsigned target)
{
	__asm__ volatile("mfence" ::: "memory");
	wr(hc->db, slot, target);
}

/* --- events ------------------------------------------------------------------------------------------------ */

static void handle_event(struct xhci *hc, const struct trb *e)
{
	uint32_t type = (e->d[3] >> 10) & 0x3F;
	uint8_t cc = (uint8_t)(e->d[2] >> 24);
	uint8_t slot = (uint8_t)(e->d[3] >> 24);

	if (type == EVT_COMMAND) {
		hc->cmd_cc = cc;
		hc->cmd_slot = slot;
		hc->cmd_done = 1;
	} else if (type == EVT_TRANSFER && slot && slot <= MAX_SLOTS && hc->dev_of_slot[slot]) {
		unsigned dci = (e->d[3] >> 16) & 0x1F;
		struct xhci_ring *r = hc->dev_of_slot[slot]->ring[dci];
		uint64_t ptr = e->d[0] | (uint64_t)e->d[1] << 32;
		if (!r)
			return;
		/* The event of the transfer's last TRB ends it (success, or a short packet on a bulk/interrupt
		 * TRB); so does an error on any TRB. A short control data stage, should a controller report it,
		 * is not the end: the status stage follows. */
		if (ptr == r->wait_ptr || (cc != CC_SUCCESS && cc != CC_SHORT)) {
			r->cc = cc;
			r->residual = e->d[2] & 0xFFFFFF;
			r->done = 1;
		}
	}
	/* Port status change events need nothing: ports are scanned once, at start. */
}

static void poll_one(struct xhci *hc)
{
	int n = 0;
	while (n < EVENT_TRBS) { /* at most one ring's worth per call: a chatty controller cannot hold us here */
		struct trb *e = &hc->evt[hc->evt_idx];
		if ((e->d[3] & TRB_CYCLE) != hc->evt_cycle)
			break;
		handle_event(hc, e);
		if (++hc->evt_idx == EVENT_TRBS) {
			hc->evt_idx = 0;
			hc->evt_cycle ^= 1;
		}
		n++;
	}
	if (n) /* dequeue pointer, and EHB (bit 3, write 1 to clear) */
		wr64(hc->rt, 0x38 / 4, phys(&hc->evt[hc->evt_idx]) | 8);
}

void xhci_poll(void)
{
	for (int i = 0; i < nhc; i++)
		if (hcs[i].started)
			poll_one(&hcs[i]);
}

/* Runs a command; returns its completion code (0 on timeout). */
static uint8_t command(struct xhci *hc, uint64_t param, uint32_t control, uint32_t ms)
{
	struct deadline dl;
	hc->cmd_done = 0;
	ring_put(&hc->cmd, param, 0, control);
	ring_doorbell(hc, 0, 0);
	deadline_set(&dl, ms);
	while (!hc->cmd_done) {
		poll_one(hc);
		if (!hc->cmd_done && deadline_passed(&dl))
			return 0;
	}
	return hc->cmd_cc;
}

/* Waits for the transfer in flight on r; returns its completion code (0 on timeout). */
static uint8_t wait_ring(struct xhci *hc, struct xhci_ring *r, uint32_t ms)
{
	struct deadline dl;
	deadline_set(&dl, ms);
	while (!r->done) {
		poll_one(hc);
		if (!r->done && deadline_passed(&dl))
			return 0;
	}
	return r->cc;
}

/* --- contexts ------------------------------------------------------------------------------------------- */

static uint32_t *ctx(struct xhci *hc, unsigned index) /* 0: input control, 1: slot, 1 + dci: endpoint */
{
	return (uint32_t *)(hc->input + index * hc->csz);
}

static void slot_context(struct usb_dev *d, unsigned entries)
{
	uint32_t *s = ctx(d->hc, 1);
	s[0] = d->route | (uint32_t)d->speed << 20 | (uint32_t)entries << 27;
	if (d->is_hub)
		s[0] |= 1u << 26 | (uint32_t)(d->hub_mtt && d->speed == USB_HIGH) << 25;
	s[1] = (uint32_t)d->root_port << 16 | (uint32_t)(d->is_hub ? d->hub_ports : 0) << 24;
	s[2] = d->tt_slot | (uint32_t)d->tt_port << 8;
}

static void ep_context(struct usb_dev *d, unsigned dci, unsigned type, uint16_t mps, uint8_t interval,
		       uint16_t avg)
{
	uint32_t *e = ctx(d->hc, 1 + dci);
	uint64_t deq = phys(d->ring[dci]->trb) | 1; /* DCS = the ring's first cycle */
	memset(e, 0, d->hc->csz);
	e[0] = (uint32_t)interval << 16;
	e[1] = 3u << 1 | type << 3 | (uint32_t)mps << 16; /* CErr 3 */
	e[2] = (uint32_t)deq;
	e[3] = (uint32_t)(deq >> 32);
	e[4] = avg | (type == 7 || type == 3 ? (uint32_t)mps << 16 : 0); /* interrupt: max ESIT payload */
}

int xhci_address(struct usb_dev *d)
{
	struct xhci *hc = d->hc;
	uint8_t cc = command(hc, 0, TRB_ENABLE_SLOT << 10, 500);
	uint8_t slot = hc->cmd_slot;

	if (cc != CC_SUCCESS || !slot || slot > MAX_SLOTS)
		return -1;
	d->slot = slot;
	d->ring[1] = ring_new(hc);
	void *out = xhci_dma(hc, 32 * hc->csz);
	if (!d->ring[1] || !out)
		return -1;
	hc->dcbaa[slot] = phys(out);
	hc->dev_of_slot[slot] = d;
	d->mps0 = d->speed == USB_SUPER ? 512 : d->speed == USB_HIGH ? 64 : 8;
	memset(hc->input, 0, 33 * hc->csz);
	ctx(hc, 0)[1] = 3; /* add: slot, EP0 */
	slot_context(d, 1);
	ep_context(d, 1, 4, d->mps0, 0, 8);
	cc = command(hc, phys(hc->input), TRB_ADDRESS_DEVICE << 10 | (uint32_t)slot << 24, 2000);
	if (cc != CC_SUCCESS)
		return -1;
	usb_delay_ms(3); /* SetAddress recovery */
	return 0;
}

int xhci_set_mps0(struct usb_dev *d, uint16_t mps)
{
	struct xhci *hc = d->hc;
	if (mps == d->mps0)
		return 0;
	d->mps0 = mps;
	memset(hc->input, 0, 33 * hc->csz);
	ctx(hc, 0)[1] = 2; /* evaluate EP0 */
	uint32_t *e = ctx(hc, 2);
	e[1] = 3u << 1 | 4u << 3 | (uint32_t)mps << 16;
	return command(hc, phys(hc->input), TRB_EVALUATE_CONTEXT << 10 | (uint32_t)d->slot << 24, 500) ==
			       CC_SUCCESS
		       ? 0
		       : -1;
}

/* After a stall or error the endpoint is halted on the controller's side: Reset Endpoint, then move its
 * dequeue pointer past whatever was left on the ring (to where we will enqueue next). */
static void recover(struct usb_dev *d, unsigned dci)
{
	struct xhci *hc = d->hc;
	struct xhci_ring *r = d->ring[dci];
	command(hc, 0, TRB_RESET_EP << 10 | dci << 16 | (uint32_t)d->slot << 24, 500);
	command(hc, phys(&r->trb[r->idx]) | r->cycle, TRB_SET_TR_DEQUEUE << 10 | dci << 16 | (uint32_t)d->slot << 24,
		500);
}

int xhci_control(struct usb_dev *d, uint8_t type, uint8_t req, uint16_t value, uint16_t index, void *buf,
		 uint16_t len)
{
	struct xhci *hc = d->hc;
	struct xhci_ring *r = d->ring[1];
	int in = type & USB_DIR_IN;
	uint64_t setup = type | (uint32_t)req << 8 | (uint32_t)value << 16 | (uint64_t)index << 32 | (uint64_t)len << 48;

	if (len > 1024)
		return -1;
	if (!in && len)
		memcpy(hc->bounce, buf, len);
	r->done = 0;
	ring_put(r, setup, 8, TRB_SETUP << 10 | TRB_IDT | (len ? (in ? 3u : 2u) << 16 : 0));
	if (len)
		ring_put(r, phys(hc->bounce), len, TRB_DATA << 10 | (in ? TRB_DIR_IN : 0));
	/* The status stage goes the other way from the data (IN when there is no data). */
	r->wait_ptr = phys(&r->trb[r->idx]);
	ring_put(r, 0, 0, TRB_STATUS << 10 | TRB_IOC | (in && len ? 0 : TRB_DIR_IN));
	ring_doorbell(hc, d->slot, 1);
	/* The status stage's event ends it (a short data stage has neither ISP nor IOC: no event of its own). */
	uint8_t cc = wait_ring(hc, r, 1000);
	if (cc != CC_SUCCESS) {
		recover(d, 1);
		return -1;
	}
	if (in && len)
		memcpy(buf, hc->bounce, len);
	return 0;
}

static unsigned ep_dci(uint8_t ep)
{
	return (ep & 0x0F) * 2u + (ep & USB_DIR_IN ? 1u : 0u);
}

/* xHCI's interval is 2^n x 125 us; full/low speed endpoints give milliseconds, faster ones 2^(b-1) frames. */
static uint8_t ep_interval(const struct usb_dev *d, const struct usb_ep_desc *e)
{
	if ((e->attr & 3) != 3)
		return 0;
	if (d->speed == USB_HIGH || d->speed == USB_SUPER)
		return (uint8_t)(e->interval ? (e->interval > 16 ? 15 : e->interval - 1) : 0);
	uint32_t frames = (uint32_t)(e->interval ? e->interval : 1) * 8, n = 0;
	while ((2u << n) <= frames && n < 10)
		n++;
	return (uint8_t)(n < 3 ? 3 : n);
}

int xhci_configure(struct usb_dev *d, const struct usb_ep_desc *eps, int n)
{
	struct xhci *hc = d->hc;
	unsigned max = 1;
	uint32_t add = 1;

	memset(hc->input, 0, 33 * hc->csz);
	for (int i = 0; i < n; i++) {
		unsigned dci = ep_dci(eps[i].addr);
		int in = eps[i].addr & USB_DIR_IN, bulk = (eps[i].attr & 3) == 2;
		if (!d->ring[dci] && !(d->ring[dci] = ring_new(hc)))
			return -1;
		ep_context(d, dci, bulk ? (in ? 6 : 2) : (in ? 7 : 3), eps[i].mps, ep_interval(d, &eps[i]),
			   bulk ? 1024 : 8);
		add |= 1u << dci;
		if (dci > max)
			max = dci;
	}
	ctx(hc, 0)[1] = add;
	slot_context(d, max);
	return command(hc, phys(hc->input), TRB_CONFIGURE_EP << 10 | (uint32_t)d->slot << 24, 1000) == CC_SUCCESS
		       ? 0
		       : -1;
}

int32_t xhci_bulk(struct usb_dev *d, uint8_t ep, void *buf, uint32_t len)
{
	unsigned dci = ep_dci(ep);
	struct xhci_ring *r = d->ring[dci];
	if (!r || len > 65536)
		return -1;
	r->done = 0;
	r->wait_ptr = ring_put(r, phys(buf), len, TRB_NORMAL << 10 | TRB_IOC | TRB_ISP);
	ring_doorbell(d->hc, d->slot, dci);
	uint8_t cc = wait_ring(d->hc, r, 5000);
	if (cc == CC_SUCCESS || cc == CC_SHORT)
		return (int32_t)(len - r->residual);
	recover(d, dci);
	return cc == CC_STALL ? -2 : -1;
}

int xhci_intr_submit(struct usb_dev *d, uint8_t ep, void *buf, uint32_t len)
{
	unsigned dci = ep_dci(ep);
	struct xhci_ring *r = d->ring[dci];
	if (!r)
		return -1;
	r->done = 0;
	r->wait_ptr = ring_put(r, phys(buf), len, TRB_NORMAL << 10 | TRB_IOC | TRB_ISP);
	ring_doorbell(d->hc, d->slot, dci);
	return 0;
}

int xhci_intr_done(struct usb_dev *d, uint8_t ep, uint32_t *residual)
{
	struct xhci_ring *r = d->ring[ep_dci(ep)];
	if (!r || !r->done)
		return 0;
	if (r->cc != CC_SUCCESS && r->cc != CC_SHORT) {
		recover(d, ep_dci(ep));
		*residual = UINT32_MAX; /* nothing usable arrived */
	} else {
		*residual = r->residual;
	}
	return 1;
}

/* --- the controller --------------------------------------------------------------------------------------- */

static int wait_reg(volatile uint32_t *reg, unsigned i, uint32_t mask, uint32_t want, uint32_t ms)
{
	struct deadline dl;
	deadline_set(&dl, ms);
	while ((rd(reg, i) & mask) != want)
		if (deadline_passed(&dl))
			return -1;
	return 0;
}

/* Legacy support (extended capability 1): ask for the controller and wait for the BIOS to let go; then
 * switch off the SMIs it may still have armed. Supported protocols (capability 2): which ports are USB 3. */
static void walk_caps(struct xhci *hc)
{
	uint32_t off = (cap_rd(hc, 0x10) >> 16) * 4;

	for (int guard = 0; off && guard < 64; guard++) {
		volatile uint32_t *c = hc->cap + off / 4;
		uint32_t v = c[0];
		if ((v & 0xFF) == 1) {
			c[0] = v | (1u << 24); /* HC OS Owned Semaphore */
			struct deadline dl;
			deadline_set(&dl, 1000);
			while ((c[0] & (1u << 16)) && !deadline_passed(&dl))
				cpu_relax();
			c[0] = (c[0] & ~(1u << 16)) | (1u << 24); /* a BIOS that did not answer loses it anyway */
			c[1] = (c[1] & ((7u << 1) | (0xFFu << 5) | (7u << 17))) | (7u << 29);
		} else if ((v & 0xFF) == 2) {
			uint32_t ports = c[2], first = ports & 0xFF, count = (ports >> 8) & 0xFF;
			for (uint32_t p = first; p < first + count && p < 256; p++)
				hc->usb3[p] = (v >> 24) >= 3;
		}
		uint32_t next = (v >> 8) & 0xFF;
		off = next ? off + next * 4 : 0;
	}
}

/* Intel 7- and 8-series chipsets (Panther Point, Lynx Point) wire their ports to EHCI until the operating
 * system switches them to xHCI (USB3_PSSEN at 0xD8, XUSB2PR at 0xD0, enabled as far as the masks at 0xDC
 * and 0xD4 allow), as Linux's usb_enable_intel_xhci_ports does; firmware that used EHCI left them there. */
static void intel_port_switch(struct pci_fn f)
{
	uint32_t id = pci_read32(f, 0);
	uint16_t dev = (uint16_t)(id >> 16);
	if ((id & 0xFFFF) != 0x8086 || (dev != 0x1E31 && dev != 0x8C31 && dev != 0x9C31 && dev != 0x8CB1 && dev != 0x9CB1))
		return;
	pci_write32(f, 0xD8, pci_read32(f, 0xDC));
	pci_write32(f, 0xD0, pci_read32(f, 0xD4));
}

static int start(struct xhci *hc)
{
	pci_enable_dma(hc->pci); /* the firmware's ExitBootServices handler may have turned bus mastering off */
	intel_port_switch(hc->pci);
	uint32_t caplen = cap_rd(hc, 0) & 0xFF;
	hc->op = hc->cap + caplen / 4;
	hc->rt = hc->cap + (cap_rd(hc, 0x18) & ~0x1Fu) / 4;
	hc->db = hc->cap + (cap_rd(hc, 0x14) & ~0x3u) / 4;
	uint32_t hcs1 = cap_rd(hc, 0x04);
	hc->slots = hcs1 & 0xFF;
	if (hc->slots > MAX_SLOTS)
		hc->slots = MAX_SLOTS;
	hc->ports = hcs1 >> 24;
	walk_caps(hc);

	/* Halt (the firmware left it running), then reset. */
	wr(hc->op, USBCMD, rd(hc->op, USBCMD) & ~CMD_RS);
	if (wait_reg(hc->op, USBSTS, STS_HCH, STS_HCH, 100) != 0)
		return -1;
	wr(hc->op, USBCMD, CMD_HCRST);
	usb_delay_ms(2); /* some Intel controllers must not be read for 1 ms after a reset */
	if (wait_reg(hc->op, USBCMD, CMD_HCRST, 0, 1000) != 0 || wait_reg(hc->op, USBSTS, STS_CNR, 0, 1000) != 0)
		return -1;
	if (!(rd(hc->op, PAGESIZE) & 1))
		return -1; /* no 4 KiB pages: not a controller we can feed */

	wr(hc->op, CONFIG, (rd(hc->op, CONFIG) & ~0xFFu) | hc->slots);
	wr64(hc->op, DCBAAP, phys(hc->dcbaa));
	ring_init(&hc->cmd);
	wr64(hc->op, CRCR, phys(hc->cmd.trb) | 1);
	/* Event ring: one segment, described by a one-entry table. */
	uint32_t *erst = xhci_dma(hc, 16);
	if (!erst)
		return -1;
	memset(hc->evt, 0, EVENT_TRBS * sizeof(struct trb));
	erst[0] = (uint32_t)phys(hc->evt);
	erst[1] = (uint32_t)(phys(hc->evt) >> 32);
	erst[2] = EVENT_TRBS;
	hc->evt_idx = 0;
	hc->evt_cycle = 1;
	wr(hc->rt, 0x20 / 4, 1);    /* IMAN: clear IP, interrupts disabled */
	wr(hc->rt, 0x28 / 4, 1);    /* ERSTSZ */
	wr64(hc->rt, 0x38 / 4, phys(hc->evt));
	wr64(hc->rt, 0x30 / 4, phys(erst));
	wr(hc->op, USBCMD, CMD_RS);
	if (wait_reg(hc->op, USBSTS, STS_HCH, 0, 100) != 0)
		return -1;
	hc->started = 1;
	return 0;
}

static volatile uint32_t *portsc(struct xhci *hc, unsigned port)
{
	return hc->op + (0x400 + 0x10 * (port - 1)) / 4;
}

/* Resets a connected port (a USB 2 port always needs it to be enabled; a USB 3 one only when its link did
 * not come up); returns its speed, or 0. */
static uint8_t port_reset(struct xhci *hc, unsigned port)
{
	volatile uint32_t *sc = portsc(hc, port);
	uint32_t v = *sc;
	struct deadline dl;

	if (!(v & PORT_CCS))
		return 0;
	if (!hc->usb3[port] || !(v & PORT_PED)) {
		*sc = (v & PORT_KEEP) | (hc->usb3[port] ? PORT_WPR : PORT_PR);
		deadline_set(&dl, 500);
		while (!(*sc & (PORT_PRC | PORT_WRC)) && !deadline_passed(&dl))
			cpu_relax();
		usb_delay_ms(10); /* reset recovery */
	}
	v = *sc;
	*sc = (v & PORT_KEEP) | (v & PORT_CHANGES); /* acknowledge the changes */
	if (!(v & PORT_CCS) || !(v & PORT_PED))
		return 0;
	return (uint8_t)((v >> 10) & 0xF);
}

/* Power the ports, give devices time to (re)connect after the reset, then enumerate each connected one. */
static void scan_ports(struct xhci *hc)
{
	int powered = 0;
	for (unsigned p = 1; p <= hc->ports; p++) {
		volatile uint32_t *sc = portsc(hc, p);
		if (!(*sc & PORT_PP)) {
			*sc = (*sc & PORT_KEEP) | PORT_PP;
			powered = 1;
		}
	}
	usb_delay_ms(powered ? 300 : 200); /* attach debounce (100 ms) and USB 3 link training */
	/* A USB 3 link still in Polling (PLS 7) after that gets up to another second to come up. */
	struct deadline dl;
	deadline_set(&dl, 1000);
	for (unsigned p = 1; p <= hc->ports; p++)
		while (hc->usb3[p] && ((*portsc(hc, p) >> 5) & 0xF) == 7 && !deadline_passed(&dl))
			cpu_relax();
	for (unsigned p = 1; p <= hc->ports; p++) {
		uint8_t speed = port_reset(hc, p);
		if (speed)
			usb_attach(hc, NULL, (uint8_t)p, speed);
	}
}

/* Takes every prepared controller from the firmware and enumerates its devices. Returns how many run. */
int xhci_start(void)
{
	int ok = 0;
	for (int i = 0; i < nhc; i++) {
		if (start(&hcs[i]) != 0)
			continue;
		ok++;
		scan_ports(&hcs[i]);
	}
	return ok;
}

int xhci_count(void)
{
	return nhc;
}
