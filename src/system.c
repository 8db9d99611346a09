/* system — see include/system.h. */
#include "system.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroupfs.h"
#include "log.h"
#include "procscan.h"
#include "signames.h"
#include "monotime.h"

/* The inode of the machine's own PID namespace, fixed by the kernel
 * (PROC_PID_INIT_INO in include/linux/proc_ns.h, since Linux 3.8). */
#define MACHINE_PIDNS "pid:[4026531836]"
#define POINT_MAX 4096
#define STACK_SHOWN 6 /* kernel stack frames in the blocked-unmount report */
/* The kernel starts init with no PATH; busybox init sets this one. */
#define BOOT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct points {
	char **v;
	size_t n;
};

static void
points_free(struct points *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

static bool
points_add(struct points *p, const char *point)
{
	char **nv = realloc(p->v, (p->n + 1) * sizeof(*nv));

	if (!nv)
		return false;
	p->v = nv;
	if (!(p->v[p->n] = strdup(point)))
		return false;
	p->n++;
	return true;
}

/* Every mount point, in /proc/self/mountinfo's order (a mount after the
 * one it sits on). Empty without /proc. */
static struct points
mount_points(void)
{
	struct points p = { NULL, 0 };
	char *text = cgroupfs_read_mountinfo(), point[POINT_MAX];
	const char *line;

	for (line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
		if (mountinfo_point(line, point, sizeof(point)) == 0 && !points_add(&p, point))
			break;
	free(text);
	return p;
}

static bool
is_mount_point(const char *target)
{
	struct points p = mount_points();
	bool found = false;
	size_t i;

	for (i = 0; i < p.n && !found; i++)
		found = strcmp(p.v[i], target) == 0;
	points_free(&p);
	return found;
}

/* /proc/self/ns/pid names the machine's namespace. Not knowing (no /proc)
 * counts as not: the careful end is the one for a namespace. */
static bool
in_machine_pidns(void)
{
	char link[64];
	ssize_t n = readlink("/proc/self/ns/pid", link, sizeof(link) - 1);

	if (n < 0)
		return false;
	link[n] = '\0';
	return strcmp(link, MACHINE_PIDNS) == 0;
}

static bool
set_hostname(const char *name)
{
	if (sethostname(name, strlen(name)) == 0)
		return true;
	log_warn("system: cannot set the hostname to %s: %m", name);
	return false;
}

/* What a helper (mounting, unmounting) is doing, in memory it shares with
 * PID 1: if it blocks, PID 1 can say where. */
struct progress {
	char step[POINT_MAX + 32];
};

static void
step(struct progress *p, const char *what, const char *point)
{
	snprintf(p->step, sizeof(p->step), "%s%s%s", what, point ? " " : "", point ? point : "");
}

enum mounted { MOUNTED, WAS_MOUNTED, NOT_MOUNTED, GIVEN_UP };

/* Shared by PID 1 and the mount helpers (MAP_SHARED, it outlives them):
 * the step, and per `mounts` entry who took it and how it ended. */
struct boot_page {
	struct progress pr;
	struct mount_slot {
		unsigned char claimed; /* by the one helper that mounts it */
		unsigned char result;  /* enum mounted; GIVEN_UP until it ends */
	} slot[];
};

/* One `mounts` entry, with its flags and file-system options. Already mounted there (by an initramfs, or
 * unshare --mount-proc): left alone, and not unmounted at the end. */
static enum mounted
mount_one(const struct cfg_mount *m)
{
	if (is_mount_point(m->target)) {
		log_debug("system: %s is mounted already", m->target);
		return WAS_MOUNTED;
	}
	if (mkdir(m->target, 0755) < 0 && errno != EEXIST)
		log_debug("system: cannot create %s: %m", m->target);
	if (mount(m->source, m->target, m->fstype, m->flags, m->data) < 0) {
		log_warn("system: cannot mount %s (%s) on %s: %m", m->source, m->fstype, m->target);
		return NOT_MOUNTED;
	}
	log_debug("system: mounted %s (%s) on %s", m->source, m->fstype, m->target);
	return MOUNTED;
}

/* Whether PATH is POINT or a path under it (textually). */
static bool
path_under(const char *path, const char *point)
{
	size_t len = strlen(point);

	while (len > 0 && point[len - 1] == '/')
		len--;
	return strncmp(path, point, len) == 0 && (path[len] == '/' || path[len] == '\0');
}

/* Whether PATH is below POINT, not POINT itself (the parser writes each
 * target one way: config.c, canonical_target). */
static bool
path_below(const char *path, const char *point)
{
	return path_under(path, point) && strcmp(path, point) != 0;
}

/*
 * An entry before I that entry I goes under and that is not mounted, or
 * -1. One given up on (claimed, and no result yet): I's path walk would
 * wait there too, for another mount_timeout, and were it mounted late it
 * would cover I. One that failed (or was itself not tried): I would land
 * on the file system below, in the directory the failed one was to cover
 * (what is written there goes to the wrong disk), as systemd's
 * RequiresMountsFor= avoids. Only below, not on the same target: a second
 * entry for one target is a separate try.
 */
static ssize_t
unmounted_above(const struct boot_page *b, const struct cfg_mount *m, size_t i)
{
	unsigned char res;
	size_t j;

	for (j = 0; j < i; j++) {
		res = __atomic_load_n(&b->slot[j].result, __ATOMIC_SEQ_CST);
		if (res == GIVEN_UP && __atomic_load_n(&b->slot[j].claimed, __ATOMIC_SEQ_CST) &&
		    path_under(m[i].target, m[j].target))
			return (ssize_t)j;
		if (res == NOT_MOUNTED && path_below(m[i].target, m[j].target))
			return (ssize_t)j;
	}
	return -1;
}

/* Mount entries FROM.. in order, each taken only if no other helper has
 * (one given up on can wake up later and must not mount what its successor
 * did). After each a byte on FD, PID 1's sign of progress; once PID 1 has
 * stopped listening, the helper's work is over. */
static void
mount_range(struct boot_page *b, const struct cfg_mount *m, size_t from, size_t n, int fd)
{
	size_t i;
	ssize_t above;

	for (i = from; i < n; i++) {
		if (__atomic_exchange_n(&b->slot[i].claimed, 1, __ATOMIC_SEQ_CST))
			return;
		above = unmounted_above(b, m, i);
		if (above >= 0) {
			log_warn("system: not mounting %s: it goes under %s, which did not mount%s",
				 m[i].target, m[above].target,
				 b->slot[above].result == GIVEN_UP ? " in time" : "");
			b->slot[i].result = NOT_MOUNTED;
		} else {
			step(&b->pr, "mounting", m[i].target);
			b->slot[i].result = (unsigned char)mount_one(&m[i]);
		}
		if (fd >= 0 && write(fd, "", 1) != 1) {
			if (b->slot[i].result == MOUNTED)
				log_info("system: %s mounted after all (past mount_timeout); it will be "
					 "unmounted at the end", m[i].target);
			return;
		}
	}
}

/* Read the helper's pipe FD: a byte per entry done, each due within
 * TIMEOUT (0: no limit). Returns the index of the first entry not done
 * (AT counts from there); *ENDED once the helper closed its end (it
 * exited). */
static size_t
wait_mounts(int fd, size_t at, size_t n, double timeout, bool *ended)
{
	int ms = timeout <= 0 ? -1 : timeout * 1000 >= INT_MAX ? INT_MAX : (int)(timeout * 1000 + 0.5);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[64];
	ssize_t r;

	*ended = false;
	while (!*ended) {
		r = poll(&p, 1, ms);
		if (r == 0)
			return at;
		if (r < 0 && errno == EINTR)
			continue;
		r = read(fd, buf, sizeof(buf));
		if (r > 0)
			at += (size_t)r;
		else if (r == 0 || errno != EINTR)
			*ended = true;
	}
	return at < n ? at : n;
}

static void
explain_blocked(pid_t pid, const struct progress *pr, double timeout);

/* One helper for entries FROM..: returns where the next one starts, N when
 * all are done. A mount can wait for ever on a server that does not answer;
 * PID 1 must still boot, so the helper mounts (it shares our mount
 * namespace) and PID 1 gives each mount TIMEOUT. A helper given up on is
 * left to itself (reaped later, like any child). */
static size_t
mount_with_helper(struct boot_page *b, const struct cfg_mount *m, size_t from, size_t n,
		  double timeout)
{
	int fds[2] = { -1, -1 };
	bool ended;
	size_t done;
	pid_t pid = -1;

	if (pipe2(fds, O_CLOEXEC) == 0 && (pid = fork()) == 0) {
		close(fds[0]);
		prctl(PR_SET_NAME, "sexton-mount");
		signal(SIGPIPE, SIG_IGN); /* PID 1 gone on: EPIPE, not death */
		mount_range(b, m, from, n, fds[1]);
		_exit(0);
	}
	if (pid < 0) {
		log_warn("system: cannot start the mount helper: %m; mounting here");
		if (fds[0] >= 0) {
			close(fds[0]);
			close(fds[1]);
		}
		mount_range(b, m, from, n, -1);
		return n;
	}
	close(fds[1]);
	done = wait_mounts(fds[0], from, n, timeout, &ended);
	close(fds[0]); /* a helper given up on now gets EPIPE */
	if (ended) {
		waitpid(pid, NULL, 0);
		return done < n ? done + 1 : n; /* it died in entry DONE: skip it */
	}
	explain_blocked(pid, &b->pr, timeout);
	return done + 1;
}

/* The `mounts`, in order; N[] counts the results. */
static void
boot_mounts(struct sysmode *s, const struct cfg_system *cfg, size_t n[4])
{
	size_t i, size = sizeof(struct boot_page) + cfg->nmounts * sizeof(struct mount_slot);
	struct boot_page *b = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
				   -1, 0);
	bool shared = b != MAP_FAILED;

	if (!shared && !(b = calloc(1, size))) {
		log_error("system: out of memory: no file system mounted");
		n[GIVEN_UP] += cfg->nmounts;
		return;
	}
	s->boot = b;
	s->targets = calloc(cfg->nmounts, sizeof(*s->targets));
	s->ntargets = s->targets ? cfg->nmounts : 0;
	for (i = 0; i < cfg->nmounts; i++) {
		b->slot[i].result = GIVEN_UP;
		if (!s->targets || !(s->targets[i] = strdup(cfg->mounts[i].target)))
			log_warn("system: out of memory: %s will not be unmounted",
				 cfg->mounts[i].target);
	}
	if (!shared) {
		log_warn("system: cannot share memory with a mount helper: mounting without a "
			 "time limit");
		mount_range(b, cfg->mounts, 0, cfg->nmounts, -1);
	}
	for (i = 0; shared && i < cfg->nmounts;)
		i = mount_with_helper(b, cfg->mounts, i, cfg->nmounts, cfg->mount_timeout);
	for (i = 0; i < cfg->nmounts; i++)
		n[b->slot[i].result]++;
}

void
sys_boot(struct sysmode *s, const struct cfg_system *cfg)
{
	size_t n[4] = { 0, 0, 0, 0 };
	bool named = false;

	memset(s, 0, sizeof(*s));
	s->ctrl_alt_del = cfg->ctrl_alt_del;
	if (!getenv("PATH") && setenv("PATH", BOOT_PATH, 0) < 0) /* for the services' scripts */
		log_warn("system: cannot set PATH: %m");
	if (cfg->hostname)
		named = set_hostname(cfg->hostname);
	if (cfg->nmounts)
		boot_mounts(s, cfg, n);
	/* Without this the kernel reboots at once on ctrl-alt-del; with it,
	 * we get SIGINT and stop everything first. A PID namespace's init
	 * cannot ask (EINVAL): the key combination is not its to have. */
	if (reboot(RB_DISABLE_CAD) < 0)
		log_debug("system: ctrl-alt-del stays the kernel's: %m");
	log_info("system mode: %zu file system(s) mounted, %zu already, %zu failed%s%s",
		 n[MOUNTED], n[WAS_MOUNTED], n[NOT_MOUNTED] + n[GIVEN_UP], named ? "; hostname " : "",
		 named ? cfg->hostname : "");
}

enum sys_action
sys_signal_action(int sig, enum cfg_cad cad)
{
	switch (sig) {
	case SIGTERM: return SYS_REBOOT;
	case SIGUSR1: return SYS_HALT;
	case SIGUSR2: return SYS_POWEROFF;
	case SIGINT: return cad == CAD_REBOOT ? SYS_REBOOT : cad == CAD_POWEROFF ? SYS_POWEROFF
										     : SYS_NONE;
	case SIG_LINUX_RTMIN + 3: return SYS_HALT;
	case SIG_LINUX_RTMIN + 4: return SYS_POWEROFF;
	case SIG_LINUX_RTMIN + 5: return SYS_REBOOT;
	default: return SYS_NONE;
	}
}

const char *
sys_action_name(enum sys_action a)
{
	switch (a) {
	case SYS_HALT: return "halt";
	case SYS_POWEROFF: return "poweroff";
	case SYS_REBOOT: return "reboot";
	case SYS_NONE: break;
	}
	return "none";
}

int
sys_reboot_cmd(enum sys_action a)
{
	switch (a) {
	case SYS_HALT: return RB_HALT_SYSTEM;
	case SYS_REBOOT: return RB_AUTOBOOT;
	case SYS_POWEROFF:
	case SYS_NONE: break;
	}
	return RB_POWER_OFF;
}

/* The machine's end: every mount but / from the last to the first; what
 * is busy (a file still open on it, /dev/console) is made read-only, and
 * / last. Returns how many were unmounted; *RO counts the read-only ones. */
static size_t
unmount_all(struct progress *pr, size_t *ro)
{
	struct points p = mount_points();
	size_t i, done = 0;

	*ro = 0;
	for (i = p.n; i-- > 0;) {
		if (strcmp(p.v[i], "/") == 0)
			continue;
		step(pr, "unmounting", p.v[i]);
		if (umount2(p.v[i], 0) == 0) {
			done++;
			continue;
		}
		if (errno == EINVAL) /* gone with a mount below it */
			continue;
		step(pr, "making read-only", p.v[i]);
		if (mount(NULL, p.v[i], NULL, MS_REMOUNT | MS_RDONLY, NULL) == 0)
			(*ro)++;
		else
			log_warn("system: cannot unmount %s or make it read-only: %m", p.v[i]);
	}
	points_free(&p);
	step(pr, "making read-only", "/");
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY, NULL) == 0)
		(*ro)++;
	else
		log_warn("system: cannot make / read-only: %m");
	return done;
}

