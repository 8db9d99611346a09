/* Unit tests for config: every key, every default, every error with its FILE:LINE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

#define ETC "tests/fixtures/etc"
#define LONG_MSG                                                                                   \
	"line too long (max 199 characters); split the value with indented continuation lines"

/* ---- helpers ------------------------------------------------------------ */

static void
dump_errors(const struct cfg_errors *errs)
{
	char buf[1024];
	size_t i;

	for (i = 0; i < errs->n; i++) {
		cfg_error_format(&errs->v[i], buf, sizeof(buf));
		print_message("   got: %s\n", buf);
	}
}

/* Parse TEXT as "t.conf"; it must be valid. */
static void
parse_ok_at(const char *text, struct cfg *cfg, const char *file, int line)
{
	struct cfg_errors errs = { 0 };
	int rc = cfg_parse_string(text, "t.conf", ETC, cfg, &errs);

	if (rc != 0 || errs.n) {
		dump_errors(&errs);
		cfg_errors_free(&errs);
		print_error("expected a valid configuration, rc=%d\n", rc);
		_fail(file, line);
	}
	cfg_errors_free(&errs);
}

#define parse_ok(text, cfg) parse_ok_at(text, cfg, __FILE__, __LINE__)

/* The errors of ERRS must be exactly WANT, in order. */
static void
match_errors(const struct cfg_errors *errs, const char *const *want, const char *file, int line)
{
	char buf[1024];
	size_t i, n = 0;
	bool ok;

	while (want[n])
		n++;
	ok = errs->n == n;
	for (i = 0; ok && i < n; i++) {
		cfg_error_format(&errs->v[i], buf, sizeof(buf));
		ok = strcmp(buf, want[i]) == 0;
	}
	if (!ok) {
		for (i = 0; i < n; i++)
			print_message("  want: %s\n", want[i]);
		dump_errors(errs);
		_fail(file, line);
	}
}

/* Parse TEXT as "t.conf"; it must fail with exactly WANT. */
static void
check_errors_at(const char *text, const char *const *want, const char *file, int line)
{
	struct cfg_errors errs = { 0 };
	struct cfg cfg;
	int rc = cfg_parse_string(text, "t.conf", ETC, &cfg, &errs);

	if (rc != -1) {
		dump_errors(&errs);
		print_error("expected rc -1, got %d\n", rc);
		if (rc == 0)
			cfg_free(&cfg);
		cfg_errors_free(&errs);
		_fail(file, line);
	}
	match_errors(&errs, want, file, line);
	/* A rejected configuration owns nothing. */
	assert_null(cfg.services);
	assert_int_equal(cfg.nservices, 0);
	assert_null(cfg.socket);
	assert_null(cfg.system.mounts);
	cfg_errors_free(&errs);
}

#define EXPECT_ERRORS(text, ...)                                                                   \
	check_errors_at(text, (const char *const[]){ __VA_ARGS__, NULL }, __FILE__, __LINE__)

/* "[service:s] / command = x / KEY = VALUE": the KEY line is line 3. */
static char *
svc_with(const char *key, const char *value)
{
	char *text;

	assert_true(asprintf(&text, "[service:s]\ncommand = x\n%s = %s\n", key, value) > 0);
	return text;
}

static void
check_bad_value_at(const char *key, const char *value, const char *msg, const char *file,
		   int line)
{
	char *text = svc_with(key, value), *want;

	assert_true(asprintf(&want, "t.conf:3: %s", msg) > 0);
	check_errors_at(text, (const char *const[]){ want, NULL }, file, line);
	free(want);
	free(text);
}

#define BAD_VALUE(key, value, msg) check_bad_value_at(key, value, msg, __FILE__, __LINE__)

/* Parse one service with KEY = VALUE; returns it in CFG. */
static const struct cfg_service *
svc_ok_at(const char *key, const char *value, struct cfg *cfg, const char *file, int line)
{
	char *text = svc_with(key, value);

	parse_ok_at(text, cfg, file, line);
	free(text);
	assert_int_equal(cfg->nservices, 1);
	return &cfg->services[0];
}

#define svc_ok(key, value, cfg) svc_ok_at(key, value, cfg, __FILE__, __LINE__)

static char *
repeat(char ch, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, ch, n);
	s[n] = '\0';
	return s;
}

/* A scratch directory of configuration files, removed afterwards. */
struct tmpdir {
	char path[64];
	char *made[64]; /* files and directories, in creation order */
	size_t n;
};

static void
td_init(struct tmpdir *td)
{
	memset(td, 0, sizeof(*td));
	strcpy(td->path, "/tmp/sexton-test-config-XXXXXX");
	assert_non_null(mkdtemp(td->path));
}

static const char *
td_mkdir(struct tmpdir *td, const char *rel)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", td->path, rel) > 0);
	assert_int_equal(mkdir(p, 0700), 0);
	td->made[td->n++] = p;
	return p;
}

