/*
 * monotime — CLOCK_MONOTONIC in seconds, for deadlines and durations
 * (the loop's own ev_now() is only as fresh as its last wake-up).
 */
#ifndef SEXTON_MONOTIME_H
#define SEXTON_MONOTIME_H

#include <time.h>

static inline double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif
