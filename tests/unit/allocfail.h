/*
 * Allocation failure on demand, for the unit tests of what must survive
 * running out of memory. The test binary is linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,--wrap=strndup
 * (the Makefile's OOM_WRAP, for test_*_oom), so the calls that sexton's
 * own objects make go through the wrappers here; allocations made inside
 * the C library (getline, glob, asprintf) do not. LeakSanitizer, which the
 * unit tests are built with, then fails the run on anything a failing path
 * leaked. Include it in one file per binary: it defines the wrappers.
 */
#ifndef SEXTON_TEST_ALLOCFAIL_H
#define SEXTON_TEST_ALLOCFAIL_H

#include <stdbool.h>
#include <stddef.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);

static long allocfail_at = -1; /* the first allocation (from 0) that fails; -1: none */
static long allocfail_run = 1; /* how many fail from there on, one after another */
static long allocfail_count;   /* allocations since allocfail_arm */
static long allocfail_hit;     /* how many were failed */

/* From now on, count allocations and fail RUN of them from the one
 * numbered AT (AT -1: none, only count). */
static inline void
allocfail_arm_run(long at, long run)
{
	allocfail_count = 0;
	allocfail_hit = 0;
	allocfail_run = run;
	allocfail_at = at < 0 ? 1L << 40 : at;
}

/* Fail the allocation numbered AT alone. */
static inline void
allocfail_arm(long at)
{
	allocfail_arm_run(at, 1);
}

static inline void
allocfail_disarm(void)
{
	allocfail_at = -1;
}

static bool
allocfail_now(void)
{
	long i;

	if (allocfail_at < 0)
		return false;
	i = allocfail_count++;
	if (i < allocfail_at || i >= allocfail_at + allocfail_run)
		return false;
	allocfail_hit++;
	return true;
}

void *
__wrap_malloc(size_t n)
{
	return allocfail_now() ? NULL : __real_malloc(n);
}

void *
__wrap_calloc(size_t n, size_t size)
{
	return allocfail_now() ? NULL : __real_calloc(n, size);
}

void *
__wrap_realloc(void *p, size_t n)
{
	return allocfail_now() ? NULL : __real_realloc(p, n);
}

char *
__wrap_strdup(const char *s)
{
	return allocfail_now() ? NULL : __real_strdup(s);
}

char *
__wrap_strndup(const char *s, size_t n)
{
	return allocfail_now() ? NULL : __real_strndup(s, n);
}

#endif