/* A namespace's end: what sys_boot mounted (late ones too), last first. */
static size_t
unmount_own(const struct sysmode *s, struct progress *pr)
{
	size_t i, done = 0;

	for (i = s->ntargets; i-- > 0;) {
		if (!s->targets[i] || s->boot->slot[i].result != MOUNTED)
			continue;
		step(pr, "unmounting", s->targets[i]);
		if (umount2(s->targets[i], 0) == 0) {
			log_debug("system: unmounted %s", s->targets[i]);
			done++;
		} else
			log_warn("system: cannot unmount %s: %m", s->targets[i]);
	}
	return done;
}

/* Sync and unmount: in the helper, so that PID 1 is not the one stuck. */
static void
sync_and_unmount(const struct sysmode *s, enum sys_action a, struct progress *pr)
{
	size_t done, ro = 0;

	step(pr, "syncing", NULL);
	sync();
	if (in_machine_pidns())
		done = unmount_all(pr, &ro);
	else
		done = unmount_own(s, pr);
	step(pr, "syncing", NULL);
	sync();
	log_info("system: %zu file system(s) unmounted, %zu made read-only: %s", done, ro,
		 sys_action_name(a));
}

/* Wait up to TIMEOUT for PID (SIGCHLD blocked). True once it is reaped. */
static bool
reap_within(pid_t pid, double timeout)
{
	double deadline = mono_now() + timeout, left;
	sigset_t chld;
	struct timespec ts;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	while (waitpid(pid, NULL, WNOHANG) == 0) {
		if ((left = deadline - mono_now()) <= 0)
			return false;
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		sigtimedwait(&chld, NULL, &ts);
	}
	return true;
}

