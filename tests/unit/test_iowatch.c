/*
 * Unit tests: iowatch against a real libev loop and a real pipe, with
 * epoll_ctl failing on demand as it does at fs.epoll.max_user_watches
 * (ENOSPC). libev's reaction is its own: it stops the watcher and calls it
 * with EV_ERROR (fd_kill). The integration tests inject the same failure
 * into sexton with strace (tests/integration/test_survival.py).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "container_of.h"
#include "iowatch.h"
#include "monoclock.h"

/* libev calls epoll_ctl through the PLT, so this definition takes the C
 * library's place: the system call, or ENOSPC while `refusing`. */
static int refusing;

int
epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	if (refusing && op != EPOLL_CTL_DEL) {
		errno = ENOSPC;
		return -1;
	}
	return (int)syscall(SYS_epoll_ctl, epfd, op, fd, ev);
}

struct fixture {
	struct ev_loop *loop;
	int rd, wr; /* a pipe */
	int fd;	    /* rd */
	struct iowatch w;
	ev_timer deadline;
	ev_timer later; /* starts the watcher from inside a blocking run */
	struct iowatch_bell bell;
	int errors, reads;
	double first_error, first_read;
};

static void
on_io(struct ev_loop *loop, ev_io *io, int revents)
{
	struct fixture *f = container_of(io, struct fixture, w.io);
	char c;

	if (iowatch_dropped(loop, &f->w, revents)) {
		if (f->errors++ == 0)
			f->first_error = now();
		return;
	}
	if (read(f->fd, &c, 1) == 1 && f->reads++ == 0)
		f->first_read = now();
}

static void
on_deadline(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)t;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

/* Run the loop for SECONDS (the deadline is the only way out). */
static void
run_for(struct fixture *f, double seconds)
{
	ev_timer_set(&f->deadline, seconds, 0.);
	ev_timer_start(f->loop, &f->deadline);
	ev_run(f->loop, 0);
}

static void
on_later(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct fixture *f = container_of(t, struct fixture, later);

	(void)revents;
	refusing = 1;
	iowatch_start(loop, &f->w);
}

static void
before_sleep(struct ev_loop *loop)
{
	struct fixture *f = ev_userdata(loop);

	iowatch_before_sleep(loop, &f->bell);
}

static int
setup(void **state)
{
	static struct fixture f;
	int p[2];

	memset(&f, 0, sizeof(f));
	f.loop = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOSIGMASK);
	assert_non_null(f.loop);
	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	f.rd = p[0];
	f.wr = p[1];
	f.fd = f.rd;
	refusing = 0;
	ev_init(&f.deadline, on_deadline);
	ev_timer_init(&f.later, on_later, 0.05, 0.);
	f.bell.fd = -1;
	ev_set_userdata(f.loop, &f);
	iowatch_init(&f.w, on_io, f.fd, EV_READ, "the test pipe", NULL);
	*state = &f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	iowatch_stop(f->loop, &f->w);
	iowatch_bell_close(&f->bell, f->loop);
	ev_loop_destroy(f->loop);
	close(f->rd);
	close(f->wr);
	return 0;
}

/* Start while epoll refuses: libev drops the watcher on its first pass. */
static void
start_dropped(struct fixture *f)
{
	refusing = 1;
	iowatch_start(f->loop, &f->w);
	ev_run(f->loop, EVRUN_NOWAIT);
	assert_int_equal(f->errors, 1);
	assert_false(ev_is_active(&f->w.io));
	assert_true(iowatch_is_on(&f->w));
}

static void
test_dropped_watcher_is_watched_again(void **state)
{
	struct fixture *f = *state;

	start_dropped(f);
	refusing = 0;
	assert_int_equal(write(f->wr, "x", 1), 1);
	run_for(f, 0.5);
	assert_int_equal(f->reads, 1);
	assert_true(f->first_read - f->first_error >= IOWATCH_RETRY_S * 0.9);
	assert_true(f->first_read - f->first_error < 0.4);
	/* Up for a whole period since: the retry timer has stopped. */
	assert_false(ev_is_active(&f->w.retry));
	assert_int_equal(f->w.drops, 0);
}

