/* sweep — see include/sweep.h. */
#include "sweep.h"

#include "procscan.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

static int
signal_descendants(int sig, pid_t except)
{
	struct proc_snapshot snap = { 0 };
	size_t i;
	int sent = 0, rc;

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
