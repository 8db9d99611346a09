/* Unit tests: /proc parsing against saved real samples (stat, status,
 * stack), and a real scan of our own tree with threads and a zombie. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procscan.h"

/* Saved from this machine type (kernel 6.x). */
static const char SLEEP_STAT[] =
	"32516 (sleep) S 32514 32514 6209 0 -1 4194304 98 0 0 0 0 0 0 0 20 0 1 0 1199485 "
	"3133440 412 18446744073709551615 93888106799104 93888106818985 140734369258912 0 0 0 0 "
	"0 0 0 0 0 17 1 0 0 0 0 0 93888106834992 93888106836608 93888640892928 140734369266119 "
	"140734369266139 140734369266139 140734369267691 0\n";
static const char FAKEZOMBIE_STAT[] =
	"7096 (fakezombie) Z 7094 7094 6209 0 -1 4194372 0 0 0 0 0 0 0 0 20 0 2 0 1187001 0 0 "
	"18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
static const char WEIRD_COMM_STAT[] =
	"9 (a) b (c)) D 42 9 7 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 3 0 555 0 0 0\n";

static const char FROZEN_STATUS[] = "Name:\tsleep\nUmask:\t0022\nState:\tD (disk sleep)\n"
				    "Tgid:\t7178\nNgid:\t0\nPid:\t7178\nPPid:\t1\n"
				    "TracerPid:\t0\nUid:\t0\t0\t0\t0\n"
				    "SigQ:\t1/192730\nSigPnd:\t0000000000000100\n"
				    "ShdPnd:\t0000000000000100\nSigBlk:\t0000000000000000\n";
static const char TRACED_STATUS[] = "Name:\ttraced\nState:\tZ (zombie)\nTracerPid:\t7120\n"
				    "SigPnd:\t0000000000000000\nShdPnd:\t0000000000004000\n";
/* A shell with `trap '' TERM QUIT`, handlers for USR1 and CHLD, INT blocked, a TERM
 * pending for the process (in the kernel's format). */
static const char TRAPPING_STATUS[] = "Name:\tsh\nState:\tS (sleeping)\nTracerPid:\t0\n"
				      "Threads:\t1\nSigQ:\t0/192730\nSigPnd:\t0000000000000000\n"
				      "ShdPnd:\t0000000000004000\nSigBlk:\t0000000000000002\n"
				      "SigIgn:\t0000000000004004\nSigCgt:\t0000000000010200\n";
static const char FROZEN_STACK[] = "[<0>] __refrigerator+0xac/0xd0\n"
				   "[<0>] get_signal+0x604/0x8a0\n"
				   "[<0>] arch_do_signal_or_restart+0x71/0x2a0\n"
				   "[<0>] irqentry_exit_to_user_mode+0x12e/0x1a0\n"
				   "[<0>] asm_exc_page_fault+0x22/0x30\n";

static void
test_stat_real_sample(void **state)
{
	struct proc_stat st;

	(void)state;
	assert_int_equal(procscan_parse_stat(SLEEP_STAT, &st), 0);
	assert_string_equal(st.comm, "sleep");
	assert_int_equal(st.state, 'S');
	assert_int_equal(st.ppid, 32514);
	assert_int_equal(st.pgrp, 32514);
	assert_int_equal(st.session, 6209);
	assert_int_equal(st.num_threads, 1);
	assert_true(st.start == 1199485ULL);
	assert_int_equal(procscan_parse_stat(FAKEZOMBIE_STAT, &st), 0);
	assert_int_equal(st.state, 'Z');
	assert_int_equal(st.num_threads, 2); /* a Z leader with a live thread */
}

static void
test_stat_comm_with_spaces_and_parens(void **state)
{
	struct proc_stat st;

	(void)state;
	assert_int_equal(procscan_parse_stat(WEIRD_COMM_STAT, &st), 0);
	assert_string_equal(st.comm, "a) b (c)");
	assert_int_equal(st.state, 'D');
	assert_int_equal(st.ppid, 42);
	assert_int_equal(st.num_threads, 3);
	assert_true(st.start == 555ULL);
	assert_int_equal(procscan_parse_stat("9 ()) Z 5 9 9 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 7 0", &st),
			 0);
	assert_string_equal(st.comm, ")");
}

static void
test_stat_long_comm_is_cut(void **state)
{
	char text[512];
	struct proc_stat st;

	(void)state;
	snprintf(text, sizeof(text), "1 (%0100d) S 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 7 0", 0);
	assert_int_equal(procscan_parse_stat(text, &st), 0);
	assert_int_equal(strlen(st.comm), PROC_COMM_MAX - 1);
}

/* Every cut of a real line short of starttime is rejected. */
static void
test_stat_truncated(void **state)
{
	char text[sizeof(SLEEP_STAT)];
	struct proc_stat st;
	const char *start_field = strstr(SLEEP_STAT, " 1199485");
	size_t len, need = (size_t)(start_field - SLEEP_STAT) + 2;

	(void)state;
	for (len = 0; len < need; len++) {
		memcpy(text, SLEEP_STAT, len);
		text[len] = '\0';
		assert_int_equal(procscan_parse_stat(text, &st), -1);
	}
	assert_int_equal(procscan_parse_stat("9 (x) S x", &st), -1);
	assert_int_equal(procscan_parse_stat("9 x) S 1 2 3", &st), -1);
	assert_int_equal(procscan_parse_stat(")(", &st), -1);
}

