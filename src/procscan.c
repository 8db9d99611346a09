/* procscan — see include/procscan.h. */
#include "procscan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STAT_READ_MAX 1024
#define STATUS_READ_MAX 4096
#define STACK_READ_MAX 4096
#define SIGKILL_BIT (1ULL << (9 - 1))

/* ---- parsing ---------------------------------------------------------------- */

/* The next space-separated number after *P; false if there is none. */
static bool
next_num(const char **p, long long *out)
{
	char *end;

	if (**p != ' ')
		return false;
	*out = strtoll(*p + 1, &end, 10);
	if (end == *p + 1)
		return false;
	*p = end;
	return true;
}

static bool
skip_fields(const char **p, int n)
{
	long long ignored;

	while (n-- > 0)
		if (!next_num(p, &ignored))
			return false;
	return true;
}

int
procscan_parse_stat(const char *text, struct proc_stat *st)
{
	/* comm may hold spaces and ')': it ends at the LAST ')'. strtoll, not
	 * sscanf, which would pull the whole scanf engine into the static
	 * binary. */
	const char *open = strchr(text, '('), *close = strrchr(text, ')'), *p;
	long long ppid, pgrp, sid, nthreads, start;
	size_t n;

	if (!open || !close || close < open || close[1] != ' ' || !close[2])
		return -1;
	p = close + 3;
	/* 4 ppid 5 pgrp 6 session, 7..19 skipped, 20 num_threads, 21, 22 starttime */
	if (!next_num(&p, &ppid) || !next_num(&p, &pgrp) || !next_num(&p, &sid) ||
	    !skip_fields(&p, 13) || !next_num(&p, &nthreads) || !skip_fields(&p, 1) ||
	    !next_num(&p, &start) || ppid < 0 || start < 0)
		return -1;
	n = (size_t)(close - open - 1);
	if (n >= sizeof(st->comm))
		n = sizeof(st->comm) - 1;
	memcpy(st->comm, open + 1, n);
	st->comm[n] = '\0';
	st->state = close[2];
	st->ppid = (pid_t)ppid;
	st->pgrp = (pid_t)pgrp;
	st->session = (pid_t)sid;
	st->num_threads = (long)nthreads;
	st->start = (unsigned long long)start;
	return 0;
}

/* The value after "KEY:" at the start of a line of TEXT, or NULL. */
static const char *
status_field(const char *text, const char *key)
{
	size_t len = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (strncmp(p, key, len) == 0 && p[len] == ':')
			return p + len + 1;
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	return NULL;
}

/* A signal mask line ("SigBlk:\t0000000000010000"), 0 when missing. */
static uint64_t
sigset_of(const char *text, const char *key)
{
	const char *v = status_field(text, key);

	return v ? (uint64_t)strtoull(v, NULL, 16) : 0;
}

int
procscan_parse_status(const char *text, struct proc_status *st)
{
	const char *tracer = status_field(text, "TracerPid");
	const char *threads = status_field(text, "Threads");

	if (!tracer)
		return -1;
	st->tracer = (pid_t)strtol(tracer, NULL, 10);
	st->pending = sigset_of(text, "SigPnd") | sigset_of(text, "ShdPnd");
	st->sigkill_pending = st->pending & SIGKILL_BIT;
	st->blocked = sigset_of(text, "SigBlk");
	st->ignored = sigset_of(text, "SigIgn");
	st->caught = sigset_of(text, "SigCgt");
	st->threads = threads ? strtol(threads, NULL, 10) : 0;
	return 0;
}

size_t
procscan_parse_stack(const char *text, char (*frames)[PROC_WCHAN_MAX], size_t max)
{
	const char *p = text, *name, *end;
	size_t n = 0, len;

	while (p && *p && n < max) {
		name = strstr(p, "] ");
		end = strchr(p, '\n');
		if (name && (!end || name < end)) {
			name += 2;
			len = strcspn(name, "+\n ");
			if (len >= PROC_WCHAN_MAX)
				len = PROC_WCHAN_MAX - 1;
			if (len) {
				memcpy(frames[n], name, len);
				frames[n++][len] = '\0';
			}
		}
		p = end ? end + 1 : NULL;
	}
	return n;
}

/* ---- reading ------------------------------------------------------------------ */

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

static int
read_stat(int dirfd, const char *name, struct proc_stat *st)
{
	char buf[STAT_READ_MAX];

	if (procscan_read(dirfd, name, buf, sizeof(buf)) <= 0)
		return -1;
	return procscan_parse_stat(buf, st);
}

