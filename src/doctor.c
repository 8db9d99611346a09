/* doctor — see include/doctor.h. */
#include "doctor.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "container_of.h"
#include "diagfmt.h"
#include "log.h"
#include "signames.h"

static void
params_init(struct doctor *d, struct diag_params *p, enum diag_mode mode)
{
	memset(p, 0, sizeof(*p));
	p->mode = mode;
	p->now = ev_now(d->loop);
	p->hung_threshold = d->hung_threshold;
	p->only_ours = true;
	p->self = getpid();
	p->service_of = d->service_of;
	p->ctx = d->ctx;
}

struct log_ctx {
	int level;
	const char *prefix;
};

static void
log_line(void *ctx, const char *line)
{
	const struct log_ctx *lc = ctx;

	log_msg(lc->level, "%s%s", lc->prefix, line);
}

static void
log_findings(const struct diag_report *r, int level, const char *prefix, bool only_new)
{
	struct log_ctx lc = { level, prefix };
	size_t i;

	for (i = 0; i < r->n; i++)
		if (!only_new || r->v[i].is_new)
			diagfmt_text(&r->v[i], log_line, &lc);
	if (r->more)
		log_msg(level, "%s%zu more findings not shown", prefix, r->more);
}

/* ---- on demand ------------------------------------------------------------------- */

/* The report to whoever waits for it: the log (SIGUSR1), parked clients. */
static void
publish(struct doctor *d)
{
	if (d->log_when_done) {
		d->log_when_done = false;
		if (d->report.n == 0)
			log_info("doctor: no findings (%ld processes, %ld threads on the system)",
				 d->report.limits.pids, d->report.limits.threads);
		log_findings(&d->report, LOG_WARN, "doctor: ", false);
	}
	d->done(d, &d->report);
}

static void
finish_run(struct doctor *d)
{
	struct diag_params p;

	ev_timer_stop(d->loop, &d->sample_timer);
	ev_now_update(d->loop);
	params_init(d, &p, DIAG_SAMPLED);
	diag_classify(&d->run_snap, &d->hist, &p, &d->report);
	diag_limits_read(&d->report.limits, procscan_tasks(&d->run_snap));
	diag_check_limits(&d->report);
	diag_enrich(&d->report);
	d->running = false;
	d->have_report = true;
	d->report_at = ev_now(d->loop);
	publish(d);
}

static void
on_sample(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct doctor *d = container_of(w, struct doctor, sample_timer);

	(void)loop;
	(void)revents;
	/* Only the D and Z tasks of the first scan are read again. */
	if (procscan_resample(&d->run_snap) == 0 || ++d->samples_done >= DIAG_SAMPLES)
		finish_run(d);
}

void
doctor_request(struct doctor *d, bool log)
{
	int rc;

	d->log_when_done |= log;
	if (d->running)
		return;
	/* A client asking again and again gets the last report: scanning
	 * /proc for each request would let it keep PID 1 busy. */
	if (d->have_report && ev_now(d->loop) - d->report_at < DOCTOR_REUSE_S) {
		publish(d);
		return;
	}
	rc = procscan(&d->run_snap, PROCSCAN_THREADS);
	if (rc == 0)
		rc = diag_history_update(&d->hist, &d->run_snap, ev_now(d->loop));
	if (rc < 0)
		log_warn("doctor: cannot scan /proc: %s", strerror(-rc));
	d->running = true;
	d->samples_done = 1;
	if (rc < 0 || diag_candidates(&d->run_snap) == 0) {
		finish_run(d);
		return;
	}
	ev_timer_set(&d->sample_timer, DIAG_SAMPLE_INTERVAL_S, DIAG_SAMPLE_INTERVAL_S);
	ev_timer_start(d->loop, &d->sample_timer);
}

/* ---- background ----------------------------------------------------------------- */

static void
on_watch(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct doctor *d = container_of(w, struct doctor, watch_timer);
	struct diag_report r = { 0 };
	struct diag_params p;

	(void)loop;
	(void)revents;
	if (procscan(&d->watch_snap, PROCSCAN_THREADS) < 0 ||
	    diag_history_update(&d->hist, &d->watch_snap, ev_now(d->loop)) < 0)
		return;
	params_init(d, &p, DIAG_BACKGROUND);
	diag_classify(&d->watch_snap, &d->hist, &p, &r);
	diag_limits_read(&r.limits, procscan_tasks(&d->watch_snap));
	diag_check_limits(&r);
	for (size_t i = 0; i < r.n; i++)
		if (r.v[i].kind == DIAG_LIMITS)
			r.v[i].is_new = false; /* limits: see metrics; not every scan */
	diag_enrich(&r);
	log_findings(&r, LOG_WARN, "watch: ", true);
	diag_report_free(&r);
}

