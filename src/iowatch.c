/* iowatch — see include/iowatch.h. */
#include "iowatch.h"
#include "container_of.h"
#include "log.h"

#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* Every drop of every watcher, for iowatch_before_sleep to see that the
 * callbacks it ran found one. One loop per process, so one count. */
static unsigned long drops_seen;

static void
on_retry(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct iowatch *w = container_of(t, struct iowatch, retry);

	(void)revents;
	if (!ev_is_active(&w->io)) {
		/* libev tells a refusal with EV_ERROR on its next pass, before it
		 * sleeps; the repeating timer stays to see that the start held. */
		ev_io_start(loop, &w->io);
		return;
	}
	ev_timer_stop(loop, t); /* up for a whole period */
	if (w->drops) {
		log_msg(w->quiet ? LOG_DEBUG : LOG_INFO, "watching %s%s again", w->what, w->who);
		w->drops = 0;
	}
}

void
iowatch_init(struct iowatch *w, void (*cb)(struct ev_loop *, ev_io *, int), int fd, int events,
	     const char *what, const char *who)
{
	ev_io_init(&w->io, cb, fd, events);
	ev_init(&w->retry, on_retry);
	w->what = what;
	w->who = who ? who : "";
	w->drops = 0;
	w->quiet = false;
}

void
iowatch_quiet(struct iowatch *w)
{
	w->quiet = true;
}

void
iowatch_set(struct iowatch *w, int fd, int events)
{
	ev_io_set(&w->io, fd, events);
}

void
iowatch_start(struct ev_loop *loop, struct iowatch *w)
{
	if (!ev_is_active(&w->retry))
		ev_io_start(loop, &w->io);
}

void
iowatch_stop(struct ev_loop *loop, struct iowatch *w)
{
	ev_io_stop(loop, &w->io);
	ev_timer_stop(loop, &w->retry);
}

bool
iowatch_is_on(const struct iowatch *w)
{
	return ev_is_active(&w->io) || ev_is_active(&w->retry);
}

void
iowatch_pause(struct ev_loop *loop, struct iowatch *w, double delay)
{
	ev_io_stop(loop, &w->io);
	if (ev_is_active(&w->retry))
		return;
	/* A fired or never started timer must be set again before a start. */
	ev_timer_set(&w->retry, delay, delay);
	ev_timer_start(loop, &w->retry);
}

bool __attribute__((hot))
iowatch_dropped(struct ev_loop *loop, struct iowatch *w, int revents)
{
	if (!(revents & EV_ERROR))
		return false;
	drops_seen++;
	if (w->drops++ % 100 == 0)
		log_msg(w->quiet ? LOG_DEBUG : LOG_ERROR,
			"cannot watch %s%s (epoll_ctl failed); trying again every %g s (%lu in a row)",
			w->what, w->who, IOWATCH_RETRY_S, w->drops);
	iowatch_pause(loop, w, IOWATCH_RETRY_S);
	return true;
}

static void
on_bell(struct ev_loop *loop, ev_io *io, int revents)
{
	struct iowatch_bell *b = container_of(io, struct iowatch_bell, w.io);
	uint64_t n;

	if (iowatch_dropped(loop, &b->w, revents))
		return;
	/* The wake-up was the point; reset the count for the next ring. */
	(void)!read(b->fd, &n, sizeof(n));
}

int
iowatch_bell_open(struct iowatch_bell *b, struct ev_loop *loop)
{
	b->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (b->fd < 0)
		return -errno;
	iowatch_init(&b->w, on_bell, b->fd, EV_READ, "the loop's doorbell", NULL);
	iowatch_start(loop, &b->w);
	return 0;
}

void
iowatch_bell_close(struct iowatch_bell *b, struct ev_loop *loop)
{
	if (b->fd < 0)
		return;
	iowatch_stop(loop, &b->w);
	close(b->fd);
	b->fd = -1;
}

void __attribute__((hot))
iowatch_before_sleep(struct ev_loop *loop, struct iowatch_bell *b)
{
	const uint64_t one = 1;
	unsigned long before = drops_seen;

	ev_invoke_pending(loop);
	if (drops_seen != before && b->fd >= 0)
		(void)!write(b->fd, &one, sizeof(one));
}
