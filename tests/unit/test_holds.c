/* Unit tests: /proc/net line parsing, and what we ourselves hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "holds.h"

/* The sample lines are as a little-endian kernel prints them. */
#define SKIP_ON_BIG_ENDIAN()                                                                       \
	do {                                                                                       \
		if (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__)                                     \
			skip();                                                                    \
	} while (0)

#define TCP_TAIL " 00000000:00000000 00:00000000 00000000     0        0 "

static char out[HOLD_TEXT_MAX];
static unsigned long ino;

static int
inet(const char *line, const char *proto)
{
	ino = 0;
	memset(out, 'x', sizeof(out));
	return holds_parse_inet(line, proto, &ino, out, sizeof(out));
}

static int
unx(const char *line)
{
	ino = 0;
	memset(out, 'x', sizeof(out));
	return holds_parse_unix(line, &ino, out, sizeof(out));
}

static void
test_inet_listen_v4(void **state)
{
	(void)state;
	SKIP_ON_BIG_ENDIAN();
	assert_int_equal(inet("   0: 00000000:1F90 00000000:0000 0A" TCP_TAIL
			      "23456 1 0000000000000000 100 0 0 10 0",
			      "tcp"),
			 0);
	assert_string_equal(out, "tcp 0.0.0.0:8080 LISTEN");
	assert_int_equal(ino, 23456);
	/* Loopback, and a raw line that still has its newline. */
	assert_int_equal(inet("   1: 0100007F:0050 00000000:0000 0A" TCP_TAIL "99 1\n", "tcp"), 0);
	assert_string_equal(out, "tcp 127.0.0.1:80 LISTEN");
	assert_int_equal(ino, 99);
}

static void
test_inet_established_v4(void **state)
{
	(void)state;
	SKIP_ON_BIG_ENDIAN();
	assert_int_equal(inet("  12: 0100007F:1F90 0100007F:C8A2 01 00000000:00000000 00:00000000 "
			      "00000000  1000        0 34567 1 0000000000000000 20 4 30 10 -1",
			      "tcp"),
			 0);
	assert_string_equal(out, "tcp 127.0.0.1:8080 -> 127.0.0.1:51362 ESTABLISHED");
	assert_int_equal(ino, 34567);
	/* TIME_WAIT: no socket left, inode 0. */
	assert_int_equal(inet("   3: 0100007F:1F90 0200000A:D431 06 00000000:00000000 03:00000B25 "
			      "00000000     0        0 0 3 0000000000000000",
			      "tcp"),
			 0);
	assert_string_equal(out, "tcp 127.0.0.1:8080 -> 10.0.0.2:54321 TIME_WAIT");
	assert_int_equal(ino, 0);
	/* An unknown state code is shown as such rather than rejected. */
	assert_int_equal(inet("   3: 0100007F:1F90 00000000:0000 0C" TCP_TAIL "7", "tcp"), 0);
	assert_string_equal(out, "tcp 127.0.0.1:8080 state-0C");
}

static void
test_inet_v6(void **state)
{
	(void)state;
	SKIP_ON_BIG_ENDIAN();
	assert_int_equal(inet("   0: 00000000000000000000000000000000:01BB "
			      "00000000000000000000000000000000:0000 0A" TCP_TAIL
			      "45678 1 0000000000000000 100 0 0 10 0",
			      "tcp6"),
			 0);
	assert_string_equal(out, "tcp6 [::]:443 LISTEN");
	assert_int_equal(ino, 45678);
	assert_int_equal(inet("   1: 00000000000000000000000001000000:01BB "
			      "00000000000000000000000001000000:C822 01" TCP_TAIL "45679 1",
			      "tcp6"),
			 0);
	assert_string_equal(out, "tcp6 [::1]:443 -> [::1]:51234 ESTABLISHED");
	/* An IPv4 client on a dual-stack socket. */
	assert_int_equal(inet("   2: 0000000000000000FFFF00000100007F:1F90 "
			      "0000000000000000FFFF00000100007F:D000 08" TCP_TAIL "45680 1",
			      "tcp6"),
			 0);
	assert_string_equal(out,
			    "tcp6 [::ffff:127.0.0.1]:8080 -> [::ffff:127.0.0.1]:53248 CLOSE_WAIT");
	assert_int_equal(inet("   3: 000080FE00000000FF005452ED8912FE:0222 "
			      "00000000000000000000000000000000:0000 07" TCP_TAIL "45681 1",
			      "udp6"),
			 0);
	assert_string_equal(out, "udp6 [fe80::5254:ff:fe12:89ed]:546");
}

