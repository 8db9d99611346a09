/* Unit tests: /proc/PID/stat parsing used by the subreaper sweep. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sweep.h"

static void
test_plain(void **state)
{
	pid_t ppid = -1;

	(void)state;
	assert_int_equal(sweep_parse_ppid("1234 (sleep) S 77 1234 1234 0 -1 4194560", &ppid), 0);
	assert_int_equal(ppid, 77);
}

static void
test_comm_with_spaces_and_parens(void **state)
{
	pid_t ppid = -1;

	(void)state;
	assert_int_equal(sweep_parse_ppid("9 (a) b (c) R 42 9 9", &ppid), 0);
	assert_int_equal(ppid, 42);
	assert_int_equal(sweep_parse_ppid("9 ()) Z 5 9 9", &ppid), 0);
	assert_int_equal(ppid, 5);
}

static void
test_truncated(void **state)
{
	pid_t ppid = -1;

	(void)state;
	assert_int_equal(sweep_parse_ppid("", &ppid), -1);
	assert_int_equal(sweep_parse_ppid("9 (x", &ppid), -1);
	assert_int_equal(sweep_parse_ppid("9 (x)", &ppid), -1);
	assert_int_equal(sweep_parse_ppid("9 (x) S", &ppid), -1);
	assert_int_equal(sweep_parse_ppid("9 (x) S ", &ppid), -1);
	assert_int_equal(sweep_parse_ppid("9 (x) S x", &ppid), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_comm_with_spaces_and_parens),
		cmocka_unit_test(test_truncated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
