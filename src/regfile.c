/* regfile — see include/regfile.h. */
#include "regfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

int
regfile_open(const char *path, struct stat *st)
{
	int fd;

	if (stat(path, st) < 0)
		return -errno;
	if (!S_ISREG(st->st_mode))
		return -EINVAL;
	/* O_NONBLOCK: it may have been swapped for a FIFO since the stat. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}

int
regfile_read(const char *path, size_t max, char **text, size_t *len, struct stat *st)
{
	size_t cap = 4096, n = 0;
	char *buf = NULL, *nb;
	ssize_t r;
	int fd = regfile_open(path, st), rc = 0;

	if (fd < 0)
		return fd;
	if ((unsigned long long)st->st_size > max) {
		close(fd);
		return -EFBIG;
	}
	for (;;) {
		if (n + 1 >= cap || !buf) {
			if (n >= max) { /* it grew since the fstat */
				rc = -EFBIG;
				goto out;
			}
			cap = buf ? cap * 2 : cap;
			nb = realloc(buf, cap);
			if (!nb) {
				rc = -ENOMEM;
				goto out;
			}
			buf = nb;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}
