/* Unit tests: /proc/PID/stat parsing, and a real scan of our own tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procscan.h"

static char comm[PROC_COMM_MAX], st;
static pid_t sid;

#define sweep_parse_ppid(text, ppid) procscan_parse_stat(text, comm, sizeof(comm), &st, ppid, &sid)

static void
test_plain(void **state)
{
	pid_t ppid = -1;

	(void)state;
	assert_int_equal(sweep_parse_ppid("1234 (sleep) S 77 1234 1230 0 -1 4194560", &ppid), 0);
	assert_int_equal(ppid, 77);
	assert_int_equal(sid, 1230);
	assert_int_equal(st, 'S');
	assert_string_equal(comm, "sleep");
}

static void
test_comm_with_spaces_and_parens(void **state)
{
	pid_t ppid = -1;

	(void)state;
	assert_int_equal(sweep_parse_ppid("9 (a) b (c) R 42 9 9", &ppid), 0);
	assert_int_equal(ppid, 42);
	assert_string_equal(comm, "a) b (c");
	assert_int_equal(st, 'R');
	assert_int_equal(sweep_parse_ppid("9 ()) Z 5 9 9", &ppid), 0);
	assert_int_equal(ppid, 5);
}

static void
test_truncated(void **state)
{
	pid_t ppid = -1;

	(void)state;
	assert_int_equal(sweep_parse_ppid("", &ppid), -1);
	assert_int_equal(sweep_parse_ppid("9 (x", &ppid), -1);
	assert_int_equal(sweep_parse_ppid("9 (x)", &ppid), -1);
	assert_int_equal(sweep_parse_ppid("9 (x) S", &ppid), -1);
	assert_int_equal(sweep_parse_ppid("9 (x) S ", &ppid), -1);
	assert_int_equal(sweep_parse_ppid("9 (x) S x", &ppid), -1);
	assert_int_equal(sweep_parse_ppid("9 (x) S 1 2", &ppid), -1);
}

/* A child and grandchild of ours are found, marked ours, with threads. */
static void
test_scan_finds_our_descendants(void **state)
{
	struct proc_snapshot snap;
	pid_t child, grandchild = 0;
	int fds[2], found = 0;
	size_t i;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	child = fork();
	if (child == 0) {
		pid_t g = fork();
		if (g == 0) {
			pause();
			_exit(0);
		}
		if (write(fds[1], &g, sizeof(g)) != sizeof(g))
			_exit(1);
		pause();
		_exit(0);
	}
	assert_int_equal(read(fds[0], &grandchild, sizeof(grandchild)), sizeof(grandchild));
	assert_int_equal(procscan(&snap, true), 0);
	for (i = 0; i < snap.n; i++) {
		if (snap.v[i].pid == child || snap.v[i].pid == grandchild) {
			assert_true(snap.v[i].ours);
			assert_int_equal(snap.v[i].nthreads, 1);
			assert_int_equal(snap.v[i].threads[0].tid, snap.v[i].pid);
			found++;
		}
		if (snap.v[i].pid == getpid())
			assert_false(snap.v[i].ours);
		if (snap.v[i].pid == 1 && getpid() != 1)
			assert_false(snap.v[i].ours);
	}
	assert_int_equal(found, 2);
	procscan_free(&snap);
	kill(grandchild, SIGKILL);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(fds[0]);
	close(fds[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_comm_with_spaces_and_parens),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_scan_finds_our_descendants),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
