/* efi/pc/pci.c - PCI configuration space through the legacy mechanism #1 (ports 0xCF8/0xCFC).
 *
 * Every PC chipset still decodes it for segment 0 and the first 256 bytes of each function, which is all
 * the USB drivers need (class code, BAR, command register); the xHCI legacy hand-off lives in MMIO, not in
 * configuration space. Used before ExitBootServices (to find controllers) and after it. */
#include "anima_efi.h"
#include "io.h"

#define CONFIG_ADDRESS 0xCF8
#define CONFIG_DATA 0xCFC

static uint32_t address(struct pci_fn f, unsigned off)
{
	return 0x80000000u | (uint32_t)f.bus << 16 | (uint32_t)f.dev << 11 | (uint32_t)f.fn << 8 | (off & 0xFC);
}

uint32_t pci_read32(struct pci_fn f, unsigned off)
{
	outl(CONFIG_ADDRESS, address(f, off));
	return inl(CONFIG_DATA);
}

void pci_write32(struct pci_fn f, unsigned off, uint32_t v)
{
	outl(CONFIG_ADDRESS, address(f, off));
	outl(CONFIG_DATA, v);
}

/* Functions whose class, subclass and programming interface are class24 (0x0C0330: an xHCI controller),
 * in bus order. A brute-force walk of all 256 buses: bridges need not be followed, and the cost (about 8000
 * reads of absent devices, well under a second even in an emulator) is paid once, before exit. */
int pci_find_class(uint32_t class24, struct pci_fn *out, int max)
{
	int n = 0;

	for (unsigned bus = 0; bus < 256; bus++) {
		for (unsigned dev = 0; dev < 32; dev++) {
			for (unsigned fn = 0; fn < 8; fn++) {
				struct pci_fn f = {(uint8_t)bus, (uint8_t)dev, (uint8_t)fn};
				uint32_t id = pci_read32(f, 0x00);
				if ((id & 0xFFFF) == 0xFFFF) {
					if (fn == 0)
						break; /* no device here */
					continue;
				}
				if ((pci_read32(f, 0x08) >> 8) == class24 && n < max)
					out[n++] = f;
				/* Header type bit 7: a multi-function device; otherwise functions 1..7 do not exist. */
				if (fn == 0 && !(pci_read32(f, 0x0C) & 0x00800000u))
					break;
			}
		}
	}
	return n;
}

/* A memory BAR's base (32- or 64-bit); 0 for an I/O BAR or an unassigned one. */
uint64_t pci_bar(struct pci_fn f, unsigned index)
{
	uint32_t lo = pci_read32(f, 0x10 + 4 * index);
	uint64_t base = lo & ~0xFull;

	if (lo & 1)
		return 0;
	if (((lo >> 1) & 3) == 2)
		base |= (uint64_t)pci_read32(f, 0x14 + 4 * index) << 32;
	return base;
}

/* Memory space and bus mastering on (the firmware may turn them off again when it lets go of a device). */
void pci_enable_dma(struct pci_fn f)
{
	uint32_t cmd = pci_read32(f, 0x04);
	pci_write32(f, 0x04, (cmd & 0xFFFF) | 0x0006);
}
