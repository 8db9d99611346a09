/* procscan — see include/procscan.h. */
#include "procscan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STAT_READ_MAX 1024

int
procscan_parse_stat(const char *text, char *comm, size_t commlen, char *state, pid_t *ppid,
		    pid_t *session)
{
	/* comm may hold spaces and ')': it ends at the LAST ')'. */
	const char *open = strchr(text, '('), *close = strrchr(text, ')');
	long pp, sid;
	char *end, *end2;
	size_t n;

	if (!open || !close || close < open || close[1] != ' ' || !close[2] || close[3] != ' ')
		return -1;
	/* ppid, pgrp, session: strtol, not sscanf (which would pull the whole
	 * scanf engine into the static binary). */
	pp = strtol(close + 4, &end, 10);
	if (end == close + 4 || *end != ' ' || pp < 0)
		return -1;
	strtol(end, &end2, 10);
	if (end2 == end || *end2 != ' ')
		return -1;
	sid = strtol(end2, &end, 10);
	if (end == end2)
		return -1;
	n = (size_t)(close - open - 1);
	if (n >= commlen)
		n = commlen - 1;
	memcpy(comm, open + 1, n);
	comm[n] = '\0';
	*state = close[2];
	*ppid = (pid_t)pp;
	*session = (pid_t)sid;
	return 0;
}

ssize_t
procscan_read(int dirfd, const char *name, char *buf, size_t len)
{
	ssize_t n;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

static void
read_wchan(int dirfd, char *out, size_t len)
{
	if (procscan_read(dirfd, "wchan", out, len) < 0 || strcmp(out, "0") == 0)
		out[0] = '\0';
}

static int
read_threads(int piddir, struct proc_info *p)
{
	char buf[STAT_READ_MAX], comm[PROC_COMM_MAX];
	struct proc_thread *nv;
	struct dirent *de;
	pid_t ppid, sid;
	size_t cap = 0;
	int fd, tfd;
	DIR *d;

	fd = openat(piddir, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return 0; /* vanished */
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		tfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (tfd < 0)
			continue;
		if (p->nthreads == cap) {
			cap = cap ? cap * 2 : 4;
			nv = realloc(p->threads, cap * sizeof(*nv));
			if (!nv) {
				close(tfd);
				closedir(d);
				return -ENOMEM;
			}
			p->threads = nv;
		}
		struct proc_thread *t = &p->threads[p->nthreads];

		if (procscan_read(tfd, "stat", buf, sizeof(buf)) > 0 &&
		    procscan_parse_stat(buf, comm, sizeof(comm), &t->state, &ppid, &sid) == 0) {
			t->tid = (pid_t)atoi(de->d_name);
			read_wchan(tfd, t->wchan, sizeof(t->wchan));
			p->nthreads++;
		}
		close(tfd);
	}
	closedir(d);
	return 0;
}

static int
read_process(int procfd, const char *name, struct proc_info *p, bool with_threads)
{
	char buf[STAT_READ_MAX];
	int fd = openat(procfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = -1;

	memset(p, 0, sizeof(*p));
	if (fd < 0)
		return -1;
	if (procscan_read(fd, "stat", buf, sizeof(buf)) > 0 &&
	    procscan_parse_stat(buf, p->comm, sizeof(p->comm), &p->state, &p->ppid, &p->session) ==
		    0) {
		p->pid = (pid_t)atoi(name);
		read_wchan(fd, p->wchan, sizeof(p->wchan));
		rc = with_threads ? read_threads(fd, p) : 0;
		if (rc == -ENOMEM)
			free(p->threads);
	}
	close(fd);
	return rc;
}

static int
cmp_pid(const void *a, const void *b)
{
	const struct proc_info *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

static const struct proc_info *
find_pid(const struct proc_snapshot *s, pid_t pid)
{
	const struct proc_info key = { .pid = pid };

	return bsearch(&key, s->v, s->n, sizeof(*s->v), cmp_pid);
}

/* Walk up each chain of parents (memoised in `ours` once known). */
static void
mark_ours(struct proc_snapshot *s, pid_t self)
{
	const struct proc_info *q;
	size_t i, depth;

	for (i = 0; i < s->n; i++) {
		q = &s->v[i];
		for (depth = 0; q && depth < s->n; depth++) {
			if (q->ppid == self || q->ours) {
				s->v[i].ours = true;
				break;
			}
			q = q->ppid > 0 ? find_pid(s, q->ppid) : NULL;
		}
	}
}

int
procscan(struct proc_snapshot *snap, bool with_threads)
{
	struct proc_info *nv;
	struct dirent *de;
	size_t cap = 0;
	DIR *d = opendir("/proc");
	int rc = 0;

	snap->v = NULL;
	snap->n = 0;
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		if (snap->n == cap) {
			cap = cap ? cap * 2 : 256;
			nv = realloc(snap->v, cap * sizeof(*nv));
			if (!nv) {
				rc = -ENOMEM;
				break;
			}
			snap->v = nv;
		}
		rc = read_process(dirfd(d), de->d_name, &snap->v[snap->n], with_threads);
		if (rc == -ENOMEM)
			break;
		if (rc == 0)
			snap->n++;
		rc = 0;
	}
	closedir(d);
	if (rc < 0) {
		procscan_free(snap);
		return rc;
	}
	qsort(snap->v, snap->n, sizeof(*snap->v), cmp_pid);
	mark_ours(snap, getpid());
	return 0;
}

void
procscan_free(struct proc_snapshot *snap)
{
	size_t i;

	for (i = 0; i < snap->n; i++)
		free(snap->v[i].threads);
	free(snap->v);
	snap->v = NULL;
	snap->n = 0;
}
