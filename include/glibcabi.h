/*
 * glibcabi — the glibc-only entry points that Debian's libev.a, libinih.a
 * and libjansson.a call, for the static builds, which link those archives
 * with musl (make static: sexton-static, sextonctl-static).
 *
 * The archives were compiled against glibc's headers with _FORTIFY_SOURCE,
 * so they call the __*_chk variants of fprintf, memcpy, snprintf,
 * vsnprintf and strncpy, and libev's ev_stat calls the old __lxstat.
 * Everything else they call musl provides under the same name, and every
 * structure they hand to the C library (sigset_t, struct sigaction, stat,
 * statfs, epoll_event, timespec, utsname) has the same layout in both
 * libraries on Linux: the kernel's. Only the static builds link this
 * module; the glibc builds have the real ones.
 */
#ifndef SEXTON_GLIBCABI_H
#define SEXTON_GLIBCABI_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>

/* fprintf with glibc's fortify flag, which only changes %n checking. */
int __fprintf_chk(FILE *f, int flag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* memcpy that aborts when N overflows the destination's known size. */
void *__memcpy_chk(void *dst, const void *src, size_t n, size_t dstlen);

/* What Debian's libjansson.a adds (sextonctl-static): the bounded string
 * functions, aborting when N overflows the destination's known size. */
int __snprintf_chk(char *s, size_t n, int flag, size_t slen, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
int __vsnprintf_chk(char *s, size_t n, int flag, size_t slen, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));
char *__strncpy_chk(char *dst, const char *src, size_t n, size_t dstlen);

/* lstat with glibc's struct version number (1 on x86-64: the kernel's). */
int __lxstat(int ver, const char *path, struct stat *buf);

#endif
