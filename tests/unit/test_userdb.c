/* Unit tests for userdb: passwd/group read without NSS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "userdb.h"

#define ETC "tests/fixtures/etc"

static void
test_users(void **state)
{
	const struct udb_user *u;
	struct udb db;

	(void)state;
	assert_int_equal(udb_load(&db, ETC), 0);
	assert_int_equal(db.passwd_errno, 0);
	assert_int_equal(db.group_errno, 0);

	u = udb_user_by_name(&db, "alice");
	assert_non_null(u);
	assert_int_equal(u->uid, 1000);
	assert_int_equal(u->gid, 1000);
	assert_string_equal(u->home, "/home/alice");

	u = udb_user_by_uid(&db, 33);
	assert_non_null(u);
	assert_string_equal(u->name, "www-data");

	/* Malformed, NIS and non-numeric entries are skipped. */
	assert_null(udb_user_by_name(&db, "malformed line without fields"));
	assert_null(udb_user_by_name(&db, "+nisuser"));
	assert_null(udb_user_by_name(&db, "baduid"));
	assert_null(udb_user_by_name(&db, "nosuchuser"));
	assert_null(udb_user_by_uid(&db, 4242));
	udb_free(&db);
}

static void
test_groups(void **state)
{
	const struct udb_group *g;
	struct udb db;

	(void)state;
	assert_int_equal(udb_load(&db, ETC), 0);
	g = udb_group_by_name(&db, "users");
	assert_non_null(g);
	assert_int_equal(g->gid, 100);
	assert_string_equal(g->members[0], "bob");
	assert_string_equal(g->members[1], "alice");
	assert_null(g->members[2]);
	/* "bob,,alice": empty names are dropped. */
	g = udb_group_by_name(&db, "staff");
	assert_non_null(g);
	assert_string_equal(g->members[1], "alice");
	assert_null(g->members[2]);
	g = udb_group_by_name(&db, "root");
	assert_non_null(g);
	assert_null(g->members[0]);
	assert_null(udb_group_by_name(&db, "nosuchgroup"));
	udb_free(&db);
}

static void
test_user_groups(void **state)
{
	struct udb db;
	gid_t *gids;
	size_t n;

	(void)state;
	assert_int_equal(udb_load(&db, ETC), 0);
	/* Primary first, then memberships in file order. */
	assert_int_equal(udb_user_groups(&db, "alice", 1000, &gids, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(gids[0], 1000);
	assert_int_equal(gids[1], 29);
	assert_int_equal(gids[2], 33);
	assert_int_equal(gids[3], 100);
	assert_int_equal(gids[4], 50);
	free(gids);
	/* The primary group is not repeated when the user is also listed in it. */
	assert_int_equal(udb_user_groups(&db, "bob", 100, &gids, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(gids[0], 100);
	assert_int_equal(gids[1], 29);
	assert_int_equal(gids[2], 50);
	free(gids);
	assert_int_equal(udb_user_groups(&db, "www-data", 33, &gids, &n), 0);
	assert_int_equal(n, 1);
	free(gids);
	udb_free(&db);
}

static void
test_missing_files(void **state)
{
	struct udb db;
	gid_t *gids;
	size_t n;

	(void)state;
	assert_int_equal(udb_load(&db, "tests/fixtures/no-such-dir"), 0);
	assert_int_equal(db.passwd_errno, ENOENT);
	assert_int_equal(db.group_errno, ENOENT);
	assert_null(udb_user_by_name(&db, "root"));
	assert_int_equal(udb_user_groups(&db, "root", 0, &gids, &n), 0);
	assert_int_equal(n, 1);
	free(gids);
	udb_free(&db);
}

/* PID 1 reads them at every reload: a FIFO must not block it. */
static void
test_a_fifo_is_refused_not_waited_on(void **state)
{
	char dir[] = "/tmp/sexton-udb-XXXXXX", path[64];
	struct udb db;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/passwd", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	snprintf(path, sizeof(path), "%s/group", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(udb_load(&db, dir), 0); /* returns: no writer ever comes */
	assert_int_equal(db.passwd_errno, EINVAL);
	assert_int_equal(db.group_errno, EINVAL);
	udb_free(&db);
	unlink(path);
	snprintf(path, sizeof(path), "%s/passwd", dir);
	unlink(path);
	rmdir(dir);
}

static void
test_parse_id(void **state)
{
	unsigned id;

	(void)state;
	assert_int_equal(udb_parse_id("0", &id), 0);
	assert_int_equal(id, 0);
	assert_int_equal(udb_parse_id("65534", &id), 0);
	assert_int_equal(id, 65534);
	assert_int_equal(udb_parse_id("4294967294", &id), 0);
	assert_int_equal(udb_parse_id("4294967295", &id), -1); /* (uid_t)-1 */
	assert_int_equal(udb_parse_id("99999999999999999999", &id), -1);
	assert_int_equal(udb_parse_id("", &id), -1);
	assert_int_equal(udb_parse_id("-1", &id), -1);
	assert_int_equal(udb_parse_id("12a", &id), -1);
	assert_int_equal(udb_parse_id(" 1", &id), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_users),	      cmocka_unit_test(test_groups),
		cmocka_unit_test(test_user_groups),   cmocka_unit_test(test_missing_files),
		cmocka_unit_test(test_parse_id),
		cmocka_unit_test(test_a_fifo_is_refused_not_waited_on),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
