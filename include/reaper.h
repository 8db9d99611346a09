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
 */
size_t reap_all(reap_fn *on_exit, void *ctx, bool *no_children);

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