static const char *
td_write(struct tmpdir *td, const char *rel, const char *content, size_t len)
{
	FILE *f;
	char *p;

	assert_true(asprintf(&p, "%s/%s", td->path, rel) > 0);
	f = fopen(p, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(content, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	td->made[td->n++] = p;
	return p;
}

#define td_put(td, rel, content) td_write(td, rel, content, strlen(content))

static void
td_cleanup(struct tmpdir *td)
{
	while (td->n) {
		char *p = td->made[--td->n];

		if (unlink(p) < 0)
			rmdir(p);
		free(p);
	}
	rmdir(td->path);
}

/* Parse the file PATH; its errors must be exactly WANT. */
static void
check_file_errors_at(const char *path, const char *const *want, const char *file, int line)
{
	struct cfg_errors errs = { 0 };
	struct cfg cfg;

	if (cfg_parse_file(path, ETC, &cfg, &errs) != -1) {
		dump_errors(&errs);
		cfg_free(&cfg);
		cfg_errors_free(&errs);
		_fail(file, line);
	}
	match_errors(&errs, want, file, line);
	assert_int_equal(cfg.nservices, 0);
	cfg_errors_free(&errs);
}

#define EXPECT_FILE_ERRORS(path, ...)                                                              \
	check_file_errors_at(path, (const char *const[]){ __VA_ARGS__, NULL }, __FILE__, __LINE__)

/* ---- valid configurations ----------------------------------------------- */

static void
test_defaults(void **state)
{
	const struct cfg_service *s;
	struct cfg cfg;

	(void)state;
	parse_ok("[service:web]\ncommand = /bin/web\n", &cfg);
	assert_null(cfg.socket);
	assert_int_equal(cfg.socket_mode, 0600);
	assert_false(cfg.has_socket_group);
	assert_int_equal(cfg.log_level, 2);
	assert_true(cfg.stop_timeout == 10);
	assert_true(cfg.kill_timeout == 5);
	assert_true(cfg.watch_interval == 0);
	assert_true(cfg.hung_threshold == 30);
	assert_false(cfg.system.present);
	assert_null(cfg.system.hostname);
	assert_int_equal(cfg.system.nmounts, 0);
	assert_true(cfg.system.mount_timeout == 30);
	assert_int_equal(cfg.system.ctrl_alt_del, CAD_REBOOT);
	assert_int_equal(cfg.nservices, 1);

	s = &cfg.services[0];
	assert_string_equal(s->name, "web");
	assert_string_equal(s->command, "/bin/web");
	assert_string_equal(s->argv[0], "/bin/web");
	assert_null(s->argv[1]);
	assert_int_equal(s->type, SVC_SIMPLE);
	assert_true(s->autostart);
	assert_int_equal(s->restart, RESTART_ON_FAILURE);
	assert_true(s->restart_delay == 1);
	assert_true(s->restart_delay_max == 60);
	assert_int_equal(s->start_limit_burst, 5);
	assert_true(s->start_limit_interval == 60);
	assert_int_equal(s->stop_signal, SIGTERM);
	assert_true(s->stop_timeout == 10);
	assert_false(s->stop_timeout_set);
	assert_true(s->ready_timeout == 30);
	assert_true(s->watchdog == 0);
	assert_int_equal(s->ready_fd, -1);
	assert_false(s->critical);
	assert_int_equal(s->ndepends, 0);
	assert_false(s->has_user);
	assert_false(s->has_group);
	assert_int_equal(s->ngroups, 0);
	assert_null(s->user);
	assert_null(s->directory);
	assert_non_null(s->env);
	assert_null(s->env[0]);
	assert_null(s->environment_file);
	assert_int_equal(s->umask, -1);
	assert_int_equal(s->rlimit_nofile, -1);
	assert_int_equal(s->output, OUT_INHERIT);
	assert_null(s->output_path);
	assert_int_equal(s->log_max_size, 10 * 1024 * 1024);
	assert_int_equal(s->log_keep, 5);
	assert_string_equal(s->file, "t.conf");
	assert_int_equal(s->line, 1);
	cfg_free(&cfg);
	cfg_free(&cfg); /* idempotent on a zeroed struct */
}

static void
test_empty_file(void **state)
{
	struct cfg cfg;

	(void)state;
	parse_ok("", &cfg);
	assert_int_equal(cfg.nservices, 0);
	cfg_free(&cfg);
	parse_ok("; only a comment\n\n# another\n", &cfg);
	cfg_free(&cfg);
}

static const char every_key[] = "[sexton]\n"
				"socket = /run/test.sock\n"
				"socket_mode = 0640\n"
				"socket_group = audio\n"
				"log_level = debug\n"
				"stop_timeout = 7.5\n"
				"kill_timeout = 2\n"
				"watch_interval = 15\n"
				"hung_threshold = 45\n"
				"include = /nonexistent-sexton-dir/*.conf\n"
				"\n"
				"[service:web]\n"
				"command = /usr/bin/prog --flag \"quoted arg\"\n"
				"type = notify\n"
				"autostart = no\n"
				"restart = always\n"
				"restart_delay = 0.25\n"
				"restart_delay_max = 30\n"
				"start_limit = 3/10.5\n"
				"stop_signal = SIGINT\n"
				"stop_timeout = 4\n"
				"ready_timeout = 12\n"
				"watchdog = 20\n"
				"ready_fd = 5\n"
				"critical = yes\n"
				"depends = db\n"
				"user = alice\n"
				"group = users\n"
				"directory = /srv/www\n"
				"environment = KEY=VALUE OTHER=\"a b\"\n"
				"environment_file = /etc/default/web\n"
				"umask = 027\n"
				"rlimit_nofile = 65536\n"
				"output = file:/var/log/web.log\n"
				"log_max_size = 512K\n"
				"log_keep = 3\n"
				"\n"
				"[service:db]\n"
				"command = db\n"
				"\n"
				"[system]\n"
				"hostname = myboard\n"
				"mounts = proc:/proc:proc tmpfs:/run:tmpfs\n"
				"mount_timeout = 2.5\n"
				"ctrl_alt_del = poweroff\n";

static void
test_every_key(void **state)
{
	const struct cfg_service *s;
	struct cfg cfg;

	(void)state;
	parse_ok(every_key, &cfg);
	assert_string_equal(cfg.socket, "/run/test.sock");
	assert_int_equal(cfg.socket_mode, 0640);
	assert_true(cfg.has_socket_group);
	assert_int_equal(cfg.socket_group, 29);
	assert_int_equal(cfg.log_level, 3);
	assert_true(cfg.stop_timeout == 7.5);
	assert_true(cfg.kill_timeout == 2);
	assert_true(cfg.watch_interval == 15);
	assert_true(cfg.hung_threshold == 45);
	assert_int_equal(cfg.nservices, 2);

	s = cfg_find_service(&cfg, "web");
	assert_ptr_equal(s, &cfg.services[0]);
	assert_int_equal(s->line, 12);
	assert_string_equal(s->command, "/usr/bin/prog --flag \"quoted arg\"");
	assert_string_equal(s->argv[0], "/usr/bin/prog");
	assert_string_equal(s->argv[1], "--flag");
	assert_string_equal(s->argv[2], "quoted arg");
	assert_null(s->argv[3]);
	assert_int_equal(s->type, SVC_NOTIFY);
	assert_false(s->autostart);
	assert_int_equal(s->restart, RESTART_ALWAYS);
	assert_true(s->restart_delay == 0.25);
	assert_true(s->restart_delay_max == 30);
	assert_int_equal(s->start_limit_burst, 3);
	assert_true(s->start_limit_interval == 10.5);
	assert_int_equal(s->stop_signal, SIGINT);
	assert_true(s->stop_timeout == 4);
	assert_true(s->stop_timeout_set);
	assert_true(s->ready_timeout == 12);
	assert_true(s->watchdog == 20);
	assert_int_equal(s->ready_fd, 5);
	assert_true(s->critical);
	assert_int_equal(s->ndepends, 1);
	assert_string_equal(s->depends[0], "db");
	assert_null(s->depends[1]);
	/* alice, primary group overridden by group = users (100). */
	assert_true(s->has_user);
	assert_int_equal(s->uid, 1000);
	assert_string_equal(s->user, "alice");
	assert_string_equal(s->home, "/home/alice");
	assert_true(s->has_group);
	assert_int_equal(s->gid, 100);
	assert_int_equal(s->ngroups, 4);
	assert_int_equal(s->groups[0], 100);
	assert_int_equal(s->groups[1], 29);
	assert_int_equal(s->groups[2], 33);
	assert_int_equal(s->groups[3], 50);
	assert_string_equal(s->directory, "/srv/www");
	assert_string_equal(s->env[0], "KEY=VALUE");
	assert_string_equal(s->env[1], "OTHER=a b");
	assert_null(s->env[2]);
	assert_string_equal(s->environment_file, "/etc/default/web");
	assert_int_equal(s->umask, 027);
	assert_int_equal(s->rlimit_nofile, 65536);
	assert_int_equal(s->output, OUT_FILE);
	assert_string_equal(s->output_path, "/var/log/web.log");
	assert_int_equal(s->log_max_size, 512 * 1024);
	assert_int_equal(s->log_keep, 3);

	/* db inherits [sexton] stop_timeout. */
	s = cfg_find_service(&cfg, "db");
	assert_non_null(s);
	assert_true(s->stop_timeout == 7.5);
	assert_false(s->stop_timeout_set);
	assert_null(cfg_find_service(&cfg, "nope"));

	assert_true(cfg.system.present);
	assert_string_equal(cfg.system.hostname, "myboard");
	assert_int_equal(cfg.system.nmounts, 2);
	assert_string_equal(cfg.system.mounts[0].source, "proc");
	assert_string_equal(cfg.system.mounts[0].target, "/proc");
	assert_string_equal(cfg.system.mounts[0].fstype, "proc");
	assert_string_equal(cfg.system.mounts[1].source, "tmpfs");
	assert_string_equal(cfg.system.mounts[1].target, "/run");
	assert_string_equal(cfg.system.mounts[1].fstype, "tmpfs");
	assert_null(cfg.system.mounts[1].data);
	assert_true(cfg.system.mounts[1].flags == 0);
	assert_true(cfg.system.mount_timeout == 2.5);
	assert_int_equal(cfg.system.ctrl_alt_del, CAD_POWEROFF);
	cfg_free(&cfg);
}

/* mount -o's words: flags to the flags, the rest to the file system. */
static void
test_mount_options(void **state)
{
	const struct cfg_mount *m;
	struct cfg cfg;

	(void)state;
	parse_ok("[system]\nmounts = tmpfs:/run/:tmpfs:nosuid,nodev,mode=0755,,size=1m "
		 "devpts:/dev/pts:devpts:gid=5,mode=620,noexec,exec "
		 "x:/mnt/c:ext4:ro,context=system_u:object_r:tmp_t:s0 proc:/:proc:defaults\n",
		 &cfg);
	assert_int_equal(cfg.system.nmounts, 4);
	m = &cfg.system.mounts[0];
	assert_string_equal(m->target, "/run"); /* as mountinfo writes it */
	assert_string_equal(m->fstype, "tmpfs");
	assert_true(m->flags == (MS_NOSUID | MS_NODEV));
	assert_string_equal(m->data, "mode=0755,size=1m");
	m = &cfg.system.mounts[1];
	assert_true(m->flags == 0); /* exec undoes noexec */
	assert_string_equal(m->data, "gid=5,mode=620");
	m = &cfg.system.mounts[2];
	assert_true(m->flags == MS_RDONLY);
	assert_string_equal(m->data, "context=system_u:object_r:tmp_t:s0"); /* ':' in an option */
	m = &cfg.system.mounts[3];
	assert_string_equal(m->target, "/");
	assert_null(m->data);
	assert_true(m->flags == 0);
	cfg_free(&cfg);
	/* One spelling per target, so that system.c can tell from the text
	 * which mount goes under which; "..x" is a name like any other. */
	parse_ok("[system]\nmounts = a://mnt//x///:tmpfs b://:tmpfs c:/mnt/..x/.y:tmpfs\n", &cfg);
	assert_int_equal(cfg.system.nmounts, 3);
	assert_string_equal(cfg.system.mounts[0].target, "/mnt/x");
	assert_string_equal(cfg.system.mounts[1].target, "/");
	assert_string_equal(cfg.system.mounts[2].target, "/mnt/..x/.y");
	cfg_free(&cfg);
}

/* [sexton] keys given after the services still apply to them. */
static void
test_sexton_after_services(void **state)
{
	struct cfg cfg;

	(void)state;
	parse_ok("[service:a]\ncommand = a\n[sexton]\nstop_timeout = 3\n", &cfg);
	assert_true(cfg.services[0].stop_timeout == 3);
	cfg_free(&cfg);
}

static void
test_value_forms(void **state)
{
	const struct cfg_service *s;
	struct cfg cfg;

	(void)state;
	s = svc_ok("log_max_size", "10M", &cfg);
	assert_int_equal(s->log_max_size, 10ULL << 20);
	cfg_free(&cfg);
	s = svc_ok("log_max_size", "1G", &cfg);
	assert_int_equal(s->log_max_size, 1ULL << 30);
	cfg_free(&cfg);
	s = svc_ok("log_max_size", "2t", &cfg);
	assert_int_equal(s->log_max_size, 2ULL << 40);
	cfg_free(&cfg);
	s = svc_ok("log_max_size", "4KiB", &cfg);
	assert_int_equal(s->log_max_size, 4096);
	cfg_free(&cfg);
	s = svc_ok("log_max_size", "123", &cfg);
	assert_int_equal(s->log_max_size, 123);
	cfg_free(&cfg);
	s = svc_ok("log_max_size", "0", &cfg);
	assert_int_equal(s->log_max_size, 0);
	cfg_free(&cfg);

	s = svc_ok("stop_timeout", "0", &cfg);
	assert_true(s->stop_timeout == 0);
	cfg_free(&cfg);
	s = svc_ok("stop_timeout", ".5", &cfg);
	assert_true(s->stop_timeout == 0.5);
	cfg_free(&cfg);
	s = svc_ok("stop_timeout", "0.3", &cfg);
	assert_true(s->stop_timeout == 0.3);
	cfg_free(&cfg);

	s = svc_ok("autostart", "False", &cfg);
	assert_false(s->autostart);
	cfg_free(&cfg);
	s = svc_ok("critical", "on", &cfg);
	assert_true(s->critical);
	cfg_free(&cfg);
	s = svc_ok("critical", "1", &cfg);
	assert_true(s->critical);
	cfg_free(&cfg);

	s = svc_ok("stop_signal", "TERM", &cfg);
	assert_int_equal(s->stop_signal, SIGTERM);
	cfg_free(&cfg);
	s = svc_ok("stop_signal", "1", &cfg);
	assert_int_equal(s->stop_signal, SIGHUP);
	cfg_free(&cfg);
	s = svc_ok("stop_signal", "RTMIN+3", &cfg);
	assert_int_equal(s->stop_signal, SIGRTMIN + 3);
	cfg_free(&cfg);

	s = svc_ok("start_limit", "0/1", &cfg);
	assert_int_equal(s->start_limit_burst, 0);
	assert_true(s->start_limit_interval == 1);
	cfg_free(&cfg);

	s = svc_ok("type", "oneshot", &cfg);
	assert_int_equal(s->type, SVC_ONESHOT);
	cfg_free(&cfg);
	s = svc_ok("restart", "never", &cfg);
	assert_int_equal(s->restart, RESTART_NEVER);
	cfg_free(&cfg);
	s = svc_ok("output", "tagged", &cfg);
	assert_int_equal(s->output, OUT_TAGGED);
	cfg_free(&cfg);
	s = svc_ok("output", "null", &cfg);
	assert_int_equal(s->output, OUT_NULL);
	cfg_free(&cfg);
	s = svc_ok("umask", "0", &cfg);
	assert_int_equal(s->umask, 0);
	cfg_free(&cfg);
	s = svc_ok("umask", "0777", &cfg);
	assert_int_equal(s->umask, 0777);
	cfg_free(&cfg);
}

/* "key =" keeps the default. */
static void
test_empty_value_is_default(void **state)
{
	const struct cfg_service *s;
	struct cfg cfg;

	(void)state;
	parse_ok("[sexton]\nsocket_group =\nsocket =\n[service:a]\ncommand = a\nready_fd =\n"
		 "type =\nuser =\nenvironment =\n",
		 &cfg);
	assert_false(cfg.has_socket_group);
	assert_null(cfg.socket);
	s = &cfg.services[0];
	assert_int_equal(s->ready_fd, -1);
	assert_int_equal(s->type, SVC_SIMPLE);
	assert_false(s->has_user);
	assert_null(s->env[0]);
	cfg_free(&cfg);
}

static void
test_environment(void **state)
{
	const struct cfg_service *s;
	struct cfg cfg;

	(void)state;
	s = svc_ok("environment", "A=1 B= _C='x y' A=2 D=\"a=b\"", &cfg);
	assert_string_equal(s->env[0], "A=2");
	assert_string_equal(s->env[1], "B=");
	assert_string_equal(s->env[2], "_C=x y");
	assert_string_equal(s->env[3], "D=a=b");
	assert_null(s->env[4]);
	cfg_free(&cfg);
}

static void
test_users_and_groups(void **state)
{
	const struct cfg_service *s;
	struct cfg cfg;

	(void)state;
	/* By name: primary group from passwd, every group listing the user. */
	s = svc_ok("user", "bob", &cfg);
	assert_true(s->has_user);
	assert_int_equal(s->uid, 1001);
	assert_true(s->has_group);
	assert_int_equal(s->gid, 100);
	assert_int_equal(s->ngroups, 3);
	assert_int_equal(s->groups[0], 100);
	assert_int_equal(s->groups[1], 29);
	assert_int_equal(s->groups[2], 50);
	cfg_free(&cfg);

	/* A uid found in passwd is that user. */
	s = svc_ok("user", "33", &cfg);
	assert_int_equal(s->uid, 33);
	assert_int_equal(s->gid, 33);
	assert_string_equal(s->user, "www-data");
	assert_int_equal(s->ngroups, 1);
	cfg_free(&cfg);

	/* A uid not in passwd works with an explicit group. */
	parse_ok("[service:s]\ncommand = x\nuser = 4242\ngroup = 4343\n", &cfg);
	s = &cfg.services[0];
	assert_int_equal(s->uid, 4242);
	assert_int_equal(s->gid, 4343);
	assert_string_equal(s->user, "4242");
	assert_null(s->home);
	assert_int_equal(s->ngroups, 1);
	assert_int_equal(s->groups[0], 4343);
	cfg_free(&cfg);

	/* group alone. */
	s = svc_ok("group", "audio", &cfg);
	assert_false(s->has_user);
	assert_true(s->has_group);
	assert_int_equal(s->gid, 29);
	assert_int_equal(s->ngroups, 0);
	cfg_free(&cfg);

	/* socket_group by number; socket_mode becomes 0660 unless set. */
	parse_ok("[sexton]\nsocket_group = 777\n", &cfg);
	assert_true(cfg.has_socket_group);
	assert_int_equal(cfg.socket_group, 777);
	assert_int_equal(cfg.socket_mode, 0660);
	cfg_free(&cfg);
	parse_ok("[sexton]\nsocket_mode = 0600\nsocket_group = audio\n", &cfg);
	assert_int_equal(cfg.socket_mode, 0600);
	cfg_free(&cfg);
}

static void
test_reference_config(void **state)
{
	static const char *const keys[] = {
		"socket",	   "socket_mode",   "socket_group",	 "log_level",
		"stop_timeout",	   "kill_timeout",  "watch_interval",	 "hung_threshold",
		"include",	   "command",	    "type",		 "autostart",
		"restart",	   "restart_delay", "restart_delay_max", "start_limit",
		"stop_signal",	   "ready_timeout", "watchdog",		 "ready_fd",
		"critical",	   "depends",	    "user",		 "group",
		"directory",	   "environment",   "environment_file",	 "umask",
		"rlimit_nofile",   "output",	    "log_max_size",	 "log_keep",
		"hostname",	   "mounts",	    "mount_timeout",	 "ctrl_alt_del",
		NULL,
	};
	struct cfg_errors errs = { 0 };
	char text[16384], pat[64];
	struct cfg cfg;
	size_t i, n;
	FILE *f;

	(void)state;
	assert_int_equal(cfg_parse_file("conf/sexton.conf", ETC, &cfg, &errs), 0);
	assert_int_equal(errs.n, 0);
	assert_true(cfg.nservices >= 1);
	assert_true(cfg.system.present);
	cfg_free(&cfg);
	cfg_errors_free(&errs);

	/* Every key is set (not only mentioned) somewhere in it. */
	f = fopen("conf/sexton.conf", "r");
	assert_non_null(f);
	n = fread(text + 1, 1, sizeof(text) - 2, f);
	fclose(f);
	text[0] = '\n';
	text[n + 1] = '\0';
	for (i = 0; keys[i]; i++) {
		snprintf(pat, sizeof(pat), "\n%s ", keys[i]);
		if (!strstr(text, pat))
			fail_msg("conf/sexton.conf does not set %s", keys[i]);
	}
}

/* ---- continuation lines and long lines ---------------------------------- */

static void
test_continuation_join(void **state)
{
	const struct cfg_service *s;
	char text[2048], *arg = repeat('a', 95);
	struct cfg cfg;
	size_t i, len = 0;

	(void)state;
	/* A 600+ character command from continuation lines of 100 characters. */
	len += (size_t)snprintf(text + len, sizeof(text) - len, "[service:long]\ncommand =\n");
	for (i = 0; i < 7; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "    %s%zu\n", arg, i);
	len += (size_t)snprintf(text + len, sizeof(text) - len,
				"\t\"quoted\n  span\" ; comment\ntype = oneshot\n");
	parse_ok(text, &cfg);
	s = &cfg.services[0];
	for (i = 0; i < 7; i++) {
		assert_int_equal(strlen(s->argv[i]), 96);
		assert_memory_equal(s->argv[i], arg, 95);
	}
	/* Joined with one space: the quote spans the line break. */
	assert_string_equal(s->argv[7], "quoted span");
	assert_null(s->argv[8]);
	/* 7 words of 96, then "quoted and span" (the comment cut), 6 + 2 joining spaces. */
	assert_int_equal(strlen(s->command), 7 * 96 + 7 + 5 + 6 + 2);
	assert_true(strlen(s->command) > 600);
	assert_int_equal(s->type, SVC_ONESHOT);
	cfg_free(&cfg);
	free(arg);

	/* Continuations after a value, across a blank line, for depends. */
	parse_ok("[service:a]\ncommand = a\ndepends = b\n\n  c\n[service:b]\ncommand = b\n"
		 "[service:c]\ncommand = c\n",
		 &cfg);
	assert_int_equal(cfg.services[0].ndepends, 2);
	assert_string_equal(cfg.services[0].depends[1], "c");
	cfg_free(&cfg);
}

/* inih keeps 49 characters of a section name; sexton keeps its own copy. */
static void
test_long_service_name(void **state)
{
	char *name = repeat('s', 64), text[512];
	struct cfg cfg;

	(void)state;
	snprintf(text, sizeof(text), "[service:%s]\ncommand = a\n  b\n[system]\n", name);
	parse_ok(text, &cfg);
	assert_string_equal(cfg.services[0].name, name);
	assert_string_equal(cfg.services[0].argv[1], "b");
	assert_true(cfg.system.present);
	cfg_free(&cfg);
	snprintf(text, sizeof(text), "[service:%sX]\ncommand = a\n", name);
	free(name);
	EXPECT_ERRORS(text, "t.conf:1: invalid service name "
			    "'ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss...' (use "
			    "letters, digits, '_', '.', '@', '-'; at most 64 characters)");
}

/* As in inih, an indented line after a key continues it, even "k = v". */
static void
test_indented_key_is_continuation(void **state)
{
	struct cfg cfg;

	(void)state;
	parse_ok("[service:a]\ncommand = a\n  type = notify\n", &cfg);
	assert_string_equal(cfg.services[0].command, "a type = notify");
	assert_int_equal(cfg.services[0].type, SVC_SIMPLE);
	cfg_free(&cfg);
	/* Right after a section header there is nothing to continue. */
	parse_ok("[service:a]\n  command = a\n", &cfg);
	assert_string_equal(cfg.services[0].command, "a");
	cfg_free(&cfg);
}

static void
test_long_line(void **state)
{
	char *pad = repeat('x', 300), text[2048];

	(void)state;
	/* Exactly 199 characters is fine. */
	snprintf(text, sizeof(text), "[service:a]\ncommand = %.*s\n", 199 - 10, pad);
	{
		struct cfg cfg;

		parse_ok(text, &cfg);
		assert_int_equal(strlen(cfg.services[0].command), 189);
		cfg_free(&cfg);
	}
	/* 200 is too long: one error, no "missing command". */
	snprintf(text, sizeof(text), "[service:a]\ncommand = %.*s\ntype = notify\n", 200 - 10, pad);
	EXPECT_ERRORS(text, "t.conf:2: " LONG_MSG);
	/* The tail of a long line is never read as a line of its own. */
	snprintf(text, sizeof(text),
		 "[service:a]\n\ncommand = %.*sbogus = 1\n[nope]\nstop_signal = TERM\n", 189, pad);
	EXPECT_ERRORS(text, "t.conf:3: " LONG_MSG, "t.conf:4: unknown section [nope] (expected "
						    "[sexton], [service:NAME] or [system])");
	/* Without a trailing newline, with CRLF line ends. */
	snprintf(text, sizeof(text), "[service:a]\r\ncommand = x\r\nenvironment = %.*s", 250, pad);
	EXPECT_ERRORS(text, "t.conf:3: " LONG_MSG);
	free(pad);
}

static void
test_long_continuation_line(void **state)
{
	char *pad = repeat('y', 250), text[2048];

	(void)state;
	/* The broken value's other continuation lines are dropped quietly;
	 * the next key is read as usual. */
	snprintf(text, sizeof(text),
		 "[service:a]\ncommand = x\nenvironment = A=1\n    %s\n    B=2\nuser = nosuch\n",
		 pad);
	EXPECT_ERRORS(text, "t.conf:4: " LONG_MSG,
		      "t.conf:6: user: unknown user 'nosuch' (not in " ETC "/passwd)");
	free(pad);
}

static void
test_long_section_and_comment(void **state)
{
	char *pad = repeat('n', 250), text[2048];

	(void)state;
	/* A long comment loses nothing; a long section header hides its keys. */
	snprintf(text, sizeof(text),
		 "; %s\n[service:%s]\ncommand = x\nbogus = 1\n[service:b]\ncommand = b\n"
		 "    # %s\n",
		 pad, pad, pad);
	EXPECT_ERRORS(text, "t.conf:2: " LONG_MSG);
	free(pad);
}

static void
test_inline_comment(void **state)
{
	struct cfg cfg;

	(void)state;
	/* " ;" ends a value; ";" without a blank before it does not. */
	parse_ok("[service:a] ; the web\ncommand = /bin/echo a;b ; says a;b\n", &cfg);
	assert_string_equal(cfg.services[0].command, "/bin/echo a;b");
	cfg_free(&cfg);
	/* So a quoted " ;" is cut, and the quote left open is reported. */
	EXPECT_ERRORS("[service:a]\ncommand = echo \"a ;b\"\n",
		      "t.conf:2: command: unterminated double quote");
}

static void
test_bom_and_crlf(void **state)
{
	struct cfg cfg;

	(void)state;
	parse_ok("\xEF\xBB\xBF[service:a]\r\ncommand = a b\r\n", &cfg);
	assert_string_equal(cfg.services[0].argv[1], "b");
	assert_null(cfg.services[0].argv[2]);
	cfg_free(&cfg);
}

/* ---- errors, one kind at a time ------------------------------------------- */

static void
test_error_unknown_section(void **state)
{
	(void)state;
	EXPECT_ERRORS("[sexton]\n[services:web]\ncommand = x\n[Sexton]\n",
		      "t.conf:2: unknown section [services:web] (expected [sexton], "
		      "[service:NAME] or [system])",
		      "t.conf:4: unknown section [Sexton] (expected [sexton], [service:NAME] or "
		      "[system])");
}

static void
test_error_bad_service_name(void **state)
{
	(void)state;
	EXPECT_ERRORS("[service:]\ncommand = x\n[service:a b]\n[service:.hidden]\n",
		      "t.conf:1: missing service name in [service:]",
		      "t.conf:3: invalid service name 'a b' (use letters, digits, '_', '.', '@', "
		      "'-'; at most 64 characters)",
		      "t.conf:4: invalid service name '.hidden' (use letters, digits, '_', '.', "
		      "'@', '-'; at most 64 characters)");
}

static void
test_error_unknown_key(void **state)
{
	(void)state;
	EXPECT_ERRORS("orphan = 1\n[sexton]\nsockets = /x\n[service:a]\ncommand = x\n"
		      "Command = y\n[system]\ncommand = z\n= v\n",
		      "t.conf:1: key 'orphan' outside of any section",
		      "t.conf:3: unknown key 'sockets' in [sexton]",
		      "t.conf:6: unknown key 'Command' in [service:a]",
		      "t.conf:8: unknown key 'command' in [system]",
		      "t.conf:9: missing key name before '='");
}

static void
test_error_syntax(void **state)
{
	(void)state;
	EXPECT_ERRORS("[sexton\nlog_level = debug\n[service:a] junk\ncommand = x\njust words\n",
		      "t.conf:1: section header without ']'",
		      "t.conf:3: unexpected text after ']'",
		      "t.conf:5: expected 'key = value', '[section]' or a comment");
}

static void
test_error_duplicate_key(void **state)
{
	(void)state;
	EXPECT_ERRORS("[sexton]\nlog_level = info\n[service:a]\ncommand = x\ntype = simple\n"
		      "type = notify\n[sexton]\nlog_level = debug\n",
		      "t.conf:6: duplicate key 'type' in [service:a] (first set at line 5)",
		      "t.conf:8: duplicate key 'log_level' in [sexton] (first set at line 2)");
}

static void
test_error_duplicate_service(void **state)
{
	(void)state;
	EXPECT_ERRORS("[service:web]\ncommand = a\n[service:db]\ncommand = b\n[service:web]\n"
		      "command = c\nbogus = ignored\n",
		      "t.conf:5: duplicate service 'web' (first defined at line 1)");
}

static void
test_error_missing_and_empty_command(void **state)
{
	(void)state;
	EXPECT_ERRORS("[service:a]\ntype = simple\n[service:b]\ncommand =\n[service:c]\n"
		      "command = \"\" x\n[service:d]\ncommand = '\n",
		      "t.conf:1: service a: missing command", "t.conf:4: command: empty command",
		      "t.conf:6: command: empty program name",
		      "t.conf:8: command: unterminated single quote");
}

static void
test_error_bad_number(void **state)
{
	(void)state;
	BAD_VALUE("log_keep", "x", "log_keep: invalid value 'x' (expected a number from 0 to 1000)");
	BAD_VALUE("log_keep", "1001",
		  "log_keep: invalid value '1001' (expected a number from 0 to 1000)");
	BAD_VALUE("log_keep", "-1", "log_keep: invalid value '-1' (expected a number from 0 to 1000)");
	BAD_VALUE("rlimit_nofile", "0",
		  "rlimit_nofile: invalid value '0' (expected a number from 1 to 1073741824)");
	BAD_VALUE("rlimit_nofile", "99999999999999999999999",
		  "rlimit_nofile: invalid value '99999999999999999999999' (expected a number from 1 "
		  "to 1073741824)");
	BAD_VALUE("ready_fd", "2", "ready_fd: invalid value '2' (expected a number from 3 to 1023)");
}

static void
test_error_bad_duration(void **state)
{
	(void)state;
	BAD_VALUE("stop_timeout", "abc",
		  "stop_timeout: invalid value 'abc' (expected seconds, e.g. 10 or 0.5)");
	BAD_VALUE("restart_delay", "10s",
		  "restart_delay: invalid value '10s' (expected seconds, e.g. 10 or 0.5)");
	BAD_VALUE("ready_timeout", "-1",
		  "ready_timeout: invalid value '-1' (expected seconds, e.g. 10 or 0.5)");
	BAD_VALUE("watchdog", ".", "watchdog: invalid value '.' (expected seconds, e.g. 10 or 0.5)");
	BAD_VALUE("stop_timeout", "1e3",
		  "stop_timeout: invalid value '1e3' (expected seconds, e.g. 10 or 0.5)");
	BAD_VALUE("stop_timeout", "nan",
		  "stop_timeout: invalid value 'nan' (expected seconds, e.g. 10 or 0.5)");
	BAD_VALUE("stop_timeout", "99999999999",
		  "stop_timeout: invalid value '99999999999' (expected seconds, e.g. 10 or 0.5)");
	EXPECT_ERRORS("[sexton]\nkill_timeout = 1,5\nhung_threshold = x\nwatch_interval = -\n",
		      "t.conf:2: kill_timeout: invalid value '1,5' (expected seconds, e.g. 10 or "
		      "0.5)",
		      "t.conf:3: hung_threshold: invalid value 'x' (expected seconds, e.g. 10 or "
		      "0.5)",
		      "t.conf:4: watch_interval: invalid value '-' (expected seconds, e.g. 10 or "
		      "0.5)");
}

static void
test_error_bad_size(void **state)
{
	(void)state;
	BAD_VALUE("log_max_size", "10X",
		  "log_max_size: invalid value '10X' (expected a size in bytes, or with K, M, G or T, "
		  "e.g. 10M)");
	BAD_VALUE("log_max_size", "M",
		  "log_max_size: invalid value 'M' (expected a size in bytes, or with K, M, G or T, "
		  "e.g. 10M)");
	BAD_VALUE("log_max_size", "99999999T",
		  "log_max_size: invalid value '99999999T' (expected a size in bytes, or with K, M, "
		  "G or T, e.g. 10M)");
	BAD_VALUE("log_max_size", "1.5M",
		  "log_max_size: invalid value '1.5M' (expected a size in bytes, or with K, M, G or "
		  "T, e.g. 10M)");
}

static void
test_error_bad_signal(void **state)
{
	(void)state;
	BAD_VALUE("stop_signal", "FOO", "stop_signal: unknown signal 'FOO'");
	BAD_VALUE("stop_signal", "0", "stop_signal: unknown signal '0'");
	BAD_VALUE("stop_signal", "999", "stop_signal: unknown signal '999'");
}

static void
test_error_bad_start_limit(void **state)
{
	(void)state;
	BAD_VALUE("start_limit", "5",
		  "start_limit: invalid value '5' (expected COUNT/SECONDS, e.g. 5/60)");
	BAD_VALUE("start_limit", "5/0",
		  "start_limit: invalid value '5/0' (expected COUNT/SECONDS, e.g. 5/60)");
	BAD_VALUE("start_limit", "/60",
		  "start_limit: invalid value '/60' (expected COUNT/SECONDS, e.g. 5/60)");
	BAD_VALUE("start_limit", "5/60/2",
		  "start_limit: invalid value '5/60/2' (expected COUNT/SECONDS, e.g. 5/60)");
	BAD_VALUE("start_limit", "a/b",
		  "start_limit: invalid value 'a/b' (expected COUNT/SECONDS, e.g. 5/60)");
}

static void
test_error_bad_octal(void **state)
{
	(void)state;
	BAD_VALUE("umask", "088", "umask: invalid value '088' (expected an octal mask, e.g. 022)");
	BAD_VALUE("umask", "1000", "umask: invalid value '1000' (expected an octal mask, e.g. 022)");
	BAD_VALUE("umask", "u=rwx",
		  "umask: invalid value 'u=rwx' (expected an octal mask, e.g. 022)");
	EXPECT_ERRORS("[sexton]\nsocket_mode = 0800\n",
		      "t.conf:2: socket_mode: invalid value '0800' (expected an octal mode, e.g. "
		      "0660)");
	EXPECT_ERRORS("[sexton]\nsocket_mode = 00600\n",
		      "t.conf:2: socket_mode: invalid value '00600' (expected an octal mode, e.g. "
		      "0660)");
}

static void
test_error_bad_boolean(void **state)
{
	(void)state;
	BAD_VALUE("autostart", "maybe", "autostart: invalid value 'maybe' (expected yes or no)");
	BAD_VALUE("critical", "y", "critical: invalid value 'y' (expected yes or no)");
}

static void
test_error_bad_enum(void **state)
{
	(void)state;
	BAD_VALUE("type", "forking",
		  "type: invalid value 'forking' (expected simple, notify or oneshot)");
	BAD_VALUE("type", "Simple",
		  "type: invalid value 'Simple' (expected simple, notify or oneshot)");
	BAD_VALUE("restart", "sometimes",
		  "restart: invalid value 'sometimes' (expected always, on-failure or never)");
	BAD_VALUE("output", "syslog",
		  "output: invalid value 'syslog' (expected inherit, tagged, null or file:/PATH)");
	EXPECT_ERRORS("[sexton]\nlog_level = verbose\n[system]\nctrl_alt_del = halt\n",
		      "t.conf:2: log_level: invalid value 'verbose' (expected error, warn, info or "
		      "debug)",
		      "t.conf:4: ctrl_alt_del: invalid value 'halt' (expected reboot, poweroff or "
		      "ignore)");
}

static void
test_error_paths(void **state)
{
	char *longpath, text[512];

	(void)state;
	BAD_VALUE("directory", "srv/www", "directory: 'srv/www' is not an absolute path");
	BAD_VALUE("environment_file", "default/web",
		  "environment_file: 'default/web' is not an absolute path");
	BAD_VALUE("output", "file:log/web.log", "output: file path 'log/web.log' is not absolute");
	BAD_VALUE("output", "file:", "output: file path '' is not absolute");
	EXPECT_ERRORS("[sexton]\nsocket = sexton.sock\n",
		      "t.conf:2: socket: 'sexton.sock' is not an absolute path");
	longpath = repeat('s', 120);
	snprintf(text, sizeof(text), "[sexton]\nsocket = /%s\n", longpath);
	EXPECT_ERRORS(text, "t.conf:2: socket: path longer than 107 bytes");
	free(longpath);
}

static void
test_error_environment(void **state)
{
	(void)state;
	BAD_VALUE("environment", "A=1 FOO B=2", "environment: 'FOO' is not KEY=VALUE");
	BAD_VALUE("environment", "1A=x", "environment: invalid variable name in '1A=x'");
	BAD_VALUE("environment", "=x", "environment: invalid variable name in '=x'");
	BAD_VALUE("environment", "A-B=x", "environment: invalid variable name in 'A-B=x'");
	BAD_VALUE("environment", "A=\"x", "environment: unterminated double quote");
}

static void
test_error_unknown_dependency(void **state)
{
	(void)state;
	EXPECT_ERRORS("[service:web]\ncommand = w\ndepends = db cache\n[service:db]\ncommand = d\n",
		      "t.conf:3: depends: unknown service 'cache'");
}

static void
test_error_dependency_cycle(void **state)
{
	(void)state;
	EXPECT_ERRORS("[service:a]\ncommand = a\ndepends = b\n[service:b]\ncommand = b\ndepends = a\n",
		      "t.conf:1: dependency cycle: a -> b -> a");
	EXPECT_ERRORS("[service:x]\ncommand = x\n[service:a]\ncommand = a\ndepends = x b\n"
		      "[service:b]\ncommand = b\ndepends = c\n[service:c]\ncommand = c\n"
		      "depends = a\n",
		      "t.conf:3: dependency cycle: a -> b -> c -> a");
	EXPECT_ERRORS("[service:self]\ncommand = s\ndepends = self\n",
		      "t.conf:1: dependency cycle: self -> self");
	/* Two separate cycles: both told. */
	EXPECT_ERRORS("[service:a]\ncommand = a\ndepends = b\n[service:b]\ncommand = b\ndepends = a\n"
		      "[service:c]\ncommand = c\ndepends = c\n",
		      "t.conf:1: dependency cycle: a -> b -> a",
		      "t.conf:7: dependency cycle: c -> c");
}

static void
test_error_unknown_user_group(void **state)
{
	(void)state;
	EXPECT_ERRORS("[service:a]\ncommand = a\nuser = zed\ngroup = zedgroup\n",
		      "t.conf:3: user: unknown user 'zed' (not in " ETC "/passwd)",
		      "t.conf:4: group: unknown group 'zedgroup' (not in " ETC "/group)");
	EXPECT_ERRORS("[service:a]\ncommand = a\nuser = 4242\n",
		      "t.conf:3: user: uid 4242 has no entry in " ETC
		      "/passwd to give its group; set group too");
	EXPECT_ERRORS("[sexton]\nsocket_group = operators\n",
		      "t.conf:2: socket_group: unknown group 'operators' (not in " ETC "/group)");
}

static void
test_error_unreadable_user_db(void **state)
{
	struct cfg_errors errs = { 0 };
	struct cfg cfg;

	(void)state;
	assert_int_equal(cfg_parse_string("[service:a]\ncommand = a\nuser = alice\n", "t.conf",
					  "tests/fixtures/no-such-etc", &cfg, &errs),
			 -1);
	match_errors(&errs,
		     (const char *const[]){ "t.conf:3: user: unknown user 'alice' (cannot read "
					    "tests/fixtures/no-such-etc/passwd: No such file or "
					    "directory)",
					    NULL },
		     __FILE__, __LINE__);
	cfg_errors_free(&errs);
	/* Numeric ids need no file. */
	assert_int_equal(cfg_parse_string("[service:a]\ncommand = a\nuser = 10\ngroup = 10\n",
					  "t.conf", "tests/fixtures/no-such-etc", &cfg, &errs),
			 0);
	assert_int_equal(cfg.services[0].uid, 10);
	cfg_free(&cfg);
	cfg_errors_free(&errs);
}

static void
test_error_notify_only_keys(void **state)
{
	struct cfg cfg;

	(void)state;
	EXPECT_ERRORS("[service:a]\ncommand = a\nready_fd = 3\nwatchdog = 10\n[service:b]\n"
		      "command = b\ntype = oneshot\nwatchdog = 1\n",
		      "t.conf:3: ready_fd: only valid with type = notify",
		      "t.conf:4: watchdog: only valid with type = notify",
		      "t.conf:8: watchdog: only valid with type = notify");
	/* watchdog = 0 is "off", harmless anywhere. */
	parse_ok("[service:a]\ncommand = a\nwatchdog = 0\n", &cfg);
	cfg_free(&cfg);
}

static void
test_error_restart_delays(void **state)
{
	(void)state;
	EXPECT_ERRORS("[service:a]\ncommand = a\nrestart_delay = 5\nrestart_delay_max = 0.5\n",
		      "t.conf:4: restart_delay_max: 0.5 is less than restart_delay (5)");
	EXPECT_ERRORS("[service:a]\ncommand = a\nrestart_delay = 90\n",
		      "t.conf:3: restart_delay: 90 is more than restart_delay_max (60)");
}

static void
test_error_system(void **state)
{
	(void)state;
	EXPECT_ERRORS("[system]\nhostname = my board\nmounts = proc:/proc:proc proc sys:sys:sysfs "
		      "a:/b::d :/b:c\n",
		      "t.conf:2: hostname: invalid value 'my board' (expected letters, digits, '-' "
		      "and '.', at most 64 characters)",
		      "t.conf:3: mounts: 'proc' is not SOURCE:TARGET:FSTYPE[:OPTIONS]",
		      "t.conf:3: mounts: target of 'sys:sys:sysfs' is not an absolute path",
		      "t.conf:3: mounts: 'a:/b::d' is not SOURCE:TARGET:FSTYPE[:OPTIONS]",
		      "t.conf:3: mounts: ':/b:c' is not SOURCE:TARGET:FSTYPE[:OPTIONS]");
	EXPECT_ERRORS("[system]\nmounts = a:/mnt/../etc:tmpfs:size=1m b:/mnt/./x:tmpfs "
		      "c:/mnt/x/..:tmpfs d:/mnt/..x:tmpfs\n",
		      "t.conf:2: mounts: target of 'a:/mnt/../etc:tmpfs:size=1m' has a '.' or '..' "
		      "component",
		      "t.conf:2: mounts: target of 'b:/mnt/./x:tmpfs' has a '.' or '..' component",
		      "t.conf:2: mounts: target of 'c:/mnt/x/..:tmpfs' has a '.' or '..' component");
}

static void
test_error_nul_byte(void **state)
{
	static const char text[] = "[service:a]\ncommand = a\x00zz\ntype = notify\n";
	struct tmpdir td;
	const char *path;
	char want[256];

	(void)state;
	td_init(&td);
	path = td_write(&td, "nul.conf", text, sizeof(text) - 1);
	snprintf(want, sizeof(want), "%s:2: line contains a NUL byte", path);
	EXPECT_FILE_ERRORS(path, want);
	td_cleanup(&td);
}

static void
test_error_missing_file(void **state)
{
	(void)state;
	EXPECT_FILE_ERRORS("tests/fixtures/no-such.conf",
			   "tests/fixtures/no-such.conf: cannot read: No such file or directory");
	EXPECT_FILE_ERRORS("tests/fixtures", "tests/fixtures: cannot read: is a directory");
	EXPECT_FILE_ERRORS("/dev/null", "/dev/null: cannot read: is not a regular file");
}

/* Every error of a file, told at once, sorted by line. */
static void
test_multiple_errors(void **state)
{
	(void)state;
	EXPECT_ERRORS("[service:a]\n"	       /* 1: cycle a -> a */
		      "command = a\n"	       /* 2 */
		      "depends = a nosuch\n"   /* 3: unknown dependency */
		      "type = forking\n"       /* 4: bad enum */
		      "[bogus]\n"	       /* 5: unknown section */
		      "[service:b]\n"	       /* 6: missing command */
		      "user = zed\n"	       /* 7: unknown user */
		      "stop_timeout = soon\n"  /* 8: bad duration */
		      "stop_timeout = later\n" /* 9: duplicate key */
		      "nonsense\n"	       /* 10: syntax */
		      "[service:a]\n",	       /* 11: duplicate service */
		      "t.conf:1: dependency cycle: a -> a",
		      "t.conf:3: depends: unknown service 'nosuch'",
		      "t.conf:4: type: invalid value 'forking' (expected simple, notify or oneshot)",
		      "t.conf:5: unknown section [bogus] (expected [sexton], [service:NAME] or "
		      "[system])",
		      "t.conf:6: service b: missing command",
		      "t.conf:7: user: unknown user 'zed' (not in " ETC "/passwd)",
		      "t.conf:8: stop_timeout: invalid value 'soon' (expected seconds, e.g. 10 or "
		      "0.5)",
		      "t.conf:9: duplicate key 'stop_timeout' in [service:b] (first set at line 8)",
		      "t.conf:10: expected 'key = value', '[section]' or a comment",
		      "t.conf:11: duplicate service 'a' (first defined at line 1)");
}

static void
test_errors_accumulate(void **state)
{
	struct cfg_errors errs = { 0 };
	struct cfg cfg;

	(void)state;
	assert_int_equal(cfg_parse_string("[x]\n", "one.conf", ETC, &cfg, &errs), -1);
	assert_int_equal(cfg_parse_string("[y]\n", NULL, ETC, &cfg, &errs), -1);
	assert_int_equal(errs.n, 2);
	assert_string_equal(errs.v[0].file, "one.conf");
	assert_string_equal(errs.v[1].file, "<string>");
	assert_int_equal(errs.v[1].line, 1);
	cfg_errors_free(&errs);
	assert_null(errs.v);
	assert_int_equal(errs.n, 0);
}

static void
test_error_format(void **state)
{
	struct cfg_error e = { .file = "a.conf", .line = 7, .msg = "bad" };
	char buf[64];

	(void)state;
	assert_int_equal(cfg_error_format(&e, buf, sizeof(buf)), 13);
	assert_string_equal(buf, "a.conf:7: bad");
	e.line = 0;
	cfg_error_format(&e, buf, sizeof(buf));
	assert_string_equal(buf, "a.conf: bad");
	/* Truncates like snprintf. */
	e.line = 7;
	assert_int_equal(cfg_error_format(&e, buf, 5), 13);
	assert_string_equal(buf, "a.co");
}

/* ---- includes -------------------------------------------------------------- */

static void
test_include(void **state)
{
	struct cfg_errors errs = { 0 };
	struct tmpdir td;
	const char *main_conf, *b_conf;
	char want[512];
	struct cfg cfg;

	(void)state;
	td_init(&td);
	td_mkdir(&td, "conf.d");
	td_put(&td, "conf.d/10-a.conf", "[service:a]\ncommand = a\n");
	td_put(&td, "conf.d/30-c.conf", "[sexton]\nlog_level = warn\n[service:c]\ncommand = c\n");
	main_conf = td_put(&td, "main.conf",
			   "[sexton]\ninclude = conf.d/*.conf /nonexistent-dir/*.conf "
			   "conf.d/missing.conf\n[service:main]\ncommand = m\ndepends = a c\n");
	assert_int_equal(cfg_parse_file(main_conf, ETC, &cfg, &errs), 0);
	assert_int_equal(errs.n, 0);
	assert_null(errs.v); /* a success leaves nothing to free */
	/* The main file's services first, then the included ones, sorted. */
	assert_int_equal(cfg.nservices, 3);
	assert_string_equal(cfg.services[0].name, "main");
	assert_string_equal(cfg.services[1].name, "a");
	assert_string_equal(cfg.services[2].name, "c");
	assert_int_equal(cfg.log_level, 1);
	snprintf(want, sizeof(want), "%s/conf.d/10-a.conf", td.path);
	assert_string_equal(cfg.services[1].file, want);
	cfg_free(&cfg);

	/* An error in an included file names that file and its line. */
	b_conf = td_put(&td, "conf.d/20-b.conf",
			"; b\n[service:b]\nstop_signal = NOPE\ncommand = b\n[service:a]\n");
	snprintf(want, sizeof(want), "%s:3: stop_signal: unknown signal 'NOPE'", b_conf);
	{
		char want2[512];

		snprintf(want2, sizeof(want2),
			 "%s:5: duplicate service 'a' (first defined at %s/conf.d/10-a.conf:1)",
			 b_conf, td.path);
		EXPECT_FILE_ERRORS(main_conf, want, want2);
	}
	td_cleanup(&td);
}

static void
test_include_errors(void **state)
{
	struct tmpdir td;
	const char *a, *b, *dir_conf;
	char want[512], want2[512];

	(void)state;
	td_init(&td);
	/* A loop through two files. */
	a = td_put(&td, "a.conf", "[sexton]\ninclude = b.conf\n");
	b = td_put(&td, "b.conf", "[sexton]\n\ninclude = a.conf\n");
	snprintf(want, sizeof(want), "%s:3: include loop: %s/a.conf is already being read", b,
		 td.path);
	EXPECT_FILE_ERRORS(a, want);
	/* A file that includes itself. */
	{
		const char *self = td_put(&td, "self.conf", "[sexton]\ninclude = ./self.conf\n");

		snprintf(want, sizeof(want),
			 "%s:2: include loop: %s/./self.conf is already being read", self, td.path);
		EXPECT_FILE_ERRORS(self, want);
	}
	/* A directory matched, a quote left open. */
	td_mkdir(&td, "sub.conf");
	dir_conf = td_put(&td, "dir.conf", "[sexton]\ninclude = *.conf.d sub.conf\n[sexton]\n"
					   "include = 'x\n");
	snprintf(want, sizeof(want), "%s:2: include: %s/sub.conf is a directory", dir_conf,
		 td.path);
	snprintf(want2, sizeof(want2), "%s:4: include: unterminated single quote", dir_conf);
	EXPECT_FILE_ERRORS(dir_conf, want, want2);
	td_cleanup(&td);
}

static void
test_include_depth(void **state)
{
	struct tmpdir td;
	char name[32], text[64], want[512];
	const char *first = NULL, *last;
	int i;

	(void)state;
	td_init(&td);
	/* d0 includes d1 ... d9: d0 plus 8 nested levels are fine, d9 is not. */
	for (i = 0; i <= 9; i++) {
		snprintf(name, sizeof(name), "d%d.conf", i);
		snprintf(text, sizeof(text), "[sexton]\ninclude = d%d.conf\n", i + 1);
		last = td_put(&td, name, i < 9 ? text : "[service:deep]\ncommand = x\n");
		if (i == 0)
			first = last;
		if (i == 8)
			snprintf(want, sizeof(want),
				 "%s:2: include: nested more than 8 levels deep (include loop?) at "
				 "%s/d9.conf",
				 last, td.path);
	}
	EXPECT_FILE_ERRORS(first, want);
	td_cleanup(&td);
}

/* ---- order and comparison ----------------------------------------------------- */

static void
test_start_order(void **state)
{
	struct cfg cfg;
	size_t order[5];

	(void)state;
	parse_ok("[service:web]\ncommand = w\ndepends = db cache\n"
		 "[service:cache]\ncommand = c\ndepends = db\n"
		 "[service:db]\ncommand = d\n"
		 "[service:alone]\ncommand = x\n"
		 "[service:migrate]\ncommand = m\ntype = oneshot\n",
		 &cfg);
	assert_int_equal(cfg_start_order(&cfg, order), 0);
	assert_string_equal(cfg.services[order[0]].name, "db");
	assert_string_equal(cfg.services[order[1]].name, "cache");
	assert_string_equal(cfg.services[order[2]].name, "web");
	assert_string_equal(cfg.services[order[3]].name, "alone");
	assert_string_equal(cfg.services[order[4]].name, "migrate");
	cfg_free(&cfg);
}

static void
test_start_order_refuses_cycles(void **state)
{
	char *deps_a[] = { "b", NULL }, *deps_b[] = { "a", NULL }, *deps_c[] = { "zz", NULL };
	struct cfg_service svcs[2] = { { 0 } };
	struct cfg cfg = { 0 };
	size_t order[2];

	(void)state;
	svcs[0].name = "a";
	svcs[0].depends = deps_a;
	svcs[0].ndepends = 1;
	svcs[1].name = "b";
	svcs[1].depends = deps_b;
	svcs[1].ndepends = 1;
	cfg.services = svcs;
	cfg.nservices = 2;
	assert_int_equal(cfg_start_order(&cfg, order), -1);
	svcs[1].depends = deps_c;
	assert_int_equal(cfg_start_order(&cfg, order), -1);
	svcs[1].ndepends = 0;
	assert_int_equal(cfg_start_order(&cfg, order), 0);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 0);
	cfg.nservices = 0;
	assert_int_equal(cfg_start_order(&cfg, order), 0);
}

static const struct cfg_service *
one_service(const char *body, struct cfg *cfg)
{
	char *text;

	assert_true(asprintf(&text, "[service:s]\n%s", body) > 0);
	parse_ok(text, cfg);
	free(text);
	return &cfg->services[0];
}

static int
changed(const char *a, const char *b)
{
	struct cfg ca, cb;
	int rc;

	rc = cfg_service_changed(one_service(a, &ca), one_service(b, &cb));
	cfg_free(&ca);
	cfg_free(&cb);
	return rc;
}

static void
test_service_changed(void **state)
{
	struct cfg cfg;

	(void)state;
	parse_ok(every_key, &cfg);
	assert_int_equal(cfg_service_changed(&cfg.services[0], &cfg.services[0]), 0);
	assert_int_equal(cfg_service_changed(&cfg.services[0], &cfg.services[1]), 1);
	cfg_free(&cfg);

	/* The process changes: restart. */
	assert_int_equal(changed("command = a b\n", "command = a  'b'\n"), 0);
	assert_int_equal(changed("command = a b\n", "command = a c\n"), 1);
	assert_int_equal(changed("command = a\n", "command = a\ntype = notify\n"), 1);
	assert_int_equal(changed("command = a\nenvironment = A=1 B=2\n",
				 "command = a\nenvironment = B=2 A=1\n"),
			 1);
	assert_int_equal(changed("command = a\nuser = alice\n", "command = a\nuser = 1000\n"), 0);
	assert_int_equal(changed("command = a\nuser = alice\n", "command = a\nuser = bob\n"), 1);
	assert_int_equal(changed("command = a\nuser = alice\n",
				 "command = a\nuser = alice\ngroup = alice\n"),
			 0);
	assert_int_equal(changed("command = a\nuser = alice\n",
				 "command = a\nuser = alice\ngroup = users\n"),
			 1);
	assert_int_equal(changed("command = a\n", "command = a\ndirectory = /srv\n"), 1);
	assert_int_equal(changed("command = a\n", "command = a\numask = 077\n"), 1);
	assert_int_equal(changed("command = a\n", "command = a\nrlimit_nofile = 10\n"), 1);
	assert_int_equal(changed("command = a\n", "command = a\noutput = tagged\n"), 1);
	assert_int_equal(changed("command = a\noutput = file:/a\n", "command = a\noutput = file:/b\n"),
			 1);
	assert_int_equal(changed("command = a\n", "command = a\nenvironment_file = /e\n"), 1);
	assert_int_equal(changed("command = a\ntype = notify\n",
				 "command = a\ntype = notify\nwatchdog = 5\n"),
			 1);
	assert_int_equal(changed("command = a\ntype = notify\n",
				 "command = a\ntype = notify\nready_fd = 3\n"),
			 1);
	/* Only how it is supervised changes: update in place. */
	assert_int_equal(changed("command = a\n",
				 "command = a\nautostart = no\nrestart = always\nrestart_delay = 2\n"
				 "restart_delay_max = 9\nstart_limit = 1/1\nstop_signal = INT\n"
				 "stop_timeout = 1\nready_timeout = 3\ncritical = yes\n"
				 "log_max_size = 1K\nlog_keep = 1\n"),
			 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_mount_options),
		cmocka_unit_test(test_sexton_after_services),
		cmocka_unit_test(test_value_forms),
		cmocka_unit_test(test_empty_value_is_default),
		cmocka_unit_test(test_environment),
		cmocka_unit_test(test_users_and_groups),
		cmocka_unit_test(test_reference_config),
		cmocka_unit_test(test_continuation_join),
		cmocka_unit_test(test_long_service_name),
		cmocka_unit_test(test_indented_key_is_continuation),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_long_continuation_line),
		cmocka_unit_test(test_long_section_and_comment),
		cmocka_unit_test(test_inline_comment),
		cmocka_unit_test(test_bom_and_crlf),
		cmocka_unit_test(test_error_unknown_section),
		cmocka_unit_test(test_error_bad_service_name),
		cmocka_unit_test(test_error_unknown_key),
		cmocka_unit_test(test_error_syntax),
		cmocka_unit_test(test_error_duplicate_key),
		cmocka_unit_test(test_error_duplicate_service),
		cmocka_unit_test(test_error_missing_and_empty_command),
		cmocka_unit_test(test_error_bad_number),
		cmocka_unit_test(test_error_bad_duration),
		cmocka_unit_test(test_error_bad_size),
		cmocka_unit_test(test_error_bad_signal),
		cmocka_unit_test(test_error_bad_start_limit),
		cmocka_unit_test(test_error_bad_octal),
		cmocka_unit_test(test_error_bad_boolean),
		cmocka_unit_test(test_error_bad_enum),
		cmocka_unit_test(test_error_paths),
		cmocka_unit_test(test_error_environment),
		cmocka_unit_test(test_error_unknown_dependency),
		cmocka_unit_test(test_error_dependency_cycle),
		cmocka_unit_test(test_error_unknown_user_group),
		cmocka_unit_test(test_error_unreadable_user_db),
		cmocka_unit_test(test_error_notify_only_keys),
		cmocka_unit_test(test_error_restart_delays),
		cmocka_unit_test(test_error_system),
		cmocka_unit_test(test_error_nul_byte),
		cmocka_unit_test(test_error_missing_file),
		cmocka_unit_test(test_multiple_errors),
		cmocka_unit_test(test_errors_accumulate),
		cmocka_unit_test(test_error_format),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_include_errors),
		cmocka_unit_test(test_include_depth),
		cmocka_unit_test(test_start_order),
		cmocka_unit_test(test_start_order_refuses_cycles),
		cmocka_unit_test(test_service_changed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
