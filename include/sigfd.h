/*
 * sigfd — how sexton receives signals.
 *
 * Owns the process signal mask: every signal except the synchronous fault
 * signals is blocked and read from one signalfd, which the event loop
 * watches. Nothing else in sexton installs a handler or changes the mask.
 */
#ifndef SEXTON_SIGFD_H
#define SEXTON_SIGFD_H

#include <signal.h>

/*
 * Block every signal but the faults (SEGV, BUS, ILL, FPE, TRAP, ABRT, SYS),
 * reset every disposition to SIG_DFL (an inherited SIG_IGN must not leak to
 * the children; a signal pending from before the exec stays pending), and
 * return a non-blocking, close-on-exec signalfd for the blocked set.
 * Returns the fd or -errno.
 */
int sigfd_setup(void);

/* Discard pending instances of SIG (used after TIOCNOTTY hangs us up). */
void sigfd_discard(int sig);

#endif
