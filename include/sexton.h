/*
 * sexton — the daemon's context and its life cycle.
 *
 * Owns the event loop, the signal watcher, the main child and the shutdown
 * sequence. Every piece of daemon state lives in struct sexton and is
 * passed explicitly; watchers are embedded and find their owner with
 * container_of.
 *
 * Life cycle (container mode):
 *
 *   RUNNING ──main child exits──▶ SWEEP_TERM ──stop_timeout──▶ SWEEP_KILL
 *      │                             │ (TERM+CONT to all)          │ (KILL to all)
 *      │                             └──── no child left ──────────┴──▶ DONE
 *      └─ signals are forwarded to the main child (after -r rewriting)
 *
 * DONE breaks the loop; sexton exits with the main child's status.
 */
#ifndef SEXTON_SEXTON_H
#define SEXTON_SEXTON_H

#include <ev.h>
#include <stdbool.h>
#include <sys/types.h>

#include "options.h"

#define SX_DEFAULT_STOP_TIMEOUT_S 10.0 /* SPEC default stop_timeout */
#define SX_DEFAULT_KILL_TIMEOUT_S 5.0  /* SPEC default kill_timeout */

enum sx_phase { SX_RUNNING, SX_SWEEP_TERM, SX_SWEEP_KILL, SX_DONE };

struct sexton {
	struct ev_loop *loop;
	const struct options *opts;
	bool is_pid1;

	int sigfd;
	ev_io sig_watcher;
	/* Never fires in practice: its presence makes libev watch clock
	 * jumps with a timerfd instead of waking every 59.7 s (idle = idle). */
	ev_periodic idle_anchor;
	ev_timer phase_timer; /* stop_timeout, then kill_timeout */

	enum sx_phase phase;
	double stop_timeout, kill_timeout;

	pid_t main_pid; /* 0 once reaped */
	int main_status;
	bool main_exited;

	unsigned long orphans_reaped;
	int exit_code;
};

/* Block signals, open the signalfd and the loop. Returns 0 or -errno. */
int sx_init(struct sexton *sx, const struct options *opts);

/* Start the main child (opts->command). Returns 0, or an exit code when it
 * could not even be cloned. Exec failures are reported here and surface as
 * the child's 127/126 exit status. */
int sx_start_main(struct sexton *sx);

/* Run until DONE; returns the exit code for sexton. */
int sx_run(struct sexton *sx);

void sx_destroy(struct sexton *sx);

#endif
