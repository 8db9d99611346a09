/* control — see include/control.h. */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "json.h"
#include "container_of.h"
#include "log.h"

#define CTL_READ_CHUNK 4096
#define CTL_MAX_PEER_GROUPS 256
#define CTL_ACCEPTS_PER_WAKEUP 64
#define CTL_ACCEPT_PAUSE_S 0.5 /* out of fds with no spare: the pause between tries */

/* ---- client list (least recently active first) ----------------------------- */

static void
unlink_client(struct control *ctl, struct ctl_client *cl)
{
	if (cl->prev)
		cl->prev->next = cl->next;
	else
		ctl->head = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	else
		ctl->tail = cl->prev;
	cl->prev = cl->next = NULL;
}

static void
append_client(struct control *ctl, struct ctl_client *cl)
{
	cl->prev = ctl->tail;
	cl->next = NULL;
	if (ctl->tail)
		ctl->tail->next = cl;
	else
		ctl->head = cl;
	ctl->tail = cl;
}

/* Activity: move to the most-recent end and push the idle deadline back. */
static void
touch(struct ctl_client *cl)
{
	struct control *ctl = cl->ctl;

	unlink_client(ctl, cl);
	append_client(ctl, cl);
	if (!cl->parked || cl->outlen > cl->outoff) {
		cl->timer.repeat = CTL_IDLE_TIMEOUT_S;
		ev_timer_again(ctl->loop, &cl->timer);
	}
}

static void
free_client(struct ctl_client *cl)
{
	struct control *ctl = cl->ctl;

	iowatch_stop(ctl->loop, &cl->io);
	ev_timer_stop(ctl->loop, &cl->timer);
	close(cl->fd);
	unlink_client(ctl, cl);
	ctl->nclients--;
	free(cl->in);
	free(cl->out);
	free(cl->req_line);
	free(cl);
}

/* ---- writing ---------------------------------------------------------------- */

static void
flush(struct ctl_client *cl)
{
	ssize_t n;

	while (cl->outoff < cl->outlen) {
		n = send(cl->fd, cl->out + cl->outoff, cl->outlen - cl->outoff,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			iowatch_stop(cl->ctl->loop, &cl->io);
			iowatch_set(&cl->io, cl->fd, EV_WRITE);
			iowatch_start(cl->ctl->loop, &cl->io);
			return;
		}
		if (n <= 0) {
			free_client(cl); /* gone: nothing to tell it */
			return;
		}
		cl->outoff += (size_t)n;
		touch(cl);
	}
	cl->outlen = cl->outoff = 0;
	iowatch_stop(cl->ctl->loop, &cl->io);
	if (cl->close_when_flushed) {
		free_client(cl);
		return;
	}
	if (cl->parked) {
		/* Parked: the only thing to watch for is the client leaving. */
		if (!cl->half_closed) {
			iowatch_set(&cl->io, cl->fd, EV_READ);
			iowatch_start(cl->ctl->loop, &cl->io);
		}
		ev_timer_stop(cl->ctl->loop, &cl->timer);
	}
}

void
ctl_reply(struct ctl_client *cl, const char *text, size_t len, bool last)
{
	char *nb;

	if (cl->outlen - cl->outoff + len > CTL_MAX_OUTPUT) {
		log_debug("control: client of uid %u does not read its answer: dropped",
			  (unsigned)cl->uid);
		free_client(cl);
		return;
	}
	if (cl->outoff) { /* compact before growing */
		memmove(cl->out, cl->out + cl->outoff, cl->outlen - cl->outoff);
		cl->outlen -= cl->outoff;
		cl->outoff = 0;
	}
	nb = realloc(cl->out, cl->outlen + len);
	if (!nb) {
		free_client(cl);
		return;
	}
	cl->out = nb;
	memcpy(cl->out + cl->outlen, text, len);
	if (cl->outlen == 0 || last) {
		/* Output is pending from now: a reader that stalls is dropped
		 * CTL_IDLE_TIMEOUT_S after its last progress (flush re-arms). Not
		 * each time more is queued: a log -f follower that reads nothing
		 * would be kept for as long as its service prints. */
		cl->timer.repeat = CTL_IDLE_TIMEOUT_S;
		ev_timer_again(cl->ctl->loop, &cl->timer);
	}
	cl->outlen += len;
	if (last) {
		cl->close_when_flushed = true;
		cl->parked = false;
	}
	flush(cl);
}

