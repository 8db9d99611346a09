/*
 * refreaper — the reference reaper, the floor of the benchmark.
 *
 * usage: refreaper [-s] [--] COMMAND [ARG...]
 *
 * Blocks every signal, runs COMMAND with fork+execvp (unblocked in the
 * child), then loops on sigwaitinfo: SIGCHLD drains waitpid(-1, WNOHANG)
 * until 0 or ECHILD, any other signal is forwarded to the child. Exits
 * with the child's status (128+N if killed by signal N) once it is gone.
 * No logging, no process groups, no cleanup of leftovers. -s puts the
 * child in a session of its own (setsid), as sexton and dumb-init do: the
 * signal benchmark's control for what that alone costs.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	sigset_t all, none;
	pid_t child, pid;
	int st, code = -1, new_session = 0;

	argv++, argc--;
	if (argc > 0 && strcmp(argv[0], "-s") == 0)
		new_session = 1, argv++, argc--;
	if (argc > 0 && strcmp(argv[0], "--") == 0)
		argv++, argc--;
	if (argc < 1) {
		fputs("usage: refreaper [-s] [--] COMMAND [ARG...]\n", stderr);
		return 2;
	}
	sigfillset(&all);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &all, NULL);
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
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);

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
