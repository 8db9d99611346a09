/* sexton — see include/sexton.h. */
#include "sexton.h"

#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "evmem.h"
#include "exitstatus.h"
#include "container_of.h"
#include "log.h"
#include "output.h"
#include "reaper.h"
#include "sigfd.h"
#include "signames.h"
#include "spawn.h"
#include "service.h"
#include "sweep.h"

#define IDLE_ANCHOR_INTERVAL_S 1e9   /* next fire in 2033; see idle_anchor */
#define OUTSIDER_POLL_S 0.05         /* shutdown only: how often kill_outsiders looks */

/* The sexton of the loop hooks (on_loop_acquire, on_loop_release), which
 * libev calls with the loop alone. Not ev_userdata(): that is a call into
 * another page of libev's text, cold right after a sleep, on the path
 * from the wake-up to the kill (0.5 us on the benchmark's VM, DESIGN.md).
 * One loop per process, so one pointer; set by sx_init. */
static struct sexton *hooked;
/* &errno, taken once: `errno` is a call to __errno_location, another cold
 * page of libc's text on that path (0.6 us); sexton is single-threaded. */
static int *hooked_errno;

static void begin_shutdown(struct sexton *sx);

static void
finish(struct sexton *sx)
{
	ev_timer_stop(sx->loop, &sx->phase_timer);
	ev_timer_stop(sx->loop, &sx->stop_report);
	ev_timer_stop(sx->loop, &sx->outsider_poll);
	sx->phase = SX_DONE;
	if (sx->critical_failed)
		sx->exit_code = sx->critical_code;
	else if (sx->opts->command)
		sx->exit_code = sx->main_exited ? exit_code_remap(exit_code_of(sx->main_status),
								  sx->opts->remap, sx->opts->nremap)
						: 1;
	else
		sx->exit_code = (sx->sup.unclean || sx->sweep_killed) ? 1 : 0;
	ev_break(sx->loop, EVBREAK_ALL);
}

static void
on_child_exit(void *ctx, pid_t pid, int st)
{
	struct sexton *sx = ctx;
	char how[48];

	if (pid == sx->main_pid) {
		sx->main_pid = 0;
		sx->main_status = st;
		sx->main_exited = true;
		log_debug("main child %d %s", (int)pid, exit_status_text(st, how, sizeof(how)));
		return;
	}
	if (sx->have_services && sup_child_exited(&sx->sup, pid, st))
		return;
	sx->orphans_reaped++;
	if (sx->opts->warn_reaped)
		log_warn("reaped orphan %d: %s", (int)pid, exit_status_text(st, how, sizeof(how)));
	else
		log_debug("reaped orphan %d: %s", (int)pid, exit_status_text(st, how, sizeof(how)));
}

/* As PID 1: is anyone else left in the namespace? With no child of ours
 * that can only be a process that entered from outside (nsenter, docker
 * exec): its parent is not in here. */
static bool
outsiders_left(const struct sexton *sx)
{
	return sx->is_pid1 && !sx->sys && (kill(-1, 0) == 0 || errno != ESRCH) &&
	       procscan_in_child_pidns(); /* the machine's: the kernel's threads */
}

static void
on_outsider_poll(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sexton *sx = container_of(w, struct sexton, outsider_poll);

	(void)loop;
	(void)revents;
	if (!outsiders_left(sx))
		finish(sx);
}

/*
 * Our exit as PID 1 SIGKILLs what is left in the namespace and waits for
 * it (the kernel's zap_pid_ns_processes): one of those stuck in the kernel
 * would hold the exit, and nobody would say why. Those that entered from
 * outside are no children of ours, and no exit of theirs wakes us: they
 * get that SIGKILL now, a poll (shutdown only) sees them go, and one still
 * there at kill_timeout gets the stuck report, as a child would.
 */
static void __attribute__((cold))
kill_outsiders(struct sexton *sx)
{
	if (ev_is_active(&sx->outsider_poll))
		return;
	log_info("processes that entered from outside (nsenter, docker exec) are still running: "
		 "SIGKILL, as sexton's exit would send");
	kill(-1, SIGKILL);
	if (sx->phase != SX_SWEEP_KILL) {
		sx->phase = SX_SWEEP_KILL;
		ev_timer_stop(sx->loop, &sx->phase_timer);
		ev_timer_set(&sx->phase_timer, sx->kill_timeout, 0.);
		ev_timer_start(sx->loop, &sx->phase_timer);
	}
	ev_timer_set(&sx->outsider_poll, OUTSIDER_POLL_S, OUTSIDER_POLL_S);
	ev_timer_start(sx->loop, &sx->outsider_poll);
}

