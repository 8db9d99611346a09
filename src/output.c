/* output — see include/output.h. */
#include "output.h"
#include "iowatch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "container_of.h"
#include "log.h"

#define TAG_SEP " | "
#define ENTRY_MAX (OUT_NAME_MAX + sizeof(TAG_SEP) - 1 + OUT_LINE_MAX + 1)
#define SINK_WRITE_MAX (256 * 1024) /* bytes per write(2): bounds one copy */
#define DRAIN_MAX (1024 * 1024)	    /* bytes svc_out_close reads: a full 1 MiB pipe */
#define ROTATED_SUFFIX_MAX 12	    /* ".4294967295" and its NUL */

enum sink_mode {
	SINK_NONBLOCK, /* a description of our own (or one already O_NONBLOCK) */
	SINK_SOCKET,   /* shared socket: send(MSG_DONTWAIT) does not block */
	SINK_FILE,     /* regular file or block device: writes do not wait for a reader */
	SINK_POLL,     /* shared and blocking: <= PIPE_BUF only when epoll says writable */
	SINK_BROKEN,   /* gone for good: every line is counted as dropped */
};

struct out_sink {
	struct ev_loop *loop;
	struct iowatch io; /* EV_WRITE, on only while the fd refused bytes */
	int fd;
	bool own_fd;
	bool failing; /* the last write failed (logged once): no watcher until
		       * a new line comes, or a hung-up tty would spin the loop */
	enum sink_mode mode;
	struct lineq q;
	/* The entry being written: once its first byte is out it can no
	 * longer be dropped, so it leaves the queue (lineq_written). */
	size_t cur_off, cur_len;
	unsigned long long cur_marker; /* drops an unwritten marker in cur reports */
	unsigned long long pending;    /* drops not yet reported by a marker */
	unsigned long long dropped;
	char cur[ENTRY_MAX];
};

static void sink_kick(struct out_sink *s);

static bool
sink_busy(const struct out_sink *s)
{
	return s->cur_off < s->cur_len || !lineq_empty(&s->q) || s->pending > 0;
}

/* The watcher runs only while there is something the fd refused: an idle
 * sexton gets no wake-ups from stdout. Regular files never refuse. */
static void
sink_arm(struct out_sink *s)
{
	bool want = s->mode != SINK_BROKEN && s->mode != SINK_FILE && !s->failing && sink_busy(s);

	if (want && !iowatch_is_on(&s->io))
		iowatch_start(s->loop, &s->io);
	else if (!want && iowatch_is_on(&s->io))
		iowatch_stop(s->loop, &s->io);
}

/* Lines lost to a write error: counted, and reported when writing works again. */
static void
sink_fail(struct out_sink *s, int err)
{
	unsigned long long lost = lineq_clear(&s->q);

	if (s->cur_off < s->cur_len && s->cur_marker == 0)
		lost++;
	if (s->cur_marker)
		s->pending += s->cur_marker;
	s->cur_off = s->cur_len = 0;
	s->cur_marker = 0;
	s->dropped += lost;
	s->pending += lost;
	if (err == EPIPE || err == EBADF || err == ENXIO || err == ENOTCONN || err == ECONNRESET)
		s->mode = SINK_BROKEN;
	if (!s->failing || s->mode == SINK_BROKEN)
		log_warn("stdout: %s; tagged output %s", strerror(err),
			 s->mode == SINK_BROKEN ? "is kept only for sextonctl log" : "dropped");
	s->failing = true;
}

static void
sink_load_marker(struct out_sink *s)
{
	int n = snprintf(s->cur, sizeof(s->cur),
			 "sexton" TAG_SEP "%llu lines dropped (stdout too slow)\n", s->pending);

	s->cur_off = 0;
	s->cur_len = (size_t)n;
	s->cur_marker = s->pending;
	s->pending = 0;
}

