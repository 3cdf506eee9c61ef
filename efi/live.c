/* efi/live.c - the platform hooks of a run after ExitBootServices: the trace goes to COM1. */
#include "anima_efi.h"

static void com1_write(void *ctx, const char *bytes, size_t n)
{
	(void)ctx;
	serial_write(bytes, n);
}

void live_init(struct anima_platform *p, const struct anima_options *o)
{
	(void)o;
	p->ctx = NULL;
	p->write = com1_write;
	p->pace = NULL;
	p->poll = NULL;
}
