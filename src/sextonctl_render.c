/* sextonctl_render — see include/sextonctl_render.h. */
#include "sextonctl_render.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define COLOR_GREEN "\033[32m"
#define COLOR_YELLOW "\033[33m"
#define COLOR_RED "\033[31m"
#define COLOR_RESET "\033[0m"

#define COLUMN_GAP 2	    /* spaces between table columns */
#define MAX_TREE_DEPTH 20   /* deeper processes are drawn at this depth */
#define PS_THREAD_ROWS 32   /* thread rows under one process; the rest are counted */
#define DURATION_MAX_S 1e15 /* ~31 million years: keeps the cast defined */

/* ---- safe text ---------------------------------------------------------- */

size_t
render_utf8_len(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t cp;
	size_t n, i;

	if (len == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, UTF-16 surrogates, past U+10FFFF */
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * Bytes of the character at S that may reach a terminal as they are, or 0
 * when it must be replaced by '?' (and then skip *SKIP bytes). C1 controls
 * (U+0080-U+009F) are valid UTF-8 but some terminals obey them (0x9b is a
 * CSI), so they go too.
 */
static size_t
safe_len(const char *s, size_t len, const char *keep, size_t *skip)
{
	unsigned char c = (unsigned char)s[0];
	size_t n;

	*skip = 1;
	if (c < 0x20 || c == 0x7f)
		return c != '\0' && keep && strchr(keep, c) ? 1 : 0;
	if (c < 0x80)
		return 1;
	n = render_utf8_len(s, len);
	if (n == 0)
		return 0;
	*skip = n;
	if (n == 2 && c == 0xc2 && (unsigned char)s[1] < 0xa0)
		return 0;
	return n;
}

/* Writes S to OUT (when not NULL) as render_text does; returns its width. */
static size_t
walk_text(FILE *out, const char *s, size_t len, const char *keep)
{
	size_t i = 0, run = 0, width = 0, n, skip;

	while (i < len) {
		n = safe_len(s + i, len - i, keep, &skip);
		width++;
		if (n) {
			i += n;
			continue;
		}
		if (out) {
			fwrite(s + run, 1, i - run, out);
			fputc('?', out);
		}
		i += skip;
		run = i;
	}
	if (out && i > run)
		fwrite(s + run, 1, i - run, out);
	return width;
}

void
render_text(FILE *out, const char *s, size_t len, const char *keep)
{
	walk_text(out, s, len, keep);
}

size_t
render_width(const char *s, size_t len)
{
	return walk_text(NULL, s, len, NULL);
}

static void
put_str(FILE *out, const char *s)
{
	render_text(out, s, strlen(s), NULL);
}

/* ---- reading the document ------------------------------------------------ */

/* The string member KEY of OBJ, or NULL when missing or not a string. */
static const char *
get_str(const json_t *obj, const char *key, size_t *len)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_string(v))
		return NULL;
	*len = json_string_length(v);
	return json_string_value(v);
}

static bool
get_int(const json_t *obj, const char *key, long long *out)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v))
		return false;
	*out = json_integer_value(v);
	return true;
}

static bool
str_is(const char *s, size_t len, const char *want)
{
	return s && len == strlen(want) && memcmp(s, want, len) == 0;
}

int
render_parse(const char *text, size_t len, json_t **doc, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *v;
	char *p;

	*doc = NULL;
	if (len == 0) {
		snprintf(err, errlen, "empty line");
		return -EINVAL;
	}
	/* NUL may be escaped in a log line: keep it and replace it on output. */
	v = json_loadb(text, len, JSON_ALLOW_NUL, &jerr);
	if (!v) {
		snprintf(err, errlen, "%s at byte %zu", jerr.text, (size_t)jerr.position);
		/* jansson quotes the offending input, which is not ours to print */
		for (p = err; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
				*p = '?';
		return -EINVAL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		snprintf(err, errlen, "not a JSON object");
		return -EINVAL;
	}
	*doc = v;
	return 0;
}

int
render_error_code(const json_t *doc)
{
	long long code;

	if (!json_object_get(doc, "error"))
		return 0;
	return get_int(doc, "code", &code) && code == 1 ? 1 : 2;
}

void
render_error(FILE *out, const json_t *doc)
{
	const json_t *errors = json_object_get(doc, "errors");
	const json_t *v;
	const char *msg;
	size_t len, i;

	fputs("sextonctl: ", out);
	msg = get_str(doc, "error", &len);
	if (msg && len)
		render_text(out, msg, len, NULL);
	else
		fputs("sexton reported an error without a message", out);
	fputc('\n', out);
	json_array_foreach(errors, i, v) {
		if (json_is_string(v)) {
			render_text(out, json_string_value(v), json_string_length(v), NULL);
			fputc('\n', out);
		}
	}
}

/* ---- tables --------------------------------------------------------------- */

struct cell {
	char *text; /* raw bytes from the server: sanitised when printed */
	size_t len;
	const char *color; /* escape sequence, or NULL */
};

struct table {
	size_t ncols, nrows, cap; /* cap in rows */
	struct cell *cells;
	bool oom; /* sticky: checked once, when the table is complete */
};

static void
table_init(struct table *t, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
}

static void
table_free(struct table *t)
{
	size_t i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i].text);
	free(t->cells);
}

