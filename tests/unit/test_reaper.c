/* Unit tests: the waitpid drain and the one-pid reap, on real children. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reaper.h"

struct seen {
	pid_t pid[8];
	int status[8];
	size_t n;
};

static void
record(void *ctx, pid_t pid, int wstatus)
{
	struct seen *s = ctx;

	if (s->n < 8) {
		s->pid[s->n] = pid;
		s->status[s->n] = wstatus;
	}
	s->n++;
}

/* A child that exits with CODE; returned once it is a zombie, unreaped. */
static pid_t
zombie(int code)
{
	siginfo_t si;
	pid_t pid = fork();

	if (pid == 0)
		_exit(code);
	assert_true(pid > 0);
	assert_int_equal(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
	return pid;
}

static void
test_reap_pid_reaps_that_child_once(void **state)
{
	struct seen s = { 0 };
	pid_t pid = zombie(7);

	(void)state;
	assert_int_equal(reap_pid(pid, record, &s), 1);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.pid[0], pid);
	assert_true(WIFEXITED(s.status[0]));
	assert_int_equal(WEXITSTATUS(s.status[0]), 7);
	assert_int_equal(reap_pid(pid, record, &s), 0); /* gone: ECHILD */
	assert_int_equal(s.n, 1);
}

static void
test_reap_pid_leaves_a_live_child_and_others(void **state)
{
	struct seen s = { 0 };
	bool none;
	pid_t other = zombie(1), live = fork();

	(void)state;
	if (live == 0) {
		pause();
		_exit(0);
	}
	assert_int_equal(reap_pid(live, record, &s), 0);
	assert_int_equal(s.n, 0); /* the other zombie is not its business */
	kill(live, SIGKILL);
	waitid(P_PID, (id_t)live, &(siginfo_t){ 0 }, WEXITED | WNOWAIT);
	assert_int_equal(reap_all(record, &s, &none), 2);
	assert_true(none);
	assert_true((s.pid[0] == other && s.pid[1] == live) ||
		    (s.pid[0] == live && s.pid[1] == other));
}

static void
test_reap_all_drains_every_zombie(void **state)
{
	struct seen s = { 0 };
	bool none;
	int i;

	(void)state;
	for (i = 0; i < 5; i++)
		zombie(i);
	assert_int_equal(reap_all(record, &s, &none), 5);
	assert_true(none);
	assert_int_equal(reap_all(record, &s, &none), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reap_pid_reaps_that_child_once),
		cmocka_unit_test(test_reap_pid_leaves_a_live_child_and_others),
		cmocka_unit_test(test_reap_all_drains_every_zombie),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