void
ctl_error(struct ctl_client *cl, int code, const char *fmt, ...)
{
	char msg[1024];
	struct json j;
	const char *text;
	size_t len;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_init(&j);
	json_obj_begin(&j);
	json_key(&j, "error");
	json_str(&j, msg);
	json_key(&j, "code");
	json_int(&j, code);
	json_obj_end(&j);
	text = json_finish(&j, &len);
	if (text)
		ctl_reply(cl, text, len, true);
	else
		free_client(cl);
	json_free(&j);
}

void
ctl_park(struct ctl_client *cl, double deadline)
{
	cl->parked = true;
	cl->deadline = deadline;
	ev_timer_stop(cl->ctl->loop, &cl->timer);
	if (deadline > 0) {
		ev_timer_set(&cl->timer, deadline - ev_now(cl->ctl->loop), 0.);
		ev_timer_start(cl->ctl->loop, &cl->timer);
	}
	/* Watch for the client hanging up while it waits. */
	iowatch_stop(cl->ctl->loop, &cl->io);
	iowatch_set(&cl->io, cl->fd, EV_READ);
	iowatch_start(cl->ctl->loop, &cl->io);
}

void
ctl_each_parked(struct control *ctl, void (*fn)(void *ctx, struct ctl_client *cl), void *ctx)
{
	unsigned long long walk = ++ctl->walks;
	struct ctl_client *cl, *next;

	/* A reply that makes progress moves its client to the tail, where the
	 * walk meets it again: the mark makes it once. (Each client moves at
	 * most once, so the walk ends.) */
	for (cl = ctl->head; cl; cl = next) {
		next = cl->next; /* FN may free CL */
		if (cl->visited == walk || !cl->parked || cl->close_when_flushed)
			continue;
		cl->visited = walk;
		fn(ctx, cl);
	}
}

/* ---- reading ---------------------------------------------------------------- */

static void
handle_request(struct ctl_client *cl, size_t len)
{
	struct control *ctl = cl->ctl;
	const char *err;

	iowatch_stop(ctl->loop, &cl->io);
	cl->req_line = cl->in; /* req's words point into it from now on */
	cl->in = NULL;
	cl->req_line[len] = '\0';
	ctl->requests++;
	if (ctl_parse(cl->req_line, len, &cl->req, &err) < 0) {
		ctl_error(cl, 2, "bad request: %s", err);
		return;
	}
	if (!(ctl_read_only(cl->req.cmd) ? cl->may_read : cl->may_write)) {
		ctl_error(cl, 2, "permission denied: uid %u may not use '%s'%s", (unsigned)cl->uid,
			  ctl_name(cl->req.cmd),
			  cl->may_read ? " (socket_group allows read-only commands)" : "");
		return;
	}
	ctl->dispatch(ctl, cl);
}

/*
 * A parked client has nothing more to say: data means it left (or broke
 * the protocol). EOF may be a half-close, `echo 'wait web' | nc -U` or
 * socat done with their input and still reading: it keeps its place and
 * gets its answer, and is no longer watched for reading (EOF stays
 * readable). A client that hung up both ways (POLLHUP) has left.
 */
static void
on_parked_readable(struct ctl_client *cl)
{
	struct pollfd p = { .fd = cl->fd, .events = POLLOUT };
	char buf[256];
	ssize_t n = recv(cl->fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == 0 && poll(&p, 1, 0) == 1 && !(p.revents & (POLLHUP | POLLERR))) {
		cl->half_closed = true;
		iowatch_stop(cl->ctl->loop, &cl->io);
		return;
	}
	free_client(cl);
}

static void
on_readable(struct ctl_client *cl)
{
	char *nl, *nb;
	ssize_t n;

	if (cl->parked) {
		on_parked_readable(cl);
		return;
	}
	nb = realloc(cl->in, cl->inlen + CTL_READ_CHUNK + 1);
	if (!nb) {
		free_client(cl);
		return;
	}
	cl->in = nb;
	n = recv(cl->fd, cl->in + cl->inlen, CTL_READ_CHUNK, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		free_client(cl); /* closed (or failed) before a whole request */
		return;
	}
	nl = memchr(cl->in + cl->inlen, '\n', (size_t)n);
	cl->inlen += (size_t)n;
	/* No touch: the request has CTL_IDLE_TIMEOUT_S from the connection
	 * (PROTOCOL.md), not from its last byte, or one byte every few
	 * seconds would hold a slot for a day. */
	if (nl) {
		handle_request(cl, (size_t)(nl - cl->in));
		return;
	}
	if (cl->inlen >= CTL_MAX_REQUEST)
		ctl_error(cl, 2, "bad request: longer than %d bytes", CTL_MAX_REQUEST);
}

