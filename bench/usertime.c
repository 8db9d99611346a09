/*
 * usertime.so — an LD_PRELOAD shim that times an init's own user-space
 * work around each forwarded signal (bench/usertime.py drives it).
 *
 *   USERTIME_OUT=FILE LD_PRELOAD=build/bench/usertime.so INIT -- ...
 *
 * It wraps epoll_wait(2) and kill(2). For every wake-up in which the init
 * sends SIGUSR1 (the benchmark's signal), it records
 *
 *   pre   from epoll_wait's return to the kill's entry: the init's work
 *         before it forwards (including the read of the signalfd)
 *   post  from the kill's return to the next epoll_wait's entry: what the
 *         init does after forwarding, until it sleeps
 *
 * in nanoseconds, and rewrites FILE ("pre post" per line) every 100
 * samples, so nothing depends on how the init exits. With everything on
 * one CPU the child runs only once the init sleeps, so pre + post is what
 * the init adds to the latency; with the child on another CPU, pre alone.
 * The kernel's part (the system calls themselves) is not in either.
 *
 * Dynamic binaries only (a static one has no LD_PRELOAD), and only inits
 * that sleep in epoll_wait: sexton and the refreaper-libev control row.
 */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/types.h>
#include <time.h>

#define MAX_SAMPLES 4000

static long long woke, kill_in, kill_out;
static int pre[MAX_SAMPLES], post[MAX_SAMPLES], nsamples;

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
write_samples(void)
{
	const char *path = getenv("USERTIME_OUT");
	FILE *f;
	int i;

	if (!path || !(f = fopen(path, "w")))
		return;
	for (i = 0; i < nsamples; i++)
		fprintf(f, "%d %d\n", pre[i], post[i]);
	fclose(f);
}

int
kill(pid_t pid, int sig)
{
	static int (*real)(pid_t, int);
	long long in = now_ns();
	int rc;

	if (!real)
		real = (int (*)(pid_t, int))dlsym(RTLD_NEXT, "kill");
	rc = real(pid, sig);
	if (sig == SIGUSR1 && woke && !kill_in) {
		kill_in = in;
		kill_out = now_ns();
	}
	return rc;
}

int
epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)
{
	static int (*real)(int, struct epoll_event *, int, int);
	long long in = now_ns();
	int rc;

	if (!real)
		real = (int (*)(int, struct epoll_event *, int, int))dlsym(RTLD_NEXT, "epoll_wait");
	if (kill_in && nsamples < MAX_SAMPLES) {
		pre[nsamples] = (int)(kill_in - woke);
		post[nsamples] = (int)(in - kill_out);
		if (++nsamples % 100 == 0)
			write_samples();
	}
	kill_in = 0;
	rc = real(epfd, events, maxevents, timeout);
	woke = now_ns();
	return rc;
}
