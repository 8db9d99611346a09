/* Unit tests: environment_file parsing and environment merging. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envfile.h"

static void
test_parse_lines(void **state)
{
	const char *text = "# comment\n\nA=1\nexport B=two words\n  C = x\nD=\"quoted\"\n"
			   "E='single'\nF=\nG=a=b\n";
	struct env_vec env = { 0 };

	(void)state;
	/* "  C = x": a space before '=' is not a shell assignment: line 5. */
	assert_int_equal(envfile_parse(text, strlen(text), &env), 5);
	assert_int_equal(env.n, 6);
	assert_string_equal(env.v[0], "A=1");
	assert_string_equal(env.v[1], "B=two words");
	assert_string_equal(env.v[2], "D=quoted");
	assert_string_equal(env.v[3], "E=single");
	assert_string_equal(env.v[4], "F=");
	assert_string_equal(env.v[5], "G=a=b");
	assert_null(env.v[6]);
	env_free(&env);
}

static void
test_bad_lines_reported_and_skipped(void **state)
{
	const char *text = "OK=1\n1BAD=x\nnoequals\nALSO=2";
	struct env_vec env = { 0 };

	(void)state;
	assert_int_equal(envfile_parse(text, strlen(text), &env), 2);
	assert_int_equal(env.n, 2);
	assert_string_equal(env.v[1], "ALSO=2"); /* last line without newline */
	env_free(&env);
}

static void
test_dedupe_later_wins(void **state)
{
	struct env_vec env = { 0 };

	(void)state;
	env_push(&env, "PATH=/bin");
	env_push(&env, "A=1");
	env_push(&env, "PATH=/usr/bin");
	env_push(&env, "AB=3");
	env_push(&env, "A=2");
	env_dedupe(&env);
	assert_int_equal(env.n, 3);
	assert_string_equal(env.v[0], "PATH=/usr/bin");
	assert_string_equal(env.v[1], "A=2");
	assert_string_equal(env.v[2], "AB=3");
	assert_null(env.v[3]);
	env_free(&env);
}

static void
test_read_file(void **state)
{
	char path[] = "/tmp/sexton-envfile-XXXXXX";
	struct env_vec env = { 0 };
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "X=1\n", 4), 4);
	close(fd);
	assert_int_equal(envfile_read(path, &env), 0);
	assert_string_equal(env.v[0], "X=1");
	unlink(path);
	assert_int_equal(envfile_read(path, &env), -ENOENT);
	env_free(&env);
}

/* PID 1 reads it: a FIFO must not block (open or read), a device is
 * refused, a file over 1 MiB is refused whole instead of cut. */
static void
test_read_refuses_what_is_not_a_small_regular_file(void **state)
{
	char dir[] = "/tmp/sexton-envfile-XXXXXX", path[64];
	struct env_vec env = { 0 };
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(envfile_read(path, &env), -EINVAL); /* at once: no writer */
	unlink(path);
	assert_int_equal(envfile_read("/dev/zero", &env), -EINVAL);
	snprintf(path, sizeof(path), "%s/big", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "A=1\n", 4), 4);
	assert_int_equal(ftruncate(fd, (1 << 20) + 1), 0);
	close(fd);
	assert_int_equal(envfile_read(path, &env), -EFBIG);
	assert_int_equal(env.n, 0);
	unlink(path);
	rmdir(dir);
	env_free(&env);
}

static void
test_a_byte_order_mark_is_not_part_of_the_first_key(void **state)
{
	static const char text[] = "\xef\xbb\xbf" "FIRST=1\nSECOND=2\n";
	struct env_vec env = { 0 };

	(void)state;
	assert_int_equal(envfile_parse(text, sizeof(text) - 1, &env), 0);
	assert_int_equal(env.n, 2);
	assert_string_equal(env.v[0], "FIRST=1");
	env_free(&env);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_lines),
		cmocka_unit_test(test_bad_lines_reported_and_skipped),
		cmocka_unit_test(test_dedupe_later_wins),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_read_refuses_what_is_not_a_small_regular_file),
		cmocka_unit_test(test_a_byte_order_mark_is_not_part_of_the_first_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