/* After any reaping: the main child's exit starts the shutdown; with
 * nobody left, a sweep is over. */
static void
after_reaping(struct sexton *sx, bool main_was_running, bool no_children)
{
	if (sx->have_services)
		sup_after_reaping(&sx->sup);
	if (main_was_running && sx->main_exited && sx->phase == SX_RUNNING)
		begin_shutdown(sx);
	else if (no_children && (sx->phase == SX_SWEEP_TERM || sx->phase == SX_SWEEP_KILL)) {
		if (outsiders_left(sx))
			kill_outsiders(sx);
		else
			finish(sx);
	}
}

/* The drain, and when one look at the child list has become expensive
 * (an orphan storm), the time before the next one (reap_pace). Returns
 * true when no child is left. */
static bool
drain(struct sexton *sx)
{
	double scan_s, delay;
	bool no_children;
	size_t n;

	n = reap_all(on_child_exit, sx, &no_children, &scan_s);
	sx->reap_passes++;
	delay = no_children ? 0 : reap_pace(n, scan_s, sx->last_scan_s);
	sx->last_scan_s = scan_s;
	if (delay > 0) {
		ev_now_update(sx->loop); /* a long drain has made the loop's time stale */
		ev_timer_set(&sx->reap_timer, delay, 0.);
		ev_timer_start(sx->loop, &sx->reap_timer);
	}
	return no_children;
}

static void
on_reap_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sexton *sx = container_of(w, struct sexton, reap_timer);
	bool main_was_running = !sx->main_exited;

	(void)loop;
	(void)revents;
	after_reaping(sx, main_was_running, drain(sx));
}

/* HINTS: the pids the SIGCHLD records named, reaped first (reap_pid) so a
 * service restarts before the drain. Without services there is nothing to
 * restart, and in an orphan storm the named pid is often gone already.
 * While drains are paced the drain waits for its timer: the exits that
 * wake us meanwhile are collected by it. */
static void
reap(struct sexton *sx, const pid_t *hints, size_t nhints)
{
	bool main_was_running = !sx->main_exited, no_children = false;
	size_t i;

	for (i = 0; sx->have_services && i < nhints; i++)
		reap_pid(hints[i], on_child_exit, sx);
	if (!ev_is_active(&sx->reap_timer))
		no_children = drain(sx);
	after_reaping(sx, main_was_running, no_children);
}

static void
on_stop_report(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sexton *sx = container_of(w, struct sexton, stop_report);

	(void)loop;
	(void)revents;
	if (sx->phase == SX_RUNNING && sx->main_pid > 0 && !sx->main_exited)
		doctor_explain_stop(&sx->doc, "main command", sx->main_pid, sx->stop_report_sig,
				    sx->stop_report_after);
}

/* A stop signal reached the main child (docker stop's TERM, a STOPSIGNAL
 * of INT or QUIT, podman's RTMIN+3 as TERM). The runtime SIGKILLs us when
 * its grace period ends (10 s for docker and podman, as stop_timeout), and
 * then nobody can say why the container would not stop: at half of
 * stop_timeout, if the main child still runs, sexton says it. */
static void __attribute__((cold))
watch_stop(struct sexton *sx, int sig)
{
	if (ev_is_active(&sx->stop_report) || sx->stop_timeout <= 0) /* 0: no grace to explain */
		return;
	/* From the early read libev has not looked at the clock since it
	 * slept: a timer set on that time, after an idle spell longer than
	 * the delay, would fire at once. */
	ev_now_update(sx->loop);
	sx->stop_report_sig = sig;
	sx->stop_report_after = sx->stop_timeout / 2;
	ev_timer_set(&sx->stop_report, sx->stop_report_after, 0.);
	ev_timer_start(sx->loop, &sx->stop_report);
}

