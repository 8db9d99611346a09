/* exitstatus — see include/exitstatus.h. */
#include "exitstatus.h"

#include <stdio.h>
#include <sys/wait.h>

#include "signames.h"

int
exit_code_of(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return 1; /* stopped/continued are never passed to us as final */
}

int
exit_code_remap(int code, const int *remap, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (remap[i] == code)
			return 0;
	return code;
}

const char *
exit_status_text(int wstatus, char *buf, size_t len)
{
	char name[16];

	if (WIFSIGNALED(wstatus))
		snprintf(buf, len, "killed by SIG%s", sig_name(WTERMSIG(wstatus), name, sizeof(name)));
	else
		snprintf(buf, len, "exited with code %d", WEXITSTATUS(wstatus));
	return buf;
}
