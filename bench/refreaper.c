/*
 * refreaper — the reference reaper, the floor of the benchmark.
 *
 * usage: refreaper [--] COMMAND [ARG...]
 *
 * Blocks every signal, runs COMMAND with fork+execvp (unblocked in the
 * child), then loops on sigwaitinfo: SIGCHLD drains waitpid(-1, WNOHANG)
 * until 0 or ECHILD, any other signal is forwarded to the child. Exits
 * with the child's status (128+N if killed by signal N) once it is gone.
 * No options, no logging, no process groups, no cleanup of leftovers.
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
	int st, code = -1;

	argv++, argc--;
	if (argc > 0 && strcmp(argv[0], "--") == 0)
		argv++, argc--;
	if (argc < 1) {
		fputs("usage: refreaper [--] COMMAND [ARG...]\n", stderr);
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
