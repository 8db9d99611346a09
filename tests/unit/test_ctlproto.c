/* Unit tests: control requests, every malformed shape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "ctlproto.h"

static struct ctl_request req;
static const char *err;
static char buf[CTL_MAX_REQUEST + 16];

static int
parse(const char *s)
{
	size_t len = strlen(s);

	memcpy(buf, s, len + 1);
	err = NULL;
	return ctl_parse(buf, len, &req, &err);
}

static void
test_good_requests(void **state)
{
	(void)state;
	assert_int_equal(parse("status"), 0);
	assert_int_equal(req.cmd, CTL_STATUS);
	assert_int_equal(req.argc, 0);
	assert_int_equal(parse("status web db"), 0);
	assert_int_equal(req.argc, 2);
	assert_string_equal(req.argv[1], "db");
	assert_int_equal(parse("signal web SIGHUP"), 0);
	assert_int_equal(req.cmd, CTL_SIGNAL);
	assert_int_equal(parse("log web -n 5 -f"), 0);
	assert_int_equal(parse("  wait   web  "), 0); /* runs of spaces are tolerated */
	assert_string_equal(req.argv[0], "web");
}

static void
test_bad_requests(void **state)
{
	char *big;

	(void)state;
	assert_int_equal(parse(""), -1);
	assert_string_equal(err, "empty request");
	assert_int_equal(parse("   "), -1);
	assert_int_equal(parse("frobnicate"), -1);
	assert_string_equal(err, "unknown command");
	assert_int_equal(parse("STATUS"), -1);
	assert_int_equal(parse("status\tweb"), -1);
	assert_string_equal(err, "control byte in request");
	assert_int_equal(parse("status web\r"), -1);
	assert_int_equal(parse("signal web"), -1);
	assert_string_equal(err, "wrong number of arguments");
	assert_int_equal(parse("signal a b c"), -1);
	assert_int_equal(parse("start"), -1);
	assert_int_equal(parse("reload now"), -1);
	assert_int_equal(parse("log a b c d e"), -1);
	memcpy(buf, "status a\0b", 10); /* an embedded NUL is a control byte */
	assert_int_equal(ctl_parse(buf, 10, &req, &err), -1);
	big = malloc(CTL_MAX_REQUEST + 1);
	memset(big, 'a', CTL_MAX_REQUEST);
	memcpy(big, "status ", 7);
	big[CTL_MAX_REQUEST] = '\0';
	assert_int_equal(parse(big), -1);
	assert_string_equal(err, "request too long");
	free(big);
}

static void
test_too_many_words(void **state)
{
	char s[1024] = "status";
	int i;

	(void)state;
	for (i = 0; i < CTL_MAX_WORDS; i++)
		strcat(s, " x");
	assert_int_equal(parse(s), 0);
	assert_int_equal(req.argc, CTL_MAX_WORDS);
	strcat(s, " y");
	assert_int_equal(parse(s), -1);
}

static void
test_read_only_table(void **state)
{
	(void)state;
	assert_true(ctl_read_only(CTL_STATUS));
	assert_true(ctl_read_only(CTL_LOG));
	assert_true(ctl_read_only(CTL_WAIT));
	assert_false(ctl_read_only(CTL_START));
	assert_false(ctl_read_only(CTL_SIGNAL));
	assert_false(ctl_read_only(CTL_RELOAD));
	assert_false(ctl_read_only(CTL_SHUTDOWN));
	assert_string_equal(ctl_name(CTL_RESTART), "restart");
}

static void
test_options(void **state)
{
	struct ctl_opts o;

	(void)state;
	assert_int_equal(parse("log web -n 20 -f"), 0);
	assert_int_equal(ctl_parse_opts(&req, &o, &err), 0);
	assert_int_equal(o.lines, 20);
	assert_true(o.follow);
	assert_int_equal(o.nnames, 1);
	assert_int_equal(parse("log web -n 99999"), 0);
	assert_int_equal(ctl_parse_opts(&req, &o, &err), 0);
	assert_int_equal(o.lines, 1000);
	assert_int_equal(parse("wait web --timeout 2.5"), 0);
	assert_int_equal(ctl_parse_opts(&req, &o, &err), 0);
	assert_true(o.timeout > 2.4 && o.timeout < 2.6);
	assert_int_equal(parse("start a b --no-wait"), 0);
	assert_int_equal(ctl_parse_opts(&req, &o, &err), 0);
	assert_true(o.no_wait);
	assert_int_equal(o.nnames, 2);
	assert_int_equal(parse("status web --rows"), 0);
	assert_int_equal(ctl_parse_opts(&req, &o, &err), 0);
	assert_true(o.rows);
	assert_int_equal(o.nnames, 1);
	assert_int_equal(parse("log web -n"), 0);
	assert_int_equal(ctl_parse_opts(&req, &o, &err), -1);
	assert_int_equal(parse("log web -n -3"), 0);
	assert_int_equal(ctl_parse_opts(&req, &o, &err), -1);
	assert_int_equal(parse("wait web --timeout nan"), 0);
	assert_int_equal(ctl_parse_opts(&req, &o, &err), -1);
	assert_int_equal(parse("start web --force"), 0);
	assert_int_equal(ctl_parse_opts(&req, &o, &err), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_requests), cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_too_many_words), cmocka_unit_test(test_read_only_table),
		cmocka_unit_test(test_options),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
