/* Fuzz target: /proc/net/{tcp,tcp6,udp,udp6,unix} line parsing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "holds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whatever the line, a success leaves OUT a string within OUTLEN that
 * starts as the entry's kind says and holds no control character. */
static void
check(const char *out, size_t outlen, const char *prefix)
{
	size_t n = strnlen(out, outlen), i;

	if (n == outlen)
		__builtin_trap();
	if (strncmp(out, prefix, n < strlen(prefix) ? n : strlen(prefix)) != 0)
		__builtin_trap();
	for (i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			__builtin_trap();
}

/* Each parser gets the line in a buffer of its exact size, and an output
 * buffer of exactly OUTLEN, so any read or write past either traps. */
static void
parse_line(const char *line, size_t outlen)
{
	static const char *const protos[] = { "tcp", "tcp6", "udp", "udp6" };
	unsigned long inode;
	char *out = malloc(outlen);
	size_t i;

	if (!out)
		return;
	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (holds_parse_inet(line, protos[i], &inode, out, outlen) == 0)
			check(out, outlen, protos[i]);
	if (holds_parse_unix(line, &inode, out, outlen) == 0)
		check(out, outlen, "unix");
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl;
	size_t len;
	char *line;

	/* Line by line, as holds_read() hands them over; the last one both
	 * with a full output buffer and with one cut to its own length. */
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if ((line = malloc(len + 1))) {
			memcpy(line, p, len);
			line[len] = '\0';
			parse_line(line, HOLD_TEXT_MAX);
			parse_line(line, 1 + len % HOLD_TEXT_MAX);
			free(line);
		}
		p += len + 1;
	}
	return 0;
}
