/*
 * log — sexton's own messages.
 *
 * Owns the log level and the one function every module writes through.
 * Messages go to stderr as "sexton: text" ("sexton: warning: text") (PID 1's stderr is the
 * container log). errno is preserved across log_msg so callers can log
 * and then still inspect or return it.
 */
#ifndef SEXTON_LOG_H
#define SEXTON_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

void log_set_level(int level);
int log_get_level(void);

/* True when LEVEL would be written: lets hot paths skip formatting. */
int log_enabled(int level);

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)                                                                             \
	do {                                                                                       \
		if (log_enabled(LOG_DEBUG))                                                        \
			log_msg(LOG_DEBUG, __VA_ARGS__);                                           \
	} while (0)

#endif
