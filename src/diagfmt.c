/* diagfmt — see include/diagfmt.h. */
#include "diagfmt.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void
key_int(struct json *j, const char *key, long long v)
{
	json_key(j, key);
	json_int(j, v);
}

static void
key_str(struct json *j, const char *key, const char *v)
{
	json_key(j, key);
	json_str(j, v);
}

static void
key_state(struct json *j, const char *key, char state)
{
	char s[2] = { state, '\0' };

	key_str(j, key, s);
}

static void
json_threads(struct json *j, const struct diag_finding *f)
{
	size_t i;

	json_key(j, "threads");
	json_arr_begin(j);
	for (i = 0; i < f->nthreads; i++) {
		json_obj_begin(j);
		key_int(j, "tid", f->threads[i].tid);
		key_state(j, "state", f->threads[i].state);
		key_str(j, "wchan", f->threads[i].wchan);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void
json_stuck(struct json *j, const struct diag_finding *f)
{
	size_t i;

	key_str(j, "wchan", f->wchan);
	json_key(j, "sigkill_pending");
	json_bool(j, f->sigkill_pending);
	json_key(j, "stack");
	json_arr_begin(j);
	for (i = 0; i < f->nstack; i++)
		json_str(j, f->stack[i]);
	json_arr_end(j);
	if (f->frozen_cgroup[0])
		key_str(j, "frozen_cgroup", f->frozen_cgroup);
	if (f->has_holds) {
		json_key(j, "holds");
		json_arr_begin(j);
		for (i = 0; i < f->holds.n; i++)
			json_str(j, f->holds.item[i]);
		json_arr_end(j);
	}
}

void
diagfmt_json_finding(struct json *j, const struct diag_finding *f)
{
	json_obj_begin(j);
	key_str(j, "kind", diag_kind_name(f->kind));
	if (f->pid > 0) {
		key_int(j, "pid", f->pid);
		key_str(j, "comm", f->comm);
	}
	if (f->kind == DIAG_STUCK)
		key_int(j, "tid", f->tid);
	if (f->state)
		key_state(j, "state", f->state);
	if (f->kind == DIAG_STUCK)
		json_stuck(j, f);
	if (f->seconds >= 0) {
		json_key(j, "seconds");
		json_double(j, f->seconds);
	}
	if (f->service[0])
		key_str(j, "service", f->service);
	if (f->kind == DIAG_FAKE_ZOMBIE)
		json_threads(j, f);
	if (f->kind == DIAG_TRACED_ZOMBIE) {
		key_int(j, "tracer_pid", f->tracer_pid);
		key_str(j, "tracer_comm", f->tracer_comm);
	}
	if (f->kind == DIAG_UNREAPED) {
		key_int(j, "parent_pid", f->parent_pid);
		key_str(j, "parent_comm", f->parent_comm);
		key_int(j, "count", f->count);
	}
	if (f->advice)
		key_str(j, "advice", f->advice);
	json_obj_end(j);
}

void
diagfmt_json(struct json *j, const struct diag_report *r)
{
	const struct diag_limits *l = &r->limits;
	size_t i;

	json_obj_begin(j);
	json_key(j, "ok");
	json_bool(j, r->n == 0 && r->more == 0);
	json_key(j, "findings");
	json_arr_begin(j);
	for (i = 0; i < r->n; i++)
		diagfmt_json_finding(j, &r->v[i]);
	json_arr_end(j);
	if (r->more) {
		key_int(j, "more", (long long)r->more);
	}
	json_key(j, "limits");
	json_obj_begin(j);
	key_int(j, "pids", l->pids);
	key_int(j, "pid_max", l->pid_max);
	key_int(j, "threads", l->threads);
	key_int(j, "threads_max", l->threads_max);
	if (l->cgroup_pids_max > 0) {
		key_int(j, "cgroup_pids", l->cgroup_pids);
		key_int(j, "cgroup_pids_max", l->cgroup_pids_max);
	}
	json_obj_end(j);
	json_obj_end(j);
}

/* ---- text ------------------------------------------------------------------------ */

struct line {
	char buf[1024];
	size_t len;
};

static void line_add(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
line_add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->len >= sizeof(l->buf) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += (size_t)n;
	if (l->len >= sizeof(l->buf))
		l->len = sizeof(l->buf) - 1;
}

static void
headline(struct line *l, const struct diag_finding *f)
{
	line_add(l, "%s:", diag_kind_name(f->kind));
	switch (f->kind) {
	case DIAG_STUCK:
		line_add(l, " pid %d tid %d (%s)", (int)f->pid, (int)f->tid, f->comm);
		break;
	case DIAG_FAKE_ZOMBIE:
	case DIAG_TRACED_ZOMBIE: line_add(l, " pid %d (%s)", (int)f->pid, f->comm); break;
	case DIAG_UNREAPED:
		line_add(l, " parent %d (%s)", (int)f->parent_pid, f->parent_comm);
		break;
	case DIAG_LIMITS: line_add(l, " close to a limit on tasks"); break;
	}
	if (f->service[0])
		line_add(l, " of service %s", f->service);
	if (f->kind == DIAG_UNREAPED)
		line_add(l, " has %u zombie%s", f->count, f->count == 1 ? "" : "s");
	if (f->kind == DIAG_STUCK) {
		line_add(l, ": %c in %s", f->state, f->wchan[0] ? f->wchan : "?");
		if (f->seconds >= 0)
			line_add(l, " for at least %.0f s", f->seconds);
		if (f->sigkill_pending)
			line_add(l, ", SIGKILL pending");
		if (f->frozen_cgroup[0])
			line_add(l, ", cgroup %s is frozen", f->frozen_cgroup);
	} else if (f->kind == DIAG_TRACED_ZOMBIE) {
		line_add(l, ": held by tracer %d (%s)", (int)f->tracer_pid,
			 f->tracer_comm[0] ? f->tracer_comm : "?");
	} else if (f->kind == DIAG_UNREAPED && f->seconds >= 0) {
		line_add(l, ", the oldest seen for %.0f s", f->seconds);
	}
}

static void
emit_line(struct line *l, diagfmt_emit_fn *emit, void *ctx)
{
	l->buf[l->len] = '\0';
	emit(ctx, l->buf);
	l->len = 0;
}

void
diagfmt_text(const struct diag_finding *f, diagfmt_emit_fn *emit, void *ctx)
{
	struct line l = { .len = 0 };
	size_t i;

	headline(&l, f);
	emit_line(&l, emit, ctx);
	for (i = 0; f->kind == DIAG_FAKE_ZOMBIE && i < f->nthreads; i++) {
		line_add(&l, "  thread %d: %c %s", (int)f->threads[i].tid, f->threads[i].state,
			 f->threads[i].wchan);
		emit_line(&l, emit, ctx);
	}
	if (f->kind == DIAG_UNREAPED && f->nthreads) {
		line_add(&l, "  zombies:");
		for (i = 0; i < f->nthreads; i++)
			line_add(&l, " %d", (int)f->threads[i].tid);
		if (f->count > f->nthreads)
			line_add(&l, " and %zu more", f->count - f->nthreads);
		emit_line(&l, emit, ctx);
	}
	if (f->nstack) {
		line_add(&l, "  stack:");
		for (i = 0; i < f->nstack; i++)
			line_add(&l, "%s %s", i ? " <" : "", f->stack[i]);
		emit_line(&l, emit, ctx);
	}
	if (f->has_holds && (f->holds.n || f->holds.more)) {
		line_add(&l, "  holds:");
		for (i = 0; i < f->holds.n; i++)
			line_add(&l, "%s %s", i ? ";" : "", f->holds.item[i]);
		if (f->holds.more)
			line_add(&l, "%s and %zu more", f->holds.n ? ";" : "", f->holds.more);
		emit_line(&l, emit, ctx);
	}
	if (f->advice) {
		line_add(&l, "  advice: %s", f->advice);
		emit_line(&l, emit, ctx);
	}
}
