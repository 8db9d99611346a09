/* reaper — see include/reaper.h. */
#include "reaper.h"

#include <errno.h>
#include <sys/wait.h>

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
reap_all(reap_fn *on_exit, void *ctx, bool *no_children)
{
	size_t n = 0;
	pid_t pid;
	int st;

	*no_children = false;
	for (;;) {
		pid = waitpid(-1, &st, WNOHANG);
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
