/*
 * glibcabi — the three glibc-only entry points that Debian's libev.a and
 * libinih.a call, for the static build, which links those archives with
 * musl (make static).
 *
 * The archives were compiled against glibc's headers with _FORTIFY_SOURCE,
 * so they call __fprintf_chk and __memcpy_chk, and libev's ev_stat calls
 * the old __lxstat. Everything else they call musl provides under the same
 * name, and every structure they hand to the C library (sigset_t, struct
 * sigaction, stat, statfs, epoll_event, timespec, utsname) has the same
 * layout in both libraries on Linux: the kernel's. Only build/sexton-static
 * links this module; the glibc builds have the real ones.
 */
#ifndef SEXTON_GLIBCABI_H
#define SEXTON_GLIBCABI_H

#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>

/* fprintf with glibc's fortify flag, which only changes %n checking. */
int __fprintf_chk(FILE *f, int flag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* memcpy that aborts when N overflows the destination's known size. */
void *__memcpy_chk(void *dst, const void *src, size_t n, size_t dstlen);

/* lstat with glibc's struct version number (1 on x86-64: the kernel's). */
int __lxstat(int ver, const char *path, struct stat *buf);

#endif
