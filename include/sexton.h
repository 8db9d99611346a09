/*
 * sexton — the daemon's context and its life cycle.
 *
 * Owns the event loop, the signal watcher, the main child and the shutdown
 * sequence. Every piece of daemon state lives in struct sexton and is
 * passed explicitly; watchers are embedded and find their owner with
 * container_of.
 *
 * Life cycle:
 *
 *   RUNNING ──▶ STOPPING_SERVICES ──all down──▶ SWEEP_TERM ──stop_timeout──▶ SWEEP_KILL
 *                (reverse dependency order)      (TERM+CONT to all)           (KILL to all)
 *                                                   └──── no child left ──────────┴──▶ DONE
 *
 * What leaves RUNNING: the main child exiting (container mode), a
 * critical service gone for good, SIGTERM/SIGINT/SIGRTMIN+3 (supervisor
 * mode; in container mode they are forwarded to the main child instead;
 * in system mode TERM, USR1, USR2, INT and RTMIN+3..5 are reboot, halt,
 * poweroff as busybox init and systemd have them, system.h).
 * DONE breaks the loop. Exit status: the main child's (container mode),
 * the critical service's, else 0 when everything stopped cleanly and 1
 * when something had to be SIGKILLed or was stuck.
 */
#ifndef SEXTON_SEXTON_H
#define SEXTON_SEXTON_H

#include <ev.h>
#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "control.h"
#include "doctor.h"
#include "iowatch.h"
#include "options.h"
#include "supervisor.h"
#include "system.h"

#define SX_DEFAULT_STOP_TIMEOUT_S 10.0 /* SPEC default stop_timeout */
#define SX_DEFAULT_KILL_TIMEOUT_S 5.0  /* SPEC default kill_timeout */
#define SX_SIGFD_BATCH 16	       /* siginfo records read per read(2) */

enum sx_phase { SX_RUNNING, SX_STOPPING_SERVICES, SX_SWEEP_TERM, SX_SWEEP_KILL, SX_DONE };

struct sexton {
	struct ev_loop *loop;
	const struct options *opts;
	bool is_pid1;

	int sigfd;
	struct iowatch sig_watcher; /* watched again if libev drops it */
	struct iowatch_bell bell;   /* wakes the loop to hear of a drop */
	/* SIGCHLDs read but not yet reaped; the signalfd found empty since
	 * the loop woke (container mode reads it early: on_loop_acquire). */
	struct sx_sigchld {
		bool exited;
		pid_t hints[SX_SIGFD_BATCH]; /* the pids the records named, for reap_pid */
		size_t nhints;
	} sigchld;
	bool sigfd_emptied;
	/* Never fires in practice: its presence makes libev watch clock
	 * jumps with a timerfd instead of waking every 59.7 s (idle = idle). */
	ev_periodic idle_anchor;
	ev_timer phase_timer; /* stop_timeout, then kill_timeout */
	ev_timer reap_timer;  /* the next drain, when drains are paced (reap_pace) */
	ev_timer outsider_poll; /* PID 1 at the end: are those from outside gone? */
	/* stop_timeout/2 after a stop signal was forwarded: if the main child
	 * still runs, say why before the runtime's SIGKILL (doctor_explain_stop). */
	ev_timer stop_report;
	int stop_report_sig;
	double stop_report_after;

	enum sx_phase phase;
	double stop_timeout, kill_timeout;

	pid_t main_pid; /* 0 once reaped */
	int main_status;
	bool main_exited;

	struct supervisor sup;
	bool have_services;
	struct control ctl;
	bool have_ctl;
	struct doctor doc;
	char *ps_answer; /* the last ps answer, reused for PS_REUSE_S */
	size_t ps_answer_len;
	double ps_answer_at;
	const char *config_path; /* for reload; NULL without a configuration */
	struct sysmode *sys;	 /* system mode (system.h), else NULL */
	const char *etc_dir;

	bool critical_failed; /* a critical service decided the exit status */
	int critical_code;
	bool sweep_killed;    /* the sweep needed SIGKILL */

	unsigned long orphans_reaped;
	unsigned long reap_passes; /* drains of the whole child list */
	double last_scan_s;	   /* what the last drain's final waitpid took */
	int exit_code;
};

/* Block signals, open the signalfd and the loop. Returns 0 or -errno. */
int sx_init(struct sexton *sx, const struct options *opts);

/* Take CFG (zeroed) and start its services. CONFIG_PATH is re-read on
 * SIGHUP. Returns 0 or -errno. */
int sx_start_services(struct sexton *sx, struct cfg *cfg, const char *config_path);

/* Start the main child (opts->command). Returns 0, or 126 when it could
 * not even be cloned and there are no services (with services, they are
 * stopped in order first and sx_run returns 126). Exec failures are
 * reported here and surface as the child's 127/126 exit status. */
int sx_start_main(struct sexton *sx);

/* Run until DONE; returns the exit code for sexton. */
int sx_run(struct sexton *sx);

/* Open the control socket (path from -S, the configuration, or the
 * default). Returns 0, also when sexton runs on without a socket (logged),
 * or -EADDRINUSE when another sexton answers there and this one must not
 * start (only when the path was asked for, or in supervisor mode). */
int sx_open_control(struct sexton *sx, const struct cfg *cfg);

/* Re-read the configuration and apply it. 0, -ENOENT (no file), or -EINVAL
 * with every error in ERRS (nothing changed). */
int sx_reload(struct sexton *sx, struct cfg_errors *errs);

/* Begin the orderly stop (as SIGTERM in supervisor mode; in system mode
 * it ends in a poweroff). */
void sx_shutdown(struct sexton *sx, const char *why);

/* System mode: begin the orderly stop that ends in ACTION (the first one
 * asked for wins). */
void sx_system_action(struct sexton *sx, enum sys_action action, const char *why);

void sx_destroy(struct sexton *sx);

#endif