static void
on_client_io(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_client *cl = container_of(w, struct ctl_client, io.io);

	if (iowatch_dropped(loop, &cl->io, revents))
		return;
	if (revents & EV_WRITE)
		flush(cl);
	else if (revents & EV_READ)
		on_readable(cl);
}

static void
on_client_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ctl_client *cl = container_of(w, struct ctl_client, timer);

	(void)loop;
	(void)revents;
	if (cl->parked && cl->outlen == cl->outoff && cl->ctl->expire) {
		cl->ctl->expire(cl->ctl, cl);
		return;
	}
	log_debug("control: dropping idle client (uid %u)", (unsigned)cl->uid);
	free_client(cl);
}

/* ---- accepting -------------------------------------------------------------- */

static bool
in_groups(gid_t want, const gid_t *groups, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (groups[i] == want)
			return true;
	return false;
}

/* Is WANT among the peer's supplementary groups? More than the stack
 * holds (a user may have 65536): the kernel says ERANGE and how many
 * bytes it needs, and a second try gets them all. */
static bool
peer_in_group(int fd, gid_t want)
{
	gid_t stack[CTL_MAX_PEER_GROUPS], *groups = stack;
	socklen_t len = sizeof(stack);
	bool in = false;
	int rc = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len);

	if (rc < 0 && errno == ERANGE && len > sizeof(stack)) {
		groups = malloc(len);
		rc = groups ? getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) : -1;
	}
	if (rc == 0)
		in = in_groups(want, groups, len / sizeof(gid_t));
	if (groups != stack)
		free(groups);
	return in;
}

/* From the kernel, never from the client. */
static void
identify(struct control *ctl, struct ctl_client *cl)
{
	socklen_t len = sizeof(struct ucred);
	struct ucred uc;

	cl->uid = (uid_t)-1;
	cl->gid = (gid_t)-1;
	if (getsockopt(cl->fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0) {
		cl->uid = uc.uid;
		cl->gid = uc.gid;
	}
	cl->may_write = cl->uid == 0 || cl->uid == geteuid();
	cl->may_read = cl->may_write ||
		       (ctl->has_group && (cl->gid == ctl->group || peer_in_group(cl->fd, ctl->group)));
}

/* The one to drop for room. A parked client waits for an answer (start,
 * wait, log -f) and is never touched: it would always be the longest
 * idle, and a flood of connections would drop an operator's waits first.
 * Only when every client is parked, the longest parked. */
static struct ctl_client *
longest_idle(struct control *ctl)
{
	struct ctl_client *cl;

	for (cl = ctl->head; cl; cl = cl->next)
		if (!cl->parked)
			return cl;
	return ctl->head;
}

static void
add_client(struct control *ctl, int fd)
{
	struct ctl_client *cl;

	if (ctl->nclients >= ctl->max_clients && ctl->head) {
		log_debug("control: %zu clients: dropping the longest idle", ctl->nclients);
		free_client(longest_idle(ctl));
	}
	cl = calloc(1, sizeof(*cl));
	if (!cl) {
		close(fd);
		return;
	}
	cl->ctl = ctl;
	cl->fd = fd;
	ctl->nclients++;
	identify(ctl, cl);
	iowatch_init(&cl->io, on_client_io, fd, EV_READ, "a control client", NULL);
	iowatch_quiet(&cl->io);
	iowatch_start(ctl->loop, &cl->io);
	ev_init(&cl->timer, on_client_timer);
	append_client(ctl, cl);
	touch(cl);
}

/*
 * accept(2) failed for want of a descriptor. The connection stays queued,
 * the socket stays readable, and a level-triggered loop would spin on it.
 * Shed the longest-idle client if there is one (the next wake-up accepts);
 * otherwise give up the spare descriptor kept for this, accept the
 * connection, answer it with an error line and close it, so that its
 * client hears why instead of waiting, and take the spare back.
 */
static const char refusal[] = "{\"error\":\"sexton is out of file descriptors\",\"code\":2}\n";

static void
out_of_fds(struct control *ctl)
{
	int fd;

	if (!ctl->out_of_fds)
		log_warn("control: out of file descriptors: %s", ctl->head ?
			 "dropping the longest-idle client" : "refusing clients");
	ctl->out_of_fds = true;
	if (ctl->head) {
		free_client(longest_idle(ctl));
		return;
	}
	if (ctl->spare_fd >= 0)
		close(ctl->spare_fd);
	fd = accept4(ctl->fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0) {
		/* A fresh socket's buffer takes the line: this cannot block. */
		(void)send(fd, refusal, sizeof(refusal) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
		close(fd);
	}
	ctl->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0) /* not even the spare's slot: its clients wait queued */
		iowatch_pause(ctl->loop, &ctl->accept_io, CTL_ACCEPT_PAUSE_S);
}

/* An error accept4 may well repeat: the connection stays queued and the
 * socket readable, and the loop would spin on it. Watched again in
 * CTL_ACCEPT_PAUSE_S; said once until an accept succeeds. */
static void
accept_failed(struct control *ctl)
{
	if (!ctl->accept_failing)
		log_warn("control: cannot accept a client: %m; trying again every %g s",
			 CTL_ACCEPT_PAUSE_S);
	ctl->accept_failing = true;
	iowatch_pause(ctl->loop, &ctl->accept_io, CTL_ACCEPT_PAUSE_S);
}

static void
on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	struct control *ctl = container_of(w, struct control, accept_io.io);
	int fd, i;

	if (iowatch_dropped(loop, &ctl->accept_io, revents))
		return;
	if (ctl->spare_fd < 0) /* used up by a refusal with no slot left for it */
		ctl->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	for (i = 0; i < CTL_ACCEPTS_PER_WAKEUP; i++) {
		fd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			ctl->out_of_fds = ctl->accept_failing = false;
			add_client(ctl, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		/* With the table full accept4 fails before it looks at the
		 * queue: after one that took the last slot the queue may well be
		 * empty, and shedding a client for nobody would drop the one
		 * just accepted. The first try follows a readable socket: then
		 * somebody waits. (Level-triggered: one still queued wakes us.) */
		if ((errno == EMFILE || errno == ENFILE) && i == 0)
			out_of_fds(ctl);
		else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EMFILE &&
			 errno != ENFILE)
			accept_failed(ctl); /* ENOMEM, ENOBUFS, EPERM */
		return;
	}
}

