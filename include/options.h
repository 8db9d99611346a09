/*
 * options — the sexton command line.
 *
 * Owns parsing argv into struct options. Pure: it writes nothing and
 * exits nothing; main decides what to print and which code to exit with.
 */
#ifndef SEXTON_OPTIONS_H
#define SEXTON_OPTIONS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#define OPT_MAX_REMAP 256
#define OPT_NSIG 65 /* signals 1..64; index 0 unused */

struct options {
	const char *config_path; /* -c; NULL = default lookup */
	const char *socket_path; /* -S */
	bool pgroup;		 /* -g: signal the main child's process group */
	bool subreaper;		 /* -s: accepted for tini; automatic anyway */
	bool check_config;	 /* --check-config */
	bool warn_reaped;	 /* -w: log every reaped orphan as a warning (tini -w) */
	int verbosity;		 /* +1 per -v, -1 per -q */
	int pdeathsig;		 /* -p; 0 = none */
	int remap[OPT_MAX_REMAP]; /* -e codes treated as 0 */
	size_t nremap;
	int rewrite[OPT_NSIG]; /* -r: rewrite[FROM] = TO; -1 = unchanged, 0 = drop */
	char **command;	       /* after "--" (or the first non-option); NULL = none */
};

enum opt_result { OPT_RUN, OPT_HELP, OPT_VERSION, OPT_ERROR };

/*
 * Parse ARGV. On OPT_ERROR a one-line reason is written into ERR.
 * ARGV is not modified except for getopt's permutation being disabled.
 */
enum opt_result opt_parse(int argc, char **argv, struct options *opts, char *err, size_t errlen);

/* Signal to forward for received SIG after -r rewriting; 0 = drop. */
int opt_rewrite_signal(const struct options *opts, int sig);
/* Does a -r rule name SIG (even as SIG:SIG)? */
bool opt_has_rewrite(const struct options *opts, int sig);

extern const char opt_usage[];

#endif
