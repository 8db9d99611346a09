/* The unit tests' stopwatch: CLOCK_MONOTONIC in seconds. */
#ifndef SEXTON_TEST_MONOCLOCK_H
#define SEXTON_TEST_MONOCLOCK_H

#include <time.h>

static inline double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
