/*
 * userdb — users and groups read straight from passwd and group files.
 *
 * Owns an in-memory copy of DIR/passwd and DIR/group. It never calls
 * getpwnam() or any other NSS function, so a static sexton resolves
 * names the same way in every image, FROM scratch included.
 *
 * Pure apart from reading the two files in udb_load(): no global state.
 */
#ifndef SEXTON_USERDB_H
#define SEXTON_USERDB_H

#include <stddef.h>
#include <sys/types.h>

struct udb_user {
	char *name;
	uid_t uid;
	gid_t gid; /* primary group */
	char *home;
};

struct udb_group {
	char *name;
	gid_t gid;
	char **members; /* user names, NULL-terminated */
};

struct udb {
	struct udb_user *users;
	size_t nusers;
	struct udb_group *groups;
	size_t ngroups;
	int passwd_errno; /* 0, or why DIR/passwd could not be read */
	int group_errno;  /* 0, or why DIR/group could not be read */
};

/*
 * Read ETC_DIR/passwd and ETC_DIR/group into DB. A missing or unreadable
 * file is not a failure: its table stays empty and its errno is recorded.
 * Malformed lines and NIS "+"/"-" entries are skipped.
 * Returns 0 or -ENOMEM (DB is then freed).
 */
int udb_load(struct udb *db, const char *etc_dir);
void udb_free(struct udb *db);

/* First entry with that name or id (as getpwnam would find), or NULL. */
const struct udb_user *udb_user_by_name(const struct udb *db, const char *name);
const struct udb_user *udb_user_by_uid(const struct udb *db, uid_t uid);
const struct udb_group *udb_group_by_name(const struct udb *db, const char *name);

/*
 * Parse a numeric uid/gid: decimal digits only, below (uid_t)-1.
 * Returns 0 and sets *ID, or -1 if TEXT is not such a number.
 */
int udb_parse_id(const char *text, unsigned *id);

/*
 * The group list for setgroups(), as initgroups(USER, PRIMARY) builds it:
 * PRIMARY first, then every group that lists USER as a member, without
 * duplicates. *GIDS is malloc'ed (free it). Returns 0 or -ENOMEM.
 */
int udb_user_groups(const struct udb *db, const char *user, gid_t primary, gid_t **gids,
		    size_t *ngids);

#endif
