/* efi/anima_efi.h - the UEFI loader's drivers, as seen by efi/main.c and by each other.
 *
 * One file per driver. Before ExitBootServices (EBS) messages go to the firmware console and to COM1;
 * after EBS only our own port I/O touches the machine.
 */
#ifndef ANIMA_EFI_ANIMA_EFI_H
#define ANIMA_EFI_ANIMA_EFI_H

#include <efi.h>
/* gnu-efi defines __attribute__(x) away for compilers with MS extensions, which clang targeting Windows
 * reports; clang understands the attributes (noreturn, packed, aligned), so take the builtin back. */
#undef __attribute__
#include <stddef.h>
#include <stdint.h>

#include "anima.h"
#include "util.h" /* anima_strlen, anima_streq, anima_starts: the one string library */

/* libc.c: what the compiler may emit, plus small string helpers. */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
/* Appends to a NUL-terminated buffer of cap bytes, truncating; returns the new length. */
size_t str_add(char *dst, size_t cap, const char *src);
size_t str_add_u64(char *dst, size_t cap, uint64_t v);
size_t str_add_hex(char *dst, size_t cap, uint64_t v); /* "0x..." */

/* acpi.c: the firmware's ACPI tables (read before EBS; checksums checked, a bad table counts as absent). */
#define ACPI_SPACE_MEM 0
#define ACPI_SPACE_IO 1
struct acpi_gas { /* a Generic Address Structure */
	uint8_t space, bit_width, bit_offset, access;
	uint64_t address;
};
int acpi_init(EFI_SYSTEM_TABLE *st);              /* 0, or -1 when there are no usable tables */
const uint8_t *acpi_table(const char *sig, unsigned n); /* the n-th table with that signature, or NULL */
const uint8_t *acpi_fadt(void);
/* A FADT register block: the X_ GAS at xoff when set, else the 32-bit port at off; 1 when found. */
int acpi_fadt_block(unsigned off, unsigned xoff, struct acpi_gas *g);
void acpi_gas(const uint8_t *p, struct acpi_gas *g);
int acpi_s5(uint8_t *typa, uint8_t *typb); /* SLP_TYP of \_S5 from the DSDT/SSDTs; 1 when found */
uint16_t acpi_rd16(const uint8_t *p);
uint32_t acpi_rd32(const uint8_t *p);
uint64_t acpi_rd64(const uint8_t *p);

/* pc/serial.c: the trace's UART, polled: the one ACPI's SPCR names (I/O or MMIO, PCI too) when there is
 * one, else COM1 (a 16550 at 0x3F8); 115200 8N1. Silent when no UART answers. */
int serial_init(void);
void serial_describe(char *buf, size_t cap);
int serial_is_com1(void); /* the legacy port at 0x3F8, the one a firmware's serial console uses */
void serial_write(const char *s, size_t n);
void serial_puts(const char *s);
int serial_getc(void); /* a received byte, or -1 */
int serial_at_line_start(void);
/* Every byte later written to COM1 (whether a UART answers or not) also goes to fn: the trace file. */
void serial_tee(void (*fn)(const char *s, size_t n));

/* console.c: the firmware console (ConOut) before EBS. */
void console_init(EFI_SYSTEM_TABLE *st);
void console_puts(const char *s); /* ASCII, '\n' becomes "\r\n" */
void console_detach(void);        /* EBS: ConOut is gone */
int console_attached(void);
/* One line (no newline in `line`) on the console and on COM1; COM1 is skipped when ConOut already
 * echoes to it, so a QEMU -nographic log does not show every message twice. */
void say(const char *line);

/* volume.c: files on the application's own volume (SimpleFileSystem of LoadedImage->DeviceHandle). */
int volume_init(EFI_HANDLE image, EFI_SYSTEM_TABLE *st);
/* Reads NAME (relative: beside the application, then at the volume root; "\..." or "/...": from the root).
 * Returns 0 and *len, 1 when there is no such file, -1 with a one-line reason in err. */
int volume_read(const char *name, void *buf, size_t cap, size_t *len, char *err, size_t errlen);
/* The LoadedImage protocol of the application (for LoadOptions). */
EFI_LOADED_IMAGE *volume_loaded_image(void);
EFI_FILE_HANDLE volume_root(void); /* NULL when the volume has no file system */

/* options.c: anima.cfg then the command line (LoadOptions), parsed by the engine. Returns 0, or -1 with a
 * one-line message naming the source and the problem in err. */
int options_load(struct anima_options *o, char *err, size_t errlen);

/* pc/random.c: a seed from RDSEED or RDRAND when the CPU has them; 0 when it has neither or they fail. */
int hw_seed(uint64_t *seed);

/* pc/timer.c: TSC calibrated before EBS, pacing after it. The sources, in the order of --clock's words
 * (enum anima_clock): timer_force() before timer_init() makes one the only one tried. */
