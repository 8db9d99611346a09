/*
 * regfile — the files PID 1 reads itself: the configuration, environment
 * files, passwd and group. Regular files only, looked at (stat) before
 * they are opened: opening a FIFO blocks, opening some devices has side
 * effects (a watchdog starts, a tape rewinds), and reading one may never
 * end. Anything else is -EINVAL, with *ST saying what it is.
 */
#ifndef SEXTON_REGFILE_H
#define SEXTON_REGFILE_H

#include <stddef.h>
#include <sys/stat.h>

/* An fd (read-only, close-on-exec) on PATH, a regular file, or -errno. */
int regfile_open(const char *path, struct stat *st);

/* PATH whole into *TEXT (NUL-terminated, malloc'd; *LEN bytes): 0, or
 * -errno: -EINVAL not a regular file, -EFBIG larger than MAX (never cut),
 * -ENOMEM, or what open or read said. */
int regfile_read(const char *path, size_t max, char **text, size_t *len, struct stat *st);

#endif
