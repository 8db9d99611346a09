/*
 * sextonctl — the control client (PROTOCOL.md, SPEC "Control socket and
 * sextonctl").
 *
 * Checks the command line locally, so that a usage error never reaches
 * the daemon, sends one request line, reads the JSON answer and hands it
 * to sextonctl_render. Exit codes: 0 success; 1 the command ran and
 * reports a problem; 2 usage error, no daemon, refused, or an answer that
 * cannot be understood — always with one line on stderr.
 *
 * `doctor --all` is the exception: it talks to no daemon but makes the
 * report itself (diag, as the daemon does) and renders it as an answer.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "diagfmt.h"
#include "sextonctl_render.h"
#include "signames.h"
#include "monotime.h"

#ifndef SEXTON_VERSION
#define SEXTON_VERSION "0.1.0"
#endif

#define EXIT_PROBLEM 1
#define EXIT_USAGE 2 /* also: no daemon, permission denied, bad answer */

#define ROOT_SOCKET "/run/sexton.sock"
#define REQUEST_MAX (64 * 1024) /* bytes, newline included (PROTOCOL.md) */
#define REQUEST_MAX_WORDS 64
#define LINE_MAX_BYTES (64 * 1024 * 1024) /* one answer line; more is an error, not a swap storm */
#define READ_CHUNK (64 * 1024)
#define LOG_MAX_LINES 1000 /* what the daemon keeps at most */

/* Client-side limits on the whole exchange, in seconds. */
#define TIMEOUT_S 10.0
#define TIMEOUT_STATE_S 120.0 /* start/stop/restart wait for the state */
#define WAIT_SLACK_S 5.0      /* wait --timeout S: the daemon answers at S */
#define NO_TIMEOUT 0.0

enum { LONGOPT_JSON = 256, LONGOPT_NO_COLOR };

struct ctl;

struct command {
	const char *name;
	const char *args;    /* for the usage line */
	const char *summary; /* for sextonctl --help */
	const char *help;    /* for sextonctl COMMAND --help */
	int (*parse)(struct ctl *ctl, int argc, char **argv);
	int (*show)(struct ctl *ctl, const json_t *doc); /* human output: 0 or -errno */
	const char *done;				 /* the one line show_done prints */
};

struct ctl {
	const struct command *cmd;
	const char *socket_opt; /* -S */
	char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool json, no_color, color;
	bool follow;	  /* log -f: a stream of answer lines */
	bool has_ok;	  /* doctor, check: "ok":false means exit 1 */
	bool all;	  /* doctor --all: the whole system, scanned here */
	double timeout_s; /* NO_TIMEOUT = wait for ever */
	const char *name; /* the service named by signal, wait */
	char signame[32];
	char request[REQUEST_MAX];
	size_t reqlen;
	int nwords;
};

/* One connection to the daemon and the unread part of its answer. */
struct conn {
	int fd;
	double deadline; /* CLOCK_MONOTONIC seconds; 0 = none */
	char *buf;
	size_t len, cap;
	size_t start; /* first byte not yet handed out */
	size_t scan;  /* bytes before this hold no newline */
	bool eof;
};

