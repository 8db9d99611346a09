/* userdb — see include/userdb.h. */
#include "userdb.h"
#include "regfile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define UDB_MAX_FIELDS 8

/* Split LINE in place at ':' into at most MAX fields; returns the count. */
static size_t
split_fields(char *line, char **field, size_t max)
{
	size_t n = 0;
	char *p = line;

	while (n < max) {
		field[n++] = p;
		p = strchr(p, ':');
		if (!p)
			break;
		*p++ = '\0';
	}
	return n;
}

int
udb_parse_id(const char *text, unsigned *id)
{
	unsigned long long v = 0;
	const char *p;

	if (!*text)
		return -1;
	for (p = text; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned)(*p - '0');
		/* (uid_t)-1 means "no change" to setuid() and friends. */
		if (v >= (uid_t)-1)
			return -1;
	}
	*id = (unsigned)v;
	return 0;
}

/* A line worth looking at: not blank, not a comment, not NIS compat. */
static bool
usable_line(const char *line)
{
	return *line && *line != '#' && *line != '+' && *line != '-';
}

static int
add_user(struct udb *db, size_t *cap, char **f, size_t nf)
{
	struct udb_user *u;
	unsigned uid, gid;

	if (nf < 4 || !*f[0] || udb_parse_id(f[2], &uid) || udb_parse_id(f[3], &gid))
		return 0;
	if (db->nusers == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;

		u = realloc(db->users, ncap * sizeof(*u));
		if (!u)
			return -ENOMEM;
		db->users = u;
		*cap = ncap;
	}
	u = &db->users[db->nusers];
	u->uid = uid;
	u->gid = gid;
	u->name = strdup(f[0]);
	u->home = nf >= 6 ? strdup(f[5]) : NULL;
	if (!u->name || (nf >= 6 && !u->home)) {
		free(u->name);
		free(u->home);
		return -ENOMEM;
	}
	db->nusers++;
	return 0;
}

/* Split "a,b,,c" into a NULL-terminated list, skipping empty names. */
static char **
split_members(const char *list)
{
	size_t n = 1, i = 0;
	const char *p, *start;
	char **v;

	for (p = list; *p; p++)
		n += *p == ',';
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return NULL;
	for (start = p = list;; p++) {
		if (*p != ',' && *p != '\0')
			continue;
		if (p > start) {
			v[i] = strndup(start, (size_t)(p - start));
			if (!v[i]) {
				while (i)
					free(v[--i]);
				free(v);
				return NULL;
			}
			i++;
		}
		if (*p == '\0')
			break;
		start = p + 1;
	}
	return v;
}

static void
free_members(char **v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

static int
add_group(struct udb *db, size_t *cap, char **f, size_t nf)
{
	struct udb_group *g;
	unsigned gid;

	if (nf < 3 || !*f[0] || udb_parse_id(f[2], &gid))
		return 0;
	if (db->ngroups == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;

		g = realloc(db->groups, ncap * sizeof(*g));
		if (!g)
			return -ENOMEM;
		db->groups = g;
		*cap = ncap;
	}
	g = &db->groups[db->ngroups];
	g->gid = gid;
	g->name = strdup(f[0]);
	g->members = split_members(nf >= 4 ? f[3] : "");
	if (!g->name || !g->members) {
		free(g->name);
		free_members(g->members);
		return -ENOMEM;
	}
	db->ngroups++;
	return 0;
}

/* Read DIR/NAME line by line into DB. Returns 0, -ENOMEM, or sets *FILE_ERRNO. */
static int
load_file(struct udb *db, const char *dir, const char *name, int *file_errno)
{
	size_t cap = 0, linecap = 0;
	char *path, *line = NULL;
	struct stat st;
	ssize_t len;
	FILE *f;
	int fd, rc = 0;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	/* PID 1 reads it at every reload: a regular file only (EINVAL else). */
	fd = regfile_open(path, &st);
	free(path);
	if (fd < 0)
		errno = -fd;
	f = fd >= 0 ? fdopen(fd, "re") : NULL;
	if (!f) {
		*file_errno = errno;
		if (fd >= 0)
			close(fd);
		return *file_errno == ENOMEM ? -ENOMEM : 0;
	}
	while (rc == 0 && (len = getline(&line, &linecap, f)) >= 0) {
		char *field[UDB_MAX_FIELDS];
		size_t nf, want = (size_t)len;

		if (want > 0 && line[want - 1] == '\n')
			line[--want] = '\0';
		/* A line holding a NUL byte is as malformed as any other. */
		if (strlen(line) != want || !usable_line(line))
			continue;
		nf = split_fields(line, field, UDB_MAX_FIELDS);
		if (strcmp(name, "passwd") == 0)
			rc = add_user(db, &cap, field, nf);
		else
			rc = add_group(db, &cap, field, nf);
	}
	if (rc == 0 && ferror(f))
		*file_errno = EIO;
	free(line);
	fclose(f);
	return rc;
}

int
udb_load(struct udb *db, const char *etc_dir)
{
	int rc;

	memset(db, 0, sizeof(*db));
	rc = load_file(db, etc_dir, "passwd", &db->passwd_errno);
	if (rc == 0)
		rc = load_file(db, etc_dir, "group", &db->group_errno);
	if (rc < 0)
		udb_free(db);
	return rc;
}

void
udb_free(struct udb *db)
{
	size_t i;

	for (i = 0; i < db->nusers; i++) {
		free(db->users[i].name);
		free(db->users[i].home);
	}
	for (i = 0; i < db->ngroups; i++) {
		free(db->groups[i].name);
		free_members(db->groups[i].members);
	}
	free(db->users);
	free(db->groups);
	memset(db, 0, sizeof(*db));
}

const struct udb_user *
udb_user_by_name(const struct udb *db, const char *name)
{
	size_t i;

	for (i = 0; i < db->nusers; i++)
		if (strcmp(db->users[i].name, name) == 0)
			return &db->users[i];
	return NULL;
}

const struct udb_user *
udb_user_by_uid(const struct udb *db, uid_t uid)
{
	size_t i;

	for (i = 0; i < db->nusers; i++)
		if (db->users[i].uid == uid)
			return &db->users[i];
	return NULL;
}

const struct udb_group *
udb_group_by_name(const struct udb *db, const char *name)
{
	size_t i;

	for (i = 0; i < db->ngroups; i++)
		if (strcmp(db->groups[i].name, name) == 0)
			return &db->groups[i];
	return NULL;
}

static bool
is_member(const struct udb_group *g, const char *user)
{
	size_t i;

	for (i = 0; g->members[i]; i++)
		if (strcmp(g->members[i], user) == 0)
			return true;
	return false;
}

static bool
has_gid(const gid_t *v, size_t n, gid_t gid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == gid)
			return true;
	return false;
}

int
udb_user_groups(const struct udb *db, const char *user, gid_t primary, gid_t **gids,
		size_t *ngids)
{
	size_t i, n = 0;
	gid_t *v;

	/* Upper bound: the primary group plus every group in the file. */
	v = malloc((db->ngroups + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	v[n++] = primary;
	for (i = 0; i < db->ngroups; i++) {
		const struct udb_group *g = &db->groups[i];

		if (is_member(g, user) && !has_gid(v, n, g->gid))
			v[n++] = g->gid;
	}
	*gids = v;
	*ngids = n;
	return 0;
}
