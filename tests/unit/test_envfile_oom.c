/*
 * envfile under memory pressure: each allocation of a parse fails in turn
 * (allocfail.h). The parse must say -ENOMEM, keep what it had appended
 * consistent for env_free, and leak nothing (LeakSanitizer). PID 1 builds
 * a service's environment this way before every spawn.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "allocfail.h"
#include "envfile.h"

/* Enough lines for the vector to grow past its first 16 slots, a bad line
 * and a key given twice. */
static const char text[] =
	"# defaults\n"
	"A=1\nB=2\nC=3\nD=4\nE=5\nF=6\nG=7\nH=8\n"
	"export I=\"nine\"\nJ='ten'\nK=11\nL=12\nM=13\nN=14\nO=15\nP=16\nQ=17\n"
	"not an assignment\n"
	"A=again\n";

static void
test_every_allocation_failing_in_a_parse(void **state)
{
	struct env_vec env = { 0 };
	long n, total;
	int rc;

	(void)state;
	allocfail_arm(-1);
	rc = envfile_parse(text, strlen(text), &env);
	allocfail_disarm();
	total = allocfail_count;
	assert_int_equal(rc, 19); /* the bad line */
	assert_int_equal(env.n, 18);
	env_free(&env);
	assert_true(total >= 19);

	for (n = 0; n < total; n++) {
		allocfail_arm(n);
		rc = envfile_parse(text, strlen(text), &env);
		allocfail_disarm();
		assert_true(allocfail_hit);
		assert_int_equal(rc, -ENOMEM);
		assert_true(env.n <= 18);
		if (env.n)
			assert_null(env.v[env.n]);
		env_dedupe(&env);
		env_free(&env);
	}
}

/* The file's buffer is freed on the way out of a parse that failed. */
static void
test_every_allocation_failing_in_a_read(void **state)
{
	char path[] = "/tmp/sexton-envfile-oom-XXXXXX";
	struct env_vec env = { 0 };
	int fd = mkstemp(path), rc;
	long n, total;

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	allocfail_arm(-1);
	rc = envfile_read(path, &env);
	allocfail_disarm();
	total = allocfail_count;
	assert_int_equal(rc, 19);
	env_free(&env);
	for (n = 0; n < total; n++) {
		allocfail_arm(n);
		rc = envfile_read(path, &env);
		allocfail_disarm();
		assert_true(allocfail_hit);
		assert_int_equal(rc, -ENOMEM);
		env_free(&env);
	}
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_allocation_failing_in_a_parse),
		cmocka_unit_test(test_every_allocation_failing_in_a_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
