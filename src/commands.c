/* commands — see include/commands.h. */
#include "commands.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "control.h"
#include "ctlproto.h"
#include "json.h"
#include "output.h"
#include "diagfmt.h"
#include "evmem.h"
#include "procscan.h"
#include "service.h"
#include "sexton.h"
#include "signames.h"

#define OPERATION_TIMEOUT_S 120.0 /* start/stop/restart waiting for a state */

static struct sexton *
owner(struct control *ctl)
{
	return ctl->owner;
}

static double
now(struct sexton *sx)
{
	return ev_now(sx->loop);
}

static void
send_json(struct ctl_client *cl, struct json *j, bool last)
{
	const char *text;
	size_t len;

	text = json_finish(j, &len);
	if (text)
		ctl_reply(cl, text, len, last);
	else
		ctl_error(cl, 1, "out of memory");
	json_free(j);
}

/* ---- services as JSON ------------------------------------------------------- */

/* The last exit's code (exited) and signal (killed) as JSON values, null
 * where they do not apply: shared by the object and the row forms. */
static void
json_exit_code(struct json *j, const struct service *svc)
{
	if (svc->has_last_exit && WIFEXITED(svc->last_status))
		json_int(j, WEXITSTATUS(svc->last_status));
	else
		json_write_null(j);
}

static void
json_exit_signal(struct json *j, const struct service *svc)
{
	char name[16];

	if (svc->has_last_exit && WIFSIGNALED(svc->last_status))
		json_str(j, sig_name(WTERMSIG(svc->last_status), name, sizeof(name)));
	else
		json_write_null(j);
}

static void
json_last_exit(struct json *j, const struct service *svc)
{
	if (!svc->has_last_exit) {
		json_write_null(j);
		return;
	}
	json_obj_begin(j);
	json_key(j, "code");
	json_exit_code(j, svc);
	json_key(j, "signal");
	json_exit_signal(j, svc);
	json_obj_end(j);
}

static void
json_service(struct json *j, struct sexton *sx, const struct service *svc)
{
	json_obj_begin(j);
	json_key(j, "name");
	json_str(j, svc->name);
	json_key(j, "state");
	json_str(j, svc_state_name(svc->state));
	json_key(j, "pid");
	if (svc->pid > 0)
		json_int(j, svc->pid);
	else
		json_write_null(j);
	json_key(j, "ready");
	json_bool(j, svc_is_up(svc));
	json_key(j, "restarts");
	json_int(j, svc->restarts);
	json_key(j, "uptime_s");
	json_double(j, now(sx) - svc->state_since);
	json_key(j, "last_exit");
	json_last_exit(j, svc);
	json_key(j, "status_text");
	json_str(j, svc->status_text);
	json_key(j, "reason");
	json_str(j, svc->reason);
	json_obj_end(j);
}

typedef void json_service_fn(struct json *j, struct sexton *sx, const struct service *svc);

/* PUT each service named in O (known to exist), or every configured one,
 * into the array KEY. */
static void
json_listed(struct json *j, const char *key, struct sexton *sx, const struct ctl_opts *o,
	    json_service_fn *put)
{
	size_t i;
	int k;

	json_key(j, key);
	json_arr_begin(j);
	if (o && o->nnames) {
		for (k = 0; k < o->nnames; k++)
			put(j, sx, sup_find(&sx->sup, o->names[k]));
	} else if (sx->have_services) {
		for (i = 0; i < sx->sup.nsvcs; i++)
			if (!sx->sup.svcs[i]->removed)
				put(j, sx, sx->sup.svcs[i]);
	}
	json_arr_end(j);
}

static void
json_services(struct json *j, struct sexton *sx, const struct ctl_opts *o)
{
	json_listed(j, "services", sx, o, json_service);
}

/* Every name must be a service; answers the error itself. */
static bool
names_known(struct sexton *sx, struct ctl_client *cl, const struct ctl_opts *o)
{
	int k;

	for (k = 0; k < o->nnames; k++) {
		if (!sx->have_services || !sup_find(&sx->sup, o->names[k])) {
			ctl_error(cl, 2, "no such service: %s", o->names[k]);
			return false;
		}
	}
	return true;
}

