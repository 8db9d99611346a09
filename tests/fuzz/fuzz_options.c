/*
 * Fuzz target: the sexton command line. The input is split at NUL bytes
 * into argv words; opt_parse must never crash, leak or read out of bounds,
 * and an OPT_RUN result must be self-consistent.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct options opts;
	char *argv[MAX_ARGS + 2];
	char *buf = malloc(size + 1), *p, err[256];
	int argc = 1;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = "sexton";
	for (p = buf; p < buf + size && argc <= MAX_ARGS; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	if (opt_parse(argc, argv, &opts, err, sizeof(err)) == OPT_RUN) {
		if (opts.nremap > OPT_MAX_REMAP)
			abort();
		for (int s = 0; s < 80; s++)
			(void)opt_rewrite_signal(&opts, s);
	}
	free(buf);
	return 0;
}
