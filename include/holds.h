/*
 * holds — what a process still holds: its sockets and open files.
 *
 * For the stuck report: a process that cannot die keeps its listening
 * port and its files, and that is usually what the operator needs to
 * know ("why is :8080 still taken?"). Reads only /proc/PID/fd/ (readlink)
 * and the target's own /proc/PID/net/{tcp,tcp6,udp,udp6,unix}, with
 * bounded buffers — never maps, cmdline or environ, which take the
 * target's mmap lock.
 */
#ifndef SEXTON_HOLDS_H
#define SEXTON_HOLDS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define HOLDS_MAX 16	   /* entries listed; the rest are counted */
#define HOLD_TEXT_MAX 160 /* one entry, NUL included */

struct holds {
	char item[HOLDS_MAX][HOLD_TEXT_MAX];
	size_t n;
	size_t more; /* sockets and files held but not listed */
};

/*
 * Fill H with what PID holds, sockets first, as one line each:
 *   "tcp 0.0.0.0:8080 LISTEN"   "tcp6 [::1]:443 -> [::1]:51234 ESTABLISHED"
 *   "udp 0.0.0.0:53"            "unix /run/app.sock"   "unix @abstract-name"
 *   "socket:[12345]"            (an inode found in none of the tables)
 *   "/var/lib/app/data.db"      (files and devices: the path as fd/ shows it)
 * Pipes, anonymous inodes and the standard streams' /dev/null are left
 * out. Listening sockets (and unconnected udp) come first, unnamed unix
 * sockets and unresolved inodes last; a socket or path on several fds
 * is listed once. Returns 0, or -errno when PID's fd/ cannot be read
 * (gone, EACCES).
 */
int holds_read(pid_t pid, struct holds *h);

/* Pure parsers, for the unit tests and the fuzz target. */

/* One data line of /proc/net/tcp{,6} or udp{,6}: its inode, and the
 * entry's text as holds_read() lists it, "PROTO LOCAL STATE" or
 * "PROTO LOCAL -> REMOTE STATE" (udp: no STATE), cut to OUTLEN (PROTO is
 * "tcp", "tcp6", "udp", "udp6"; a trailing '\n' is allowed). Returns 0,
 * or -1 for a header or malformed line. */
int holds_parse_inet(const char *line, const char *proto, unsigned long *inode, char *out,
		     size_t outlen);

/* One data line of /proc/net/unix: its inode and "unix PATH" ("unix
 * @NAME" for the abstract namespace, "unix" when unnamed). 0 or -1. */
int holds_parse_unix(const char *line, unsigned long *inode, char *out, size_t outlen);

#endif
