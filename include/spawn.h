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

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum spawn_session {
	SPAWN_NEW_SESSION,	/* setsid(): own session and process group */
	SPAWN_NEW_SESSION_TTY,	/* setsid() and take TTY_FD as controlling terminal */
	SPAWN_FOREGROUND_GROUP, /* own process group, made foreground on TTY_FD */
};

/*
 * What the child is given. Fields left at their "keep" value (-1, NULL,
 * false) leave the child as sexton is. Use spawn_req_init() first.
 */
struct spawn_req {
	char *const *argv; /* argv[0] is looked up in PATH unless it has a '/' */
	char *const *envp;
	enum spawn_session session;
	int tty_fd;

	bool set_ids; /* setgroups(groups), setgid(gid), setuid(uid), in that order */
	uid_t uid;
	gid_t gid;
	const gid_t *groups;
	size_t ngroups;
	const char *directory; /* chdir */
	int umask;	       /* -1 = keep */
	long rlimit_nofile;    /* -1 = keep */
	int stdio[3];	       /* dup2'ed to 0, 1, 2; -1 = keep sexton's */
	int extra_fd;	       /* dup2'ed to EXTRA_FD_TARGET (ready_fd); -1 = none */
	int extra_fd_target;
};

void spawn_req_init(struct spawn_req *req, char *const *argv, char *const *envp);

/* Which step failed in the child, for the message ("cannot chdir to ..."). */
enum spawn_step { SPAWN_STEP_CLONE, SPAWN_STEP_SESSION, SPAWN_STEP_IDS, SPAWN_STEP_CHDIR,
		  SPAWN_STEP_RLIMIT, SPAWN_STEP_FDS, SPAWN_STEP_EXEC };

/*
 * Start REQ. Returns 0 with *PID set when the program is running.
 * Returns -errno when it could not be exec'ed: *PID is then the child that
 * has already _exit'ed (127 for ENOENT, 126 otherwise) and must still be
 * reaped, or -1 when clone itself failed (EAGAIN, ENOMEM).
 */
int spawn_process(const struct spawn_req *req, pid_t *pid);

/* Like spawn_process, and tells which step failed (valid when it returns < 0
 * with *PID > 0). */
int spawn_process_step(const struct spawn_req *req, pid_t *pid, enum spawn_step *step);

/* The exit code a shell uses when exec fails with ERR: 127 or 126. */
int spawn_exec_exit_code(int err);

#endif
