/*
 * config under memory pressure: every allocation the parser makes is made
 * to fail in turn, one per parse (allocfail.h). Each such parse must fail
 * with "out of memory" (never succeed with a configuration it silently
 * cut short), leave *OUT owning nothing, and leak nothing (LeakSanitizer
 * fails the run at exit otherwise). This is the path a reload takes when
 * memory is short, and PID 1 must survive it with its old configuration
 * intact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allocfail.h"
#include "config.h"

#define ETC "tests/fixtures/etc"

/* Whether ERRS holds the parser's "out of memory", naming the file that
 * was parsed (even when the failure came before the file was recorded). */
static bool
says_out_of_memory(const struct cfg_errors *errs)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		if (strcmp(errs->v[i].msg, "out of memory") == 0 &&
		    strcmp(errs->v[i].file, "t.conf") == 0)
			return true;
	return false;
}

static bool
all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--)
		if (*b++)
			return false;
	return true;
}

/*
 * Parse TEXT once with no failure (it must be valid: the count of its
 * allocations comes from this run, and WANT_ERRORS of them are expected),
 * then once per allocation with that one failing. Returns how many
 * allocations a whole parse makes.
 */
static long
sweep(const char *text, size_t want_errors)
{
	struct cfg_errors errs;
	struct cfg cfg;
	long n, total;
	int rc;

	memset(&errs, 0, sizeof(errs));
	allocfail_arm(-1);
	rc = cfg_parse_string(text, "t.conf", ETC, &cfg, &errs);
	allocfail_disarm();
	total = allocfail_count;
	assert_int_equal(errs.n, want_errors);
	assert_int_equal(rc, want_errors ? -1 : 0);
	cfg_errors_free(&errs);
	cfg_free(&cfg);
	assert_true(total > 10);

	for (n = 0; n < total; n++) {
		memset(&errs, 0, sizeof(errs));
		allocfail_arm(n);
		rc = cfg_parse_string(text, "t.conf", ETC, &cfg, &errs);
		allocfail_disarm();
		assert_true(allocfail_hit);
		if (rc == 0) {
			print_error("allocation %ld of %ld failed and the parse still succeeded\n",
				    n, total);
			fail();
		}
		assert_int_equal(rc, -1);
		/* The first allocation is the room for this very message: with
		 * it gone there is nowhere to say it, and nothing else is. */
		if (n > 0 && !says_out_of_memory(&errs)) {
			print_error("allocation %ld of %ld failed: no 'out of memory' among "
				    "%zu error(s)\n", n, total, errs.n);
			fail();
		}
		assert_true(all_zero(&cfg, sizeof(cfg)));
		cfg_errors_free(&errs);
	}
	return total;
}

/* Every section and most keys, mounts with options, several services
 * with dependencies, users and groups, words with quotes. */
static const char full[] =
	"[sexton]\n"
	"socket = /run/x.sock\n"
	"socket_mode = 0660\n"
	"socket_group = staff\n"
	"log_level = debug\n"
	"stop_timeout = 3\n"
	"kill_timeout = 2\n"
	"watch_interval = 5\n"
	"hung_threshold = 20\n"
	"\n"
	"[system]\n"
	"hostname = board\n"
	"mounts = proc:/proc:proc sysfs:/sys:sysfs tmpfs:/run//x/:tmpfs:nosuid,nodev,mode=0755 "
	"devpts:/dev/pts:devpts:gid=5,mode=620\n"
	"ctrl_alt_del = poweroff\n"
	"\n"
	"[service:db]\n"
	"command = /usr/bin/db --data \"/var/lib/db files\" 'x y'\n"
	"type = notify\n"
	"ready_fd = 3\n"
	"watchdog = 10\n"
	"user = www-data\n"
	"group = users\n"
	"environment = A=1 B=\"two words\" C=\n"
	"output = tagged\n"
	"\n"
	"[service:migrate]\n"
	"type = oneshot\n"
	"command = sh -c 'echo migrating'\n"
	"depends = db\n"
	"\n"
	"[service:web]\n"
	"command = /srv/web\n"
	"depends = db migrate\n"
	"user = alice\n"
	"directory = /srv\n"
	"environment_file = /etc/default/web\n"
	"umask = 027\n"
	"rlimit_nofile = 4096\n"
	"restart = always\n"
	"restart_delay = 0.5\n"
	"restart_delay_max = 8\n"
	"start_limit = 3/30\n"
	"stop_signal = INT\n"
	"critical = yes\n"
	"output = file:/var/log/web.log\n"
	"log_max_size = 1M\n"
	"log_keep = 2\n";