static void
test_inet_udp(void **state)
{
	(void)state;
	SKIP_ON_BIG_ENDIAN();
	assert_int_equal(inet(" 1234: 00000000:0035 00000000:0000 07" TCP_TAIL
			      "56789 2 0000000000000000 0",
			      "udp"),
			 0);
	assert_string_equal(out, "udp 0.0.0.0:53");
	assert_int_equal(ino, 56789);
	/* Connected: the peer, still no state word. */
	assert_int_equal(inet("  77: 0100007F:A1B2 0100007F:0035 01" TCP_TAIL "56790 2 0 0", "udp"),
			 0);
	assert_string_equal(out, "udp 127.0.0.1:41394 -> 127.0.0.1:53");
}

static void
test_inet_rejects(void **state)
{
	const char *v4 = "   0: 00000000:1F90 00000000:0000 0A" TCP_TAIL "23456 1 0 100 0 0 10 0";
	char line[256];
	size_t i;

	(void)state;
	assert_int_equal(inet("  sl  local_address rem_address   st tx_queue rx_queue tr "
			      "tm->when retrnsmt   uid  timeout inode",
			      "tcp"),
			 -1);
	assert_int_equal(inet("  sl  local_address                         remote_address      "
			      "                  st tx_queue rx_queue tr tm->when retrnsmt   uid  "
			      "timeout inode ref pointer drops",
			      "udp6"),
			 -1);
	assert_int_equal(inet("", "tcp"), -1);
	assert_int_equal(inet("\n", "tcp"), -1);
	assert_int_equal(inet("hello world", "tcp"), -1);
	/* An IPv4 line read as tcp6, and the other way round. */
	assert_int_equal(inet(v4, "tcp6"), -1);
	assert_int_equal(inet("   0: 00000000000000000000000000000000:01BB "
			      "00000000000000000000000000000000:0000 0A" TCP_TAIL "1",
			      "tcp"),
			 -1);
	/* Every cut of a good line short of its inode is rejected. */
	for (i = 0; i < strlen(v4); i++) {
		memcpy(line, v4, i);
		line[i] = '\0';
		if (i < strlen(v4) - strlen("23456 1 0 100 0 0 10 0"))
			assert_int_equal(inet(line, "tcp"), -1);
	}
	assert_int_equal(inet("   0: 0000000G:1F90 00000000:0000 0A" TCP_TAIL "1", "tcp"), -1);
	assert_int_equal(inet("   0: 00000000:1F9 00000000:0000 0A" TCP_TAIL "1", "tcp"), -1);
	assert_int_equal(inet("   0: 000000000:1F90 00000000:0000 0A" TCP_TAIL "1", "tcp"), -1);
	assert_int_equal(inet("   0: 00000000:1F90 00000000:0000 0A" TCP_TAIL "12x", "tcp"), -1);
	assert_int_equal(inet("   0: 00000000:1F90 00000000:0000 0A" TCP_TAIL
			      "999999999999999999999999999",
			      "tcp"),
			 -1);
}

static void
test_inet_truncates_output(void **state)
{
	char small[8];

	(void)state;
	SKIP_ON_BIG_ENDIAN();
	memset(small, 'x', sizeof(small));
	assert_int_equal(holds_parse_inet("   0: 00000000:1F90 00000000:0000 0A" TCP_TAIL "5",
					  "tcp", &ino, small, sizeof(small)),
			 0);
	assert_string_equal(small, "tcp 0.0");
}

static void
test_unix(void **state)
{
	(void)state;
	assert_int_equal(unx("0000000000000000: 00000002 00000000 00010000 0001 01 23456 "
			     "/run/x.sock"),
			 0);
	assert_string_equal(out, "unix /run/x.sock");
	assert_int_equal(ino, 23456);
	assert_int_equal(unx("ffff8f4a3b2c1d00: 00000003 00000000 00000000 0001 03 23457 "
			     "@/tmp/.X11-unix/X0\n"),
			 0);
	assert_string_equal(out, "unix @/tmp/.X11-unix/X0");
	assert_int_equal(ino, 23457);
	/* Unnamed, with the inode right-aligned. */
	assert_int_equal(unx("000000006fac8193: 00000003 00000000 00000000 0001 03   119"), 0);
	assert_string_equal(out, "unix");
	assert_int_equal(ino, 119);
	/* A path may hold spaces; control characters do not reach the text. */
	assert_int_equal(unx("0000000000000000: 00000002 00000000 00000000 0002 01 8 /tmp/a b\tc"),
			 0);
	assert_string_equal(out, "unix /tmp/a b?c");
}

