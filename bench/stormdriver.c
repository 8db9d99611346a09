/*
 * stormdriver — the main child of the reap-storm benchmark.
 *
 * usage: stormdriver N WAVES [clone|fork] [TIMEOUT_S] [drain]
 *
 * Each wave: a maker process creates N children blocked reading a pipe
 * whose write end only this driver still holds, then exits, so the N
 * children are reparented to the init (PID 1 of the namespace) while still
 * alive. The driver reaps the maker, reads CLOCK_MONOTONIC and closes the
 * write end: all N wake on EOF and exit at the same moment. It then polls
 * the number of numeric entries in /proc (an unreaped zombie is still
 * listed) every ~50 us until it is back to the count taken before the
 * wave, and records the elapsed time in microseconds.
 *
 * "clone" (default) makes the maker and the children with clone(CLONE_VM)
 * on small stacks in the driver's memory: about 13x cheaper to create than
 * fork() here (80 us against 1 ms), and to the reaper they are ordinary
 * processes with exit signal SIGCHLD. The driver, which never exits during
 * a wave, stays the owner of that shared mm, so the kernel never has to
 * look for a new owner (CONFIG_MEMCG, mm_update_next_owner) mid-wave.
 * "fork" uses fork() for both (each orphan has its own mm to tear down).
 *
 * Prints one line: "storm n=N waves=W us=T1,T2,..." and exits 0, or
 * "storm error: ..." and exits 1 (timeout: the init did not reap).
 *
 * "drain" measures the reaper alone, with the harness (bench/run.py) on
 * the other end of stdin/stdout. Each wave: once the orphans are made the
 * driver prints "stop" and reads a line; the harness SIGSTOPs the init
 * (from the host: the kernel lets an ancestor stop a namespace's init)
 * and answers. The driver releases the orphans, waits until all N are
 * zombies, prints "cont" and polls /proc; the harness reads its clock and
 * SIGCONTs the init; the driver prints "done NS" with CLOCK_MONOTONIC
 * when none is left. Drain time = NS minus the harness's reading: one
 * wake-up of the init plus reaping N zombies that are all there already.
 * Ends with "drain n=N waves=W".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STACK_SIZE (16 * 1024)

static int rfd = -1, wfd = -1;

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Number of numeric entries (pids) in /proc, or -1. */
static int
count_pids(void)
{
	static char buf[65536];
	int fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC), n = 0;
	long got;

	if (fd < 0)
		return -1;
	while ((got = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		long off = 0;

		while (off < got) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);

			if (d->d_name[0] >= '1' && d->d_name[0] <= '9')
				n++;
			off += d->d_reclen;
		}
	}
	close(fd);
	return got < 0 ? -1 : n;
}

/* Number of processes in state Z, or -1. Slow (reads every stat file):
 * used only where no time is measured. */
static int
count_zombies(void)
{
	static char buf[65536];
	int fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC), n = 0;
	long got;

	if (fd < 0)
		return -1;
	while ((got = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		long off = 0;

		while (off < got) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			char path[300], st[512], *p;
			int sfd;
			ssize_t len;

			off += d->d_reclen;
			if (d->d_name[0] < '1' || d->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "%s/stat", d->d_name);
			sfd = openat(fd, path, O_RDONLY | O_CLOEXEC);
			if (sfd < 0)
				continue;
			len = read(sfd, st, sizeof(st) - 1);
			close(sfd);
			if (len <= 0)
				continue;
			st[len] = '\0';
			p = strrchr(st, ')');
			if (p && p[1] == ' ' && p[2] == 'Z')
				n++;
		}
	}
	close(fd);
	return got < 0 ? -1 : n;
}

/* Body of an orphan: wait for EOF on the pipe, then exit. Raw syscalls
 * only: with CLONE_VM it shares the maker's memory and TLS. */
static int
orphan(void *arg)
{
	char c;

	(void)arg;
	syscall(SYS_close, wfd);
	while (syscall(SYS_read, rfd, &c, 1) > 0)
		;
	syscall(SYS_exit_group, 0);
	return 0;
}

/* The maker: creates n orphans, then exits. In clone mode it runs in the
 * driver's memory (CLONE_VM) and so do its children: the driver, alive
 * all along, stays the owner of that mm. */
