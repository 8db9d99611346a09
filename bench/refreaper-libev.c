/*
 * refreaper-libev — the reference reaper built the way sexton must be.
 *
 * usage: refreaper-libev [--] COMMAND [ARG...]
 *
 * The same job as refreaper.c (forward every signal to the child, drain
 * waitpid(-1) on SIGCHLD, exit with the child's status), with the design
 * that issue 3 and ../shared/SPEC.md prescribe for sexton and nothing else:
 * the signals are read from a non-blocking signalfd watched by a libev
 * ev_io on an epoll loop (EVFLAG_NOSIGMASK), and the child leads a session
 * of its own. Where refreaper sleeps in sigwaitinfo(), this one sleeps in
 * epoll_pwait() and then read()s the signalfd: one system call more per
 * wake-up. The benchmark's control row: whatever sexton costs beyond this
 * row is sexton's; what this row costs beyond refreaper is the design's.
 */
#include <ev.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child;
static int code = -1;

static void
on_signals(struct ev_loop *loop, ev_io *w, int revents)
{
	struct signalfd_siginfo si[16];
	ssize_t n;
	int st, i;
	pid_t pid;

	(void)revents;
	n = read(w->fd, si, sizeof(si));
	for (i = 0; n > 0 && i < (int)(n / (ssize_t)sizeof(si[0])); i++) {
		if (si[i].ssi_signo != SIGCHLD) {
			kill(child, (int)si[i].ssi_signo);
			continue;
		}
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
			if (pid == child)
				code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	if (code >= 0)
		ev_break(loop, EVBREAK_ALL);
}

int
main(int argc, char **argv)
{
	struct ev_loop *loop;
	sigset_t all, none;
	ev_io watcher;
	int fd;

	argv++, argc--;
	if (argc > 0 && strcmp(argv[0], "--") == 0)
		argv++, argc--;
	if (argc < 1) {
		fputs("usage: refreaper-libev [--] COMMAND [ARG...]\n", stderr);
		return 2;
	}
	sigfillset(&all);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &all, NULL);
	fd = signalfd(-1, &all, SFD_NONBLOCK | SFD_CLOEXEC);
	loop = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOSIGMASK);
	if (fd < 0 || !loop) {
		perror("refreaper-libev: signalfd or loop");
		return 1;
	}
	child = fork();
	if (child < 0) {
		perror("refreaper-libev: fork");
		return 1;
	}
	if (child == 0) {
		setsid();
		sigprocmask(SIG_SETMASK, &none, NULL);
		execvp(argv[0], argv);
		perror("refreaper-libev: exec");
		_exit(127);
	}
	ev_io_init(&watcher, on_signals, fd, EV_READ);
	ev_io_start(loop, &watcher);
	ev_run(loop, 0);
	return code;
}