static void
test_retries_until_the_descriptor_can_be_watched(void **state)
{
	struct fixture *f = *state;

	start_dropped(f);
	run_for(f, 0.35); /* refused at every retry */
	assert_true(f->errors >= 3);
	assert_true(iowatch_is_on(&f->w));
	refusing = 0;
	assert_int_equal(write(f->wr, "x", 1), 1);
	run_for(f, 0.3);
	assert_int_equal(f->reads, 1);
}

static void
test_stopped_watcher_is_not_brought_back(void **state)
{
	struct fixture *f = *state;

	start_dropped(f);
	iowatch_stop(f->loop, &f->w);
	assert_false(iowatch_is_on(&f->w));
	refusing = 0;
	assert_int_equal(write(f->wr, "x", 1), 1);
	run_for(f, 0.3);
	assert_int_equal(f->reads, 0);
	assert_int_equal(f->errors, 1);
}

static void
test_start_leaves_a_pending_retry_to_its_timer(void **state)
{
	struct fixture *f = *state;

	start_dropped(f);
	refusing = 0;
	iowatch_start(f->loop, &f->w); /* an owner's start: the retry still decides */
	assert_false(ev_is_active(&f->w.io));
	assert_int_equal(write(f->wr, "x", 1), 1);
	run_for(f, 0.3);
	assert_int_equal(f->reads, 1);
	assert_true(f->first_read - f->first_error >= IOWATCH_RETRY_S * 0.9);
}

static void
test_pause_watches_again_after_the_delay(void **state)
{
	struct fixture *f = *state;
	double t0;

	iowatch_start(f->loop, &f->w);
	assert_int_equal(write(f->wr, "x", 1), 1);
	t0 = now();
	iowatch_pause(f->loop, &f->w, 0.2);
	run_for(f, 0.5);
	assert_int_equal(f->errors, 0);
	assert_int_equal(f->reads, 1);
	assert_true(f->first_read - t0 >= 0.18);
	assert_false(ev_is_active(&f->w.retry));
}

/* Dropped while libev prepares to sleep for a second: without
 * iowatch_before_sleep the EV_ERROR would wait out that second, and
 * without the bell it rings the retry timer it starts would too (that
 * sleep's timeout was chosen before): epoll keeps refusing, so the drop
 * comes back every 0.1 s only when both work. */
static void
test_drop_in_a_blocking_run_is_heard_at_once(void **state)
{
	struct fixture *f = *state;
	double t0 = now();

	assert_int_equal(iowatch_bell_open(&f->bell, f->loop), 0);
	ev_set_loop_release_cb(f->loop, before_sleep, NULL);
	ev_timer_start(f->loop, &f->later);
	run_for(f, 1.0);
	assert_true(f->errors >= 5);
	assert_true(f->first_error - t0 < 0.3);
}

static void
test_drop_in_a_blocking_run_waits_without_it(void **state)
{
	struct fixture *f = *state;
	double t0 = now();

	/* The control for the test above: libev's own behaviour. */
	ev_timer_start(f->loop, &f->later);
	run_for(f, 0.6);
	ev_run(f->loop, EVRUN_NOWAIT); /* the deadline's wake-up delivers it */
	assert_int_equal(f->errors, 1);
	assert_true(f->first_error - t0 >= 0.5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dropped_watcher_is_watched_again, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retries_until_the_descriptor_can_be_watched, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stopped_watcher_is_not_brought_back, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_start_leaves_a_pending_retry_to_its_timer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pause_watches_again_after_the_delay, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_drop_in_a_blocking_run_is_heard_at_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_drop_in_a_blocking_run_waits_without_it, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