/* Up to LIMIT bytes: the rest of cur, then the queue. Returns the iovec count. */
static int
sink_gather(const struct out_sink *s, struct iovec iov[3], size_t limit)
{
	struct iovec q[2];
	size_t n;
	int i, cnt = 0, qn;

	if (s->cur_off < s->cur_len) {
		n = s->cur_len - s->cur_off;
		iov[cnt].iov_base = (char *)s->cur + s->cur_off;
		iov[cnt++].iov_len = n < limit ? n : limit;
		limit -= iov[0].iov_len;
	}
	qn = lineq_peek(&s->q, q);
	for (i = 0; i < qn && limit > 0; i++) {
		n = q[i].iov_len < limit ? q[i].iov_len : limit;
		iov[cnt].iov_base = q[i].iov_base;
		iov[cnt++].iov_len = n;
		limit -= n;
	}
	return cnt;
}

static ssize_t
sink_write(struct out_sink *s, struct iovec *iov, int cnt)
{
	struct msghdr msg;

	if (s->mode != SINK_SOCKET)
		return writev(s->fd, iov, cnt);
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = (size_t)cnt;
	/* SIGPIPE would be ours, not the user's: say EPIPE instead. */
	return sendmsg(s->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* N bytes went out: from cur first, then from the queue. */
static void
sink_consume(struct out_sink *s, size_t n)
{
	size_t c;

	if (s->cur_off < s->cur_len) {
		c = s->cur_len - s->cur_off < n ? s->cur_len - s->cur_off : n;
		s->cur_off += c;
		n -= c;
		if (c)
			s->cur_marker = 0; /* the marker is out: it stays */
	}
	if (n > 0) {
		s->cur_off = 0;
		s->cur_len = lineq_written(&s->q, n, s->cur);
	}
}

/*
 * Write until the fd refuses, the queue is empty or (SINK_POLL) after the
 * one write that a readiness report allows. READY: epoll said writable.
 */
static void
sink_flush(struct out_sink *s, bool ready)
{
	size_t limit = s->mode == SINK_POLL ? PIPE_BUF : SINK_WRITE_MAX;
	struct iovec iov[3];
	ssize_t n;
	int cnt;

	if (s->mode == SINK_POLL && !ready)
		return;
	while (s->mode != SINK_BROKEN && sink_busy(s)) {
		if (s->cur_off == s->cur_len && s->pending)
			sink_load_marker(s);
		cnt = sink_gather(s, iov, limit);
		n = sink_write(s, iov, cnt);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* An unwritten marker goes back to the count, so that
			 * the one finally written counts every drop. */
			if (s->cur_marker && s->cur_off == 0) {
				s->pending += s->cur_marker;
				s->cur_marker = 0;
				s->cur_len = 0;
			}
			break;
		}
		if (n <= 0) {
			sink_fail(s, n < 0 ? errno : EIO);
			break;
		}
		s->failing = false;
		sink_consume(s, (size_t)n);
		if (s->mode == SINK_POLL)
			break;
	}
}

static void
on_sink_writable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct out_sink *s = container_of(w, struct out_sink, io.io);

	if (iowatch_dropped(loop, &s->io, revents))
		return;
	sink_flush(s, true);
	sink_arm(s);
}

/* New lines: write now unless the fd already said it is full (then the
 * watcher waits), and try again after a failure. */
static void
sink_kick(struct out_sink *s)
{
	if (!ev_is_active(&s->io.io)) /* not waiting for writable: try now */
		sink_flush(s, false);
	sink_arm(s);
}

static void
sink_queue(struct out_sink *s, const char *tag, size_t tlen, const char *line, size_t len)
{
	struct iovec iov[3];
	long r;

	if (s->mode == SINK_BROKEN) {
		s->dropped++;
		return;
	}
	iov[0].iov_base = (char *)tag;
	iov[0].iov_len = tlen < OUT_NAME_MAX ? tlen : OUT_NAME_MAX;
	iov[1].iov_base = (char *)TAG_SEP;
	iov[1].iov_len = sizeof(TAG_SEP) - 1;
	iov[2].iov_base = (char *)line;
	iov[2].iov_len = len < OUT_LINE_MAX ? len : OUT_LINE_MAX;
	r = lineq_push(&s->q, iov, 3);
	if (r < 0)
		r = 1; /* cannot happen: every piece is capped above */
	s->dropped += (unsigned long long)r;
	s->pending += (unsigned long long)r;
}