void
doctor_configure(struct doctor *d, double watch_interval, double hung_threshold)
{
	d->hung_threshold = hung_threshold;
	if (watch_interval == d->watch_interval)
		return;
	d->watch_interval = watch_interval;
	ev_timer_stop(d->loop, &d->watch_timer);
	if (watch_interval > 0) {
		ev_timer_set(&d->watch_timer, watch_interval, watch_interval);
		ev_timer_start(d->loop, &d->watch_timer);
	} else {
		procscan_free(&d->watch_snap);
	}
}

/* ---- after SIGKILL, and ps ----------------------------------------------------------- */

size_t
doctor_report_after_sigkill(struct doctor *d, pid_t session, double after)
{
	struct proc_snapshot snap = { 0 };
	struct diag_report r = { 0 };
	struct diag_params p;
	size_t n;

	if (procscan(&snap, PROCSCAN_THREADS) < 0)
		return 0;
	diag_history_update(&d->hist, &snap, ev_now(d->loop));
	params_init(d, &p, DIAG_AFTER_SIGKILL);
	p.only_session = session;
	p.after_sigkill = after;
	diag_classify(&snap, &d->hist, &p, &r);
	diag_enrich(&r);
	log_findings(&r, LOG_ERROR, "", false);
	n = r.n + r.more;
	diag_report_free(&r);
	procscan_free(&snap);
	return n;
}

/* ---- a stop signal without effect ------------------------------------------------ */

/* Why a live process has not acted on SIG (named NAME), from its stat and
 * status, into OUT; "" when /proc does not tell. */
static void
why_still_running(const struct proc_stat *ps, const struct proc_status *st, int sig,
		  const char *name, char *out, size_t len)
{
	uint64_t bit = 1ULL << (sig - 1);

	out[0] = '\0';
	if (ps->state == 'D' && (st->pending & bit))
		snprintf(out, len, "; it sleeps in the kernel, where no signal reaches it, not even "
			 "SIGKILL, until that wait ends (SIG%s is pending)", name);
	else if (ps->state == 'D')
		snprintf(out, len, "; it sleeps in the kernel, where no signal reaches it, not even "
			 "SIGKILL, until that wait ends");
	else if (ps->state == 'Z')
		snprintf(out, len, "; its main thread has exited and other threads live on (a fake "
			 "zombie)");
	else if (st->ignored & bit)
		snprintf(out, len, "; it ignores SIG%s", name);
	else if (st->caught & bit)
		snprintf(out, len, "; it handles SIG%s and has not exited yet", name);
	else if (st->threads == 1 && (st->blocked & bit)) /* SigBlk is one thread's */
		snprintf(out, len, "; it blocks SIG%s, which stays pending", name);
}

void
doctor_explain_stop(struct doctor *d, const char *who, pid_t pid, int sig, double after)
{
	char path[48], text[1024], wchan[PROC_WCHAN_MAX] = "", name[16], why[200];
	struct proc_status st = { 0 };
	struct proc_stat ps;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (procscan_read(AT_FDCWD, path, text, sizeof(text)) <= 0 ||
	    procscan_parse_stat(text, &ps) < 0)
		return; /* gone meanwhile: the reaper has it */
	snprintf(path, sizeof(path), "/proc/%d/wchan", (int)pid);
	if (procscan_read(AT_FDCWD, path, wchan, sizeof(wchan)) <= 0 || strcmp(wchan, "0") == 0)
		snprintf(wchan, sizeof(wchan), "user space");
	procscan_status(pid, pid, &st);
	sig_name(sig, name, sizeof(name));
	why_still_running(&ps, &st, sig, name, why, sizeof(why));
	log_warn("%s %d (%s) still running %g s after SIG%s: %c in %s%s", who, (int)pid, ps.comm,
		 after, name, ps.state, wchan, why);
	doctor_request(d, true);
}

void
doctor_instant(struct doctor *d, const struct proc_snapshot *snap, struct diag_report *r)
{
	struct diag_params p;

	/* ps adds what it sees to the history, so that the next scan knows a
	 * zombie or a D thread has lasted; what it reports, the history says. */
	diag_history_update(&d->hist, snap, ev_now(d->loop));
	params_init(d, &p, DIAG_INSTANT);
	diag_classify(snap, &d->hist, &p, r);
}

/* ---- life ------------------------------------------------------------------------ */

void
doctor_init(struct doctor *d, struct ev_loop *loop, doctor_done_fn *done,
	    const char *(*service_of)(void *ctx, const struct proc_info *p), void *ctx)
{
	memset(d, 0, sizeof(*d));
	d->loop = loop;
	d->done = done;
	d->service_of = service_of;
	d->ctx = ctx;
	d->hung_threshold = 30;
	ev_init(&d->sample_timer, on_sample);
	ev_init(&d->watch_timer, on_watch);
}

void
doctor_destroy(struct doctor *d)
{
	ev_timer_stop(d->loop, &d->sample_timer);
	ev_timer_stop(d->loop, &d->watch_timer);
	procscan_free(&d->run_snap);
	procscan_free(&d->watch_snap);
	diag_report_free(&d->report);
	diag_history_free(&d->hist);
}