static void __attribute__((hot))
forward_signal(struct sexton *sx, const struct signalfd_siginfo *si)
{
	int sig = (int)si->ssi_signo;
	char name[16];
	pid_t target;

	/* Our own write to a closed pipe is not the user's signal. */
	if (sig == SIGPIPE && (pid_t)si->ssi_pid == getpid())
		return;
	/* podman stops a /sbin/init image with RTMIN+3: an orderly stop, sent
	 * on as TERM (to which TERM's -r rule applies), unless a -r rule names
	 * RTMIN+3 itself. */
	if (sig == SIG_LINUX_RTMIN + 3 && !opt_has_rewrite(sx->opts, sig))
		sig = SIGTERM;
	sig = opt_rewrite_signal(sx->opts, sig);
	if (sig == 0) {
		log_debug("dropped SIG%s (--rewrite)", sig_name((int)si->ssi_signo, name, sizeof(name)));
		return;
	}
	if (sx->phase != SX_RUNNING || sx->main_pid <= 0) {
		log_debug("SIG%s ignored: shutting down", sig_name(sig, name, sizeof(name)));
		return;
	}
	target = sx->opts->pgroup ? -sx->main_pid : sx->main_pid;
	/* Then let the receiver run first. When the child shares our CPU and
	 * our scheduling group (a container's cgroup), the scheduler would
	 * otherwise leave it waiting until we sleep again, behind libev's own
	 * pass over the loop; nothing we do next is more urgent than its
	 * handler (5.1 us less per forwarded signal for the dynamic build in
	 * the benchmark's cgroup row, 3.5 us for the static one: DESIGN.md,
	 * "Yielding after the kill"). A no-op when nothing else can run here. */
	if (kill(target, sig) == 0) {
		sched_yield();
		if (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT)
			watch_stop(sx, sig);
	} else if (errno != ESRCH)
		log_warn("cannot forward SIG%s to %d: %m", sig_name(sig, name, sizeof(name)),
			 (int)target);
}

static void
log_reload_error(void *arg, const char *line)
{
	(void)arg;
	log_error("reload: %s", line);
}

static bool
socket_settings_differ(const struct cfg *a, const struct cfg *b)
{
	bool same_path = (!a->socket && !b->socket) ||
			 (a->socket && b->socket && strcmp(a->socket, b->socket) == 0);

	return !same_path || a->socket_mode != b->socket_mode ||
	       a->has_socket_group != b->has_socket_group ||
	       (a->has_socket_group && a->socket_group != b->socket_group);
}

int
sx_reload(struct sexton *sx, struct cfg_errors *errs)
{
	struct cfg cfg;
	size_t n;

	if (!sx->config_path)
		return -ENOENT;
	if (cfg_parse_file(sx->config_path, sx->etc_dir, &cfg, errs) < 0) {
		n = cfg_errors_each(errs, log_reload_error, NULL);
		log_error("reload: %zu error(s): configuration unchanged", n);
		return -EINVAL;
	}
	log_set_level(cfg.log_level + sx->opts->verbosity);
	sx->stop_timeout = cfg.stop_timeout;
	sx->kill_timeout = cfg.kill_timeout;
	doctor_configure(&sx->doc, cfg.watch_interval, cfg.hung_threshold);
	log_info("reload: %s", sx->config_path);
	if (socket_settings_differ(&sx->sup.cfg, &cfg))
		log_warn("reload: socket, socket_mode and socket_group take effect at sexton's next "
			 "start; the socket is as it was");
	sup_reload(&sx->sup, &cfg);
	return 0;
}

static void
reload(struct sexton *sx)
{
	struct cfg_errors errs = { 0 };

	if (sx_reload(sx, &errs) == -ENOENT)
		log_warn("SIGHUP: no configuration file to reload");
	cfg_errors_free(&errs);
}

/* System mode: SIG is a request to halt, power off or reboot, or false. */
static bool
system_signal(struct sexton *sx, int sig)
{
	enum sys_action a = sys_signal_action(sig, sx->sys->ctrl_alt_del);
	char name[16], why[32];

	if (a == SYS_NONE && sig == SIGINT) {
		log_info("SIGINT (ctrl-alt-del) ignored: ctrl_alt_del = ignore");
		return true;
	}
	if (a == SYS_NONE)
		return false;
	snprintf(why, sizeof(why), "SIG%s", sig_name(sig, name, sizeof(name)));
	sx_system_action(sx, a, why);
	return true;
}

