/* log — see include/log.h. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/*
 * The one piece of process-wide state outside the sexton context: every
 * module logs, and threading a context through pure helpers only to reach
 * the level would make them impure.
 */
static int current_level = LOG_INFO;

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
	/* One write(2) per message so lines from several writers do not mix;
	 * stderr may be a pipe that is gone: the result is deliberately unused. */
	if (write(STDERR_FILENO, buf, (size_t)n) < 0) {
		/* nowhere left to report it */
	}
	errno = saved_errno;
}
