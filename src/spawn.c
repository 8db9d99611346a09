/* spawn — see include/spawn.h. */
#include "spawn.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#define SPAWN_STACK_SIZE (64 * 1024)
#define SPAWN_MAX_CANDIDATES 64
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/*
 * The child's stack. One is enough: CLONE_VFORK keeps sexton suspended
 * (so no second spawn can start) until the child has exec'ed or exited.
 */
static char child_stack[SPAWN_STACK_SIZE] __attribute__((aligned(64)));

struct spawn_child {
	const struct spawn_req *req;
	char *const *paths; /* candidate files to execve, in PATH order */
	int err;	    /* set by the child only just before _exit */
};

/*
 * Runs in the child, on child_stack, sharing sexton's memory: raw system
 * calls only. Sanitizers are off here because their bookkeeping would be
 * written into the parent's shadow memory from a foreign stack.
 */
__attribute__((no_sanitize("address", "undefined"))) static int
child_setup_session(const struct spawn_req *req)
{
	switch (req->session) {
	case SPAWN_NEW_SESSION:
		return setsid() < 0 ? -1 : 0;
	case SPAWN_NEW_SESSION_TTY:
		if (setsid() < 0)
			return -1;
		/* Best effort: without the terminal the program still runs. */
		(void)ioctl(req->tty_fd, TIOCSCTTY, 0);
		return 0;
	case SPAWN_FOREGROUND_GROUP:
		if (setpgid(0, 0) < 0)
			return -1;
		/* SIGTTOU is still blocked here, so a background group may do this. */
		(void)tcsetpgrp(req->tty_fd, getpid());
		return 0;
	}
	return 0;
}

__attribute__((no_sanitize("address", "undefined"))) static int
child_main(void *arg)
{
	struct spawn_child *c = arg;
	sigset_t empty;
	int saw_eacces = 0;
	size_t i;

	if (child_setup_session(c->req) < 0) {
		c->err = errno;
		_exit(126);
	}
	/* Last, so the session work above still ran with signals blocked. */
	sigemptyset(&empty);
	sigprocmask(SIG_SETMASK, &empty, NULL);

	for (i = 0; c->paths[i]; i++) {
		execve(c->paths[i], c->req->argv, c->req->envp);
		/* As execvp: keep looking on "not here", stop on a real error. */
		if (errno == EACCES)
			saw_eacces = 1;
		else if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP &&
			 errno != ENAMETOOLONG) {
			c->err = errno;
			_exit(spawn_exec_exit_code(errno));
		}
	}
	c->err = saw_eacces ? EACCES : ENOENT;
	_exit(spawn_exec_exit_code(c->err));
}

/* PATH lookup done in the parent, where malloc is allowed. */
static char **
build_candidates(const char *file, const char *path_env)
{
	char **paths = calloc(SPAWN_MAX_CANDIDATES + 1, sizeof(*paths));
	const char *p, *end;
	size_t n = 0, flen = strlen(file), dlen;

	if (!paths)
		return NULL;
	if (strchr(file, '/') || !*file) {
		paths[0] = strdup(file);
		return paths[0] ? paths : (free(paths), NULL);
	}
	for (p = path_env; n < SPAWN_MAX_CANDIDATES; p = end + 1) {
		end = strchrnul(p, ':');
		dlen = (size_t)(end - p);
		paths[n] = malloc(dlen + flen + 3);
		if (!paths[n])
			break;
		if (dlen == 0) /* an empty PATH entry means the current directory */
			memcpy(paths[n], ".", (dlen = 1));
		else
			memcpy(paths[n], p, dlen);
		paths[n][dlen] = '/';
		memcpy(paths[n] + dlen + 1, file, flen + 1);
		n++;
		if (!*end)
			break;
	}
	return paths;
}

static void
free_candidates(char **paths)
{
	size_t i;

	for (i = 0; paths && paths[i]; i++)
		free(paths[i]);
	free(paths);
}

int
spawn_process(const struct spawn_req *req, pid_t *pid)
{
	const char *path_env = getenv("PATH");
	struct spawn_child c = { .req = req, .err = 0 };
	char **paths;
	pid_t child;

	*pid = -1;
	paths = build_candidates(req->argv[0], path_env ? path_env : DEFAULT_PATH);
	if (!paths)
		return -ENOMEM;
	c.paths = paths;
	child = clone(child_main, child_stack + sizeof(child_stack),
		      CLONE_VM | CLONE_VFORK | SIGCHLD, &c);
	free_candidates(paths);
	if (child < 0)
		return -errno;
	*pid = child;
	/* The child writes c.err only right before _exit: still 0 means execve
	 * succeeded (CLONE_VFORK resumed us at the exec). */
	return c.err ? -c.err : 0;
}

int
spawn_exec_exit_code(int err)
{
	return err == ENOENT ? 127 : 126;
}
