/*
 * outbuf — the two bounded buffers behind service output. No I/O, no ev.
 *
 * line_ring: the last N lines of one service, for `sextonctl log NAME -n N`
 * and `-f`. It belongs to the service, not to the pipe reader, so that it
 * outlives restarts: `sextonctl log` after a crash shows what the dead
 * process wrote. Memory is bounded by N * the longest line pushed (the
 * pipe reader never pushes lines longer than OUT_LINE_MAX). Slot buffers
 * are reused, so a steady flood does not churn malloc.
 *
 * lineq: a fixed-size circular queue of whole newline-terminated entries,
 * the shared stdout queue. When an entry does not fit, the oldest whole
 * entries are dropped and counted: the writer falls behind by losing
 * lines, never by growing. A write that stops inside an entry hands the
 * rest of that entry back (lineq_written) so that dropping can never cut
 * a line that is already half out.
 */
#ifndef SEXTON_OUTBUF_H
#define SEXTON_OUTBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

struct line_ring;

/* Called after each push with the line just stored (no newline). It must
 * not push into the same ring. */
typedef void line_fn(void *ctx, const char *line, size_t len);

/* A ring keeping the last MAX_LINES (>= 1) lines. Returns 0 or -errno. */
int line_ring_new(struct line_ring **out, size_t max_lines);
void line_ring_free(struct line_ring *ring);

/* Store LINE (LEN bytes, no newline; may contain NULs), evicting the
 * oldest when full. Returns 0, or -ENOMEM with the ring unchanged. */
int line_ring_push(struct line_ring *ring, const char *line, size_t len);

size_t line_ring_count(const struct line_ring *ring);

/* Lines ever pushed (a follower's cursor; also a metric). */
unsigned long long line_ring_total(const struct line_ring *ring);

/* Call FN for the last min(N, count) lines, oldest first; returns how many.
 * FN must not push into RING. */
size_t line_ring_tail(const struct line_ring *ring, size_t n, line_fn *fn, void *ctx);

/* One listener (the control module fans out to its `-f` clients), or
 * NULL to remove it. */
void line_ring_set_listener(struct line_ring *ring, line_fn *fn, void *ctx);

/* All fields private; embedded so that the stdout writer needs one malloc. */
struct lineq {
	char *buf;
	size_t cap;	  /* bytes */
	size_t max_entry; /* longest entry accepted, '\n' included */
	size_t head;	  /* offset of the first unwritten byte */
	size_t len;	  /* bytes queued, whole entries only (see lineq_written) */
};

/* CAP bytes of queue for entries of at most MAX_ENTRY bytes; CAP must be
 * at least MAX_ENTRY. Returns 0 or -errno. */
int lineq_init(struct lineq *q, size_t cap, size_t max_entry);
void lineq_destroy(struct lineq *q);

/*
 * Queue one entry: the IOVCNT pieces followed by '\n'. The pieces must not
 * contain '\n' (entries are found by it). Drops the oldest entries until it
 * fits and returns how many were dropped, or -EMSGSIZE if the entry is
 * longer than max_entry (nothing is queued or dropped).
 */
long lineq_push(struct lineq *q, const struct iovec *iov, int iovcnt);

/* Drop every queued entry; returns how many. */
size_t lineq_clear(struct lineq *q);

static inline bool
lineq_empty(const struct lineq *q)
{
	return q->len == 0;
}

static inline size_t
lineq_bytes(const struct lineq *q)
{
	return q->len;
}

/* The queued bytes as at most 2 iovecs (the buffer wraps); returns the count. */
int lineq_peek(const struct lineq *q, struct iovec iov[2]);

/*
 * N bytes from the front were written. If that ends inside an entry, the
 * unwritten rest of it (through its '\n') is moved into REST, which must
 * hold max_entry bytes, and its length is returned; else 0. Afterwards the
 * queue starts at an entry boundary again.
 */
size_t lineq_written(struct lineq *q, size_t n, char *rest);

#endif
