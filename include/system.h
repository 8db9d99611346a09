/*
 * system — embedded system mode: sexton as the init of a machine.
 *
 * System mode is a [system] section, no COMMAND, and PID 1 (elsewhere the
 * section is ignored with a warning: a supervisor on a host must not
 * remount its /proc). At boot, before the control socket and the services:
 * the hostname, the mounts, and ctrl-alt-del turned into a SIGINT for us.
 * Signals then follow busybox init (TERM reboot, USR1 halt, USR2 poweroff,
 * INT the ctrl_alt_del action) and systemd (RTMIN+3 halt, RTMIN+4
 * poweroff, RTMIN+5 reboot). The end, after the services and the sweep:
 * sync, unmount, reboot(2).
 *
 * On the machine itself (the initial PID namespace) the end unmounts
 * every file system it can and remounts the rest, / included, read-only.
 * In any other PID namespace (a container, the tests) reboot(2) ends the
 * namespace instead of the machine: its parent sees its init killed by
 * SIGHUP (reboot) or SIGINT (halt, poweroff). There the file systems may
 * be shared with the host (a read-only remount would reach the host's
 * mount too), so sexton unmounts only what it mounted itself.
 */
#ifndef SEXTON_SYSTEM_H
#define SEXTON_SYSTEM_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

enum sys_action { SYS_NONE, SYS_HALT, SYS_POWEROFF, SYS_REBOOT };

struct sysmode {
	enum cfg_cad ctrl_alt_del;
	enum sys_action action; /* what the end does; SYS_NONE until asked */
	char **targets;		/* every `mounts` target, in order (NULL: out of memory) */
	size_t ntargets;
	struct boot_page *boot; /* how each ended, shared with the mount helpers */
};

/* Hostname, mounts, ctrl-alt-del. Never fails: what cannot be done is
 * logged and boot goes on (a board with a typo in `mounts` must still
 * come up far enough to be fixed). The mounts run in a helper process,
 * each given mount_timeout: one that waits longer (a server that does not
 * answer) is reported, where it waits, and boot goes on with the next;
 * should it end later, it counts as mounted for the end. */
void sys_boot(struct sysmode *s, const struct cfg_system *cfg);

/* The action signal SIG asks for in system mode (CAD: the ctrl_alt_del
 * setting, for SIGINT), or SYS_NONE. */
enum sys_action sys_signal_action(int sig, enum cfg_cad cad);

/* "halt", "poweroff", "reboot" (SYS_NONE: "none"). */
const char *sys_action_name(enum sys_action a);

/* The reboot(2) command of A (SYS_NONE: power off). */
int sys_reboot_cmd(enum sys_action a);

/* Sync, unmount, reboot(2). The sync and the unmounts run in a child
 * given TIMEOUT seconds (kill_timeout): one stuck on a file system that no
 * longer answers is reported (where it waits) and left behind. Returns
 * only when reboot(2) failed (no CAP_SYS_BOOT, as in most containers):
 * sexton's exit status, 0 after halt and poweroff, 1 after reboot (so a
 * restart-on-failure policy restarts it). */
int sys_end(struct sysmode *s, double timeout);

void sys_free(struct sysmode *s);

#endif
