/*
 * notify — the sd_notify readiness protocol.
 *
 * Owns one datagram socket shared by every `type = notify` service
 * (NOTIFY_SOCKET in their environment). SO_PASSCRED makes the kernel stamp
 * each datagram with the sender's real pid, which the caller maps to a
 * service (by pid, or by session: every service leads its own session).
 * The payload parser is pure and separately tested and fuzzed.
 */
#ifndef SEXTON_NOTIFY_H
#define SEXTON_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define NOTIFY_MAX_DATAGRAM 4096
#define NOTIFY_STATUS_MAX 256

struct notify_msg {
	bool ready;	/* READY=1 */
	bool stopping;	/* STOPPING=1 */
	bool watchdog;	/* WATCHDOG=1 */
	bool has_status;
	char status[NOTIFY_STATUS_MAX]; /* STATUS=..., truncated, control bytes replaced */
	pid_t mainpid;	/* MAINPID=, 0 if absent or invalid */
};

/* Parse newline-separated KEY=VALUE assignments; unknown keys are ignored
 * (sd_notify defines many). Never fails: bad values are skipped. */
void notify_parse(const char *data, size_t len, struct notify_msg *msg);

/*
 * Open the socket: abstract address "@sexton-notify-PID" (no file system
 * needed: works on a read-only root). ADDR receives the NOTIFY_SOCKET
 * value. Returns the fd (non-blocking, close-on-exec) or -errno.
 */
int notify_open(char *addr, size_t addrlen);

/*
 * Read one datagram. Returns its length and the sender's pid, 0 when
 * nothing is left to read, or -errno. Datagrams without credentials are
 * dropped (returns -EPERM), and so are those longer than LEN (-EMSGSIZE,
 * with *SENDER set): never parsed cut.
 */
ssize_t notify_recv(int fd, char *buf, size_t len, pid_t *sender);

#endif
