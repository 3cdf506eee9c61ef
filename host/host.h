/* host/host.h - what the files of anima-sim share. */
#ifndef ANIMA_HOST_HOST_H
#define ANIMA_HOST_HOST_H

#include "anima.h"

/* summary.c: --summary (fed by the run) and --summarize TRACE (fed by a trace's rows). */
void host_summary_begin(struct anima_summary *s);
int host_summary_write(const char *path, struct anima_summary_head *h);
void host_catalogue_hex(char hex[17]); /* this build's catalogue hash, 16 hex digits */
int host_summarize(const char *trace, const char *out);

#endif