static bool
get_opts(struct ctl_client *cl, struct ctl_opts *o)
{
	const char *err;

	if (ctl_parse_opts(&cl->req, o, &err) == 0)
		return true;
	ctl_error(cl, 2, "%s: %s", ctl_name(cl->req.cmd), err);
	return false;
}

/* The options of a command that takes exactly one known service. */
static bool
get_one_service(struct sexton *sx, struct ctl_client *cl, struct ctl_opts *o)
{
	if (!get_opts(cl, o) || !names_known(sx, cl, o))
		return false;
	if (o->nnames == 1)
		return true;
	ctl_error(cl, 2, "%s: exactly one service", ctl_name(cl->req.cmd));
	return false;
}

/*
 * status --rows: the same values as arrays in the order of "columns".
 * A client builds no hash table per service: sextonctl's table of 1000
 * services parses in half the time (PROTOCOL.md).
 */
static const char *const row_columns[] = { "name",	   "state",	  "pid",
					   "ready",	   "restarts",	  "uptime_s",
					   "last_code",	   "last_signal", "status_text",
					   "reason" };

static void
json_service_row(struct json *j, struct sexton *sx, const struct service *svc)
{
	json_arr_begin(j);
	json_str(j, svc->name);
	json_str(j, svc_state_name(svc->state));
	if (svc->pid > 0)
		json_int(j, svc->pid);
	else
		json_write_null(j);
	json_bool(j, svc_is_up(svc));
	json_int(j, svc->restarts);
	json_double(j, now(sx) - svc->state_since);
	json_exit_code(j, svc);
	json_exit_signal(j, svc);
	json_str(j, svc->status_text);
	json_str(j, svc->reason);
	json_arr_end(j);
}

static void
json_service_rows(struct json *j, struct sexton *sx, const struct ctl_opts *o)
{
	size_t i;

	json_key(j, "columns");
	json_arr_begin(j);
	for (i = 0; i < sizeof(row_columns) / sizeof(*row_columns); i++)
		json_str(j, row_columns[i]);
	json_arr_end(j);
	json_listed(j, "rows", sx, o, json_service_row);
}

static void
cmd_status(struct sexton *sx, struct ctl_client *cl)
{
	struct ctl_opts o;
	struct json j;

	if (!get_opts(cl, &o) || !names_known(sx, cl, &o))
		return;
	json_init(&j);
	json_obj_begin(&j);
	if (o.rows)
		json_service_rows(&j, sx, &o);
	else
		json_services(&j, sx, &o);
	json_obj_end(&j);
	send_json(cl, &j, true);
}

/* ---- start / stop / restart, waiting for the state ---------------------------- */

enum goal { GOAL_PENDING, GOAL_REACHED, GOAL_FAILED };

/* "web: failed: REASON" for a failed service; "web: not started:
 * dependency db failed" for one a failed dependency blocks. */
static void
failure_text(char *out, size_t len, const struct service *svc)
{
	if (svc->state != SVC_FAILED)
		snprintf(out, len, "%s: %s", svc->name, svc->reason);
	else
		snprintf(out, len, "%s: failed%s%s", svc->name, svc->reason[0] ? ": " : "",
			 svc->reason);
}

static enum goal
goal_of(enum ctl_cmd cmd, const struct service *svc)
{
	if (cmd == CTL_STOP)
		return svc_has_process(svc) && svc->pid > 0 && !svc->stuck ? GOAL_PENDING
									     : GOAL_REACHED;
	if (svc_is_up(svc))
		return GOAL_REACHED;
	if (svc->state == SVC_FAILED || svc->blocked)
		return GOAL_FAILED;
	return GOAL_PENDING;
}

