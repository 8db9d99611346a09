/*
 * config — the INI configuration: parse, validate, compare.
 *
 * Owns struct cfg and everything hanging from it. Parsing goes through
 * inih (ini_parse_stream with our own line reader, which numbers lines and
 * refuses over-long ones), then every value is checked and every error in
 * every file is reported as "FILE:LINE: message". A configuration is
 * either entirely valid or not returned at all.
 *
 * Pure: no global state, no logging, no libev, never exits. The only I/O
 * is reading the configuration files, the files they include, and
 * ETC_DIR/passwd and ETC_DIR/group (never NSS).
 *
 * Syntax (beyond inih's): values are split into words like a shell (see
 * cfgwords.h) for command, environment, depends, mounts and include. An
 * indented line continues the previous key's value, joined with one space.
 * An empty value ("key =") means the default, except for command.
 * A line longer than CFG_MAX_LINE characters is an error (comment lines
 * excepted: they are skipped whole).
 */
#ifndef SEXTON_CONFIG_H
#define SEXTON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CFG_MAX_LINE 199	  /* characters per physical line (inih r55: 200-byte buffer) */
#define CFG_MAX_INCLUDE_DEPTH 8	  /* nested include levels */
#define CFG_MAX_FILES 128	  /* files read in one parse, includes counted */
#define CFG_MAX_FILE_SIZE (1 << 20) /* bytes per configuration file */
#define CFG_MAX_ERRORS 500	  /* errors kept; one more says the rest were dropped */
#define CFG_MAX_NAME 64		  /* service name length */

struct cfg_error {
	char file[256];
	int line; /* 0 = the whole file */
	char msg[512];
};

struct cfg_errors {
	struct cfg_error *v;
	size_t n, cap;
};

void cfg_errors_free(struct cfg_errors *errs);

/*
 * Write "FILE:LINE: msg" (or "FILE: msg" when line is 0) into BUF.
 * Returns what snprintf returns.
 */
int cfg_error_format(const struct cfg_error *e, char *buf, size_t len);

/*
 * Call FN with each error of a failed parse as "FILE:LINE: msg"; when the
 * parse failed with no error kept (out of memory before the first), once
 * with "out of memory". Returns how many lines FN got.
 */
size_t cfg_errors_each(const struct cfg_errors *errs, void (*fn)(void *arg, const char *line),
		       void *arg);

enum svc_type { SVC_SIMPLE, SVC_NOTIFY, SVC_ONESHOT };
enum svc_restart { RESTART_ALWAYS, RESTART_ON_FAILURE, RESTART_NEVER };
enum svc_output { OUT_INHERIT, OUT_TAGGED, OUT_NULL, OUT_FILE };

struct cfg_service {
	char *name;
	char *command; /* the value as written (continuations joined) */
	char **argv;   /* command split into words, NULL-terminated, argv[0] non-empty */
	enum svc_type type;
	bool autostart;
	enum svc_restart restart;
	double restart_delay, restart_delay_max; /* seconds; max >= delay */
	unsigned start_limit_burst;		 /* 0 = no start limit */
	double start_limit_interval;		 /* seconds, > 0 */
	int stop_signal;
	double stop_timeout; /* [sexton] stop_timeout unless set here */
	bool stop_timeout_set;
	double ready_timeout; /* notify: 0 = wait for ever */
	double watchdog;      /* notify: 0 = off */
	int ready_fd;	      /* notify: -1 none, else >= 3 */
	bool critical;
	char **depends; /* service names, all defined, no cycle, no duplicate */
	size_t ndepends;

	/*
	 * Credentials. user sets uid, gid (its primary group, unless group is
	 * set) and groups. groups is the setgroups() list as initgroups()
	 * builds it: gid first, then every group of ETC_DIR/group listing the
	 * user. With group alone, has_group is set and ngroups is 0.
	 */
	bool has_user;
	uid_t uid;
	char *user; /* name from passwd, or the number as written */
	char *home; /* from passwd, NULL if unknown */
	bool has_group;
	gid_t gid;
	gid_t *groups;
	size_t ngroups;

