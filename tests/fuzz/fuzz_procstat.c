/* Fuzz target: the /proc parsers (stat, status, stack) on any bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "procscan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char frames[8][PROC_WCHAN_MAX];
	struct proc_status status;
	struct proc_stat st;
	char *text = malloc(size + 1);
	size_t i, n;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0'; /* procscan_read always terminates */
	if (procscan_parse_stat(text, &st) == 0 && strlen(st.comm) >= PROC_COMM_MAX)
		__builtin_trap();
	procscan_parse_status(text, &status);
	n = procscan_parse_stack(text, frames, 8);
	if (n > 8)
		__builtin_trap();
	for (i = 0; i < n; i++)
		if (strlen(frames[i]) >= PROC_WCHAN_MAX)
			__builtin_trap();
	free(text);
	return 0;
}