static void
test_unix_rejects(void **state)
{
	(void)state;
	assert_int_equal(unx("Num       RefCount Protocol Flags    Type St Inode Path"), -1);
	assert_int_equal(unx(""), -1);
	assert_int_equal(unx("0000000000000000: 00000002 00000000"), -1);
	assert_int_equal(unx("0000000000000000: 00000002 00000000 00010000 0001 01"), -1);
	assert_int_equal(unx("0000000000000000: 00000002 00000000 00010000 0001 01 "), -1);
	assert_int_equal(unx("0000000000000000 00000002 00000000 00010000 0001 01 5 /x"), -1);
	assert_int_equal(unx("0000000000000000: 00000002 00000000 000100000 0001 01 5 /x"), -1);
	assert_int_equal(unx("0000000000000000: 00000002 00000000 00010000 0001 01 5x /x"), -1);
}

/* ---- live: what this process holds ----------------------------------------------- */

static bool
has(const struct holds *h, const char *text)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (strcmp(h->item[i], text) == 0)
			return true;
	return false;
}

static bool
has_prefix(const struct holds *h, const char *prefix)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (strncmp(h->item[i], prefix, strlen(prefix)) == 0)
			return true;
	return false;
}

static int
tcp_listener(unsigned *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return -1;
	*port = ntohs(sa.sin_port);
	return fd;
}

static int
unix_bound(const char *path, size_t pathlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memcpy(sa.sun_path, path, pathlen);
	if (fd < 0 ||
	    bind(fd, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
							 pathlen)) < 0)
		return -1;
	return fd;
}

static void
test_live_self(void **state)
{
	char upath[64], fpath[] = "/tmp/sexton-holds-XXXXXX", real[PATH_MAX], text[HOLD_TEXT_MAX];
	char abs[64];
	int lfd, ufd, afd, ffd, nfd, cfd, sfd, pfd[2];
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	struct holds h;
	unsigned port;

	(void)state;
	snprintf(upath, sizeof(upath), "/tmp/sexton-holds-%d.sock", (int)getpid());
	unlink(upath);
	snprintf(abs, sizeof(abs), "@sexton-holds-%d", (int)getpid());
	assert_true((lfd = tcp_listener(&port)) >= 0);
	assert_true((ufd = unix_bound(upath, strlen(upath))) >= 0);
	abs[0] = '\0'; /* the abstract namespace: a leading NUL */
	assert_true((afd = unix_bound(abs, strlen(abs + 1) + 1)) >= 0);
	abs[0] = '@';
	assert_true((ffd = mkstemp(fpath)) >= 0);
	assert_non_null(realpath(fpath, real));
	assert_true((nfd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0);
	assert_int_equal(pipe(pfd), 0);
	/* A connection to the listener: both ends are ours. */
	assert_true((cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
	assert_int_equal(connect(cfd, (struct sockaddr *)&sa, len), 0);
	assert_true((sfd = accept(lfd, NULL, NULL)) >= 0);
	len = sizeof(sa);
	assert_int_equal(getsockname(cfd, (struct sockaddr *)&sa, &len), 0);

	assert_int_equal(holds_read(getpid(), &h), 0);
	snprintf(text, sizeof(text), "tcp 127.0.0.1:%u LISTEN", port);
	assert_true(has(&h, text));
	assert_string_equal(h.item[0], text); /* listening sockets come first */
	snprintf(text, sizeof(text), "tcp 127.0.0.1:%u -> 127.0.0.1:%u ESTABLISHED",
		 ntohs(sa.sin_port), port);
	assert_true(has(&h, text));
	snprintf(text, sizeof(text), "tcp 127.0.0.1:%u -> 127.0.0.1:%u ESTABLISHED", port,
		 ntohs(sa.sin_port));
	assert_true(has(&h, text));
	snprintf(text, sizeof(text), "unix %s", upath);
	assert_true(has(&h, text));
	snprintf(text, sizeof(text), "unix %s", abs);
	assert_true(has(&h, text));
	assert_true(has(&h, real));
	assert_false(has(&h, "/dev/null"));
	assert_false(has_prefix(&h, "pipe:"));
	assert_false(has_prefix(&h, "anon_inode:"));
	assert_false(has_prefix(&h, "/proc/")); /* holds_read's own directories */
	assert_false(has_prefix(&h, "socket:[")); /* every one of ours resolved */

	close(sfd);
	close(cfd);
	close(pfd[0]);
	close(pfd[1]);
	close(nfd);
	close(ffd);
	unlink(fpath);
	close(afd);
	close(ufd);
	unlink(upath);
	close(lfd);
}

static void
test_live_udp_and_dups(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char fpath[] = "/tmp/sexton-holds-XXXXXX", real[PATH_MAX], text[HOLD_TEXT_MAX];
	socklen_t len = sizeof(sa);
	int ufd, ffd, d1, d2;
	struct holds h;
	size_t i, seen = 0;

	(void)state;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((ufd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) >= 0);
	assert_int_equal(bind(ufd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(ufd, (struct sockaddr *)&sa, &len), 0);
	assert_true((ffd = mkstemp(fpath)) >= 0);
	assert_non_null(realpath(fpath, real));
	assert_true((d1 = dup(ffd)) >= 0);
	assert_true((d2 = dup(ufd)) >= 0);

	assert_int_equal(holds_read(getpid(), &h), 0);
	snprintf(text, sizeof(text), "udp 127.0.0.1:%u", ntohs(sa.sin_port));
	for (i = 0; i < h.n; i++)
		seen += strcmp(h.item[i], text) == 0 || strcmp(h.item[i], real) == 0;
	assert_int_equal(seen, 2); /* each once, dup() or not */

	close(d2);
	close(d1);
	close(ffd);
	unlink(fpath);
	close(ufd);
}

static void
test_live_overflow(void **state)
{
	enum { PAIRS = 20, MORE_PAIRS = 30 };
	int sp[PAIRS + MORE_PAIRS][2], lfd;
	char text[HOLD_TEXT_MAX];
	struct holds h;
	unsigned port;
	size_t i;

	(void)state;
	/* Unnamed sockets first by fd, the listener after them: it is still
	 * listed, and first. */
	for (i = 0; i < PAIRS; i++)
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp[i]), 0);
	assert_true((lfd = tcp_listener(&port)) >= 0);
	assert_int_equal(holds_read(getpid(), &h), 0);
	assert_int_equal(h.n, HOLDS_MAX);
	assert_true(h.n + h.more >= 2 * PAIRS + 1);
	snprintf(text, sizeof(text), "tcp 127.0.0.1:%u LISTEN", port);
	assert_string_equal(h.item[0], text);
	assert_string_equal(h.item[1], "unix");

	/* Past the sockets tracked, the rest are still counted. */
	for (i = PAIRS; i < PAIRS + MORE_PAIRS; i++)
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp[i]), 0);
	assert_int_equal(holds_read(getpid(), &h), 0);
	assert_int_equal(h.n, HOLDS_MAX);
	assert_true(h.n + h.more >= 2 * (PAIRS + MORE_PAIRS) + 1);
	assert_string_equal(h.item[0], text);
	for (i = 0; i < h.n; i++)
		assert_true(strlen(h.item[i]) < HOLD_TEXT_MAX);
	close(lfd);
	for (i = 0; i < PAIRS + MORE_PAIRS; i++) {
		close(sp[i][0]);
		close(sp[i][1]);
	}
}

