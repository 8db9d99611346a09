/* options — see include/options.h. */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signames.h"

enum { LONGOPT_CHECK_CONFIG = 256 };

const char opt_usage[] =
	"Usage: sexton [OPTIONS] [-- COMMAND [ARG...]]\n"
	"\n"
	"PID 1 that reaps every process, supervises services and explains\n"
	"the processes that refuse to die.\n"
	"\n"
	"  -c, --config PATH      configuration file (default /etc/sexton/sexton.conf)\n"
	"  -s, --subreaper        accepted for tini compatibility (automatic when not PID 1)\n"
	"  -g, --pgroup           forward signals to the main command's process group\n"
	"  -e, --remap-exit CODE  treat exit code CODE of the main command as 0 (repeatable)\n"
	"  -p, --pdeathsig SIG    have the kernel send SIG to sexton when its parent dies\n"
	"  -r, --rewrite FROM:TO  forward signal FROM as TO; TO=0 drops it (repeatable)\n"
	"  -S, --socket PATH      control socket path\n"
	"  -w, --warn-reaped      log a warning for every orphan reaped (tini -w)\n"
	"  -v, --verbose          more logging (repeatable)\n"
	"  -q, --quiet            less logging (repeatable)\n"
	"      --check-config     validate the configuration and exit 0 (valid) or 1\n"
	"  -h, --help             this help\n"
	"  -V, --version          print the version\n"
	"\n"
	"With COMMAND, sexton runs it as the main child, forwards signals to it and\n"
	"exits with its status (128+N when killed by signal N).\n";

static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "subreaper", no_argument, NULL, 's' },
	{ "pgroup", no_argument, NULL, 'g' },
	{ "remap-exit", required_argument, NULL, 'e' },
	{ "pdeathsig", required_argument, NULL, 'p' },
	{ "rewrite", required_argument, NULL, 'r' },
	{ "socket", required_argument, NULL, 'S' },
	{ "warn-reaped", no_argument, NULL, 'w' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "check-config", no_argument, NULL, LONGOPT_CHECK_CONFIG },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int
parse_exit_code(const char *s, int *code)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > 255)
		return -1;
	*code = (int)v;
	return 0;
}

/* "FROM:TO" with names or numbers; TO may be 0. */
static int
parse_rewrite(struct options *opts, const char *arg, char *err, size_t errlen)
{
	char from[32];
	const char *colon = strchr(arg, ':');
	size_t len;
	int f, t;

	len = colon ? (size_t)(colon - arg) : 0;
	if (!colon || len == 0 || len >= sizeof(from)) {
		snprintf(err, errlen, "--rewrite: expected FROM:TO, got '%s'", arg);
		return -1;
	}
	memcpy(from, arg, len);
	from[len] = '\0';
	f = sig_parse(from);
	t = sig_parse(colon + 1);
	if (f <= 0 || f >= OPT_NSIG || t < 0 || t >= OPT_NSIG) {
		snprintf(err, errlen, "--rewrite: unknown signal in '%s'", arg);
		return -1;
	}
	opts->rewrite[f] = t;
	return 0;
}

static int
parse_one(struct options *opts, int c, const char *arg, char *err, size_t errlen)
{
	int v;

	switch (c) {
	case 'c': opts->config_path = arg; return 0;
	case 'S': opts->socket_path = arg; return 0;
	case 's': opts->subreaper = true; return 0;
	case 'g': opts->pgroup = true; return 0;
	case 'w': opts->warn_reaped = true; return 0;
	case 'v': opts->verbosity++; return 0;
	case 'q': opts->verbosity--; return 0;
	case LONGOPT_CHECK_CONFIG: opts->check_config = true; return 0;
	case 'e':
		if (parse_exit_code(arg, &v) < 0) {
			snprintf(err, errlen, "--remap-exit: '%s' is not an exit code 0-255", arg);
			return -1;
		}
		if (opts->nremap == OPT_MAX_REMAP) {
			snprintf(err, errlen, "--remap-exit: too many codes");
			return -1;
		}
		opts->remap[opts->nremap++] = v;
		return 0;
	case 'p':
		v = sig_parse(arg);
		if (v <= 0) {
			snprintf(err, errlen, "--pdeathsig: unknown signal '%s'", arg);
			return -1;
		}
		opts->pdeathsig = v;
		return 0;
	case 'r': return parse_rewrite(opts, arg, err, errlen);
	default: snprintf(err, errlen, "unknown option (see --help)"); return -1;
	}
}

enum opt_result
opt_parse(int argc, char **argv, struct options *opts, char *err, size_t errlen)
{
	int c;
	size_t i;

	memset(opts, 0, sizeof(*opts));
	for (i = 0; i < OPT_NSIG; i++)
		opts->rewrite[i] = -1;
	err[0] = '\0';
	optind = 0; /* full re-initialisation: opt_parse may run more than once */
	opterr = 0; /* we word our own errors */
	/* "+": stop at the first non-option, so "sexton prog -x" runs prog -x. */
	while ((c = getopt_long(argc, argv, "+c:sge:p:r:S:wvqhV", long_options, NULL)) != -1) {
		if (c == 'h')
			return OPT_HELP;
		if (c == 'V')
			return OPT_VERSION;
		if (c == '?' || c == ':') {
			if (optopt && optopt < 256)
				snprintf(err, errlen, "option -%c: %s", optopt,
					 c == ':' ? "missing argument" : "unknown option or missing argument");
			else
				snprintf(err, errlen, "unknown option '%s'", argv[optind - 1]);
			return OPT_ERROR;
		}
		if (parse_one(opts, c, optarg, err, errlen) < 0)
			return OPT_ERROR;
	}
	if (optind < argc)
		opts->command = &argv[optind];
	return OPT_RUN;
}

bool
opt_has_rewrite(const struct options *opts, int sig)
{
	return sig > 0 && sig < OPT_NSIG && opts->rewrite[sig] >= 0;
}

int
__attribute__((hot)) opt_rewrite_signal(const struct options *opts, int sig)
{
	if (sig > 0 && sig < OPT_NSIG && opts->rewrite[sig] >= 0)
		return opts->rewrite[sig];
	return sig;
}