/* Answer CL if every named service reached the goal or one failed. */
static void
check_operation(struct sexton *sx, struct ctl_client *cl)
{
	const struct service *svc, *failed = NULL;
	bool pending = false;
	struct ctl_opts o;
	struct json j;
	int k;

	ctl_parse_opts(&cl->req, &o, &(const char *){ NULL });
	for (k = 0; k < o.nnames; k++) {
		svc = sup_find(&sx->sup, o.names[k]);
		if (!svc)
			continue; /* removed by a reload meanwhile */
		switch (goal_of(cl->req.cmd, svc)) {
		case GOAL_PENDING: pending = true; break;
		case GOAL_FAILED: failed = failed ? failed : svc; break;
		case GOAL_REACHED: break;
		}
	}
	if (pending && !failed)
		return;
	json_init(&j);
	json_obj_begin(&j);
	if (failed) {
		char msg[512];

		failure_text(msg, sizeof(msg), failed);
		json_key(&j, "error");
		json_str(&j, msg);
		json_key(&j, "code");
		json_int(&j, 1);
	}
	json_services(&j, sx, &o);
	json_obj_end(&j);
	send_json(cl, &j, true);
}

static void
cmd_operation(struct sexton *sx, struct ctl_client *cl)
{
	unsigned long long round;
	struct service *svc;
	struct ctl_opts o;
	int k;

	if (!get_opts(cl, &o) || !names_known(sx, cl, &o))
		return;
	if (sx->phase != SX_RUNNING && cl->req.cmd != CTL_STOP) {
		ctl_error(cl, 1, "sexton is shutting down");
		return;
	}
	round = sup_start_round(&sx->sup);
	for (k = 0; k < o.nnames; k++) {
		svc = sup_find(&sx->sup, o.names[k]);
		/* A restart of a service that is down is a start: its
		 * dependencies come first. One in backoff starts at once. */
		if (cl->req.cmd == CTL_START ||
		    (cl->req.cmd == CTL_RESTART && !svc_has_process(svc) && svc->state != SVC_BACKOFF))
			sup_start_service(&sx->sup, svc, round);
		else if (cl->req.cmd == CTL_STOP)
			sup_stop_service(&sx->sup, svc);
		else
			svc_step(svc, SVC_EV_RESTART);
	}
	if (o.no_wait) {
		struct json j;

		json_init(&j);
		json_obj_begin(&j);
		json_services(&j, sx, &o);
		json_obj_end(&j);
		send_json(cl, &j, true);
		return;
	}
	ctl_park(cl, now(sx) + OPERATION_TIMEOUT_S);
	check_operation(sx, cl);
}

/* ---- wait ---------------------------------------------------------------------- */

/* The service a parked wait names: its one name, wherever the options
 * stand ("wait --timeout 5 web"); cmd_wait checked it. */
static const char *
wait_name(const struct ctl_client *cl)
{
	struct ctl_opts o;

	ctl_parse_opts(&cl->req, &o, &(const char *){ NULL });
	return o.nnames ? o.names[0] : "?";
}

static void
check_wait(struct sexton *sx, struct ctl_client *cl)
{
	const char *name = wait_name(cl);
	const struct service *svc = sup_find(&sx->sup, name);
	struct json j;

	if (!svc) {
		ctl_error(cl, 1, "%s: removed from the configuration", name);
		return;
	}
	if (svc->state == SVC_FAILED || svc->blocked) {
		char msg[512];

		failure_text(msg, sizeof(msg), svc);
		ctl_error(cl, 1, "%s", msg);
		return;
	}
	if (!svc_is_up(svc))
		return;
	json_init(&j);
	json_obj_begin(&j);
	json_key(&j, "name");
	json_str(&j, svc->name);
	json_key(&j, "ready");
	json_bool(&j, true);
	json_obj_end(&j);
	send_json(cl, &j, true);
}

static void
cmd_wait(struct sexton *sx, struct ctl_client *cl)
{
	struct ctl_opts o;

	if (!get_one_service(sx, cl, &o))
		return;
	ctl_park(cl, o.timeout > 0 ? now(sx) + o.timeout : 0);
	check_wait(sx, cl);
}

/* ---- log ----------------------------------------------------------------------- */

static void
add_line(void *ctx, const char *line, size_t len)
{
	json_strn(ctx, line, len);
}

struct ring_line {
	const struct service *svc;
	const char *text;
	size_t len;
};

static void
send_line(void *ctx, struct ctl_client *cl)
{
	const struct ring_line *l = ctx;

	if (cl->req.cmd == CTL_LOG && cl->follow == l->svc)
		ctl_reply(cl, l->text, l->len, false); /* a slow follower is dropped there */
}

