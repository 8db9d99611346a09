/* sigfd — see include/sigfd.h. */
#include "sigfd.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>

/* Raised by the CPU or abort(): blocking them would hide a crash. */
static const int fault_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGABRT, SIGSYS };

int
sigfd_setup(void)
{
	struct sigaction dfl;
	sigset_t set;
	size_t i;
	int sig, fd;

	sigfillset(&set);
	for (i = 0; i < sizeof(fault_signals) / sizeof(fault_signals[0]); i++)
		sigdelset(&set, fault_signals[i]);
	/* Block first, so nothing is lost between here and the signalfd. */
	if (sigprocmask(SIG_SETMASK, &set, NULL) < 0)
		return -errno;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, NULL); /* EINVAL for glibc's internal ones: fine */

	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

void
sigfd_discard(int sig)
{
	const struct timespec zero = { 0, 0 };
	sigset_t one;

	sigemptyset(&one);
	sigaddset(&one, sig);
	while (sigtimedwait(&one, NULL, &zero) > 0)
		;
}
