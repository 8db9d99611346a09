/* sweep — see include/sweep.h. */
#include "sweep.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct proc_link {
	pid_t pid, ppid;
	bool ours;
};

int
sweep_parse_ppid(const char *text, pid_t *ppid)
{
	/* comm may hold spaces and ')': the state follows the LAST ')'. */
	const char *p = strrchr(text, ')');
	char *end;
	long v;

	if (!p || p[1] != ' ' || !p[2] || p[3] != ' ')
		return -1;
	v = strtol(p + 4, &end, 10);
	if (end == p + 4 || v < 0)
		return -1;
	*ppid = (pid_t)v;
	return 0;
}

static int
read_ppid(int procfd, const char *name, pid_t *ppid)
{
	char path[64], buf[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/stat", name);
	fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1; /* vanished meanwhile */
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return sweep_parse_ppid(buf, ppid);
}

/* Every (pid, ppid) on the system; caller frees. */
static struct proc_link *
list_processes(size_t *count)
{
	struct proc_link *v = NULL, *nv;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *dir = opendir("/proc");
	pid_t ppid;

	if (!dir)
		return NULL;
	while ((de = readdir(dir))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		if (read_ppid(dirfd(dir), de->d_name, &ppid) < 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		v[n++] = (struct proc_link){ (pid_t)atoi(de->d_name), ppid, false };
	}
	closedir(dir);
	*count = n;
	return v ? v : calloc(1, sizeof(*v));
}

/* Mark descendants of SELF; passes repeat until the tree stops growing. */
static void
mark_descendants(struct proc_link *v, size_t n, pid_t self)
{
	bool grew = true;
	size_t i, j;

	while (grew) {
		grew = false;
		for (i = 0; i < n; i++) {
			if (v[i].ours)
				continue;
			if (v[i].ppid == self) {
				v[i].ours = grew = true;
				continue;
			}
			for (j = 0; j < n; j++)
				if (v[j].ours && v[j].pid == v[i].ppid) {
					v[i].ours = grew = true;
					break;
				}
		}
	}
}

static int
signal_descendants(int sig, pid_t except)
{
	struct proc_link *v;
	size_t n, i;
	int sent = 0;

	v = list_processes(&n);
	if (!v)
		return -errno;
	mark_descendants(v, n, getpid());
	for (i = 0; i < n; i++)
		if (v[i].ours && v[i].pid != except && kill(v[i].pid, sig) == 0)
			sent++;
	free(v);
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