/* A new line of a tagged service: to every client following it, once. */
static void
on_ring_line(void *ctx, const char *line, size_t len)
{
	struct service *svc = ctx;
	struct sexton *sx = svc->sup->owner;
	struct ring_line l = { .svc = svc };
	struct json j;

	json_init(&j);
	json_obj_begin(&j);
	json_key(&j, "line");
	json_strn(&j, line, len);
	json_obj_end(&j);
	l.text = json_finish(&j, &l.len);
	if (l.text)
		ctl_each_parked(&sx->ctl, send_line, &l);
	json_free(&j);
}

static void
cmd_log(struct sexton *sx, struct ctl_client *cl)
{
	struct service *svc;
	struct ctl_opts o;
	struct json j;

	if (!get_one_service(sx, cl, &o))
		return;
	svc = sup_find(&sx->sup, o.names[0]);
	if (svc->cfg->output != OUT_TAGGED) {
		ctl_error(cl, 1, "%s: output is not 'tagged': sexton keeps no lines of it", svc->name);
		return;
	}
	json_init(&j);
	json_obj_begin(&j);
	json_key(&j, "name");
	json_str(&j, svc->name);
	json_key(&j, "lines");
	json_arr_begin(&j);
	if (svc->ring) /* none until the service first ran */
		line_ring_tail(svc->ring, (size_t)o.lines, add_line, &j);
	json_arr_end(&j);
	json_obj_end(&j);
	if (!o.follow) {
		send_json(cl, &j, true);
		return;
	}
	if (!svc->ring && line_ring_new(&svc->ring, OUT_RING_LINES) < 0) {
		json_free(&j);
		ctl_error(cl, 1, "out of memory");
		return;
	}
	cl->follow = svc;
	line_ring_set_listener(svc->ring, on_ring_line, svc);
	ctl_park(cl, 0);
	send_json(cl, &j, false);
}

/* ---- signal, reload, shutdown, system ------------------------------------------ */

static void
cmd_signal(struct sexton *sx, struct ctl_client *cl)
{
	struct service *svc = sx->have_services ? sup_find(&sx->sup, cl->req.argv[0]) : NULL;
	int sig = sig_parse(cl->req.argv[1]), rc;
	char name[16];
	struct json j;

	if (!svc) {
		ctl_error(cl, 2, "no such service: %s", cl->req.argv[0]);
		return;
	}
	if (sig <= 0) {
		ctl_error(cl, 2, "signal: unknown signal '%s'", cl->req.argv[1]);
		return;
	}
	rc = svc_signal(svc, sig);
	if (rc < 0) {
		ctl_error(cl, 1, "%s: %s", svc->name,
			  rc == -ESRCH ? "no process to signal" : strerror(-rc));
		return;
	}
	json_init(&j);
	json_obj_begin(&j);
	json_key(&j, "name");
	json_str(&j, svc->name);
	json_key(&j, "signal");
	json_str(&j, sig_name(sig, name, sizeof(name)));
	json_obj_end(&j);
	send_json(cl, &j, true);
}

static void
add_error_line(void *arg, const char *line)
{
	json_str(arg, line);
}

static void
cmd_reload(struct sexton *sx, struct ctl_client *cl)
{
	struct cfg_errors errs = { 0 };
	struct json j;
	int rc;

	if (sx->phase != SX_RUNNING) {
		/* As SIGHUP then: a change now would restart a dependency while
		 * its dependents are still stopping. */
		ctl_error(cl, 1, "sexton is shutting down: nothing reloaded");
		return;
	}
	rc = sx_reload(sx, &errs);
	json_init(&j);
	json_obj_begin(&j);
	if (rc == 0) {
		json_key(&j, "reloaded");
		json_bool(&j, true);
	} else {
		json_key(&j, "error");
		json_str(&j, rc == -ENOENT ? "no configuration file to reload"
					   : "the configuration has errors; nothing changed");
		json_key(&j, "code");
		json_int(&j, 1);
		json_key(&j, "errors");
		json_arr_begin(&j);
		if (rc != -ENOENT)
			cfg_errors_each(&errs, add_error_line, &j);
		json_arr_end(&j);
	}
	json_obj_end(&j);
	cfg_errors_free(&errs);
	send_json(cl, &j, true);
}

