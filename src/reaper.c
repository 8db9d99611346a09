/* reaper — see include/reaper.h. */
#include "reaper.h"

#include <errno.h>
#include <sys/wait.h>

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
