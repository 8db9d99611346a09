/* timecmd: the stopwatch of the status benchmark (bench/supervisors.py).
 *
 *     timecmd K OUT ERR PROG [ARG...]
 *
 * Runs PROG K times, one after the other: vfork + execvp (no copy of the
 * parent's page tables, like posix_spawn; <spawn.h> is shadowed by
 * include/spawn.h in this build), stdin /dev/null, stdout into a pipe that timecmd drains to EOF
 * (as a terminal or a script would read it), stderr appended to ERR. For
 * each run it prints one line on its own stdout:
 *
 *     NS CODE BYTES LINES
 *
 * NS: CLOCK_MONOTONIC from just before vfork until waitpid returned
 * (after EOF); CODE: the exit status, or 128 + the signal; BYTES, LINES:
 * the size and newline count of that run's stdout. The stdout of the last
 * run is written to OUT. A PROG that cannot be run exits 127. Exit 0,
 * or 2 on a usage or system error. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* vfork in a function of its own: the child only execs or _exits. */
static pid_t __attribute__((noinline))
spawn(char **av, int out, const char *errpath)
{
	pid_t pid = vfork();

	if (pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int err = open(errpath, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (in < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
			_exit(126);
		execvp(av[0], av);
		_exit(127);
	}
	return pid;
}

int
main(int argc, char **argv)
{
	char *buf = NULL;
	size_t cap = 0;
	long k;

	if (argc < 5 || (k = strtol(argv[1], NULL, 10)) < 1) {
		fprintf(stderr, "usage: timecmd K OUT ERR PROG [ARG...]\n");
		return 2;
	}
	for (long i = 0; i < k; i++) {
		size_t len = 0, lines = 0;
		int fd[2], st;
		pid_t pid;
		long long t0, t1;

		if (pipe2(fd, O_CLOEXEC) != 0) {
			perror("timecmd: pipe");
			return 2;
		}
		t0 = now_ns();
		pid = spawn(argv + 4, fd[1], argv[3]);
		close(fd[1]);
		if (pid < 0) {
			perror("timecmd: vfork");
			return 2;
		}
		for (;;) {
			ssize_t r;

			if (cap - len < 65536) {
				cap = cap ? 2 * cap : 1 << 20;
				if (!(buf = realloc(buf, cap))) {
					perror("timecmd: realloc");
					return 2;
				}
			}
			r = read(fd[0], buf + len, cap - len);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			len += (size_t)r;
		}
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		t1 = now_ns();
		close(fd[0]);
		for (size_t j = 0; j < len; j++)
			lines += buf[j] == '\n';
		printf("%lld %d %zu %zu\n", t1 - t0,
		       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), len, lines);
		if (i == k - 1) {
			FILE *f = fopen(argv[2], "w");

			if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
				perror("timecmd: OUT");
				return 2;
			}
		}
	}
	free(buf);
	return 0;
}
