/* efi/pc/serial.c - the trace's UART: a 16550, 115200 baud 8N1, polled, no interrupts.
 *
 * Which UART: the one the firmware's ACPI SPCR table names when there is one (laptops and recent boards
 * have no port at 0x3F8; theirs are PCI or MMIO UARTs, Intel LPSS or AMD FCH, with 32-bit registers), else
 * the legacy COM1 at I/O port 0x3F8. A SPCR UART on PCI whose base address is left 0 is found through its
 * BAR 0 at the bus/device/function the table gives.
 *
 * It is the trace's channel after ExitBootServices, so it must never hang the run: a machine without a
 * UART (QEMU -serial none) is detected once and then every write is skipped. A transmitter that stops
 * draining (a serial-over-LAN console whose BMC is busy, flow control held) is given ~0.1 s, then the
 * bytes are dropped, not the port: each later write looks once whether the transmitter is empty again and
 * then goes on at the start of the next line, after a line saying how many bytes were lost. */
#include "anima_efi.h"
#include "io.h"

#define COM1 0x3F8
#define RBR 0 /* receive buffer (read), transmit holding (write) */
#define IER 1
#define FCR 2 /* FIFO control (write); IIR on read */
#define LCR 3
#define MCR 4
#define LSR 5
#define SCR 7 /* scratch: an 8250 may lack it, hence the loopback test as well */

#define LSR_DR 0x01
#define LSR_THRE 0x20

/* Polls of LSR before a transmitter is declared stalled: ~0.1 s at the ~1 us an ISA port read costs. */
#define TX_SPIN 100000
#define BASE_CLOCK 1843200u /* the 16550's usual 1.8432 MHz crystal: divisor 1 is 115200 baud */

static struct {
	int mmio;            /* 0: I/O ports */
	uint64_t base;       /* port or physical address */
	unsigned shift;      /* register stride: 1 << shift bytes */
	int wide;            /* MMIO with 32-bit accesses (LPSS, FCH, DesignWare) */
	const char *source;  /* "spcr", "spcr-pci" or "com1" */
	uint32_t clock;      /* input clock when SPCR says, else 0 (1.8432 MHz) */
	int keep_baud;       /* SPCR baud 0: the firmware's setting stays */
	struct pci_fn pci;
	int on_pci;
} U = {0, COM1, 0, 0, "com1", 0, 0, {0, 0, 0}, 0};

static int present;
static int fifo_depth = 1;
static char last = '\n'; /* the last byte sent, so a panic report can start on a fresh line */
static int stalled;      /* bytes are being dropped since a transmit stall */
static int resync;       /* back from a stall: drop up to the next line end, then go on */
static uint64_t lost, stalls;
static void (*tee)(const char *s, size_t n);

void serial_tee(void (*fn)(const char *s, size_t n))
{
	tee = fn;
}

static uint8_t rd(unsigned reg)
{
	uint64_t a = U.base + ((uint64_t)reg << U.shift);
	if (!U.mmio)
		return inb((uint16_t)a);
	return U.wide ? (uint8_t)mmio_rd32(a) : mmio_rd8(a);
}

static void wr(unsigned reg, uint8_t v)
{
	uint64_t a = U.base + ((uint64_t)reg << U.shift);
	if (!U.mmio)
		outb((uint16_t)a, v);
	else if (U.wide)
		mmio_wr32(a, v);
	else
		mmio_wr8(a, v);
}

