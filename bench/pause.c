/* pause: the service of the supervisor benchmark (bench/supervisors.py).
 * Sleeps in pause() for ever; exits 0 on SIGTERM (and SIGINT, SIGHUP).
 * Its arguments are ignored: the harness passes a tag so that it can tell
 * its services (and their leftovers) from any other process. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

static void
on_term(int sig)
{
	(void)sig;
	_exit(0);
}

int
main(int argc, char **argv)
{
	struct sigaction sa;

	(void)argc;
	(void)argv;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	for (;;)
		pause();
}
