/*
 * service — one supervised program and its state machine.
 *
 * Owns a service's process, timers, readiness and restart bookkeeping.
 * Every change goes through svc_step(svc, event); the supervisor is told
 * of each state change and decides about dependencies and shutdown.
 *
 *   state     event      condition                     next      action
 *   STOPPED   START      spawn ok, simple              RUNNING   (ready at once)
 *   STOPPED   START      spawn ok, notify/oneshot      STARTING  arm ready_timeout
 *   STOPPED   START      spawn error / start limit     FAILED    reason = errno text
 *   STARTING  READY                                    RUNNING   arm watchdog
 *   STARTING  TIMER      ready_timeout passed          STOPPING  then restart or FAILED
 *   RUNNING   WATCHDOG   no WATCHDOG=1 in time         STOPPING  then restart (backoff)
 *   STARTING, RUNNING
 *             EXIT       oneshot, code 0               DONE
 *             EXIT       oneshot, failed               FAILED
 *             EXIT       restart policy says restart   BACKOFF   arm restart delay
 *             EXIT       exit 0, no restart            STOPPED
 *             EXIT       failed, no restart            FAILED
 *             STOP                                     STOPPING  stop_signal+CONT to group
 *   STOPPING  TIMER      first time                    STOPPING  SIGKILL the group
 *   STOPPING  TIMER      kill_timeout after SIGKILL    STOPPED   reported as stuck
 *   STOPPING  EXIT       a restart was asked           STARTING/RUNNING (or BACKOFF)
 *   STOPPING  EXIT                                     STOPPED
 *   BACKOFF   TIMER                                    (as STOPPED + START)
 *   BACKOFF   STOP                                     STOPPED
 *   FAILED, DONE, STOPPED
 *             START                                    (as STOPPED + START; limits reset)
 *   FAILED    FORGIVE    a reload changed it           STOPPED   limits reset
 *
 * Delays: restart_delay doubles with each consecutive failure up to
 * restart_delay_max; a run longer than restart_delay_max resets the count.
 * start_limit N/T: more than N starts within T seconds → FAILED.
 */
#ifndef SEXTON_SERVICE_H
#define SEXTON_SERVICE_H

#include <ev.h>
#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "iowatch.h"
#include "notify.h"

#define SVC_STATES(X)                                                                              \
	X(SVC_STOPPED, "stopped")                                                                  \
	X(SVC_STARTING, "starting")                                                                \
	X(SVC_RUNNING, "running")                                                                  \
	X(SVC_STOPPING, "stopping")                                                                \
	X(SVC_BACKOFF, "backoff")                                                                  \
	X(SVC_FAILED, "failed")                                                                    \
	X(SVC_DONE, "done")

#define SVC_STATE_ENUM(id, name) id,
enum svc_state { SVC_STATES(SVC_STATE_ENUM) };
#undef SVC_STATE_ENUM

enum svc_event {
	SVC_EV_START,	 /* want it up */
	SVC_EV_STOP,	 /* want it down */
	SVC_EV_RESTART,	 /* stop if running, then start at once */
	SVC_EV_READY,	 /* READY=1 or a newline on ready_fd */
	SVC_EV_EXIT,	 /* the main process was reaped; status in last_status */
	SVC_EV_TIMER,	 /* the state's timer fired */
	SVC_EV_WATCHDOG, /* WATCHDOG=1 overdue */
	SVC_EV_FORGIVE,	 /* a reload changed a failed one: stopped, free to start again */
	SVC_EV_REAPED,	 /* sexton reaped something: a lingering group may be gone */
};

/* What happens once a stop completes. */
enum svc_after_stop { SVC_AFTER_NOTHING, SVC_AFTER_START, SVC_AFTER_FAILURE };

struct supervisor;
struct svc_out;
struct line_ring;

struct service {
	char *name;			/* own copy: outlives cfg when removed */
	const struct cfg_service *cfg;	/* entry of the supervisor's current cfg */
	struct supervisor *sup;
	size_t index;			/* in sup->svcs */

	enum svc_state state;
	bool want_up;
	bool removed; /* dropped by reload: freed once down */
	bool ready;
	bool killed;  /* this stop needed SIGKILL */
	bool stuck;   /* still alive kill_timeout after SIGKILL */
	bool blocked; /* stopped, wanted up, and a dependency failed or is blocked */
	unsigned long long start_visit; /* the last start round that reached it */
	enum svc_after_stop after_stop;

	pid_t pid; /* main process (MAINPID= may change it); 0 = none */
	/* The session and process group the service was started in (the first
	 * pid; every service leads its own): what a stop signals, and what
	 * identifies its processes. Kept after the main process is gone for
	 * as long as the group lives; 0 = none. */
	pid_t pgid;
	bool lingering; /* stopping: the main process is gone, its group is not */
	double started_at, state_since;
	unsigned restarts;  /* starts after the first */
	unsigned failures;  /* consecutive, for the backoff delay */
	unsigned starts;    /* total, to tell a restart from the first start */
	double limit_window_start;
	unsigned limit_window_starts;

	bool has_last_exit;
	int last_status; /* wait status */
	char status_text[NOTIFY_STATUS_MAX];
	char reason[256]; /* why FAILED (or blocked), for status and logs */

	ev_timer timer;	   /* backoff, ready_timeout, stop_timeout, kill_timeout */
	ev_timer watchdog;
	int ready_rd;	   /* read end of the ready_fd pipe, -1 */
	struct iowatch ready_io;

	struct service **deps;	     /* services this one depends on */
	size_t ndeps;
	struct service **dependents; /* services depending on this one */
	size_t ndependents;

	struct svc_out *out;	/* tagged/file output reader while running */
	struct line_ring *ring; /* last lines of tagged output, kept across restarts;
				 * NULL until a tagged service first runs */
};

const char *svc_state_name(enum svc_state state);

struct service *svc_new(struct supervisor *sup, const struct cfg_service *cfg);
/* Only for a service without a process and with no pending watcher use. */
void svc_free(struct service *svc);

void svc_step(struct service *svc, enum svc_event ev);

/* A datagram from the service's process tree. */
void svc_notify(struct service *svc, const struct notify_msg *msg, pid_t sender);

/* Has a running process (STARTING, RUNNING, STOPPING). */
bool svc_has_process(const struct service *svc);
/* Counts as up for dependents: running and ready, or a oneshot done. */
bool svc_is_up(const struct service *svc);

/* Send SIG to the service's process group, and to its main process if
 * MAINPID= moved it to another group. Returns 0 or -errno. */
int svc_signal(struct service *svc, int sig);

/* The restart delay after FAILURES consecutive failures (1 = the first):
 * DELAY doubled per failure after the first, at most MAX. */
double svc_backoff_delay(double delay, double max, unsigned failures);

/* Exit code for a critical service's status: code, or 128+N. */
int svc_exit_code(const struct service *svc);

#endif
