/*
 * spawn — start a program the fast way.
 *
 * Owns process creation for the main child and (later) every service.
 * Uses clone(CLONE_VM | CLONE_VFORK): the child borrows sexton's memory
 * instead of copying its page tables, which on this machine type costs
 * ~80 µs instead of ~1.3 ms for fork(). The price is that the child may
 * only make raw system calls (no malloc, no stdio, no locks) until execve.
 *
 * Exec errors: CLONE_VFORK suspends sexton until the child has either
 * exec'ed or exited, so the child's errno is stored in memory the two
 * share and is final when clone returns (glibc's posix_spawn does the
 * same); no status pipe and no extra read are needed.
 */
#ifndef SEXTON_SPAWN_H
#define SEXTON_SPAWN_H

#include <sys/types.h>

enum spawn_session {
	SPAWN_NEW_SESSION,	/* setsid(): own session and process group */
	SPAWN_NEW_SESSION_TTY,	/* setsid() and take TTY_FD as controlling terminal */
	SPAWN_FOREGROUND_GROUP, /* own process group, made foreground on TTY_FD */
};

struct spawn_req {
	char *const *argv; /* argv[0] is looked up in PATH unless it has a '/' */
	char *const *envp;
	enum spawn_session session;
	int tty_fd;
};

/*
 * Start REQ. Returns 0 with *PID set when the program is running.
 * Returns -errno when it could not be exec'ed: *PID is then the child that
 * has already _exit'ed (127 for ENOENT, 126 otherwise) and must still be
 * reaped, or -1 when clone itself failed (EAGAIN, ENOMEM).
 */
int spawn_process(const struct spawn_req *req, pid_t *pid);

/* The exit code a shell uses when exec fails with ERR: 127 or 126. */
int spawn_exec_exit_code(int err);

#endif