/* {"KEY":true}: the answer of a command that ends sexton, sent before the
 * stop begins. */
static void
answer_stopping(struct ctl_client *cl, const char *key)
{
	struct json j;

	json_init(&j);
	json_obj_begin(&j);
	json_key(&j, key);
	json_bool(&j, true);
	json_obj_end(&j);
	send_json(cl, &j, true);
}

static void
cmd_shutdown(struct sexton *sx, struct ctl_client *cl)
{
	answer_stopping(cl, "shutdown");
	sx_shutdown(sx, "sextonctl shutdown");
}

/* ---- ps, doctor, metrics, check ------------------------------------------------ */

/* The finding ps marks on process P, or NULL. */
static const char *
finding_of(const struct diag_report *r, const struct proc_info *p)
{
	const struct diag_finding *f;
	size_t i, k;

	for (i = 0; i < r->n; i++) {
		f = &r->v[i];
		if (f->kind != DIAG_UNREAPED && f->pid == p->pid)
			return diag_kind_name(f->kind);
		for (k = 0; f->kind == DIAG_UNREAPED && k < f->nthreads; k++)
			if (f->threads[k].tid == p->pid)
				return diag_kind_name(f->kind);
	}
	return NULL;
}

static void
json_process(struct json *j, const struct proc_snapshot *snap, const struct proc_info *p,
	     const char *service, const char *finding)
{
	char state[2] = { p->state, '\0' };
	const struct proc_thread *t;
	size_t k;

	json_obj_begin(j);
	json_key(j, "pid");
	json_int(j, p->pid);
	json_key(j, "ppid");
	json_int(j, p->ppid);
	json_key(j, "state");
	json_str(j, state);
	json_key(j, "comm");
	json_str(j, p->comm);
	json_key(j, "wchan");
	json_str(j, p->wchan);
	json_key(j, "service");
	json_str(j, service);
	json_key(j, "threads");
	json_arr_begin(j);
	for (k = 0; k < p->nthreads; k++) {
		t = &snap->t[p->thread0 + k];
		state[0] = t->state;
		json_obj_begin(j);
		json_key(j, "tid");
		json_int(j, t->tid);
		json_key(j, "state");
		json_str(j, state);
		json_key(j, "wchan");
		json_str(j, t->wchan);
		json_obj_end(j);
	}
	json_arr_end(j);
	if (finding) {
		json_key(j, "finding");
		json_str(j, finding);
	}
	json_obj_end(j);
}

/* ps answers younger than this are sent again rather than made anew: a
 * client asking in a loop cannot keep PID 1 scanning /proc. */
#define PS_REUSE_S 0.2

static void
cmd_ps(struct sexton *sx, struct ctl_client *cl)
{
	struct proc_snapshot snap = { 0 };
	struct diag_report r = { 0 };
	const struct proc_info *p;
	const char *text;
	struct json j;
	size_t i, len;
	int rc;

	if (sx->ps_answer && now(sx) - sx->ps_answer_at < PS_REUSE_S) {
		ctl_reply(cl, sx->ps_answer, sx->ps_answer_len, true);
		return;
	}
	rc = procscan(&snap, PROCSCAN_THREADS | PROCSCAN_WCHAN_ALL);
	if (rc < 0) {
		ctl_error(cl, 1, "ps: cannot read /proc: %s", strerror(-rc));
		return;
	}
	doctor_instant(&sx->doc, &snap, &r);
	json_init(&j);
	json_obj_begin(&j);
	json_key(&j, "processes");
	json_arr_begin(&j);
	for (i = 0; i < snap.n; i++) {
		p = &snap.v[i];
		if (p->ours || (sx->is_pid1 && p->pid == 1))
			json_process(&j, &snap, p, sx->doc.service_of(sx, p), finding_of(&r, p));
	}
	json_arr_end(&j);
	json_obj_end(&j);
	diag_report_free(&r);
	procscan_free(&snap);
	text = json_finish(&j, &len);
	free(sx->ps_answer);
	sx->ps_answer = text ? malloc(len) : NULL;
	if (sx->ps_answer) {
		memcpy(sx->ps_answer, text, len);
		sx->ps_answer_len = len;
		sx->ps_answer_at = now(sx);
	}
	if (text)
		ctl_reply(cl, text, len, true);
	else
		ctl_error(cl, 1, "out of memory");
	json_free(&j);
}

