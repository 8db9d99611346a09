/* Unit tests: system mode's signals and actions (the mounts and reboot(2)
 * are the integration tests' part, in a PID namespace: here they would
 * reach the machine). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sys/reboot.h>

#include "signames.h"
#include "system.h"

static void
test_signals_follow_busybox_init(void **state)
{
	(void)state;
	assert_int_equal(sys_signal_action(SIGTERM, CAD_REBOOT), SYS_REBOOT);
	assert_int_equal(sys_signal_action(SIGUSR1, CAD_REBOOT), SYS_HALT);
	assert_int_equal(sys_signal_action(SIGUSR2, CAD_REBOOT), SYS_POWEROFF);
}

static void
test_sigint_is_the_ctrl_alt_del_setting(void **state)
{
	(void)state;
	assert_int_equal(sys_signal_action(SIGINT, CAD_REBOOT), SYS_REBOOT);
	assert_int_equal(sys_signal_action(SIGINT, CAD_POWEROFF), SYS_POWEROFF);
	assert_int_equal(sys_signal_action(SIGINT, CAD_IGNORE), SYS_NONE);
	/* ctrl_alt_del is about SIGINT alone */
	assert_int_equal(sys_signal_action(SIGTERM, CAD_IGNORE), SYS_REBOOT);
}

static void
test_systemd_realtime_signals(void **state)
{
	(void)state;
	assert_int_equal(sys_signal_action(SIG_LINUX_RTMIN + 3, CAD_REBOOT), SYS_HALT);
	assert_int_equal(sys_signal_action(SIG_LINUX_RTMIN + 4, CAD_REBOOT), SYS_POWEROFF);
	assert_int_equal(sys_signal_action(SIG_LINUX_RTMIN + 5, CAD_REBOOT), SYS_REBOOT);
	assert_int_equal(sys_signal_action(SIG_LINUX_RTMIN + 6, CAD_REBOOT), SYS_NONE);
}

static void
test_other_signals_are_not_actions(void **state)
{
	(void)state;
	assert_int_equal(sys_signal_action(SIGHUP, CAD_REBOOT), SYS_NONE); /* reload */
	assert_int_equal(sys_signal_action(SIGCHLD, CAD_REBOOT), SYS_NONE);
	assert_int_equal(sys_signal_action(SIGQUIT, CAD_REBOOT), SYS_NONE);
	assert_int_equal(sys_signal_action(0, CAD_REBOOT), SYS_NONE);
}

static void
test_action_names_and_reboot_commands(void **state)
{
	(void)state;
	assert_string_equal(sys_action_name(SYS_HALT), "halt");
	assert_string_equal(sys_action_name(SYS_POWEROFF), "poweroff");
	assert_string_equal(sys_action_name(SYS_REBOOT), "reboot");
	assert_string_equal(sys_action_name(SYS_NONE), "none");
	assert_true(sys_reboot_cmd(SYS_HALT) == (int)RB_HALT_SYSTEM);
	assert_true(sys_reboot_cmd(SYS_POWEROFF) == (int)RB_POWER_OFF);
	assert_true(sys_reboot_cmd(SYS_REBOOT) == (int)RB_AUTOBOOT);
	assert_true(sys_reboot_cmd(SYS_NONE) == (int)RB_POWER_OFF); /* the end nobody named */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signals_follow_busybox_init),
		cmocka_unit_test(test_sigint_is_the_ctrl_alt_del_setting),
		cmocka_unit_test(test_systemd_realtime_signals),
		cmocka_unit_test(test_other_signals_are_not_actions),
		cmocka_unit_test(test_action_names_and_reboot_commands),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
