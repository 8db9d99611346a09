/*
 * procscan — a snapshot of processes and threads from /proc.
 *
 * Owns reading /proc safely for PID 1: only /proc/PID/stat,
 * /proc/PID/task/TID/stat and .../wchan, through openat on a directory fd,
 * with bounded buffers. Never cmdline, environ or maps: those take the
 * target's mmap lock and can hang the reader for ever. Tasks that vanish
 * mid-scan (ENOENT, ESRCH) are skipped.
 */
#ifndef SEXTON_PROCSCAN_H
#define SEXTON_PROCSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PROC_COMM_MAX 64
#define PROC_WCHAN_MAX 64

struct proc_thread {
	pid_t tid;
	char state;
	char wchan[PROC_WCHAN_MAX];
};

struct proc_info {
	pid_t pid, ppid, session;
	char state;
	char comm[PROC_COMM_MAX];
	char wchan[PROC_WCHAN_MAX];
	struct proc_thread *threads; /* with_threads only */
	size_t nthreads;
	bool ours; /* a descendant of the scanning process */
};

struct proc_snapshot {
	struct proc_info *v;
	size_t n;
};

/* Every process of the system (of the PID namespace), descendants of
 * getpid() marked `ours`. WITH_THREADS also reads each task and wchan.
 * Returns 0 or -errno (-ENOMEM, or /proc unreadable). */
int procscan(struct proc_snapshot *snap, bool with_threads);
void procscan_free(struct proc_snapshot *snap);

/* Read the small file NAME under DIRFD (AT_FDCWD for a path) into BUF with
 * one read(2), NUL-terminated. Returns the length, or -1 if it is gone. */
ssize_t procscan_read(int dirfd, const char *name, char *buf, size_t len);

/* "PID (COMM) S PPID PGRP SESSION ..." → fields; -1 if malformed. */
int procscan_parse_stat(const char *text, char *comm, size_t commlen, char *state, pid_t *ppid,
			pid_t *session);

#endif