/* Pick how to write FD without ever changing its file description. */
static void
sink_setup_fd(struct out_sink *s, int fd)
{
	char path[32];
	struct stat st;
	int fl, nfd;

	s->fd = fd;
	if (fstat(fd, &st) < 0) {
		log_warn("stdout: %m; tagged output is kept only for sextonctl log");
		s->mode = SINK_BROKEN;
	} else if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) {
		s->mode = SINK_FILE; /* a new description would lose the offset */
	} else if (S_ISSOCK(st.st_mode)) {
		s->mode = SINK_SOCKET; /* /proc reopen fails (ENXIO) anyway */
	} else if ((fl = fcntl(fd, F_GETFL)) >= 0 && (fl & O_NONBLOCK)) {
		s->mode = SINK_NONBLOCK;
	} else {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		nfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		if (nfd >= 0) {
			s->fd = nfd;
			s->own_fd = true;
			s->mode = SINK_NONBLOCK;
		} else {
			log_debug("stdout: cannot reopen %s: %m; writing only when writable", path);
			s->mode = SINK_POLL;
		}
	}
}

int
out_sink_new(struct out_sink **out, struct ev_loop *loop, int fd, size_t queue_bytes)
{
	struct out_sink *s;
	int r;

	if (queue_bytes == 0)
		queue_bytes = OUT_QUEUE_BYTES;
	if (queue_bytes < 2 * ENTRY_MAX)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	r = lineq_init(&s->q, queue_bytes, ENTRY_MAX);
	if (r < 0) {
		free(s);
		return r;
	}
	s->loop = loop;
	sink_setup_fd(s, fd);
	iowatch_init(&s->io, on_sink_writable, s->fd, EV_WRITE, "the log output", NULL);
	*out = s;
	return 0;
}

void
out_sink_free(struct out_sink *s)
{
	if (!s)
		return;
	sink_flush(s, false);
	iowatch_stop(s->loop, &s->io);
	if (s->own_fd)
		close(s->fd);
	lineq_destroy(&s->q);
	free(s);
}

void
out_sink_line(struct out_sink *s, const char *tag, const char *line, size_t len)
{
	sink_queue(s, tag, strlen(tag), line, len);
	sink_kick(s);
}

unsigned long long
out_sink_dropped(const struct out_sink *s)
{
	return s->dropped;
}

size_t
out_sink_queued(const struct out_sink *s)
{
	return lineq_bytes(&s->q) + (s->cur_len - s->cur_off);
}

struct svc_out {
	struct ev_loop *loop;
	struct iowatch io; /* EV_READ on fd; stopped at EOF */
	int fd;	  /* the pipe's read end; -1 after EOF */
	enum out_kind kind;
	unsigned long long bytes;

	struct out_sink *sink; /* tagged */
	struct line_ring *ring;
	size_t part_len; /* a line waiting for its newline */
	char part[OUT_LINE_MAX];

	char *path; /* file */
	int file_fd;
	bool file_warned;
	unsigned long long size, max_size;
	unsigned keep;

	size_t name_len;
	char name[]; /* NUL-terminated */
};

static void
emit(struct svc_out *o, const char *line, size_t len)
{
	if (o->ring && line_ring_push(o->ring, line, len) < 0)
		log_debug("service %s: no memory for sextonctl log", o->name);
	if (o->sink)
		sink_queue(o->sink, o->name, o->name_len, line, len);
}

static void
emit_part(struct svc_out *o)
{
	emit(o, o->part, o->part_len);
	o->part_len = 0;
}

/*
 * TAKE bytes of one line; COMPLETE if its newline came with them. Pieces of
 * OUT_LINE_MAX become lines of their own as soon as more of the line shows
 * up; a line of exactly OUT_LINE_MAX is not split.
 */
static void
tagged_add(struct svc_out *o, const char *p, size_t take, bool complete)
{
	size_t c;

	for (;;) {
		if (o->part_len == OUT_LINE_MAX && take > 0)
			emit_part(o);
		if (o->part_len == 0 && take > OUT_LINE_MAX) {
			emit(o, p, OUT_LINE_MAX);
			p += OUT_LINE_MAX;
			take -= OUT_LINE_MAX;
			continue;
		}
		if (o->part_len == 0 && complete) {
			emit(o, p, take); /* the common case: no copy */
			return;
		}
		c = OUT_LINE_MAX - o->part_len < take ? OUT_LINE_MAX - o->part_len : take;
		memcpy(o->part + o->part_len, p, c);
		o->part_len += c;
		p += c;
		take -= c;
		if (take == 0) {
			if (complete)
				emit_part(o);
			return;
		}
	}
}

