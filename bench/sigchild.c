/*
 * sigchild — the main child of the signal-latency benchmark.
 *
 * Installs a SIGUSR1 handler whose first action is reading CLOCK_MONOTONIC;
 * it writes that time in nanoseconds as one decimal line to stdout. Writes
 * "ready PID\n" once the handler is in place, then sleeps in pause()
 * until SIGTERM (default action) ends it. The harness sends SIGUSR1 to the
 * init and subtracts its own CLOCK_MONOTONIC reading taken just before
 * kill(): the difference is the init's forwarding latency plus one
 * wake-up of this process.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void
on_usr1(int sig)
{
	struct timespec ts;
	char buf[32], *p = buf + sizeof(buf);
	unsigned long long ns;

	(void)sig;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ns = (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
	*--p = '\n';
	do {
		*--p = (char)('0' + ns % 10);
		ns /= 10;
	} while (ns > 0);
	if (write(STDOUT_FILENO, p, (size_t)(buf + sizeof(buf) - p)) < 0)
		_exit(3);
}

int
main(void)
{
	struct sigaction sa;
	sigset_t none;
	char msg[48];
	int len;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) < 0)
		return 1;
	/* Whatever the init left blocked, this benchmark needs USR1. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	len = snprintf(msg, sizeof(msg), "ready %d\n", (int)getpid());
	if (write(STDOUT_FILENO, msg, (size_t)len) < 0)
		return 1;
	for (;;)
		pause();
}
