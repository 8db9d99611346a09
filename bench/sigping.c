/*
 * sigping — the sending side of the signal-latency benchmark.
 *
 * usage: sigping PID FD SAMPLES WARMUP SEED
 *
 * SAMPLES + WARMUP times: sleep 3–7 ms, read CLOCK_MONOTONIC, send SIGUSR1
 * to PID (the init) and block reading one line from FD, on which the
 * benchmark's child (sigchild) writes the CLOCK_MONOTONIC its handler saw.
 * Prints the SAMPLES latencies in nanoseconds, one per line, and exits 0;
 * on a read error or end of file prints "error: ..." and exits 1.
 *
 * Why not do this in bench/run.py: when everything shares one CPU, the
 * woken init often runs only once the sender blocks, so the sender's own
 * path from kill(2) back to its blocking read can land in the measurement.
 * From Python that path is tens of microseconds; here it is a few hundred
 * instructions.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* One line of digits from FD (its writer sends whole lines); -1 at EOF. */
static long long
read_stamp(int fd)
{
	static char buf[256];
	static size_t have;
	long long v = 0;
	size_t i, j;
	ssize_t n;

	for (;;) {
		for (i = 0; i < have; i++)
			if (buf[i] == '\n')
				break;
		if (i < have)
			break;
		if (have == sizeof(buf))
			return -1;
		n = read(fd, buf + have, sizeof(buf) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		have += (size_t)n;
	}
	for (j = 0; j < i; j++)
		v = v * 10 + (buf[j] - '0');
	for (j = i + 1; j < have; j++)
		buf[j - i - 1] = buf[j];
	have -= i + 1;
	return v;
}

int
main(int argc, char **argv)
{
	int pid, fd, samples, warmup, i;
	long long t0, t1, *out;
	struct timespec pause;

	if (argc != 6) {
		fputs("usage: sigping PID FD SAMPLES WARMUP SEED\n", stderr);
		return 2;
	}
	pid = atoi(argv[1]);
	fd = atoi(argv[2]);
	samples = atoi(argv[3]);
	warmup = atoi(argv[4]);
	srand((unsigned)atoi(argv[5]));
	if (pid <= 1 || fd < 0 || samples < 1 || warmup < 0)
		return 2;
	out = calloc((size_t)samples, sizeof(*out));
	if (!out)
		return 1;
	for (i = 0; i < samples + warmup; i++) {
		pause.tv_sec = 0;
		pause.tv_nsec = 3000000L + rand() % 4000000L;
		nanosleep(&pause, NULL);
		t0 = now_ns();
		if (kill(pid, SIGUSR1) < 0) {
			printf("error: kill: %s\n", strerror(errno));
			return 1;
		}
		t1 = read_stamp(fd);
		if (t1 < 0) {
			printf("error: no answer to SIGUSR1 #%d\n", i);
			return 1;
		}
		if (i >= warmup)
			out[i - warmup] = t1 - t0;
	}
	for (i = 0; i < samples; i++)
		printf("%lld\n", out[i]);
	return 0;
}