static void
tagged_feed(struct svc_out *o, const char *p, size_t n)
{
	const char *nl;
	size_t take;

	while (n > 0) {
		nl = memchr(p, '\n', n);
		take = nl ? (size_t)(nl - p) : n;
		tagged_add(o, p, take, nl != NULL);
		if (!nl)
			return;
		p = nl + 1;
		n -= take + 1;
	}
}

static int
file_open(struct svc_out *o)
{
	struct stat st;

	o->file_fd = open(o->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
	if (o->file_fd < 0)
		return -errno;
	o->size = fstat(o->file_fd, &st) == 0 ? (unsigned long long)st.st_size : 0;
	return 0;
}

static void
file_warn(struct svc_out *o, const char *what, const char *path, int err)
{
	if (o->file_warned)
		return;
	o->file_warned = true;
	log_warn("service %s: cannot %s %s: %s", o->name, what, path, strerror(err));
}

/* Shift PATH.i to PATH.i+1 (the rename onto PATH.keep deletes the oldest),
 * PATH to PATH.1, open a new PATH. Afterwards size is 0 even if a rename
 * failed: the file then grows by another max_size before the next try,
 * instead of a rotation per write. */
static void
file_rotate(struct svc_out *o)
{
	char from[PATH_MAX], to[PATH_MAX]; /* out_check made room for the suffix */
	size_t len = sizeof(to);
	unsigned i;

	close(o->file_fd);
	o->file_fd = -1;
	for (i = o->keep; i > 1; i--) {
		snprintf(from, len, "%s.%u", o->path, i - 1);
		snprintf(to, len, "%s.%u", o->path, i);
		if (rename(from, to) < 0 && errno != ENOENT)
			file_warn(o, "rotate", from, errno);
	}
	snprintf(to, len, "%s.1", o->path);
	if ((o->keep ? rename(o->path, to) : unlink(o->path)) < 0 && errno != ENOENT)
		file_warn(o, "rotate", o->path, errno);
	if (file_open(o) < 0)
		file_warn(o, "open", o->path, errno);
	o->size = 0;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* How much of P[0..N) goes into the current file before a rotation:
 * whole lines if one fits, the first max_size bytes of a longer line in an
 * empty file, else 0 (rotate first, so the line starts the new file). */
static size_t
file_cut(const struct svc_out *o, const char *p, size_t n)
{
	unsigned long long room;
	const char *nl;

	if (o->max_size == 0)
		return n;
	room = o->size < o->max_size ? o->max_size - o->size : 0;
	if (n <= room)
		return n;
	nl = room ? memrchr(p, '\n', (size_t)room) : NULL;
	if (nl)
		return (size_t)(nl - p) + 1;
	return o->size == 0 ? (size_t)room : 0;
}

static void
file_feed(struct svc_out *o, const char *p, size_t n)
{
	size_t cut;
	int r;

	while (n > 0) {
		if (o->file_fd < 0 && file_open(o) < 0) {
			file_warn(o, "open", o->path, errno);
			return; /* dropped; the next read tries again */
		}
		cut = file_cut(o, p, n);
		if (cut == 0) {
			file_rotate(o);
			continue;
		}
		r = write_all(o->file_fd, p, cut);
		if (r < 0) {
			file_warn(o, "write", o->path, -r);
			return;
		}
		o->file_warned = false;
		o->size += cut;
		p += cut;
		n -= cut;
	}
}

/* Every writer is gone: a partial line is a line now. */
static void
out_finish(struct svc_out *o)
{
	if (o->part_len)
		emit_part(o);
	if (o->fd >= 0) {
		iowatch_stop(o->loop, &o->io);
		close(o->fd);
		o->fd = -1;
	}
}

/* Read up to BUDGET bytes (fewer if the pipe runs dry); EOF finishes. */
static void
out_pump(struct svc_out *o, size_t budget)
{
	static char buf[OUT_READ_BUDGET]; /* one thread, one loop: shared */
	size_t got = 0, want;
	ssize_t n;

	while (o->fd >= 0 && got < budget) {
		want = budget - got < sizeof(buf) ? budget - got : sizeof(buf);
		n = read(o->fd, buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			if (n < 0)
				log_warn("service %s: cannot read output: %m", o->name);
			out_finish(o);
			break;
		}
		got += (size_t)n;
		o->bytes += (unsigned long long)n;
		if (o->kind == OUT_KIND_TAGGED)
			tagged_feed(o, buf, (size_t)n);
		else
			file_feed(o, buf, (size_t)n);
		if ((size_t)n < want)
			break; /* the pipe is empty: save the EAGAIN read */
	}
	if (o->sink)
		sink_kick(o->sink);
}

static void
on_out_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct svc_out *o = container_of(w, struct svc_out, io.io);

	if (iowatch_dropped(loop, &o->io, revents))
		return; /* a full pipe blocks the service until the retry */
	out_pump(o, OUT_READ_BUDGET);
}

static int
out_check(const struct svc_out_params *p)
{
	size_t nlen;

	if (!p->name || strchr(p->name, '\n'))
		return -EINVAL;
	nlen = strlen(p->name);
	if (nlen == 0 || nlen > OUT_NAME_MAX)
		return nlen ? -ENAMETOOLONG : -EINVAL;
	if (p->kind == OUT_KIND_FILE && (!p->path || !*p->path))
		return -EINVAL;
	if (p->kind == OUT_KIND_FILE && strlen(p->path) + ROTATED_SUFFIX_MAX > PATH_MAX)
		return -ENAMETOOLONG;
	if (p->kind != OUT_KIND_FILE && p->kind != OUT_KIND_TAGGED)
		return -EINVAL;
	return 0;
}

static struct svc_out *
out_alloc(const struct svc_out_params *p)
{
	size_t nlen = strlen(p->name);
	struct svc_out *o = calloc(1, sizeof(*o) + nlen + 1);

	if (!o)
		return NULL;
	memcpy(o->name, p->name, nlen + 1);
	o->name_len = nlen;
	o->kind = p->kind;
	o->fd = o->file_fd = -1;
	if (p->kind == OUT_KIND_TAGGED) {
		o->sink = p->sink;
		o->ring = p->ring;
	} else {
		o->max_size = p->max_size;
		o->keep = p->keep;
		o->path = strdup(p->path);
		if (!o->path) {
			free(o);
			return NULL;
		}
	}
	return o;
}

static void
out_free(struct svc_out *o)
{
	if (o->file_fd >= 0)
		close(o->file_fd);
	free(o->path);
	free(o);
}

int
svc_out_open(struct svc_out **out, struct ev_loop *loop, const struct svc_out_params *p,
	     int *child_fd)
{
	struct svc_out *o;
	int r, fds[2];

	r = out_check(p);
	if (r < 0)
		return r;
	o = out_alloc(p);
	if (!o)
		return -ENOMEM;
	o->loop = loop;
	if (o->kind == OUT_KIND_FILE && (r = file_open(o)) < 0) {
		out_free(o);
		return r;
	}
	if (pipe2(fds, O_CLOEXEC) < 0) {
		r = -errno;
		out_free(o);
		return r;
	}
	/* Only our end: services expect a blocking stdout. */
	if (fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0) {
		r = -errno;
		close(fds[0]);
		close(fds[1]);
		out_free(o);
		return r;
	}
	o->fd = fds[0];
	iowatch_init(&o->io, on_out_readable, o->fd, EV_READ, "the output of ", o->name);
	iowatch_start(loop, &o->io);
	*child_fd = fds[1];
	*out = o;
	return 0;
}

void
svc_out_set_rotation(struct svc_out *o, unsigned long long max_size, unsigned keep)
{
	o->max_size = max_size;
	o->keep = keep;
}

void
svc_out_close(struct svc_out *o)
{
	if (!o)
		return;
	out_pump(o, DRAIN_MAX);
	out_finish(o);
	if (o->sink)
		sink_kick(o->sink);
	out_free(o);
}

bool
svc_out_eof(const struct svc_out *o)
{
	return o->fd < 0;
}

unsigned long long
svc_out_bytes(const struct svc_out *o)
{
	return o->bytes;
}
