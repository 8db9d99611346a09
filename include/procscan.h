/*
 * procscan — a snapshot of processes and threads from /proc.
 *
 * Owns reading /proc safely for PID 1: only /proc/PID/stat,
 * /proc/PID/task/TID/stat, wchan, status and stack, through openat on a
 * directory fd, with bounded buffers. Never cmdline, environ, maps or
 * smaps: those take the target's mmap lock and can hang the reader for
 * ever (the hung `ps aux`). Tasks that vanish mid-scan (ENOENT, ESRCH)
 * are skipped.
 *
 * Cost: one small file per process, one per thread of a multi-threaded
 * process; wchan only for threads in D (unless PROCSCAN_WCHAN_ALL) and
 * status only for zombies. A snapshot's tables are reused by the next
 * scan into it: no allocation per task once they are big enough.
 */
#ifndef SEXTON_PROCSCAN_H
#define SEXTON_PROCSCAN_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>

#define PROC_COMM_MAX 64
#define PROC_WCHAN_MAX 64

struct proc_thread {
	pid_t tid;
	char state;
	bool steady; /* in the same state at every procscan_resample() */
	unsigned long long start; /* clock ticks after boot: tells a reused tid apart */
	char wchan[PROC_WCHAN_MAX];
};

struct proc_info {
	pid_t pid, ppid, session;
	char state; /* the thread-group leader's */
	long nthreads_kernel; /* stat's num_threads: > 1 for a Z leader = fake zombie */
	unsigned long long start;
	pid_t tracer; /* zombies only (status TracerPid) */
	char comm[PROC_COMM_MAX];
	char wchan[PROC_WCHAN_MAX];
	size_t thread0, nthreads; /* snap->t[thread0 .. +nthreads], PROCSCAN_THREADS */
	bool ours; /* a descendant of the scanning process */
};

struct proc_snapshot {
	struct proc_info *v; /* sorted by pid */
	size_t n, cap;
	struct proc_thread *t;
	size_t nt, tcap;
};

enum {
	PROCSCAN_THREADS = 1,	 /* every thread of every process */
	PROCSCAN_WCHAN_ALL = 2, /* wchan of every thread, not only those in D */
};

/* One line of /proc/PID/stat. */
struct proc_stat {
	char comm[PROC_COMM_MAX];
	char state;
	pid_t ppid, pgrp, session;
	long num_threads;
	unsigned long long start;
};

/* Every process of the system (of the PID namespace) into SNAP (zeroed the
 * first time, reused after), descendants of getpid() marked `ours`.
 * Returns 0 or -errno (-ENOMEM, or /proc unreadable). */
int procscan(struct proc_snapshot *snap, unsigned flags);
void procscan_free(struct proc_snapshot *snap);

/* The pids SNAP's processes use: one per thread (stat's num_threads), at
 * least one each (a zombie keeps its pid). What pid_max limits. */
long procscan_tasks(const struct proc_snapshot *snap);

/* How many processes /proc lists (its numeric entries), without reading
 * any of them: one getdents pass, for `metrics`, which a client may ask
 * for as often as it likes. Returns the count or -errno. */
long procscan_count(void);

/* Is this process in a PID namespace other than the machine's own (a
 * container)? False when /proc cannot tell. In the machine's, PID 1 has
 * the kernel's threads beside it (kthreadd: ppid 0), never "outsiders". */
bool procscan_in_child_pidns(void);

/* The process PID in SNAP, or NULL. */
const struct proc_info *procscan_find(const struct proc_snapshot *snap, pid_t pid);

/* Re-read the stat of every thread in D or Z and of every zombie leader;
 * clear `steady` where the state changed or the task is gone. Returns the
 * number of threads still steady in D or Z. */
size_t procscan_resample(struct proc_snapshot *snap);

/* Read the small file NAME under DIRFD (AT_FDCWD for a path) into BUF with
 * one read(2), NUL-terminated. Returns the length, or -1 if it is gone. */
ssize_t procscan_read(int dirfd, const char *name, char *buf, size_t len);

/* "PID (COMM) S PPID PGRP SESSION ... NUM_THREADS ... STARTTIME ..." →
 * fields; -1 if malformed or cut short. COMM may hold spaces and ')'. */
int procscan_parse_stat(const char *text, struct proc_stat *st);

/* From /proc/PID/task/TID/status. */
struct proc_status {
	pid_t tracer;	      /* TracerPid */
	bool sigkill_pending; /* SIGKILL in SigPnd or ShdPnd */
	/* Bit N-1 for signal N: SigPnd|ShdPnd, and the thread's SigBlk; the
	 * process's SigIgn and SigCgt (a handler). 0 when the line is missing. */
	uint64_t pending, blocked, ignored, caught;
	long threads; /* Threads, 0 when missing */
};
int procscan_parse_status(const char *text, struct proc_status *st);
int procscan_status(pid_t pid, pid_t tid, struct proc_status *st);

/* The kernel stack of PID/TID (root only) as function names, innermost
 * first: "[<0>] __refrigerator+0xac/0xd0" → "__refrigerator". Returns how
 * many went into FRAMES (0 when unreadable). */
size_t procscan_parse_stack(const char *text, char (*frames)[PROC_WCHAN_MAX], size_t max);
size_t procscan_stack(pid_t pid, pid_t tid, char (*frames)[PROC_WCHAN_MAX], size_t max);

#endif
