/* Unit tests: wait status → exit code, -e remapping, exec error codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>

#include "exitstatus.h"
#include "spawn.h"

/* Build wait statuses the way the kernel encodes them. */
#define EXITED(code) (((code)&0xff) << 8)
#define SIGNALED(sig) ((sig)&0x7f)
#define SIGNALED_CORE(sig) (((sig)&0x7f) | 0x80)

static void
test_exit_codes(void **state)
{
	(void)state;
	assert_int_equal(exit_code_of(EXITED(0)), 0);
	assert_int_equal(exit_code_of(EXITED(3)), 3);
	assert_int_equal(exit_code_of(EXITED(255)), 255);
}

static void
test_signals_are_128_plus_n(void **state)
{
	(void)state;
	assert_int_equal(exit_code_of(SIGNALED(SIGTERM)), 143);
	assert_int_equal(exit_code_of(SIGNALED(SIGKILL)), 137);
	assert_int_equal(exit_code_of(SIGNALED_CORE(SIGSEGV)), 139);
	assert_true(WIFSIGNALED(SIGNALED(SIGRTMIN)));
	assert_int_equal(exit_code_of(SIGNALED(SIGRTMIN)), 128 + SIGRTMIN);
}

static void
test_remap(void **state)
{
	const int remap[] = { 143, 3 };

	(void)state;
	assert_int_equal(exit_code_remap(143, remap, 2), 0);
	assert_int_equal(exit_code_remap(3, remap, 2), 0);
	assert_int_equal(exit_code_remap(4, remap, 2), 4);
	assert_int_equal(exit_code_remap(143, remap, 0), 143);
	assert_int_equal(exit_code_remap(0, remap, 2), 0);
}

static void
test_status_text(void **state)
{
	char buf[48];

	(void)state;
	assert_string_equal(exit_status_text(EXITED(3), buf, sizeof(buf)), "exited with code 3");
	assert_string_equal(exit_status_text(SIGNALED(SIGKILL), buf, sizeof(buf)),
			    "killed by SIGKILL");
	assert_string_equal(exit_status_text(SIGNALED(SIGRTMIN + 1), buf, sizeof(buf)),
			    "killed by SIGRTMIN+1");
}

static void
test_exec_error_codes(void **state)
{
	(void)state;
	assert_int_equal(spawn_exec_exit_code(ENOENT), 127);
	assert_int_equal(spawn_exec_exit_code(EACCES), 126);
	assert_int_equal(spawn_exec_exit_code(ENOEXEC), 126);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_signals_are_128_plus_n),
		cmocka_unit_test(test_remap),
		cmocka_unit_test(test_exec_error_codes),
		cmocka_unit_test(test_status_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
