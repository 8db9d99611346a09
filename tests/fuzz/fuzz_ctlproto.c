/* Fuzz target: control requests (what any local client may send). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctlproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_request req;
	struct ctl_opts o;
	const char *err;
	char *line;
	int i;

	if (size > CTL_MAX_REQUEST + 8)
		return 0;
	line = malloc(size + 1);
	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	if (ctl_parse(line, size, &req, &err) == 0) {
		if (req.argc > CTL_MAX_WORDS || req.cmd >= CTL_NCOMMANDS)
			__builtin_trap();
		for (i = 0; i < req.argc; i++)
			if (!req.argv[i][0] || strchr(req.argv[i], ' '))
				__builtin_trap(); /* words are never empty, never hold spaces */
		if (ctl_parse_opts(&req, &o, &err) == 0 && (o.lines < 0 || o.lines > 1000))
			__builtin_trap();
	}
	free(line);
	return 0;
}
