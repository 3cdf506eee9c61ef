/* efi/pc/serial.c - COM1: a 16550 UART at I/O port 0x3F8, 115200 baud 8N1, polled, no interrupts.
 *
 * It is the trace's channel after ExitBootServices, so it must never hang the run: a machine without a
 * UART (QEMU -serial none, most laptops) is detected once and then every write is skipped, and a UART that
 * stops draining is given up after a bounded wait. */
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

/* Polls of LSR before a transmitter is declared dead: ~0.1 s at the ~1 us an ISA port read costs. */
#define TX_SPIN 100000

static int present;
static int fifo_depth = 1;
static char last = '\n'; /* the last byte sent, so a panic report can start on a fresh line */
static void (*tee)(const char *s, size_t n);

void serial_tee(void (*fn)(const char *s, size_t n))
{
	tee = fn;
}

static int scratch_ok(void)
{
	outb(COM1 + SCR, 0x5A);
	if (inb(COM1 + SCR) != 0x5A)
		return 0;
	outb(COM1 + SCR, 0xA5);
	return inb(COM1 + SCR) == 0xA5;
}

/* Loopback: MCR bit 4 wires the transmitter to the receiver inside the chip. An empty port reads 0xFF. */
static int loopback_ok(void)
{
	int i, ok = 0;

	outb(COM1 + MCR, 0x1E); /* loop, RTS, OUT1, OUT2 */
	for (i = 0; i < 32 && (inb(COM1 + LSR) & LSR_DR); i++)
		(void)inb(COM1 + RBR);
	outb(COM1 + RBR, 0xAE);
	for (i = 0; i < TX_SPIN; i++) {
		uint8_t lsr = inb(COM1 + LSR);
		if (lsr == 0xFF)
			break; /* nothing decodes the port */
		if (lsr & LSR_DR) {
			ok = inb(COM1 + RBR) == 0xAE;
			break;
		}
	}
	outb(COM1 + MCR, 0x0B); /* back to normal: DTR, RTS, OUT2 */
	return ok;
}

int serial_init(void)
{
	int scr = scratch_ok();

	outb(COM1 + IER, 0x00); /* polled: the firmware's interrupts end with EBS and we install none */
	outb(COM1 + LCR, 0x80); /* DLAB to reach the divisor */
	outb(COM1 + 0, 1);      /* 115200 = 1843200 / 16 / 1 */
	outb(COM1 + 1, 0);
	outb(COM1 + LCR, 0x03); /* 8N1 */
	outb(COM1 + FCR, 0xC7); /* FIFOs on and cleared */
	fifo_depth = (inb(COM1 + FCR) & 0xC0) == 0xC0 ? 16 : 1; /* IIR bits 7:6 = 11 on a 16550A */
	present = loopback_ok() || scr;
	if (!present)
		fifo_depth = 1;
	return present;
}

int serial_present(void)
{
	return present;
}

void serial_write(const char *s, size_t n)
{
	const char *all = s;
	size_t len = n;

	if (n)
		last = s[n - 1];
	while (present && n) {
		int spin = 0;
		/* THRE means the whole transmit FIFO is empty: it takes fifo_depth bytes at once. */
		while (!(inb(COM1 + LSR) & LSR_THRE)) {
			if (++spin == TX_SPIN) {
				present = 0;
				goto out;
			}
			cpu_relax();
		}
		for (int k = 0; k < fifo_depth && n; k++, n--)
			outb(COM1 + RBR, (uint8_t)*s++);
	}
out:
	/* After COM1 has them: a '#' line the tee itself writes (a full file) follows them there too. */
	if (tee)
		tee(all, len);
}

void serial_puts(const char *s)
{
	serial_write(s, str_len(s));
}

int serial_at_line_start(void)
{
	return last == '\n';
}

int serial_getc(void)
{
	if (!present || !(inb(COM1 + LSR) & LSR_DR))
		return -1;
	return inb(COM1 + RBR);
}
