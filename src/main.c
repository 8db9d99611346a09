/*
 * main — sexton's entry point: parse the command line, load the
 * configuration, then hand over to the daemon context. Everything that can
 * fail before the first spawn may exit; after it, nothing does (sexton.c).
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "options.h"
#include "sexton.h"
#include "system.h"

#ifndef SEXTON_VERSION
#define SEXTON_VERSION "0.0.0-dev"
#endif

#define EXIT_USAGE 2
#define EXIT_CONFIG 1
#define DEFAULT_CONFIG "/etc/sexton/sexton.conf"

/* -c PATH, else the default file if it exists, else none. */
static const char *
config_path_of(const struct options *opts)
{
	if (opts->config_path)
		return opts->config_path;
	return access(DEFAULT_CONFIG, F_OK) == 0 ? DEFAULT_CONFIG : NULL;
}

static void
print_error_line(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "%s\n", line);
}

/* Parse PATH; print every error as FILE:LINE: message. 0 or -1. */
static int
load_config(const char *path, struct cfg *cfg)
{
	struct cfg_errors errs = { 0 };
	size_t n;

	if (cfg_parse_file(path, getenv("SEXTON_ETC_DIR"), cfg, &errs) == 0)
		return 0;
	n = cfg_errors_each(&errs, print_error_line, NULL);
	fprintf(stderr, "sexton: %zu error(s) in the configuration; nothing started\n", n);
	cfg_errors_free(&errs);
	return -1;
}

static int
check_config(const char *path)
{
	struct cfg cfg;

	if (!path) {
		fprintf(stderr, "sexton: --check-config: no configuration file (give -c PATH)\n");
		return EXIT_CONFIG;
	}
	if (load_config(path, &cfg) < 0)
		return EXIT_CONFIG;
	printf("%s: OK, %zu service(s)\n", path, cfg.nservices);
	cfg_free(&cfg);
	return 0;
}

/* A closed 0, 1 or 2 would be taken by the next open() and a service's
 * output would land in, say, the notify socket. */
static void
ensure_std_fds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}

/* System mode needs the [system] section, no COMMAND and PID 1: a
 * supervisor on a host must not mount over its /proc (system.h). */
static bool
system_mode(const struct options *opts, const char *config_path, const struct cfg *cfg)
{
	if (!config_path || !cfg->system.present)
		return false;
	if (opts->command)
		log_warn("%s: [system] ignored: a COMMAND runs sexton in container mode", config_path);
	else if (getpid() != 1)
		log_warn("%s: [system] ignored: sexton is not PID 1 (pid %d); running as a supervisor",
			 config_path, (int)getpid());
	else
		return true;
	return false;
}

/* The daemon's life: set up, run, tear down; the exit status. */
static int
serve(struct sexton *sx, const struct options *opts, const char *config_path, struct cfg *cfg)
{
	int rc;

	sx->etc_dir = getenv("SEXTON_ETC_DIR");
	if (sx_open_control(sx, config_path ? cfg : NULL) < 0) {
		if (config_path)
			cfg_free(cfg);
		return 1;
	}
	if (config_path && sx_start_services(sx, cfg, config_path) < 0) {
		log_error("cannot start the services: out of memory");
		return 1;
	}
	rc = opts->command ? sx_start_main(sx) : 0;
	return rc == 0 ? sx_run(sx) : rc;
}

static int
run(const struct options *opts, const char *config_path)
{
	double end_timeout = SX_DEFAULT_KILL_TIMEOUT_S;
	struct sexton sx;
	struct sysmode sys;
	struct cfg cfg;
	bool system;
	int rc;

	if (config_path && load_config(config_path, &cfg) < 0)
		return EXIT_CONFIG;
	if (config_path && !opts->verbosity)
		log_set_level(cfg.log_level);
	system = system_mode(opts, config_path, &cfg);
	if (system) /* before the socket (/run) and the services */
		sys_boot(&sys, &cfg.system);
	rc = sx_init(&sx, opts);
	if (rc < 0) {
		log_error("cannot start: %s", strerror(-rc));
		if (config_path)
			cfg_free(&cfg);
		sx_destroy(&sx);
	} else {
		sx.sys = system ? &sys : NULL;
		rc = serve(&sx, opts, config_path, &cfg);
		end_timeout = sx.kill_timeout; /* as reloaded */
		sx_destroy(&sx);
	}
	if (!system)
		return rc < 0 ? 1 : rc;
	/* PID 1 of a machine never just exits: even a failed start ends in
	 * the poweroff (or what was asked), with the file systems synced. */
	rc = sys_end(&sys, end_timeout);
	sys_free(&sys);
	return rc;
}

int
main(int argc, char **argv)
{
	static struct options opts; /* static: ~1.3 kB that outlives main's frame uses */
	const char *config_path;
	char err[256];

	switch (opt_parse(argc, argv, &opts, err, sizeof(err))) {
	case OPT_HELP: fputs(opt_usage, stdout); return 0;
	case OPT_VERSION: printf("sexton %s\n", SEXTON_VERSION); return 0;
	case OPT_ERROR: fprintf(stderr, "sexton: %s\n", err); return EXIT_USAGE;
	case OPT_RUN: break;
	}
	/* tini's environment variable for -g, for images that set it (tini's
	 * TINI_SUBREAPER is what sexton does anyway when it is not PID 1). */
	if (getenv("TINI_KILL_PROCESS_GROUP"))
		opts.pgroup = true;
	log_set_level(LOG_INFO + opts.verbosity);
	config_path = config_path_of(&opts);
	if (opts.check_config)
		return check_config(config_path);
	if (!opts.command && !config_path) {
		fprintf(stderr, "sexton: nothing to run: give a COMMAND after '--' or a "
				"configuration (-c PATH, default " DEFAULT_CONFIG ")\n");
		return EXIT_USAGE;
	}
	ensure_std_fds();
	return run(&opts, config_path);
}
