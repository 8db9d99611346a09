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
static void
table_print_row(FILE *out, const struct cell *row, const size_t *width, size_t ncols)
{
	size_t col, pending = 0, w;

	for (col = 0; col < ncols; col++) {
		w = render_width(row[col].text ? row[col].text : "", row[col].len);
		if (row[col].len) {
			fprintf(out, "%*s", (int)pending, "");
			pending = 0;
			if (row[col].color)
				fputs(row[col].color, out);
			render_text(out, row[col].text, row[col].len, NULL);
			if (row[col].color)
				fputs(COLOR_RESET, out);
		}
		pending += width[col] - w + COLUMN_GAP;
	}
	fputc('\n', out);
}

static int
table_print(FILE *out, const struct table *t, const char *const *headers)
{
	struct cell head[16];
	size_t width[16];
	size_t col, row, w;

	if (t->oom)
		return -ENOMEM;
	if (t->ncols > 16)
		return -EINVAL;
	for (col = 0; col < t->ncols; col++) {
		head[col] = (struct cell){ (char *)headers[col], strlen(headers[col]), NULL };
		width[col] = head[col].len;
		for (row = 0; row < t->nrows; row++) {
			const struct cell *c = &t->cells[row * t->ncols + col];

			w = render_width(c->text ? c->text : "", c->len);
			if (w > width[col])
				width[col] = w;
		}
	}
	table_print_row(out, head, width, t->ncols);
	for (row = 0; row < t->nrows; row++)
		table_print_row(out, &t->cells[row * t->ncols], width, t->ncols);
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

/* How a failed service without a reason last ended. */
static void
put_last_exit(struct table *t, size_t col, const json_t *last)
{
	char buf[48];
	const char *sig;
	long long code;
	size_t len;

	if (get_int(last, "code", &code)) {
		snprintf(buf, sizeof(buf), "exited %lld", code);
		table_puts(t, col, buf);
	} else if ((sig = get_str(last, "signal", &len)) && len) {
		table_puts(t, col, "killed by SIG");
		table_put(t, col, sig, len);
	}
}

/* STATUS: the reason a service failed or is blocked, else its status text. */
static void
put_status(struct table *t, size_t col, const json_t *svc, bool failed)
{
	size_t rlen = 0, tlen = 0;
	const char *reason = get_str(svc, "reason", &rlen);
	const char *text = get_str(svc, "status_text", &tlen);

	if (reason && rlen && (failed || !text || !tlen))
		table_put(t, col, reason, rlen);
	else if (text && tlen)
		table_put(t, col, text, tlen);
	else if (failed)
		put_last_exit(t, col, json_object_get(svc, "last_exit"));
}

static void
service_row(struct table *t, const json_t *svc, bool color)
{
	const json_t *uptime = json_object_get(svc, "uptime_s");
	const json_t *ready = json_object_get(svc, "ready");
	const char *state;
	char buf[32];
	size_t len = 0;

	table_row(t);
	table_put_member(t, 0, svc, "name", "?");
	state = get_str(svc, "state", &len);
	table_put_member(t, 1, svc, "state", "?");
	if (color)
		table_color(t, 1, state_color(state, len));
	table_put_int(t, 2, svc, "pid");
	table_puts(t, 3, json_is_number(uptime)
				 ? render_duration(buf, sizeof(buf), json_number_value(uptime))
				 : "-");
	table_put_int(t, 4, svc, "restarts");
	table_puts(t, 5, json_is_true(ready) ? "yes" : json_is_false(ready) ? "no" : "-");
	put_status(t, 6, svc, str_is(state, len, "failed"));
}

int
render_services(FILE *out, const json_t *doc, bool color)
{
	static const char *const headers[] = { "NAME",	   "STATE", "PID",   "UPTIME",
						"RESTARTS", "READY", "STATUS" };
	const json_t *services = json_object_get(doc, "services");
	const json_t *svc;
	struct table t;
	size_t i;
	int r;

	if (!json_is_array(services))
		return -EINVAL;
	json_array_foreach(services, i, svc)
		if (!json_is_object(svc))
			return -EINVAL;
	table_init(&t, 7);
	json_array_foreach(services, i, svc)
		service_row(&t, svc, color);
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

/* Threads other than the leader, drawn as {comm} children (as pstree does). */
static void
thread_rows(struct table *t, const struct proc *p, int depth)
{
	const json_t *threads = json_object_get(p->obj, "threads");
	const json_t *th;
	long long tid;
	size_t i;

	json_array_foreach(threads, i, th) {
		if (!json_is_object(th))
			continue;
		if (get_int(th, "tid", &tid) && p->has_pid && tid == p->pid)
			continue; /* the leader is the process row */
		table_row(t);
		table_put_int(t, 0, th, "tid");
		table_put_member(t, 1, th, "state", "?");
		table_put_member(t, 2, th, "wchan", "-");
		put_indent(t, 4, depth + 1);
		table_puts(t, 4, "{");
		table_put_member(t, 4, p->obj, "comm", "?");
		table_puts(t, 4, "}");
	}
}

static void
proc_row(struct table *t, const struct proc *p, int depth)
{
	table_row(t);
	table_put_int(t, 0, p->obj, "pid");
	table_put_member(t, 1, p->obj, "state", "?");
	table_put_member(t, 2, p->obj, "wchan", "-");
	table_put_member(t, 3, p->obj, "service", "-");
	put_indent(t, 4, depth);
	table_put_member(t, 4, p->obj, "comm", "?");
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
	static const char *const headers[] = { "PID", "STATE", "WCHAN", "SERVICE", "COMM" };
	const json_t *procs = json_object_get(doc, "processes");
	struct ps ps = { 0 };
	size_t i;
	int r;

	if (!json_is_array(procs))
		return -EINVAL;
	table_init(&ps.t, 5);
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

/* An object on one line: "tid 44  state D  wchan nfs_wait". */
static void
put_pairs(FILE *out, const json_t *obj)
{
	const char *key;
	const json_t *v;
	bool first = true;

	json_object_foreach((json_t *)obj, key, v) {
		fputs(first ? "" : "  ", out);
		put_str(out, key);
		fputc(' ', out);
		put_scalar(out, v);
		first = false;
	}
}

static void
put_field(FILE *out, const char *key, const json_t *v)
{
	const json_t *item;
	char buf[32];
	size_t i;

	fputs("  ", out);
	put_str(out, key);
	fputc(':', out);
	if (!json_is_array(v)) {
		fputc(' ', out);
		put_scalar(out, v);
		/* "seconds: 7384 (2h3m)": the humanised form once it helps */
		if (strcmp(key, "seconds") == 0 && json_is_number(v) && json_number_value(v) >= 60)
			fprintf(out, " (%s)",
				render_duration(buf, sizeof(buf), json_number_value(v)));
		fputc('\n', out);
		return;
	}
	fputc('\n', out);
	json_array_foreach(v, i, item) {
		fputs("    ", out);
		if (json_is_object(item))
			put_pairs(out, item);
		else
			put_scalar(out, item);
		fputc('\n', out);
	}
}

/* "stuck pid 42 (dd)", then every other member on its own line. */
static void
put_finding(FILE *out, const json_t *f)
{
	const char *s, *key;
	const json_t *v;
	long long pid;
	size_t len;

	s = get_str(f, "kind", &len);
	if (s && len)
		render_text(out, s, len, NULL);
	else
		fputs("finding", out);
	if (get_int(f, "pid", &pid))
		fprintf(out, " pid %lld", pid);
	if ((s = get_str(f, "comm", &len))) {
		fputs(" (", out);
		render_text(out, s, len, NULL);
		fputc(')', out);
	}
	fputc('\n', out);
	json_object_foreach((json_t *)f, key, v)
		if (strcmp(key, "kind") && strcmp(key, "pid") && strcmp(key, "comm"))
			put_field(out, key, v);
}

static void
put_limit(FILE *out, const json_t *limits, const char *what, const char *used, const char *max)
{
	long long u = 0, m = 0;
	bool has_u = get_int(limits, used, &u), has_m = get_int(limits, max, &m);

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
	if (json_is_object(limits)) {
		fputs(json_array_size(findings) ? "\nlimits: " : "limits: ", out);
		put_limit(out, limits, "pids", "pids", "pid_max");
		fputs(", ", out);
		put_limit(out, limits, "threads", "threads", "threads_max");
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
