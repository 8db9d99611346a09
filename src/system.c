/* system — see include/system.h. */
#include "system.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroupfs.h"
#include "log.h"
#include "signames.h"

/* The inode of the machine's own PID namespace, fixed by the kernel
 * (PROC_PID_INIT_INO in include/linux/proc_ns.h, since Linux 3.8). */
#define MACHINE_PIDNS "pid:[4026531836]"
#define POINT_MAX 4096
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

static void
set_hostname(const char *name)
{
	if (sethostname(name, strlen(name)) < 0)
		log_warn("system: cannot set the hostname to %s: %m", name);
	else
		log_debug("system: hostname %s", name);
}

enum mounted { MOUNTED, WAS_MOUNTED, NOT_MOUNTED };

/* One `mounts` entry. Already mounted there (by an initramfs, or
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
	if (mount(m->source, m->target, m->fstype, 0, NULL) < 0) {
		log_warn("system: cannot mount %s (%s) on %s: %m", m->source, m->fstype, m->target);
		return NOT_MOUNTED;
	}
	log_debug("system: mounted %s (%s) on %s", m->source, m->fstype, m->target);
	return MOUNTED;
}

void
sys_boot(struct sysmode *s, const struct cfg_system *cfg)
{
	struct points own = { NULL, 0 };
	size_t i, n[3] = { 0, 0, 0 };
	enum mounted m;

	memset(s, 0, sizeof(*s));
	s->ctrl_alt_del = cfg->ctrl_alt_del;
	if (!getenv("PATH") && setenv("PATH", BOOT_PATH, 0) < 0) /* for the services' scripts */
		log_warn("system: cannot set PATH: %m");
	if (cfg->hostname)
		set_hostname(cfg->hostname);
	for (i = 0; i < cfg->nmounts; i++) {
		n[m = mount_one(&cfg->mounts[i])]++;
		if (m == MOUNTED && !points_add(&own, cfg->mounts[i].target))
			log_warn("system: out of memory: %s will not be unmounted",
				 cfg->mounts[i].target);
	}
	s->mounted = own.v;
	s->nmounted = own.n;
	/* Without this the kernel reboots at once on ctrl-alt-del; with it,
	 * we get SIGINT and stop everything first. A PID namespace's init
	 * cannot ask (EINVAL): the key combination is not its to have. */
	if (reboot(RB_DISABLE_CAD) < 0)
		log_debug("system: ctrl-alt-del stays the kernel's: %m");
	log_info("system mode: %zu file system(s) mounted, %zu already, %zu failed%s%s",
		 n[MOUNTED], n[WAS_MOUNTED], n[NOT_MOUNTED], cfg->hostname ? "; hostname " : "",
		 cfg->hostname ? cfg->hostname : "");
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
unmount_all(size_t *ro)
{
	struct points p = mount_points();
	size_t i, done = 0;

	*ro = 0;
	for (i = p.n; i-- > 0;) {
		if (strcmp(p.v[i], "/") == 0)
			continue;
		if (umount2(p.v[i], 0) == 0) {
			done++;
			continue;
		}
		if (errno == EINVAL) /* gone with a mount below it */
			continue;
		if (mount(NULL, p.v[i], NULL, MS_REMOUNT | MS_RDONLY, NULL) == 0)
			(*ro)++;
		else
			log_warn("system: cannot unmount %s or make it read-only: %m", p.v[i]);
	}
	points_free(&p);
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY, NULL) == 0)
		(*ro)++;
	else
		log_warn("system: cannot make / read-only: %m");
	return done;
}

/* A namespace's end: what sys_boot mounted, last first. */
static size_t
unmount_own(const struct sysmode *s)
{
	size_t i, done = 0;

	for (i = s->nmounted; i-- > 0;) {
		if (umount2(s->mounted[i], 0) == 0) {
			log_debug("system: unmounted %s", s->mounted[i]);
			done++;
		} else
			log_warn("system: cannot unmount %s: %m", s->mounted[i]);
	}
	return done;
}

int
sys_end(struct sysmode *s)
{
	enum sys_action a = s->action == SYS_NONE ? SYS_POWEROFF : s->action;
	size_t done, ro = 0;

	sync();
	if (in_machine_pidns())
		done = unmount_all(&ro);
	else
		done = unmount_own(s);
	sync();
	log_info("system: %zu file system(s) unmounted, %zu made read-only: %s", done, ro,
		 sys_action_name(a));
	reboot(sys_reboot_cmd(a));
	log_error("system: cannot %s: %m; exiting instead", sys_action_name(a));
	return a == SYS_REBOOT ? 1 : 0;
}

void
sys_free(struct sysmode *s)
{
	struct points p = { s->mounted, s->nmounted };

	points_free(&p);
	s->mounted = NULL;
	s->nmounted = 0;
}