/* Supervisor mode (no main child): signals are commands. */
static void
supervisor_signal(struct sexton *sx, const struct signalfd_siginfo *si)
{
	int sig = (int)si->ssi_signo;
	char name[16];

	if (sx->sys && system_signal(sx, sig))
		return;
	if (sig == SIGTERM || sig == SIGINT || sig == SIG_LINUX_RTMIN + 3) {
		if (sx->phase == SX_RUNNING) {
			log_info("SIG%s: stopping", sig_name(sig, name, sizeof(name)));
			begin_shutdown(sx);
		}
	} else if (sig == SIGHUP) {
		if (sx->phase == SX_RUNNING)
			reload(sx);
	} else if (sig == SIGUSR1) {
		log_info("SIGUSR1: writing a doctor report");
		doctor_request(&sx->doc, true);
	} else {
		log_debug("SIG%s ignored", sig_name(sig, name, sizeof(name)));
	}
}

/* One read of the signalfd, each record handled as it comes: forwarded
 * (container mode) or obeyed (supervisor mode), while the SIGCHLDs are
 * collected in sx->sigchld for reap(). Returns false once the signalfd is
 * empty (a short read, EAGAIN, or an error). `hot`: what runs on every
 * forwarded signal (this, forward_signal, on_loop_acquire,
 * opt_rewrite_signal, on_sigfd, on_loop_release and iowatch's
 * iowatch_dropped, iowatch_before_sleep) shares one page of text: each
 * page is cold right after a sleep (DESIGN.md, "Cold pages"). */
static bool __attribute__((hot))
read_signals(struct sexton *sx)
{
	struct signalfd_siginfo si[SX_SIGFD_BATCH];
	struct sx_sigchld *c = &sx->sigchld;
	ssize_t n;
	size_t i;

	do
		n = read(sx->sigfd, si, sizeof(si));
	while (n < 0 && errno == EINTR);
	for (i = 0; n > 0 && i < (size_t)n / sizeof(si[0]); i++) {
		if (si[i].ssi_signo == SIGCHLD) {
			c->exited = true;
			if (c->nhints < SX_SIGFD_BATCH && si[i].ssi_pid > 0)
				c->hints[c->nhints++] = (pid_t)si[i].ssi_pid;
		}
		else if (sx->opts->command)
			forward_signal(sx, &si[i]);
		else
			supervisor_signal(sx, &si[i]);
	}
	return n == (ssize_t)sizeof(si);
}

static void __attribute__((hot))
on_sigfd(struct ev_loop *loop, ev_io *w, int revents)
{
	struct sexton *sx = container_of(w, struct sexton, sig_watcher.io);
	struct sx_sigchld c;

	/* Dropped by libev (watched again soon): what the early read
	 * collected is still handled. */
	iowatch_dropped(loop, &sx->sig_watcher, revents);
	if (!sx->sigfd_emptied)
		while (read_signals(sx))
			;
	sx->sigfd_emptied = false;
	c = sx->sigchld;
	sx->sigchld.exited = false;
	sx->sigchld.nhints = 0;
	if (c.exited)
		reap(sx, c.hints, c.nhints);
}

/*
 * Container mode: forward at the moment the loop wakes. libev calls this
 * right after epoll_wait returns, before it looks at what woke it; that
 * look (its fd, timer and pending lists, cold after a sleep) costs 3-9 us
 * on the benchmark's VM, and forwarding from here saved 3-4 us per signal
 * (DESIGN.md, "The early read"). Only kill(2) is done here: the SIGCHLDs
 * read are handed to on_sigfd through the watcher, so that reaping,
 * restarts and timers run where libev expects callbacks.
 */
static void __attribute__((hot))
on_loop_acquire(struct ev_loop *loop)
{
	struct sexton *sx = hooked;
	int saved = *hooked_errno; /* libev reads epoll_wait's errno after this */

	sx->sigfd_emptied = !read_signals(sx);
	if (sx->sigchld.exited)
		ev_feed_event(loop, &sx->sig_watcher.io, EV_READ);
	*hooked_errno = saved;
}