static int use_fork, nkids;
static char *stacks;

static int
maker(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < nkids; i++) {
		pid_t pid;

		if (use_fork) {
			pid = fork();
			if (pid == 0)
				orphan(NULL);
		} else {
			pid = clone(orphan, stacks + (size_t)(i + 1) * STACK_SIZE,
				    CLONE_VM | SIGCHLD, NULL);
		}
		if (pid < 0) {
			/* Retry after a breath on EAGAIN (pid or memory pressure). */
			if (errno != EAGAIN)
				syscall(SYS_exit_group, 3);
			usleep(1000);
			i--;
		}
	}
	syscall(SYS_exit_group, 0);
	return 0;
}

int
main(int argc, char **argv)
{
	int n, waves, timeout_s, base, w, fds[2], drain;
	char line[64];
	long long *us;

	if (argc < 3) {
		fputs("usage: stormdriver N WAVES [clone|fork] [TIMEOUT_S]\n", stderr);
		return 2;
	}
	n = atoi(argv[1]);
	waves = atoi(argv[2]);
	use_fork = argc > 3 && strcmp(argv[3], "fork") == 0;
	timeout_s = argc > 4 ? atoi(argv[4]) : 60;
	drain = argc > 5 && strcmp(argv[5], "drain") == 0;
	if (n < 1 || waves < 1 || timeout_s < 1)
		return 2;
	nkids = n;
	/* Stack n+1 (the top one) is the maker's; reused by every wave. */
	stacks = mmap(NULL, (size_t)(n + 2) * STACK_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (stacks == MAP_FAILED)
		return 2;
	us = calloc((size_t)waves, sizeof(*us));
	if (!us)
		return 2;
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

	for (w = 0; w < waves; w++) {
		long long t0, t_end, deadline;
		int st, left = -1;
		pid_t mk;
		struct timespec nap = { 0, 50000 };

		base = count_pids();
		if (base < 0 || pipe2(fds, O_CLOEXEC) < 0) {
			printf("storm error: /proc or pipe: %s\n", strerror(errno));
			return 1;
		}
		rfd = fds[0];
		wfd = fds[1];
		if (use_fork) {
			mk = fork();
			if (mk == 0)
				maker(NULL);
		} else {
			mk = clone(maker, stacks + (size_t)(n + 2) * STACK_SIZE, CLONE_VM | SIGCHLD,
				   NULL);
		}
		if (mk < 0) {
			printf("storm error: fork: %s\n", strerror(errno));
			return 1;
		}
		if (waitpid(mk, &st, 0) != mk || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			printf("storm error: maker failed (status %d)\n", st);
			return 1;
		}
		close(rfd);
		if (drain) {
			printf("stop\n");
			fflush(stdout);
			if (!fgets(line, sizeof(line), stdin)) {
				printf("storm error: no answer on stdin\n");
				return 1;
			}
		}
		t0 = now_ns();
		close(wfd); /* release: every orphan reads EOF and exits */
		deadline = t0 + (long long)timeout_s * 1000000000LL;
		if (drain) {
			int z;

			while ((z = count_zombies()) >= 0 && z < n) {
				if (now_ns() > deadline) {
					printf("storm error: only %d zombies of %d (init not stopped?)\n", z, n);
					return 1;
				}
				nanosleep(&nap, NULL);
			}
			printf("cont\n");
			fflush(stdout);
		}
		for (;;) {
			left = count_pids() - base;
			if (left <= 0)
				break;
			if (now_ns() > deadline) {
				printf("storm error: timeout, %d processes left after %d s\n", left,
				       timeout_s);
				return 1;
			}
			nanosleep(&nap, NULL);
		}
		t_end = now_ns();
		us[w] = (t_end - t0) / 1000;
		if (drain) {
			printf("done %lld\n", t_end);
			fflush(stdout);
		}
	}
	if (drain) {
		printf("drain n=%d waves=%d\n", n, waves);
		return 0;
	}
	printf("storm n=%d waves=%d us=", n, waves);
	for (w = 0; w < waves; w++)
		printf("%s%lld", w ? "," : "", us[w]);
	printf("\n");
	return 0;
}
