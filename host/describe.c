/* host/describe.c - anima-sim --describe: the columns, parameters and stimuli of this build as JSON, with the
 * parameter values of this run (the seed's or --individual's traits, then --set). The text of each item is
 * generated from the catalogue (anima_gen_describe.c); only the values come from the run. */
#include <stdio.h>

#include "anima.h"
#include "host.h"

void host_describe(const struct anima_sim *sim, FILE *out)
{
	char hex[17];
	const uint32_t nparams = ANIMA_NPARAMS, nstimuli = ANIMA_NSTIMULI; /* may be 0 */
	host_catalogue_hex(hex);
	fprintf(out, "{\"catalogue\":\"%s\",\"seed\":%llu,\n\"columns\":[\n{\"name\":\"tick\",\"unit\":\"s\","
		     "\"scale\":null,\"range\":null,\"doc\":\"simulated seconds since midnight of day 0\"}",
		hex, (unsigned long long)sim->seed);
	for (uint32_t k = 0; k < ANIMA_NVARS; k++)
		fprintf(out, ",\n%s", anima_describe_text + anima_describe_column_at[k]);
	fputs("],\n\"parameters\":[", out);
	for (uint32_t k = 0; k < nparams; k++)
		fprintf(out, "%s\n%s,\"value\":%ld,\"catalogue_value\":%ld}", k ? "," : "", anima_describe_text + anima_describe_param_at[k],
			(long)sim->params[k], (long)anima_param_values[k]);
	fputs("],\n\"stimuli\":[", out);
	for (uint32_t k = 0; k < nstimuli; k++)
		fprintf(out, "%s\n%s", k ? "," : "", anima_describe_text + anima_describe_stimulus_at[k]);
	fputs("]}\n", out);
}
