/*
 * iowatch — an ev_io that is watched again when libev drops it.
 *
 * When epoll_ctl refuses a descriptor (ENOMEM; ENOSPC at
 * fs.epoll.max_user_watches, which any process of the same user can use
 * up), libev stops the watcher and calls it once with EV_ERROR. A plain
 * ev_io is then deaf for good: a service whose output pipe it was blocks
 * once the pipe fills, a control client waits for ever. An iowatch owns a
 * retry timer next to its ev_io: the callback hands EV_ERROR to
 * iowatch_dropped(), and the timer starts the watcher again every
 * IOWATCH_RETRY_S until it has stayed up for a whole period.
 *
 * Owners start, stop and test the watcher through these functions, never
 * ev_io_start/stop on .io directly, so that a watcher stopped on purpose is
 * not brought back by a pending retry. The callback gets &iowatch.io, as
 * with a plain ev_io (container_of(w, struct owner, field.io)).
 */
#ifndef SEXTON_IOWATCH_H
#define SEXTON_IOWATCH_H

#include <ev.h>
#include <stdbool.h>

#define IOWATCH_RETRY_S 0.1

struct iowatch {
	ev_io io;
	ev_timer retry;	     /* repeating while the watcher is dropped or paused */
	const char *what, *who; /* for the log: "the output of " "web" */
	unsigned long drops; /* in a row, for the log (every 100th is said) */
	bool quiet;	     /* drops logged at debug level only */
};

/* ev_io_init, and what the log calls it: WHAT followed by WHO (NULL for
 * nothing), such as a service's name. Both must outlive the watcher. */
void iowatch_init(struct iowatch *w, void (*cb)(struct ev_loop *, ev_io *, int), int fd,
		  int events, const char *what, const char *who);
/* Log W's drops at debug level only: for watchers that others create at
 * will (control clients), whose drops would otherwise be theirs to flood
 * the log with. */
void iowatch_quiet(struct iowatch *w);
/* ev_io_set: only while stopped. */
void iowatch_set(struct iowatch *w, int fd, int events);

/* Start, unless a retry is pending: then its timer starts it. */
void iowatch_start(struct ev_loop *loop, struct iowatch *w);
/* Stop the watcher and any pending retry. */
void iowatch_stop(struct ev_loop *loop, struct iowatch *w);
/* Watched, or to be watched again by a pending retry. */
bool iowatch_is_on(const struct iowatch *w);

/*
 * For the callback: if REVENTS holds EV_ERROR (libev dropped the
 * watcher), log it, arm the retry and return true; the callback then
 * usually returns at once. false otherwise.
 */
bool iowatch_dropped(struct ev_loop *loop, struct iowatch *w, int revents);

/*
 * A doorbell for the loop. libev feeds EV_ERROR while it updates epoll,
 * after it has chosen how long to sleep, and does not shorten that sleep
 * for pending events: a drop would wait for the next unrelated wake-up,
 * days for an idle PID 1. iowatch_before_sleep, called from the loop's
 * release callback (ev_set_loop_release_cb, just before epoll_wait), runs
 * those callbacks there (only EV_ERROR can be pending at that point) and,
 * when one of them found a drop (its retry timer is not in this sleep's
 * timeout), rings the bell: epoll_wait returns at once and the next pass
 * counts the timer. libev's manual allows changes between release and
 * acquire, and says to wake the loop for them to take effect.
 *
 * An eventfd in an iowatch rather than libev's ev_async: libev's own pipe
 * watcher is dropped like any other when epoll refuses it, and libev never
 * watches it again; the bell is watched again like every iowatch.
 */
struct iowatch_bell {
	struct iowatch w;
	int fd;
};

/* 0 or -errno. The bell's watcher is started. */
int iowatch_bell_open(struct iowatch_bell *b, struct ev_loop *loop);
void iowatch_bell_close(struct iowatch_bell *b, struct ev_loop *loop);
/* Run what libev fed since its last dispatch; ring B if a drop was among
 * it (nothing to do, and no system call, otherwise). ev_invoke_pending,
 * not ev_pending_count: it runs on every pass anyway, so its page of
 * libev's text is warm, where ev_pending_count's is cold after a sleep
 * (some 0.6 us of every forwarded signal: DESIGN.md, "Cold pages"). */
void iowatch_before_sleep(struct ev_loop *loop, struct iowatch_bell *b);

/* Stop on purpose and start again every DELAY s until it stays up (the
 * control socket out of descriptors: accept would fail on every wake-up). */
void iowatch_pause(struct ev_loop *loop, struct iowatch *w, double delay);

#endif
