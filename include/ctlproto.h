/*
 * ctlproto — parsing control-socket requests (PROTOCOL.md).
 *
 * Owns the request grammar and the command table: which commands exist,
 * how many arguments each takes, and which are read-only (allowed to
 * members of socket_group). Pure: no I/O; fuzzed.
 */
#ifndef SEXTON_CTLPROTO_H
#define SEXTON_CTLPROTO_H

#include <stdbool.h>
#include <stddef.h>

#define CTL_MAX_REQUEST (64 * 1024) /* bytes, newline included */
#define CTL_MAX_WORDS 64

/*        id            name        read-only  min-args max-args */
#define CTL_COMMANDS(X)                                                                            \
	X(CTL_STATUS, "status", true, 0, CTL_MAX_WORDS)                                            \
	X(CTL_START, "start", false, 1, CTL_MAX_WORDS)                                             \
	X(CTL_STOP, "stop", false, 1, CTL_MAX_WORDS)                                               \
	X(CTL_RESTART, "restart", false, 1, CTL_MAX_WORDS)                                         \
	X(CTL_SIGNAL, "signal", false, 2, 2)                                                       \
	X(CTL_RELOAD, "reload", false, 0, 0)                                                       \
	X(CTL_LOG, "log", true, 1, 4)                                                              \
	X(CTL_PS, "ps", true, 0, 0)                                                                \
	X(CTL_DOCTOR, "doctor", true, 0, 0)                                                        \
	X(CTL_METRICS, "metrics", true, 0, 0)                                                      \
	X(CTL_CHECK, "check", true, 0, 0)                                                          \
	X(CTL_WAIT, "wait", true, 1, 3)                                                            \
	X(CTL_SHUTDOWN, "shutdown", false, 0, 0)                                                   \
	X(CTL_POWEROFF, "poweroff", false, 0, 0)                                                   \
	X(CTL_REBOOT, "reboot", false, 0, 0)                                                       \
	X(CTL_HALT, "halt", false, 0, 0)

#define CTL_ENUM(id, name, ro, min, max) id,
enum ctl_cmd { CTL_COMMANDS(CTL_ENUM) CTL_NCOMMANDS };
#undef CTL_ENUM

struct ctl_request {
	enum ctl_cmd cmd;
	int argc;		    /* arguments after the command word */
	char *argv[CTL_MAX_WORDS]; /* point into the parsed line */
};

/*
 * Parse LINE (LEN bytes, no trailing newline; modified in place: words are
 * NUL-terminated). Returns 0, or -1 with *ERR set to a static message.
 */
int ctl_parse(char *line, size_t len, struct ctl_request *req, const char **err);

const char *ctl_name(enum ctl_cmd cmd);
bool ctl_read_only(enum ctl_cmd cmd);

/* Options shared by start/stop/restart, log and wait. */
struct ctl_opts {
	bool no_wait; /* --no-wait */
	bool follow;  /* -f */
	bool rows;    /* --rows (status): rows of values, not objects */
	long lines;   /* -n N (log); default 50 */
	double timeout; /* --timeout S (wait); 0 = none */
	const char *names[CTL_MAX_WORDS];
	int nnames;
};

/* Split REQ's arguments into names and options. -1 with *ERR on a bad one. */
int ctl_parse_opts(const struct ctl_request *req, struct ctl_opts *o, const char **err);

#endif
