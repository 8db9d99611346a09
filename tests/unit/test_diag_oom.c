/*
 * The diagnostics under memory pressure: a scan of the real /proc, the
 * history and the classification (what `sextonctl doctor` and `ps` run in
 * PID 1) with each of their allocations failing in turn (allocfail.h).
 * Each run must end with 0 or -ENOMEM, give a report that frees cleanly,
 * and leak nothing (LeakSanitizer); ASan sees any use of freed memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "allocfail.h"
#include "diag.h"
#include "procscan.h"

/* One doctor pass; its result, and *FINDINGS of REPORT's findings. */
static int
doctor_pass(size_t *findings, bool *unreaped)
{
	struct diag_params prm = { .mode = DIAG_SAMPLED, .self = getpid(), .now = 1 };
	struct proc_snapshot snap = { 0 };
	struct diag_history hist = { 0 };
	struct diag_report r = { 0 };
	size_t i;
	int rc = procscan(&snap, PROCSCAN_THREADS);

	if (rc == 0)
		rc = diag_history_update(&hist, &snap, prm.now);
	if (rc == 0)
		rc = diag_classify(&snap, &hist, &prm, &r);
	if (rc == 0)
		diag_enrich(&r);
	*findings = r.n;
	*unreaped = false;
	for (i = 0; i < r.n; i++)
		*unreaped |= r.v[i].kind == DIAG_UNREAPED;
	diag_report_free(&r);
	procscan_free(&snap);
	diag_history_free(&hist);
	return rc;
}

/* A parent that never waits, and its zombie: something to report. */
static pid_t
lazy_parent(void)
{
	int ready[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (fork() == 0)
			_exit(0);
		close(ready[0]);
		sleep(1); /* long enough for the child to be a zombie */
		(void)!write(ready[1], "", 1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	return pid;
}

static void
test_every_allocation_failing_in_a_doctor_pass(void **state)
{
	pid_t lazy = lazy_parent();
	size_t findings;
	bool unreaped;
	long n;
	int rc;

	(void)state;
	allocfail_arm(-1);
	assert_int_equal(doctor_pass(&findings, &unreaped), 0);
	allocfail_disarm();
	assert_true(unreaped);
	assert_true(allocfail_count > 3);

	/* The number of allocations follows the system's process count, which
	 * may change between runs: go on until a run needs no failure. */
	for (n = 0; n < 100000; n++) {
		allocfail_arm(n);
		rc = doctor_pass(&findings, &unreaped);
		allocfail_disarm();
		if (!allocfail_hit) {
			assert_int_equal(rc, 0);
			break;
		}
		if (rc != 0 && rc != -ENOMEM) {
			print_error("allocation %ld failed: result %d\n", n, rc);
			fail();
		}
	}
	print_message("   %ld allocations failed in turn\n", n);
	assert_true(n > 3);
	kill(lazy, SIGKILL);
	waitpid(lazy, NULL, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_allocation_failing_in_a_doctor_pass),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
