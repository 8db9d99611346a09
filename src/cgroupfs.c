/* cgroupfs — see include/cgroupfs.h. */
#include "cgroupfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* mountinfo fields are at most a path long; longer ones match nothing. */
#define FIELD_MAX 4096
#define MOUNTINFO_MAX (4 << 20)

/* Copy the space-delimited field at *p into out, undoing mountinfo's
 * octal escapes (\040 for a space, \134 for a backslash). Returns false
 * at the end of the line or when the field does not fit. */
static bool
next_field(const char **p, char *out, size_t len)
{
	const char *s = *p;
	size_t n = 0;

	while (*s == ' ')
		s++;
	if (*s == '\0' || *s == '\n')
		return false;
	for (; *s && *s != ' ' && *s != '\n'; s++) {
		char c = *s;

		if (c == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			c = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		}
		if (n + 1 >= len)
			return false;
		out[n++] = c;
	}
	out[n] = '\0';
	*p = s;
	return true;
}

/* "rw,nosuid,freezer" holds "freezer" as a whole word. */
static bool
has_option(const char *options, const char *word)
{
	size_t n = strlen(word);
	const char *s;

	for (s = options; (s = strstr(s, word)); s += n)
		if ((s == options || s[-1] == ',') && (s[n] == ',' || s[n] == '\0'))
			return true;
	return false;
}

/* The part of CGPATH below ROOT, or NULL when ROOT does not hold it. */
static const char *
below_root(const char *cgpath, const char *root)
{
	size_t n = strlen(root);

	if (strcmp(root, "/") == 0)
		return strcmp(cgpath, "/") == 0 ? "" : cgpath;
	if (strncmp(cgpath, root, n) != 0 || (cgpath[n] != '/' && cgpath[n] != '\0'))
		return NULL;
	return cgpath + n;
}

/* One mountinfo line: "ID PARENT MAJ:MIN ROOT POINT OPTS [TAGS...] - TYPE SRC SUPEROPTS".
 * When it is a mount of CONTROLLER's hierarchy, its root and mount point. */
static bool
cgroup_mount(const char *line, const char *controller, char *root, char *point)
{
	char field[FIELD_MAX], type[32];
	const char *p = line;
	int i;

	for (i = 0; i < 3; i++)
		if (!next_field(&p, field, sizeof(field)))
			return false;
	if (!next_field(&p, root, FIELD_MAX) || !next_field(&p, point, FIELD_MAX))
		return false;
	do
		if (!next_field(&p, field, sizeof(field)))
			return false;
	while (strcmp(field, "-") != 0);
	if (!next_field(&p, type, sizeof(type)) || !next_field(&p, field, sizeof(field)))
		return false;
	if (*controller == '\0')
		return strcmp(type, "cgroup2") == 0;
	return strcmp(type, "cgroup") == 0 && next_field(&p, field, sizeof(field)) &&
	       has_option(field, controller);
}

int
cgroupfs_dir(const char *mountinfo, const char *controller, const char *cgpath, char *out,
	     size_t len)
{
	char root[FIELD_MAX], point[FIELD_MAX];
	const char *line, *rest;
	size_t best = 0;
	int rc = -ENOENT, n;

	for (line = mountinfo; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (!cgroup_mount(line, controller, root, point) || !(rest = below_root(cgpath, root)))
			continue;
		if (rc != -ENOENT && strlen(root) <= best)
			continue;
		best = strlen(root);
		/* "/" + "/sub" would be "//sub": a root mount point adds nothing. */
		n = snprintf(out, len, "%s%s", strcmp(point, "/") == 0 && *rest ? "" : point, rest);
		rc = n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
	}
	return rc;
}

int
cgroupfs_path(const char *text, const char *controller, char *out, size_t len)
{
	size_t n = strlen(controller), linelen, plen;
	const char *line, *eol, *ctrl, *path;

	for (line = text; line && *line; line = eol ? eol + 1 : NULL) {
		eol = strchr(line, '\n');
		linelen = eol ? (size_t)(eol - line) : strlen(line);
		if (!(ctrl = memchr(line, ':', linelen)))
			continue;
		ctrl++; /* the hierarchy's controllers, up to the next ':' */
		if ((size_t)(ctrl - line) + n >= linelen || strncmp(ctrl, controller, n) != 0 ||
		    ctrl[n] != ':')
			continue;
		path = ctrl + n + 1;
		plen = (size_t)(line + linelen - path);
		if (plen >= len)
			return -ENAMETOOLONG;
		memcpy(out, path, plen);
		out[plen] = '\0';
		return 0;
	}
	return -ENOENT;
}

int
mountinfo_point(const char *line, char *out, size_t len)
{
	char field[FIELD_MAX];
	const char *p = line;
	int i;

	for (i = 0; i < 4; i++)
		if (!next_field(&p, field, sizeof(field)))
			return -EINVAL;
	if (next_field(&p, out, len))
		return 0;
	/* At the end of the line, or a field longer than OUT. */
	while (*p == ' ')
		p++;
	return *p == '\0' || *p == '\n' ? -EINVAL : -ENAMETOOLONG;
}

char *
cgroupfs_read_mountinfo(void)
{
	size_t cap = 16384, n = 0;
	char *buf = malloc(cap), *nb;
	int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (!buf || fd < 0)
		goto fail;
	while ((r = read(fd, buf + n, cap - n - 1)) > 0) {
		n += (size_t)r;
		if (cap - n - 1 > 0)
			continue;
		if (cap >= MOUNTINFO_MAX || !(nb = realloc(buf, cap * 2)))
			goto fail;
		buf = nb;
		cap *= 2;
	}
	if (r < 0)
		goto fail;
	close(fd);
	buf[n] = '\0';
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}
