/* Fuzz target: passwd and group files (userdb), then every lookup sexton
 * makes with what they hold. The input is the two files: a 2-byte
 * big-endian length of passwd, passwd, then group. They are written to a
 * private directory, since udb_load reads files, as it does at start. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "userdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/fuzz_userdb.XXXXXX";

static void
put(const char *name, const uint8_t *data, size_t size)
{
	char path[sizeof(dir) + 16];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	close(fd);
}

static void
cleanup(void)
{
	char path[sizeof(dir) + 16];

	snprintf(path, sizeof(path), "%s/passwd", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/group", dir);
	unlink(path);
	rmdir(dir);
}

static void
check_user(const struct udb *db, const struct udb_user *u)
{
	const struct udb_user *found = udb_user_by_name(db, u->name);
	gid_t *gids = NULL;
	size_t n = 0, i, j;

	/* The first entry of that name: same name, and an entry of DB. */
	if (!found || strcmp(found->name, u->name) != 0 || found < db->users ||
	    found >= db->users + db->nusers || !udb_user_by_uid(db, u->uid))
		__builtin_trap();
	if (udb_user_groups(db, u->name, u->gid, &gids, &n) < 0)
		return;
	/* The primary group first, no duplicates, at most one per group + 1. */
	if (n < 1 || gids[0] != u->gid || n > db->ngroups + 1)
		__builtin_trap();
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (gids[i] == gids[j])
				__builtin_trap();
	free(gids);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct udb db;
	size_t plen, i;

	if (!ready) {
		if (!mkdtemp(dir))
			abort();
		atexit(cleanup);
		ready = 1;
	}
	if (size < 2)
		return 0;
	plen = (size_t)data[0] << 8 | data[1];
	data += 2, size -= 2;
	if (plen > size)
		plen = size;
	put("passwd", data, plen);
	put("group", data + plen, size - plen);
	if (udb_load(&db, dir) < 0)
		return 0;
	if (db.passwd_errno || db.group_errno)
		__builtin_trap(); /* both files exist and are readable */
	for (i = 0; i < db.nusers; i++) {
		if (!db.users[i].name) /* home is NULL for a line of 4 or 5 fields */
			__builtin_trap();
		check_user(&db, &db.users[i]);
	}
	for (i = 0; i < db.ngroups; i++)
		if (!db.groups[i].members || udb_group_by_name(&db, db.groups[i].name) == NULL)
			__builtin_trap();
	udb_free(&db);
	return 0;
}
