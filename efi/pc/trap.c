/* efi/pc/trap.c - our own IDT after ExitBootServices: every CPU exception ends in a report on COM1 and on the
 * screen (when there is one), not in the firmware's handlers (whose code and console are gone) nor in a
 * silent triple-fault reset.
 *
 * The 32 exception stubs are 16 bytes apart; each pushes a zero when the CPU pushes no error code, then
 * the vector, and joins trap_common, which saves the general registers and calls trap_handler with a
 * pointer to them.
 *
 * NMIs are not faults: a watchdog, a BMC's diagnostic button, a parity/SERR line or a hypervisor sends
 * them, and Linux logs them and goes on. So does nmi_entry: it counts the NMI, notes where it hit and the
 * reason bits of port 0x61 (clearing their latches as Linux does), and returns with iretq. The line
 * `# anima: nmi ...` is written by the run's poll (trap_nmi_report), between two ticks: a handler that
 * wrote to COM1 itself could cut a row in half, or re-enter the UART code it interrupted.
 *
 * Stacks: NMI, double fault and machine check run on stacks of their own through the TSS's interrupt
 * stack table (IST 1-3), so a fault that breaks the stack pointer (an overflow, a corrupted RSP) still
 * gets a report instead of a triple fault and a silent reset. The firmware's GDT is copied into a larger
 * one (the same selectors, so CS stays valid) with a TSS descriptor added. */
#include "anima_efi.h"
#include "dashboard.h"
#include "io.h"

struct frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

struct idt_entry {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, zero;
} __attribute__((packed));

struct idt_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

extern char trap_stubs[];
__attribute__((noreturn)) void trap_handler(struct frame *f);

/* Vectors 8, 10-14, 17, 21, 29, 30 come with an error code from the CPU. */
#define STUB(n) ".p2align 4\n pushq $0\n pushq $" #n "\n jmp trap_common\n"
#define STUB_ERR(n) ".p2align 4\n pushq $" #n "\n jmp trap_common\n"
__asm__(".text\n"
	".p2align 4\n"
	".globl trap_stubs\n"
	"trap_stubs:\n"
	STUB(0) STUB(1) STUB(2) STUB(3) STUB(4) STUB(5) STUB(6) STUB(7)
	STUB_ERR(8) STUB(9) STUB_ERR(10) STUB_ERR(11) STUB_ERR(12) STUB_ERR(13) STUB_ERR(14) STUB(15)
	STUB(16) STUB_ERR(17) STUB(18) STUB(19) STUB(20) STUB_ERR(21) STUB(22) STUB(23)
	STUB(24) STUB(25) STUB(26) STUB(27) STUB(28) STUB_ERR(29) STUB_ERR(30) STUB(31)
	".p2align 4\n"
	"trap_common:\n"
	" pushq %rax\n pushq %rbx\n pushq %rcx\n pushq %rdx\n pushq %rsi\n pushq %rdi\n pushq %rbp\n"
	" pushq %r8\n pushq %r9\n pushq %r10\n pushq %r11\n pushq %r12\n pushq %r13\n pushq %r14\n pushq %r15\n"
	" movq %rsp, %rcx\n"   /* Microsoft x64 ABI: first argument in rcx */
	" andq $-16, %rsp\n"
	" subq $32, %rsp\n"    /* the callee's shadow space */
	" call trap_handler\n"
	"1: cli\n hlt\n jmp 1b\n"
	".p2align 4\n"
	".globl nmi_entry\n"
	"nmi_entry:\n"
	" pushq %rax\n pushq %rbx\n pushq %rcx\n pushq %rdx\n pushq %rsi\n pushq %rdi\n pushq %rbp\n"
	" pushq %r8\n pushq %r9\n pushq %r10\n pushq %r11\n pushq %r12\n pushq %r13\n pushq %r14\n pushq %r15\n"
	" movq %rsp, %rcx\n"
	" movq %rsp, %rbx\n"  /* callee-saved: the frame to return to */
	" andq $-16, %rsp\n"
	" subq $32, %rsp\n"
	" call nmi_handler\n"
	" movq %rbx, %rsp\n"
	" popq %r15\n popq %r14\n popq %r13\n popq %r12\n popq %r11\n popq %r10\n popq %r9\n popq %r8\n"
	" popq %rbp\n popq %rdi\n popq %rsi\n popq %rdx\n popq %rcx\n popq %rbx\n popq %rax\n"
	" iretq\n");

extern char nmi_entry[];
void nmi_handler(const uint64_t *regs);

/* The 64-bit TSS: only the interrupt stack table is used (we never change privilege level). */
struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3, iomap; /* iomap = sizeof: no I/O permission bitmap */
} __attribute__((packed));

struct gdt_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

#define IST_NMI 1
#define IST_DOUBLE 2
#define IST_MACHINE_CHECK 3
#define IST_STACK 16384
#define GDT_MAX 64 /* descriptors: the firmware's (OVMF has ~10) and our TSS */

