/* efi/pc/usb.h - the USB stack after ExitBootServices, shared by its drivers: the host controller
 * (xhci.c), enumeration and hubs (usb.c), and the class drivers (usbkbd.c, usbmsd.c).
 *
 * Everything is polled: there are no interrupts after exit. Transfers are synchronous except the
 * keyboard's interrupt IN endpoint, which keeps one transfer outstanding and is looked at when polled.
 * Memory the controller reads or writes comes from a region allocated before exit (xhci_prepare). */
#ifndef ANIMA_EFI_USB_H
#define ANIMA_EFI_USB_H

#include <stdint.h>

/* Speeds as xHCI's default protocol speed IDs number them (PORTSC bits 13:10, slot context). */
enum usb_speed { USB_FULL = 1, USB_LOW = 2, USB_HIGH = 3, USB_SUPER = 4 };

#define USB_DIR_IN 0x80
#define USB_MAX_EP 32 /* device context index (DCI) 1..31 */

struct xhci;
struct xhci_ring;

struct usb_dev {
	struct xhci *hc;
	struct usb_dev *hub; /* the hub it hangs on, NULL on a root port */
	uint8_t slot;        /* xHCI device slot */
	uint8_t speed;       /* enum usb_speed */
	uint8_t root_port;   /* 1-based root hub port the chain starts from */
	uint8_t port;        /* port on its hub (root port when hub is NULL) */
	uint8_t depth;       /* 0 on a root port */
	uint32_t route;      /* xHCI route string: 4 bits of hub port per tier below the root */
	uint8_t tt_slot, tt_port; /* for low/full speed behind a high-speed hub: its transaction translator */
	uint16_t mps0;
	uint8_t is_hub, hub_ports, hub_mtt;
	uint16_t vendor, product;
	struct xhci_ring *ring[USB_MAX_EP]; /* by DCI */
};

/* One endpoint as the configuration descriptor describes it. */
struct usb_ep_desc {
	uint8_t addr; /* bit 7: IN */
	uint8_t attr; /* 2 bulk, 3 interrupt */
	uint16_t mps;
	uint8_t interval;
};

/* xhci.c */
void *xhci_dma(struct xhci *hc, uint32_t size); /* zeroed, 64-byte aligned, never freed; NULL when out */
void usb_delay_ms(uint32_t ms);
int xhci_address(struct usb_dev *d);                 /* enable slot, address device, EP0 ring */
int xhci_set_mps0(struct usb_dev *d, uint16_t mps);   /* evaluate context */
/* A control transfer; buf (any memory, up to 1024 bytes) is copied through the controller's own buffer.
 * Returns 0, or -1 (stall, error or timeout). */
int xhci_control(struct usb_dev *d, uint8_t type, uint8_t req, uint16_t value, uint16_t index, void *buf,
		 uint16_t len);
/* Configure the endpoints (and, for a hub, the slot's hub fields). */
int xhci_configure(struct usb_dev *d, const struct usb_ep_desc *eps, int n);
/* Bulk transfer on buf (DMA memory from xhci_dma, not crossing a 64 KiB boundary). Returns the bytes
 * moved, -2 for a stall (the endpoint is then reset on our side), -1 for other errors. */
int32_t xhci_bulk(struct usb_dev *d, uint8_t ep, void *buf, uint32_t len);
/* Interrupt IN: queue one transfer; xhci_intr_done says 1 once it has completed, with *residual the bytes
 * not received (UINT32_MAX after an error, when nothing usable arrived). */
int xhci_intr_submit(struct usb_dev *d, uint8_t ep, void *buf, uint32_t len);
int xhci_intr_done(struct usb_dev *d, uint8_t ep, uint32_t *residual);
void xhci_poll(void); /* consume the event rings of all controllers */

/* usb.c */
void usb_attach(struct xhci *hc, struct usb_dev *hub, uint8_t port, uint8_t speed);
int usb_clear_halt(struct usb_dev *d, uint8_t ep);

/* class drivers: each takes an interface it recognises; 0 when it took it */
int usbkbd_attach(struct usb_dev *d, uint8_t iface, const struct usb_ep_desc *in);
int usbmsd_attach(struct usb_dev *d, uint8_t iface, const struct usb_ep_desc *in, const struct usb_ep_desc *out);

#endif