static void
read_wchan(int dirfd, const char *name, char *out, size_t len)
{
	if (procscan_read(dirfd, name, out, len) < 0 || strcmp(out, "0") == 0)
		out[0] = '\0';
}

int
procscan_status(pid_t pid, pid_t tid, struct proc_status *st)
{
	char path[64], buf[STATUS_READ_MAX];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)pid, (int)tid);
	if (procscan_read(AT_FDCWD, path, buf, sizeof(buf)) <= 0)
		return -1;
	return procscan_parse_status(buf, st);
}

size_t
procscan_stack(pid_t pid, pid_t tid, char (*frames)[PROC_WCHAN_MAX], size_t max)
{
	char path[64], buf[STACK_READ_MAX];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stack", (int)pid, (int)tid);
	if (procscan_read(AT_FDCWD, path, buf, sizeof(buf)) <= 0)
		return 0;
	return procscan_parse_stack(buf, frames, max);
}

/* ---- the snapshot -------------------------------------------------------------- */

static struct proc_thread *
new_thread(struct proc_snapshot *s)
{
	struct proc_thread *nv;
	size_t cap;

	if (s->nt == s->tcap) {
		cap = s->tcap ? s->tcap * 2 : 256;
		nv = realloc(s->t, cap * sizeof(*nv));
		if (!nv)
			return NULL;
		s->t = nv;
		s->tcap = cap;
	}
	memset(&s->t[s->nt], 0, sizeof(s->t[0]));
	s->t[s->nt].steady = true;
	return &s->t[s->nt++];
}

static bool
wants_wchan(char state, unsigned flags)
{
	return state == 'D' || (flags & PROCSCAN_WCHAN_ALL);
}

/* task/TID/stat of each thread: "TID/stat" relative to the task dir fd
 * (one openat per thread, no directory fd of its own). */
static int
read_threads(struct proc_snapshot *s, int piddir, struct proc_info *p, unsigned flags)
{
	char name[32];
	struct proc_stat st;
	struct proc_thread *t;
	struct dirent *de;
	int fd = openat(piddir, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;

	/* A fake zombie's live threads: where each waits is the point. */
	if (p->state == 'Z')
		flags |= PROCSCAN_WCHAN_ALL;

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return 0; /* vanished */
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9' || strlen(de->d_name) > 16)
			continue;
		snprintf(name, sizeof(name), "%.16s/stat", de->d_name);
		if (read_stat(dirfd(d), name, &st) < 0)
			continue;
		if (!(t = new_thread(s))) {
			closedir(d);
			return -ENOMEM;
		}
		t->tid = (pid_t)atoi(de->d_name);
		t->state = st.state;
		t->start = st.start;
		if (wants_wchan(st.state, flags)) {
			snprintf(name, sizeof(name), "%.16s/wchan", de->d_name);
			read_wchan(dirfd(d), name, t->wchan, sizeof(t->wchan));
		}
		p->nthreads++;
	}
	closedir(d);
	return 0;
}

/* A single-threaded process is its own only thread: no task/ read. */
static int
leader_as_thread(struct proc_snapshot *s, struct proc_info *p)
{
	struct proc_thread *t = new_thread(s);

	if (!t)
		return -ENOMEM;
	t->tid = p->pid;
	t->state = p->state;
	t->start = p->start;
	memcpy(t->wchan, p->wchan, sizeof(t->wchan));
	p->nthreads = 1;
	return 0;
}

static void
read_tracer(int piddir, struct proc_info *p)
{
	char buf[STATUS_READ_MAX];
	struct proc_status st;

	if (procscan_read(piddir, "status", buf, sizeof(buf)) > 0 &&
	    procscan_parse_status(buf, &st) == 0)
		p->tracer = st.tracer;
}

