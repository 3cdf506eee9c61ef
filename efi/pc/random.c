/* efi/pc/random.c - a seed for the default boot from the CPU's entropy source.
 *
 * RDSEED (a true random seed) is preferred over RDRAND (a DRBG output); both are checked in CPUID first
 * because executing them on a CPU without them is #UD. Both may fail transiently (carry clear) when the
 * entropy source is drained; Intel's guidance is to retry a few times. Some AMD parts (family 15h/16h
 * after a resume, Zen 2 with old microcode) report success and return all ones every time: such a value
 * is refused like a failure (Linux does the same), and if it keeps coming the source counts as broken. */
#include "anima_efi.h"
#include "io.h"

#define RETRIES 10

static int rdseed64(uint64_t *v)
{
	uint8_t ok;
	for (int i = 0; i < RETRIES; i++) {
		__asm__ volatile("rdseed %0; setc %1" : "=r"(*v), "=qm"(ok) : : "cc");
		if (ok && *v != ~0ull)
			return 1;
		cpu_relax();
	}
	return 0;
}

static int rdrand64(uint64_t *v)
{
	uint8_t ok;
	for (int i = 0; i < RETRIES; i++) {
		__asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok) : : "cc");
		if (ok && *v != ~0ull)
			return 1;
	}
	return 0;
}

int hw_seed(uint64_t *seed)
{
	uint32_t r[4];

	cpuid(0, 0, r);
	uint32_t max = r[0];
	if (max >= 7) {
		cpuid(7, 0, r);
		if ((r[1] & (1u << 18)) && rdseed64(seed))
			return 1;
	}
	cpuid(1, 0, r);
	if ((r[2] & (1u << 30)) && rdrand64(seed))
		return 1;
	return 0;
}