static void
table_row(struct table *t)
{
	struct cell *cells;
	size_t cap;

	if (t->oom)
		return;
	if (t->nrows == t->cap) {
		cap = t->cap ? t->cap * 2 : 16;
		cells = realloc(t->cells, cap * t->ncols * sizeof(*cells));
		if (!cells) {
			t->oom = true;
			return;
		}
		t->cells = cells;
		t->cap = cap;
	}
	memset(&t->cells[t->nrows * t->ncols], 0, t->ncols * sizeof(*cells));
	t->nrows++;
}

/* Append LEN bytes of S to column COL of the last row. */
static void
table_put(struct table *t, size_t col, const char *s, size_t len)
{
	struct cell *c;
	char *text;

	if (t->oom || t->nrows == 0 || col >= t->ncols)
		return;
	c = &t->cells[(t->nrows - 1) * t->ncols + col];
	text = realloc(c->text, c->len + len + 1);
	if (!text) {
		t->oom = true;
		return;
	}
	memcpy(text + c->len, s, len);
	c->len += len;
	text[c->len] = '\0';
	c->text = text;
}

static void
table_puts(struct table *t, size_t col, const char *s)
{
	table_put(t, col, s, strlen(s));
}

static void
table_color(struct table *t, size_t col, const char *color)
{
	if (!t->oom && t->nrows && col < t->ncols)
		t->cells[(t->nrows - 1) * t->ncols + col].color = color;
}

/* The string member KEY of OBJ, or DEFAULT when missing, empty or not a string. */
static void
table_put_member(struct table *t, size_t col, const json_t *obj, const char *key, const char *dflt)
{
	size_t len;
	const char *s = get_str(obj, key, &len);

	if (s && len)
		table_put(t, col, s, len);
	else
		table_puts(t, col, dflt);
}

static void
table_put_int(struct table *t, size_t col, const json_t *obj, const char *key)
{
	char buf[32];
	long long v;

	if (get_int(obj, key, &v)) {
		snprintf(buf, sizeof(buf), "%lld", v);
		table_puts(t, col, buf);
	} else {
		table_puts(t, col, "-");
	}
}

/*
 * Spaces owed to the next cell are written only when a cell with text
 * follows, so no line ends in blanks.
 */
/* N spaces: one fwrite, not a printf per cell. */
static void
put_spaces(FILE *out, size_t n)
{
	static const char spaces[] = "                                ";
	size_t k;

	for (; n; n -= k) {
		k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;
		fwrite(spaces, 1, k, out);
	}
}

static void
table_print_row(FILE *out, const struct cell *row, const size_t *cellw, const size_t *width,
		size_t ncols)
{
	size_t col, pending = 0;

	for (col = 0; col < ncols; col++) {
		if (row[col].len) {
			put_spaces(out, pending);
			pending = 0;
			if (row[col].color)
				fputs(row[col].color, out);
			render_text(out, row[col].text, row[col].len, NULL);
			if (row[col].color)
				fputs(COLOR_RESET, out);
		}
		pending += width[col] - cellw[col] + COLUMN_GAP;
	}
	fputc('\n', out);
}

static int
table_print(FILE *out, const struct table *t, const char *const *headers)
{
	struct cell head[16];
	size_t width[16], headw[16], *cellw, col, row, i;

	if (t->oom)
		return -ENOMEM;
	if (t->ncols > 16)
		return -EINVAL;
	/* Each cell's printed width, measured once. */
	cellw = malloc((t->nrows * t->ncols + 1) * sizeof(*cellw));
	if (!cellw)
		return -ENOMEM;
	for (col = 0; col < t->ncols; col++) {
		head[col] = (struct cell){ (char *)headers[col], strlen(headers[col]), NULL };
		width[col] = headw[col] = head[col].len;
		for (row = 0; row < t->nrows; row++) {
			i = row * t->ncols + col;
			cellw[i] = render_width(t->cells[i].text ? t->cells[i].text : "",
						t->cells[i].len);
			if (cellw[i] > width[col])
				width[col] = cellw[i];
		}
	}
	table_print_row(out, head, headw, width, t->ncols);
	for (row = 0; row < t->nrows; row++)
		table_print_row(out, &t->cells[row * t->ncols], &cellw[row * t->ncols], width,
				t->ncols);
	free(cellw);
	return 0;
}

/* ---- status --------------------------------------------------------------- */

const char *
render_duration(char *buf, size_t len, double seconds)
{
	unsigned long long s;

	if (!(seconds >= 0)) { /* negative or NaN */
		snprintf(buf, len, "-");
		return buf;
	}
	s = (unsigned long long)(seconds > DURATION_MAX_S ? DURATION_MAX_S : seconds);
	if (s < 60)
		snprintf(buf, len, "%llus", s);
	else if (s < 3600)
		snprintf(buf, len, "%llum%llus", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%lluh%llum", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%llud%lluh", s / 86400, s % 86400 / 3600);
	return buf;
}

static const char *
state_color(const char *state, size_t len)
{
	static const struct {
		const char *state, *color;
	} colors[] = {
		{ "running", COLOR_GREEN },   { "done", COLOR_GREEN },
		{ "starting", COLOR_YELLOW }, { "stopping", COLOR_YELLOW },
		{ "backoff", COLOR_YELLOW },  { "failed", COLOR_RED },
	};
	size_t i;

	for (i = 0; i < sizeof(colors) / sizeof(colors[0]); i++)
		if (str_is(state, len, colors[i].state))
			return colors[i].color;
	return NULL;
}

