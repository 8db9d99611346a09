/* Unit tests: signal names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>

#include "signames.h"

static void
test_names_with_and_without_sig(void **state)
{
	(void)state;
	assert_int_equal(sig_parse("TERM"), SIGTERM);
	assert_int_equal(sig_parse("SIGTERM"), SIGTERM);
	assert_int_equal(sig_parse("sigterm"), SIGTERM);
	assert_int_equal(sig_parse("hup"), SIGHUP);
	assert_int_equal(sig_parse("WINCH"), SIGWINCH);
	assert_int_equal(sig_parse("PWR"), SIGPWR);
	assert_int_equal(sig_parse("CLD"), SIGCHLD);
	assert_int_equal(sig_parse("IOT"), SIGABRT);
}

static void
test_numbers(void **state)
{
	(void)state;
	assert_int_equal(sig_parse("15"), 15);
	assert_int_equal(sig_parse("0"), 0);
	assert_int_equal(sig_parse("64"), SIGRTMAX);
	assert_int_equal(sig_parse("65"), -1);
	assert_int_equal(sig_parse("9x"), -1);
	assert_int_equal(sig_parse("99999999999999999999"), -1);
}

static void
test_realtime(void **state)
{
	(void)state;
	assert_int_equal(sig_parse("RTMIN"), 34);
	assert_int_equal(sig_parse("SIGRTMIN+3"), 37);
	assert_int_equal(sig_parse("rtmax-1"), SIGRTMAX - 1);
	assert_int_equal(sig_parse("RTMIN+99"), -1);
	assert_int_equal(sig_parse("RTMIN+"), -1);
	assert_int_equal(sig_parse("RTMIN-1"), -1);
}

static void
test_invalid(void **state)
{
	(void)state;
	assert_int_equal(sig_parse(""), -1);
	assert_int_equal(sig_parse(NULL), -1);
	assert_int_equal(sig_parse("SIG"), -1);
	assert_int_equal(sig_parse("TERMX"), -1);
	assert_int_equal(sig_parse("-1"), -1);
	assert_int_equal(sig_parse(" TERM"), -1);
}

static void
test_names(void **state)
{
	char buf[16];

	(void)state;
	assert_string_equal(sig_name(SIGTERM, buf, sizeof(buf)), "TERM");
	assert_string_equal(sig_name(SIGABRT, buf, sizeof(buf)), "ABRT");
	assert_string_equal(sig_name(SIGCHLD, buf, sizeof(buf)), "CHLD");
	assert_string_equal(sig_name(37, buf, sizeof(buf)), "RTMIN+3");
	assert_string_equal(sig_name(200, buf, sizeof(buf)), "200");
	/* Every name round-trips. */
	for (int s = 1; s <= SIGRTMAX; s++)
		assert_int_equal(sig_parse(sig_name(s, buf, sizeof(buf))), s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_with_and_without_sig),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_realtime),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
