/* Unit tests: pid → service map. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>

#include "pidmap.h"

#define V(n) ((void *)(uintptr_t)(n))

static void
test_put_get_del(void **state)
{
	struct pidmap m;

	(void)state;
	assert_int_equal(pidmap_init(&m, 4), 0);
	assert_null(pidmap_get(&m, 42));
	assert_int_equal(pidmap_put(&m, 42, V(1)), 0);
	assert_int_equal(pidmap_put(&m, 43, V(2)), 0);
	assert_ptr_equal(pidmap_get(&m, 42), V(1));
	assert_int_equal(pidmap_put(&m, 42, V(3)), 0); /* replace */
	assert_int_equal(m.count, 2);
	assert_ptr_equal(pidmap_del(&m, 42), V(3));
	assert_null(pidmap_get(&m, 42));
	assert_null(pidmap_del(&m, 42));
	assert_ptr_equal(pidmap_get(&m, 43), V(2));
	pidmap_free(&m);
}

static void
test_half_full_grows(void **state)
{
	struct pidmap m;
	int i;

	(void)state;
	assert_int_equal(pidmap_init(&m, 1), 0); /* capacity 16: 8 fit */
	for (i = 1; i <= 8; i++)
		assert_int_equal(pidmap_put(&m, i, V(i)), 0);
	assert_int_equal(m.mask + 1, 16);
	assert_int_equal(pidmap_put(&m, 9, V(9)), 0);
	assert_true(m.mask + 1 >= 32);
	assert_int_equal(m.nspill, 0);
	assert_int_equal(pidmap_reserve(&m, 100), 0);
	assert_int_equal(m.mask + 1, 256);
	for (i = 1; i <= 9; i++)
		assert_ptr_equal(pidmap_get(&m, i), V(i));
	assert_int_equal(m.count, 9);
	pidmap_free(&m);
}

/* Random churn against a reference array: deletion must keep every
 * remaining entry reachable (the backward-shift is the subtle part). */
static void
test_churn_matches_reference(void **state)
{
	enum { N = 3000, PIDS = 4096 };
	static uintptr_t ref[PIDS];
	struct pidmap m;
	int i, pid;

	(void)state;
	srand(7);
	assert_int_equal(pidmap_init(&m, N), 0);
	for (i = 0; i < 200000; i++) {
		pid = 1 + rand() % (PIDS - 1);
		if (rand() % 3 == 0) {
			assert_ptr_equal(pidmap_del(&m, pid), ref[pid] ? V(ref[pid]) : NULL);
			ref[pid] = 0;
		} else if (m.count < N || ref[pid]) {
			assert_int_equal(pidmap_put(&m, pid, V(i + 1)), 0);
			ref[pid] = (uintptr_t)(i + 1);
		}
		if (i % 1000 == 0)
			for (int p = 1; p < PIDS; p++)
				assert_ptr_equal(pidmap_get(&m, p), ref[p] ? V(ref[p]) : NULL);
	}
	pidmap_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_del),
		cmocka_unit_test(test_half_full_grows),
		cmocka_unit_test(test_churn_matches_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
