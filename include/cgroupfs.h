/*
 * cgroupfs — where a cgroup's files are, seen from our mount namespace.
 *
 * /proc/PID/cgroup names a cgroup by its path in its hierarchy; its files
 * are wherever that hierarchy is mounted, and a container mounts only its
 * own subtree. runc and Docker on cgroup v1 bind /sys/fs/cgroup/freezer to
 * the container's cgroup, say /docker/ID, which /proc/self/mountinfo shows
 * as that mount's root: the files of /docker/ID/sub are then in
 * /sys/fs/cgroup/freezer/sub, not in /sys/fs/cgroup/freezer/docker/ID/sub.
 * (Under a cgroup namespace both paths are relative to its root, so the
 * same rule holds.)
 */
#ifndef SEXTON_CGROUPFS_H
#define SEXTON_CGROUPFS_H

#include <stddef.h>

/*
 * The directory of cgroup CGPATH (as /proc/PID/cgroup writes it) of
 * hierarchy CONTROLLER ("freezer", "pids", ...; "" for the unified cgroup2
 * one), from MOUNTINFO, the text of /proc/self/mountinfo, into OUT. Of
 * several mounts that hold it, the one with the longest root. Returns 0,
 * -ENOENT when no mount holds it, -ENAMETOOLONG when OUT is too short.
 */
int cgroupfs_dir(const char *mountinfo, const char *controller, const char *cgpath, char *out,
		 size_t len);

/*
 * From TEXT, the contents of /proc/PID/cgroup ("N:freezer:/path" lines for
 * cgroup v1, "0::/path" for v2), the path of CONTROLLER's hierarchy ("" for
 * the v2 one) into OUT. Returns 0, or -ENOENT without such a line.
 */
int cgroupfs_path(const char *text, const char *controller, char *out, size_t len);

/*
 * The mount point of the mountinfo line at LINE (its fifth field, with the
 * kernel's octal escapes undone) into OUT. Returns 0, -EINVAL when the
 * line is not a mountinfo line, -ENAMETOOLONG when OUT is too short.
 * (System mode lists the mounts with it: system.c.)
 */
int mountinfo_point(const char *line, char *out, size_t len);

/* The whole of /proc/self/mountinfo, malloc'ed (free it), or NULL. */
char *cgroupfs_read_mountinfo(void);

#endif