static void
read_limits(struct diag_limits *l)
{
	long n = procscan_count();

	diag_limits_read(l, n >= 0 ? n : -1);
}

/* doctor and check wait for a sampled run (about 0.5 s when something is
 * in D or Z; at once otherwise): cmd_doctor_done answers them. */
static void
cmd_doctor(struct sexton *sx, struct ctl_client *cl)
{
	ctl_park(cl, ev_now(sx->loop) + OPERATION_TIMEOUT_S);
	doctor_request(&sx->doc, false);
}

static void
answer_doctor(struct ctl_client *cl, const struct diag_report *r)
{
	struct json j;

	json_init(&j);
	diagfmt_json(&j, r);
	send_json(cl, &j, true);
}

/* A growing text buffer for the exposition format. */
struct text {
	char *p;
	size_t len, cap;
	bool oom;
};

static void text_printf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
text_printf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *np;

	for (;;) {
		if (t->oom)
			return;
		va_start(ap, fmt);
		n = vsnprintf(t->p ? t->p + t->len : NULL, t->p ? t->cap - t->len : 0, fmt, ap);
		va_end(ap);
		if (n >= 0 && t->p && t->len + (size_t)n < t->cap) {
			t->len += (size_t)n;
			return;
		}
		t->cap = t->cap ? t->cap * 2 : 4096;
		while (n >= 0 && t->cap < t->len + (size_t)n + 1)
			t->cap *= 2;
		np = realloc(t->p, t->cap);
		if (!np || n < 0) {
			t->oom = true;
			return;
		}
		t->p = np;
	}
}

