/* Unit tests: a cgroup's directory from /proc/self/mountinfo, on the host
 * and in containers that mount only their own subtree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgroupfs.h"

/* A Debian 12 host on cgroup v1 (lines as the kernel writes them). */
static const char HOST_V1[] =
	"22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
	"25 22 0:23 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
	"26 25 0:24 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 "
	"cgroup2 rw,nsdelegate\n"
	"30 25 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:14 - "
	"cgroup cgroup rw,cpu,cpuacct\n"
	"31 25 0:29 / /sys/fs/cgroup/freezer rw,nosuid,nodev,noexec,relatime shared:15 - cgroup "
	"cgroup rw,freezer\n";

/* runc / Docker on cgroup v1: each hierarchy bound at the container's own cgroup. */
static const char CONTAINER_V1[] =
	"600 599 0:50 / / ro,relatime - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w\n"
	"610 609 0:29 /docker/abc /sys/fs/cgroup/freezer ro,nosuid,nodev,noexec,relatime "
	"master:15 - cgroup cgroup rw,freezer\n"
	"611 609 0:28 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro,nosuid,nodev,noexec,relatime "
	"master:14 - cgroup cgroup rw,cpu,cpuacct\n";

static char out[256];

static void
test_host_v1_hierarchy_is_mounted_at_its_root(void **state)
{
	(void)state;
	assert_int_equal(cgroupfs_dir(HOST_V1, "freezer", "/stuck", out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup/freezer/stuck");
	assert_int_equal(cgroupfs_dir(HOST_V1, "freezer", "/", out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup/freezer");
}

static void
test_unified_hierarchy_is_the_cgroup2_mount(void **state)
{
	(void)state;
	assert_int_equal(cgroupfs_dir(HOST_V1, "", "/user.slice", out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup/unified/user.slice");
}

static void
test_comounted_controllers_are_whole_words(void **state)
{
	(void)state;
	assert_int_equal(cgroupfs_dir(HOST_V1, "cpuacct", "/a", out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup/cpu,cpuacct/a");
	assert_int_equal(cgroupfs_dir(HOST_V1, "cpu", "/a", out, sizeof(out)), 0);
	assert_int_equal(cgroupfs_dir(HOST_V1, "cpuset", "/a", out, sizeof(out)), -ENOENT);
	assert_int_equal(cgroupfs_dir(HOST_V1, "acct", "/a", out, sizeof(out)), -ENOENT);
}

static void
test_container_sees_the_path_below_its_mount_root(void **state)
{
	(void)state;
	assert_int_equal(cgroupfs_dir(CONTAINER_V1, "freezer", "/docker/abc/stuck", out, sizeof(out)),
			 0);
	assert_string_equal(out, "/sys/fs/cgroup/freezer/stuck");
	assert_int_equal(cgroupfs_dir(CONTAINER_V1, "freezer", "/docker/abc", out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup/freezer");
}

static void
test_cgroups_outside_the_mount_root_are_not_there(void **state)
{
	(void)state;
	/* A prefix of the name is not the same cgroup. */
	assert_int_equal(cgroupfs_dir(CONTAINER_V1, "freezer", "/docker/abcd", out, sizeof(out)),
			 -ENOENT);
	assert_int_equal(cgroupfs_dir(CONTAINER_V1, "freezer", "/other", out, sizeof(out)), -ENOENT);
	assert_int_equal(cgroupfs_dir(CONTAINER_V1, "pids", "/docker/abc", out, sizeof(out)),
			 -ENOENT);
	assert_int_equal(cgroupfs_dir(CONTAINER_V1, "", "/docker/abc", out, sizeof(out)), -ENOENT);
}

static void
test_the_longest_root_wins(void **state)
{
	static const char both[] =
		"1 0 0:29 / /host/freezer rw - cgroup cgroup rw,freezer\n"
		"2 0 0:29 /docker/abc /sys/fs/cgroup/freezer rw - cgroup cgroup rw,freezer\n"
		"3 0 0:29 /docker /d rw - cgroup cgroup rw,freezer\n";

	(void)state;
	assert_int_equal(cgroupfs_dir(both, "freezer", "/docker/abc/x", out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup/freezer/x");
	assert_int_equal(cgroupfs_dir(both, "freezer", "/docker/other", out, sizeof(out)), 0);
	assert_string_equal(out, "/d/other");
}

static void
test_escapes_and_optional_fields(void **state)
{
	static const char text[] =
		"7 1 0:29 /a\\040b /mnt/cg\\040v1 rw shared:3 master:1 propagate_from:2 - cgroup "
		"none rw,freezer\n";

	(void)state;
	assert_int_equal(cgroupfs_dir(text, "freezer", "/a b/c", out, sizeof(out)), 0);
	assert_string_equal(out, "/mnt/cg v1/c");
}

static void
test_other_filesystems_and_broken_lines_are_ignored(void **state)
{
	static const char text[] = "1 0 0:29 / /t rw - tmpfs tmpfs rw,freezer\n"
				   "2 0 0:29 / /no-separator rw cgroup cgroup rw,freezer\n"
				   "3 0 0:29 / /short rw - cgroup\n"
				   "4 0 0:29\n"
				   "\n"
				   "5 0 0:29 / /good rw - cgroup cgroup rw,freezer";

	(void)state;
	assert_int_equal(cgroupfs_dir(text, "freezer", "/x", out, sizeof(out)), 0);
	assert_string_equal(out, "/good/x");
	assert_int_equal(cgroupfs_dir("", "freezer", "/x", out, sizeof(out)), -ENOENT);
}

static void
test_too_long_for_the_buffer(void **state)
{
	char small[10];

	(void)state;
	assert_int_equal(cgroupfs_dir(HOST_V1, "freezer", "/stuck", small, sizeof(small)),
			 -ENAMETOOLONG);
}

static void
test_path_of_a_hierarchy_from_proc_cgroup(void **state)
{
	static const char v1[] = "12:pids:/docker/abc\n"
				 "8:cpu,cpuacct:/docker/abc\n"
				 "4:freezer:/docker/abc/stuck\n"
				 "1:name=systemd:/docker/abc\n"
				 "0::/docker/abc";
	char small[8];

	(void)state;
	assert_int_equal(cgroupfs_path(v1, "freezer", out, sizeof(out)), 0);
	assert_string_equal(out, "/docker/abc/stuck");
	assert_int_equal(cgroupfs_path(v1, "pids", out, sizeof(out)), 0);
	assert_string_equal(out, "/docker/abc");
	assert_int_equal(cgroupfs_path(v1, "", out, sizeof(out)), 0); /* last line, no newline */
	assert_string_equal(out, "/docker/abc");
	/* a hierarchy's whole controller list, not a part of it */
	assert_int_equal(cgroupfs_path(v1, "cpu", out, sizeof(out)), -ENOENT);
	assert_int_equal(cgroupfs_path(v1, "cpu,cpuacct", out, sizeof(out)), 0);
	assert_int_equal(cgroupfs_path("0::/\n", "freezer", out, sizeof(out)), -ENOENT);
	assert_int_equal(cgroupfs_path("garbage\n:\n4:freezer\n", "freezer", out, sizeof(out)),
			 -ENOENT);
	assert_int_equal(cgroupfs_path(v1, "freezer", small, sizeof(small)), -ENAMETOOLONG);
}

static void
test_reads_our_own_mountinfo(void **state)
{
	char *text = cgroupfs_read_mountinfo();

	(void)state;
	assert_non_null(text);
	assert_non_null(strstr(text, " - proc ")); /* /proc is mounted: we read it */
	free(text);
}

static void
test_mount_point_of_a_mountinfo_line(void **state)
{
	char small[4]; /* "/sys" needs 5 */

	(void)state;
	assert_int_equal(mountinfo_point(HOST_V1, out, sizeof(out)), 0);
	assert_string_equal(out, "/sys");
	assert_int_equal(mountinfo_point(strchr(HOST_V1, '\n') + 1, out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup");
	/* escapes undone: a space in a directory name */
	assert_int_equal(mountinfo_point("40 1 0:5 / /mnt/a\\040b rw - tmpfs x rw", out,
					 sizeof(out)), 0);
	assert_string_equal(out, "/mnt/a b");
	assert_int_equal(mountinfo_point("40 1 0:5 /\n/mnt rw - tmpfs x rw", out, sizeof(out)),
			 -EINVAL); /* the line ends before the mount point */
	assert_int_equal(mountinfo_point("", out, sizeof(out)), -EINVAL);
	assert_int_equal(mountinfo_point(HOST_V1, small, sizeof(small)), -ENAMETOOLONG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_v1_hierarchy_is_mounted_at_its_root),
		cmocka_unit_test(test_unified_hierarchy_is_the_cgroup2_mount),
		cmocka_unit_test(test_comounted_controllers_are_whole_words),
		cmocka_unit_test(test_container_sees_the_path_below_its_mount_root),
		cmocka_unit_test(test_cgroups_outside_the_mount_root_are_not_there),
		cmocka_unit_test(test_the_longest_root_wins),
		cmocka_unit_test(test_escapes_and_optional_fields),
		cmocka_unit_test(test_other_filesystems_and_broken_lines_are_ignored),
		cmocka_unit_test(test_too_long_for_the_buffer),
		cmocka_unit_test(test_path_of_a_hierarchy_from_proc_cgroup),
		cmocka_unit_test(test_reads_our_own_mountinfo),
		cmocka_unit_test(test_mount_point_of_a_mountinfo_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
