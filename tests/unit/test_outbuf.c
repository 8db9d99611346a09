/* Unit tests: the line ring kept for `sextonctl log` and the stdout line queue. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outbuf.h"

struct collect {
	size_t n;
	char lines[2000][32];
};

static void
collect_line(void *ctx, const char *line, size_t len)
{
	struct collect *c = ctx;

	assert_true(len < sizeof(c->lines[0]));
	assert_true(c->n < sizeof(c->lines) / sizeof(c->lines[0]));
	memcpy(c->lines[c->n], line, len);
	c->lines[c->n][len] = '\0';
	c->n++;
}

static void
push_numbered(struct line_ring *ring, int from, int to)
{
	char buf[32];
	int i, n;

	for (i = from; i < to; i++) {
		n = snprintf(buf, sizeof(buf), "line %d", i);
		assert_int_equal(line_ring_push(ring, buf, (size_t)n), 0);
	}
}

static void
assert_numbered(const struct collect *c, int first)
{
	char want[32];
	size_t i;

	for (i = 0; i < c->n; i++) {
		snprintf(want, sizeof(want), "line %d", first + (int)i);
		assert_string_equal(c->lines[i], want);
	}
}

static void
test_ring_keeps_last_1000_in_order(void **state)
{
	struct line_ring *ring;
	struct collect *c = calloc(1, sizeof(*c));

	(void)state;
	assert_int_equal(line_ring_new(&ring, 1000), 0);
	push_numbered(ring, 0, 2500);
	assert_int_equal(line_ring_count(ring), 1000);
	assert_int_equal(line_ring_total(ring), 2500);

	assert_int_equal(line_ring_tail(ring, 5000, collect_line, c), 1000);
	assert_int_equal(c->n, 1000);
	assert_numbered(c, 1500);

	c->n = 0;
	assert_int_equal(line_ring_tail(ring, 10, collect_line, c), 10);
	assert_numbered(c, 2490);

	c->n = 0;
	assert_int_equal(line_ring_tail(ring, 0, collect_line, c), 0);
	assert_int_equal(c->n, 0);
	line_ring_free(ring);
	free(c);
}

static void
test_ring_not_yet_full(void **state)
{
	struct line_ring *ring;
	struct collect *c = calloc(1, sizeof(*c));

	(void)state;
	assert_int_equal(line_ring_new(&ring, 1000), 0);
	assert_int_equal(line_ring_tail(ring, 10, collect_line, c), 0);
	push_numbered(ring, 0, 7);
	assert_int_equal(line_ring_count(ring), 7);
	assert_int_equal(line_ring_tail(ring, 3, collect_line, c), 3);
	assert_numbered(c, 4);
	c->n = 0;
	assert_int_equal(line_ring_tail(ring, 100, collect_line, c), 7);
	assert_numbered(c, 0);
	line_ring_free(ring);
	free(c);
}

/* Slots are reused: a long line followed by a short one must not leak the
 * old bytes, and empty lines survive. */
static void
test_ring_reuses_slots(void **state)
{
	struct line_ring *ring;
	struct collect *c = calloc(1, sizeof(*c));
	char big[5000];

	(void)state;
	memset(big, 'x', sizeof(big));
	assert_int_equal(line_ring_new(&ring, 2), 0);
	assert_int_equal(line_ring_push(ring, big, sizeof(big)), 0);
	assert_int_equal(line_ring_push(ring, "", 0), 0);
	assert_int_equal(line_ring_push(ring, "ab", 2), 0); /* reuses the big slot */
	assert_int_equal(line_ring_tail(ring, 2, collect_line, c), 2);
	assert_string_equal(c->lines[0], "");
	assert_string_equal(c->lines[1], "ab");
	assert_int_equal(line_ring_new(&ring, 0), -EINVAL);
	line_ring_free(ring);
	free(c);
}

