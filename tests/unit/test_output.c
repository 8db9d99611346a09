/* Unit tests: service output through real pipes and a real ev loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "output.h"
#include "monoclock.h"

#define MIB (1024 * 1024)

struct fixture {
	struct ev_loop *loop;
	int rd;	 /* what the sink wrote; the test reads it */
	int wr;	 /* the sink's fd ("sexton's stdout") */
	struct out_sink *sink;
	struct line_ring *ring;
};

static void
spin(struct ev_loop *loop, int n)
{
	while (n-- > 0)
		ev_run(loop, EVRUN_NOWAIT);
}

static int
fx_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	int p[2];

	assert_non_null(fx);
	fx->loop = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOSIGMASK);
	assert_non_null(fx->loop);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	fx->rd = p[0];
	fx->wr = p[1];
	assert_int_equal(fcntl(fx->rd, F_SETFL, O_NONBLOCK), 0); /* ours only */
	assert_int_equal(out_sink_new(&fx->sink, fx->loop, fx->wr, 0), 0);
	assert_int_equal(line_ring_new(&fx->ring, OUT_RING_LINES), 0);
	*state = fx;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fixture *fx = *state;

	out_sink_free(fx->sink);
	line_ring_free(fx->ring);
	close(fx->rd);
	close(fx->wr);
	ev_loop_destroy(fx->loop);
	free(fx);
	return 0;
}