static void
test_status(void **state)
{
	struct proc_status st;

	(void)state;
	assert_int_equal(procscan_parse_status(FROZEN_STATUS, &st), 0);
	assert_int_equal(st.tracer, 0);
	assert_true(st.sigkill_pending);
	assert_int_equal(procscan_parse_status(TRACED_STATUS, &st), 0);
	assert_int_equal(st.tracer, 7120);
	assert_false(st.sigkill_pending); /* 0x4000 is SIGTERM */
	assert_true(st.pending & (1ULL << (SIGTERM - 1)));
	assert_int_equal(st.threads, 0); /* no Threads line */
	assert_int_equal(procscan_parse_status(TRAPPING_STATUS, &st), 0);
	assert_int_equal(st.threads, 1);
	assert_true(st.ignored & (1ULL << (SIGTERM - 1)));
	assert_true(st.ignored & (1ULL << (SIGQUIT - 1)));
	assert_true(st.caught & (1ULL << (SIGUSR1 - 1)));
	assert_true(st.caught & (1ULL << (SIGCHLD - 1)));
	assert_true(st.blocked & (1ULL << (SIGINT - 1)));
	assert_false(st.blocked & (1ULL << (SIGTERM - 1)));
	assert_true(st.pending & (1ULL << (SIGTERM - 1))); /* ShdPnd counts */
	assert_int_equal(procscan_parse_status("Name:\tx\nState:\tS\n", &st), -1);
	assert_int_equal(procscan_parse_status("", &st), -1);
	/* a key must start a line */
	assert_int_equal(procscan_parse_status("Name:\tTracerPid:\t5\n", &st), -1);
}

static void
test_stack(void **state)
{
	char frames[8][PROC_WCHAN_MAX];

	(void)state;
	assert_int_equal(procscan_parse_stack(FROZEN_STACK, frames, 8), 5);
	assert_string_equal(frames[0], "__refrigerator");
	assert_string_equal(frames[4], "asm_exc_page_fault");
	assert_int_equal(procscan_parse_stack(FROZEN_STACK, frames, 2), 2);
	assert_int_equal(procscan_parse_stack("", frames, 8), 0);
	assert_int_equal(procscan_parse_stack("[<0>] ", frames, 8), 0);
	assert_int_equal(procscan_parse_stack("[<0>] cut", frames, 8), 1);
	assert_string_equal(frames[0], "cut");
}

static void *
sleeper(void *arg)
{
	(void)arg;
	pause();
	return NULL;
}

static const struct proc_info *
find(const struct proc_snapshot *snap, pid_t pid)
{
	const struct proc_info *p = procscan_find(snap, pid);

	assert_non_null(p);
	return p;
}

/* The processes a test leaves running, killed in its teardown even when
 * an assertion stopped it halfway (else they outlive the test binary). */
static pid_t leftovers[4];

static int
kill_leftovers(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(leftovers) / sizeof(leftovers[0]); i++) {
		if (leftovers[i] > 0) {
			kill(leftovers[i], SIGKILL);
			waitpid(leftovers[i], NULL, 0); /* ECHILD for a grandchild */
		}
		leftovers[i] = 0;
	}
	return 0;
}

/* A child (two threads) and grandchild are ours, with their threads; a
 * zombie child stays steady across resamples until it is reaped. */
static void
test_scan_threads_zombie_and_resample(void **state)
{
	struct proc_snapshot snap = { 0 };
	const struct proc_info *p;
	pid_t child, grandchild = 0, zombie;
	size_t steady;
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	child = fork();
	if (child == 0) {
		pthread_t t;
		pid_t g = fork();

		if (g == 0) {
			pause();
			_exit(0);
		}
		if (pthread_create(&t, NULL, sleeper, NULL) != 0 ||
		    write(fds[1], &g, sizeof(g)) != sizeof(g))
			_exit(1);
		pause();
		_exit(0);
	}
	leftovers[0] = child;
	assert_int_equal(read(fds[0], &grandchild, sizeof(grandchild)), sizeof(grandchild));
	leftovers[1] = grandchild;
	zombie = fork();
	if (zombie == 0)
		_exit(0);
	leftovers[2] = zombie;
	usleep(100 * 1000);

	assert_int_equal(procscan(&snap, PROCSCAN_THREADS), 0);
	p = find(&snap, child);
	assert_true(p->ours);
	assert_int_equal(p->nthreads, 2);
	assert_int_equal(p->nthreads_kernel, 2);
	p = find(&snap, grandchild);
	assert_true(p->ours);
	assert_int_equal(p->nthreads, 1);
	assert_int_equal(snap.t[p->thread0].tid, grandchild);
	p = find(&snap, zombie);
	assert_int_equal(p->state, 'Z');
	assert_int_equal(p->tracer, 0);
	assert_false(find(&snap, getpid())->ours);
	/* The count is of the whole system: another zombie on the machine
	 * (a slow init's) is in it too. Ours is the one the test controls. */
	steady = procscan_resample(&snap);
	assert_true(steady >= 1);
	assert_true(snap.t[find(&snap, zombie)->thread0].steady); /* still Z */

	/* The next scan reuses the tables. */
	assert_int_equal(procscan(&snap, PROCSCAN_THREADS), 0);
	steady = procscan_resample(&snap);
	waitpid(zombie, NULL, 0);
	assert_true(procscan_resample(&snap) <= steady - 1); /* others may go too */
	assert_false(snap.t[find(&snap, zombie)->thread0].steady);

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
		cmocka_unit_test(test_stat_real_sample),
		cmocka_unit_test(test_stat_comm_with_spaces_and_parens),
		cmocka_unit_test(test_stat_long_comm_is_cut),
		cmocka_unit_test(test_stat_truncated),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_stack),
		cmocka_unit_test_teardown(test_scan_threads_zombie_and_resample, kill_leftovers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