/* The UART the SPCR names, when it is a 16550 we can drive; 0 when there is none. */
static int from_spcr(void)
{
	const uint8_t *t = acpi_table("SPCR", 0);
	struct acpi_gas g;

	if (!t || acpi_rd32(t + 4) < 80)
		return 0;
	uint8_t type = t[36];
	/* 0: 16550, 1: 16450-compatible subset, 0x12: 16550 described only by the address structure. Others
	 * (ARM PL011, SBSA, MAX311x, ...) are not on PCs and not driven here. */
	if (type != 0x00 && type != 0x01 && type != 0x12)
		return 0;
	acpi_gas(t + 40, &g);
	uint16_t device = acpi_rd16(t + 64), vendor = acpi_rd16(t + 66);
	if (!g.address && vendor != 0xFFFF && device != 0xFFFF) {
		/* On PCI with the address left to the BAR: function bus:dev.fn, which must be that device. */
		struct pci_fn f = {t[68], t[69], t[70]};
		uint32_t id = pci_read32(f, 0);
		if ((id & 0xFFFF) != vendor || (id >> 16) != device)
			return 0;
		uint32_t bar = pci_read32(f, 0x10);
		if (bar & 1) {
			g.space = ACPI_SPACE_IO;
			g.address = bar & ~3u;
		} else {
			g.space = ACPI_SPACE_MEM;
			g.address = bar & ~0xFu;
			if (((bar >> 1) & 3) == 2)
				g.address |= (uint64_t)pci_read32(f, 0x14) << 32;
		}
		if (!g.address)
			return 0;
		/* The firmware may not have enabled decoding for a device it has no driver for. */
		uint32_t cmd = pci_read32(f, 4);
		pci_write32(f, 4, (cmd & 0xFFFF) | (g.space == ACPI_SPACE_IO ? 1u : 2u));
		U.pci = f;
		U.on_pci = 1;
		if (!g.bit_width)
			g.bit_width = 8;
	}
	if (!g.address || (g.space != ACPI_SPACE_IO && g.space != ACPI_SPACE_MEM))
		return 0;
	if (g.space == ACPI_SPACE_IO && g.address > 0xFFF8)
		return 0;
	U.mmio = g.space == ACPI_SPACE_MEM;
	U.base = g.address;
	U.wide = U.mmio && (g.bit_width == 32 || g.access == 3);
	U.shift = g.bit_width == 32 || g.access == 3 ? 2 : 0;
	U.source = U.on_pci ? "spcr-pci" : "spcr";
	U.keep_baud = t[58] == 0; /* "as is": the firmware set the rate, and only it knows the clock */
	if (acpi_rd32(t + 4) >= 88 && t[8] >= 3)
		U.clock = acpi_rd32(t + 76); /* UART clock frequency, SPCR revision 3 on */
	return 1;
}

static int scratch_ok(void)
{
	wr(SCR, 0x5A);
	if (rd(SCR) != 0x5A)
		return 0;
	wr(SCR, 0xA5);
	return rd(SCR) == 0xA5;
}

/* Loopback: MCR bit 4 wires the transmitter to the receiver inside the chip. An empty port reads 0xFF. */
static int loopback_ok(void)
{
	int i, ok = 0;

	wr(MCR, 0x1E); /* loop, RTS, OUT1, OUT2 */
	for (i = 0; i < 32 && (rd(LSR) & LSR_DR); i++)
		(void)rd(RBR);
	wr(RBR, 0xAE);
	for (i = 0; i < TX_SPIN; i++) {
		uint8_t lsr = rd(LSR);
		if (lsr == 0xFF)
			break; /* nothing decodes the port */
		if (lsr & LSR_DR) {
			ok = rd(RBR) == 0xAE;
			break;
		}
	}
	wr(MCR, 0x0B); /* back to normal: DTR, RTS, OUT2 */
	return ok;
}

int serial_init(void)
{
	if (!from_spcr()) {
		U.mmio = 0;
		U.base = COM1;
		U.shift = 0;
		U.wide = 0;
		U.source = "com1";
	}
	int scr = scratch_ok();

	wr(IER, 0x00); /* polled: the firmware's interrupts end with EBS and we install none */
	if (!U.keep_baud) {
		uint32_t clock = U.clock ? U.clock : BASE_CLOCK, div = clock / (16u * 115200u);
		if (!div)
			div = 1;
		wr(LCR, 0x80); /* DLAB to reach the divisor */
		wr(0, (uint8_t)div);
		wr(1, (uint8_t)(div >> 8));
	}
	wr(LCR, 0x03);  /* 8N1 */
	wr(FCR, 0xC7);  /* FIFOs on and cleared */
	fifo_depth = (rd(FCR) & 0xC0) == 0xC0 ? 16 : 1; /* IIR bits 7:6 = 11 on a 16550A */
	present = loopback_ok() || scr;
	if (!present)
		fifo_depth = 1;
	return present;
}

