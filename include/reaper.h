/*
 * reaper — collect every exited child.
 *
 * Owns the waitpid(2) drain. Signals coalesce, so one SIGCHLD may stand
 * for many exits: the drain loops until the kernel says nothing more has
 * exited (0) or there are no children at all (ECHILD). It allocates
 * nothing and does no I/O; what a pid means is the caller's business.
 */
#ifndef SEXTON_REAPER_H
#define SEXTON_REAPER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef void reap_fn(void *ctx, pid_t pid, int wstatus);

/*
 * Reap until nothing more has exited, calling ON_EXIT for each child.
 * Returns how many were reaped; *NO_CHILDREN is set when none is left.
 * *SCAN_S gets the seconds the last call took, the one that found nothing
 * (or ECHILD): the kernel's walk of every living child, the price of one
 * more drain.
 */
size_t reap_all(reap_fn *on_exit, void *ctx, bool *no_children, double *scan_s);

/*
 * How long to wait before the next drain. REAPED: children the last drain
 * collected; SCAN_S and PREV_SCAN_S: the walk that ended it and the one
 * that ended the drain before. 0 (at once) unless both walks cost more
 * than REAP_PACE_MIN_SCAN_S and the drain found something: a long child
 * list in the middle of a storm, not one slow call (a VM's hiccup), and
 * never once the exits have stopped. Then REAP_PACE_FACTOR times the
 * cheaper walk, so that the drains take at most ~1/REAP_PACE_FACTOR of a
 * CPU instead of running back to back: waitpid(-1) walks every child on
 * every call, and N exits each waking the reaper would cost O(N^2).
 */
#define REAP_PACE_MIN_SCAN_S 20e-6
#define REAP_PACE_FACTOR 8.0
#define REAP_PACE_MAX_S 0.02
double reap_pace(size_t reaped, double scan_s, double prev_scan_s);

/*
 * Reap PID alone if it has exited, calling ON_EXIT; returns 1 if it was
 * reaped, else 0. The kernel finds one pid directly, while every
 * waitpid(-1) walks the whole child list (~0.1-0.4 ms with 1000 children,
 * and the drain's last call, which finds nothing, always walks it all):
 * the child a SIGCHLD names is reaped first, and whatever restarts it
 * starts before the drain. Never instead of reap_all.
 */
size_t reap_pid(pid_t pid, reap_fn *on_exit, void *ctx);

#endif
