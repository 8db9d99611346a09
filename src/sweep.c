/* sweep — see include/sweep.h. */
#include "sweep.h"

#include "procscan.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* With no child there is no descendant: an orphan is reparented to us or
 * to a subreaper below us, so every descendant's chain of parents ends at
 * a child of ours, and only we could make a new one. One waitid (which
 * reaps nothing) instead of reading every process of the host from /proc:
 * the usual end, `sexton -- cmd` whose cmd left nothing behind. */
static bool
have_children(void)
{
	siginfo_t si;

	return waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT | __WALL) == 0 || errno != ECHILD;
}

static int
signal_descendants(int sig, pid_t except)
{
	struct proc_snapshot snap = { 0 };
	size_t i;
	int sent = 0, rc;

	if (!have_children())
		return 0;
	rc = procscan(&snap, 0);
	if (rc < 0)
		return rc;
	for (i = 0; i < snap.n; i++)
		if (snap.v[i].ours && snap.v[i].pid != except && kill(snap.v[i].pid, sig) == 0)
			sent++;
	procscan_free(&snap);
	return sent;
}

int
sweep_signal(bool is_pid1, int sig, pid_t except)
{
	if (!is_pid1)
		return signal_descendants(sig, except);
	if (kill(-1, sig) == 0)
		return 1;
	return errno == ESRCH ? 0 : -errno;
}
