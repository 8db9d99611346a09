/* Unit tests: sd_notify datagram parsing, and the socket end to end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

static void
test_parse_fields(void **state)
{
	const char *d = "READY=1\nSTATUS=Serving 3 clients\nMAINPID=4242\nWATCHDOG=1\nX_CUSTOM=1";
	struct notify_msg m;

	(void)state;
	notify_parse(d, strlen(d), &m);
	assert_true(m.ready);
	assert_true(m.watchdog);
	assert_false(m.stopping);
	assert_true(m.has_status);
	assert_string_equal(m.status, "Serving 3 clients");
	assert_int_equal(m.mainpid, 4242);
}

static void
test_parse_rejects_near_misses(void **state)
{
	const char *d = "READY=0\nREADY=11\nSTOPPING=1\nMAINPID=abc\nWATCHDOG=trigger";
	struct notify_msg m;

	(void)state;
	notify_parse(d, strlen(d), &m);
	assert_false(m.ready);
	assert_false(m.watchdog);
	assert_true(m.stopping);
	assert_int_equal(m.mainpid, 0);
	notify_parse("MAINPID=-5", 10, &m);
	assert_int_equal(m.mainpid, 0);
	notify_parse("MAINPID=99999999999", 19, &m);
	assert_int_equal(m.mainpid, 0);
}

static void
test_status_control_bytes_and_truncation(void **state)
{
	char d[600] = "STATUS=";
	struct notify_msg m;

	(void)state;
	notify_parse("STATUS=a\tb\x1b[31m", 15, &m);
	assert_string_equal(m.status, "a?b?[31m");
	memset(d + 7, 'x', 500);
	notify_parse(d, 507, &m);
	assert_int_equal(strlen(m.status), NOTIFY_STATUS_MAX - 1);
	notify_parse("STATUS=", 7, &m);
	assert_true(m.has_status);
	assert_string_equal(m.status, "");
}

static void
test_socket_reports_sender_pid(void **state)
{
	char addr[108], buf[64];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	pid_t sender = 0;
	socklen_t len;
	ssize_t n;
	int fd, c;

	(void)state;
	fd = notify_open(addr, sizeof(addr));
	assert_true(fd >= 0);
	assert_int_equal(addr[0], '@');
	strcpy(sa.sun_path + 1, addr + 1);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(addr));
	c = socket(AF_UNIX, SOCK_DGRAM, 0);
	assert_int_equal(sendto(c, "READY=1", 7, 0, (struct sockaddr *)&sa, len), 7);
	n = notify_recv(fd, buf, sizeof(buf), &sender);
	assert_int_equal(n, 7);
	assert_int_equal(sender, getpid());
	assert_int_equal(notify_recv(fd, buf, sizeof(buf), &sender), 0); /* drained */
	close(c);
	close(fd);
}

/* A datagram longer than the buffer is dropped whole, never parsed cut:
 * "MAINPID=100" cut after "MAINPID=1" would name PID 1. */
static void
test_socket_drops_an_oversize_datagram(void **state)
{
	char addr[108], buf[16], big[64];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	pid_t sender = 0;
	socklen_t len;
	int fd, c;

	(void)state;
	fd = notify_open(addr, sizeof(addr));
	assert_true(fd >= 0);
	strcpy(sa.sun_path + 1, addr + 1);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(addr));
	c = socket(AF_UNIX, SOCK_DGRAM, 0);
	memset(big, 'x', sizeof(big));
	memcpy(big + sizeof(buf) - 9, "MAINPID=100", 11);
	assert_int_equal(sendto(c, big, sizeof(big), 0, (struct sockaddr *)&sa, len), sizeof(big));
	assert_int_equal(sendto(c, "READY=1", 7, 0, (struct sockaddr *)&sa, len), 7);
	assert_int_equal(notify_recv(fd, buf, sizeof(buf), &sender), -EMSGSIZE);
	assert_int_equal(sender, getpid());
	assert_int_equal(notify_recv(fd, buf, sizeof(buf), &sender), 7); /* the next one is whole */
	assert_int_equal(notify_recv(fd, buf, sizeof(buf), &sender), 0);
	close(c);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_parse_rejects_near_misses),
		cmocka_unit_test(test_status_control_bytes_and_truncation),
		cmocka_unit_test(test_socket_reports_sender_pid),
		cmocka_unit_test(test_socket_drops_an_oversize_datagram),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
