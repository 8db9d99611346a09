/* log — see include/log.h. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The one piece of process-wide state outside the sexton context: every
 * module logs, and threading a context through pure helpers only to reach
 * the level would make them impure. The same goes for where lines go.
 */
static int current_level = LOG_INFO;

/*
 * PID 1 must never block on its own stderr: a pipe nobody reads (a log
 * collector that stalls, docker's blocking log mode behind a slow driver)
 * would stop the reaping, the restarts and the control socket with it.
 * Lines that cannot be written now are counted and dropped; the next one
 * that gets through says how many. O_NONBLOCK on fd 2 itself would change
 * the description services with output = inherit share, so sexton writes
 * through a description of its own (/proc/self/fd/2 opened again), sends
 * with MSG_DONTWAIT to a socket, asks poll() first when neither can be
 * had, and writes a regular file as it is. Set up at the first line: a
 * container whose sexton logs nothing pays nothing for it.
 */
enum log_how { LOG_WRITE, LOG_SEND, LOG_POLL };

static struct {
	bool ready;
	enum log_how how;
	int fd;
	unsigned long dropped;
} out;

static void
out_setup(void)
{
	struct stat st;
	int fl, fd;

	out.ready = true;
	out.how = LOG_WRITE;
	out.fd = STDERR_FILENO;
	if (fstat(STDERR_FILENO, &st) < 0 || S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
		return;
	if (S_ISSOCK(st.st_mode)) {
		out.how = LOG_SEND;
		return;
	}
	fl = fcntl(STDERR_FILENO, F_GETFL);
	if (fl >= 0 && (fl & O_NONBLOCK))
		return; /* already: EAGAIN drops */
	fd = open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd > STDERR_FILENO)
		out.fd = fd;
	else
		out.how = LOG_POLL; /* no /proc yet, or a FIFO's reader is gone */
}

static ssize_t
out_put(const char *buf, size_t len)
{
	struct pollfd p = { .fd = out.fd, .events = POLLOUT };

	switch (out.how) {
	case LOG_SEND:
		return send(out.fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	case LOG_POLL:
		/* Room for a line (at most 1024 bytes, under PIPE_BUF) when
		 * writable; another writer of the same pipe could still take it
		 * first, which the reopened description rules out. */
		if (poll(&p, 1, 0) != 1 || !(p.revents & POLLOUT)) {
			errno = EAGAIN;
			return -1;
		}
		/* fall through */
	case LOG_WRITE:
		break;
	}
	return write(out.fd, buf, len);
}

/* One write per message so lines from several writers do not mix. A
 * stderr that is gone (EPIPE) is not reported: there is nowhere to. */
static void
out_line(const char *buf, size_t len)
{
	char note[96];
	int n;

	if (!out.ready)
		out_setup();
	if (out.dropped) {
		n = snprintf(note, sizeof(note),
			     "sexton: warning: %lu log line(s) dropped: stderr was not read\n",
			     out.dropped);
		if (out_put(note, (size_t)n) < 0) {
			out.dropped += errno == EAGAIN;
			return;
		}
		out.dropped = 0;
	}
	if (out_put(buf, len) < 0 && errno == EAGAIN)
		out.dropped++;
}

/* Errors and info read as plain "sexton: text" (what users grep for);
 * warnings and debug lines say what they are. */
static const char *const level_prefix[] = { "", "warning: ", "", "debug: " };

void
log_set_level(int level)
{
	if (level < LOG_ERROR)
		level = LOG_ERROR;
	if (level > LOG_DEBUG)
		level = LOG_DEBUG;
	current_level = level;
}

int
log_get_level(void)
{
	return current_level;
}

int
log_enabled(int level)
{
	return level <= current_level;
}

void
log_msg(int level, const char *fmt, ...)
{
	char buf[1024];
	int saved_errno = errno;
	int n, m;
	va_list ap;

	if (!log_enabled(level)) {
		errno = saved_errno;
		return;
	}
	n = snprintf(buf, sizeof(buf), "sexton: %s", level_prefix[level]);
	va_start(ap, fmt);
	errno = saved_errno; /* so that %m in FMT sees the caller's errno */
	m = vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n >= sizeof(buf) - 1)
		n = sizeof(buf) - 2; /* truncated: keep the newline */
	buf[n++] = '\n';
	out_line(buf, (size_t)n);
	errno = saved_errno;
}
