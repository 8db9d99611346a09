/* Unit tests: sexton command-line parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>

#include "options.h"

static struct options opts;
static char err[256];

/* argv must outlive the call: opts.command points into it. */
static char *argv_store[32];

static enum opt_result
parse_argv(char *const *args, int n)
{
	argv_store[0] = "sexton";
	for (int i = 0; i < n; i++)
		argv_store[i + 1] = args[i];
	argv_store[n + 1] = NULL;
	return opt_parse(n + 1, argv_store, &opts, err, sizeof(err));
}

#define PARSE(...)                                                                                 \
	parse_argv((char *const[]){ __VA_ARGS__ },                                                 \
		   (int)(sizeof((char *const[]){ __VA_ARGS__ }) / sizeof(char *)))

static void
test_command_after_double_dash(void **state)
{
	(void)state;
	assert_int_equal(PARSE("-v", "--", "prog", "-x", "y"), OPT_RUN);
	assert_non_null(opts.command);
	assert_string_equal(opts.command[0], "prog");
	assert_string_equal(opts.command[1], "-x");
	assert_string_equal(opts.command[2], "y");
	assert_null(opts.command[3]);
	assert_int_equal(opts.verbosity, 1);
}

static void
test_options_stop_at_first_non_option(void **state)
{
	(void)state;
	/* "sexton prog -g": -g belongs to prog, as with tini. */
	assert_int_equal(PARSE("prog", "-g"), OPT_RUN);
	assert_false(opts.pgroup);
	assert_string_equal(opts.command[1], "-g");
}

static void
test_no_command(void **state)
{
	(void)state;
	assert_int_equal(PARSE("-q"), OPT_RUN);
	assert_null(opts.command);
	assert_int_equal(opts.verbosity, -1);
}

static void
test_all_flags(void **state)
{
	(void)state;
	assert_int_equal(PARSE("-c", "/x.conf", "-s", "-g", "-S", "/s.sock", "-p", "SIGKILL", "-w",
			       "--check-config", "--", "p"),
			 OPT_RUN);
	assert_true(opts.warn_reaped);
	assert_string_equal(opts.config_path, "/x.conf");
	assert_string_equal(opts.socket_path, "/s.sock");
	assert_true(opts.subreaper);
	assert_true(opts.pgroup);
	assert_true(opts.check_config);
	assert_int_equal(opts.pdeathsig, SIGKILL);
}

static void
test_long_flags(void **state)
{
	(void)state;
	assert_int_equal(PARSE("--config=/a", "--pgroup", "--remap-exit", "143", "--pdeathsig=9",
			       "--rewrite", "TERM:QUIT", "--socket", "/b", "--verbose", "--warn-reaped",
			       "--", "p"),
			 OPT_RUN);
	assert_true(opts.warn_reaped);
	assert_string_equal(opts.config_path, "/a");
	assert_true(opts.pgroup);
	assert_int_equal(opts.nremap, 1);
	assert_int_equal(opts.remap[0], 143);
	assert_int_equal(opts.pdeathsig, 9);
	assert_int_equal(opt_rewrite_signal(&opts, SIGTERM), SIGQUIT);
}

static void
test_remap_repeatable(void **state)
{
	(void)state;
	assert_int_equal(PARSE("-e", "1", "-e", "143", "-e", "0", "--", "p"), OPT_RUN);
	assert_int_equal(opts.nremap, 3);
	assert_int_equal(opts.remap[1], 143);
}

static void
test_remap_rejects_bad_codes(void **state)
{
	(void)state;
	assert_int_equal(PARSE("-e", "256", "--", "p"), OPT_ERROR);
	assert_non_null(strstr(err, "256"));
	assert_int_equal(PARSE("-e", "-1", "--", "p"), OPT_ERROR);
	assert_int_equal(PARSE("-e", "3x", "--", "p"), OPT_ERROR);
	assert_int_equal(PARSE("-e", "", "--", "p"), OPT_ERROR);
}

static void
test_rewrite(void **state)
{
	(void)state;
	assert_int_equal(PARSE("-r", "USR1:USR2", "-r", "15:0", "-r", "SIGHUP:SIGINT", "--", "p"),
			 OPT_RUN);
	assert_int_equal(opt_rewrite_signal(&opts, SIGUSR1), SIGUSR2);
	assert_int_equal(opt_rewrite_signal(&opts, SIGTERM), 0);
	assert_int_equal(opt_rewrite_signal(&opts, SIGHUP), SIGINT);
	assert_int_equal(opt_rewrite_signal(&opts, SIGWINCH), SIGWINCH);
	assert_int_equal(opt_rewrite_signal(&opts, SIGRTMIN + 2), SIGRTMIN + 2);
}

static void
test_rewrite_errors(void **state)
{
	(void)state;
	assert_int_equal(PARSE("-r", "USR1", "--", "p"), OPT_ERROR);
	assert_non_null(strstr(err, "FROM:TO"));
	assert_int_equal(PARSE("-r", ":USR1", "--", "p"), OPT_ERROR);
	assert_int_equal(PARSE("-r", "NOPE:USR1", "--", "p"), OPT_ERROR);
	assert_int_equal(PARSE("-r", "USR1:NOPE", "--", "p"), OPT_ERROR);
	assert_int_equal(PARSE("-r", "0:TERM", "--", "p"), OPT_ERROR);
	assert_int_equal(PARSE("-r", "USR1:99", "--", "p"), OPT_ERROR);
}

static void
test_pdeathsig_errors(void **state)
{
	(void)state;
	assert_int_equal(PARSE("-p", "NOPE", "--", "p"), OPT_ERROR);
	assert_int_equal(PARSE("-p", "0", "--", "p"), OPT_ERROR);
}

static void
test_help_version_unknown(void **state)
{
	(void)state;
	assert_int_equal(PARSE("-h"), OPT_HELP);
	assert_int_equal(PARSE("--version"), OPT_VERSION);
	assert_int_equal(PARSE("--bogus"), OPT_ERROR);
	assert_non_null(strstr(err, "--bogus"));
	assert_int_equal(PARSE("-x"), OPT_ERROR);
	assert_non_null(strstr(err, "-x"));
	assert_int_equal(PARSE("-c"), OPT_ERROR);
}

static void
test_reparse_resets_state(void **state)
{
	(void)state;
	assert_int_equal(PARSE("-g", "-e", "1", "--", "a"), OPT_RUN);
	assert_int_equal(PARSE("--", "b"), OPT_RUN);
	assert_false(opts.pgroup);
	assert_int_equal(opts.nremap, 0);
	assert_string_equal(opts.command[0], "b");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_command_after_double_dash),
		cmocka_unit_test(test_options_stop_at_first_non_option),
		cmocka_unit_test(test_no_command),
		cmocka_unit_test(test_all_flags),
		cmocka_unit_test(test_long_flags),
		cmocka_unit_test(test_remap_repeatable),
		cmocka_unit_test(test_remap_rejects_bad_codes),
		cmocka_unit_test(test_rewrite),
		cmocka_unit_test(test_rewrite_errors),
		cmocka_unit_test(test_pdeathsig_errors),
		cmocka_unit_test(test_help_version_unknown),
		cmocka_unit_test(test_reparse_resets_state),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
