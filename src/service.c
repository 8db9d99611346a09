/* service — see include/service.h. */
#include "service.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "envfile.h"
#include "exitstatus.h"
#include "container_of.h"
#include "log.h"
#include "output.h"
#include "signames.h"
#include "spawn.h"
#include "supervisor.h"

#define READY_READ_MAX 256 /* bytes read from ready_fd per wake-up */

#define SVC_STATE_NAME(id, name) [id] = name,
static const char *const state_names[] = { SVC_STATES(SVC_STATE_NAME) };
#undef SVC_STATE_NAME

static void spawn_service(struct service *svc);
static void begin_stop(struct service *svc, enum svc_after_stop after);

const char *
svc_state_name(enum svc_state state)
{
	return state_names[state];
}

bool
svc_has_process(const struct service *svc)
{
	return svc->state == SVC_STARTING || svc->state == SVC_RUNNING ||
	       svc->state == SVC_STOPPING;
}

bool
svc_is_up(const struct service *svc)
{
	return (svc->state == SVC_RUNNING && svc->ready) || svc->state == SVC_DONE;
}

int
svc_exit_code(const struct service *svc)
{
	const int st = svc->last_status;

	if (!svc->has_last_exit)
		return 1;
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static void
set_state(struct service *svc, enum svc_state state)
{
	int old = (int)svc->state;

	if (svc->state == state)
		return;
	svc->state = state;
	svc->state_since = ev_now(svc->sup->loop);
	log_debug("service %s: %s -> %s", svc->name, state_names[old], state_names[state]);
	sup_service_changed(svc->sup, svc, old);
}

static void
close_output(struct service *svc)
{
	if (svc->out) {
		svc_out_close(svc->out);
		svc->out = NULL;
	}
}

/* While the group lingers its output is still read: what its processes
 * say as they stop is logged, and they get no EPIPE (SIGPIPE) for it. */
static void
set_lingering(struct service *svc, bool on)
{
	if (svc->lingering == on)
		return;
	svc->lingering = on;
	if (on) {
		svc->sup->nlingering++;
		return;
	}
	svc->sup->nlingering--;
	close_output(svc);
}

static void
disarm_timer(struct service *svc)
{
	ev_timer_stop(svc->sup->loop, &svc->timer);
}

/* Fire after SECONDS; 0 fires on the next loop turn (restart_delay = 0). */
static void
arm_timer(struct service *svc, double seconds)
{
	ev_timer_stop(svc->sup->loop, &svc->timer);
	ev_timer_set(&svc->timer, seconds > 0 ? seconds : 0., 0.);
	ev_timer_start(svc->sup->loop, &svc->timer);
}

static void
fail(struct service *svc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
fail(struct service *svc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(svc->reason, sizeof(svc->reason), fmt, ap);
	va_end(ap);
	log_error("service %s: %s", svc->name, svc->reason);
	disarm_timer(svc);
	set_state(svc, SVC_FAILED);
}

/* ---- readiness ---------------------------------------------------------- */

static void
close_ready_pipe(struct service *svc)
{
	if (svc->ready_rd < 0)
		return;
	iowatch_stop(svc->sup->loop, &svc->ready_io);
	close(svc->ready_rd);
	svc->ready_rd = -1;
}

static void
on_ready_fd(struct ev_loop *loop, ev_io *w, int revents)
{
	struct service *svc = container_of(w, struct service, ready_io.io);
	char buf[READY_READ_MAX];
	ssize_t n;

	if (iowatch_dropped(loop, &svc->ready_io, revents))
		return;
	n = read(svc->ready_rd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0 && memchr(buf, '\n', (size_t)n)) {
		close_ready_pipe(svc); /* the protocol is one newline */
		svc_step(svc, SVC_EV_READY);
		return;
	}
	if (n <= 0)
		close_ready_pipe(svc); /* closed without a newline: never ready this way */
}

static void
on_watchdog(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	svc_step(container_of(w, struct service, watchdog), SVC_EV_WATCHDOG);
}

static void
on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	svc_step(container_of(w, struct service, timer), SVC_EV_TIMER);
}

/*
 * Why PID may not become the main process, or NULL. A stop signals the
 * main process: a MAINPID= of 1 (kill(-1) is everyone), of sexton, of
 * another service or of a process outside the service's session would
 * turn a stop into an attack on the rest of the system. A process of the
 * session is the service's by sexton's definition (service_of_sender).
 */
static const char *
mainpid_refusal(const struct service *svc, pid_t pid)
{
	const struct service *owner = pidmap_get(&svc->sup->pids, pid);

	if (pid <= 1 || pid == getpid())
		return "not a process of the service";
	if (owner && owner != svc)
		return "a process of another service";
	if (svc->pgid <= 0 || getsid(pid) != svc->pgid)
		return "not in the service's session";
	return NULL;
}

static void
set_mainpid(struct service *svc, pid_t pid, pid_t sender)
{
	const char *refusal = mainpid_refusal(svc, pid);

	if (refusal) {
		log_warn("service %s: MAINPID=%d from pid %d ignored: %s", svc->name, (int)pid,
			 (int)sender, refusal);
		return;
	}
	log_debug("service %s: MAINPID=%d (from %d)", svc->name, (int)pid, (int)sender);
	/* The first process stays known until reaped: it leads the group. */
	sup_track_pid(svc->sup, svc, svc->pid == svc->pgid ? 0 : svc->pid, pid);
	svc->pid = pid;
}

void
svc_notify(struct service *svc, const struct notify_msg *msg, pid_t sender)
{
	if (msg->has_status)
		memcpy(svc->status_text, msg->status, sizeof(svc->status_text));
	if (msg->mainpid > 0 && msg->mainpid != svc->pid && svc_has_process(svc) && svc->pid > 0)
		set_mainpid(svc, msg->mainpid, sender);
	if (msg->ready)
		svc_step(svc, SVC_EV_READY);
	if (msg->watchdog && svc->cfg && svc->cfg->watchdog > 0 && svc->state == SVC_RUNNING)
		ev_timer_again(svc->sup->loop, &svc->watchdog);
	if (msg->stopping)
		log_debug("service %s: STOPPING=1", svc->name);
}

/* ---- spawning ----------------------------------------------------------- */

static bool
all_digits(const char *s)
{
	while (*s >= '0' && *s <= '9')
		s++;
	return !*s;
}

/* user = NAME: the user's HOME, USER and LOGNAME (as login and systemd
 * set them), not root's, which a tool writing to ~ would try. A bare uid
 * without a passwd entry has no name to give. */
static int
push_user_env(const struct cfg_service *c, struct env_vec *env)
{
	static const char *const keys[] = { "USER", "LOGNAME" };
	char buf[512];
	size_t i;

	if (!c->has_user || !c->user)
		return 0;
	if (c->home) {
		snprintf(buf, sizeof(buf), "HOME=%s", c->home);
		if (env_push(env, buf) < 0)
			return -ENOMEM;
	}
	for (i = 0; i < 2 && !all_digits(c->user); i++) {
		snprintf(buf, sizeof(buf), "%s=%s", keys[i], c->user);
		if (env_push(env, buf) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* sexton's environment, the user's HOME, USER and LOGNAME, then
 * environment_file, then environment, then NOTIFY_SOCKET: later wins. */
static int
build_env(struct service *svc, struct env_vec *env)
{
	extern char **environ;
	const struct cfg_service *c = svc->cfg;
	char buf[160];
	char **e;
	int rc;

	for (e = environ; *e; e++)
		if (env_push(env, *e) < 0)
			return -ENOMEM;
	if (push_user_env(c, env) < 0)
		return -ENOMEM;
	if (c->environment_file) {
		rc = envfile_read(c->environment_file, env);
		if (rc < 0)
			return rc;
		if (rc > 0)
			log_warn("service %s: %s:%d: not KEY=VALUE, ignored", svc->name,
				 c->environment_file, rc);
	}
	for (e = c->env; e && *e; e++)
		if (env_push(env, *e) < 0)
			return -ENOMEM;
	if (c->type == SVC_NOTIFY && svc->sup->notify_addr[0]) {
		snprintf(buf, sizeof(buf), "NOTIFY_SOCKET=%s", svc->sup->notify_addr);
		if (env_push(env, buf) < 0)
			return -ENOMEM;
	}
	/* sd_watchdog_enabled() (libsystemd, go-systemd, ...) pings only when
	 * this says how often; without WATCHDOG_PID it is for the process. */
	if (c->type == SVC_NOTIFY && c->watchdog > 0) {
		snprintf(buf, sizeof(buf), "WATCHDOG_USEC=%llu",
			 (unsigned long long)(c->watchdog * 1e6 + 0.5));
		if (env_push(env, buf) < 0)
			return -ENOMEM;
	}
	env_dedupe(env);
	return 0;
}

static void
fill_ids(const struct cfg_service *c, struct spawn_req *req)
{
	if (!c->has_user && !c->has_group)
		return;
	req->set_ids = true;
	req->uid = c->has_user ? c->uid : getuid();
	req->gid = c->gid;
	req->groups = c->groups;
	req->ngroups = c->ngroups;
	if (!c->has_group && !c->has_user)
		req->gid = getgid();
	if (c->has_group && !c->has_user) {
		req->groups = &req->gid; /* group alone: that group only */
		req->ngroups = 1;
	}
}

/* Wire stdout/stderr. Returns the write end the child gets (to close in
 * the parent afterwards), -1 when none was created, or -errno. */
static int
setup_output(struct service *svc, struct spawn_req *req)
{
	const struct cfg_service *c = svc->cfg;
	int child_fd = -1, rc;

	switch (c->output) {
	case OUT_INHERIT: return -1;
	case OUT_NULL: req->stdio[1] = req->stdio[2] = svc->sup->devnull; return -1;
	case OUT_TAGGED:
	case OUT_FILE: {
		/* The ring (1000 lines) only for tagged output, made on first use:
		 * with 1000 untagged services it would be 24 MB for nothing. */
		if (c->output == OUT_TAGGED && !svc->ring &&
		    line_ring_new(&svc->ring, OUT_RING_LINES) < 0)
			return -ENOMEM;
		const struct svc_out_params p = {
			.name = svc->name,
			.kind = c->output == OUT_FILE ? OUT_KIND_FILE : OUT_KIND_TAGGED,
			.sink = svc->sup->sink,
			.ring = c->output == OUT_TAGGED ? svc->ring : NULL,
			.path = c->output_path,
			.max_size = c->log_max_size,
			.keep = c->log_keep,
		};

		rc = svc_out_open(&svc->out, svc->sup->loop, &p, &child_fd);
		if (rc < 0)
			return rc;
		req->stdio[1] = req->stdio[2] = child_fd;
		return child_fd;
	}
	}
	return -1;
}

/* A pipe whose write end the child gets as fd ready_fd. */
static int
setup_ready_fd(struct service *svc, struct spawn_req *req)
{
	int fds[2];

	if (svc->cfg->ready_fd < 0)
		return -1;
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	svc->ready_rd = fds[0];
	iowatch_init(&svc->ready_io, on_ready_fd, fds[0], EV_READ, "the ready_fd pipe of ", svc->name);
	iowatch_start(svc->sup->loop, &svc->ready_io);
	req->extra_fd = fds[1];
	req->extra_fd_target = svc->cfg->ready_fd;
	return fds[1];
}

static const char *
step_text(enum spawn_step step)
{
	switch (step) {
	case SPAWN_STEP_CLONE: return "cannot create the process for";
	case SPAWN_STEP_SESSION: return "cannot start a session";
	case SPAWN_STEP_IDS: return "cannot switch user/group";
	case SPAWN_STEP_CHDIR: return "cannot change directory";
	case SPAWN_STEP_RLIMIT: return "cannot set rlimit_nofile";
	case SPAWN_STEP_FDS: return "cannot set up file descriptors";
	case SPAWN_STEP_EXEC: return "cannot exec";
	}
	return "cannot start";
}

/* Would one more start now exceed start_limit? (Checked before a backoff,
 * so a service that will fail anyway does not first sit out the delay.) */
static bool
start_limit_reached(const struct service *svc)
{
	const struct cfg_service *c = svc->cfg;

	return c->start_limit_burst > 0 && svc->limit_window_starts >= c->start_limit_burst &&
	       ev_now(svc->sup->loop) - svc->limit_window_start <= c->start_limit_interval;
}

/* More than start_limit_burst starts inside the window: give up. */
static bool
start_limit_hit(struct service *svc)
{
	const struct cfg_service *c = svc->cfg;
	double now = ev_now(svc->sup->loop);

	if (c->start_limit_burst == 0)
		return false;
	if (svc->limit_window_starts == 0 || now - svc->limit_window_start > c->start_limit_interval) {
		svc->limit_window_start = now;
		svc->limit_window_starts = 0;
	}
	return ++svc->limit_window_starts > c->start_limit_burst;
}

/* A file the service needs before it exists: failing, it is named in
 * the reason, not the command ("cannot create the process for
 * /bin/sleep: No such file or directory" was an environment_file). */
enum pre_spawn { PRE_ENV_FILE, PRE_OUTPUT_FILE };

static void
pre_spawn_failure(const struct service *svc, enum pre_spawn what, int rc, char *why, size_t len)
{
	const struct cfg_service *c = svc->cfg;

	if (what == PRE_ENV_FILE && c->environment_file && rc != -ENOMEM)
		snprintf(why, len, "cannot read environment_file %s: %s", c->environment_file,
			 rc == -EINVAL ? "not a regular file" :
			 rc == -EFBIG ? "larger than 1 MiB" : strerror(-rc));
	else if (what == PRE_OUTPUT_FILE && c->output == OUT_FILE && c->output_path)
		snprintf(why, len, "cannot open output file %s: %s", c->output_path, strerror(-rc));
}

static int
do_spawn(struct service *svc, pid_t *pid, enum spawn_step *step, int *out_fd, int *ready_wr,
	 char *why, size_t whylen)
{
	struct env_vec env = { 0 };
	struct spawn_req req;
	int rc;

	*step = SPAWN_STEP_CLONE;
	rc = build_env(svc, &env);
	if (rc < 0) {
		env_free(&env);
		pre_spawn_failure(svc, PRE_ENV_FILE, rc, why, whylen);
		return rc;
	}
	spawn_req_init(&req, svc->cfg->argv, env.v);
	req.stdio[0] = svc->sup->devnull;
	fill_ids(svc->cfg, &req);
	req.directory = svc->cfg->directory;
	req.umask = svc->cfg->umask;
	req.rlimit_nofile = svc->cfg->rlimit_nofile;
	*out_fd = setup_output(svc, &req);
	*ready_wr = setup_ready_fd(svc, &req);
	if (*out_fd < -1 || *ready_wr < -1) {
		*step = SPAWN_STEP_FDS;
		rc = *out_fd < -1 ? *out_fd : *ready_wr;
		if (*out_fd < -1)
			pre_spawn_failure(svc, PRE_OUTPUT_FILE, rc, why, whylen);
	} else
		rc = spawn_process_step(&req, pid, step);
	env_free(&env);
	return rc;
}

static void enter_backoff(struct service *svc, double min_delay);

/*
 * No process could be made (out of pids, memory or descriptors): the
 * system's state, not the service's fault, and often brief (an orphan
 * storm filling the pids cgroup). Retried as after a crash, with the
 * backoff and the start limit, but at least SPAWN_RETRY_MIN_S apart;
 * unless restart = never. An exec error (not found, not executable) is
 * the service's own and fails it at once.
 */
#define SPAWN_RETRY_MIN_S 1.0

static bool
spawn_error_is_transient(int rc, pid_t pid)
{
	return pid <= 0 && (rc == -EAGAIN || rc == -ENOMEM || rc == -EMFILE || rc == -ENFILE);
}

static void
spawn_service(struct service *svc)
{
	const struct cfg_service *c = svc->cfg;
	char why[sizeof(svc->reason)];
	enum spawn_step step;
	int rc, out_fd = -1, ready_wr = -1;
	pid_t pid = -1;

	if (start_limit_hit(svc)) {
		fail(svc, "start limit hit (%u starts in %g s)", c->start_limit_burst,
		     c->start_limit_interval);
		return;
	}
	svc->ready = false;
	svc->killed = svc->stuck = false;
	svc->status_text[0] = '\0';
	why[0] = '\0';
	rc = do_spawn(svc, &pid, &step, &out_fd, &ready_wr, why, sizeof(why));
	if (out_fd >= 0)
		close(out_fd);
	if (ready_wr >= 0)
		close(ready_wr);
	if (pid > 0)
		sup_track_pid(svc->sup, svc, 0, pid); /* even a failed exec must be reaped as ours */
	svc->pid = pid > 0 ? pid : 0;
	svc->pgid = svc->pid; /* it leads its own session and group (spawn.h) */
	if (rc < 0) {
		close_ready_pipe(svc);
		if (pid > 0) { /* the child exited with the shell's code for it */
			svc->has_last_exit = true;
			svc->last_status = spawn_exec_exit_code(-rc) << 8;
		}
		if (pid <= 0) /* no process to reap it with */
			close_output(svc);
		if (!why[0])
			snprintf(why, sizeof(why), "%s %s: %s", step_text(step),
				 step == SPAWN_STEP_CHDIR && c->directory ? c->directory : c->argv[0],
				 strerror(-rc));
		if (spawn_error_is_transient(rc, pid) && c->restart != RESTART_NEVER &&
		    !svc->sup->stopping_all) {
			log_warn("service %s: %s", svc->name, why);
			snprintf(svc->reason, sizeof(svc->reason), "%s", why);
			enter_backoff(svc, SPAWN_RETRY_MIN_S);
			return;
		}
		fail(svc, "%s", why);
		return;
	}
	svc->reason[0] = '\0'; /* running: neither failed nor blocked */
	svc->blocked = false;
	if (svc->starts++)
		svc->restarts++;
	svc->started_at = ev_now(svc->sup->loop);
	log_info("service %s: started, pid %d", svc->name, (int)pid);
	if (c->type == SVC_SIMPLE) {
		svc->ready = true;
		set_state(svc, SVC_RUNNING);
		return;
	}
	if (c->type == SVC_NOTIFY && c->ready_timeout > 0)
		arm_timer(svc, c->ready_timeout);
	else
		disarm_timer(svc); /* oneshot, or notify waiting for ever */
	set_state(svc, SVC_STARTING);
}

/* ---- stopping and exits --------------------------------------------------- */

/* Does the service's process group still have a member? (EPERM: yes.) */
static bool
group_alive(const struct service *svc)
{
	return svc->pgid > 0 && (kill(-svc->pgid, 0) == 0 || errno == EPERM);
}

int
svc_signal(struct service *svc, int sig)
{
	bool sent = false;
	int err = ESRCH;

	/* The group reaches the children too. A main process MAINPID= named
	 * may lead a group of its own (setpgid) or none. */
	if (svc->pgid > 0) {
		if (kill(-svc->pgid, sig) == 0)
			sent = true;
		else
			err = errno;
	}
	if (svc->pid > 0 && (svc->pid != svc->pgid || !sent)) {
		if (kill(-svc->pid, sig) == 0 || kill(svc->pid, sig) == 0)
			sent = true;
		else
			err = errno;
	}
	return sent ? 0 : -err;
}

static double
stop_timeout_of(const struct service *svc)
{
	return svc->cfg ? svc->cfg->stop_timeout : 10.0;
}

static void
begin_stop(struct service *svc, enum svc_after_stop after)
{
	int sig = svc->cfg ? svc->cfg->stop_signal : SIGTERM;

	svc->after_stop = after;
	ev_timer_stop(svc->sup->loop, &svc->watchdog);
	svc_signal(svc, sig);
	if (sig != SIGCONT)
		svc_signal(svc, SIGCONT); /* a stopped process cannot act on the signal */
	arm_timer(svc, stop_timeout_of(svc));
	set_state(svc, SVC_STOPPING);
}

static void
on_stop_timer(struct service *svc)
{
	if (!svc->killed) {
		log_warn("service %s: still running %g s after stop signal: sending SIGKILL",
			 svc->name, stop_timeout_of(svc));
		svc->killed = true;
		svc_signal(svc, SIGKILL);
		if (svc->sup->stopping_all) {
			/* Shutdown: the sweep waits kill_timeout for every process at
			 * once; waiting here too would add it twice to the bound. */
			set_lingering(svc, false);
			svc->after_stop = SVC_AFTER_NOTHING;
			set_state(svc, SVC_STOPPED);
			return;
		}
		arm_timer(svc, sup_kill_timeout(svc->sup));
		return;
	}
	/* SIGKILL did not work: the process sleeps in the kernel (D state).
	 * Waiting longer cannot help; its exit will still be reaped. */
	svc->stuck = true;
	if (svc->pid > 0)
		log_error("service %s: pid %d still alive %g s after SIGKILL: stuck in the kernel",
			  svc->name, (int)svc->pid, sup_kill_timeout(svc->sup));
	else
		log_error("service %s: its process group %d still alive %g s after SIGKILL: "
			  "stuck in the kernel", svc->name, (int)svc->pgid, sup_kill_timeout(svc->sup));
	if (svc->sup->on_stuck)
		svc->sup->on_stuck(svc->sup, svc);
	set_lingering(svc, false);
	svc->after_stop = SVC_AFTER_NOTHING;
	set_state(svc, SVC_STOPPED);
}

double
svc_backoff_delay(double delay, double max, unsigned failures)
{
	unsigned i;

	if (delay <= 0)
		return 0;
	/* Doubled per consecutive failure after the first, capped. */
	for (i = 1; i < failures && delay < max; i++)
		delay *= 2;
	return delay > max ? max : delay;
}

/* The end of a backoff, whether its timer fired or there was no delay. */
static void
restart_now(struct service *svc)
{
	set_state(svc, SVC_STOPPED);
	spawn_service(svc);
}

static void
enter_backoff(struct service *svc, double min_delay)
{
	double delay;

	svc->failures++;
	delay = svc_backoff_delay(svc->cfg->restart_delay, svc->cfg->restart_delay_max,
				  svc->failures);
	if (delay < min_delay)
		delay = min_delay;
	log_info("service %s: restarting in %g s", svc->name, delay);
	/* No delay: start it now, before the rest of the reaping (a 0 s timer
	 * would wait for the drain and a loop turn). At most once per loop
	 * turn, though: a program that dies at once could otherwise be
	 * restarted and reaped over and over inside one drain, and sexton
	 * would answer nothing else; the second time it takes the timer. */
	if (delay <= 0 && svc->started_at != ev_now(svc->sup->loop)) {
		restart_now(svc);
		return;
	}
	arm_timer(svc, delay);
	set_state(svc, SVC_BACKOFF);
}

/* It ran longer than restart_delay_max: the backoff starts over. */
static void
forgive_long_run(struct service *svc)
{
	if (ev_now(svc->sup->loop) - svc->started_at > svc->cfg->restart_delay_max)
		svc->failures = 0;
}

/* The process ended on its own (not asked to stop). */
static void
on_unexpected_exit(struct service *svc)
{
	const struct cfg_service *c = svc->cfg;
	bool clean = WIFEXITED(svc->last_status) && WEXITSTATUS(svc->last_status) == 0;
	bool again;
	char how[64];

	exit_status_text(svc->last_status, how, sizeof(how));
	if (c->type == SVC_ONESHOT) {
		svc->want_up = false;
		if (clean) {
			log_info("service %s: done", svc->name);
			set_state(svc, SVC_DONE);
		} else {
			fail(svc, "%s", how);
		}
		return;
	}
	forgive_long_run(svc);
	if (clean)
		svc->failures = 0; /* not a failure: restart = always waits the first delay */
	again = svc->want_up && !svc->sup->stopping_all &&
		(c->restart == RESTART_ALWAYS || (c->restart == RESTART_ON_FAILURE && !clean));
	if (again && start_limit_reached(svc)) {
		log_warn("service %s: %s", svc->name, how);
		fail(svc, "start limit hit (%u starts in %g s)", c->start_limit_burst,
		     c->start_limit_interval);
		return;
	}
	if (again) {
		log_warn("service %s: %s", svc->name, how);
		enter_backoff(svc, 0);
		return;
	}
	svc->want_up = false; /* it ended and stays ended: not for the evaluator to revive */
	if (clean) {
		log_info("service %s: %s", svc->name, how);
		set_state(svc, SVC_STOPPED);
	} else {
		fail(svc, "%s", how);
	}
}

static void
on_stopped_exit(struct service *svc)
{
	disarm_timer(svc);
	switch (svc->after_stop) {
	case SVC_AFTER_START:
		svc->after_stop = SVC_AFTER_NOTHING;
		set_state(svc, SVC_STOPPED);
		if (svc->want_up && !svc->sup->stopping_all)
			spawn_service(svc);
		return;
	case SVC_AFTER_FAILURE: /* not ready in time, or the watchdog */
		svc->after_stop = SVC_AFTER_NOTHING;
		forgive_long_run(svc);
		if (!svc->want_up || svc->sup->stopping_all || svc->cfg->restart == RESTART_NEVER)
			set_state(svc, SVC_FAILED);
		else if (start_limit_reached(svc)) /* as after an exit: not after the delay */
			fail(svc, "start limit hit (%u starts in %g s)", svc->cfg->start_limit_burst,
			     svc->cfg->start_limit_interval);
		else
			enter_backoff(svc, 0);
		return;
	case SVC_AFTER_NOTHING:
		set_state(svc, SVC_STOPPED);
		return;
	}
}

/*
 * The main process died of the stop signal, or exited, and others of its
 * group did not: a stop is over when the group is (the SPEC's "waits
 * stop_timeout, then SIGKILLs the group"), else a child that ignores the
 * signal would outlive every stop and run beside the next start. The
 * stop timer stays armed; each reaping asks whether the group is gone.
 */
static void
linger(struct service *svc)
{
	log_info("service %s: main process exited, its process group %d did not: waiting for it",
		 svc->name, (int)svc->pgid);
	set_lingering(svc, true);
}

static void
on_group_maybe_gone(struct service *svc)
{
	if (!svc->lingering || group_alive(svc))
		return;
	set_lingering(svc, false);
	svc->pgid = 0;
	log_debug("service %s: process group gone", svc->name);
	on_stopped_exit(svc);
}

static void
on_exit_event(struct service *svc)
{
	enum svc_state was = svc->state;

	svc->ready = false;
	if (svc->pgid != svc->pid) /* its group's leader, mapped until reaped */
		sup_track_pid(svc->sup, svc, svc->pgid, 0);
	svc->pid = 0;
	ev_timer_stop(svc->sup->loop, &svc->watchdog);
	close_ready_pipe(svc);
	if (was == SVC_STOPPING && group_alive(svc)) {
		linger(svc);
		return;
	}
	close_output(svc);
	svc->pgid = 0;
	if (was == SVC_STOPPING)
		on_stopped_exit(svc);
	else if (was == SVC_STARTING || was == SVC_RUNNING)
		on_unexpected_exit(svc);
	/* FAILED/STOPPED: a failed exec or a stuck process finally reaped. */
}

/* ---- the state machine ---------------------------------------------------- */

static void
on_start(struct service *svc)
{
	svc->want_up = true;
	switch (svc->state) {
	case SVC_FAILED:
	case SVC_DONE:
		svc->failures = 0;
		svc->limit_window_starts = 0; /* an explicit start forgives */
		svc->reason[0] = '\0';
		/* fall through */
	case SVC_STOPPED:
		if (svc->pid > 0) /* a stuck process still holds the slot */
			return;
		spawn_service(svc);
		return;
	case SVC_BACKOFF:
	case SVC_STARTING:
	case SVC_RUNNING:
		return;
	case SVC_STOPPING:
		svc->after_stop = SVC_AFTER_START;
		return;
	}
}

static void
on_stop(struct service *svc)
{
	svc->want_up = false;
	switch (svc->state) {
	case SVC_STARTING:
	case SVC_RUNNING:
		begin_stop(svc, SVC_AFTER_NOTHING);
		return;
	case SVC_STOPPING:
		svc->after_stop = SVC_AFTER_NOTHING;
		return;
	case SVC_BACKOFF:
		disarm_timer(svc);
		set_state(svc, SVC_STOPPED);
		return;
	case SVC_STOPPED:
	case SVC_FAILED:
	case SVC_DONE:
		return;
	}
}

static void
on_timer_event(struct service *svc)
{
	switch (svc->state) {
	case SVC_BACKOFF:
		restart_now(svc);
		return;
	case SVC_STARTING:
		snprintf(svc->reason, sizeof(svc->reason), "not ready after %g s",
			 svc->cfg->ready_timeout);
		log_error("service %s: %s: stopping it", svc->name, svc->reason);
		begin_stop(svc, SVC_AFTER_FAILURE);
		return;
	case SVC_STOPPING:
		on_stop_timer(svc);
		return;
	default:
		return;
	}
}

static void
on_ready(struct service *svc)
{
	if (svc->state != SVC_STARTING)
		return;
	disarm_timer(svc);
	svc->ready = true;
	if (svc->cfg->watchdog > 0) {
		svc->watchdog.repeat = svc->cfg->watchdog;
		ev_timer_again(svc->sup->loop, &svc->watchdog);
	}
	log_info("service %s: ready", svc->name);
	set_state(svc, SVC_RUNNING);
}

void
svc_step(struct service *svc, enum svc_event ev)
{
	switch (ev) {
	case SVC_EV_START: on_start(svc); return;
	case SVC_EV_STOP: on_stop(svc); return;
	case SVC_EV_RESTART:
		svc->want_up = true;
		if (svc->state == SVC_STARTING || svc->state == SVC_RUNNING)
			begin_stop(svc, SVC_AFTER_START);
		else
			on_start(svc);
		return;
	case SVC_EV_FORGIVE:
		if (svc->state != SVC_FAILED)
			return;
		svc->failures = 0;
		svc->limit_window_starts = 0;
		svc->reason[0] = '\0';
		set_state(svc, SVC_STOPPED);
		return;
	case SVC_EV_READY: on_ready(svc); return;
	case SVC_EV_EXIT: on_exit_event(svc); return;
	case SVC_EV_REAPED: on_group_maybe_gone(svc); return;
	case SVC_EV_TIMER: on_timer_event(svc); return;
	case SVC_EV_WATCHDOG:
		if (svc->state != SVC_RUNNING)
			return;
		snprintf(svc->reason, sizeof(svc->reason), "watchdog timeout (no WATCHDOG=1 for %g s)",
			 svc->cfg->watchdog);
		log_error("service %s: %s: %s", svc->name, svc->reason,
			  svc->cfg->restart == RESTART_NEVER ? "stopping it" : "restarting");
		begin_stop(svc, SVC_AFTER_FAILURE);
		return;
	}
}

struct service *
svc_new(struct supervisor *sup, const struct cfg_service *cfg)
{
	struct service *svc = calloc(1, sizeof(*svc));

	if (!svc)
		return NULL;
	svc->name = strdup(cfg->name);
	if (!svc->name) {
		free(svc);
		return NULL;
	}
	svc->cfg = cfg;
	svc->sup = sup;
	svc->state = SVC_STOPPED;
	svc->state_since = ev_now(sup->loop); /* "stopped for" counts from here */
	svc->ready_rd = -1;
	ev_init(&svc->timer, on_timer);
	ev_init(&svc->watchdog, on_watchdog);
	return svc;
}

void
svc_free(struct service *svc)
{
	if (!svc)
		return;
	ev_timer_stop(svc->sup->loop, &svc->timer);
	ev_timer_stop(svc->sup->loop, &svc->watchdog);
	close_ready_pipe(svc);
	if (svc->out)
		svc_out_close(svc->out);
	line_ring_free(svc->ring);
	free(svc->deps);
	free(svc->dependents);
	free(svc->name);
	free(svc);
}
