/* signames — see include/signames.h. */
#include "signames.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct signame {
	const char *name;
	int sig;
};

/* Standard signals only; real-time ones are spelled RTMIN+N. */
static const struct signame signames[] = {
	{ "HUP", SIGHUP },	 { "INT", SIGINT },	  { "QUIT", SIGQUIT },
	{ "ILL", SIGILL },	 { "TRAP", SIGTRAP },	  { "ABRT", SIGABRT },
	{ "IOT", SIGIOT },	 { "BUS", SIGBUS },	  { "FPE", SIGFPE },
	{ "KILL", SIGKILL },	 { "USR1", SIGUSR1 },	  { "SEGV", SIGSEGV },
	{ "USR2", SIGUSR2 },	 { "PIPE", SIGPIPE },	  { "ALRM", SIGALRM },
	{ "TERM", SIGTERM },	 { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },
	{ "CLD", SIGCHLD },	 { "CONT", SIGCONT },	  { "STOP", SIGSTOP },
	{ "TSTP", SIGTSTP },	 { "TTIN", SIGTTIN },	  { "TTOU", SIGTTOU },
	{ "URG", SIGURG },	 { "XCPU", SIGXCPU },	  { "XFSZ", SIGXFSZ },
	{ "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },	  { "WINCH", SIGWINCH },
	{ "IO", SIGIO },	 { "POLL", SIGPOLL },	  { "PWR", SIGPWR },
	{ "SYS", SIGSYS },
};

/* Parse a whole decimal number in [0, max]; -1 otherwise. */
static int
parse_small_uint(const char *s, int max)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	return (int)v;
}

static int
parse_realtime(const char *s)
{
	int off;

	if (strcasecmp(s, "RTMIN") == 0)
		return SIG_LINUX_RTMIN;
	if (strcasecmp(s, "RTMAX") == 0)
		return SIG_LINUX_RTMAX;
	if (strncasecmp(s, "RTMIN+", 6) == 0) {
		off = parse_small_uint(s + 6, SIG_LINUX_RTMAX - SIG_LINUX_RTMIN);
		return off < 0 ? -1 : SIG_LINUX_RTMIN + off;
	}
	if (strncasecmp(s, "RTMAX-", 6) == 0) {
		off = parse_small_uint(s + 6, SIG_LINUX_RTMAX - SIG_LINUX_RTMIN);
		return off < 0 ? -1 : SIG_LINUX_RTMAX - off;
	}
	return -1;
}

int
sig_parse(const char *text)
{
	size_t i;

	if (!text || !*text)
		return -1;
	if (isdigit((unsigned char)*text))
		return parse_small_uint(text, SIG_LINUX_RTMAX);
	if (strncasecmp(text, "SIG", 3) == 0)
		text += 3;
	for (i = 0; i < sizeof(signames) / sizeof(signames[0]); i++)
		if (strcasecmp(text, signames[i].name) == 0)
			return signames[i].sig;
	return parse_realtime(text);
}

const char *
sig_name(int sig, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(signames) / sizeof(signames[0]); i++) {
		if (signames[i].sig == sig) {
			snprintf(buf, len, "%s", signames[i].name);
			return buf;
		}
	}
	if (sig >= SIG_LINUX_RTMIN && sig <= SIG_LINUX_RTMAX)
		snprintf(buf, len, "RTMIN+%d", sig - SIG_LINUX_RTMIN);
	else
		snprintf(buf, len, "%d", sig);
	return buf;
}
