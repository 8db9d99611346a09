/*
 * doctor — the daemon's diagnostics: on demand, in the background, and
 * for what survives SIGKILL.
 *
 * Owns the history of D and zombie tasks (diag.h) shared by every run,
 * the on-demand run (`doctor`, `check`, SIGUSR1: one scan, then up to
 * four resamples of only the D and Z tasks, 0.125 s apart, on an
 * ev_timer — PID 1 never sleeps), the background watch (`watch_interval`;
 * off by default, so no timer and no wake-up), and the report written to
 * the log. Never reads cmdline, environ or maps (procscan.h).
 */
#ifndef SEXTON_DOCTOR_H
#define SEXTON_DOCTOR_H

#include <ev.h>
#include <stdbool.h>

#include "diag.h"

/* A report this fresh answers a new request without a new scan. */
#define DOCTOR_REUSE_S 0.2

struct doctor;

/* An on-demand run is over: R holds its findings, limits included. */
typedef void doctor_done_fn(struct doctor *d, const struct diag_report *r);

struct doctor {
	struct ev_loop *loop;
	struct diag_history hist;
	double hung_threshold, watch_interval;

	struct proc_snapshot run_snap; /* on-demand run, reused */
	struct diag_report report;     /* its result */
	bool have_report;
	double report_at;
	ev_timer sample_timer;
	int samples_done;
	bool running, log_when_done;

	struct proc_snapshot watch_snap; /* background, reused */
	ev_timer watch_timer;

	const char *(*service_of)(void *ctx, const struct proc_info *p);
	void *ctx;
	doctor_done_fn *done;
};

void doctor_init(struct doctor *d, struct ev_loop *loop, doctor_done_fn *done,
		 const char *(*service_of)(void *ctx, const struct proc_info *p), void *ctx);

/* Apply watch_interval and hung_threshold (again after a reload). */
void doctor_configure(struct doctor *d, double watch_interval, double hung_threshold);

/* Start an on-demand run, or join the one under way. done() follows, at
 * once when nothing is in D or Z (or the last report is younger than
 * DOCTOR_REUSE_S); LOG writes the report to the log too. */
void doctor_request(struct doctor *d, bool log);

/* Write every task of ours that is still alive AFTER seconds after SIGKILL
 * to the log as stuck (only SESSION's when not 0). Returns how many. */
size_t doctor_report_after_sigkill(struct doctor *d, pid_t session, double after);

/* WHO (pid PID) has not exited AFTER seconds after SIG: write to the log
 * its state and what /proc says of its disposition of SIG (ignored,
 * handled, blocked, or a D sleep that no signal interrupts), then a
 * sampled run's findings for the whole tree. */
void doctor_explain_stop(struct doctor *d, const char *who, pid_t pid, int sig, double after);

/* ps: the findings visible in one scan (zombies as they are, D by the
 * history) into R, for SNAP taken with PROCSCAN_THREADS. */
void doctor_instant(struct doctor *d, const struct proc_snapshot *snap, struct diag_report *r);

void doctor_destroy(struct doctor *d);

#endif