	char *directory;	/* absolute, NULL = inherit */
	char **env;		/* "K=V", NULL-terminated (never NULL); a later K wins */
	char *environment_file; /* absolute, read at spawn time; NULL = none */
	int umask;		/* -1 = unset */
	long rlimit_nofile;	/* -1 = unset */
	enum svc_output output;
	char *output_path; /* OUT_FILE: absolute path */
	unsigned long long log_max_size; /* bytes; 0 = never rotate */
	unsigned log_keep;

	char *file; /* where [service:NAME] was declared */
	int line;
};

struct cfg_mount {
	/* From "SOURCE:TARGET:FSTYPE[:OPTIONS]"; TARGET absolute, without a
	 * trailing '/'. OPTIONS as mount -o takes them: the flag words (ro,
	 * nosuid, nodev, noexec, noatime, ...) become FLAGS, the rest (size=,
	 * mode=, gid=, ...) DATA for the file system, NULL when none. */
	char *source, *target, *fstype, *data;
	unsigned long flags;
};

enum cfg_cad { CAD_REBOOT, CAD_POWEROFF, CAD_IGNORE };

struct cfg_system {
	bool present; /* a [system] section exists: embedded system mode */
	char *hostname; /* NULL = leave it */
	struct cfg_mount *mounts;
	size_t nmounts;
	double mount_timeout; /* seconds a mount may take at boot; 0 = no limit */
	enum cfg_cad ctrl_alt_del;
};

struct cfg {
	char *socket;	 /* NULL = the daemon's default */
	int socket_mode; /* 0600, or 0660 when socket_group is set and socket_mode is not */
	bool has_socket_group;
	gid_t socket_group;
	int log_level; /* 0 error, 1 warn, 2 info, 3 debug */
	double stop_timeout, kill_timeout, watch_interval, hung_threshold; /* seconds */
	struct cfg_service *services; /* in declaration order, files in include order */
	size_t nservices;
	struct cfg_system system;
};

/*
 * Parse the file at PATH (or TEXT, named FILENAME in messages and used to
 * resolve relative include patterns; NULL means "<string>"), with users and
 * groups from ETC_DIR/passwd and ETC_DIR/group (NULL means "/etc").
 * *OUT is overwritten, not freed. Errors are appended to ERRS (which must
 * be zeroed or hold earlier errors), sorted by file then line.
 * Returns 0 when valid (ERRS is then left as it was: nothing to free if
 * it was zeroed); -1 when errors were appended, *OUT is then zeroed and
 * owns nothing, so callers keep their old configuration. Out of memory
 * is an error like the others ("out of memory", line 0), except when
 * there was not even room to keep it: then -1 comes with no error
 * appended (cfg_errors_each says so).
 */
int cfg_parse_file(const char *path, const char *etc_dir, struct cfg *out,
		   struct cfg_errors *errs);
int cfg_parse_string(const char *text, const char *filename, const char *etc_dir,
		     struct cfg *out, struct cfg_errors *errs);

/* Free everything *CFG owns and zero it. Safe on a zeroed struct. */
void cfg_free(struct cfg *cfg);

const struct cfg_service *cfg_find_service(const struct cfg *cfg, const char *name);

/*
 * Fill ORDER (nservices entries) with service indexes, every service after
 * its dependencies, otherwise in declaration order. Stop in reverse.
 * Returns 0; -1 if a dependency is unknown or circular (never for a
 * configuration cfg_parse_* accepted); -ENOMEM.
 */
int cfg_start_order(const struct cfg *cfg, size_t *order);

/*
 * 1 if A and B differ in anything the running process depends on, so
 * reload must restart it: command, type, ready_fd, watchdog, credentials,
 * directory, environment, environment_file, umask, rlimit_nofile, output.
 * Other fields (autostart, restart policy and delays, start_limit, stop_*,
 * ready_timeout, critical, depends, log rotation, file/line) can be
 * updated in place. 0 otherwise.
 */
int cfg_service_changed(const struct cfg_service *a, const struct cfg_service *b);

#endif