static void
metric(struct text *f, const char *name, const char *type, const char *help)
{
	text_printf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
service_metrics(struct text *f, struct sexton *sx)
{
	static const char *const states[] = { "stopped", "starting", "running", "stopping",
					      "backoff", "failed", "done" };
	const struct service *svc;
	size_t i, s;

	metric(f, "sexton_service_state", "gauge", "1 for the state the service is in.");
	for (i = 0; i < sx->sup.nsvcs; i++)
		for (s = 0, svc = sx->sup.svcs[i]; s < sizeof(states) / sizeof(*states); s++)
			text_printf(f, "sexton_service_state{service=\"%s\",state=\"%s\"} %d\n",
				svc->name, states[s], svc->state == s);
	metric(f, "sexton_service_up", "gauge", "1 if running and ready (or a oneshot done).");
	for (i = 0; i < sx->sup.nsvcs; i++)
		text_printf(f, "sexton_service_up{service=\"%s\"} %d\n", sx->sup.svcs[i]->name,
			svc_is_up(sx->sup.svcs[i]));
	metric(f, "sexton_service_restarts_total", "counter", "Restarts since sexton started.");
	for (i = 0; i < sx->sup.nsvcs; i++)
		text_printf(f, "sexton_service_restarts_total{service=\"%s\"} %u\n",
			sx->sup.svcs[i]->name, sx->sup.svcs[i]->restarts);
	metric(f, "sexton_service_state_seconds", "gauge", "Seconds in the current state.");
	for (i = 0; i < sx->sup.nsvcs; i++)
		text_printf(f, "sexton_service_state_seconds{service=\"%s\"} %.3f\n",
			sx->sup.svcs[i]->name, now(sx) - sx->sup.svcs[i]->state_since);
	metric(f, "sexton_service_last_exit_code", "gauge",
	       "Exit code of the last exit (128+N when killed by signal N).");
	for (i = 0; i < sx->sup.nsvcs; i++)
		if (sx->sup.svcs[i]->has_last_exit)
			text_printf(f, "sexton_service_last_exit_code{service=\"%s\"} %d\n",
				sx->sup.svcs[i]->name, svc_exit_code(sx->sup.svcs[i]));
}

static void
cmd_metrics(struct sexton *sx, struct ctl_client *cl)
{
	struct text t = { 0 }, *f = &t;
	struct diag_limits l;
	struct json j;

	if (sx->have_services)
		service_metrics(f, sx);
	metric(f, "sexton_orphans_reaped_total", "counter", "Adopted processes reaped.");
	text_printf(f, "sexton_orphans_reaped_total %lu\n", sx->orphans_reaped);
	metric(f, "sexton_reap_passes_total", "counter",
	       "Drains of the child list (waitpid(-1) until nothing more has exited).");
	text_printf(f, "sexton_reap_passes_total %lu\n", sx->reap_passes);
	metric(f, "sexton_memory_waits_total", "counter",
	       "Waits of 10 ms for memory libev could not get (evmem).");
	text_printf(f, "sexton_memory_waits_total %lu\n", evmem_waits());
	metric(f, "sexton_control_requests_total", "counter", "Control socket requests.");
	text_printf(f, "sexton_control_requests_total %llu\n", sx->ctl.requests);
	if (sx->have_services && sx->sup.sink) {
		metric(f, "sexton_output_lines_dropped_total", "counter",
		       "Tagged lines dropped because stdout was too slow.");
		text_printf(f, "sexton_output_lines_dropped_total %llu\n",
			out_sink_dropped(sx->sup.sink));
	}
	read_limits(&l);
	metric(f, "sexton_pids", "gauge", "Processes in sexton's PID namespace.");
	text_printf(f, "sexton_pids %ld\n", l.pids);
	metric(f, "sexton_pid_max", "gauge", "kernel.pid_max.");
	text_printf(f, "sexton_pid_max %ld\n", l.pid_max);
	metric(f, "sexton_threads", "gauge", "Threads on the system.");
	text_printf(f, "sexton_threads %ld\n", l.threads);
	metric(f, "sexton_threads_max", "gauge", "kernel.threads-max.");
	text_printf(f, "sexton_threads_max %ld\n", l.threads_max);
	if (l.cgroup_pids_max > 0) {
		metric(f, "sexton_cgroup_pids", "gauge",
		       "Tasks in the pids cgroup with the least headroom (threads, zombies).");
		text_printf(f, "sexton_cgroup_pids %ld\n", l.cgroup_pids);
		metric(f, "sexton_cgroup_pids_max", "gauge", "That cgroup's pids.max.");
		text_printf(f, "sexton_cgroup_pids_max %ld\n", l.cgroup_pids_max);
	}
	if (t.oom) {
		free(t.p);
		ctl_error(cl, 1, "out of memory");
		return;
	}
	json_init(&j);
	json_obj_begin(&j);
	json_key(&j, "text");
	json_strn(&j, t.p, t.len);
	json_obj_end(&j);
	free(t.p);
	send_json(cl, &j, true);
}

static void
cmd_check(struct sexton *sx, struct ctl_client *cl)
{
	cmd_doctor(sx, cl);
}

static void
answer_check(struct sexton *sx, struct ctl_client *cl, const struct diag_report *r)
{
	const struct service *svc;
	const struct diag_finding *f;
	char msg[512];
	struct json j;
	bool ok = true;
	size_t i;

	json_init(&j);
	json_obj_begin(&j);
	json_key(&j, "problems");
	json_arr_begin(&j);
	for (i = 0; sx->have_services && i < sx->sup.nsvcs; i++) {
		svc = sx->sup.svcs[i];
		if (svc->removed || !svc->cfg->autostart || svc_is_up(svc))
			continue;
		snprintf(msg, sizeof(msg), "%s: %s%s%s", svc->name, svc_state_name(svc->state),
			 svc->reason[0] ? ": " : "", svc->reason);
		json_str(&j, msg);
		ok = false;
	}
	for (i = 0; i < r->n; i++) {
		f = &r->v[i];
		if (f->kind != DIAG_STUCK)
			continue;
		snprintf(msg, sizeof(msg), "stuck: pid %d tid %d (%s)%s%s: D in %s", (int)f->pid,
			 (int)f->tid, f->comm, f->service[0] ? " of service " : "", f->service,
			 f->wchan[0] ? f->wchan : "?");
		json_str(&j, msg);
		ok = false;
	}
	json_arr_end(&j);
	json_key(&j, "ok");
	json_bool(&j, ok);
	json_obj_end(&j);
	send_json(cl, &j, true);
}

struct doctor_answer {
	struct sexton *sx;
	const struct diag_report *r;
};

static void
answer_parked(void *ctx, struct ctl_client *cl)
{
	const struct doctor_answer *a = ctx;

	if (cl->req.cmd == CTL_DOCTOR)
		answer_doctor(cl, a->r);
	else if (cl->req.cmd == CTL_CHECK)
		answer_check(a->sx, cl, a->r);
}

void
cmd_doctor_done(struct sexton *sx, const struct diag_report *r)
{
	struct doctor_answer a = { sx, r };

	if (sx->have_ctl)
		ctl_each_parked(&sx->ctl, answer_parked, &a);
}

/* poweroff, reboot, halt. */
static void
cmd_system(struct sexton *sx, struct ctl_client *cl)
{
	enum sys_action a = cl->req.cmd == CTL_REBOOT ? SYS_REBOOT
			    : cl->req.cmd == CTL_HALT ? SYS_HALT
						      : SYS_POWEROFF;
	char why[32];

	if (!sx->sys) {
		ctl_error(cl, 1, "%s: only in system mode (a [system] section in the configuration, "
				 "no COMMAND, sexton as PID 1)",
			  ctl_name(cl->req.cmd));
		return;
	}
	answer_stopping(cl, sys_action_name(a));
	snprintf(why, sizeof(why), "sextonctl %s", sys_action_name(a));
	sx_system_action(sx, a, why);
}

/* ---- dispatch ------------------------------------------------------------------- */

void
cmd_dispatch(struct control *ctl, struct ctl_client *cl)
{
	struct sexton *sx = owner(ctl);

	switch (cl->req.cmd) {
	case CTL_STATUS: cmd_status(sx, cl); return;
	case CTL_START:
	case CTL_STOP:
	case CTL_RESTART: cmd_operation(sx, cl); return;
	case CTL_SIGNAL: cmd_signal(sx, cl); return;
	case CTL_RELOAD: cmd_reload(sx, cl); return;
	case CTL_LOG: cmd_log(sx, cl); return;
	case CTL_PS: cmd_ps(sx, cl); return;
	case CTL_DOCTOR: cmd_doctor(sx, cl); return;
	case CTL_METRICS: cmd_metrics(sx, cl); return;
	case CTL_CHECK: cmd_check(sx, cl); return;
	case CTL_WAIT: cmd_wait(sx, cl); return;
	case CTL_SHUTDOWN: cmd_shutdown(sx, cl); return;
	case CTL_POWEROFF:
	case CTL_REBOOT:
	case CTL_HALT: cmd_system(sx, cl); return;
	case CTL_NCOMMANDS: break;
	}
	ctl_error(cl, 2, "unknown command");
}

void
cmd_expire(struct control *ctl, struct ctl_client *cl)
{
	struct sexton *sx = owner(ctl);

	if (cl->req.cmd == CTL_WAIT)
		ctl_error(cl, 1, "timeout: %s not ready", wait_name(cl));
	else
		ctl_error(cl, 1, "%s: timed out after %.0f s", ctl_name(cl->req.cmd),
			  OPERATION_TIMEOUT_S);
	(void)sx;
}

static void
recheck(void *ctx, struct ctl_client *cl)
{
	struct sexton *sx = ctx;

	if (cl->req.cmd == CTL_WAIT)
		check_wait(sx, cl);
	else if (cl->req.cmd == CTL_START || cl->req.cmd == CTL_STOP || cl->req.cmd == CTL_RESTART)
		check_operation(sx, cl);
}

static void
drop_follower(void *ctx, struct ctl_client *cl)
{
	const struct service *svc = ctx;

	if (cl->follow == svc)
		ctl_error(cl, 1, "%s: removed from the configuration", svc->name);
}

void
cmd_service_removed(struct sexton *sx, const struct service *svc)
{
	/* Its followers would wait for ever, on a pointer about to dangle. */
	if (sx->have_ctl)
		ctl_each_parked(&sx->ctl, drop_follower, (void *)svc);
}

void
cmd_services_changed(struct sexton *sx)
{
	if (sx->have_ctl)
		ctl_each_parked(&sx->ctl, recheck, sx);
}
