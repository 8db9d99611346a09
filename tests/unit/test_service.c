/* Unit tests: the backoff arithmetic of the service state machine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "service.h"

static void
test_doubles_per_failure(void **state)
{
	(void)state;
	assert_float_equal(svc_backoff_delay(1, 60, 1), 1, 1e-9);
	assert_float_equal(svc_backoff_delay(1, 60, 2), 2, 1e-9);
	assert_float_equal(svc_backoff_delay(1, 60, 3), 4, 1e-9);
	assert_float_equal(svc_backoff_delay(0.25, 60, 5), 4, 1e-9);
}

static void
test_capped_at_max(void **state)
{
	(void)state;
	assert_float_equal(svc_backoff_delay(1, 60, 7), 60, 1e-9);	/* 64 → 60 */
	assert_float_equal(svc_backoff_delay(1, 60, 1000000), 60, 1e-9); /* no overflow, no loop */
	assert_float_equal(svc_backoff_delay(5, 3, 1), 3, 1e-9);
}

static void
test_zero_delay_stays_zero(void **state)
{
	(void)state;
	assert_float_equal(svc_backoff_delay(0, 60, 1), 0, 1e-9);
	assert_float_equal(svc_backoff_delay(0, 60, 50), 0, 1e-9);
	assert_float_equal(svc_backoff_delay(1, 60, 0), 1, 1e-9); /* before any failure */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doubles_per_failure),
		cmocka_unit_test(test_capped_at_max),
		cmocka_unit_test(test_zero_delay_stays_zero),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