/* Every mode: a watcher libev dropped is told at once (iowatch.h). */
static void __attribute__((hot))
on_loop_release(struct ev_loop *loop)
{
	struct sexton *sx = hooked;

	iowatch_before_sleep(loop, &sx->bell);
}

static void
on_phase_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct sexton *sx = container_of(w, struct sexton, phase_timer);
	int n;

	(void)loop;
	(void)revents;
	if (sx->phase == SX_SWEEP_TERM) {
		sx->phase = SX_SWEEP_KILL;
		sx->sweep_killed = true;
		n = sweep_signal(sx->is_pid1, SIGKILL, 0);
		log_warn("processes still running %.0f s after SIGTERM: %s", sx->stop_timeout,
			 n > 0 ? "sent SIGKILL" : "SIGKILL reached none of them");
		/* Armed even when no kill(2) succeeded: a descendant we may not
		 * signal (EPERM: a setuid program under a non-root sexton) still
		 * runs, and without the timer nothing would end the wait. A
		 * drain that finds nobody finishes first. */
		ev_timer_set(&sx->phase_timer, sx->kill_timeout, 0.);
		ev_timer_start(sx->loop, &sx->phase_timer);
		reap(sx, NULL, 0);
		return;
	}
	if (sx->phase == SX_SWEEP_KILL) {
		/* Written before exiting: as PID 1 of a namespace our exit waits
		 * for every task in it, so afterwards nobody could say why. */
		log_error("processes still alive %.0f s after SIGKILL: stuck", sx->kill_timeout);
		doctor_report_after_sigkill(&sx->doc, 0, sx->kill_timeout);
		log_error("exiting without them");
		finish(sx);
	}
}

/* Services are down: TERM everything left, KILL after stop_timeout. */
static void
begin_sweep(struct sexton *sx)
{
	int n;

	if (sx->phase != SX_RUNNING && sx->phase != SX_STOPPING_SERVICES)
		return;
	sx->phase = SX_SWEEP_TERM;
	n = sweep_signal(sx->is_pid1, SIGTERM, 0);
	if (n > 0)
		sweep_signal(sx->is_pid1, SIGCONT, 0); /* a stopped process cannot act on TERM */
	else if (n < 0)
		log_warn("cannot list processes to stop: %s", strerror(-n));
	ev_timer_set(&sx->phase_timer, sx->stop_timeout, 0.);
	ev_timer_start(sx->loop, &sx->phase_timer);
	reap(sx, NULL, 0); /* with nobody left this finishes now (or at the paced drain) */
}

static void
on_services_changed(struct supervisor *sup)
{
	cmd_services_changed(sup->owner);
}

static void
on_service_removed(struct supervisor *sup, struct service *svc)
{
	cmd_service_removed(sup->owner, svc);
}

static void
on_all_services_down(struct supervisor *sup)
{
	struct sexton *sx = sup->owner;

	if (sx->phase == SX_STOPPING_SERVICES)
		begin_sweep(sx);
}

/* A service's process outlived SIGKILL by kill_timeout (not at shutdown,
 * where the sweep reports everything at once). */
static void
on_service_stuck(struct supervisor *sup, struct service *svc)
{
	struct sexton *sx = sup->owner;

	doctor_report_after_sigkill(&sx->doc, svc->pgid > 0 ? svc->pgid : svc->pid,
				    sup_kill_timeout(sup));
}

static void
on_critical(struct supervisor *sup, struct service *svc)
{
	struct sexton *sx = sup->owner;

	if (sx->phase != SX_RUNNING)
		return;
	sx->critical_failed = true;
	sx->critical_code = svc_exit_code(svc);
	if (sx->sys) { /* a board whose one job failed comes back */
		log_error("critical service %s is gone (%s): rebooting", svc->name,
			  svc_state_name(svc->state));
		sx->sys->action = SYS_REBOOT;
	} else
		log_error("critical service %s is gone (%s): shutting down with status %d",
			  svc->name, svc_state_name(svc->state), sx->critical_code);
	begin_shutdown(sx);
}

