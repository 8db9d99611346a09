/* supervisor — see include/supervisor.h. */
#include "supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "container_of.h"
#include "log.h"
#include "output.h"
#include "notify.h"
#include "service.h"

#define NOTIFY_READS_PER_WAKEUP 64 /* datagrams; the rest wait for the next turn */

static void evaluate_all(struct supervisor *sup);

double
sup_kill_timeout(const struct supervisor *sup)
{
	return sup->cfg.kill_timeout;
}

struct service *
sup_find(const struct supervisor *sup, const char *name)
{
	size_t i;

	for (i = 0; i < sup->nsvcs; i++)
		if (!sup->svcs[i]->removed && strcmp(sup->svcs[i]->name, name) == 0)
			return sup->svcs[i];
	return NULL;
}

void
sup_track_pid(struct supervisor *sup, struct service *svc, pid_t old, pid_t pid)
{
	if (old > 0)
		pidmap_del(&sup->pids, old);
	/* The map grows when stuck pids linger, and spills when it cannot. */
	if (pid > 0 && pidmap_put(&sup->pids, pid, svc) < 0)
		log_error("service %s: out of memory tracking pid %d", svc->name, (int)pid);
}

/* ---- dependency edges ------------------------------------------------------ */

static int
add_edge(struct service ***v, size_t *n, struct service *s)
{
	struct service **nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

/* A removed service named NAME (dropped by a reload, still stopping). */
static struct service *
find_removed(struct supervisor *sup, const char *name)
{
	size_t i;

	for (i = 0; i < sup->nsvcs; i++)
		if (sup->svcs[i]->removed && strcmp(sup->svcs[i]->name, name) == 0)
			return sup->svcs[i];
	return NULL;
}

/* A copy of SVC that a reload removed (or renamed away and back) still
 * runs: SVC waits for it to be down, never runs beside it. (Not for one
 * stuck after SIGKILL: that may never end, and can do nothing.) */
static bool
predecessor_running(struct supervisor *sup, const struct service *svc)
{
	const struct service *old;

	if (!sup->nretired) /* no removed service left: the usual case, and no scan */
		return false;
	old = svc->removed ? NULL : find_removed(sup, svc->name);
	return old && svc_has_process(old);
}

/* Edges from what each service depends on. A removed one keeps the edges
 * of its old configuration, to the removed copies first: removed
 * together, a dependent still goes down before its dependency. */
static int
link_dependencies(struct supervisor *sup)
{
	struct service *svc, *dep;
	size_t i, j;

	for (i = 0; i < sup->nsvcs; i++) {
		svc = sup->svcs[i];
		free(svc->deps);
		free(svc->dependents);
		svc->deps = svc->dependents = NULL;
		svc->ndeps = svc->ndependents = 0;
	}
	for (i = 0; i < sup->nsvcs; i++) {
		svc = sup->svcs[i];
		for (j = 0; j < svc->cfg->ndepends; j++) {
			dep = svc->removed ? find_removed(sup, svc->cfg->depends[j]) : NULL;
			if (!dep)
				dep = sup_find(sup, svc->cfg->depends[j]);
			if (!dep)
				continue; /* the config validated it; a removed one's may be gone */
			if (add_edge(&svc->deps, &svc->ndeps, dep) < 0 ||
			    add_edge(&dep->dependents, &dep->ndependents, svc) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

/* ---- start and stop ordering ---------------------------------------------- */

/* Down for good unless someone starts it: it ran, ended, and nothing
 * wants it up (a simple service that exited 0 with restart = never). */
static bool
ended(const struct service *svc)
{
	return svc->state == SVC_STOPPED && !svc->want_up && svc->starts > 0 && svc->pid <= 0;
}

/* Whether every dependency of SVC is up; *BLOCKER is one that failed, is
 * blocked itself, or has ended, if any (it keeps SVC from starting until
 * someone starts it again or a reload changes it). */
static bool
deps_up(struct service *svc, struct service **blocker)
{
	const struct service *d;
	bool up = true;
	size_t i;

	*blocker = NULL;
	for (i = 0; i < svc->ndeps; i++) {
		d = svc->deps[i];
		if (!*blocker && (d->state == SVC_FAILED || d->blocked || ended(d)))
			*blocker = svc->deps[i];
		if (!svc_is_up(d))
			up = false;
	}
	return up;
}

static void schedule_evaluation(struct supervisor *sup);

/* A dependency that never ran and that nothing wants up (autostart = no)
 * starts for SVC, as `sextonctl start` would start it: what depends on a
 * service needs it (dinit's depends-on, systemd's Requires=). */
static void
pull_in_dependencies(struct supervisor *sup, struct service *svc)
{
	struct service *d;
	size_t i;

	for (i = 0; i < svc->ndeps; i++) {
		d = svc->deps[i];
		if (!d->want_up && !d->removed && d->state == SVC_STOPPED && d->starts == 0) {
			log_debug("service %s: wanted by %s", d->name, svc->name);
			d->want_up = true;
			schedule_evaluation(sup);
		}
	}
}

static bool
dependents_down(const struct service *svc)
{
	size_t i;

	for (i = 0; i < svc->ndependents; i++)
		if (svc_has_process(svc->dependents[i]))
			return false;
	return true;
}

/* SVC will not start while BLOCKER stays as it is: say so once, pass it
 * on to its own dependents (the next pass), and tell a `sextonctl start`
 * or `wait` that is waiting for it. */
static void
block(struct supervisor *sup, struct service *svc, const struct service *blocker)
{
	svc->blocked = true;
	snprintf(svc->reason, sizeof(svc->reason), "not started: dependency %s %s", blocker->name,
		 blocker->state == SVC_FAILED ? "failed"
		 : blocker->blocked	      ? "cannot start"
					      : "has ended");
	log_error("service %s: %s", svc->name, svc->reason);
	schedule_evaluation(sup);
	if (sup->on_change)
		sup->on_change(sup);
}

/* Start SVC if it wants to be up and may; stop it if it must go down and
 * nothing running depends on it any more. */
static void
evaluate(struct supervisor *sup, struct service *svc)
{
	struct service *failed;
	bool down = sup->stopping_all || svc->removed || !svc->want_up;

	if (down) {
		if (svc->blocked) { /* not wanted any more: nothing blocks it */
			svc->blocked = false;
			svc->reason[0] = '\0';
		}
		if (svc_has_process(svc) && svc->state != SVC_STOPPING && dependents_down(svc))
			svc_step(svc, SVC_EV_STOP);
		else if (svc->state == SVC_BACKOFF)
			svc_step(svc, SVC_EV_STOP);
		return;
	}
	if (svc->state != SVC_STOPPED || svc->pid > 0 || predecessor_running(sup, svc))
		return;
	pull_in_dependencies(sup, svc);
	if (deps_up(svc, &failed)) {
		svc->reason[0] = '\0';
		svc->blocked = false;
		svc_step(svc, SVC_EV_START);
	} else if (failed && !svc->blocked) {
		block(sup, svc, failed);
	} else if (!failed && svc->blocked) {
		svc->blocked = false; /* it is being started again */
		svc->reason[0] = '\0';
	}
}

static void
schedule_evaluation(struct supervisor *sup)
{
	/* Coalesce: many state changes in one loop turn, one pass after. */
	if (!ev_is_active(&sup->evaluate))
		ev_idle_start(sup->loop, &sup->evaluate);
}

static void
evaluate_all(struct supervisor *sup)
{
	size_t i, n = sup->nsvcs;

	/* Services may be freed only by the collector, so the array is stable. */
	for (i = 0; i < n; i++)
		evaluate(sup, sup->svcs[i]);
}

static void
on_evaluate(struct ev_loop *loop, ev_idle *w, int revents)
{
	struct supervisor *sup = container_of(w, struct supervisor, evaluate);

	(void)revents;
	ev_idle_stop(loop, w);
	evaluate_all(sup);
	if (sup->stopping_all && sup_all_down(sup) && sup->on_all_down)
		sup->on_all_down(sup);
}

bool
sup_all_down(const struct supervisor *sup)
{
	size_t i;

	for (i = 0; i < sup->nsvcs; i++)
		if (svc_has_process(sup->svcs[i]))
			return false;
	return true;
}

static bool
critical_gone(const struct service *svc, int old)
{
	if (!svc->cfg || !svc->cfg->critical || svc->sup->stopping_all || svc->removed)
		return false;
	if (svc->state == SVC_FAILED)
		return true;
	/* restart = never and it exited by itself (not because we stopped it). */
	return svc->state == SVC_STOPPED && old != SVC_STOPPING && old != SVC_BACKOFF &&
	       old != SVC_FAILED &&
	       svc->cfg->restart == RESTART_NEVER && svc->has_last_exit;
}

void
sup_service_changed(struct supervisor *sup, struct service *svc, int old)
{
	if (svc->killed || svc->stuck)
		sup->unclean = true;
	if (critical_gone(svc, old) && sup->on_critical)
		sup->on_critical(sup, svc);
	if (svc->removed && !svc_has_process(svc) && svc->pid <= 0)
		ev_prepare_start(sup->loop, &sup->collect);
	schedule_evaluation(sup);
	if (sup->on_change)
		sup->on_change(sup);
}

/* A round reaches each service once: in a diamond (front -> a, b ->
 * ghost) a failed ghost is tried again once, not once per path to it. */
static void
start_tree(struct supervisor *sup, struct service *svc, unsigned long long round)
{
	struct service *failed;
	size_t i;

	if (svc->start_visit == round)
		return;
	svc->start_visit = round;
	svc->want_up = true;
	/* What it needs comes up first: what nothing wanted, what failed, and
	 * what a failure further down blocks (it is tried again there). */
	for (i = 0; i < svc->ndeps; i++)
		if (!svc_is_up(svc->deps[i]) &&
		    (!svc->deps[i]->want_up || svc->deps[i]->state == SVC_FAILED ||
		     svc->deps[i]->blocked))
			start_tree(sup, svc->deps[i], round);
	if (svc->state == SVC_FAILED || svc->state == SVC_DONE || svc->state == SVC_STOPPED) {
		svc->blocked = false; /* evaluation blocks it again if a dependency failed */
		if (deps_up(svc, &failed) && !predecessor_running(sup, svc))
			svc_step(svc, SVC_EV_START); /* resets a failed one */
		else
			svc->reason[0] = '\0'; /* evaluation starts it when they are */
	}
}

unsigned long long
sup_start_round(struct supervisor *sup)
{
	return ++sup->start_round; /* services start at 0, which is never a round */
}

void
sup_start_service(struct supervisor *sup, struct service *svc, unsigned long long round)
{
	if (sup->stopping_all)
		return;
	start_tree(sup, svc, round);
	schedule_evaluation(sup);
}

void
sup_stop_service(struct supervisor *sup, struct service *svc)
{
	size_t i;

	svc->want_up = false;
	for (i = 0; i < svc->ndependents; i++)
		if (svc->dependents[i]->want_up || svc_has_process(svc->dependents[i]))
			sup_stop_service(sup, svc->dependents[i]);
	evaluate(sup, svc);
	schedule_evaluation(sup);
}

/* ---- reaping and notify --------------------------------------------------- */

int
sup_child_exited(struct supervisor *sup, pid_t pid, int wstatus)
{
	struct service *svc = pidmap_get(&sup->pids, pid);

	if (!svc)
		return 0;
	/* A daemon's first process sends MAINPID= and READY=1 and exits: read
	 * what it sent before its exit counts, or the service ends with it
	 * while the daemon runs on. (The datagram still names its pid, and
	 * the pid is still mapped.) */
	if (svc->pid == pid && svc->cfg && svc->cfg->type == SVC_NOTIFY)
		sup_read_notify(sup);
	pidmap_del(&sup->pids, pid);
	if (svc->pid == pid) {
		svc->has_last_exit = true;
		svc->last_status = wstatus;
		svc_step(svc, SVC_EV_EXIT);
	}
	/* else: a MAINPID predecessor (the group's leader): nothing to do. */
	if (svc->removed && !svc_has_process(svc))
		ev_prepare_start(sup->loop, &sup->collect);
	return 1;
}

void
sup_after_reaping(struct supervisor *sup)
{
	size_t i;

	for (i = 0; sup->nlingering && i < sup->nsvcs; i++)
		if (sup->svcs[i]->lingering)
			svc_step(sup->svcs[i], SVC_EV_REAPED);
}

struct service *
sup_service_of_session(struct supervisor *sup, pid_t sid)
{
	struct service *svc = sid > 0 ? pidmap_get(&sup->pids, sid) : NULL;
	size_t i;

	if (svc || sid <= 0)
		return svc;
	/* Its leader reaped, the session lives on in a MAINPID= process or in
	 * a group a stop waits for: not in the map any more. */
	for (i = 0; i < sup->nsvcs; i++)
		if (sup->svcs[i]->pgid == sid)
			return sup->svcs[i];
	return NULL;
}

/* The sender is the service's main process, or any process of its session
 * (every service leads its own session, and sessions survive forks). */
static struct service *
service_of_sender(struct supervisor *sup, pid_t sender)
{
	struct service *svc = pidmap_get(&sup->pids, sender);

	return svc ? svc : sup_service_of_session(sup, getsid(sender));
}

void
sup_read_notify(struct supervisor *sup)
{
	char buf[NOTIFY_MAX_DATAGRAM];
	struct notify_msg msg;
	struct service *svc;
	pid_t sender;
	ssize_t n;
	int i;

	if (sup->notify_fd < 0)
		return;
	for (i = 0; i < NOTIFY_READS_PER_WAKEUP; i++) {
		n = notify_recv(sup->notify_fd, buf, sizeof(buf), &sender);
		if (n == 0 || n == -EAGAIN)
			return;
		if (n == -EMSGSIZE)
			log_warn("notify: datagram from pid %d over %d bytes: dropped", (int)sender,
				 NOTIFY_MAX_DATAGRAM);
		if (n < 0)
			continue; /* no credentials, too long, or an error on one datagram */
		svc = service_of_sender(sup, sender);
		if (!svc || !svc->cfg || svc->cfg->type != SVC_NOTIFY) {
			log_debug("notify: ignored datagram from pid %d (not a notify service)",
				  (int)sender);
			continue;
		}
		notify_parse(buf, (size_t)n, &msg);
		svc_notify(svc, &msg, sender);
	}
}

static void
on_notify(struct ev_loop *loop, ev_io *w, int revents)
{
	struct supervisor *sup = container_of(w, struct supervisor, notify_io.io);

	if (iowatch_dropped(loop, &sup->notify_io, revents))
		return;
	sup_read_notify(sup);
}

/* ---- removal -------------------------------------------------------------- */

static void
free_retired_if_unused(struct supervisor *sup)
{
	size_t i;

	for (i = 0; i < sup->nsvcs; i++)
		if (sup->svcs[i]->removed)
			return;
	for (i = 0; i < sup->nretired; i++)
		cfg_free(&sup->retired[i]);
	free(sup->retired);
	sup->retired = NULL;
	sup->nretired = 0;
}

/* Keep OLD alive while removed services still point into it. */
static void
retire(struct supervisor *sup, struct cfg *old)
{
	struct cfg *nv = realloc(sup->retired, (sup->nretired + 1) * sizeof(*nv));

	if (!nv) {
		log_error("out of memory keeping the old configuration");
		return; /* leak rather than use freed memory */
	}
	sup->retired = nv;
	sup->retired[sup->nretired++] = *old;
}

static void
on_collect(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct supervisor *sup = container_of(w, struct supervisor, collect);
	size_t i, out = 0;

	(void)revents;
	ev_prepare_stop(loop, w);
	for (i = 0; i < sup->nsvcs; i++) {
		struct service *svc = sup->svcs[i];

		if (svc->removed && !svc_has_process(svc) && svc->pid <= 0) {
			log_info("service %s: removed", svc->name);
			if (sup->on_removed)
				sup->on_removed(sup, svc);
			svc_free(svc);
			continue;
		}
		svc->index = out;
		sup->svcs[out++] = svc;
	}
	sup->nsvcs = out;
	free_retired_if_unused(sup);
	link_dependencies(sup);
}

static int
append_service(struct supervisor *sup, const struct cfg_service *c)
{
	struct service **nv, *svc;

	if (sup->nsvcs == sup->cap) {
		size_t cap = sup->cap ? sup->cap * 2 : 16;

		nv = realloc(sup->svcs, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		sup->svcs = nv;
		sup->cap = cap;
	}
	svc = svc_new(sup, c);
	if (!svc)
		return -ENOMEM;
	svc->index = sup->nsvcs;
	sup->svcs[sup->nsvcs++] = svc;
	return 0;
}

/* ---- life cycle ----------------------------------------------------------- */

static void
open_notify(struct supervisor *sup)
{
	size_t i;
	bool wanted = false;

	for (i = 0; i < sup->cfg.nservices; i++)
		wanted |= sup->cfg.services[i].type == SVC_NOTIFY;
	if (!wanted || sup->notify_fd >= 0)
		return;
	sup->notify_fd = notify_open(sup->notify_addr, sizeof(sup->notify_addr));
	if (sup->notify_fd < 0) {
		log_warn("cannot open the notify socket: %s", strerror(-sup->notify_fd));
		sup->notify_addr[0] = '\0';
		return;
	}
	iowatch_init(&sup->notify_io, on_notify, sup->notify_fd, EV_READ, "the notify socket", NULL);
	iowatch_start(sup->loop, &sup->notify_io);
}

int
sup_init(struct supervisor *sup, struct ev_loop *loop, struct cfg *cfg)
{
	size_t i;

	memset(sup, 0, sizeof(*sup));
	sup->loop = loop;
	sup->notify_fd = -1;
	sup->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	ev_prepare_init(&sup->collect, on_collect);
	ev_idle_init(&sup->evaluate, on_evaluate);
	sup->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (sup->devnull < 0)
		log_warn("cannot open /dev/null: %m; services inherit sexton's stdin");
	if (pidmap_init(&sup->pids, sup->cfg.nservices + 16) < 0)
		return -ENOMEM;
	for (i = 0; i < sup->cfg.nservices; i++)
		if (append_service(sup, &sup->cfg.services[i]) < 0)
			return -ENOMEM;
	open_notify(sup);
	return link_dependencies(sup);
}

void
sup_start_all(struct supervisor *sup)
{
	size_t i;

	for (i = 0; i < sup->nsvcs; i++)
		sup->svcs[i]->want_up = sup->svcs[i]->cfg->autostart;
	evaluate_all(sup);
}

void
sup_stop_all(struct supervisor *sup)
{
	sup->stopping_all = true;
	evaluate_all(sup);
	if (sup_all_down(sup) && sup->on_all_down)
		sup->on_all_down(sup);
}

void
sup_destroy(struct supervisor *sup)
{
	size_t i;

	if (!sup->loop)
		return;
	ev_idle_stop(sup->loop, &sup->evaluate);
	ev_prepare_stop(sup->loop, &sup->collect);
	for (i = 0; i < sup->nsvcs; i++)
		svc_free(sup->svcs[i]);
	free(sup->svcs);
	if (sup->notify_fd >= 0) {
		iowatch_stop(sup->loop, &sup->notify_io);
		close(sup->notify_fd);
	}
	if (sup->devnull >= 0)
		close(sup->devnull);
	pidmap_free(&sup->pids);
	cfg_free(&sup->cfg);
	for (i = 0; i < sup->nretired; i++)
		cfg_free(&sup->retired[i]);
	free(sup->retired);
}

/* ---- reload --------------------------------------------------------------- */

/* Does a service that is to be up depend on SVC? (A failed dependency
 * with autostart = no is wanted by its dependents, not by itself.) */
static bool
wanted_by_dependent(const struct service *svc)
{
	size_t i;

	for (i = 0; i < svc->ndependents; i++)
		if (svc->dependents[i]->want_up)
			return true;
	return false;
}

static void
reload_existing(struct supervisor *sup, struct service *svc, const struct cfg_service *nc)
{
	bool changed = cfg_service_changed(svc->cfg, nc);
	bool now_autostart = nc->autostart && !svc->cfg->autostart;

	svc->cfg = nc;
	if (svc->out && nc->output == OUT_FILE) /* in place, as cfg_service_changed says */
		svc_out_set_rotation(svc->out, nc->log_max_size, nc->log_keep);
	if (now_autostart && !svc->want_up) {
		/* As a new service would: the evaluation after the reload starts
		 * it; a failed one waits for a start, or for a change below. */
		if (svc->state == SVC_FAILED && !changed)
			log_info("service %s: autostart now; failed: not started", svc->name);
		else
			log_info("service %s: autostart now: starting", svc->name);
		svc->want_up = true;
	}
	if (!changed)
		return;
	if (svc_has_process(svc) && svc->want_up) {
		log_info("service %s: configuration changed: restarting", svc->name);
		svc_step(svc, SVC_EV_RESTART);
	} else if (svc->state == SVC_FAILED || svc->state == SVC_BACKOFF) {
		/* Down now; the evaluation after the reload starts it (its
		 * dependencies first) if it is to start by itself, or if what
		 * waits for it is. */
		bool wanted = nc->autostart || svc->want_up || wanted_by_dependent(svc);

		log_info("service %s: configuration changed: %s", svc->name,
			 wanted ? "restarting" : "for its next start");
		svc_step(svc, svc->state == SVC_FAILED ? SVC_EV_FORGIVE : SVC_EV_STOP);
		svc->want_up = wanted;
	} else {
		/* Stopped, or being stopped by an operator: a reload does not
		 * undo a stop. */
		log_info("service %s: configuration changed: for its next start", svc->name);
	}
	(void)sup;
}

void
sup_reload(struct supervisor *sup, struct cfg *newcfg)
{
	struct cfg old = sup->cfg;
	const struct cfg_service *nc;
	struct service *svc;
	size_t i, n = sup->nsvcs;
	bool any_removed = false;

	sup->cfg = *newcfg;
	memset(newcfg, 0, sizeof(*newcfg));
	for (i = 0; i < n; i++) {
		svc = sup->svcs[i];
		if (svc->removed)
			continue;
		nc = cfg_find_service(&sup->cfg, svc->name);
		if (nc) {
			reload_existing(sup, svc, nc);
			continue;
		}
		log_info("service %s: removed from the configuration: stopping", svc->name);
		svc->removed = true;
		svc->want_up = false;
		any_removed = true;
	}
	for (i = 0; i < sup->cfg.nservices; i++) {
		nc = &sup->cfg.services[i];
		if (sup_find(sup, nc->name))
			continue;
		if (append_service(sup, nc) < 0) {
			log_error("service %s: out of memory", nc->name);
			continue;
		}
		sup->svcs[sup->nsvcs - 1]->want_up = nc->autostart;
		log_info("service %s: added", nc->name);
	}
	pidmap_reserve(&sup->pids, sup->nsvcs + 16);
	link_dependencies(sup);
	open_notify(sup);
	if (any_removed)
		retire(sup, &old);
	else
		cfg_free(&old); /* nothing points into it any more */
	evaluate_all(sup);
	ev_prepare_start(sup->loop, &sup->collect);
}
