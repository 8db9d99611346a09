/* spawn — see include/spawn.h. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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
	enum spawn_step step;
};

void
spawn_req_init(struct spawn_req *req, char *const *argv, char *const *envp)
{
	memset(req, 0, sizeof(*req));
	req->argv = argv;
	req->envp = envp;
	req->session = SPAWN_NEW_SESSION;
	req->tty_fd = -1;
	req->umask = -1;
	req->rlimit_nofile = -1;
	req->stdio[0] = req->stdio[1] = req->stdio[2] = -1;
	req->extra_fd = -1;
}

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

/* Group list first: after setuid we may no longer change it. Raw
 * syscalls: glibc's wrappers would try to signal "other threads". */
__attribute__((no_sanitize("address", "undefined"))) static int
child_set_ids(const struct spawn_req *req)
{
	if (syscall(SYS_setgroups, req->ngroups, req->groups) < 0)
		return -1;
	if (syscall(SYS_setresgid, req->gid, req->gid, req->gid) < 0)
		return -1;
	return (int)syscall(SYS_setresuid, req->uid, req->uid, req->uid);
}

/* dup2 onto a target; when source and target are the same fd, dup2 is a
 * no-op and the close-on-exec flag must be cleared by hand. */
__attribute__((no_sanitize("address", "undefined"))) static int
child_move_fd(int from, int to)
{
	if (from == to)
		return fcntl(to, F_SETFD, 0);
	return dup2(from, to) < 0 ? -1 : 0;
}

__attribute__((no_sanitize("address", "undefined"))) static int
child_setup_fds(const struct spawn_req *req)
{
	int i;

	for (i = 0; i < 3; i++)
		if (req->stdio[i] >= 0 && child_move_fd(req->stdio[i], i) < 0)
			return -1;
	if (req->extra_fd >= 0 && child_move_fd(req->extra_fd, req->extra_fd_target) < 0)
		return -1;
	return 0;
}

/* Everything between clone and execve; sets *STEP to the failing step. */
__attribute__((no_sanitize("address", "undefined"))) static int
child_prepare(const struct spawn_req *req, enum spawn_step *step)
{
	struct rlimit rl;

	*step = SPAWN_STEP_SESSION;
	if (child_setup_session(req) < 0)
		return -1;
	*step = SPAWN_STEP_FDS;
	if (child_setup_fds(req) < 0)
		return -1;
	*step = SPAWN_STEP_RLIMIT;
	if (req->rlimit_nofile >= 0) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)req->rlimit_nofile;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			return -1;
	}
	*step = SPAWN_STEP_IDS;
	if (req->set_ids && child_set_ids(req) < 0)
		return -1;
	*step = SPAWN_STEP_CHDIR;
	if (req->directory && chdir(req->directory) < 0)
		return -1;
	if (req->umask >= 0)
		umask((mode_t)req->umask);
	*step = SPAWN_STEP_EXEC;
	return 0;
}

__attribute__((no_sanitize("address", "undefined"))) static int
child_main(void *arg)
{
	struct spawn_child *c = arg;
	sigset_t empty;
	int saw_eacces = 0;
	size_t i;

	if (child_prepare(c->req, &c->step) < 0) {
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
	enum spawn_step step;

	return spawn_process_step(req, pid, &step);
}

int
spawn_process_step(const struct spawn_req *req, pid_t *pid, enum spawn_step *step)
{
	const char *path_env = getenv("PATH");
	struct spawn_child c = { .req = req, .err = 0, .step = SPAWN_STEP_SESSION };
	char **paths;
	pid_t child;

	*pid = -1;
	*step = SPAWN_STEP_CLONE;
	paths = build_candidates(req->argv[0], path_env ? path_env : DEFAULT_PATH);
	if (!paths)
		return -ENOMEM;
	c.paths = paths;
	child = clone(child_main, child_stack + sizeof(child_stack),
		      CLONE_VM | CLONE_VFORK | SIGCHLD, &c);
	free_candidates(paths);
	if (child < 0)
		return -errno; /* *step is still SPAWN_STEP_CLONE */
	*pid = child;
	/* The child writes c.err only right before _exit: still 0 means execve
	 * succeeded (CLONE_VFORK resumed us at the exec). */
	*step = c.step;
	return c.err ? -c.err : 0;
}

int
spawn_exec_exit_code(int err)
{
	return err == ENOENT ? 127 : 126;
}