void
sx_shutdown(struct sexton *sx, const char *why)
{
	if (sx->sys) { /* PID 1 of a machine does not just exit */
		sx_system_action(sx, SYS_POWEROFF, why);
		return;
	}
	if (sx->phase == SX_RUNNING)
		log_info("%s: stopping", why);
	begin_shutdown(sx);
}

void
sx_system_action(struct sexton *sx, enum sys_action action, const char *why)
{
	if (sx->phase != SX_RUNNING)
		return;
	sx->sys->action = action;
	log_info("%s: stopping everything, then %s", why, sys_action_name(action));
	begin_shutdown(sx);
}

/* Stop the services (reverse dependency order), then sweep. */
static void
begin_shutdown(struct sexton *sx)
{
	if (sx->phase != SX_RUNNING)
		return;
	sx->phase = SX_STOPPING_SERVICES;
	if (sx->have_services && !sup_all_down(&sx->sup))
		sup_stop_all(&sx->sup); /* on_all_services_down continues */
	else
		begin_sweep(sx);
}

int
sx_start_services(struct sexton *sx, struct cfg *cfg, const char *config_path)
{
	int rc;

	sx->stop_timeout = cfg->stop_timeout;
	sx->kill_timeout = cfg->kill_timeout;
	doctor_configure(&sx->doc, cfg->watch_interval, cfg->hung_threshold);
	rc = sup_init(&sx->sup, sx->loop, cfg);
	sx->have_services = true; /* from here sup_destroy cleans up */
	if (rc < 0)
		return rc;
	rc = out_sink_new(&sx->sup.sink, sx->loop, STDOUT_FILENO, 0);
	if (rc < 0)
		return rc;
	sx->config_path = config_path;
	sx->sup.owner = sx;
	sx->sup.on_all_down = on_all_services_down;
	sx->sup.on_critical = on_critical;
	sx->sup.on_change = on_services_changed;
	sx->sup.on_stuck = on_service_stuck;
	sx->sup.on_removed = on_service_removed;
	sup_start_all(&sx->sup);
	return 0;
}

/*
 * Which session the main child gets. In its own session unless sexton
 * has a controlling terminal: then the child must be in the terminal's
 * foreground, or a shell in it cannot read input or do job control.
 */
static enum spawn_session
choose_session(int *tty_fd)
{
	pid_t sid = getsid(0);

	if (!isatty(STDIN_FILENO) || tcgetsid(STDIN_FILENO) != sid)
		return SPAWN_NEW_SESSION;
	*tty_fd = STDIN_FILENO;
	if (sid != getpid())
		return SPAWN_FOREGROUND_GROUP; /* started from a shell: share its session */
	/* Session leader with a terminal (a runtime's `-t`): give the terminal
	 * up so the child's new session can take it. Giving it up hangs up our
	 * own foreground group, i.e. us: drop that SIGHUP/SIGCONT. */
	if (ioctl(STDIN_FILENO, TIOCNOTTY) < 0)
		return SPAWN_NEW_SESSION;
	sigfd_discard(SIGHUP);
	sigfd_discard(SIGCONT);
	return SPAWN_NEW_SESSION_TTY;
}

static void
on_main_not_started(int revents, void *arg)
{
	(void)revents;
	begin_shutdown(arg);
}

int
sx_start_main(struct sexton *sx)
{
	extern char **environ;
	struct spawn_req req;
	pid_t pid;
	int rc;

	spawn_req_init(&req, sx->opts->command, environ);
	req.session = choose_session(&req.tty_fd);
	rc = spawn_process(&req, &pid);
	if (pid < 0) {
		log_error("cannot run '%s': %s", req.argv[0], strerror(-rc));
		if (!sx->have_services)
			return 126;
		/* Services already run: they get the orderly stop, then 126. From
		 * the loop: a stop that is over at once must end ev_run, not
		 * precede it. */
		sx->main_exited = true;
		sx->main_status = 126 << 8;
		ev_once(sx->loop, -1, 0, 0., on_main_not_started, sx);
		return 0;
	}
	sx->main_pid = pid;
	if (rc < 0) /* the child already exited with 127/126: reaped as usual */
		log_error("cannot run '%s': %s", req.argv[0], strerror(-rc));
	else
		log_debug("main child %d: %s", (int)pid, req.argv[0]);
	return 0;
}

