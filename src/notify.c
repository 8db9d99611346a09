/* notify — see include/notify.h. */
#include "notify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static bool
is_key(const char *line, size_t len, const char *key)
{
	size_t klen = strlen(key);

	return len > klen && memcmp(line, key, klen) == 0 && line[klen] == '=';
}

static void
copy_status(struct notify_msg *msg, const char *v, size_t len)
{
	size_t i;

	if (len >= sizeof(msg->status))
		len = sizeof(msg->status) - 1;
	for (i = 0; i < len; i++)
		msg->status[i] = (unsigned char)v[i] < 0x20 || v[i] == 0x7f ? '?' : v[i];
	msg->status[len] = '\0';
	msg->has_status = true;
}

static pid_t
parse_pid(const char *v, size_t len)
{
	char buf[16];
	char *end;
	long n;

	if (len == 0 || len >= sizeof(buf))
		return 0;
	memcpy(buf, v, len);
	buf[len] = '\0';
	n = strtol(buf, &end, 10);
	return (*end || n <= 0 || n > 0x3fffffff) ? 0 : (pid_t)n;
}

static void
parse_line(const char *line, size_t len, struct notify_msg *msg)
{
	if (len == 7 && memcmp(line, "READY=1", 7) == 0)
		msg->ready = true;
	else if (len == 10 && memcmp(line, "STOPPING=1", 10) == 0)
		msg->stopping = true;
	else if (len == 10 && memcmp(line, "WATCHDOG=1", 10) == 0)
		msg->watchdog = true;
	else if (is_key(line, len, "STATUS") || (len == 7 && memcmp(line, "STATUS=", 7) == 0))
		copy_status(msg, line + 7, len - 7);
	else if (is_key(line, len, "MAINPID"))
		msg->mainpid = parse_pid(line + 8, len - 8);
}

void
notify_parse(const char *data, size_t len, struct notify_msg *msg)
{
	const char *p = data, *end = data + len, *nl;

	memset(msg, 0, sizeof(*msg));
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		parse_line(p, (size_t)(nl - p), msg);
		p = nl + 1;
	}
}

int
notify_open(char *addr, size_t addrlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, one = 1, n;
	socklen_t salen;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
		goto fail;
	/* Abstract: sun_path[0] = '\0'; the name is what follows. */
	n = snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "sexton-notify-%d", (int)getpid());
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
	if (bind(fd, (struct sockaddr *)&sa, salen) < 0)
		goto fail;
	snprintf(addr, addrlen, "@%s", sa.sun_path + 1);
	return fd;
fail:
	n = -errno;
	close(fd);
	return n;
}

ssize_t
notify_recv(int fd, char *buf, size_t len, pid_t *sender)
{
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(16 * sizeof(int))];
	} ctl;
	struct iovec iov = { buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl,
			     .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c;
	ssize_t n;

	do
		n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	*sender = 0;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_CREDENTIALS) {
			struct ucred uc;

			memcpy(&uc, CMSG_DATA(c), sizeof(uc));
			*sender = uc.pid;
		} else if (c->cmsg_type == SCM_RIGHTS) {
			/* Nobody may park file descriptors in PID 1. */
			int *fds = (int *)CMSG_DATA(c);
			size_t i, nfds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (i = 0; i < nfds; i++)
				close(fds[i]);
		}
	}
	if (*sender <= 0)
		return -EPERM;
	/* Cut, the rest could read as another message: "MAINPID=100" cut
	 * after its "1" names PID 1. Dropped whole, as systemd does. */
	return (size_t)n > len ? -EMSGSIZE : n;
}