/* The helper did not finish: where it waits, from /proc (stat, wchan and
 * the kernel stack: nothing that could block us in turn). */
static void
explain_blocked(pid_t pid, const struct progress *pr, double timeout)
{
	char path[48], text[1024], wchan[PROC_WCHAN_MAX] = "?", frames[STACK_SHOWN][PROC_WCHAN_MAX];
	char stack[STACK_SHOWN * (PROC_WCHAN_MAX + 3)] = "";
	struct proc_stat st = { .state = '?' };
	size_t i, n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (procscan_read(AT_FDCWD, path, text, sizeof(text)) > 0)
		procscan_parse_stat(text, &st);
	snprintf(path, sizeof(path), "/proc/%d/wchan", (int)pid);
	procscan_read(AT_FDCWD, path, wchan, sizeof(wchan));
	n = procscan_stack(pid, pid, frames, STACK_SHOWN);
	for (i = 0; i < n; i++)
		snprintf(stack + strlen(stack), sizeof(stack) - strlen(stack), "%s%s", i ? " < " : "",
			 frames[i]);
	log_error("system: still %s after %g s: the helper (pid %d) is %c in %s: a file system "
		  "that does not answer (a server gone, a FUSE daemon stopped, a failing disk); "
		  "going on without it",
		  pr->step, timeout, (int)pid, st.state, wchan);
	if (n)
		log_error("system:   stack: %s", stack);
}

