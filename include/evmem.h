/*
 * evmem — libev's allocator, for a process that must not abort.
 *
 * libev grows its arrays (descriptors, pending events, timers, changes)
 * as watchers start, and aborts when its allocator returns NULL for a size
 * it asked for. Linux's malloc does fail, under RLIMIT_AS or RLIMIT_DATA
 * and with vm.overcommit_memory=2; an abort of PID 1 ends the container, or
 * panics the machine. evmem_realloc, installed with ev_set_allocator before
 * the loop is made (libev's manual suggests it for high-availability
 * programs), waits EVMEM_RETRY_NS and tries again until the memory comes,
 * saying so in the log once a second: for that while sexton does nothing
 * else, and what comes in (signals, exits, requests) waits in the kernel.
 */
#ifndef SEXTON_EVMEM_H
#define SEXTON_EVMEM_H

#define EVMEM_RETRY_NS 10000000L /* 10 ms */
#define EVMEM_LOG_EVERY 100	 /* waits between two log lines: one a second */

/* realloc's semantics, as libev wants them: SIZE 0 frees and gives NULL;
 * any other size gives memory, however long that takes. */
void *evmem_realloc(void *ptr, long size);

/* How many times an allocation has had to wait, since the start. */
unsigned long evmem_waits(void);

#endif