enum timer_source { TIMER_AUTO = 0, TIMER_TSC, TIMER_PMTIMER, TIMER_HPET, TIMER_PIT, TIMER_CPUID };
_Static_assert(TIMER_CPUID == (int)ANIMA_CLOCK_CPUID && TIMER_HPET == (int)ANIMA_CLOCK_HPET, "--clock's order");
void timer_force(enum timer_source s);
void timer_init(EFI_SYSTEM_TABLE *st);
uint64_t timer_hz(void);         /* ticks of timer_now() per second */
uint64_t timer_now(void);
void timer_describe(char *buf, size_t cap);

/* exitbs.c: *tried says whether ExitBootServices was called (after a failed call boot services may be
 * half gone; before it, the firmware is intact and we can still return). */
EFI_STATUS exit_boot_services(EFI_HANDLE image, EFI_SYSTEM_TABLE *st, int *tried);

/* power.c */
void power_init(EFI_SYSTEM_TABLE *st); /* before EBS: the ACPI S5 registers and type */
void power_describe(char *buf, size_t cap);
__attribute__((noreturn)) void power_off(void);

/* panic.c */
__attribute__((noreturn)) void halt_forever(void);
__attribute__((noreturn)) void panic(const char *msg);

/* pc/trap.c: our own IDT after EBS; CPU exceptions end in a panic report on COM1. */
void trap_init(void);
void trap_set_tick(uint64_t tick);
void trap_raise(int fault); /* enum anima_fault */
/* NMIs are counted by the handler and returned from; this fills a `# anima: nmi ...` line (no newline)
 * when there were new ones since the last call: 1, else 0. Call between ticks. */
int trap_nmi_report(char *line, size_t cap);

/* pc/ps2kbd.c: the PS/2 keyboard (i8042), polled. */
void kbd_probe(void);           /* before EBS: the FADT's 8042 flag */
const char *kbd_describe(void); /* how presence was decided */
void kbd_init(void);
int kbd_getc(void); /* ASCII of a key press, 27 for Esc, or -1 */

/* pc/pci.c: configuration space of segment 0 through ports 0xCF8/0xCFC. */
struct pci_fn {
	uint8_t bus, dev, fn;
};
uint32_t pci_read32(struct pci_fn f, unsigned off);
void pci_write32(struct pci_fn f, unsigned off, uint32_t v);
int pci_find_class(uint32_t class24, struct pci_fn *out, int max);
uint64_t pci_bar(struct pci_fn f, unsigned index);
void pci_enable_dma(struct pci_fn f);

/* pc/xhci.c, pc/usb.c: USB after EBS. xhci_prepare finds the xHCI controllers and allocates their memory
 * before EBS; usb_start takes them from the firmware after it, enumerates and writes one '#' line. */
int xhci_prepare(EFI_BOOT_SERVICES *bs);
int xhci_start(void);
int xhci_count(void);
void usb_start(void);

/* pc/usbkbd.c: USB keyboards in boot protocol, polled; characters as kbd_getc gives them. */
int usbkbd_getc(void);
int usbkbd_count(void);

/* pc/usbmsd.c: USB mass storage (bulk-only, SCSI), 512-byte sectors; disks numbered from 0. */
int usbmsd_count(void);
uint64_t usbmsd_sectors(int disk);
int usbmsd_read(int disk, uint64_t lba, uint32_t count, void *buf);
int usbmsd_write(int disk, uint64_t lba, uint32_t count, const void *buf);

/* tracefile.c: --trace-file, the trace on the USB stick booted from. prepare (before EBS; name NULL for the
 * default) creates and maps the file; capture (just before `# anima: boot services exited`) starts keeping
 * COM1's bytes; start (after usb_start) finds the stick; poll flushes on time; end flushes at the end. */
void tracefile_prepare(EFI_SYSTEM_TABLE *st, const char *name);
void tracefile_capture(void);
void tracefile_start(void);
void tracefile_poll(void);
void tracefile_end(void);

/* persist.c: --persist. persist_load returns 1 (loaded into sim: `# anima: resumed tick=N`), 0 (no
 * variable), -1 (err filled). persist_begin (before EBS) marks the state as continued by this run;
 * persist_save writes it when the store has room (final: the run's end); both 0 or -1, reported. */
int persist_load(EFI_SYSTEM_TABLE *st, struct anima_sim *sim, char *err, size_t errlen);
int persist_begin(EFI_SYSTEM_TABLE *st, const struct anima_sim *sim);
int persist_save(const struct anima_sim *sim, int final);

/* live.c: the platform hooks of the run: write, and poll (live commands, pacing to o->speed and its live
 * changes, pause); no pace hook. */
void live_init(struct anima_platform *p, struct anima_options *o, struct anima_sim *sim);

#endif
