/* host/host.h - what the files of anima-sim share. */
#ifndef ANIMA_HOST_HOST_H
#define ANIMA_HOST_HOST_H

#include <stdio.h>

#include "anima.h"

/* summary.c: --summary (fed by the run) and --summarize TRACE (fed by a trace's rows). */
void host_summary_begin(struct anima_summary *s);
int host_summary_write(const char *path, struct anima_summary_head *h);
void host_catalogue_hex(char hex[17]); /* this build's catalogue hash, 16 hex digits */
int host_summarize(const char *trace, const char *out);

/* describe.c: --describe, from the generated anima_gen_describe.c (anima-sim only). */
extern const char anima_describe_text[]; /* the texts, each ending in a NUL; *_at: where each starts */
extern const uint32_t anima_describe_column_at[ANIMA_NVARS];
extern const uint32_t anima_describe_param_at[ANIMA_NPARAMS ? ANIMA_NPARAMS : 1];
extern const uint32_t anima_describe_stimulus_at[ANIMA_NSTIMULI ? ANIMA_NSTIMULI : 1];
void host_describe(const struct anima_sim *sim, FILE *out);

#endif
