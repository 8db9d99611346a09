/*
 * output — where a service's stdout and stderr go (SPEC `output`).
 *
 * `inherit` and `null` need nothing from this module. For `tagged` and
 * `file:PATH` sexton makes a pipe per service process: the child gets the
 * write end as fds 1 and 2, sexton reads the other end in an ev_io.
 *
 *   tagged: each line goes to sexton's stdout as "NAME | line" and into
 *           the service's line_ring (outbuf.h) for `sextonctl log`.
 *   file:   the bytes are appended to PATH, rotated at max_size to
 *           PATH.1 .. PATH.keep (the oldest is deleted).
 *
 * sexton never waits on any of it. A wake-up reads at most
 * OUT_READ_BUDGET bytes per service, so a flooding service cannot starve
 * the loop; a line never grows past OUT_LINE_MAX (longer ones are split,
 * a partial line is held until its newline, EOF or the limit); and
 * stdout is written through one bounded queue that drops the oldest
 * whole lines when stdout is slower than the services, then says so with
 * "sexton | N lines dropped (stdout too slow)". The only blocking I/O left
 * is the write(2) to a regular file (file: output, or a stdout redirected
 * to a file), which the kernel does not let anyone make non-blocking.
 *
 * Ownership:
 *   - struct out_sink: one per daemon, owned by the daemon; it must
 *     outlive every svc_out that writes to it. It does not own the fd it
 *     was given (fd 1 is shared with `inherit` services).
 *   - struct line_ring: owned by the service for as long as it is
 *     configured (restarts included); a svc_out only borrows it.
 *   - struct svc_out: one per service *process*. Open it before spawning,
 *     close it when the process is gone (or the service is removed); a
 *     restart is close + open with the same ring, so the ring keeps the
 *     lines from before the crash. It owns the pipe's read end and the
 *     open log file, and stops its watcher before closing them.
 */
#ifndef SEXTON_OUTPUT_H
#define SEXTON_OUTPUT_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>

#include "outbuf.h"

#define OUT_LINE_MAX 4096	       /* bytes of one line; longer ones are split */
#define OUT_RING_LINES 1000	       /* lines kept for `sextonctl log` (SPEC) */
#define OUT_NAME_MAX 255	       /* bytes of a service name (the tag) */
#define OUT_READ_BUDGET (64 * 1024)    /* bytes read per service per wake-up */
#define OUT_QUEUE_BYTES (1024 * 1024)  /* default stdout queue */

enum out_kind { OUT_KIND_TAGGED, OUT_KIND_FILE };

struct out_sink;

/*
 * The stdout writer, writing to FD (normally 1) through a queue of
 * QUEUE_BYTES (0: OUT_QUEUE_BYTES; at least two maximal lines).
 *
 * FD's file description is never changed: `inherit` services share it.
 * A pipe, FIFO or tty is reopened through /proc/self/fd as a description
 * of our own that can be non-blocking; a socket is written with
 * MSG_DONTWAIT; a regular file directly. If none of that works (no /proc)
 * sexton writes at most PIPE_BUF bytes and only when epoll says FD is
 * writable. An unusable FD (closed, reader gone) is logged once and its
 * lines are counted as dropped. Returns 0 or -errno (-ENOMEM, -EINVAL).
 */
int out_sink_new(struct out_sink **out, struct ev_loop *loop, int fd, size_t queue_bytes);

/* Writes what FD takes right now without waiting, then frees. */
void out_sink_free(struct out_sink *sink);

/*
 * Queue "TAG | LINE\n" and write what the fd takes now. LINE must not
 * contain '\n'; a TAG longer than OUT_NAME_MAX or a LINE longer than
 * OUT_LINE_MAX is cut (svc_out splits long lines before they get here).
 */
void out_sink_line(struct out_sink *sink, const char *tag, const char *line, size_t len);

/* Lines dropped since start (stdout too slow or unusable), for metrics. */
unsigned long long out_sink_dropped(const struct out_sink *sink);

/* Bytes waiting to be written. */
size_t out_sink_queued(const struct out_sink *sink);

struct svc_out_params {
	const char *name;	     /* the service: tag and log messages */
	enum out_kind kind;
	struct out_sink *sink;	     /* tagged: stdout writer; NULL = ring only */
	struct line_ring *ring;	     /* tagged: last lines; NULL = none */
	const char *path;	     /* file: the log file */
	unsigned long long max_size; /* file: rotate at this size; 0 = never */
	unsigned keep;		     /* file: rotated files kept; 0 = start over */
};

/*
 * file: PATH never grows past max_size. It is rotated before a line that
 * would not fit, so lines stay whole; only a line longer than max_size is
 * cut, at max_size. Rotation renames PATH.i to PATH.i+1 (replacing
 * PATH.keep, the oldest) and PATH to PATH.1. If a rename fails it is
 * logged and PATH grows by another max_size before the next try.
 */

struct svc_out;

/*
 * Make the pipe, open the log file (file:) and start reading. On success
 * *CHILD_FD is the pipe's write end (blocking, close-on-exec): the caller
 * dup2's it to 1 and 2 in the child and closes it after spawning. Returns
 * 0 or -errno (-ENAMETOOLONG, -EINVAL, or the open(2) error of PATH).
 */
int svc_out_open(struct svc_out **out, struct ev_loop *loop, const struct svc_out_params *p,
		 int *child_fd);

/*
 * The service process is gone: read what the pipe holds now (bounded; a
 * grandchild still writing cannot keep us here), flush a partial line,
 * stop the watcher, close everything, free. NULL is a no-op.
 */
void svc_out_close(struct svc_out *o);

/* file: rotate at MAX_SIZE, keep KEEP from now on (a reload changed them:
 * they apply to the running process's file, no restart). */
void svc_out_set_rotation(struct svc_out *o, unsigned long long max_size, unsigned keep);

/* True once every writer has closed the pipe and all was read. */
bool svc_out_eof(const struct svc_out *o);

/* Bytes read from the pipe so far. */
unsigned long long svc_out_bytes(const struct svc_out *o);

#endif