/* Every service leads its own session: the session id is its pid. */
static const char *
service_of(void *ctx, const struct proc_info *p)
{
	struct sexton *sx = ctx;
	const struct service *svc;

	if (!sx->have_services)
		return NULL;
	svc = pidmap_get(&sx->sup.pids, p->pid);
	if (!svc)
		svc = sup_service_of_session(&sx->sup, p->session);
	return svc ? svc->name : NULL;
}

static void
on_doctor_done(struct doctor *d, const struct diag_report *r)
{
	struct sexton *sx = container_of(d, struct sexton, doc);

	cmd_doctor_done(sx, r);
}

/*
 * libev's answer to a system call it cannot recover from (epoll_wait
 * failing with other than EINTR, say ENOMEM) is abort(), and PID 1's death
 * takes the container with it. With this callback set, libev returns to
 * its loop and polls again; sexton logs and carries on. Should the error
 * persist, libev would retry at once, forever: from the fourth error within
 * a second on, each one first sleeps 100 ms, so a broken loop costs ten
 * wake-ups a second instead of a CPU, and the log gets every 100th.
 * libev passes no user pointer, hence the file-scope state.
 */
#define SYSERR_BURST 3
#define SYSERR_PAUSE_NS 100000000L

static struct {
	struct timespec last;
	unsigned long burst;
} libev_errors;

static void
on_libev_syserr(const char *msg)
{
	struct timespec now, pause = { 0, SYSERR_PAUSE_NS };
	int err = errno;
	bool recent;

	clock_gettime(CLOCK_MONOTONIC, &now);
	recent = libev_errors.burst && now.tv_sec - libev_errors.last.tv_sec <= 1;
	libev_errors.burst = recent ? libev_errors.burst + 1 : 1;
	libev_errors.last = now;
	if (libev_errors.burst <= SYSERR_BURST || libev_errors.burst % 100 == 0)
		log_error("%s: %s; carrying on (%lu in a row)", msg, strerror(err),
			  libev_errors.burst);
	if (libev_errors.burst > SYSERR_BURST)
		nanosleep(&pause, NULL);
	errno = err;
}

int
sx_init(struct sexton *sx, const struct options *opts)
{
	int rc;

	memset(sx, 0, sizeof(*sx));
	sx->opts = opts;
	sx->sigfd = -1;
	sx->bell.fd = -1;
	sx->stop_timeout = SX_DEFAULT_STOP_TIMEOUT_S;
	sx->kill_timeout = SX_DEFAULT_KILL_TIMEOUT_S;
	sx->is_pid1 = getpid() == 1;

	sx->sigfd = sigfd_setup();
	if (sx->sigfd < 0)
		return sx->sigfd;
	if (!sx->is_pid1) {
		/* Orphans of our tree must come to us, not to the host's init. */
		if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
			log_warn("cannot become child subreaper: %m");
		else
			log_debug("not PID 1 (pid %d): registered as child subreaper", (int)getpid());
	}
	if (opts->pdeathsig && prctl(PR_SET_PDEATHSIG, opts->pdeathsig) < 0)
		log_warn("cannot set parent-death signal: %m");

	/* Our own loop: the default loop would install a SIGCHLD handler and
	 * reap behind our back; NOSIGMASK keeps libev off the signal mask. */
	ev_set_syserr_cb(on_libev_syserr);
	ev_set_allocator(evmem_realloc); /* wait for memory, not abort (evmem.h) */
	sx->loop = ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOSIGMASK);
	if (!sx->loop)
		return -ENOMEM;
	iowatch_init(&sx->sig_watcher, on_sigfd, sx->sigfd, EV_READ, "the signalfd", NULL);
	iowatch_start(sx->loop, &sx->sig_watcher);
	hooked = sx;
	hooked_errno = &errno;
	rc = iowatch_bell_open(&sx->bell, sx->loop);
	if (rc < 0) /* EMFILE at start: carry on without it */
		log_warn("cannot make the loop's doorbell: %s; a descriptor epoll refuses may "
			 "wait for another wake-up to be watched again", strerror(-rc));
	/* libev skips a NULL one. */
	ev_set_loop_release_cb(sx->loop, on_loop_release, opts->command ? on_loop_acquire : NULL);
	ev_periodic_init(&sx->idle_anchor, NULL, 0., IDLE_ANCHOR_INTERVAL_S, NULL);
	ev_periodic_start(sx->loop, &sx->idle_anchor);
	ev_init(&sx->phase_timer, on_phase_timeout);
	ev_init(&sx->stop_report, on_stop_report);
	ev_init(&sx->reap_timer, on_reap_timer);
	ev_init(&sx->outsider_poll, on_outsider_poll);
	doctor_init(&sx->doc, sx->loop, on_doctor_done, service_of, sx);
	return 0;
}

