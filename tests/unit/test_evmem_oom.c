/*
 * evmem: libev's allocator waits for memory instead of letting libev
 * abort. Allocations are failed on demand (allocfail.h); a real libev loop
 * that needs memory to start a watcher gets it once the failures stop,
 * and the watcher works.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ev.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "allocfail.h"
#include "evmem.h"

static void
test_an_allocation_that_fails_is_tried_again(void **state)
{
	unsigned long before = evmem_waits();
	char *p;

	(void)state;
	allocfail_arm_run(0, 3);
	p = evmem_realloc(NULL, 64);
	allocfail_disarm();
	assert_non_null(p);
	assert_int_equal(allocfail_hit, 3);
	assert_int_equal(evmem_waits() - before, 3);
	memset(p, 'x', 64);

	/* Growing keeps the contents, also after failures. */
	allocfail_arm_run(0, 2);
	p = evmem_realloc(p, 4096);
	allocfail_disarm();
	assert_non_null(p);
	assert_int_equal(p[63], 'x');
	assert_int_equal(evmem_waits() - before, 5);

	/* Size 0 frees (LeakSanitizer checks) and gives NULL, without waiting. */
	assert_null(evmem_realloc(p, 0));
	assert_int_equal(evmem_waits() - before, 5);
}

static int seen;

static void
on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	char c;

	(void)loop;
	seen += (revents & EV_READ) && read(w->fd, &c, 1) == 1;
}

/* A watcher on a high descriptor makes libev grow its descriptor table
 * when it starts; with the default allocator a failure there aborts. */
static void
test_a_loop_that_needs_memory_waits_for_it_and_works(void **state)
{
	unsigned long before;
	struct ev_loop *loop;
	int fds[2], fd = 700;
	ev_io w;

	(void)state;
	ev_set_allocator(evmem_realloc);
	loop = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOSIGMASK);
	assert_non_null(loop);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(dup2(fds[0], fd), fd);
	ev_io_init(&w, on_readable, fd, EV_READ);

	before = evmem_waits();
	allocfail_arm_run(0, 4);
	ev_io_start(loop, &w);
	allocfail_disarm();
	assert_int_equal(allocfail_hit, 4);
	assert_true(evmem_waits() - before >= 4);

	assert_int_equal(write(fds[1], "!", 1), 1);
	ev_run(loop, EVRUN_ONCE);
	assert_int_equal(seen, 1);

	ev_io_stop(loop, &w);
	ev_loop_destroy(loop);
	close(fd);
	close(fds[0]);
	close(fds[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_an_allocation_that_fails_is_tried_again),
		cmocka_unit_test(test_a_loop_that_needs_memory_waits_for_it_and_works),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