/*
 * One service's values, from an object of "services" (start, stop, status
 * --json) or from a row of "rows" (status --rows, which parses faster: no
 * hash table per service). NULL where a value is missing.
 */
struct svc_view {
	const json_t *name, *state, *pid, *ready, *restarts, *uptime, *code, *signal, *text,
		*reason;
};

static void
view_of_object(struct svc_view *v, const json_t *svc)
{
	const json_t *last = json_object_get(svc, "last_exit");

	v->name = json_object_get(svc, "name");
	v->state = json_object_get(svc, "state");
	v->pid = json_object_get(svc, "pid");
	v->ready = json_object_get(svc, "ready");
	v->restarts = json_object_get(svc, "restarts");
	v->uptime = json_object_get(svc, "uptime_s");
	v->code = json_object_get(last, "code");
	v->signal = json_object_get(last, "signal");
	v->text = json_object_get(svc, "status_text");
	v->reason = json_object_get(svc, "reason");
}

/* The columns of status --rows, in struct svc_view's order. */
static const char *const view_columns[] = { "name",	   "state",	  "pid",
					    "ready",	   "restarts",	  "uptime_s",
					    "last_code",   "last_signal", "status_text",
					    "reason" };
#define VIEW_COLUMNS (sizeof(view_columns) / sizeof(*view_columns))

/* Where each of view_columns is in a row, from the answer's "columns"
 * (so the daemon may add or reorder them); SIZE_MAX when absent. */
static void
row_layout(const json_t *columns, size_t *at)
{
	const json_t *c;
	size_t i, k;

	for (k = 0; k < VIEW_COLUMNS; k++)
		at[k] = SIZE_MAX;
	json_array_foreach(columns, i, c)
		for (k = 0; k < VIEW_COLUMNS; k++)
			if (json_is_string(c) && strcmp(json_string_value(c), view_columns[k]) == 0)
				at[k] = i;
}

static void
view_of_row(struct svc_view *v, const json_t *row, const size_t *at)
{
	const json_t **slot[VIEW_COLUMNS] = { &v->name,	    &v->state,	&v->pid,  &v->ready,
					      &v->restarts, &v->uptime, &v->code, &v->signal,
					      &v->text,	    &v->reason };
	size_t k;

	for (k = 0; k < VIEW_COLUMNS; k++)
		*slot[k] = at[k] == SIZE_MAX ? NULL : json_array_get(row, at[k]);
}