static void
say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
say(const char *fmt, ...)
{
	va_list ap;

	fputs("sextonctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- the request ---------------------------------------------------------- */

/* Words are printable UTF-8 without spaces (PROTOCOL.md). */
static bool
word_ok(const char *w)
{
	size_t len = strlen(w), i = 0, n;

	if (len == 0)
		return false;
	while (i < len) {
		if ((unsigned char)w[i] <= ' ' || w[i] == 0x7f)
			return false;
		n = render_utf8_len(w + i, len - i);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

/* S for a message: the user's own words, but not control bytes. */
static const char *
printable(const char *s)
{
	return !*s || word_ok(s) ? s : "?";
}

static int
req_add(struct ctl *ctl, const char *word)
{
	size_t len = strlen(word);

	/* +2: the separator (or the newline) and the newline */
	if (ctl->nwords == REQUEST_MAX_WORDS || ctl->reqlen + len + 2 > sizeof(ctl->request)) {
		say("%s: too many arguments", ctl->cmd->name);
		return -E2BIG;
	}
	if (ctl->nwords++)
		ctl->request[ctl->reqlen++] = ' ';
	memcpy(ctl->request + ctl->reqlen, word, len);
	ctl->reqlen += len;
	return 0;
}

static int
req_name(struct ctl *ctl, const char *name)
{
	if (name[0] == '-') {
		say("%s: unknown option '%s' (see sextonctl %s --help)", ctl->cmd->name, name,
		    ctl->cmd->name);
		return -EINVAL;
	}
	if (!word_ok(name)) {
		say("%s: invalid service name (control byte, space or bad UTF-8)", ctl->cmd->name);
		return -EINVAL;
	}
	return req_add(ctl, name);
}

static int
too_few(const struct ctl *ctl, const char *what)
{
	say("%s: missing %s (see sextonctl %s --help)", ctl->cmd->name, what, ctl->cmd->name);
	return -EINVAL;
}

static int
too_many(const struct ctl *ctl, const char *arg)
{
	say("%s: unexpected argument '%s' (see sextonctl %s --help)", ctl->cmd->name,
	    printable(arg), ctl->cmd->name);
	return -EINVAL;
}

/*
 * A plain decimal number ("5", and "2.5" when FRACTION): no sign, exponent,
 * hex, "inf" or leading blanks, all of which strtod would take.
 */
static int
parse_number(const char *s, bool fraction, double *out)
{
	size_t digits = strspn(s, "0123456789"), frac = 0;

	if (fraction && s[digits] == '.')
		frac = strspn(s + digits + 1, "0123456789") + 1;
	if (digits == 0 || digits > 9 || s[digits + frac])
		return -EINVAL;
	*out = strtod(s, NULL);
	return 0;
}

/* ---- per-command arguments ---------------------------------------------- */

static int
parse_none(struct ctl *ctl, int argc, char **argv)
{
	if (argc > 0)
		return too_many(ctl, argv[0]);
	return 0;
}

static int
parse_status(struct ctl *ctl, int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		if (req_name(ctl, argv[i]) < 0)
			return -EINVAL;
	/* The table needs no objects: rows parse in half the time. --json
	 * prints the documented object form. */
	return ctl->json ? 0 : req_add(ctl, "--rows");
}

/* start, stop, restart: NAME... [--no-wait] */
static int
parse_lifecycle(struct ctl *ctl, int argc, char **argv)
{
	bool no_wait = false;
	int i, names = 0;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--no-wait") == 0) {
			no_wait = true;
			continue;
		}
		if (req_name(ctl, argv[i]) < 0)
			return -EINVAL;
		names++;
	}
	if (names == 0)
		return too_few(ctl, "service name");
	ctl->timeout_s = no_wait ? TIMEOUT_S : TIMEOUT_STATE_S;
	return no_wait ? req_add(ctl, "--no-wait") : 0;
}

static int
parse_signal(struct ctl *ctl, int argc, char **argv)
{
	int sig;

	if (argc < 2)
		return too_few(ctl, argc ? "signal" : "service name and signal");
	if (argc > 2)
		return too_many(ctl, argv[2]);
	if (req_name(ctl, argv[0]) < 0)
		return -EINVAL;
	sig = sig_parse(argv[1]);
	if (sig <= 0) {
		say("signal: unknown signal '%s'", printable(argv[1]));
		return -EINVAL;
	}
	/* the canonical name: the daemon need not know every alias */
	ctl->name = argv[0];
	return req_add(ctl, sig_name(sig, ctl->signame, sizeof(ctl->signame)));
}

/* doctor [--all] */
static int
parse_doctor(struct ctl *ctl, int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--all") != 0)
			return too_many(ctl, argv[i]);
		ctl->all = true;
	}
	return 0;
}

/* log NAME [-n N] [-f] */
static int
parse_log(struct ctl *ctl, int argc, char **argv)
{
	const char *name = NULL, *lines = NULL;
	char buf[16];
	double n;
	int i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--follow") == 0) {
			ctl->follow = true;
		} else if (strcmp(argv[i], "-n") == 0 || strcmp(argv[i], "--lines") == 0) {
			lines = ++i < argc ? argv[i] : "";
			if (parse_number(lines, false, &n) < 0) {
				say("log: -n needs a number of lines, not '%s'", printable(lines));
				return -EINVAL;
			}
		} else if (name && argv[i][0] != '-') {
			return too_many(ctl, argv[i]);
		} else {
			if (req_name(ctl, argv[i]) < 0)
				return -EINVAL;
			name = argv[i];
		}
	}
	if (!name)
		return too_few(ctl, "service name");
	if (lines) {
		snprintf(buf, sizeof(buf), "%d", n > LOG_MAX_LINES ? LOG_MAX_LINES : (int)n);
		if (req_add(ctl, "-n") < 0 || req_add(ctl, buf) < 0)
			return -E2BIG;
	}
	/* following has no end: only the user ends it */
	if (ctl->follow)
		ctl->timeout_s = NO_TIMEOUT;
	return ctl->follow ? req_add(ctl, "-f") : 0;
}