/* 0, -1 when the process is gone or unreadable, -ENOMEM. */
static int
read_process(struct proc_snapshot *s, int procfd, const char *name, unsigned flags)
{
	struct proc_info *p = &s->v[s->n];
	struct proc_stat st;
	int fd = openat(procfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = -1;

	memset(p, 0, sizeof(*p));
	if (fd < 0)
		return -1;
	if (read_stat(fd, "stat", &st) == 0) {
		p->pid = (pid_t)atoi(name);
		p->ppid = st.ppid;
		p->session = st.session;
		p->state = st.state;
		p->nthreads_kernel = st.num_threads;
		p->start = st.start;
		memcpy(p->comm, st.comm, sizeof(p->comm));
		if (wants_wchan(st.state, flags))
			read_wchan(fd, "wchan", p->wchan, sizeof(p->wchan));
		if (st.state == 'Z')
			read_tracer(fd, p);
		p->thread0 = s->nt;
		rc = 0;
		if (flags & PROCSCAN_THREADS)
			rc = st.num_threads > 1 ? read_threads(s, fd, p, flags) : leader_as_thread(s, p);
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

const struct proc_info *
procscan_find(const struct proc_snapshot *s, pid_t pid)
{
	const struct proc_info key = { .pid = pid };

	return s->n ? bsearch(&key, s->v, s->n, sizeof(*s->v), cmp_pid) : NULL;
}

/* Is this /proc our PID namespace's, with us its PID 1? Then a process
 * with no parent in it (ppid 0) entered from outside (nsenter, docker
 * exec, kubectl exec): it is in the container, and ours to explain. (In
 * the host's /proc, ppid 0 is the kernel's: never taken.) */
/* The machine's PID namespace has this fixed inode (PROC_PID_INIT_INO). */
#define INIT_PIDNS_INO 0xEFFFFFFCUL

bool
procscan_in_child_pidns(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) == 0 && (unsigned long)st.st_ino != INIT_PIDNS_INO;
}

static bool
pid1_of_this_proc(pid_t self)
{
	char buf[16];
	ssize_t n;

	if (self != 1)
		return false;
	n = readlink("/proc/self", buf, sizeof(buf) - 1);
	return n == 1 && buf[0] == '1' && procscan_in_child_pidns();
}

/* Walk up each chain of parents (memoised in `ours` once known). */
static void
mark_ours(struct proc_snapshot *s, pid_t self)
{
	const bool outsiders = pid1_of_this_proc(self);
	const struct proc_info *q;
	size_t i, depth;

	for (i = 0; i < s->n; i++) {
		q = &s->v[i];
		for (depth = 0; q && depth < s->n; depth++) {
			if (q->ppid == self || q->ours ||
			    (outsiders && q->ppid == 0 && q->pid != self)) {
				s->v[i].ours = true;
				break;
			}
			q = q->ppid > 0 ? procscan_find(s, q->ppid) : NULL;
		}
	}
}

static int
grow_processes(struct proc_snapshot *s)
{
	struct proc_info *nv;
	size_t cap;

	if (s->n < s->cap)
		return 0;
	cap = s->cap ? s->cap * 2 : 256;
	nv = realloc(s->v, cap * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	s->v = nv;
	s->cap = cap;
	return 0;
}

/* A process's directory in /proc (the rest are names like "self", "net"). */
static bool
is_pid_entry(const struct dirent *de)
{
	return de->d_name[0] >= '1' && de->d_name[0] <= '9';
}

int
procscan(struct proc_snapshot *snap, unsigned flags)
{
	struct dirent *de;
	DIR *d = opendir("/proc");
	int rc = 0;

	snap->n = 0;
	snap->nt = 0;
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!is_pid_entry(de))
			continue;
		if ((rc = grow_processes(snap)) < 0)
			break;
		rc = read_process(snap, dirfd(d), de->d_name, flags);
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
	/* readdir of /proc is in pid order already; sort anyway (cheap when
	 * sorted) since lookups depend on it. */
	qsort(snap->v, snap->n, sizeof(*snap->v), cmp_pid);
	mark_ours(snap, getpid());
	return 0;
}

long
procscan_count(void)
{
	struct dirent *de;
	DIR *d = opendir("/proc");
	long n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		n += is_pid_entry(de);
	closedir(d);
	return n;
}

/* The state of PID/TID now, or 0 when it is gone. */
static char
state_now(pid_t pid, pid_t tid)
{
	char path[64];
	struct proc_stat st;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
	return read_stat(AT_FDCWD, path, &st) == 0 ? st.state : 0;
}

size_t
procscan_resample(struct proc_snapshot *s)
{
	struct proc_thread *t;
	size_t i, k, left = 0;

	for (i = 0; i < s->n; i++)
		for (k = 0; k < s->v[i].nthreads; k++) {
			t = &s->t[s->v[i].thread0 + k];
			if (!t->steady || (t->state != 'D' && t->state != 'Z'))
				continue;
			if (state_now(s->v[i].pid, t->tid) != t->state)
				t->steady = false;
			else
				left++;
		}
	return left;
}

long
procscan_tasks(const struct proc_snapshot *snap)
{
	long n = 0;
	size_t i;

	for (i = 0; i < snap->n; i++)
		n += snap->v[i].nthreads_kernel > 1 ? snap->v[i].nthreads_kernel : 1;
	return n;
}

void
procscan_free(struct proc_snapshot *snap)
{
	free(snap->v);
	free(snap->t);
	memset(snap, 0, sizeof(*snap));
}
