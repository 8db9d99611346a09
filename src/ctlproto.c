/* ctlproto — see include/ctlproto.h. */
#include "ctlproto.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct ctl_command {
	const char *name;
	bool read_only;
	int min_args, max_args;
};

#define CTL_ROW(id, name, ro, min, max) [id] = { name, ro, min, max },
static const struct ctl_command commands[] = { CTL_COMMANDS(CTL_ROW) };
#undef CTL_ROW

const char *
ctl_name(enum ctl_cmd cmd)
{
	return commands[cmd].name;
}

bool
ctl_read_only(enum ctl_cmd cmd)
{
	return commands[cmd].read_only;
}

static int
find_command(const char *word)
{
	int i;

	for (i = 0; i < CTL_NCOMMANDS; i++)
		if (strcmp(commands[i].name, word) == 0)
			return i;
	return -1;
}

int
ctl_parse(char *line, size_t len, struct ctl_request *req, const char **err)
{
	char *words[CTL_MAX_WORDS + 1];
	int n = 0, cmd;
	size_t i;

	memset(req, 0, sizeof(*req));
	if (len == 0 || len >= CTL_MAX_REQUEST) {
		*err = len ? "request too long" : "empty request";
		return -1;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == ' ') {
			line[i] = '\0';
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			*err = "control byte in request";
			return -1;
		}
		if (i == 0 || line[i - 1] == '\0') {
			if (n == CTL_MAX_WORDS + 1) {
				*err = "too many words";
				return -1;
			}
			words[n++] = line + i;
		}
	}
	if (n == 0) {
		*err = "empty request";
		return -1;
	}
	cmd = find_command(words[0]);
	if (cmd < 0) {
		*err = "unknown command";
		return -1;
	}
	if (n - 1 < commands[cmd].min_args || n - 1 > commands[cmd].max_args) {
		*err = "wrong number of arguments";
		return -1;
	}
	req->cmd = (enum ctl_cmd)cmd;
	req->argc = n - 1;
	memcpy(req->argv, words + 1, (size_t)(n - 1) * sizeof(char *));
	return 0;
}

static int
parse_number(const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	return (errno || end == s || *end || !isfinite(*v) || *v < 0) ? -1 : 0;
}

int
ctl_parse_opts(const struct ctl_request *req, struct ctl_opts *o, const char **err)
{
	double v;
	int i;

	memset(o, 0, sizeof(*o));
	o->lines = 50;
	for (i = 0; i < req->argc; i++) {
		const char *a = req->argv[i];

		if (strcmp(a, "--no-wait") == 0) {
			o->no_wait = true;
		} else if (strcmp(a, "-f") == 0) {
			o->follow = true;
		} else if (strcmp(a, "--rows") == 0) {
			o->rows = true;
		} else if (strcmp(a, "-n") == 0 || strcmp(a, "--timeout") == 0) {
			if (i + 1 >= req->argc || parse_number(req->argv[i + 1], &v) < 0) {
				*err = a[1] == 'n' ? "-n needs a number" : "--timeout needs seconds";
				return -1;
			}
			if (a[1] == 'n')
				o->lines = v > 1000 ? 1000 : (long)v;
			else
				o->timeout = v;
			i++;
		} else if (a[0] == '-') {
			*err = "unknown option";
			return -1;
		} else {
			o->names[o->nnames++] = a;
		}
	}
	return 0;
}