/* wait NAME [--timeout S] */
static int
parse_wait(struct ctl *ctl, int argc, char **argv)
{
	const char *secs = NULL;
	double s = 0;
	int i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--timeout") == 0 || strncmp(argv[i], "--timeout=", 10) == 0) {
			secs = argv[i][9] == '=' ? argv[i] + 10 : ++i < argc ? argv[i] : "";
			if (parse_number(secs, true, &s) < 0) {
				say("wait: --timeout needs seconds, not '%s'", printable(secs));
				return -EINVAL;
			}
		} else if (ctl->name && argv[i][0] != '-') {
			return too_many(ctl, argv[i]);
		} else {
			if (req_name(ctl, argv[i]) < 0)
				return -EINVAL;
			ctl->name = argv[i];
		}
	}
	if (!ctl->name)
		return too_few(ctl, "service name");
	/* without a timeout (or 0) the daemon waits for ever, and so do we */
	ctl->timeout_s = s > 0 ? s + WAIT_SLACK_S : NO_TIMEOUT;
	if (secs && (req_add(ctl, "--timeout") < 0 || req_add(ctl, secs) < 0))
		return -E2BIG;
	return 0;
}

/* ---- human output of each command ----------------------------------------- */

static int
show_services(struct ctl *ctl, const json_t *doc)
{
	return render_services(stdout, doc, ctl->color);
}

static int
show_signal(struct ctl *ctl, const json_t *doc)
{
	(void)doc;
	printf("sent %s to %s\n", ctl->signame, ctl->name);
	return 0;
}

static int
show_log(struct ctl *ctl, const json_t *doc)
{
	(void)ctl;
	return render_log_lines(stdout, doc);
}

static int
show_ps(struct ctl *ctl, const json_t *doc)
{
	(void)ctl;
	return render_ps(stdout, doc);
}

static int
show_doctor(struct ctl *ctl, const json_t *doc)
{
	(void)ctl;
	return render_doctor(stdout, doc);
}

static int
show_metrics(struct ctl *ctl, const json_t *doc)
{
	(void)ctl;
	return render_metrics(stdout, doc);
}

static int
show_check(struct ctl *ctl, const json_t *doc)
{
	(void)ctl;
	return render_check(stdout, doc);
}

static int
show_wait(struct ctl *ctl, const json_t *doc)
{
	(void)doc;
	printf("%s is ready\n", ctl->name);
	return 0;
}

static int
show_done(struct ctl *ctl, const json_t *doc)
{
	(void)doc;
	printf("%s\n", ctl->cmd->done);
	return 0;
}