int
sx_run(struct sexton *sx)
{
	/* Children that ended before the signalfd existed (those of a wrapper
	 * that exec'd us, a boot mount helper given up on) may have no SIGCHLD
	 * waiting: the kernel drops one sent at SIG_DFL unblocked (before
	 * sigfd_setup blocks it, or in a wrapper that did not block it). One
	 * drain collects them. */
	reap(sx, NULL, 0);
	/* One pass that does not sleep first: libev puts the watchers started
	 * during set-up into epoll, and one that epoll refuses (EV_ERROR) gets
	 * its retry timer before the loop sleeps, even if it was the doorbell.
	 * A finish() in that pass must not be followed by a run that would
	 * forget its ev_break. */
	ev_run(sx->loop, EVRUN_NOWAIT);
	if (sx->phase != SX_DONE)
		ev_run(sx->loop, 0);
	return sx->exit_code;
}

/* -S, else the configuration, else /run/sexton.sock as root, else
 * $XDG_RUNTIME_DIR/sexton.sock. NULL when there is nowhere to put it. */
static const char *
control_path(const struct sexton *sx, const struct cfg *cfg, char *buf, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (sx->opts->socket_path)
		return sx->opts->socket_path;
	if (cfg && cfg->socket)
		return cfg->socket;
	if (geteuid() == 0)
		return "/run/sexton.sock";
	if (!xdg || !*xdg)
		return NULL;
	snprintf(buf, len, "%s/sexton.sock", xdg);
	return buf;
}

int
sx_open_control(struct sexton *sx, const struct cfg *cfg)
{
	char buf[256];
	const char *path = control_path(sx, cfg, buf, sizeof(buf));
	bool asked = sx->opts->socket_path || (cfg && cfg->socket);
	int rc;

	if (!asked && sx->opts->command && !sx->is_pid1) {
		/* A tini-style wrapper on a host (not PID 1 of a container): the
		 * default path would be shared by every such sexton, each one
		 * probing (and waking) the first. Only on request. */
		log_debug("not PID 1: no control socket unless asked for (-S or socket =)");
		return 0;
	}
	if (!path) {
		log_warn("no control socket: not root and XDG_RUNTIME_DIR is not set (use -S PATH)");
		return 0;
	}
	rc = ctl_open(&sx->ctl, sx->loop, path, cfg ? cfg->socket_mode : 0600,
		      cfg && cfg->has_socket_group, cfg ? cfg->socket_group : 0);
	if (rc == -EADDRINUSE && (asked || !sx->opts->command)) {
		log_error("another sexton is running on %s: not starting", path);
		return rc;
	}
	if (rc < 0) {
		/* A container must never fail to start for want of a socket. */
		log_warn("no control socket at %s: %s; running without it", path,
			 rc == -EADDRINUSE ? "another sexton answers there" : strerror(-rc));
		return 0;
	}
	sx->have_ctl = true;
	sx->ctl.owner = sx;
	sx->ctl.dispatch = cmd_dispatch;
	sx->ctl.expire = cmd_expire;
	log_debug("control socket: %s", path);
	return 0;
}

void
sx_destroy(struct sexton *sx)
{
	if (sx->have_ctl)
		ctl_close(&sx->ctl);
	free(sx->ps_answer);
	if (sx->have_services) {
		struct out_sink *sink = sx->sup.sink;

		sup_destroy(&sx->sup); /* services' outputs write to the sink: first */
		out_sink_free(sink);
	}
	if (sx->loop) {
		doctor_destroy(&sx->doc);
		iowatch_bell_close(&sx->bell, sx->loop);
		ev_loop_destroy(sx->loop);
	}
	if (sx->sigfd >= 0)
		close(sx->sigfd);
}
