/*
 * supervisor — the set of services from the configuration.
 *
 * Owns the current struct cfg, the services made from it, the pid → service
 * map, the shared notify socket and the /dev/null descriptor services get
 * as stdin. Decides when a service may start (its dependencies are up) and
 * when it may stop (its dependents are down), applies reloads as a
 * difference, and tells the daemon when a critical service is gone for good
 * and when everything is down.
 */
#ifndef SEXTON_SUPERVISOR_H
#define SEXTON_SUPERVISOR_H

#include <ev.h>
#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "iowatch.h"
#include "pidmap.h"

struct service;
struct out_sink;

struct supervisor {
	struct ev_loop *loop;
	struct cfg cfg; /* current configuration, owned */
	struct cfg *retired; /* older ones that removed, still-stopping services use */
	size_t nretired;

	struct service **svcs; /* configured ones, then removed ones still stopping */
	size_t nsvcs, cap;
	struct pidmap pids;

	int notify_fd;
	struct iowatch notify_io;
	char notify_addr[108]; /* NOTIFY_SOCKET value; "" when unavailable */

	int devnull; /* O_RDWR, close-on-exec: stdin (and output = null) of services */
	struct out_sink *sink; /* sexton's stdout for tagged output */

	bool stopping_all;   /* shutdown: everything goes down, nothing starts */
	bool unclean;	     /* a stop needed SIGKILL, or a service got stuck */
	ev_prepare collect;  /* frees removed services outside their callbacks */
	ev_idle evaluate;    /* runs deferred dependency evaluation once per loop */
	unsigned long long start_round; /* the last of sup_start_round (64 bits: never wraps) */
	unsigned nlingering; /* services stopping whose group outlives the main process */

	/* Set by the daemon. */
	void (*on_critical)(struct supervisor *sup, struct service *svc);
	void (*on_all_down)(struct supervisor *sup);
	void (*on_change)(struct supervisor *sup); /* any service changed state */
	/* SVC's process (svc->pid) or group (svc->pgid) is alive kill_timeout
	 * after SIGKILL. */
	void (*on_stuck)(struct supervisor *sup, struct service *svc);
	/* SVC, removed by a reload and now down, is about to be freed. */
	void (*on_removed)(struct supervisor *sup, struct service *svc);
	void *owner;
};

/* Take ownership of CFG (it is zeroed). Returns 0 or -errno. */
int sup_init(struct supervisor *sup, struct ev_loop *loop, struct cfg *cfg);
void sup_destroy(struct supervisor *sup);

/* Start every autostart service as its dependencies allow. */
void sup_start_all(struct supervisor *sup);
/* Stop everything, dependents before their dependencies; on_all_down follows. */
void sup_stop_all(struct supervisor *sup);
bool sup_all_down(const struct supervisor *sup);

struct service *sup_find(const struct supervisor *sup, const char *name);

/* A new start round: one per operator request, so that a request naming
 * several services, or reaching one by several paths, tries each once. */
unsigned long long sup_start_round(struct supervisor *sup);
/* An operator's start, in ROUND: it and what it depends on are wanted up;
 * it starts once they are. A failed or done service starts over (limits
 * forgiven). */
void sup_start_service(struct supervisor *sup, struct service *svc, unsigned long long round);
/* An operator's stop: it and everything running that depends on it go down
 * (dependents first) and stay down until started again. */
void sup_stop_service(struct supervisor *sup, struct service *svc);

/* A reaped pid: returns 1 if it was one of a service's. */
int sup_child_exited(struct supervisor *sup, pid_t pid, int wstatus);
/* Read what the notify socket holds (also before the exit of a notify
 * service's main process counts: it may have said MAINPID= first). */
void sup_read_notify(struct supervisor *sup);
/* After a drain: stops that wait for a process group learn if it is gone. */
void sup_after_reaping(struct supervisor *sup);
/* The service whose session SID is, or NULL. */
struct service *sup_service_of_session(struct supervisor *sup, pid_t sid);

/* Apply NEWCFG (taken, zeroed): new services start, removed ones stop,
 * changed ones restart, unchanged ones are not touched. */
void sup_reload(struct supervisor *sup, struct cfg *newcfg);

/* For service.c. */
void sup_service_changed(struct supervisor *sup, struct service *svc, int old_state);
void sup_track_pid(struct supervisor *sup, struct service *svc, pid_t old, pid_t pid);
double sup_kill_timeout(const struct supervisor *sup);

#endif