int
sys_end(struct sysmode *s, double timeout)
{
	enum sys_action a = s->action == SYS_NONE ? SYS_POWEROFF : s->action;
	struct progress *pr = mmap(NULL, sizeof(*pr), PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct progress local;
	sigset_t chld;
	pid_t pid = -1;

	/* A sync or an unmount can wait for ever on a file system that no
	 * longer answers; the machine must still go down. So they run in a
	 * child, which PID 1 gives TIMEOUT (kill_timeout). */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	if (pr != MAP_FAILED && (pid = fork()) == 0) {
		prctl(PR_SET_NAME, "sexton-unmount");
		sync_and_unmount(s, a, pr);
		_exit(0);
	}
	if (pid < 0) {
		log_warn("system: cannot start the unmount helper: %m; unmounting here");
		sync_and_unmount(s, a, pr != MAP_FAILED ? pr : &local);
	} else if (!reap_within(pid, timeout))
		explain_blocked(pid, pr, timeout);
	reboot(sys_reboot_cmd(a));
	log_error("system: cannot %s: %m; exiting instead", sys_action_name(a));
	return a == SYS_REBOOT ? 1 : 0;
}

void
sys_free(struct sysmode *s)
{
	struct points p = { s->targets, s->ntargets };

	points_free(&p);
	s->targets = NULL;
	s->ntargets = 0;
	/* Not unmapped: a helper given up on may still write its result. */
	s->boot = NULL;
}
