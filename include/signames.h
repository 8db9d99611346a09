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