/* Errors of many kinds: the error list grows under pressure too. */
static const char broken[] =
	"[sexton]\n"
	"log_level = loud\n"
	"bogus = 1\n"
	"[nosuch]\n"
	"[service:a]\n"
	"command = /bin/a\n"
	"depends = b ghost\n"
	"[service:b]\n"
	"command = /bin/b\n"
	"depends = a\n"
	"user = nobody-here\n"
	"[service:a]\n"
	"command = /bin/a2\n"
	"[service:c]\n"
	"type = sometimes\n"
	"[system]\n"
	"mounts = a:/mnt/../x:tmpfs b:/ok:tmpfs c:rel:tmpfs d:/y:tmpfs:size=1m\n";

static void
test_every_allocation_failing_in_a_valid_configuration(void **state)
{
	(void)state;
	sweep(full, 0);
}

static void
test_every_allocation_failing_in_a_configuration_with_errors(void **state)
{
	struct cfg_errors errs = { 0 };
	struct cfg cfg;
	size_t n;

	(void)state;
	/* How many errors BROKEN has is the unit tests' business elsewhere;
	 * here it only has to be the same on every run. */
	assert_int_equal(cfg_parse_string(broken, "t.conf", ETC, &cfg, &errs), -1);
	n = errs.n;
	cfg_errors_free(&errs);
	assert_true(n >= 8);
	sweep(broken, n);
}

/* A failing parse appends to earlier errors and keeps them (a reload
 * reports what it was given and what it found). */
static void
test_earlier_errors_survive_a_parse_that_runs_out_of_memory(void **state)
{
	struct cfg_errors errs = { 0 };
	struct cfg cfg;

	(void)state;
	assert_int_equal(cfg_parse_string("[x]\n", "first.conf", ETC, &cfg, &errs), -1);
	assert_int_equal(errs.n, 1);
	allocfail_arm(3);
	assert_int_equal(cfg_parse_string(full, "t.conf", ETC, &cfg, &errs), -1);
	allocfail_disarm();
	assert_true(errs.n >= 2);
	assert_string_equal(errs.v[0].file, "first.conf");
	assert_true(says_out_of_memory(&errs));
	cfg_errors_free(&errs);
}

static void
collect_line(void *arg, const char *line)
{
	char *out = arg;

	if (*out)
		strcat(out, "|");
	strncat(out, line, 100);
}

/* Out of memory before even one error could be kept: -1 and no error,
 * and cfg_errors_each still says why (what sexton prints at start and on
 * a reload). */
static void
test_no_room_for_any_error_still_says_out_of_memory(void **state)
{
	struct cfg_errors errs = { 0 };
	char lines[256] = "";
	struct cfg cfg;

	(void)state;
	allocfail_arm(0);
	assert_int_equal(cfg_parse_string(full, "t.conf", ETC, &cfg, &errs), -1);
	allocfail_disarm();
	assert_true(allocfail_hit);
	assert_int_equal(errs.n, 0);
	assert_true(all_zero(&cfg, sizeof(cfg)));
	assert_int_equal(cfg_errors_each(&errs, collect_line, lines), 1);
	assert_string_equal(lines, "out of memory");

	/* With errors kept, each line as FILE:LINE: message. */
	lines[0] = '\0';
	assert_int_equal(cfg_parse_string("[x]\n[service:a]\n", "t.conf", ETC, &cfg, &errs), -1);
	assert_int_equal(cfg_errors_each(&errs, collect_line, lines), 2);
	assert_string_equal(lines, "t.conf:1: unknown section [x] (expected [sexton], [service:NAME] "
				   "or [system])|t.conf:2: service a: missing command");
	cfg_errors_free(&errs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_allocation_failing_in_a_valid_configuration),
		cmocka_unit_test(test_every_allocation_failing_in_a_configuration_with_errors),
		cmocka_unit_test(test_earlier_errors_survive_a_parse_that_runs_out_of_memory),
		cmocka_unit_test(test_no_room_for_any_error_still_says_out_of_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
