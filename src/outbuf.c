/* outbuf — see include/outbuf.h. */
#include "outbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A slot keeps its buffer while it is at most this much larger than twice
 * the new line: small lines after a burst of long ones give memory back,
 * but similar lengths reuse the buffer. */
#define SLOT_SLACK 256
#define SLOT_MIN 16

struct ring_slot {
	char *buf;
	size_t len, size;
};

struct line_ring {
	struct ring_slot *slot;
	size_t max;   /* slots */
	size_t first; /* index of the oldest line */
	size_t count;
	unsigned long long total;
	line_fn *listener;
	void *listener_ctx;
};

int
line_ring_new(struct line_ring **out, size_t max_lines)
{
	struct line_ring *ring;

	if (max_lines == 0)
		return -EINVAL;
	ring = calloc(1, sizeof(*ring));
	if (!ring)
		return -ENOMEM;
	ring->slot = calloc(max_lines, sizeof(ring->slot[0]));
	if (!ring->slot) {
		free(ring);
		return -ENOMEM;
	}
	ring->max = max_lines;
	*out = ring;
	return 0;
}

void
line_ring_free(struct line_ring *ring)
{
	size_t i;

	if (!ring)
		return;
	for (i = 0; i < ring->max; i++)
		free(ring->slot[i].buf);
	free(ring->slot);
	free(ring);
}

static int
slot_fit(struct ring_slot *s, size_t len)
{
	size_t want = len < SLOT_MIN ? SLOT_MIN : len;
	char *nb;

	if (s->buf && s->size >= len && s->size <= 2 * len + SLOT_SLACK)
		return 0;
	nb = realloc(s->buf, want);
	if (!nb)
		return -ENOMEM; /* the old buffer and its line are untouched */
	s->buf = nb;
	s->size = want;
	return 0;
}

int
line_ring_push(struct line_ring *ring, const char *line, size_t len)
{
	size_t idx = (ring->first + ring->count) % ring->max;
	struct ring_slot *s = &ring->slot[idx];

	if (slot_fit(s, len) < 0)
		return -ENOMEM;
	if (len)
		memcpy(s->buf, line, len);
	s->len = len;
	if (ring->count < ring->max)
		ring->count++;
	else
		ring->first = (ring->first + 1) % ring->max; /* IDX was the oldest */
	ring->total++;
	if (ring->listener)
		ring->listener(ring->listener_ctx, s->buf, len);
	return 0;
}

size_t
line_ring_count(const struct line_ring *ring)
{
	return ring->count;
}

unsigned long long
line_ring_total(const struct line_ring *ring)
{
	return ring->total;
}

size_t
line_ring_tail(const struct line_ring *ring, size_t n, line_fn *fn, void *ctx)
{
	const struct ring_slot *s;
	size_t i, skip;

	if (n > ring->count)
		n = ring->count;
	skip = ring->count - n;
	for (i = 0; i < n; i++) {
		s = &ring->slot[(ring->first + skip + i) % ring->max];
		fn(ctx, s->buf, s->len);
	}
	return n;
}

void
line_ring_set_listener(struct line_ring *ring, line_fn *fn, void *ctx)
{
	ring->listener = fn;
	ring->listener_ctx = ctx;
}

int
lineq_init(struct lineq *q, size_t cap, size_t max_entry)
{
	memset(q, 0, sizeof(*q));
	if (max_entry == 0 || cap < max_entry)
		return -EINVAL;
	q->buf = malloc(cap);
	if (!q->buf)
		return -ENOMEM;
	q->cap = cap;
	q->max_entry = max_entry;
	return 0;
}

void
lineq_destroy(struct lineq *q)
{
	free(q->buf);
	memset(q, 0, sizeof(*q));
}

/* Copy N bytes in at queue offset OFF (relative to head), wrapping. */
static void
copy_in(struct lineq *q, size_t off, const void *src, size_t n)
{
	size_t at = (q->head + off) % q->cap;
	size_t first = n < q->cap - at ? n : q->cap - at;

	memcpy(q->buf + at, src, first);
	memcpy(q->buf, (const char *)src + first, n - first);
}

static void
copy_out(const struct lineq *q, size_t off, void *dst, size_t n)
{
	size_t at = (q->head + off) % q->cap;
	size_t first = n < q->cap - at ? n : q->cap - at;

	memcpy(dst, q->buf + at, first);
	memcpy((char *)dst + first, q->buf, n - first);
}

/* Length of the first entry, '\n' included, or 0 if the queue holds no
 * newline (only possible when it is empty: entries are whole). */
static size_t
first_entry_len(const struct lineq *q)
{
	size_t run = q->cap - q->head < q->len ? q->cap - q->head : q->len;
	const char *nl = memchr(q->buf + q->head, '\n', run);

	if (nl)
		return (size_t)(nl - (q->buf + q->head)) + 1;
	nl = memchr(q->buf, '\n', q->len - run);
	return nl ? run + (size_t)(nl - q->buf) + 1 : 0;
}

static void
advance(struct lineq *q, size_t n)
{
	q->head = (q->head + n) % q->cap;
	q->len -= n;
	if (q->len == 0)
		q->head = 0; /* keeps the next entries contiguous: fewer iovecs */
}

long
lineq_push(struct lineq *q, const struct iovec *iov, int iovcnt)
{
	size_t total = 1, off;
	long dropped = 0;
	int i;

	for (i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (total > q->max_entry)
		return -EMSGSIZE;
	while (q->cap - q->len < total) {
		size_t n = first_entry_len(q);

		if (n == 0)
			n = q->len; /* cannot happen; never loop for ever */
		advance(q, n);
		dropped++;
	}
	off = q->len;
	for (i = 0; i < iovcnt; i++) {
		copy_in(q, off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	copy_in(q, off, "\n", 1);
	q->len += total;
	return dropped;
}

size_t
lineq_clear(struct lineq *q)
{
	size_t n = 0;
	struct iovec iov[2];
	int i, cnt = lineq_peek(q, iov);
	const char *p, *end;

	for (i = 0; i < cnt; i++) {
		p = iov[i].iov_base;
		end = p + iov[i].iov_len;
		while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			n++;
			p++;
		}
	}
	q->head = q->len = 0;
	return n;
}

int
lineq_peek(const struct lineq *q, struct iovec iov[2])
{
	size_t run = q->cap - q->head < q->len ? q->cap - q->head : q->len;

	if (q->len == 0)
		return 0;
	iov[0].iov_base = q->buf + q->head;
	iov[0].iov_len = run;
	if (run == q->len)
		return 1;
	iov[1].iov_base = q->buf;
	iov[1].iov_len = q->len - run;
	return 2;
}

size_t
lineq_written(struct lineq *q, size_t n, char *rest)
{
	size_t last, k;

	if (n == 0)
		return 0;
	if (n > q->len)
		n = q->len;
	last = (q->head + n - 1) % q->cap;
	advance(q, n);
	if (q->buf[last] == '\n' || q->len == 0)
		return 0;
	k = first_entry_len(q);
	if (k == 0 || k > q->max_entry)
		k = q->len < q->max_entry ? q->len : q->max_entry; /* cannot happen */
	copy_out(q, 0, rest, k);
	advance(q, k);
	return k;
}