/* Everything readable on FD now, NUL-terminated. */
static size_t
slurp(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;

	while (n < cap - 1 && (r = read(fd, buf + n, cap - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	return n;
}

static void
write_str(int fd, const char *s)
{
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

static struct svc_out *
open_tagged(struct fixture *fx, const char *name, int *child)
{
	struct svc_out_params p = { .name = name, .kind = OUT_KIND_TAGGED, .sink = fx->sink,
				    .ring = fx->ring };
	struct svc_out *o;

	assert_int_equal(svc_out_open(&o, fx->loop, &p, child), 0);
	return o;
}

struct collect {
	size_t n;
	size_t bytes;
	char text[16384]; /* lines joined by '\n' while they fit */
	size_t other_len; /* a line whose length differs from the first */
	size_t first_len;
};

static void
collect_line(void *ctx, const char *line, size_t len)
{
	struct collect *c = ctx;

	if (c->n == 0)
		c->first_len = len;
	else if (len != c->first_len)
		c->other_len = len;
	c->n++;
	if (c->bytes + len + 1 < sizeof(c->text)) {
		memcpy(c->text + c->bytes, line, len);
		c->bytes += len;
		c->text[c->bytes++] = '\n';
		c->text[c->bytes] = '\0';
	}
}

static void
test_tagged_lines(void **state)
{
	struct fixture *fx = *state;
	struct collect c = { 0 };
	char buf[256];
	struct svc_out *o;
	int child;

	o = open_tagged(fx, "web", &child);
	write_str(child, "hello\nwor");
	spin(fx->loop, 3);
	slurp(fx->rd, buf, sizeof(buf));
	assert_string_equal(buf, "web | hello\n"); /* "wor" is held back */

	write_str(child, "ld\r\n\n");
	spin(fx->loop, 3);
	slurp(fx->rd, buf, sizeof(buf));
	assert_string_equal(buf, "web | world\r\nweb | \n"); /* CR kept, empty line kept */

	write_str(child, "no newline");
	close(child);
	assert_false(svc_out_eof(o));
	spin(fx->loop, 3);
	assert_true(svc_out_eof(o));
	slurp(fx->rd, buf, sizeof(buf));
	assert_string_equal(buf, "web | no newline\n");

	line_ring_tail(fx->ring, 10, collect_line, &c);
	assert_int_equal(c.n, 4);
	assert_string_equal(c.text, "hello\nworld\r\n\nno newline\n");
	assert_int_equal(svc_out_bytes(o), 24);
	assert_int_equal(out_sink_dropped(fx->sink), 0);
	svc_out_close(o);
}

/* 10000 bytes in one line become 4096 + 4096 + 1808; a line of exactly
 * 4096 stays one line. */
static void
test_long_line_split(void **state)
{
	struct fixture *fx = *state;
	static char line[10001], out[16384], joined[10001];
	struct svc_out *o;
	size_t i, n, got = 0, pieces = 0;
	char *p, *nl;
	int child;

	for (i = 0; i < 10000; i++)
		line[i] = (char)('a' + i % 26);
	line[10000] = '\n';
	o = open_tagged(fx, "big", &child);
	assert_int_equal(write(child, line, 10001), 10001);
	spin(fx->loop, 3);
	n = slurp(fx->rd, out, sizeof(out));
	assert_int_equal(n, 10000 + 3 * strlen("big | \n"));
	for (p = out; (nl = memchr(p, '\n', (size_t)(out + n - p))) != NULL; p = nl + 1) {
		assert_memory_equal(p, "big | ", 6);
		assert_true(nl - p - 6 <= OUT_LINE_MAX);
		assert_int_equal(nl - p - 6, pieces < 2 ? 4096 : 1808);
		memcpy(joined + got, p + 6, (size_t)(nl - p - 6));
		got += (size_t)(nl - p - 6);
		pieces++;
	}
	assert_int_equal(pieces, 3);
	assert_int_equal(got, 10000);
	assert_memory_equal(joined, line, 10000);

	line[4096] = '\n';
	assert_int_equal(write(child, line, 4097), 4097);
	spin(fx->loop, 3);
	n = slurp(fx->rd, out, sizeof(out));
	assert_int_equal(n, 4096 + 7);
	assert_int_equal(line_ring_count(fx->ring), 4);
	close(child);
	svc_out_close(o);
}

static long
rss_kib(void)
{
	long pages = 0, size;
	FILE *f = fopen("/proc/self/statm", "r");

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld %ld", &size, &pages), 2);
	fclose(f);
	return pages * (sysconf(_SC_PAGESIZE) / 1024);
}

static void
check_50mb_result(struct fixture *fx, struct svc_out *o, unsigned long long total)
{
	struct collect c = { 0 };

	assert_true(svc_out_eof(o));
	assert_int_equal(svc_out_bytes(o), total);
	assert_int_equal(line_ring_total(fx->ring), total / OUT_LINE_MAX);
	assert_int_equal(line_ring_tail(fx->ring, 5000, collect_line, &c), OUT_RING_LINES);
	assert_int_equal(c.first_len, OUT_LINE_MAX);
	assert_int_equal(c.other_len, 0); /* every piece exactly 4096 */
	assert_int_equal(c.text[0], 'x');
}

struct flood_stats {
	int iters, bound_hit;
	unsigned long long max_delta;
	double slowest; /* seconds, longest ev_run */
};

/* Keep CHILD's pipe full of 'x' until TOTAL bytes were read, one loop
 * iteration at a time, measuring each. */
static void
flood_no_newline(struct ev_loop *loop, struct svc_out *o, int child,
		 unsigned long long total, struct flood_stats *st)
{
	static char chunk[MIB];
	unsigned long long sent = 0, before, delta;
	int queued;
	double t;
	ssize_t w;

	memset(chunk, 'x', sizeof(chunk));
	while (svc_out_bytes(o) < total) {
		assert_true(++st->iters < 100000);
		while (sent < total) {
			w = write(child, chunk, total - sent < MIB ? (size_t)(total - sent) : MIB);
			if (w <= 0)
				break;
			sent += (unsigned long long)w;
		}
		before = svc_out_bytes(o);
		t = now();
		ev_run(loop, EVRUN_NOWAIT);
		t = now() - t;
		st->slowest = t > st->slowest ? t : st->slowest;
		delta = svc_out_bytes(o) - before;
		st->max_delta = delta > st->max_delta ? delta : st->max_delta;
		assert_true(delta <= OUT_READ_BUDGET);
		assert_int_equal(ioctl(child, FIONREAD, &queued), 0);
		if (delta == OUT_READ_BUDGET && queued > 0)
			st->bound_hit++; /* more was waiting: the budget stopped it */
	}
}

/*
 * 50 MiB without a newline through a 1 MiB pipe: each loop iteration reads
 * at most OUT_READ_BUDGET although more is waiting, returns quickly, and
 * memory stays bounded (the line is split, never accumulated).
 */
static void
test_50mb_without_newline(void **state)
{
	struct fixture *fx = *state;
	const unsigned long long total = 50ULL * MIB;
	struct svc_out_params p = { .name = "flood", .kind = OUT_KIND_TAGGED, .ring = fx->ring };
	struct flood_stats st = { 0 };
	struct out_sink *devnull;
	struct svc_out *o;
	int child, null_fd;
	long rss0;

	null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	assert_int_equal(out_sink_new(&devnull, fx->loop, null_fd, 0), 0);
	p.sink = devnull;
	assert_int_equal(svc_out_open(&o, fx->loop, &p, &child), 0);
	assert_true(fcntl(child, F_SETPIPE_SZ, MIB) >= MIB);
	assert_int_equal(fcntl(child, F_SETFL, O_NONBLOCK), 0);
	rss0 = rss_kib();
	flood_no_newline(fx->loop, o, child, total, &st);
	close(child);
	spin(fx->loop, 3);
	print_message("50 MiB: %d iterations, slowest %.1f ms, RSS +%ld KiB\n", st.iters,
		      st.slowest * 1e3, rss_kib() - rss0);
	assert_true(st.bound_hit > 0);
	assert_int_equal(st.max_delta, OUT_READ_BUDGET);
	assert_true(st.slowest < 0.5); /* generous: ASan on a shared 2-core box */
	/* The ring (1000 x 4 KiB) and one queue: far below the 50 MiB a
	 * buffering reader would need. */
	assert_true(rss_kib() - rss0 < 24 * 1024);
	check_50mb_result(fx, o, total);
	svc_out_close(o);
	out_sink_free(devnull);
	close(null_fd);
}

/* Lines "svc | line NNNNN" and markers must tell the whole story: every
 * line present in order, each gap announced by one marker just before it
 * with its exact size, the sum equal to the dropped count. */
static void
check_story(const char *text, size_t len, int total, unsigned long long dropped)
{
	unsigned long long marker = 0, markers_sum = 0;
	const char *p = text, *nl, *end = text + len;
	int seen = 0, next = 0, num, consumed;

	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		assert_non_null(nl);
		if (sscanf(p, "sexton | %llu lines dropped (stdout too slow)%n", &marker,
			   &consumed) == 1) {
			assert_int_equal(p + consumed, nl);
			assert_true(marker > 0);
			markers_sum += marker;
			continue;
		}
		assert_int_equal(sscanf(p, "svc | line %5d%n", &num, &consumed), 1);
		assert_int_equal(p + consumed, nl);
		assert_true(num >= next);
		assert_int_equal((unsigned long long)(num - next), marker); /* gap == marker */
		marker = 0;
		next = num + 1;
		seen++;
	}
	assert_int_equal(marker, 0);
	assert_int_equal(next, total); /* the newest line is never dropped */
	assert_int_equal(markers_sum, dropped);
	assert_int_equal((unsigned long long)seen + dropped, (unsigned long long)total);
	assert_true(dropped > 0);
}

/*
 * WR is "sexton's stdout" and nobody reads RD: queueing lines must never
 * block; the oldest are dropped and counted; once RD is drained the
 * marker appears and the write watcher goes idle.
 */
static void
flood_stuck_stdout(struct ev_loop *loop, int rd, int wr)
{
	static char text[8 * MIB];
	const int total = 20000;
	struct out_sink *sink;
	size_t len = 0, n;
	char line[32];
	double t;
	int i, k, quiet;

	assert_int_equal(out_sink_new(&sink, loop, wr, 16384), 0);
	alarm(20); /* a blocking write would hang here: fail instead */
	t = now();
	for (i = 0; i < total; i++) {
		k = snprintf(line, sizeof(line), "line %05d", i);
		out_sink_line(sink, "svc", line, (size_t)k);
		if (i % 1000 == 0)
			spin(loop, 1);
	}
	t = now() - t;
	alarm(0);
	assert_true(t < 5.0);
	assert_true(out_sink_queued(sink) <= 16384);
	assert_true(out_sink_dropped(sink) > 0);
	assert_true(ev_run(loop, EVRUN_NOWAIT)); /* waiting for writability */

	for (quiet = 0; quiet < 3;) {
		n = slurp(rd, text + len, sizeof(text) - len);
		len += n;
		ev_run(loop, EVRUN_NOWAIT);
		quiet = n == 0 && out_sink_queued(sink) == 0 ? quiet + 1 : 0;
	}
	assert_false(ev_run(loop, EVRUN_NOWAIT)); /* idle: no watcher left */
	check_story(text, len, total, out_sink_dropped(sink));
	out_sink_free(sink);
}

static void
test_sink_pipe_nobody_reads(void **state)
{
	struct fixture *fx = *state;
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0); /* both ends blocking */
	assert_true(fcntl(p[1], F_SETPIPE_SZ, 4096) >= 4096);
	assert_int_equal(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	flood_stuck_stdout(fx->loop, p[0], p[1]);
	assert_int_equal(fcntl(p[1], F_GETFL) & O_NONBLOCK, 0); /* shared description untouched */
	close(p[0]);
	close(p[1]);
}

static void
test_sink_socket_nobody_reads(void **state)
{
	struct fixture *fx = *state;
	int sv[2], small = 4096;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
	assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	flood_stuck_stdout(fx->loop, sv[0], sv[1]);
	assert_int_equal(fcntl(sv[1], F_GETFL) & O_NONBLOCK, 0);
	close(sv[0]);
	close(sv[1]);
}

/* A stdout whose reader is gone: lines are counted as dropped and the
 * loop does not spin on an always-writable fd. */
static void
test_sink_reader_gone(void **state)
{
	struct fixture *fx = *state;
	struct out_sink *sink;
	int p[2], i;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	close(p[0]);
	assert_int_equal(out_sink_new(&sink, fx->loop, p[1], 0), 0);
	for (i = 0; i < 10; i++)
		out_sink_line(sink, "svc", "x", 1);
	spin(fx->loop, 5);
	for (i = 0; i < 5; i++)
		out_sink_line(sink, "svc", "y", 1);
	spin(fx->loop, 5);
	assert_int_equal(out_sink_dropped(sink), 15);
	assert_int_equal(out_sink_queued(sink), 0);
	assert_false(ev_run(fx->loop, EVRUN_NOWAIT));
	out_sink_free(sink);
	close(p[1]);
}

/* A service floods while stdout is stuck (more than the 1 MiB queue):
 * stdout drops, the ring for `sextonctl log` still holds exactly the last
 * 1000 lines. */
static void
test_flood_keeps_ring_exact(void **state)
{
	struct fixture *fx = *state;
	struct collect *c = calloc(1, sizeof(*c));
	static char in[2 * MIB], want[8192];
	const int total = 150000;
	size_t n = 0, off = 0;
	struct svc_out *o;
	int child, i, k, iters = 0;
	ssize_t w;

	for (i = 0; i < total; i++)
		n += (size_t)snprintf(in + n, sizeof(in) - n, "%d\n", i);
	assert_true(fcntl(fx->wr, F_SETPIPE_SZ, 4096) >= 4096); /* nobody reads fx->rd */
	o = open_tagged(fx, "svc", &child);
	assert_int_equal(fcntl(child, F_SETFL, O_NONBLOCK), 0);
	while (off < n) {
		w = write(child, in + off, n - off);
		if (w > 0)
			off += (size_t)w;
		else
			assert_int_equal(errno, EAGAIN);
		ev_run(fx->loop, EVRUN_NOWAIT);
		assert_true(++iters < 100000);
	}
	close(child);
	spin(fx->loop, 5);
	assert_true(svc_out_eof(o));
	assert_true(out_sink_dropped(fx->sink) > 0);
	assert_true(out_sink_queued(fx->sink) <= OUT_QUEUE_BYTES);
	assert_int_equal(line_ring_total(fx->ring), total);
	assert_int_equal(line_ring_tail(fx->ring, 2000, collect_line, c), OUT_RING_LINES);
	k = 0;
	for (i = total - OUT_RING_LINES; i < total; i++)
		k += snprintf(want + k, sizeof(want) - (size_t)k, "%d\n", i);
	assert_int_equal(c->bytes, (size_t)k);
	assert_memory_equal(c->text, want, (size_t)k);
	svc_out_close(o);
	free(c);
}

/* close drains what is in the pipe, flushes the partial line even with a
 * writer still alive; a restart (close + open) keeps the ring. */
static void
test_close_and_restart_keep_ring(void **state)
{
	struct fixture *fx = *state;
	struct collect c = { 0 };
	char buf[256];
	struct svc_out *o;
	int child;

	o = open_tagged(fx, "db", &child);
	write_str(child, "first\nsecond");
	svc_out_close(o); /* no loop ran: close itself reads */
	close(child);
	slurp(fx->rd, buf, sizeof(buf));
	assert_string_equal(buf, "db | first\ndb | second\n");

	o = open_tagged(fx, "db", &child);
	write_str(child, "third\n");
	spin(fx->loop, 3);
	close(child);
	svc_out_close(o);
	line_ring_tail(fx->ring, 10, collect_line, &c);
	assert_string_equal(c.text, "first\nsecond\nthird\n");
}

static void
test_open_errors(void **state)
{
	struct fixture *fx = *state;
	struct svc_out_params p = { .name = "x", .kind = OUT_KIND_FILE,
				    .path = "/nonexistent/dir/x.log" };
	char longname[OUT_NAME_MAX + 2];
	struct svc_out *o = NULL;
	int child = -1;

	assert_int_equal(svc_out_open(&o, fx->loop, &p, &child), -ENOENT);
	p.path = NULL;
	assert_int_equal(svc_out_open(&o, fx->loop, &p, &child), -EINVAL);
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	p.name = longname;
	p.kind = OUT_KIND_TAGGED;
	assert_int_equal(svc_out_open(&o, fx->loop, &p, &child), -ENAMETOOLONG);
	p.name = "a\nb";
	assert_int_equal(svc_out_open(&o, fx->loop, &p, &child), -EINVAL);
	assert_null(o);
	assert_int_equal(child, -1);
}

/* The file's content; a missing file reads as empty. */
static size_t
read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n;

	buf[0] = '\0';
	if (fd < 0)
		return 0;
	n = slurp(fd, buf, cap);
	close(fd);
	return n;
}

static void
rm_tree(const char *dir, const char *base, unsigned upto)
{
	char path[PATH_MAX];
	unsigned i;

	for (i = 0; i <= upto; i++) {
		if (i == 0)
			snprintf(path, sizeof(path), "%s/%s", dir, base);
		else
			snprintf(path, sizeof(path), "%s/%s.%u", dir, base, i);
		unlink(path);
	}
	rmdir(dir);
}

static struct svc_out *
open_file(struct fixture *fx, const char *path, unsigned long long max, unsigned keep, int *child)
{
	struct svc_out_params p = { .name = "f", .kind = OUT_KIND_FILE, .path = path,
				    .max_size = max, .keep = keep };
	struct svc_out *o;

	assert_int_equal(svc_out_open(&o, fx->loop, &p, child), 0);
	return o;
}

/*
 * 1000 lines of 11 bytes after "old\n", max_size 1000, keep 3: rotation at
 * line boundaries gives files of 90 lines (the first one also holds
 * "old\n"), so PATH.3 .. PATH hold exactly lines 720..999 and PATH.4 was
 * deleted.
 */
static void
test_file_append_and_rotate(void **state)
{
	struct fixture *fx = *state;
	static char in[16384], got[16384], one[4096];
	char dir[] = "/tmp/test_output.XXXXXX", path[PATH_MAX], rot[PATH_MAX + 16];
	size_t n = 0, len, k;
	struct svc_out *o;
	int child, fd, i;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/svc.log", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	write_str(fd, "old\n");
	close(fd);
	for (i = 0; i < 1000; i++)
		n += (size_t)snprintf(in + n, sizeof(in) - n, "line %05d\n", i);

	o = open_file(fx, path, 1000, 3, &child);
	assert_int_equal(write(child, in, n), (ssize_t)n);
	close(child);
	spin(fx->loop, 5);
	assert_true(svc_out_eof(o));
	svc_out_close(o);

	len = 0;
	for (i = 3; i >= 0; i--) {
		if (i)
			snprintf(rot, sizeof(rot), "%s.%d", path, i);
		else
			snprintf(rot, sizeof(rot), "%s", path);
		k = read_file(rot, one, sizeof(one));
		assert_true(k <= 1000 && k > 0);
		assert_int_equal(one[k - 1], '\n');
		memcpy(got + len, one, k);
		len += k;
	}
	snprintf(rot, sizeof(rot), "%s.4", path);
	assert_int_equal(access(rot, F_OK), -1);
	assert_int_equal(len, 280 * 11);
	assert_memory_equal(got, in + 720 * 11, len);
	rm_tree(dir, "svc.log", 4);
}

/* Short lines, lines of 250 bytes and a partial last line. */
static size_t
mixed_input(char *in, size_t cap)
{
	size_t n = 0;
	int i;

	for (i = 0; i < 60; i++) {
		if (i % 7 == 3) {
			memset(in + n, 'L', 250);
			n += 250;
			in[n++] = '\n';
		} else {
			n += (size_t)snprintf(in + n, cap - n, "row %d %.*s\n", i, i % 13,
					      "abcdefghijklmnop");
		}
	}
	memcpy(in + n, "tail-without-newline", 20);
	return n + 20;
}

/* PATH.KEEP .. PATH.1, PATH joined, oldest first; each at most MAX bytes. */
static size_t
join_rotated(const char *path, unsigned keep, size_t max, char *out, int *files)
{
	char rot[PATH_MAX + 16], one[4096];
	size_t len = 0, k;
	unsigned i;

	*files = 0;
	for (i = keep + 1; i-- > 0;) {
		if (i)
			snprintf(rot, sizeof(rot), "%s.%u", path, i);
		else
			snprintf(rot, sizeof(rot), "%s", path);
		k = read_file(rot, one, sizeof(one));
		if (k == 0)
			continue;
		assert_true(k <= max);
		memcpy(out + len, one, k);
		len += k;
		(*files)++;
	}
	return len;
}

/*
 * Small writes with the loop running in between (so reads cut lines
 * anywhere), lines longer than max_size, keep large enough for all: the
 * files joined oldest first are exactly the input, none over max_size.
 */
static void
test_file_rotation_loses_nothing(void **state)
{
	struct fixture *fx = *state;
	static char in[8192], got[8192];
	char dir[] = "/tmp/test_output.XXXXXX", path[PATH_MAX];
	size_t n, len, off, step;
	struct svc_out *o;
	int child, files;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/svc.log", dir);
	n = mixed_input(in, sizeof(in));
	o = open_file(fx, path, 100, 99, &child);
	for (off = 0; off < n; off += step) {
		step = n - off < 37 ? n - off : 37;
		assert_int_equal(write(child, in + off, step), (ssize_t)step);
		spin(fx->loop, 2);
	}
	close(child);
	spin(fx->loop, 3);
	svc_out_close(o);

	len = join_rotated(path, 99, 100, got, &files);
	assert_true((size_t)files > n / 100);
	assert_int_equal(len, n);
	assert_memory_equal(got, in, n);
	rm_tree(dir, "svc.log", 99);
}

/* keep = 0: rotation starts PATH over, no PATH.1 */
static void
test_file_keep_zero(void **state)
{
	struct fixture *fx = *state;
	char dir[] = "/tmp/test_output.XXXXXX", path[PATH_MAX], rot[PATH_MAX + 16], buf[256];
	struct svc_out *o;
	int child, i;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/svc.log", dir);
	o = open_file(fx, path, 50, 0, &child);
	for (i = 0; i < 20; i++) {
		snprintf(buf, sizeof(buf), "line %03d\n", i); /* 9 bytes */
		write_str(child, buf);
	}
	close(child);
	spin(fx->loop, 3);
	svc_out_close(o);
	snprintf(rot, sizeof(rot), "%s.1", path);
	assert_int_equal(access(rot, F_OK), -1);
	assert_int_equal(read_file(path, buf, sizeof(buf)), 45);
	assert_string_equal(buf, "line 015\nline 016\nline 017\nline 018\nline 019\n");
	rm_tree(dir, "svc.log", 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tagged_lines, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_long_line_split, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_50mb_without_newline, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_sink_pipe_nobody_reads, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_sink_socket_nobody_reads, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_sink_reader_gone, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_flood_keeps_ring_exact, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_close_and_restart_keep_ring, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_file_append_and_rotate, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_file_rotation_loses_nothing, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_file_keep_zero, fx_setup, fx_teardown),
	};

	/* sexton blocks SIGPIPE and reads it from its signalfd; a test
	 * process would die of it. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
