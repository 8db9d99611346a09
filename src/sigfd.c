/* sigfd — see include/sigfd.h. */
#include "sigfd.h"
#include "signames.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Raised by the CPU or abort(): blocking them would hide a crash. */
static const int fault_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGABRT, SIGSYS };

/* The kernel's struct sigaction for rt_sigaction(2) on Linux (x86, arm,
 * and the other "generic" ABIs): handler, flags, restorer, mask. */
struct kernel_sigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	unsigned long long mask;
};

/*
 * Every disposition that is not SIG_DFL back to it: after exec, what the
 * parent left ignored, which would leak into the children. With the raw
 * system call, because the C library's sigaction() refuses the signals
 * below its SIGRTMIN (glibc 32 and 33, musl 32 to 34), which a parent can
 * leave ignored too (GNU make does); sexton has no handler of the
 * library's on them yet. Only those not at SIG_DFL: setting SIG_DFL on a
 * signal whose default is to ignore it discards one pending (POSIX), and a
 * CONT, WINCH or URG sent while the parent had it blocked would be lost
 * instead of forwarded.
 */
static void
reset_dispositions(void)
{
	struct kernel_sigaction old, dfl = { SIG_DFL, 0, NULL, 0 };
	int sig;

	for (sig = 1; sig <= SIG_LINUX_RTMAX; sig++)
		if (sig != SIGKILL && sig != SIGSTOP &&
		    syscall(SYS_rt_sigaction, sig, NULL, &old, sizeof(old.mask)) == 0 &&
		    old.handler != SIG_DFL)
			syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof(dfl.mask));
}

/*
 * Every signal but the C library's private 32 and 33. Not sigfillset():
 * musl's leaves out 34 as well (and its sigaddset refuses it), but 34 is
 * SIGRTMIN to glibc and kill -l, and sexton forwards it like any other.
 * sigset_t is the kernel's bitmap in both libraries: bit SIG-1.
 */
static void
fill_forwardable(sigset_t *set)
{
	unsigned long *word = (unsigned long *)set;
	const unsigned bits = 8 * sizeof(*word);
	unsigned sig;

	sigemptyset(set);
	for (sig = 1; sig <= SIG_LINUX_RTMAX; sig++)
		if (sig != 32 && sig != 33)
			word[(sig - 1) / bits] |= 1UL << ((sig - 1) % bits);
}

int
sigfd_setup(void)
{
	sigset_t set;
	size_t i;
	int fd;

	fill_forwardable(&set);
	for (i = 0; i < sizeof(fault_signals) / sizeof(fault_signals[0]); i++)
		sigdelset(&set, fault_signals[i]);
	/* Block first, so nothing is lost between here and the signalfd. */
	if (sigprocmask(SIG_SETMASK, &set, NULL) < 0)
		return -errno;

	reset_dispositions();

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
