/* Fuzz target: sd_notify datagram parsing (what any local process may send). */
#include <stdint.h>
#include <string.h>

#include "notify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct notify_msg m;
	size_t i;

	notify_parse((const char *)data, size, &m);
	if (m.has_status) {
		if (strlen(m.status) >= sizeof(m.status))
			__builtin_trap();
		for (i = 0; m.status[i]; i++)
			if ((unsigned char)m.status[i] < 0x20)
				__builtin_trap(); /* control bytes never reach a log line */
	}
	if (m.mainpid < 0)
		__builtin_trap();
	return 0;
}
