/* glibcabi — see include/glibcabi.h. Linked only into the static builds (musl). */
#include "glibcabi.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int
__fprintf_chk(FILE *f, int flag, const char *fmt, ...)
{
	va_list ap;
	int n;

	(void)flag;
	va_start(ap, fmt);
	n = vfprintf(f, fmt, ap);
	va_end(ap);
	return n;
}

void *
__memcpy_chk(void *dst, const void *src, size_t n, size_t dstlen)
{
	if (n > dstlen)
		abort(); /* what glibc's __chk_fail ends in */
	return memcpy(dst, src, n);
}

int
__snprintf_chk(char *s, size_t n, int flag, size_t slen, const char *fmt, ...)
{
	va_list ap;
	int r;

	(void)flag;
	if (n > slen)
		abort();
	va_start(ap, fmt);
	r = vsnprintf(s, n, fmt, ap);
	va_end(ap);
	return r;
}

int
__vsnprintf_chk(char *s, size_t n, int flag, size_t slen, const char *fmt, va_list ap)
{
	(void)flag;
	if (n > slen)
		abort();
	return vsnprintf(s, n, fmt, ap);
}

char *
__strncpy_chk(char *dst, const char *src, size_t n, size_t dstlen)
{
	if (n > dstlen)
		abort();
	return strncpy(dst, src, n);
}

int
__lxstat(int ver, const char *path, struct stat *buf)
{
	(void)ver;
	return lstat(path, buf);
}
