/*
 * signames — signal names and numbers.
 *
 * Owns the mapping between "TERM", "SIGTERM", "15", "RTMIN+3" and the
 * signal number. Pure: no state, no I/O, safe to call from anywhere.
 */
#ifndef SEXTON_SIGNAMES_H
#define SEXTON_SIGNAMES_H

#include <stddef.h>

/*
 * The real-time signals as Linux tools number them: kill -l, systemd and
 * podman (whose "SIGRTMIN+3" stop signal is 37) count from 34, as glibc
 * does. musl keeps 34 for itself and says SIGRTMIN is 35, so names and the
 * podman stop must not follow the C library's SIGRTMIN.
 */
#define SIG_LINUX_RTMIN 34
#define SIG_LINUX_RTMAX 64

/*
 * Parse a signal given as a name with or without "SIG" (case-insensitive),
 * as RTMIN+N / RTMAX-N, or as a decimal number. "0" is accepted and returns
 * 0 (used by --rewrite FROM:0 to drop a signal).
 * Returns the signal number, or -1 if the text names no signal.
 */
int sig_parse(const char *text);

/*
 * Write the canonical name of SIG ("TERM", "RTMIN+3") into BUF.
 * Unknown numbers are written as decimal. Returns BUF.
 */
const char *sig_name(int sig, char *buf, size_t len);

#endif