static struct tss tss __attribute__((aligned(16)));
static uint8_t ist_stacks[3][IST_STACK] __attribute__((aligned(16)));
static uint64_t gdt[GDT_MAX] __attribute__((aligned(16)));
static volatile uint64_t nmi_count, nmi_rip;
static volatile uint8_t nmi_reason;
static uint64_t nmi_reported;
static int ist_ok;

static struct idt_entry idt[32];

/* Our GDT (the firmware's descriptors, then a TSS) and the TSS with IST 1-3; 0 or -1 when the firmware's
 * GDT is too large to copy (then no IST: the handlers run on the interrupted stack, as before). */
static int tss_init(void)
{
	struct gdt_ptr old, p;
	__asm__ volatile("sgdt %0" : "=m"(old));
	uint32_t n = ((uint32_t)old.limit + 1) / 8;
	if (n + 2 > GDT_MAX || !old.base)
		return -1;
	memcpy(gdt, (const void *)(uintptr_t)old.base, (size_t)n * 8);
	for (int i = 0; i < 3; i++)
		tss.ist[i] = (uint64_t)(uintptr_t)(ist_stacks[i] + IST_STACK);
	tss.iomap = sizeof tss;
	uint64_t base = (uint64_t)(uintptr_t)&tss, limit = sizeof tss - 1;
	/* A 16-byte system descriptor: type 9 (available 64-bit TSS), present. */
	gdt[n] = (limit & 0xFFFF) | (base & 0xFFFFFF) << 16 | 0x89ull << 40 | ((limit >> 16) & 0xF) << 48 |
		 ((base >> 24) & 0xFF) << 56;
	gdt[n + 1] = base >> 32;
	p.limit = (uint16_t)((n + 2) * 8 - 1);
	p.base = (uint64_t)(uintptr_t)gdt;
	uint16_t sel = (uint16_t)(n * 8);
	__asm__ volatile("lgdt %0\n ltr %1" : : "m"(p), "r"(sel) : "memory");
	return 0;
}
static volatile uint64_t cur_tick;
static volatile int in_handler; /* a fault while reporting one: COM1 only, no second try at the screen */

static const char *const names[32] = {
	"divide error", "debug", "nmi", "breakpoint", "overflow", "bound range", "invalid opcode",
	"device not available", "double fault", "coprocessor overrun", "invalid tss", "segment not present",
	"stack fault", "general protection", "page fault", "reserved", "x87 error", "alignment check",
	"machine check", "simd error", "virtualization", "control protection", "reserved", "reserved",
	"reserved", "reserved", "reserved", "reserved", "hypervisor injection", "vmm communication",
	"security", "reserved"};

void trap_init(void)
{
	uint16_t cs;
	uint64_t base = (uint64_t)(uintptr_t)trap_stubs;
	struct idt_ptr p;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	ist_ok = tss_init() == 0;
	for (int v = 0; v < 32; v++) {
		uint64_t a = v == 2 ? (uint64_t)(uintptr_t)nmi_entry : base + 16u * (unsigned)v;
		idt[v].off_lo = (uint16_t)a;
		idt[v].sel = cs;
		idt[v].ist = !ist_ok ? 0 : v == 2 ? IST_NMI : v == 8 ? IST_DOUBLE : v == 18 ? IST_MACHINE_CHECK : 0;
		idt[v].type = 0x8E; /* present, ring 0, 64-bit interrupt gate */
		idt[v].off_mid = (uint16_t)(a >> 16);
		idt[v].off_hi = (uint32_t)(a >> 32);
		idt[v].zero = 0;
	}
	p.limit = sizeof idt - 1;
	p.base = (uint64_t)(uintptr_t)idt;
	/* Interrupts stay off: the firmware's timer is stopped, and nothing of ours is interrupt-driven. */
	__asm__ volatile("cli; lidt %0" : : "m"(p));
}

void trap_set_tick(uint64_t tick)
{
	cur_tick = tick;
}

/* In NMI context: no locks, no output; counters only. */
void nmi_handler(const uint64_t *regs)
{
	uint8_t r = inb(0x61);
	nmi_rip = regs[15]; /* after the 15 saved registers: the CPU's frame, RIP first */
	nmi_reason = r;
	/* SERR# (bit 7) and IOCHK# (bit 6) latch until their enable bits (2, 3) are toggled. */
	if (r != 0xFF && (r & 0xC0)) {
		uint8_t keep = r & 0x0F;
		outb(0x61, keep | ((r & 0x80) ? 0x04 : 0) | ((r & 0x40) ? 0x08 : 0));
		outb(0x61, keep & (uint8_t)~0x0C);
	}
	nmi_count++;
}

int trap_nmi_report(char *line, size_t cap)
{
	uint64_t n = nmi_count;
	if (n == nmi_reported)
		return 0;
	uint8_t r = nmi_reason;
	line[0] = 0;
	str_add(line, cap, "# anima: nmi count=");
	str_add_u64(line, cap, n);
	str_add(line, cap, " reason=");
	str_add(line, cap, r == 0xFF || !(r & 0xC0) ? "unknown" : (r & 0x80) ? "serr" : "iochk");
	str_add(line, cap, " rip=");
	str_add_hex(line, cap, nmi_rip);
	str_add(line, cap, " tick=");
	str_add_u64(line, cap, cur_tick);
	str_add(line, cap, ist_ok ? " stack=ist" : " stack=interrupted");
	nmi_reported = n;
	return 1;
}