static const char *
val_str(const json_t *v, size_t *len)
{
	*len = json_is_string(v) ? json_string_length(v) : 0;
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void
table_put_value(struct table *t, size_t col, const json_t *v, const char *dflt)
{
	size_t len;
	const char *s = val_str(v, &len);

	if (s && len)
		table_put(t, col, s, len);
	else
		table_puts(t, col, dflt);
}

static void
table_put_intv(struct table *t, size_t col, const json_t *v)
{
	char buf[32];

	if (json_is_integer(v)) {
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
		table_puts(t, col, buf);
	} else {
		table_puts(t, col, "-");
	}
}

/* How a failed service without a reason last ended. */
static void
put_last_exit(struct table *t, size_t col, const struct svc_view *v)
{
	char buf[48];
	const char *sig;
	size_t len;

	if (json_is_integer(v->code)) {
		snprintf(buf, sizeof(buf), "exited %lld", (long long)json_integer_value(v->code));
		table_puts(t, col, buf);
	} else if ((sig = val_str(v->signal, &len)) && len) {
		table_puts(t, col, "killed by SIG");
		table_put(t, col, sig, len);
	}
}

/* STATUS: the reason a service failed or is blocked, else its status text. */
static void
put_status(struct table *t, size_t col, const struct svc_view *v, bool failed)
{
	size_t rlen = 0, tlen = 0;
	const char *reason = val_str(v->reason, &rlen);
	const char *text = val_str(v->text, &tlen);

	if (reason && rlen && (failed || !text || !tlen))
		table_put(t, col, reason, rlen);
	else if (text && tlen)
		table_put(t, col, text, tlen);
	else if (failed)
		put_last_exit(t, col, v);
}

static void
service_row(struct table *t, const struct svc_view *v, bool color)
{
	const char *state;
	char buf[32];
	size_t len = 0;

	table_row(t);
	table_put_value(t, 0, v->name, "?");
	state = val_str(v->state, &len);
	table_put_value(t, 1, v->state, "?");
	if (color)
		table_color(t, 1, state_color(state, len));
	table_put_intv(t, 2, v->pid);
	table_puts(t, 3, json_is_number(v->uptime)
				 ? render_duration(buf, sizeof(buf), json_number_value(v->uptime))
				 : "-");
	table_put_intv(t, 4, v->restarts);
	table_puts(t, 5, json_is_true(v->ready) ? "yes" : json_is_false(v->ready) ? "no" : "-");
	put_status(t, 6, v, str_is(state, len, "failed"));
}

/* Every element of ARR is of the kind IS tests for. */
static bool
all_are(const json_t *arr, int (*is)(const json_t *))
{
	const json_t *x;
	size_t i;

	json_array_foreach(arr, i, x)
		if (!is(x))
			return false;
	return true;
}

static int
is_object(const json_t *x)
{
	return json_is_object(x);
}

static int
is_array(const json_t *x)
{
	return json_is_array(x);
}

int
render_services(FILE *out, const json_t *doc, bool color)
{
	static const char *const headers[] = { "NAME",	   "STATE", "PID",   "UPTIME",
						"RESTARTS", "READY", "STATUS" };
	const json_t *services = json_object_get(doc, "services");
	const json_t *rows = json_object_get(doc, "rows");
	const json_t *x;
	size_t i, at[VIEW_COLUMNS];
	struct svc_view v;
	struct table t;
	int r;

	if (json_is_array(rows) && json_is_array(json_object_get(doc, "columns"))) {
		if (!all_are(rows, is_array))
			return -EINVAL;
		row_layout(json_object_get(doc, "columns"), at);
	} else if (!json_is_array(services) || !all_are(services, is_object)) {
		return -EINVAL;
	}
	table_init(&t, 7);
	json_array_foreach(json_is_array(rows) ? rows : services, i, x) {
		if (json_is_array(rows))
			view_of_row(&v, x, at);
		else
			view_of_object(&v, x);
		service_row(&t, &v, color);
	}
	r = table_print(out, &t, headers);
	table_free(&t);
	return r;
}

/* ---- ps ------------------------------------------------------------------- */

struct proc {
	const json_t *obj;
	long long pid, ppid;
	bool has_pid, has_ppid;
	bool queued; /* on the walk's stack or drawn: never twice, even in a cycle */
};

/* By pid; processes without one first. */
static int
cmp_pid(const void *a, const void *b)
{
	const struct proc *p = a, *q = b;

	if (p->has_pid != q->has_pid)
		return p->has_pid ? 1 : -1;
	return (p->pid > q->pid) - (p->pid < q->pid);
}

/* By ppid, then pid; processes without a ppid first. */
static int
cmp_ppid(const void *a, const void *b)
{
	const struct proc *p = *(struct proc *const *)a, *q = *(struct proc *const *)b;

	if (p->has_ppid != q->has_ppid)
		return p->has_ppid ? 1 : -1;
	if (p->ppid != q->ppid)
		return (p->ppid > q->ppid) - (p->ppid < q->ppid);
	return cmp_pid(p, q);
}

struct ps {
	struct proc *procs;   /* sorted by pid */
	struct proc **byppid; /* the same, sorted by ppid */
	size_t n;
	struct proc **stack;
	int *depth;
	size_t top;
	struct table t;
};

/* Index in byppid of the first child of PID (there may be none). */
static size_t
first_child(const struct ps *ps, long long pid)
{
	size_t lo = 0, hi = ps->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (!ps->byppid[mid]->has_ppid || ps->byppid[mid]->ppid < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool
has_parent(const struct ps *ps, const struct proc *p)
{
	struct proc key = { .pid = p->ppid, .has_pid = true };

	if (!p->has_ppid || (p->has_pid && p->ppid == p->pid))
		return false;
	return bsearch(&key, ps->procs, ps->n, sizeof(key), cmp_pid) != NULL;
}

static void
put_indent(struct table *t, size_t col, int depth)
{
	int i;

	if (depth > MAX_TREE_DEPTH)
		depth = MAX_TREE_DEPTH;
	for (i = 1; i < depth; i++)
		table_puts(t, col, "   ");
	if (depth > 0)
		table_puts(t, col, "\\_ ");
}

/* Columns of the ps table; COMM is last because the tree makes it ragged. */
enum { PS_PID, PS_STATE, PS_WCHAN, PS_SERVICE, PS_FINDING, PS_COMM, PS_NCOLS };

/* R, S and I are threads going about their work; any other state is what ps is read for. */
static bool
thread_odd(const json_t *th)
{
	size_t len = 0;
	const char *s = get_str(th, "state", &len);

	return !str_is(s, len, "R") && !str_is(s, len, "S") && !str_is(s, len, "I");
}

/*
 * A process is one row. Its threads get rows of their own unless the only
 * one is the leader, which the process row already shows: so the live
 * threads of a fake zombie and a thread in D under a sleeping leader are
 * in sight.
 */
static bool
wants_thread_rows(const struct proc *p, const json_t *threads)
{
	long long tid;

	if (json_array_size(threads) > 1)
		return true;
	if (json_array_size(threads) == 0)
		return false;
	return !(get_int(json_array_get(threads, 0), "tid", &tid) && p->has_pid && tid == p->pid);
}

static void
thread_row(struct table *t, const struct proc *p, const json_t *th, int depth)
{
	char buf[40];
	long long tid;

	table_row(t);
	if (get_int(th, "tid", &tid))
		snprintf(buf, sizeof(buf), "  tid %lld", tid);
	else
		snprintf(buf, sizeof(buf), "  tid -");
	table_puts(t, PS_PID, buf);
	table_put_member(t, PS_STATE, th, "state", "?");
	table_put_member(t, PS_WCHAN, th, "wchan", "-");
	put_indent(t, PS_COMM, depth + 1);
	table_puts(t, PS_COMM, "{");
	table_put_member(t, PS_COMM, p->obj, "comm", "?");
	table_puts(t, PS_COMM, "}");
}

static void
more_threads_row(struct table *t, size_t hidden, int depth)
{
	char buf[48];

	table_row(t);
	table_puts(t, PS_PID, "  ...");
	put_indent(t, PS_COMM, depth + 1);
	snprintf(buf, sizeof(buf), "{%zu more threads}", hidden);
	table_puts(t, PS_COMM, buf);
}

/*
 * The threads of P, as {comm} children (as pstree draws them). At most
 * PS_THREAD_ROWS per process, so that a pool of thousands does not bury
 * the rest; when some must go, those in an odd state stay, and the rows
 * keep the daemon's order.
 */
static void
thread_rows(struct table *t, const struct proc *p, int depth)
{
	const json_t *threads = json_object_get(p->obj, "threads");
	const json_t *th;
	size_t i, total = 0, odd = 0, odd_left, usual_left, *left;

	if (!wants_thread_rows(p, threads))
		return;
	json_array_foreach(threads, i, th) {
		if (json_is_object(th)) {
			total++;
			odd += thread_odd(th);
		}
	}
	odd_left = odd < PS_THREAD_ROWS ? odd : PS_THREAD_ROWS;
	usual_left = (total < PS_THREAD_ROWS ? total : PS_THREAD_ROWS) - odd_left;
	json_array_foreach(threads, i, th) {
		if (!json_is_object(th))
			continue;
		left = thread_odd(th) ? &odd_left : &usual_left;
		if (!*left)
			continue;
		(*left)--;
		thread_row(t, p, th, depth);
	}
	if (total > PS_THREAD_ROWS)
		more_threads_row(t, total - PS_THREAD_ROWS, depth);
}

/* FINDING: empty when the daemon names none, "?" when it is not a string. */
static void
put_finding_cell(struct table *t, const json_t *obj)
{
	const json_t *v = json_object_get(obj, "finding");

	if (json_is_string(v))
		table_put(t, PS_FINDING, json_string_value(v), json_string_length(v));
	else if (v && !json_is_null(v))
		table_puts(t, PS_FINDING, "?");
}

static void
proc_row(struct table *t, const struct proc *p, int depth)
{
	table_row(t);
	table_put_int(t, PS_PID, p->obj, "pid");
	table_put_member(t, PS_STATE, p->obj, "state", "?");
	table_put_member(t, PS_WCHAN, p->obj, "wchan", "-");
	table_put_member(t, PS_SERVICE, p->obj, "service", "-");
	put_finding_cell(t, p->obj);
	put_indent(t, PS_COMM, depth);
	table_put_member(t, PS_COMM, p->obj, "comm", "?");
	thread_rows(t, p, depth);
}

static void
push(struct ps *ps, struct proc *p, int depth)
{
	p->queued = true;
	ps->stack[ps->top] = p;
	ps->depth[ps->top++] = depth;
}

/* Draw ROOT and everything under it, depth first, without recursion. */
static void
draw_tree(struct ps *ps, struct proc *root)
{
	struct proc *p;
	size_t first, end;
	int depth;

	push(ps, root, 0);
	while (ps->top) {
		p = ps->stack[--ps->top];
		depth = ps->depth[ps->top];
		proc_row(&ps->t, p, depth);
		if (!p->has_pid)
			continue;
		first = first_child(ps, p->pid);
		for (end = first; end < ps->n && ps->byppid[end]->ppid == p->pid; end++)
			;
		/* pushed in reverse so that they are drawn in pid order */
		while (end-- > first)
			if (!ps->byppid[end]->queued)
				push(ps, ps->byppid[end], depth + 1);
	}
}

static int
ps_load(struct ps *ps, const json_t *procs)
{
	const json_t *obj;
	size_t i;

	ps->n = json_array_size(procs);
	ps->procs = calloc(ps->n + 1, sizeof(*ps->procs));
	ps->byppid = calloc(ps->n + 1, sizeof(*ps->byppid));
	ps->stack = calloc(ps->n + 1, sizeof(*ps->stack));
	ps->depth = calloc(ps->n + 1, sizeof(*ps->depth));
	if (!ps->procs || !ps->byppid || !ps->stack || !ps->depth)
		return -ENOMEM;
	json_array_foreach(procs, i, obj) {
		if (!json_is_object(obj))
			return -EINVAL;
		ps->procs[i].obj = obj;
		ps->procs[i].has_pid = get_int(obj, "pid", &ps->procs[i].pid);
		ps->procs[i].has_ppid = get_int(obj, "ppid", &ps->procs[i].ppid);
	}
	qsort(ps->procs, ps->n, sizeof(*ps->procs), cmp_pid);
	for (i = 0; i < ps->n; i++)
		ps->byppid[i] = &ps->procs[i];
	qsort(ps->byppid, ps->n, sizeof(*ps->byppid), cmp_ppid);
	return 0;
}

int
render_ps(FILE *out, const json_t *doc)
{
	static const char *const headers[PS_NCOLS] = { "PID",	  "STATE",   "WCHAN",
							"SERVICE", "FINDING", "COMM" };
	const json_t *procs = json_object_get(doc, "processes");
	struct ps ps = { 0 };
	size_t i;
	int r;

	if (!json_is_array(procs))
		return -EINVAL;
	table_init(&ps.t, PS_NCOLS);
	r = ps_load(&ps, procs);
	if (r == 0) {
		for (i = 0; i < ps.n; i++)
			if (!ps.procs[i].queued && !has_parent(&ps, &ps.procs[i]))
				draw_tree(&ps, &ps.procs[i]);
		/* Left over: parent links that form a cycle. Shown, not lost. */
		for (i = 0; i < ps.n; i++)
			if (!ps.procs[i].queued)
				draw_tree(&ps, &ps.procs[i]);
		r = table_print(out, &ps.t, headers);
	}
	table_free(&ps.t);
	free(ps.procs);
	free(ps.byppid);
	free(ps.stack);
	free(ps.depth);
	return r;
}

/* ---- doctor, check -------------------------------------------------------- */

static void
put_compact(FILE *out, const json_t *v)
{
	/* ENSURE_ASCII: no raw UTF-8 (nor C1 controls) can come out */
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY);

	fputs(s ? s : "?", out);
	free(s);
}

static void
put_scalar(FILE *out, const json_t *v)
{
	if (json_is_string(v))
		render_text(out, json_string_value(v), json_string_length(v), NULL);
	else if (json_is_integer(v))
		fprintf(out, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		fprintf(out, "%g", json_real_value(v));
	else if (json_is_boolean(v))
		fputs(json_is_true(v) ? "yes" : "no", out);
	else if (json_is_null(v))
		fputs("-", out);
	else
		put_compact(out, v);
}

/* "125.5 s", and "7384 s (2h3m)" once the humanised form helps. */
static void
put_seconds(FILE *out, double s)
{
	char buf[32];

	fprintf(out, "%g s", s);
	if (s >= 60)
		fprintf(out, " (%s)", render_duration(buf, sizeof(buf), s));
}

/* "  key: value", or "  key:" and one item per line: members we have no place for. */
static void
put_field(FILE *out, const char *key, const json_t *v)
{
	const json_t *item;
	size_t i;

	fputs("  ", out);
	put_str(out, key);
	fputc(':', out);
	if (!json_is_array(v)) {
		fputc(' ', out);
		put_scalar(out, v);
		fputc('\n', out);
		return;
	}
	fputc('\n', out);
	json_array_foreach(v, i, item) {
		fputs("    ", out);
		put_scalar(out, item);
		fputc('\n', out);
	}
}

/*
 * The members a finding may carry (SPEC "Diagnostics"). Each has its place
 * in the headline or a detail line when it has the expected type. Any
 * other member, and a known one of another type, is shown as "key: value",
 * so that what a newer daemon adds is not lost. A null, an empty string,
 * a pid or count of 0 or less and a false SIGKILL pending say "does not
 * apply" and are not shown.
 */
enum fkey {
	F_KIND, F_PID, F_TID, F_COMM, F_STATE, F_WCHAN, F_SECONDS, F_SIGKILL,
	F_STACK, F_SERVICE, F_THREADS, F_TRACER_PID, F_TRACER_COMM, F_PARENT_PID,
	F_PARENT_COMM, F_COUNT, F_HOLDS, F_ADVICE, F_NKEYS
};

static const char *const fkey_names[F_NKEYS] = {
	[F_KIND] = "kind",
	[F_PID] = "pid",
	[F_TID] = "tid",
	[F_COMM] = "comm",
	[F_STATE] = "state",
	[F_WCHAN] = "wchan",
	[F_SECONDS] = "seconds",
	[F_SIGKILL] = "sigkill_pending",
	[F_STACK] = "stack",
	[F_SERVICE] = "service",
	[F_THREADS] = "threads",
	[F_TRACER_PID] = "tracer_pid",
	[F_TRACER_COMM] = "tracer_comm",
	[F_PARENT_PID] = "parent_pid",
	[F_PARENT_COMM] = "parent_comm",
	[F_COUNT] = "count",
	[F_HOLDS] = "holds",
	[F_ADVICE] = "advice",
};

struct finding {
	FILE *out;
	const json_t *obj;
	unsigned used; /* bit per enum fkey: shown, or nothing to show */
	int parts;     /* written after the kind in the headline */
};

enum ftype { T_STRING, T_INTEGER, T_NUMBER, T_BOOLEAN, T_ARRAY };

static bool
has_type(const json_t *v, enum ftype type)
{
	switch (type) {
	case T_STRING: return json_is_string(v);
	case T_INTEGER: return json_is_integer(v);
	case T_NUMBER: return json_is_number(v);
	case T_BOOLEAN: return json_is_boolean(v);
	case T_ARRAY: return json_is_array(v);
	}
	return false;
}

/*
 * Member K when of TYPE, not shown yet and not "does not apply"; marked
 * used then, and when null too.
 */
static const json_t *
f_get(struct finding *f, enum fkey k, enum ftype type)
{
	const json_t *v = json_object_get(f->obj, fkey_names[k]);

	if (!v || (f->used & (1u << k)) || (!json_is_null(v) && !has_type(v, type)))
		return NULL;
	f->used |= 1u << k;
	if (json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0))
		return NULL;
	return v;
}

static const json_t *
f_str(struct finding *f, enum fkey k)
{
	return f_get(f, k, T_STRING);
}

static bool
f_int(struct finding *f, enum fkey k, long long *out)
{
	const json_t *v = f_get(f, k, T_INTEGER);

	*out = v ? json_integer_value(v) : 0;
	return *out > 0;
}

static void
put_json_str(FILE *out, const json_t *s)
{
	render_text(out, json_string_value(s), json_string_length(s), NULL);
}

/* Before each part of the headline: ": " first, then " " or ", " (QUALIFIER). */
static void
hl_sep(struct finding *f, bool qualifier)
{
	fputs(f->parts == 0 ? ": " : qualifier ? ", " : " ", f->out);
	f->parts++;
}

/* "LABEL 12 (comm)", "LABEL 12" or "LABEL (comm)": a process the finding names. */
static void
put_who(struct finding *f, const char *label, enum fkey pid_key, enum fkey comm_key,
	bool qualifier)
{
	const json_t *comm;
	long long pid;
	bool has_pid = f_int(f, pid_key, &pid);

	comm = f_str(f, comm_key);
	if (!has_pid && !comm)
		return;
	hl_sep(f, qualifier);
	fputs(label, f->out);
	if (has_pid)
		fprintf(f->out, " %lld", pid);
	if (comm) {
		fputs(" (", f->out);
		put_json_str(f->out, comm);
		fputc(')', f->out);
	}
}

/* "parent 12 (lazy) has 3 zombies, oldest seen 40 s" */
static void
put_unreaped(struct finding *f)
{
	const json_t *secs;
	long long count;

	put_who(f, "parent", F_PARENT_PID, F_PARENT_COMM, false);
	if (f_int(f, F_COUNT, &count)) {
		hl_sep(f, false);
		fprintf(f->out, "has %lld zombie%s", count, count == 1 ? "" : "s");
	}
	secs = f_get(f, F_SECONDS, T_NUMBER);
	if (secs && json_number_value(secs) >= 0) {
		hl_sep(f, true);
		fputs("oldest seen ", f->out);
		put_seconds(f->out, json_number_value(secs));
	}
}

/* "pid 42 tid 44 (dd)": the tid only when it is not the pid. */
static void
put_pid_tid(struct finding *f)
{
	const json_t *comm;
	long long pid, tid;
	bool has_pid = f_int(f, F_PID, &pid), has_tid = f_int(f, F_TID, &tid);
	int before = f->parts; /* after an unreaped parent, the pid is a qualifier */

	if (has_pid) {
		hl_sep(f, before > 0);
		fprintf(f->out, "pid %lld", pid);
	}
	if (has_tid && !(has_pid && tid == pid)) {
		hl_sep(f, before > 0 && f->parts == before);
		fprintf(f->out, "tid %lld", tid);
	}
	if ((comm = f_str(f, F_COMM))) {
		hl_sep(f, before > 0 && f->parts == before);
		fputc('(', f->out);
		put_json_str(f->out, comm);
		fputc(')', f->out);
	}
}

static void
put_headline(struct finding *f)
{
	const json_t *kind = f_str(f, F_KIND), *service;

	if (kind)
		put_json_str(f->out, kind);
	else
		fputs("finding", f->out);
	if (str_is(json_string_value(kind), json_string_length(kind), "unreaped"))
		put_unreaped(f);
	put_pid_tid(f);
	put_who(f, "tracer", F_TRACER_PID, F_TRACER_COMM, true);
	put_who(f, "parent", F_PARENT_PID, F_PARENT_COMM, true);
	if ((service = f_str(f, F_SERVICE))) {
		hl_sep(f, true);
		fputs("service ", f->out);
		put_json_str(f->out, service);
	}
	fputc('\n', f->out);
}

/* Before each part of a detail line: PREFIX first, then ", ". */
static void
part_sep(FILE *out, int *parts, const char *prefix)
{
	fputs((*parts)++ ? ", " : prefix, out);
}

/* "  state D, wchan nfs_wait, seen for 125.5 s (2m5s), SIGKILL pending" */
static void
put_state_line(struct finding *f)
{
	const json_t *state = f_str(f, F_STATE), *wchan = f_str(f, F_WCHAN);
	const json_t *secs = f_get(f, F_SECONDS, T_NUMBER);
	const json_t *sigkill = f_get(f, F_SIGKILL, T_BOOLEAN);
	int parts = 0;

	if (state) {
		part_sep(f->out, &parts, "  ");
		fputs("state ", f->out);
		put_json_str(f->out, state);
	}
	if (wchan) {
		part_sep(f->out, &parts, "  ");
		fputs("wchan ", f->out);
		put_json_str(f->out, wchan);
	}
	if (secs && json_number_value(secs) >= 0) {
		part_sep(f->out, &parts, "  ");
		fputs("seen for ", f->out);
		put_seconds(f->out, json_number_value(secs));
	}
	if (json_is_true(sigkill)) {
		part_sep(f->out, &parts, "  ");
		fputs("SIGKILL pending", f->out);
	}
	if (parts)
		fputc('\n', f->out);
}

/* "  stack: a < b < c", innermost first as the kernel lists it. */
static void
put_stack(struct finding *f)
{
	const json_t *stack = f_get(f, F_STACK, T_ARRAY), *frame;
	int parts = 0;
	size_t i;

	json_array_foreach(stack, i, frame) {
		fputs(parts++ ? " < " : "  stack: ", f->out);
		put_scalar(f->out, frame);
	}
	if (parts)
		fputc('\n', f->out);
}

/* "  thread 71: state S, wchan futex_wait_queue" and any other member. */
static void
put_thread(FILE *out, const json_t *th)
{
	const char *key;
	const json_t *v;
	long long tid;
	int parts = 0;

	fputs("  thread", out);
	if (!json_is_object(th)) {
		fputs(": ", out);
		put_scalar(out, th);
		fputc('\n', out);
		return;
	}
	if (get_int(th, "tid", &tid))
		fprintf(out, " %lld", tid);
	json_object_foreach((json_t *)th, key, v) {
		if (strcmp(key, "tid") == 0 && json_is_integer(v))
			continue;
		if (json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0))
			continue;
		part_sep(out, &parts, ": ");
		put_str(out, key);
		fputc(' ', out);
		put_scalar(out, v);
	}
	fputc('\n', out);
}

/* "  thread 71: state S, wchan futex_wait_queue": a fake zombie's live threads. */
static void
put_threads(struct finding *f)
{
	const json_t *threads = f_get(f, F_THREADS, T_ARRAY), *th;
	size_t i;

	json_array_foreach(threads, i, th)
		put_thread(f->out, th);
}

/* "  holds: tcp 0.0.0.0:8080 LISTEN": one socket or file per line. */
static void
put_holds(struct finding *f)
{
	const json_t *holds = f_get(f, F_HOLDS, T_ARRAY), *item;
	size_t i;

	json_array_foreach(holds, i, item) {
		fputs("  holds: ", f->out);
		put_scalar(f->out, item);
		fputc('\n', f->out);
	}
}

static bool
known_and_used(const struct finding *f, const char *key)
{
	int k;

	for (k = 0; k < F_NKEYS; k++)
		if (strcmp(key, fkey_names[k]) == 0)
			return f->used & (1u << k);
	return false;
}

/*
 * stuck: pid 42 tid 44 (dd), service backup
 *   state D, wchan nfs_wait, seen for 125.5 s (2m5s), SIGKILL pending
 *   stack: nfs_wait < vfs_read < ksys_read
 *   holds: tcp 0.0.0.0:8080 LISTEN
 *   advice: ...
 */
static void
put_finding(FILE *out, const json_t *obj)
{
	struct finding f = { .out = out, .obj = obj };
	const json_t *advice, *v;
	const char *key;

	put_headline(&f);
	put_state_line(&f);
	put_stack(&f);
	put_threads(&f);
	put_holds(&f);
	advice = f_str(&f, F_ADVICE);
	json_object_foreach((json_t *)obj, key, v)
		if (!known_and_used(&f, key))
			put_field(out, key, v);
	if (advice) {
		fputs("  advice: ", out);
		put_json_str(out, advice);
		fputc('\n', out);
	}
}

static void
put_limit(FILE *out, const json_t *limits, const char *what, const char *used, const char *max)
{
	long long u = 0, m = 0;
	/* -1 is the daemon's "could not read it" */
	bool has_u = get_int(limits, used, &u) && u >= 0;
	bool has_m = get_int(limits, max, &m) && m >= 0;

	fprintf(out, "%s ", what);
	if (has_u)
		fprintf(out, "%lld", u);
	else
		fputc('?', out);
	if (has_m)
		fprintf(out, "/%lld", m);
	else
		fputs("/?", out);
	if (has_u && has_m && m > 0)
		fprintf(out, " (%.1f%%)", 100.0 * (double)u / (double)m);
}

int
render_doctor(FILE *out, const json_t *doc)
{
	const json_t *findings = json_object_get(doc, "findings");
	const json_t *limits = json_object_get(doc, "limits");
	const json_t *f;
	long long more;
	size_t i;

	if (!json_is_array(findings))
		return -EINVAL;
	if (json_array_size(findings) == 0)
		fputs("no findings\n", out);
	json_array_foreach(findings, i, f) {
		if (i)
			fputc('\n', out);
		if (json_is_object(f)) {
			put_finding(out, f);
		} else {
			put_compact(out, f);
			fputc('\n', out);
		}
	}
	/* the daemon lists DIAG_MAX_FINDINGS and counts the rest */
	if (get_int(doc, "more", &more) && more > 0)
		fprintf(out, "\n(%lld more finding%s not listed)\n", more, more == 1 ? "" : "s");
	if (json_is_object(limits)) {
		fputs(json_array_size(findings) ? "\nlimits: " : "limits: ", out);
		put_limit(out, limits, "pids", "pids", "pid_max");
		fputs(", ", out);
		put_limit(out, limits, "threads", "threads", "threads_max");
		if (json_object_get(limits, "cgroup_pids_max")) {
			fputs(", ", out);
			put_limit(out, limits, "cgroup pids", "cgroup_pids", "cgroup_pids_max");
		}
		fputc('\n', out);
	}
	return 0;
}

int
render_check(FILE *out, const json_t *doc)
{
	const json_t *ok = json_object_get(doc, "ok");
	const json_t *problems = json_object_get(doc, "problems");
	const json_t *p;
	size_t i, shown = 0;

	if (!json_is_boolean(ok))
		return -EINVAL;
	if (json_is_true(ok)) {
		fputs("ok\n", out);
		return 0;
	}
	json_array_foreach(problems, i, p) {
		put_scalar(out, p);
		fputc('\n', out);
		shown++;
	}
	if (!shown)
		fputs("not ok\n", out);
	return 0;
}

/* ---- log, metrics --------------------------------------------------------- */

int
render_log_lines(FILE *out, const json_t *doc)
{
	const json_t *lines = json_object_get(doc, "lines");
	const json_t *line;
	size_t i;

	if (!json_is_array(lines))
		return -EINVAL;
	json_array_foreach(lines, i, line) {
		if (!json_is_string(line))
			continue;
		render_text(out, json_string_value(line), json_string_length(line), "\t");
		fputc('\n', out);
	}
	return 0;
}

int
render_log_line(FILE *out, const json_t *doc)
{
	size_t len;
	const char *line = get_str(doc, "line", &len);

	if (!line)
		return -EINVAL;
	render_text(out, line, len, "\t");
	fputc('\n', out);
	return 0;
}

int
render_metrics(FILE *out, const json_t *doc)
{
	size_t len;
	const char *text = get_str(doc, "text", &len);

	if (!text)
		return -EINVAL;
	render_text(out, text, len, "\n\t");
	if (len && text[len - 1] != '\n')
		fputc('\n', out);
	return 0;
}
