/* diag — see include/diag.h. */
#include "diag.h"

#include "cgroupfs.h"
#include "monotime.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- history ------------------------------------------------------------------ */

static int
cmp_seen(const void *a, const void *b)
{
	const struct diag_seen *x = a, *y = b;

	if (x->tid != y->tid)
		return (x->tid > y->tid) - (x->tid < y->tid);
	return (x->what > y->what) - (x->what < y->what);
}

static struct diag_seen *
history_find(const struct diag_history *h, pid_t tid, char what)
{
	const struct diag_seen key = { .tid = tid, .what = what };

	return h->n ? bsearch(&key, h->v, h->n, sizeof(*h->v), cmp_seen) : NULL;
}

size_t
diag_candidates(const struct proc_snapshot *s)
{
	size_t i, n = 0;

	for (i = 0; i < s->nt; i++)
		n += s->t[i].steady && (s->t[i].state == 'D' || s->t[i].state == 'Z');
	return n;
}

/* Rebuilt from the snapshot each time: entries carry over (same tid, same
 * start time, same condition), the rest start now, the gone are dropped. */
int
diag_history_update(struct diag_history *h, const struct proc_snapshot *s, double now)
{
	size_t i, n = 0, want = diag_candidates(s);
	struct diag_seen *nv, *old;
	const struct proc_thread *t;

	nv = malloc((want ? want : 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	for (i = 0; i < s->nt && n < want; i++) {
		t = &s->t[i];
		if (!t->steady || (t->state != 'D' && t->state != 'Z'))
			continue;
		old = history_find(h, t->tid, t->state);
		if (old && old->start == t->start)
			nv[n] = *old;
		else
			nv[n] = (struct diag_seen){ .tid = t->tid, .what = t->state, .start = t->start,
						    .first = now };
		nv[n++].live = true;
	}
	qsort(nv, n, sizeof(*nv), cmp_seen);
	free(h->v);
	h->v = nv;
	h->n = h->cap = n;
	return 0;
}

void
diag_history_free(struct diag_history *h)
{
	free(h->v);
	memset(h, 0, sizeof(*h));
}

/* ---- findings ------------------------------------------------------------------- */

const char *
diag_kind_name(enum diag_kind kind)
{
	static const char *const names[] = { "stuck", "fake_zombie", "traced_zombie", "unreaped",
					     "limits" };

	return (unsigned)kind < sizeof(names) / sizeof(*names) ? names[kind] : "unknown";
}

static bool
wchan_has(const char *wchan, const char *what)
{
	return strstr(wchan, what) != NULL;
}

static const char *
stuck_advice(const struct diag_finding *f)
{
	const char *w = f->wchan;

	if (f->frozen_cgroup[0] || wchan_has(w, "refrigerator") || wchan_has(w, "freez"))
		return "its cgroup is frozen: thaw it (write THAWED to freezer.state, or 0 to "
		       "cgroup.freeze)";
	if (wchan_has(w, "nfs") || wchan_has(w, "rpc"))
		return "it waits for an NFS server: bring the server back, or umount -f (then -l) "
		       "the mount";
	if (wchan_has(w, "fuse"))
		return "it waits for a FUSE daemon: restart the daemon, or write 1 to "
		       "/sys/fs/fuse/connections/N/abort, or umount -l the mount";
	if (wchan_has(w, "kernel_clone") || wchan_has(w, "do_fork") || wchan_has(w, "vfork"))
		return "it waits in vfork() for its child to exec or exit: end that child";
	if (wchan_has(w, "io_schedule") || wchan_has(w, "blk_") || wchan_has(w, "wait_on_page") ||
	    wchan_has(w, "folio"))
		return "it waits for disk I/O: check the device (dmesg, iostat); a dead disk or "
		       "full multipath queue keeps it there";
	return "it sleeps in the kernel where no signal reaches it (not even SIGKILL): the wchan "
	       "and stack name the subsystem to fix (storage, network filesystem, driver)";
}

const char *
diag_advice(const struct diag_finding *f)
{
	switch (f->kind) {
	case DIAG_STUCK: return stuck_advice(f);
	case DIAG_FAKE_ZOMBIE:
		return "its main thread exited but other threads live on: look at their wchan; "
		       "killing the process ends every thread (unless one is stuck in D)";
	case DIAG_TRACED_ZOMBIE:
		return "a tracer (debugger, strace) holds its exit: detach or end the tracer";
	case DIAG_UNREAPED:
		return "the parent never calls wait() for its children: fix the parent, or end it "
		       "so that its zombies pass to PID 1, which reaps them";
	case DIAG_LIMITS: /* diag_check_limits says so when it is the cgroup's */
		return "close to the kernel's limit on tasks: find who leaks processes or "
		       "threads, or raise kernel.pid_max / kernel.threads-max";
	}
	return "";
}

static struct diag_finding *
add_finding(struct diag_report *r, enum diag_kind kind)
{
	struct diag_finding *nv;
	size_t cap;

	if (r->n >= DIAG_MAX_FINDINGS) {
		r->more++;
		return NULL;
	}
	if (r->n == r->cap) {
		cap = r->cap ? r->cap * 2 : 8;
		nv = realloc(r->v, cap * sizeof(*nv));
		if (!nv) {
			r->more++;
			return NULL;
		}
		r->v = nv;
		r->cap = cap;
	}
	memset(&r->v[r->n], 0, sizeof(r->v[0]));
	r->v[r->n].kind = kind;
	r->v[r->n].seconds = -1;
	return &r->v[r->n++];
}

static void
set_process(struct diag_finding *f, const struct proc_info *p, const struct diag_params *prm)
{
	const char *svc = prm->service_of ? prm->service_of(prm->ctx, p) : NULL;

	f->pid = p->pid;
	f->state = p->state;
	memcpy(f->comm, p->comm, sizeof(f->comm));
	if (svc)
		snprintf(f->service, sizeof(f->service), "%s", svc);
}

/* How long T has been seen in its D or Z; a background scan also notes
 * that it has now been reported, so that the log says it once. */
static double
seen_for(struct diag_history *h, const struct proc_thread *t, const struct diag_params *p,
	 bool *is_new)
{
	struct diag_seen *e = history_find(h, t->tid, t->state);

	if (!e || e->start != t->start) {
		*is_new = true;
		return 0;
	}
	*is_new = !e->reported;
	if (p->mode == DIAG_BACKGROUND)
		e->reported = true;
	return p->now - e->first;
}

/* Has the D or Z of T lasted long enough to be a finding in this mode? */
static bool
persists(const struct diag_history *h, const struct proc_thread *t, const struct diag_params *p)
{
	struct diag_seen *e;

	if (p->mode == DIAG_SAMPLED)
		return t->steady;
	/* Background and instant alike: a zombie must have been seen by an
	 * earlier scan, since a child is a zombie for the moment between its
	 * exit and its parent's wait; a D thread for hung_threshold. */
	e = history_find(h, t->tid, t->state);
	if (!e || e->start != t->start)
		return false;
	return t->state == 'D' ? p->now - e->first >= p->hung_threshold : p->now > e->first;
}

static const struct proc_thread *
thread_of(const struct proc_snapshot *s, const struct proc_info *p, size_t k)
{
	return &s->t[p->thread0 + k];
}

static void
add_stuck(struct diag_report *r, struct diag_history *h, const struct proc_info *p,
	  const struct proc_thread *t, const struct diag_params *prm)
{
	struct diag_finding *f = add_finding(r, DIAG_STUCK);

	if (!f)
		return;
	set_process(f, p, prm);
	f->tid = t->tid;
	f->state = t->state;
	memcpy(f->wchan, t->wchan, sizeof(f->wchan));
	f->seconds = seen_for(h, t, prm, &f->is_new);
	if (prm->mode == DIAG_AFTER_SIGKILL && f->seconds < prm->after_sigkill)
		f->seconds = prm->after_sigkill; /* it has been alive that long since */
}

static void
find_stuck_threads(const struct proc_snapshot *s, struct diag_history *h, const struct proc_info *p,
		   const struct diag_params *prm, struct diag_report *r)
{
	const struct proc_thread *t;
	size_t k;

	for (k = 0; k < p->nthreads; k++) {
		t = thread_of(s, p, k);
		if (t->state == 'D' && persists(h, t, prm))
			add_stuck(r, h, p, t, prm);
	}
}

/* Shutdown: whatever is still alive kill_timeout after SIGKILL is stuck;
 * its threads in D say why (or, if none is, the first live one). */
static void
find_after_sigkill(const struct proc_snapshot *s, struct diag_history *h, const struct proc_info *p,
		   const struct diag_params *prm, struct diag_report *r)
{
	const struct proc_thread *t, *live = NULL;
	size_t k, found = 0;

	for (k = 0; k < p->nthreads; k++) {
		t = thread_of(s, p, k);
		if (t->state == 'D') {
			add_stuck(r, h, p, t, prm);
			found++;
		} else if (!live && t->state != 'Z' && t->state != 'X') {
			live = t;
		}
	}
	if (!found && live)
		add_stuck(r, h, p, live, prm);
}

static void
add_fake_zombie(const struct proc_snapshot *s, struct diag_history *h, const struct proc_info *p,
		const struct diag_params *prm, struct diag_report *r)
{
	const struct proc_thread *t;
	struct diag_finding *f;
	size_t k, live = 0;

	for (k = 0; k < p->nthreads; k++)
		live += thread_of(s, p, k)->state != 'Z' && thread_of(s, p, k)->state != 'X';
	if (!live)
		return; /* the last thread just went: an ordinary zombie by now */
	if (!(f = add_finding(r, DIAG_FAKE_ZOMBIE)))
		return;
	set_process(f, p, prm);
	for (k = 0; k < p->nthreads && f->nthreads < DIAG_THREADS_MAX; k++) {
		t = thread_of(s, p, k);
		if (t->state == 'Z' || t->state == 'X')
			continue;
		f->threads[f->nthreads++] = *t;
	}
	for (k = 0; k < p->nthreads; k++)
		if (thread_of(s, p, k)->tid == p->pid)
			f->seconds = seen_for(h, thread_of(s, p, k), prm, &f->is_new);
}

static void
add_traced(const struct proc_snapshot *s, struct diag_history *h, const struct proc_info *p,
	   const struct proc_thread *leader, const struct diag_params *prm, struct diag_report *r)
{
	const struct proc_info *tracer = procscan_find(s, p->tracer);
	struct diag_finding *f = add_finding(r, DIAG_TRACED_ZOMBIE);

	if (!f)
		return;
	set_process(f, p, prm);
	f->seconds = seen_for(h, leader, prm, &f->is_new);
	f->tracer_pid = p->tracer;
	if (tracer)
		memcpy(f->tracer_comm, tracer->comm, sizeof(f->tracer_comm));
}

/* Zombies are grouped per parent: one finding says "P has N". */
static void
add_unreaped(const struct proc_info *parent, const struct proc_thread *leader,
	     struct diag_history *h, const struct diag_params *prm, struct diag_report *r)
{
	struct diag_finding *f = NULL;
	bool is_new;
	double age;
	size_t i;

	for (i = 0; i < r->n && !f; i++)
		if (r->v[i].kind == DIAG_UNREAPED && r->v[i].parent_pid == parent->pid)
			f = &r->v[i];
	age = seen_for(h, leader, prm, &is_new);
	if (!f) {
		if (!(f = add_finding(r, DIAG_UNREAPED)))
			return;
		set_process(f, parent, prm);
		f->pid = 0;
		f->state = 0;
		f->comm[0] = '\0';
		f->parent_pid = parent->pid;
		memcpy(f->parent_comm, parent->comm, sizeof(f->parent_comm));
	}
	if (f->nthreads < DIAG_THREADS_MAX)
		f->threads[f->nthreads++] = *leader;
	f->count++;
	f->is_new |= is_new;
	if (age > f->seconds)
		f->seconds = age;
}

static const struct proc_thread *
leader_thread(const struct proc_snapshot *s, const struct proc_info *p)
{
	size_t k;

	for (k = 0; k < p->nthreads; k++)
		if (thread_of(s, p, k)->tid == p->pid)
			return thread_of(s, p, k);
	return NULL;
}

static void
classify_zombie(const struct proc_snapshot *s, struct diag_history *h, const struct proc_info *p,
		const struct diag_params *prm, struct diag_report *r)
{
	const struct proc_thread *leader = leader_thread(s, p);
	const struct proc_info *parent;

	if (!leader || !persists(h, leader, prm))
		return;
	if (p->nthreads_kernel > 1) {
		add_fake_zombie(s, h, p, prm, r);
	} else if (p->tracer > 0) {
		add_traced(s, h, p, leader, prm, r);
	} else if (p->ppid != prm->self && p->ppid > 0) {
		/* The scanner reaps its own; a parent outside the PID namespace
		 * (ppid 0) cannot be seen. */
		parent = procscan_find(s, p->ppid);
		if (parent)
			add_unreaped(parent, leader, h, prm, r);
	}
}

int
diag_classify(const struct proc_snapshot *s, struct diag_history *h, const struct diag_params *prm,
	      struct diag_report *r)
{
	const struct proc_info *p;
	size_t i;

	r->n = 0;
	r->more = 0;
	for (i = 0; i < s->n; i++) {
		p = &s->v[i];
		if ((prm->only_ours && !p->ours) || p->pid == prm->self)
			continue;
		if (prm->mode == DIAG_AFTER_SIGKILL) {
			if (prm->only_session && p->session != prm->only_session)
				continue;
			if (p->state != 'Z' || p->nthreads_kernel > 1)
				find_after_sigkill(s, h, p, prm, r);
			continue;
		}
		find_stuck_threads(s, h, p, prm, r);
		if (p->state == 'Z')
			classify_zombie(s, h, p, prm, r);
	}
	for (i = 0; i < r->n; i++)
		r->v[i].advice = diag_advice(&r->v[i]);
	return 0;
}

/* ---- reading more for what was found --------------------------------------------- */

static bool
file_has(const char *path, const char *what)
{
	char buf[512];

	return procscan_read(AT_FDCWD, path, buf, sizeof(buf)) > 0 && strstr(buf, what);
}

/* Does DIR/FILE hold WHAT? The file's path goes to PATH. */
static bool
dir_file_has(const char *dir, const char *file, const char *what, char *path, size_t len)
{
	int n = snprintf(path, len, "%s/%s", dir, file);

	return n > 0 && (size_t)n < len && file_has(path, what);
}

/* Does the cgroup CG of CONTROLLER's hierarchy say FILE holds WHAT? Its
 * directory is found through our mounts (a container mounts only its own
 * subtree: cgroupfs.h); without a matching mount, in the usual places.
 * The file's path goes to PATH. */
static bool
cgroup_file_has(const char *mountinfo, const char *controller, const char *cg, const char *file,
		const char *what, char *path, size_t len)
{
	char dir[PATH_MAX];

	if (mountinfo && cgroupfs_dir(mountinfo, controller, cg, dir, sizeof(dir)) == 0)
		return dir_file_has(dir, file, what, path, len);
	if (*controller) {
		snprintf(dir, sizeof(dir), "/sys/fs/cgroup/%s%s", controller, cg);
		return dir_file_has(dir, file, what, path, len);
	}
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup%s", cg);
	if (dir_file_has(dir, file, what, path, len))
		return true;
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/unified%s", cg);
	return dir_file_has(dir, file, what, path, len);
}

/* The frozen cgroup TID is in, from /proc/TID/cgroup: its v1 freezer
 * hierarchy's freezer.state, else its v2 cgroup's cgroup.events. */
static void
find_frozen_cgroup(pid_t tid, char *out, size_t len)
{
	char buf[4096], path[PATH_MAX], cg[PATH_MAX], *mountinfo;
	char proc[48];
	bool frozen = false;

	out[0] = '\0';
	snprintf(proc, sizeof(proc), "/proc/%d/cgroup", (int)tid);
	if (procscan_read(AT_FDCWD, proc, buf, sizeof(buf)) <= 0)
		return;
	mountinfo = cgroupfs_read_mountinfo();
	if (cgroupfs_path(buf, "freezer", cg, sizeof(cg)) == 0) /* FROZEN, FREEZING */
		frozen = cgroup_file_has(mountinfo, "freezer", cg, "freezer.state", "FR", path,
					 sizeof(path));
	if (!frozen && cgroupfs_path(buf, "", cg, sizeof(cg)) == 0)
		frozen = cgroup_file_has(mountinfo, "", cg, "cgroup.events", "frozen 1", path,
					 sizeof(path));
	free(mountinfo);
	if (!frozen)
		return;
	*strrchr(path, '/') = '\0';
	len = strnlen(path, len - 1);
	memcpy(out, path, len);
	out[len] = '\0';
}

void
diag_enrich(struct diag_report *r)
{
	struct proc_status st;
	struct diag_finding *f;
	size_t i, k;

	for (i = 0; i < r->n; i++) {
		f = &r->v[i];
		if (f->kind != DIAG_STUCK)
			continue;
		if (procscan_status(f->pid, f->tid, &st) == 0)
			f->sigkill_pending = st.sigkill_pending;
		f->nstack = procscan_stack(f->pid, f->tid, f->stack, DIAG_STACK_MAX);
		/* One process, several stuck threads: its fds are read once. */
		for (k = 0; k < i && !f->has_holds; k++)
			if (r->v[k].has_holds && r->v[k].pid == f->pid) {
				f->holds = r->v[k].holds;
				f->has_holds = true;
			}
		/* By tid: a fake zombie's leader has no fd/ left to read. */
		if (!f->has_holds)
			f->has_holds = holds_read(f->tid, &f->holds) == 0;
		find_frozen_cgroup(f->tid, f->frozen_cgroup, sizeof(f->frozen_cgroup));
		f->advice = diag_advice(f);
	}
}

/* ---- limits ---------------------------------------------------------------------- */

static long
read_long(const char *path)
{
	char buf[32];

	return procscan_read(AT_FDCWD, path, buf, sizeof(buf)) > 0 ? strtol(buf, NULL, 10) : -1;
}

/* The pids.max of our cgroup (v1 pids hierarchy, else v2) and of every
 * ancestor we can see, and the tasks under it: the one that leaves the
 * least headroom. In a container that is the limit a fork meets first,
 * long before kernel.pid_max. ("max" reads as 0: no limit.) */
static void
read_cgroup_pids(struct diag_limits *l)
{
	char text[4096], cg[PATH_MAX], dir[PATH_MAX], path[PATH_MAX], *mountinfo, *slash;
	const char *ctrl = "pids";
	long max, cur;

	l->cgroup_pids = l->cgroup_pids_max = 0;
	if (procscan_read(AT_FDCWD, "/proc/self/cgroup", text, sizeof(text)) <= 0)
		return;
	if (cgroupfs_path(text, ctrl, cg, sizeof(cg)) < 0 &&
	    cgroupfs_path(text, ctrl = "", cg, sizeof(cg)) < 0)
		return;
	if (!(mountinfo = cgroupfs_read_mountinfo()))
		return;
	while (cgroupfs_dir(mountinfo, ctrl, cg, dir, sizeof(dir)) == 0) {
		snprintf(path, sizeof(path), "%.4080s/pids.max", dir);
		max = read_long(path);
		snprintf(path, sizeof(path), "%.4080s/pids.current", dir);
		cur = read_long(path);
		if (max > 0 && cur >= 0 &&
		    (l->cgroup_pids_max == 0 || max - cur < l->cgroup_pids_max - l->cgroup_pids)) {
			l->cgroup_pids = cur;
			l->cgroup_pids_max = max;
		}
		if (!(slash = strrchr(cg, '/')) || strcmp(cg, "/") == 0)
			break;
		slash[slash == cg] = '\0'; /* "/a/b" -> "/a" -> "/" */
	}
	free(mountinfo);
}

/* /proc/loadavg's 4th field is "runnable/total scheduling entities": the
 * total counts every thread of the system. */
void
diag_limits_read(struct diag_limits *l, long pids)
{
	char buf[128], *slash;

	l->pid_max = read_long("/proc/sys/kernel/pid_max");
	l->threads_max = read_long("/proc/sys/kernel/threads-max");
	l->pids = pids;
	l->threads = -1;
	if (procscan_read(AT_FDCWD, "/proc/loadavg", buf, sizeof(buf)) > 0 &&
	    (slash = strchr(buf, '/')))
		l->threads = strtol(slash + 1, NULL, 10);
	read_cgroup_pids(l);
}

static bool
over(long used, long max)
{
	return used >= 0 && max > 0 && used * 100 > max * DIAG_LIMIT_WARN_PERCENT;
}

void
diag_check_limits(struct diag_report *r)
{
	const struct diag_limits *l = &r->limits;
	struct diag_finding *f;

	bool cgroup = over(l->cgroup_pids, l->cgroup_pids_max);

	if (!cgroup && !over(l->pids, l->pid_max) && !over(l->threads, l->threads_max))
		return;
	if (!(f = add_finding(r, DIAG_LIMITS)))
		return;
	f->advice = cgroup ? "close to the cgroup's pids.max (docker run --pids-limit, a pod's pid "
			     "limit, systemd's TasksMax; threads and zombies count too): find who "
			     "leaks processes or threads, or raise the limit"
			   : diag_advice(f);
}

void
diag_report_free(struct diag_report *r)
{
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* ---- the whole system, for sextonctl doctor --all ---------------------------------- */

int
diag_run_all(struct diag_report *r)
{
	const struct timespec pause = { 0, (long)(DIAG_SAMPLE_INTERVAL_S * 1e9) };
	struct diag_params prm = { .mode = DIAG_SAMPLED, .self = getpid() };
	struct proc_snapshot snap = { 0 };
	struct diag_history hist = { 0 };
	int i, rc = procscan(&snap, PROCSCAN_THREADS);

	if (rc < 0)
		return rc;
	prm.now = mono_now();
	rc = diag_history_update(&hist, &snap, prm.now);
	/* Only what is in D or Z is sampled again; a healthy system answers
	 * after one scan. */
	for (i = 1; rc == 0 && i < DIAG_SAMPLES && diag_candidates(&snap); i++) {
		nanosleep(&pause, NULL);
		procscan_resample(&snap);
	}
	prm.now = mono_now();
	if (rc == 0)
		rc = diag_classify(&snap, &hist, &prm, r);
	if (rc == 0) {
		diag_limits_read(&r->limits, procscan_tasks(&snap));
		diag_check_limits(r);
		diag_enrich(r);
	}
	procscan_free(&snap);
	diag_history_free(&hist);
	return rc;
}
