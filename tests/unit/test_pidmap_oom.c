/* Unit tests: the pid map when it cannot grow. A service pid put while
 * memory is short must stay findable (in the spill), the next growth must
 * bring it into the table, and a full spill must refuse without losing or
 * changing anything. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>

#include "allocfail.h"
#include "pidmap.h"

#define V(n) ((void *)(uintptr_t)(n))

/* A map of capacity 16 holding pids 1..8: the next new pid must grow it. */
static void
fill_half(struct pidmap *m)
{
	int i;

	assert_int_equal(pidmap_init(m, 1), 0);
	for (i = 1; i <= 8; i++)
		assert_int_equal(pidmap_put(m, i, V(i)), 0);
}

/* fill_half, then with memory gone (allocfail left armed) pids 100..
 * fill the spill, and none is refused. */
static void
fill_both_without_memory(struct pidmap *m)
{
	int i;

	fill_half(m);
	allocfail_arm_run(0, 1000);
	for (i = 100; i < 100 + PIDMAP_SPILL; i++)
		assert_int_equal(pidmap_put(m, i, V(i)), 0);
	assert_int_equal(m->nspill, PIDMAP_SPILL);
	assert_int_equal(m->mask + 1, 16);
}

static void
test_spilled_pid_is_found_and_deleted(void **state)
{
	struct pidmap m;
	int i;

	(void)state;
	fill_half(&m);
	allocfail_arm_run(0, 1000);
	assert_int_equal(pidmap_put(&m, 100, V(100)), 0);
	assert_int_equal(pidmap_put(&m, 101, V(101)), 0);
	assert_int_equal(pidmap_put(&m, 100, V(200)), 0); /* replace in the spill */
	allocfail_disarm();
	assert_true(allocfail_hit >= 2);
	assert_int_equal(m.mask + 1, 16);
	assert_int_equal(m.nspill, 2);
	assert_ptr_equal(pidmap_get(&m, 100), V(200));
	assert_ptr_equal(pidmap_get(&m, 101), V(101));
	assert_null(pidmap_get(&m, 102));
	for (i = 1; i <= 8; i++)
		assert_ptr_equal(pidmap_get(&m, i), V(i));
	assert_ptr_equal(pidmap_del(&m, 100), V(200));
	assert_null(pidmap_get(&m, 100));
	assert_null(pidmap_del(&m, 100));
	assert_int_equal(m.nspill, 1);
	assert_ptr_equal(pidmap_get(&m, 101), V(101));
	pidmap_free(&m);
}

static void
test_next_growth_empties_the_spill(void **state)
{
	struct pidmap m;
	int i;

	(void)state;
	fill_both_without_memory(&m);
	allocfail_disarm();
	assert_int_equal(pidmap_put(&m, 500, V(500)), 0); /* memory is back */
	assert_int_equal(m.nspill, 0);
	assert_int_equal(m.count, 8 + PIDMAP_SPILL + 1);
	assert_true((m.count) * 2 <= m.mask + 1);
	for (i = 1; i <= 8; i++)
		assert_ptr_equal(pidmap_get(&m, i), V(i));
	for (i = 100; i < 100 + PIDMAP_SPILL; i++)
		assert_ptr_equal(pidmap_del(&m, i), V(i));
	assert_ptr_equal(pidmap_get(&m, 500), V(500));
	assert_int_equal(m.count, 9);
	pidmap_free(&m);
}

static void
test_reserve_empties_the_spill(void **state)
{
	struct pidmap m;

	(void)state;
	fill_half(&m);
	allocfail_arm_run(0, 1000);
	assert_int_equal(pidmap_put(&m, 100, V(100)), 0);
	assert_int_equal(pidmap_reserve(&m, 64), -ENOMEM);
	allocfail_disarm();
	assert_int_equal(m.nspill, 1);
	assert_ptr_equal(pidmap_get(&m, 100), V(100));
	assert_int_equal(pidmap_reserve(&m, 64), 0);
	assert_int_equal(m.nspill, 0);
	assert_int_equal(m.count, 9);
	assert_ptr_equal(pidmap_get(&m, 100), V(100));
	pidmap_free(&m);
}

static void
test_full_spill_refuses_and_keeps_the_rest(void **state)
{
	struct pidmap m;
	int i;

	(void)state;
	fill_both_without_memory(&m);
	assert_int_equal(pidmap_put(&m, 999, V(999)), -ENOMEM);
	assert_int_equal(pidmap_put(&m, 100, V(7)), 0); /* a replace needs no room */
	allocfail_disarm();
	assert_null(pidmap_get(&m, 999));
	assert_ptr_equal(pidmap_get(&m, 100), V(7));
	for (i = 101; i < 100 + PIDMAP_SPILL; i++)
		assert_ptr_equal(pidmap_get(&m, i), V(i));
	for (i = 1; i <= 8; i++)
		assert_ptr_equal(pidmap_get(&m, i), V(i));
	assert_int_equal(m.count, 8);
	pidmap_free(&m);
}

/* Random churn from an empty map, with memory gone in every other phase
 * of 500 operations: the map must always agree with a reference array,
 * and refuse a put only when it could neither grow nor spill. */
static void
test_churn_with_memory_coming_and_going(void **state)
{
	enum { PIDS = 2048 };
	static uintptr_t ref[PIDS];
	struct pidmap m;
	int i, p, pid, rc, refused = 0;
	size_t spill_before;

	(void)state;
	srand(11);
	assert_int_equal(pidmap_init(&m, 1), 0);
	for (i = 0; i < 100000; i++) {
		if (i % 500 == 0) {
			if ((i / 500) % 2)
				allocfail_arm_run(0, 1L << 30);
			else
				allocfail_disarm();
		}
		pid = 1 + rand() % (PIDS - 1);
		if (rand() % 3 == 0) {
			assert_ptr_equal(pidmap_del(&m, pid), ref[pid] ? V(ref[pid]) : NULL);
			ref[pid] = 0;
			continue;
		}
		spill_before = m.nspill;
		rc = pidmap_put(&m, pid, V(i + 1));
		if (rc == 0) {
			ref[pid] = (uintptr_t)(i + 1);
		} else {
			assert_int_equal(rc, -ENOMEM);
			assert_int_equal(ref[pid], 0);
			assert_int_equal(spill_before, PIDMAP_SPILL);
			refused++;
		}
		if (i % 250 == 0)
			for (p = 1; p < PIDS; p++)
				assert_ptr_equal(pidmap_get(&m, p), ref[p] ? V(ref[p]) : NULL);
	}
	allocfail_disarm();
	assert_true(refused > 0);
	pidmap_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spilled_pid_is_found_and_deleted),
		cmocka_unit_test(test_next_growth_empties_the_spill),
		cmocka_unit_test(test_reserve_empties_the_spill),
		cmocka_unit_test(test_full_spill_refuses_and_keeps_the_rest),
		cmocka_unit_test(test_churn_with_memory_coming_and_going),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