int serial_is_com1(void)
{
	return !U.mmio && U.base == COM1;
}

void serial_describe(char *buf, size_t cap)
{
	buf[0] = 0;
	str_add(buf, cap, "# anima: uart=");
	str_add(buf, cap, U.source);
	str_add(buf, cap, U.mmio ? " mmio=" : " io=");
	str_add_hex(buf, cap, U.base);
	if (U.wide)
		str_add(buf, cap, " width=32");
	if (U.on_pci) {
		str_add(buf, cap, " pci=");
		str_add_u64(buf, cap, U.pci.bus);
		str_add(buf, cap, ":");
		str_add_u64(buf, cap, U.pci.dev);
		str_add(buf, cap, ".");
		str_add_u64(buf, cap, U.pci.fn);
	}
	if (U.keep_baud)
		str_add(buf, cap, " baud=firmware");
	str_add(buf, cap, present ? " present=1" : " present=0");
}

/* Raw bytes to the transmitter; returns the bytes not sent when it stalls. */
static size_t send(const char *s, size_t n)
{
	while (n) {
		int spin = 0;
		/* THRE means the whole transmit FIFO is empty: it takes fifo_depth bytes at once. */
		while (!(rd(LSR) & LSR_THRE)) {
			if (++spin == TX_SPIN)
				return n;
			cpu_relax();
		}
		for (int k = 0; k < fifo_depth && n; k++, n--)
			wr(RBR, (uint8_t)*s++);
	}
	return 0;
}

static void uart_write(const char *s, size_t n)
{
	if (!present || !n)
		return;
	if (stalled) {
		/* One look per write while stalled: cheap, and the run goes on at full pace meanwhile. */
		if (!(rd(LSR) & LSR_THRE)) {
			lost += n;
			return;
		}
		stalled = 0;
		resync = 1;
		char line[96] = "\n# anima: uart: transmitter stalled, ";
		str_add_u64(line, sizeof line, lost);
		str_add(line, sizeof line, " bytes dropped\n");
		if (last == '\n')
			(void)send(line + 1, anima_strlen(line + 1));
		else
			(void)send(line, anima_strlen(line));
		last = '\n';
	}
	if (resync) {
		/* The rest of a line whose start was dropped is no row: skip to its end. */
		size_t k = 0;
		while (k < n && s[k] != '\n')
			k++;
		if (k == n) {
			lost += n;
			return;
		}
		lost += k + 1;
		s += k + 1;
		n -= k + 1;
		resync = 0;
		lost = 0;
		if (!n)
			return;
	}
	last = s[n - 1];
	size_t left = send(s, n);
	if (left) {
		stalled = 1;
		stalls++;
		lost = left;
	}
}

void serial_write(const char *s, size_t n)
{
	uart_write(s, n);
	/* Every byte meant for the UART, sent or not (--trace-file), after the UART has them: a '#' line the tee
	 * itself writes (a full file) follows them there too. */
	if (tee)
		tee(s, n);
}

void serial_puts(const char *s)
{
	serial_write(s, anima_strlen(s));
}

int serial_at_line_start(void)
{
	return last == '\n';
}

int serial_getc(void)
{
	if (!present)
		return -1;
	uint8_t lsr = rd(LSR);
	if (lsr == 0xFF || !(lsr & LSR_DR)) /* 0xFF: the device went away (a hot-unplugged PCI card) */
		return -1;
	return rd(RBR);
}
