/*
 * refreaper — the reference reaper, the floor of the benchmark.
 *
 * usage: refreaper [-s] [-w sigwaitinfo|signalfd|epoll] [--] COMMAND [ARG...]
 *
 * Blocks every signal, runs COMMAND with fork+execvp (unblocked in the
 * child), then loops waiting for a signal: SIGCHLD drains waitpid(-1,
 * WNOHANG) until 0 or ECHILD, any other signal is forwarded to the child.
 * Exits with the child's status (128+N if killed by signal N) once it is
 * gone. No logging, no process groups, no cleanup of leftovers.
 *
 * The options make the signal benchmark's control rows, each one step
 * from the floor towards sexton's design:
 *   -s              the child in a session of its own (setsid), as sexton
 *                   and dumb-init do;
 *   -w signalfd     wait in a blocking read(2) of a signalfd instead of
 *                   sigwaitinfo(2): still one system call per wake-up;
 *   -w epoll        wait in epoll_wait(2) on a non-blocking signalfd, then
 *                   read(2) it: two system calls, as any event loop must.
 * (bench/refreaper-libev.c is the next step: the same under libev.)
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

enum wait_mode { WAIT_SIGWAITINFO, WAIT_SIGNALFD, WAIT_EPOLL };

static int sfd = -1, epfd = -1;

/* The next signal, by MODE; -1 to try again. */
static int
next_signal(enum wait_mode mode, const sigset_t *all)
{
	struct signalfd_siginfo ssi;
	struct epoll_event ev;
	siginfo_t si;

	if (mode == WAIT_SIGWAITINFO)
		return sigwaitinfo(all, &si);
	if (mode == WAIT_EPOLL && epoll_wait(epfd, &ev, 1, -1) != 1)
		return -1;
	if (read(sfd, &ssi, sizeof(ssi)) != (ssize_t)sizeof(ssi))
		return -1;
	return (int)ssi.ssi_signo;
}

static int
setup_wait(enum wait_mode mode, const sigset_t *all)
{
	struct epoll_event ev = { .events = EPOLLIN };

	if (mode == WAIT_SIGWAITINFO)
		return 0;
	sfd = signalfd(-1, all, SFD_CLOEXEC | (mode == WAIT_EPOLL ? SFD_NONBLOCK : 0));
	if (sfd < 0 || mode == WAIT_SIGNALFD)
		return sfd;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	ev.data.fd = sfd;
	return epfd < 0 ? -1 : epoll_ctl(epfd, EPOLL_CTL_ADD, sfd, &ev);
}

int
main(int argc, char **argv)
{
	enum wait_mode mode = WAIT_SIGWAITINFO;
	sigset_t all, none;
	pid_t child, pid;
	int st, code = -1, new_session = 0;

	for (argv++, argc--; argc > 0 && argv[0][0] == '-'; argv++, argc--) {
		if (strcmp(argv[0], "-s") == 0) {
			new_session = 1;
		} else if (strcmp(argv[0], "-w") == 0 && argc > 1) {
			argv++, argc--;
			if (strcmp(argv[0], "signalfd") == 0)
				mode = WAIT_SIGNALFD;
			else if (strcmp(argv[0], "epoll") == 0)
				mode = WAIT_EPOLL;
			else if (strcmp(argv[0], "sigwaitinfo") != 0)
				argc = 0; /* usage */
		} else {
			if (strcmp(argv[0], "--") == 0)
				argv++, argc--;
			break;
		}
	}
	if (argc < 1) {
		fputs("usage: refreaper [-s] [-w sigwaitinfo|signalfd|epoll] [--] COMMAND [ARG...]\n",
		      stderr);
		return 2;
	}
	sigfillset(&all);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &all, NULL);
	if (setup_wait(mode, &all) < 0) {
		perror("refreaper: signalfd or epoll");
		return 1;
	}
	child = fork();
	if (child < 0) {
		perror("refreaper: fork");
		return 1;
	}
	if (child == 0) {
		if (new_session)
			setsid();
		sigprocmask(SIG_SETMASK, &none, NULL);
		execvp(argv[0], argv);
		perror("refreaper: exec");
		_exit(127);
	}
	while (code < 0) {
		int sig = next_signal(mode, &all);

		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(child, sig);
			continue;
		}
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
			if (pid == child)
				code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
	return code;
}
