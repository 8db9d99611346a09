/*
 * main — sexton's entry point: parse the command line, then hand over to
 * the daemon context. Everything that can fail before the first spawn may
 * exit; after it, nothing does (see sexton.c).
 */
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "options.h"
#include "sexton.h"

#ifndef SEXTON_VERSION
#define SEXTON_VERSION "0.0.0-dev"
#endif

#define EXIT_USAGE 2

int
main(int argc, char **argv)
{
	static struct options opts; /* static: ~1.3 kB that outlives main's frame uses */
	struct sexton sx;
	char err[256];
	int rc;

	switch (opt_parse(argc, argv, &opts, err, sizeof(err))) {
	case OPT_HELP: fputs(opt_usage, stdout); return 0;
	case OPT_VERSION: printf("sexton %s\n", SEXTON_VERSION); return 0;
	case OPT_ERROR: fprintf(stderr, "sexton: %s\n", err); return EXIT_USAGE;
	case OPT_RUN: break;
	}
	log_set_level(LOG_INFO + opts.verbosity);
	if (!opts.command) {
		fprintf(stderr, "sexton: nothing to run: give a COMMAND after '--' (see --help)\n");
		return EXIT_USAGE;
	}
	rc = sx_init(&sx, &opts);
	if (rc < 0) {
		log_error("cannot start: %s", "event loop or signalfd setup failed");
		return 1;
	}
	rc = sx_start_main(&sx);
	if (rc == 0)
		rc = sx_run(&sx);
	sx_destroy(&sx);
	return rc;
}
