/* evmem — see include/evmem.h. */
#include "evmem.h"

#include <stdlib.h>
#include <time.h>

#include "log.h"

/* Process-wide, as the allocator itself is: ev_set_allocator takes no
 * context to hang it on. */
static unsigned long waits;

void *
evmem_realloc(void *ptr, long size)
{
	const struct timespec pause = { 0, EVMEM_RETRY_NS };
	unsigned long tries = 0;
	void *p;

	if (size <= 0) {
		free(ptr);
		return NULL;
	}
	/* A failed realloc (ENOMEM, its only error) leaves PTR as it was: it
	 * can be tried again. */
	while (!(p = realloc(ptr, (size_t)size))) {
		if (tries % EVMEM_LOG_EVERY == 0)
			log_error("libev cannot allocate %ld bytes: out of memory; trying again "
				  "every %ld ms (try %lu)", size, EVMEM_RETRY_NS / 1000000, tries + 1);
		tries++;
		waits++;
		nanosleep(&pause, NULL);
	}
	if (tries)
		log_warn("libev got its %ld bytes at try %lu", size, tries + 1);
	return p;
}

unsigned long
evmem_waits(void)
{
	return waits;
}