/* name, arguments, summary, help, parse, show, done */
static const struct command commands[] = {
	{ "status", "[NAME...]", "show services",
	  "Show every service, or the ones named, as a table.", parse_status, show_services,
	  NULL },
	{ "start", "NAME... [--no-wait]", "start services",
	  "Start the services and wait until each is running (and ready) or done.",
	  parse_lifecycle, show_services, NULL },
	{ "stop", "NAME... [--no-wait]", "stop services",
	  "Stop the services and wait until each has stopped.", parse_lifecycle, show_services,
	  NULL },
	{ "restart", "NAME... [--no-wait]", "restart services",
	  "Restart the services and wait until each is running again.", parse_lifecycle,
	  show_services, NULL },
	{ "signal", "NAME SIG", "send a signal to a service",
	  "Send SIG (TERM, SIGHUP, 9, RTMIN+3...) to the service's process group.", parse_signal,
	  show_signal, NULL },
	{ "reload", "", "re-read the configuration",
	  "Re-read the configuration and apply the difference. A bad file is\n"
	  "reported as FILE:LINE and changes nothing (exit 1).",
	  parse_none, show_done, "reloaded" },
	{ "log", "NAME [-n N] [-f]", "show a service's output",
	  "Print the last N (default 50, at most 1000) lines of a tagged service's\n"
	  "output; -f keeps following until interrupted.",
	  parse_log, show_log, NULL },
	{ "ps", "", "the process tree under sexton",
	  "Every process under sexton as a tree, with its state, wchan, service and\n"
	  "doctor's finding (stuck, fake_zombie, traced_zombie, unreaped); the\n"
	  "threads of a multi-threaded process as \"tid N\" rows under it.",
	  parse_none, show_ps, NULL },
	{ "doctor", "[--all]", "the diagnostics report",
	  "The diagnostics report: stuck processes (D), fake and traced zombies,\n"
	  "unreaped zombies and pid or thread limits; exit 1 when there is any\n"
	  "finding.\n"
	  "\n"
	  "  --all  scan every process of the system from here, without a daemon\n"
	  "         (to debug a host; as root to read kernel stacks and held files)",
	  parse_doctor, show_doctor, NULL },
	{ "metrics", "", "Prometheus metrics", "Metrics in the Prometheus text exposition format.",
	  parse_none, show_metrics, NULL },
	{ "check", "", "health check for scripts",
	  "Exit 0 when every autostart service is running (and ready) and doctor\n"
	  "finds nothing stuck; else print the problems and exit 1.",
	  parse_none, show_check, NULL },
	{ "wait", "NAME [--timeout S]", "wait until a service is ready",
	  "Return once NAME is ready; exit 1 when S seconds pass first.", parse_wait, show_wait,
	  NULL },
	{ "shutdown", "", "stop everything, then sexton exits",
	  "Stop everything in order, then sexton exits (in system mode: powers off).", parse_none, show_done, "shutting down" },
	{ "poweroff", "", "stop everything and power off",
	  "Stop everything and power off (system mode only).", parse_none, show_done,
	  "powering off" },
	{ "reboot", "", "stop everything and reboot",
	  "Stop everything and reboot (system mode only).", parse_none, show_done, "rebooting" },
	{ "halt", "", "stop everything and halt", "Stop everything and halt (system mode only).",
	  parse_none, show_done, "halting" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void
usage(FILE *out)
{
	size_t i;
	int n;

	fputs("Usage: sextonctl [OPTIONS] COMMAND [ARG...]\n"
	      "\n"
	      "Control a running sexton through its control socket.\n"
	      "\n"
	      "  -S, --socket PATH  control socket (default $SEXTON_SOCKET, else\n"
	      "                     " ROOT_SOCKET " as root, else $XDG_RUNTIME_DIR/sexton.sock)\n"
	      "      --json         print the answer as the daemon sent it (one JSON document)\n"
	      "      --no-color     no colour (also when NO_COLOR is set or stdout is no tty)\n"
	      "  -h, --help         this help; COMMAND --help for a command's\n"
	      "  -V, --version      print the version\n"
	      "\n"
	      "Commands:\n",
	      out);
	for (i = 0; i < NCOMMANDS; i++) {
		n = fprintf(out, "  %s %s", commands[i].name, commands[i].args);
		fprintf(out, "%*s%s\n", n < 32 ? 32 - n : 1, "", commands[i].summary);
	}
	fputs("\n"
	      "Exit status: 0 success; 1 the command ran and reports a problem; 2 usage\n"
	      "error, no daemon, permission denied or an answer that cannot be read.\n"
	      "SEXTONCTL_TIMEOUT=S replaces the client's time limit (0: none).\n",
	      out);
}

static void
command_usage(const struct command *cmd)
{
	printf("Usage: sextonctl [OPTIONS] %s%s%s\n\n%s\n", cmd->name, *cmd->args ? " " : "",
	       cmd->args, cmd->help);
}

/* ---- the command line ----------------------------------------------------- */

static const struct option long_options[] = {
	{ "socket", required_argument, NULL, 'S' },
	{ "json", no_argument, NULL, LONGOPT_JSON },
	{ "no-color", no_argument, NULL, LONGOPT_NO_COLOR },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* -1 to go on; else the exit code (after --help, --version or a usage error). */
static int
parse_global(struct ctl *ctl, int argc, char **argv)
{
	int c;

	opterr = 0; /* we word our own errors */
	/* "+": stop at the command, whose options are its own */
	while ((c = getopt_long(argc, argv, "+S:hV", long_options, NULL)) != -1) {
		switch (c) {
		case 'S': ctl->socket_opt = optarg; break;
		case LONGOPT_JSON: ctl->json = true; break;
		case LONGOPT_NO_COLOR: ctl->no_color = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("sextonctl %s\n", SEXTON_VERSION); return 0;
		default:
			if (optopt == 'S')
				say("option -S needs a socket path");
			else
				say("unknown option '%s' (see sextonctl --help)", argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		say("missing command (see sextonctl --help)");
		return EXIT_USAGE;
	}
	return -1;
}

/*
 * --json and --no-color are also taken after the command ("sextonctl
 * status --json"): no command has options of those names.
 */
static int
strip_global(struct ctl *ctl, int argc, char **argv)
{
	int i, n = 0;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			ctl->json = true;
		else if (strcmp(argv[i], "--no-color") == 0)
			ctl->no_color = true;
		else
			argv[n++] = argv[i];
	}
	return n;
}

static bool
wants_help(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

/* SEXTONCTL_TIMEOUT replaces every limit but log -f's (which has none). */
static int
env_timeout(struct ctl *ctl)
{
	const char *env = getenv("SEXTONCTL_TIMEOUT");
	double s;

	if (!env || !*env || ctl->follow)
		return 0;
	if (parse_number(env, true, &s) < 0) {
		say("SEXTONCTL_TIMEOUT: '%s' is not a number of seconds", printable(env));
		return -EINVAL;
	}
	ctl->timeout_s = s;
	return 0;
}

static bool
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/*
 * -S, $SEXTON_SOCKET, /run/sexton.sock as root, else $XDG_RUNTIME_DIR's.
 * A user who is not root but in socket_group reaches a system sexton: when
 * the per-user socket is not there and the system one is, that one is used.
 */
static int
find_socket(struct ctl *ctl)
{
	const char *path = ctl->socket_opt, *xdg = getenv("XDG_RUNTIME_DIR");
	int n;

	if (!path || !*path)
		path = getenv("SEXTON_SOCKET");
	if (path && *path)
		n = snprintf(ctl->socket_path, sizeof(ctl->socket_path), "%s", path);
	else if (geteuid() != 0 && xdg && *xdg)
		n = snprintf(ctl->socket_path, sizeof(ctl->socket_path), "%s/sexton.sock", xdg);
	else
		n = snprintf(ctl->socket_path, sizeof(ctl->socket_path), "%s", ROOT_SOCKET);
	if (n < 0 || (size_t)n >= sizeof(ctl->socket_path)) {
		say("socket path too long (at most %zu bytes)", sizeof(ctl->socket_path) - 1);
		return -ENAMETOOLONG;
	}
	if (!(path && *path) && !exists(ctl->socket_path) && exists(ROOT_SOCKET))
		snprintf(ctl->socket_path, sizeof(ctl->socket_path), "%s", ROOT_SOCKET);
	return 0;
}

/* -1 to go on; else the exit code. */
static int
parse_args(struct ctl *ctl, int argc, char **argv)
{
	const char *no_color = getenv("NO_COLOR"), *term = getenv("TERM");
	int r = parse_global(ctl, argc, argv);

	if (r >= 0)
		return r;
	ctl->cmd = find_command(argv[optind]);
	if (!ctl->cmd) {
		say("unknown command '%s' (see sextonctl --help)", printable(argv[optind]));
		return EXIT_USAGE;
	}
	argc = strip_global(ctl, argc - optind - 1, argv + optind + 1);
	argv += optind + 1;
	if (wants_help(argc, argv)) {
		command_usage(ctl->cmd);
		return 0;
	}
	ctl->timeout_s = TIMEOUT_S;
	ctl->has_ok = ctl->cmd->show == show_doctor || ctl->cmd->show == show_check;
	if (req_add(ctl, ctl->cmd->name) < 0 || ctl->cmd->parse(ctl, argc, argv) < 0 ||
	    env_timeout(ctl) < 0 || (!ctl->all && find_socket(ctl) < 0))
		return EXIT_USAGE;
	ctl->request[ctl->reqlen++] = '\n';
	ctl->color = !ctl->no_color && !ctl->json && isatty(STDOUT_FILENO) && !no_color &&
		     !(term && strcmp(term, "dumb") == 0);
	return -1;
}

/* ---- talking to the daemon ------------------------------------------------- */

/* Wait for EVENTS on the connection until its deadline: 0, -ETIMEDOUT or -errno. */
static int
conn_poll(const struct conn *c, short events)
{
	struct pollfd pfd = { .fd = c->fd, .events = events };
	double left;
	int ms, r;

	for (;;) {
		ms = -1;
		if (c->deadline > 0) {
			left = c->deadline - mono_now();
			if (left <= 0)
				return -ETIMEDOUT;
			ms = left > 86400 ? 86400 * 1000 : (int)(left * 1000) + 1;
		}
		r = poll(&pfd, 1, ms);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

static int
conn_open(struct conn *c, const char *path, double timeout_s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	/* connect(2) on a Unix socket whose backlog is full sleeps up to SO_SNDTIMEO */
	double limit = timeout_s > 0 ? timeout_s : TIMEOUT_S;
	struct timeval tv = { .tv_sec = (time_t)limit,
			      .tv_usec = (suseconds_t)((limit - (double)(time_t)limit) * 1e6) };
	int e;

	memset(c, 0, sizeof(*c));
	c->deadline = timeout_s > 0 ? mono_now() + timeout_s : 0;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	memcpy(sa.sun_path, path, strlen(path)); /* length checked by find_socket */
	if (setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    fcntl(c->fd, F_SETFL, O_NONBLOCK) < 0) {
		e = errno;
		close(c->fd);
		c->fd = -1;
		return -e;
	}
	return 0;
}

static void
conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
}

/*
 * A daemon that refuses a request may answer and close before reading all
 * of it: EPIPE is then not an error, the answer is still there to read.
 */
static int
conn_send(struct conn *c, const char *data, size_t len)
{
	ssize_t n;
	int r;

	while (len) {
		n = send(c->fd, data, len, MSG_NOSIGNAL);
		if (n >= 0) {
			data += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == EPIPE || errno == ECONNRESET)
			return 0;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		if ((r = conn_poll(c, POLLOUT)) < 0)
			return r;
	}
	return 0;
}

/* Read more of the answer into the buffer: 0, or -ETIMEDOUT, -EMSGSIZE, -errno. */
static int
conn_fill(struct conn *c)
{
	size_t cap;
	ssize_t n;
	char *buf;
	int r;

	if (c->start) { /* drop what was handed out */
		memmove(c->buf, c->buf + c->start, c->len - c->start);
		c->len -= c->start;
		c->scan -= c->start;
		c->start = 0;
	}
	if (c->len >= LINE_MAX_BYTES)
		return -EMSGSIZE;
	if (c->cap - c->len < READ_CHUNK) {
		cap = c->cap ? c->cap * 2 : 2 * READ_CHUNK;
		buf = realloc(c->buf, cap);
		if (!buf)
			return -ENOMEM;
		c->buf = buf;
		c->cap = cap;
	}
	for (;;) {
		n = read(c->fd, c->buf + c->len, c->cap - c->len);
		if (n > 0) {
			c->len += (size_t)n;
			return 0;
		}
		if (n == 0 || errno == ECONNRESET) {
			c->eof = true;
			return 0;
		}
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		if ((r = conn_poll(c, POLLIN)) < 0)
			return r;
	}
}

/*
 * The next answer line, without its newline (a last line may lack it):
 * 1 and *LINE, 0 at the end, or -errno.
 */
static int
conn_line(struct conn *c, const char **line, size_t *len)
{
	char *nl;
	int r;

	for (;;) {
		nl = c->len > c->scan ? memchr(c->buf + c->scan, '\n', c->len - c->scan) : NULL;
		if (nl || (c->eof && c->len > c->start)) {
			*line = c->buf + c->start;
			*len = (nl ? (size_t)(nl - c->buf) : c->len) - c->start;
			c->start = c->scan = nl ? (size_t)(nl - c->buf) + 1 : c->len;
			return 1;
		}
		c->scan = c->len;
		if (c->eof)
			return 0;
		if ((r = conn_fill(c)) < 0)
			return r;
	}
}

/* ---- answers -------------------------------------------------------------- */

static int
read_failed(const struct ctl *ctl, int r)
{
	if (r == -ETIMEDOUT)
		say("no answer from sexton on %s within %g s", ctl->socket_path, ctl->timeout_s);
	else if (r == -EMSGSIZE)
		say("answer from sexton longer than %d MiB", LINE_MAX_BYTES >> 20);
	else if (r == 0)
		say("sexton closed the connection without answering");
	else
		say("reading from %s: %s", ctl->socket_path, strerror(-r));
	return EXIT_USAGE;
}

/* Exit code for one answer line, after printing it. */
static int
answer(struct ctl *ctl, const char *line, size_t len, bool first)
{
	json_t *doc;
	char why[256];
	int code, r = 0;

	if (render_parse(line, len, &doc, why, sizeof(why)) < 0) {
		say("malformed answer from sexton: %s", why);
		return EXIT_USAGE;
	}
	code = render_error_code(doc);
	if (ctl->json) {
		fwrite(line, 1, len, stdout);
		fputc('\n', stdout);
	} else if (code && first && ctl->cmd->show == show_services) {
		/* a failed start still says where every service stands */
		if (json_is_array(json_object_get(doc, "services")))
			render_services(stdout, doc, ctl->color);
	} else if (!code) {
		r = !first ? render_log_line(stdout, doc) : ctl->cmd->show(ctl, doc);
	}
	if (code)
		render_error(stderr, doc);
	else if (ctl->has_ok && json_is_false(json_object_get(doc, "ok")))
		code = EXIT_PROBLEM;
	json_decref(doc);
	if (r == -ENOMEM) {
		say("out of memory");
		return EXIT_USAGE;
	}
	if (r < 0) {
		say("malformed answer from sexton: unexpected members for '%s'", ctl->cmd->name);
		return EXIT_USAGE;
	}
	return code;
}

/* log -f: every line as it comes, until the daemon or the user ends it. */
static int
follow(struct ctl *ctl, struct conn *c)
{
	const char *line;
	size_t len;
	bool first = true;
	int r, code;

	for (;;) {
		r = conn_line(c, &line, &len);
		if (r == 0 && !first)
			return 0;
		if (r <= 0)
			return read_failed(ctl, r);
		code = answer(ctl, line, len, first);
		if (code)
			return code;
		first = false;
		fflush(stdout);
	}
}

/*
 * shutdown, poweroff, reboot and halt stop every service in the turn that
 * answers them, and that includes this client when a service runs it (a
 * oneshot doing `sextonctl poweroff`): ignoring the stop's SIGTERM, and a
 * terminal's SIGHUP, lets it print the answer. The client's time limit and
 * the stop_timeout before SIGKILL still bound it.
 */
static void
outlive_the_stop(const struct command *cmd)
{
	static const char *const ending[] = { "shutdown", "poweroff", "reboot", "halt" };
	size_t i;

	for (i = 0; i < sizeof(ending) / sizeof(ending[0]); i++)
		if (strcmp(cmd->name, ending[i]) == 0) {
			signal(SIGTERM, SIG_IGN);
			signal(SIGHUP, SIG_IGN);
		}
}

static int
exchange(struct ctl *ctl)
{
	struct conn c;
	const char *line;
	size_t len;
	int r;

	outlive_the_stop(ctl->cmd);
	r = conn_open(&c, ctl->socket_path, ctl->timeout_s);
	if (r < 0) {
		if (r == -EAGAIN)
			say("cannot connect to %s: sexton accepts no connection (busy?)",
			    ctl->socket_path);
		else
			say("cannot connect to %s: %s%s", ctl->socket_path, strerror(-r),
			    r == -ENOENT || r == -ECONNREFUSED ? " (is sexton running?)" : "");
		conn_close(&c);
		return EXIT_USAGE;
	}
	r = conn_send(&c, ctl->request, ctl->reqlen);
	if (r < 0) {
		if (r == -ETIMEDOUT) {
			r = read_failed(ctl, r);
		} else {
			say("writing to %s: %s", ctl->socket_path, strerror(-r));
			r = EXIT_USAGE;
		}
	} else if (ctl->follow) {
		r = follow(ctl, &c);
	} else {
		/* one answer line: what may follow it is not ours to wait for */
		r = conn_line(&c, &line, &len);
		r = r > 0 ? answer(ctl, line, len, true) : read_failed(ctl, r);
	}
	conn_close(&c);
	return r;
}

/*
 * doctor --all: the report of the whole system, made here. It goes the way
 * of a daemon's answer (the same JSON text, parser and renderer), so that
 * --json, the human output and the exit code cannot drift apart.
 */
static int
doctor_all(struct ctl *ctl)
{
	struct diag_report r = { 0 };
	struct json j;
	const char *text;
	size_t len = 0;
	int rc = diag_run_all(&r);

	if (rc < 0) {
		diag_report_free(&r);
		say("doctor --all: cannot scan the processes: %s", strerror(-rc));
		return EXIT_USAGE;
	}
	json_init(&j);
	diagfmt_json(&j, &r);
	diag_report_free(&r);
	text = json_finish(&j, &len);
	if (text) {
		rc = answer(ctl, text, len - 1, true); /* without json_finish's newline */
	} else {
		say("out of memory");
		rc = EXIT_USAGE;
	}
	json_free(&j);
	return rc;
}

int
main(int argc, char **argv)
{
	static struct ctl ctl; /* 64 KiB of request: not on the stack */
	int code;

	code = parse_args(&ctl, argc, argv);
	if (code < 0)
		code = ctl.all ? doctor_all(&ctl) : exchange(&ctl);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		say("cannot write the output: %s", strerror(errno));
		return EXIT_USAGE;
	}
	return code;
}