static void
test_live_child(void **state)
{
	char text[HOLD_TEXT_MAX];
	int pfd[2], lfd, status;
	unsigned port = 0;
	struct holds h;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		lfd = tcp_listener(&port);
		if (lfd < 0 || write(pfd[1], &port, sizeof(port)) != sizeof(port))
			_exit(1);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	assert_int_equal(read(pfd[0], &port, sizeof(port)), sizeof(port));
	close(pfd[0]);
	assert_int_equal(holds_read(pid, &h), 0);
	snprintf(text, sizeof(text), "tcp 127.0.0.1:%u LISTEN", port);
	assert_true(has(&h, text));
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	/* Reaped: its /proc entry is gone. */
	assert_int_equal(holds_read(pid, &h), -ENOENT);
	assert_int_equal(h.n, 0);
}

static void
test_no_such_pid(void **state)
{
	struct holds h;
	char buf[32] = "";
	FILE *f;
	int max = 4194304;

	(void)state;
	/* pid_max itself is never a pid. */
	if ((f = fopen("/proc/sys/kernel/pid_max", "r"))) {
		if (fgets(buf, sizeof(buf), f))
			max = atoi(buf);
		fclose(f);
	}
	assert_int_equal(holds_read(max, &h), -ENOENT);
	assert_int_equal(h.n, 0);
	assert_int_equal(h.more, 0);
	assert_true(holds_read(0, &h) < 0);
	assert_true(holds_read(-1, &h) < 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inet_listen_v4),
		cmocka_unit_test(test_inet_established_v4),
		cmocka_unit_test(test_inet_v6),
		cmocka_unit_test(test_inet_udp),
		cmocka_unit_test(test_inet_rejects),
		cmocka_unit_test(test_inet_truncates_output),
		cmocka_unit_test(test_unix),
		cmocka_unit_test(test_unix_rejects),
		cmocka_unit_test(test_live_self),
		cmocka_unit_test(test_live_udp_and_dups),
		cmocka_unit_test(test_live_overflow),
		cmocka_unit_test(test_live_child),
		cmocka_unit_test(test_no_such_pid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