static void
test_ring_listener(void **state)
{
	struct line_ring *ring;
	struct collect *c = calloc(1, sizeof(*c));

	(void)state;
	assert_int_equal(line_ring_new(&ring, 3), 0);
	push_numbered(ring, 0, 2);
	line_ring_set_listener(ring, collect_line, c);
	push_numbered(ring, 2, 6);
	line_ring_set_listener(ring, NULL, NULL);
	push_numbered(ring, 6, 7);
	assert_int_equal(c->n, 4);
	assert_numbered(c, 2);
	line_ring_free(ring);
	free(c);
}

static size_t
queue_text(const struct lineq *q, char *out, size_t cap)
{
	struct iovec iov[2];
	size_t n = 0;
	int i, cnt = lineq_peek(q, iov);

	for (i = 0; i < cnt; i++) {
		assert_true(n + iov[i].iov_len <= cap);
		memcpy(out + n, iov[i].iov_base, iov[i].iov_len);
		n += iov[i].iov_len;
	}
	out[n] = '\0';
	return n;
}

static long
push_str(struct lineq *q, const char *s)
{
	struct iovec iov = { (void *)s, strlen(s) };

	return lineq_push(q, &iov, 1);
}

static void
test_lineq_drops_oldest_whole_entries(void **state)
{
	struct lineq q;
	char text[64];

	(void)state;
	assert_int_equal(lineq_init(&q, 16, 8), 0);
	assert_int_equal(push_str(&q, "aaaa"), 0); /* 5 */
	assert_int_equal(push_str(&q, "bbbbb"), 0); /* 6: 11 */
	assert_int_equal(push_str(&q, "ccc"), 0);   /* 4: 15 */
	assert_int_equal(push_str(&q, "dd"), 1);    /* 3: drops "aaaa\n" */
	queue_text(&q, text, sizeof(text));
	assert_string_equal(text, "bbbbb\nccc\ndd\n");
	assert_int_equal(push_str(&q, "eeeeeee"), 1); /* 8: drops "bbbbb\n" only */
	queue_text(&q, text, sizeof(text));
	assert_string_equal(text, "ccc\ndd\neeeeeee\n");
	assert_int_equal(push_str(&q, "1234567"), 2); /* 8: needs c and d gone */
	queue_text(&q, text, sizeof(text));
	assert_string_equal(text, "eeeeeee\n1234567\n");
	assert_int_equal(push_str(&q, "12345678"), -EMSGSIZE);
	assert_int_equal(lineq_bytes(&q), 16);
	assert_int_equal(lineq_clear(&q), 2);
	assert_true(lineq_empty(&q));
	lineq_destroy(&q);
}

/* A write that stops inside an entry gives its rest back, so the queue
 * only ever holds whole entries and a drop cannot cut a half-sent line. */
static void
test_lineq_written_hands_back_rest(void **state)
{
	struct lineq q;
	char rest[8], text[64];

	(void)state;
	assert_int_equal(lineq_init(&q, 16, 8), 0);
	push_str(&q, "abcdef");
	push_str(&q, "xy");
	assert_int_equal(lineq_written(&q, 3, rest), 4);
	assert_memory_equal(rest, "def\n", 4);
	queue_text(&q, text, sizeof(text));
	assert_string_equal(text, "xy\n");
	assert_int_equal(lineq_written(&q, 3, rest), 0);
	assert_true(lineq_empty(&q));

	/* across the wrap */
	push_str(&q, "1234567");
	push_str(&q, "abcdef");
	push_str(&q, "uvwxyz"); /* drops "1234567\n"; the new entry wraps */
	assert_int_equal(lineq_written(&q, 9, rest), 5);
	assert_memory_equal(rest, "wxyz\n", 5);
	assert_true(lineq_empty(&q));
	lineq_destroy(&q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_keeps_last_1000_in_order),
		cmocka_unit_test(test_ring_not_yet_full),
		cmocka_unit_test(test_ring_reuses_slots),
		cmocka_unit_test(test_ring_listener),
		cmocka_unit_test(test_lineq_drops_oldest_whole_entries),
		cmocka_unit_test(test_lineq_written_hands_back_rest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
