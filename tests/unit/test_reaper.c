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
	double scan;
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
	assert_int_equal(reap_all(record, &s, &none, &scan), 2);
	assert_true(none);
	assert_true((s.pid[0] == other && s.pid[1] == live) ||
		    (s.pid[0] == live && s.pid[1] == other));
}

static void
test_reap_all_drains_every_zombie(void **state)
{
	struct seen s = { 0 };
	double scan = -1;
	bool none;
	int i;

	(void)state;
	for (i = 0; i < 5; i++)
		zombie(i);
	assert_int_equal(reap_all(record, &s, &none, &scan), 5);
	assert_true(none);
	assert_true(scan >= 0 && scan < 1); /* the call that said ECHILD */
	assert_int_equal(reap_all(record, &s, &none, &scan), 0);
}

/* A live child keeps the drain's last call at 0 (not ECHILD); its time is
 * what the pacing is computed from. */
static void
test_reap_all_times_the_call_that_finds_nothing(void **state)
{
	struct seen s = { 0 };
	double scan = -1;
	bool none;
	pid_t live = fork();

	(void)state;
	if (live == 0) {
		pause();
		_exit(0);
	}
	zombie(3);
	assert_int_equal(reap_all(record, &s, &none, &scan), 1);
	assert_false(none);
	assert_true(scan >= 0 && scan < 1);
	kill(live, SIGKILL);
	waitpid(live, NULL, 0);
}

static void
test_reap_pace_waits_only_in_a_storm_over_a_long_list(void **state)
{
	const double slow = 100e-6, fast = REAP_PACE_MIN_SCAN_S * 0.99;

	(void)state;
	/* Short child lists: drain at once, as before. */
	assert_true(reap_pace(5, 0, 0) == 0);
	assert_true(reap_pace(5, fast, fast) == 0);
	/* One slow walk after a fast one is a hiccup, not a long list. */
	assert_true(reap_pace(5, slow, fast) == 0);
	assert_true(reap_pace(5, fast, slow) == 0);
	/* A drain that found nothing: the exits are over, no timer. */
	assert_true(reap_pace(0, slow, slow) == 0);
	/* A long list in a storm: FACTOR times the cheaper walk. */
	assert_true(reap_pace(1, slow, 2 * slow) == REAP_PACE_FACTOR * slow);
	assert_true(reap_pace(1, REAP_PACE_MIN_SCAN_S, REAP_PACE_MIN_SCAN_S) ==
		    REAP_PACE_FACTOR * REAP_PACE_MIN_SCAN_S);
	/* Never longer than the cap. */
	assert_true(reap_pace(1, 10.0, 10.0) == REAP_PACE_MAX_S);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reap_pid_reaps_that_child_once),
		cmocka_unit_test(test_reap_pid_leaves_a_live_child_and_others),
		cmocka_unit_test(test_reap_all_drains_every_zombie),
		cmocka_unit_test(test_reap_all_times_the_call_that_finds_nothing),
		cmocka_unit_test(test_reap_pace_waits_only_in_a_storm_over_a_long_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