static void reg(char *line, size_t cap, const char *name, uint64_t v)
{
	str_add(line, cap, " ");
	str_add(line, cap, name);
	str_add(line, cap, "=");
	str_add_hex(line, cap, v);
}

/* One line of the report: to COM1, and to the screen in red (dashboard_message draws into memory allocated
 * before EBS and copies one band of rows: no allocation, bounded work). */
static void emit(char *line, int screen)
{
	serial_puts(line);
	serial_puts("\n");
	if (screen)
		dashboard_message(line);
	line[0] = 0;
}

/* The general registers in the report's order, four to a line. */
static const struct {
	const char *name;
	size_t offset;
} gprs[] = {
	{"rax", offsetof(struct frame, rax)}, {"rbx", offsetof(struct frame, rbx)},
	{"rcx", offsetof(struct frame, rcx)}, {"rdx", offsetof(struct frame, rdx)},
	{"rsi", offsetof(struct frame, rsi)}, {"rdi", offsetof(struct frame, rdi)},
	{"rbp", offsetof(struct frame, rbp)}, {"rsp", offsetof(struct frame, rsp)},
	{"r8", offsetof(struct frame, r8)},   {"r9", offsetof(struct frame, r9)},
	{"r10", offsetof(struct frame, r10)}, {"r11", offsetof(struct frame, r11)},
	{"r12", offsetof(struct frame, r12)}, {"r13", offsetof(struct frame, r13)},
	{"r14", offsetof(struct frame, r14)}, {"r15", offsetof(struct frame, r15)},
};

void trap_handler(struct frame *f)
{
	char line[200] = "";
	uint64_t cr2, cr3;
	int screen = !in_handler;

	in_handler = 1;
	__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	/* Start on a fresh line: the fault may have come in the middle of a row. */
	if (!serial_at_line_start())
		serial_puts("\n");
	str_add(line, sizeof line, "# anima: panic vector=");
	str_add_u64(line, sizeof line, f->vector);
	reg(line, sizeof line, "error", f->error);
	reg(line, sizeof line, "rip", f->rip);
	str_add(line, sizeof line, " tick=");
	str_add_u64(line, sizeof line, cur_tick);
	emit(line, screen);
	str_add(line, sizeof line, "# anima: ");
	str_add(line, sizeof line, names[f->vector & 31]);
	reg(line, sizeof line, "cr2", cr2);
	reg(line, sizeof line, "cr3", cr3);
	reg(line, sizeof line, "cs", f->cs);
	reg(line, sizeof line, "rflags", f->rflags);
	emit(line, screen);
	for (size_t i = 0; i < sizeof gprs / sizeof gprs[0]; i++) {
		if (i % 4 == 0)
			str_add(line, sizeof line, "# anima:");
		reg(line, sizeof line, gprs[i].name, *(const uint64_t *)((const char *)f + gprs[i].offset));
		if (i % 4 == 3)
			emit(line, screen);
	}
	str_add(line, sizeof line, "# anima: halted");
	emit(line, screen);
	if (screen)
		tracefile_end(); /* the report onto the stick as well (not from a fault inside the report) */
	halt_forever();
}

/* --fault pagefault: a copy of the top-level page table with one 512 GiB (or 256 TiB with 5-level
 * paging) slot emptied, far above any RAM or MMIO, so that a read there is a not-present fault on any
 * firmware's page tables. The lower levels are shared, not written. */
static uint64_t top[512] __attribute__((aligned(4096)));

static void page_fault(void)
{
	uint64_t cr3, cr4;
	const uint64_t *old;

	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	old = (const uint64_t *)(uintptr_t)(cr3 & 0x000FFFFFFFFFF000ull);
	for (int i = 0; i < 512; i++)
		top[i] = old[i];
	top[255] = 0;
	uint64_t addr = (cr4 & (1u << 12)) ? 255ull << 48 : 255ull << 39; /* LA57: 5-level paging */
	__asm__ volatile("mov %0, %%cr3" : : "r"((uint64_t)(uintptr_t)top | (cr3 & 0x18)) : "memory");
	(void)*(volatile uint64_t *)(uintptr_t)addr;
}

void trap_raise(int fault)
{
	switch (fault) {
	case ANIMA_FAULT_DIVIDE:
		__asm__ volatile("xorl %%ecx, %%ecx\n divl %%ecx" : : "a"(1), "d"(0) : "ecx");
		break;
	case ANIMA_FAULT_PAGEFAULT:
		page_fault();
		break;
	case ANIMA_FAULT_INVALID_OPCODE:
		__asm__ volatile("ud2");
		break;
	}
	panic("the requested fault did not happen");
}