/* ---- the socket --------------------------------------------------------------- */

/* PATH is taken: by a sexton that answers (-EADDRINUSE), or by a file a
 * dead one left (replaced: 0). */
static int
claim_path(const struct sockaddr_un *sa, socklen_t salen)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), rc;

	if (fd < 0)
		return -errno;
	rc = connect(fd, (const struct sockaddr *)sa, salen);
	close(fd);
	if (rc == 0)
		return -EADDRINUSE;
	if (errno == ECONNREFUSED)
		unlink(sa->sun_path); /* left by a sexton that died */
	return 0;
}

/* Bind first and probe only when the path is taken: the probe (a socket
 * and a connect) is a third of the socket's cost at start, and the path is
 * free at nearly every start. 0 or -errno. */
static int
bind_path(int fd, const struct sockaddr_un *sa, socklen_t salen)
{
	mode_t old = umask(0177); /* never world-accessible, not even for an instant */
	int rc = bind(fd, (const struct sockaddr *)sa, salen) < 0 ? -errno : 0;

	if (rc == -EADDRINUSE) {
		rc = claim_path(sa, salen);
		if (rc == 0)
			rc = bind(fd, (const struct sockaddr *)sa, salen) < 0 ? -errno : 0;
	}
	umask(old);
	return rc;
}

int
ctl_open(struct control *ctl, struct ev_loop *loop, const char *path, int mode, bool has_group,
	 gid_t group)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t salen = sizeof(sa);
	int rc;

	memset(ctl, 0, sizeof(*ctl));
	ctl->fd = -1;
	ctl->spare_fd = -1;
	ctl->loop = loop;
	ctl->max_clients = CTL_DEFAULT_MAX_CLIENTS;
	ctl->has_group = has_group;
	ctl->group = group;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ctl->fd < 0)
		return -errno;
	rc = bind_path(ctl->fd, &sa, salen);
	if (rc == 0 && (chmod(path, (mode_t)mode) < 0 ||
			(has_group && chown(path, (uid_t)-1, group) < 0) ||
			listen(ctl->fd, SOMAXCONN) < 0))
		rc = -errno;
	if (rc < 0) {
		if (rc != -EADDRINUSE)
			unlink(path);
		close(ctl->fd);
		ctl->fd = -1;
		return rc;
	}
	strcpy(ctl->path, path);
	ctl->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	iowatch_init(&ctl->accept_io, on_accept, ctl->fd, EV_READ, "the control socket", NULL);
	iowatch_start(loop, &ctl->accept_io);
	return 0;
}

void
ctl_close(struct control *ctl)
{
	while (ctl->head)
		free_client(ctl->head);
	if (ctl->fd < 0)
		return;
	iowatch_stop(ctl->loop, &ctl->accept_io);
	close(ctl->fd);
	unlink(ctl->path);
	ctl->fd = -1;
	if (ctl->spare_fd >= 0)
		close(ctl->spare_fd);
	ctl->spare_fd = -1;
}
