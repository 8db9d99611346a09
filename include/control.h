/*
 * control — the control socket: listening, clients, who may do what.
 *
 * Owns the listening socket and every client connection. It never blocks
 * and never trusts a client: requests are bounded (CTL_MAX_REQUEST), the
 * number of clients is bounded (when full, the longest-idle one is
 * dropped so an idle flood cannot lock the operator out), a client that
 * sends nothing or stops reading its answer is dropped after
 * CTL_IDLE_TIMEOUT_S, and answers are bounded (CTL_MAX_OUTPUT). Identity
 * comes from the kernel (SO_PEERCRED, SO_PEERGROUPS).
 *
 * What a request does is the dispatcher's business (commands.c): it
 * answers at once with ctl_reply(), or parks the client with ctl_park()
 * and answers later (start/stop waiting for a state, wait, log -f).
 */
#ifndef SEXTON_CONTROL_H
#define SEXTON_CONTROL_H

#include <ev.h>
#include <stdbool.h>
#include <sys/types.h>

#include "ctlproto.h"
#include "iowatch.h"

#define CTL_DEFAULT_MAX_CLIENTS 128
#define CTL_IDLE_TIMEOUT_S 5.0		  /* to send a request, or to read an answer */
#define CTL_MAX_OUTPUT (4 * 1024 * 1024) /* bytes queued for one client */

struct control;

struct ctl_client {
	struct control *ctl;
	int fd;
	struct iowatch io;
	ev_timer timer; /* idle / slow reader / parked deadline */
	uid_t uid;
	gid_t gid;
	bool may_write, may_read;

	char *in;
	size_t inlen;
	char *out;
	size_t outlen, outoff;
	bool close_when_flushed;

	bool parked;	       /* waiting for something (see commands.c) */
	bool half_closed;      /* parked, and the client shut down its sending side */
	struct ctl_request req; /* the request, for a parked client */
	char *req_line;	       /* owns the words req points into */
	double deadline;       /* parked: give up at this ev_now() (0 = never) */
	const void *follow;    /* log -f: the service whose lines it follows */
	unsigned long long visited; /* the last walk over the clients that reached it */

	struct ctl_client *prev, *next; /* least recently active first */
};

typedef void ctl_dispatch_fn(struct control *ctl, struct ctl_client *cl);
/* A parked client's deadline passed: answer it (usually an error). */
typedef void ctl_expire_fn(struct control *ctl, struct ctl_client *cl);

struct control {
	struct ev_loop *loop;
	int fd;
	int spare_fd; /* /dev/null, given up to refuse a client when out of fds */
	bool out_of_fds;   /* logged once until an accept succeeds again */
	bool accept_failing; /* another error, likewise */
	struct iowatch accept_io; /* paused when out of fds and no spare */
	char path[108];
	bool has_group;
	gid_t group;
	size_t nclients, max_clients;
	struct ctl_client *head, *tail;
	unsigned long long walks; /* rounds of ctl_each_parked */
	ctl_dispatch_fn *dispatch;
	ctl_expire_fn *expire;
	void *owner;
	unsigned long long requests; /* for metrics */
};

/*
 * Create the socket at PATH with MODE (and GROUP when HAS_GROUP). A stale
 * socket is replaced. Returns 0; -EADDRINUSE when a live sexton answers on
 * PATH; another -errno when the socket cannot be made (the caller decides
 * whether to run without it).
 */
int ctl_open(struct control *ctl, struct ev_loop *loop, const char *path, int mode,
	     bool has_group, gid_t group);
void ctl_close(struct control *ctl);

/* Queue TEXT (a complete response line) for CL; close after it if LAST. */
void ctl_reply(struct ctl_client *cl, const char *text, size_t len, bool last);
/* An error response {"error":MSG,"code":CODE}, then close. */
void ctl_error(struct ctl_client *cl, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Keep CL waiting: the dispatcher answers later. DEADLINE 0 = none. */
void ctl_park(struct ctl_client *cl, double deadline);

/* Call FN once for every parked client (it may reply to and so free CL). */
void ctl_each_parked(struct control *ctl, void (*fn)(void *ctx, struct ctl_client *cl),
		     void *ctx);

#endif
