/*
 * diag — find and explain the processes that refuse to die.
 *
 * Owns the findings (SPEC "Diagnostics"): what counts as stuck, a fake
 * zombie, a traced zombie, unreaped zombies and tight limits; the history
 * of when each thread was first seen in D (or a zombie first seen); and
 * the enrichment of a finding with SIGKILL pending, the kernel stack and
 * the sockets and files it holds.
 *
 * Classification is pure (a snapshot and a history in, findings out) so
 * the unit tests feed it made-up snapshots; procscan does the reading.
 *
 * A condition must persist to be a finding, so that a disk read or a
 * child exiting this instant is not reported:
 *   sampled (on-demand doctor)  it held in every sample over ~0.5 s
 *   background (watch_interval) D: seen for hung_threshold; zombies:
 *                               seen by an earlier scan too
 *   instant (ps)                as background: the history decides
 *                               (every ps adds its snapshot to it)
 *   after SIGKILL (shutdown)    every live thread of what is left
 */
#ifndef SEXTON_DIAG_H
#define SEXTON_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "holds.h"
#include "procscan.h"

#define DIAG_STACK_MAX 12    /* kernel stack frames kept */
#define DIAG_THREADS_MAX 16  /* live threads listed for a fake zombie */
#define DIAG_MAX_FINDINGS 64 /* the rest are counted in `more` */
#define DIAG_SERVICE_MAX 64
#define DIAG_LIMIT_WARN_PERCENT 80
#define DIAG_SAMPLES 5		     /* on-demand: the first scan and 4 resamples */
#define DIAG_SAMPLE_INTERVAL_S 0.125 /* ... over 0.5 s */

enum diag_kind { DIAG_STUCK, DIAG_FAKE_ZOMBIE, DIAG_TRACED_ZOMBIE, DIAG_UNREAPED, DIAG_LIMITS };

enum diag_mode {
	DIAG_SAMPLED,	   /* `steady` marks from procscan_resample() decide */
	DIAG_BACKGROUND,   /* the history decides */
	DIAG_INSTANT,	   /* ps: by history, which it adds to */
	DIAG_AFTER_SIGKILL /* shutdown: every live thread left is stuck */
};

struct diag_finding {
	enum diag_kind kind;
	pid_t pid, tid; /* unreaped: 0 (see parent_pid) */
	char comm[PROC_COMM_MAX];
	char state;
	char wchan[PROC_WCHAN_MAX];
	double seconds; /* stuck: seen in D; unreaped: the oldest seen; < 0: n/a */
	bool sigkill_pending;
	char stack[DIAG_STACK_MAX][PROC_WCHAN_MAX];
	size_t nstack;
	char service[DIAG_SERVICE_MAX]; /* "" when none */
	struct proc_thread threads[DIAG_THREADS_MAX]; /* fake_zombie: the live ones; unreaped: the zombies */
	size_t nthreads;
	pid_t tracer_pid;
	char tracer_comm[PROC_COMM_MAX];
	pid_t parent_pid;
	char parent_comm[PROC_COMM_MAX];
	unsigned count;
	struct holds holds; /* stuck: after diag_enrich */
	bool has_holds;
	char frozen_cgroup[128]; /* stuck: the frozen cgroup it is in, "" if none */
	const char *advice; /* one line: what to try */
	bool is_new;	    /* background: not reported by an earlier scan */
};

struct diag_limits {
	long pids, pid_max, threads, threads_max; /* -1: unknown */
	/* The pids cgroup whose pids.max leaves us the least headroom (a
	 * container's --pids-limit, a pod's pid limit, systemd's TasksMax):
	 * its tasks (threads and zombies count) and that max; 0: none. */
	long cgroup_pids, cgroup_pids_max;
};

struct diag_report {
	struct diag_finding *v;
	size_t n, cap;
	size_t more; /* findings beyond DIAG_MAX_FINDINGS */
	struct diag_limits limits;
};

/* When each thread was first seen in D, and each zombie first seen. */
struct diag_seen {
	pid_t tid;
	char what; /* 'D' or 'Z' */
	bool live, reported;
	unsigned long long start;
	double first;
};

struct diag_history {
	struct diag_seen *v; /* sorted by (tid, what) */
	size_t n, cap;
};

struct diag_params {
	enum diag_mode mode;
	double now;	       /* seconds, on the clock of the history */
	double hung_threshold; /* DIAG_BACKGROUND, DIAG_INSTANT */
	bool only_ours;	       /* the daemon: its descendants; --all: everything */
	pid_t self;	       /* the scanner: it reaps its own zombies */
	pid_t only_session;    /* DIAG_AFTER_SIGKILL: one service's session, 0 = all */
	double after_sigkill;  /* DIAG_AFTER_SIGKILL: seconds since SIGKILL */
	/* The service P belongs to, or NULL (the daemon; NULL for --all). */
	const char *(*service_of)(void *ctx, const struct proc_info *p);
	void *ctx;
};

/* Threads in D or Z in SNAP that are still `steady`: what resampling is for. */
size_t diag_candidates(const struct proc_snapshot *snap);

/* Note the D threads and zombies of SNAP at NOW; forget what is gone. */
int diag_history_update(struct diag_history *h, const struct proc_snapshot *snap, double now);
void diag_history_free(struct diag_history *h);

/* The findings of SNAP into R (cleared first; R->limits untouched). */
int diag_classify(const struct proc_snapshot *snap, struct diag_history *h,
		  const struct diag_params *p, struct diag_report *r);

/* Read what classification cannot: SIGKILL pending, the kernel stack, the
 * held sockets and files, and a frozen cgroup, for each stuck finding.
 * (A frozen task shows D with the wchan of whatever sleep it was in, so
 * only its cgroup's freezer.state or cgroup.events tells.) */
void diag_enrich(struct diag_report *r);

/* pid_max, threads-max, our pids cgroup's pids.max, and what is in use;
 * adds a `limits` finding above DIAG_LIMIT_WARN_PERCENT of any of them.
 * PIDS is the pids in use, one per thread (procscan_tasks): pid_max
 * counts threads, and a thread leak exhausts it with few processes. */
void diag_limits_read(struct diag_limits *l, long pids);
void diag_check_limits(struct diag_report *r);

/* One line of advice for F. */
const char *diag_advice(const struct diag_finding *f);
const char *diag_kind_name(enum diag_kind kind);

void diag_report_free(struct diag_report *r);

/* The whole system, sampled over ~0.5 s with nanosleep: for
 * `sextonctl doctor --all`, which runs with no daemon. 0 or -errno. */
int diag_run_all(struct diag_report *r);

#endif
