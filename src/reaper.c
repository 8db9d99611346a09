/* reaper — see include/reaper.h. */
#include "reaper.h"

#include <errno.h>
#include <sys/wait.h>

#include "monotime.h"

size_t
reap_pid(pid_t pid, reap_fn *on_exit, void *ctx)
{
	pid_t got;
	int st;

	do
		got = waitpid(pid, &st, WNOHANG);
	while (got < 0 && errno == EINTR);
	if (got != pid)
		return 0; /* alive (a stop or continue), not ours, or reaped already */
	on_exit(ctx, pid, st);
	return 1;
}

size_t
reap_all(reap_fn *on_exit, void *ctx, bool *no_children, double *scan_s)
{
	size_t n = 0;
	double t0, t1;
	pid_t pid;
	int st;

	*no_children = false;
	/* One clock read per call: the last call's time is from the read
	 * after the previous call (which includes ON_EXIT, a few lines). */
	t0 = mono_now();
	for (;;) {
		pid = waitpid(-1, &st, WNOHANG);
		t1 = mono_now();
		*scan_s = t1 - t0;
		t0 = t1;
		if (pid > 0) {
			n++;
			on_exit(ctx, pid, st);
			continue;
		}
		if (pid == 0)
			break;
		/* pid < 0: only now is errno meaningful. */
		if (errno == EINTR)
			continue;
		if (errno == ECHILD)
			*no_children = true;
		break;
	}
	return n;
}

double
reap_pace(size_t reaped, double scan_s, double prev_scan_s)
{
	double cheaper = scan_s < prev_scan_s ? scan_s : prev_scan_s, delay;

	if (reaped == 0 || !(cheaper >= REAP_PACE_MIN_SCAN_S))
		return 0;
	delay = REAP_PACE_FACTOR * cheaper;
	return delay < REAP_PACE_MAX_S ? delay : REAP_PACE_MAX_S;
}
