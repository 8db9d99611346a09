/* Unit tests: classification of made-up snapshots in every mode, the
 * history, limits, advice, and the JSON and text forms of findings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "diagfmt.h"

#define SELF 1

struct fixture {
	struct proc_snapshot snap;
	struct diag_history hist;
	struct diag_report r;
};

/* Add a process; STATES gives each thread's state, the leader's first. */
static struct proc_info *
add(struct proc_snapshot *s, pid_t pid, pid_t ppid, const char *comm, const char *states)
{
	struct proc_info *p;
	size_t k, n = strlen(states);

	s->v = realloc(s->v, (s->n + 1) * sizeof(*s->v));
	s->t = realloc(s->t, (s->nt + n) * sizeof(*s->t));
	p = &s->v[s->n++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->ppid = ppid;
	p->session = pid;
	p->state = states[0];
	p->nthreads_kernel = (long)n;
	p->start = 100;
	p->ours = true;
	snprintf(p->comm, sizeof(p->comm), "%s", comm);
	p->thread0 = s->nt;
	p->nthreads = n;
	for (k = 0; k < n; k++) {
		struct proc_thread *t = &s->t[s->nt++];

		memset(t, 0, sizeof(*t));
		t->tid = pid + (pid_t)k * 1000;
		t->state = states[k];
		t->steady = true;
		t->start = 100;
		if (states[k] == 'D')
			snprintf(t->wchan, sizeof(t->wchan), "nfs_wait_bit_killable");
	}
	return p;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	*state = f;
	return f ? 0 : -1;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	procscan_free(&f->snap);
	diag_history_free(&f->hist);
	diag_report_free(&f->r);
	free(f);
	return 0;
}

static struct diag_params
params(enum diag_mode mode, double now)
{
	return (struct diag_params){ .mode = mode, .now = now, .hung_threshold = 30,
				     .only_ours = true, .self = SELF };
}

static void
classify(struct fixture *f, struct diag_params p)
{
	assert_int_equal(diag_history_update(&f->hist, &f->snap, p.now), 0);
	assert_int_equal(diag_classify(&f->snap, &f->hist, &p, &f->r), 0);
}

static const struct diag_finding *
only(const struct diag_report *r, enum diag_kind kind)
{
	const struct diag_finding *found = NULL;
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->v[i].kind == kind) {
			assert_null(found);
			found = &r->v[i];
		}
	assert_non_null(found);
	return found;
}

static void
test_healthy_tree_has_no_findings(void **state)
{
	struct fixture *f = *state;

	add(&f->snap, 1, 0, "sexton", "S");
	add(&f->snap, 2, 1, "db", "SSS");
	add(&f->snap, 3, 1, "web", "R");
	add(&f->snap, 4, 3, "worker", "S");
	classify(f, params(DIAG_SAMPLED, 5));
	assert_int_equal(f->r.n, 0);
	classify(f, params(DIAG_INSTANT, 5));
	assert_int_equal(f->r.n, 0);
}

static void
test_sampled_d_must_hold_in_every_sample(void **state)
{
	struct fixture *f = *state;
	const struct diag_finding *d;

	add(&f->snap, 2, 1, "reader", "SD");
	add(&f->snap, 3, 1, "brief", "D");
	f->snap.t[f->snap.v[1].thread0].steady = false; /* left D between samples */
	classify(f, params(DIAG_SAMPLED, 5));
	assert_int_equal(f->r.n, 1);
	d = only(&f->r, DIAG_STUCK);
	assert_int_equal(d->pid, 2);
	assert_int_equal(d->tid, 1002);
	assert_int_equal(d->state, 'D');
	assert_string_equal(d->wchan, "nfs_wait_bit_killable");
	assert_non_null(strstr(d->advice, "NFS"));
}

static void
test_fake_zombie_lists_live_threads_and_its_d_thread_is_stuck(void **state)
{
	struct fixture *f = *state;
	const struct diag_finding *fz;

	add(&f->snap, 7, 1, "agent", "ZSD");
	classify(f, params(DIAG_SAMPLED, 5));
	assert_int_equal(f->r.n, 2);
	fz = only(&f->r, DIAG_FAKE_ZOMBIE);
	assert_int_equal(fz->pid, 7);
	assert_int_equal(fz->state, 'Z');
	assert_int_equal(fz->nthreads, 2);
	assert_int_equal(fz->threads[0].tid, 1007);
	assert_int_equal(fz->threads[1].state, 'D');
	assert_int_equal(only(&f->r, DIAG_STUCK)->tid, 2007);
}

static void
test_traced_zombie_names_its_tracer(void **state)
{
	struct fixture *f = *state;
	const struct diag_finding *tz;

	add(&f->snap, 8, 1, "parent", "S");
	add(&f->snap, 9, 8, "target", "Z")->tracer = 10;
	add(&f->snap, 10, 1, "strace", "S");
	classify(f, params(DIAG_SAMPLED, 5));
	assert_int_equal(f->r.n, 1);
	tz = only(&f->r, DIAG_TRACED_ZOMBIE);
	assert_int_equal(tz->pid, 9);
	assert_int_equal(tz->tracer_pid, 10);
	assert_string_equal(tz->tracer_comm, "strace");
}

static void
test_unreaped_grouped_per_parent(void **state)
{
	struct fixture *f = *state;
	const struct diag_finding *u;

	add(&f->snap, 12, 1, "lazy", "S");
	add(&f->snap, 13, 12, "kid", "Z");
	add(&f->snap, 14, 12, "kid", "Z");
	add(&f->snap, 15, 12, "kid", "Z");
	add(&f->snap, 16, SELF, "mine", "Z"); /* ours to reap: not a finding */
	add(&f->snap, 17, 0, "outside", "Z"); /* parent outside the namespace */
	classify(f, params(DIAG_SAMPLED, 5));
	assert_int_equal(f->r.n, 1);
	u = only(&f->r, DIAG_UNREAPED);
	assert_int_equal(u->parent_pid, 12);
	assert_string_equal(u->parent_comm, "lazy");
	assert_int_equal(u->count, 3);
	assert_int_equal(u->pid, 0);
	assert_int_equal(u->nthreads, 3); /* the zombies, for ps */
}

static void
test_only_ours(void **state)
{
	struct fixture *f = *state;

	add(&f->snap, 2, 1, "x", "D")->ours = false;
	classify(f, params(DIAG_SAMPLED, 5));
	assert_int_equal(f->r.n, 0);
}

static void
test_background_uses_history_and_reports_once(void **state)
{
	struct fixture *f = *state;
	struct diag_params p;

	add(&f->snap, 2, 1, "reader", "D");
	add(&f->snap, 3, 2, "kid", "Z");
	classify(f, params(DIAG_BACKGROUND, 100));
	assert_int_equal(f->r.n, 0); /* first sight: neither has lasted */
	classify(f, params(DIAG_BACKGROUND, 110));
	assert_int_equal(f->r.n, 1);	/* the zombie was seen before */
	assert_true(only(&f->r, DIAG_UNREAPED)->is_new);
	p = params(DIAG_BACKGROUND, 131);
	classify(f, p);
	assert_int_equal(f->r.n, 2);
	assert_true(only(&f->r, DIAG_STUCK)->is_new);
	assert_true(only(&f->r, DIAG_STUCK)->seconds == 31);
	assert_false(only(&f->r, DIAG_UNREAPED)->is_new);
	classify(f, params(DIAG_BACKGROUND, 140));
	assert_false(only(&f->r, DIAG_STUCK)->is_new);
	/* Same tid, new task (another start time): history starts again. */
	f->snap.t[0].start = 999;
	classify(f, params(DIAG_BACKGROUND, 150));
	assert_int_equal(f->r.n, 1);
}

static void
test_instant_goes_by_history(void **state)
{
	struct fixture *f = *state;

	add(&f->snap, 2, 1, "reader", "D");
	add(&f->snap, 3, 2, "kid", "Z");
	/* First sight: the zombie may be a child its parent is about to
	 * wait for (a shell's `cmd & wait`), the D a disk read. */
	classify(f, params(DIAG_INSTANT, 100));
	assert_int_equal(f->r.n, 0);
	classify(f, params(DIAG_INSTANT, 101));
	assert_int_equal(f->r.n, 1);
	only(&f->r, DIAG_UNREAPED);
	classify(f, params(DIAG_INSTANT, 200));
	assert_int_equal(f->r.n, 2);
	/* Another task under the same pid is a first sight again. */
	f->snap.t[1].start = 999;
	classify(f, params(DIAG_INSTANT, 201));
	assert_int_equal(f->r.n, 1);
	only(&f->r, DIAG_STUCK);
}

static void
test_after_sigkill_everything_alive_is_stuck(void **state)
{
	struct fixture *f = *state;
	struct diag_params p = params(DIAG_AFTER_SIGKILL, 100);
	const struct diag_finding *d;

	add(&f->snap, 2, 1, "svc", "SDR"); /* its D thread says why */
	add(&f->snap, 3, 1, "other", "S");  /* none in D: its first live one */
	add(&f->snap, 4, 1, "dead", "Z");   /* waiting to be reaped: not stuck */
	p.after_sigkill = 5;
	classify(f, p);
	assert_int_equal(f->r.n, 2);
	d = &f->r.v[0];
	assert_int_equal(d->tid, 1002);
	assert_true(d->seconds >= 5);
	assert_int_equal(f->r.v[1].tid, 3);
	p.only_session = 3;
	classify(f, p);
	assert_int_equal(f->r.n, 1);
	assert_int_equal(f->r.v[0].pid, 3);
}

static void
test_findings_are_capped(void **state)
{
	struct fixture *f = *state;
	pid_t pid;

	for (pid = 2; pid < 2 + DIAG_MAX_FINDINGS + 10; pid++)
		add(&f->snap, pid, 1, "d", "D");
	classify(f, params(DIAG_SAMPLED, 5));
	assert_int_equal(f->r.n, DIAG_MAX_FINDINGS);
	assert_int_equal(f->r.more, 10);
}

static void
test_limits_warn_above_80_percent(void **state)
{
	struct fixture *f = *state;

	f->r.limits = (struct diag_limits){ .pids = 80, .pid_max = 100, .threads = 5,
					    .threads_max = 100 };
	diag_check_limits(&f->r);
	assert_int_equal(f->r.n, 0);
	f->r.limits.threads = 81;
	diag_check_limits(&f->r);
	assert_int_equal(only(&f->r, DIAG_LIMITS)->kind, DIAG_LIMITS);
	assert_non_null(strstr(only(&f->r, DIAG_LIMITS)->advice, "kernel.pid_max"));
}

static void
test_the_cgroups_pids_max_is_a_limit_too(void **state)
{
	struct fixture *f = *state;

	/* A container: the kernel's limits far away, its pids.max close. */
	f->r.limits = (struct diag_limits){ .pids = 30, .pid_max = 4194304, .threads = 40,
					    .threads_max = 100000, .cgroup_pids = 32,
					    .cgroup_pids_max = 40 };
	diag_check_limits(&f->r);
	assert_int_equal(f->r.n, 0); /* 80 % exactly is not above */
	f->r.limits.cgroup_pids = 33;
	diag_check_limits(&f->r);
	assert_non_null(strstr(only(&f->r, DIAG_LIMITS)->advice, "pids.max"));
}

static void
test_advice(void **state)
{
	struct diag_finding f = { .kind = DIAG_STUCK };

	(void)state;
	snprintf(f.wchan, sizeof(f.wchan), "fuse_wait_answer");
	assert_non_null(strstr(diag_advice(&f), "FUSE"));
	snprintf(f.wchan, sizeof(f.wchan), "hrtimer_nanosleep");
	snprintf(f.frozen_cgroup, sizeof(f.frozen_cgroup), "/sys/fs/cgroup/freezer/x");
	assert_non_null(strstr(diag_advice(&f), "thaw"));
	f.kind = DIAG_TRACED_ZOMBIE;
	assert_non_null(strstr(diag_advice(&f), "tracer"));
}

static void
collect(void *ctx, const char *line)
{
	char *out = ctx;

	strcat(out, line);
	strcat(out, "\n");
}

static void
test_json_and_text(void **state)
{
	struct fixture *f = *state;
	char text[4096] = "";
	struct json j;
	const char *doc;
	size_t len;

	add(&f->snap, 7, 1, "agent", "ZS");
	add(&f->snap, 12, 1, "lazy", "S");
	add(&f->snap, 13, 12, "kid", "Z");
	classify(f, params(DIAG_SAMPLED, 5));
	f->r.limits = (struct diag_limits){ 10, 100, 20, 200, 0, 0 };
	json_init(&j);
	diagfmt_json(&j, &f->r);
	doc = json_finish(&j, &len);
	assert_non_null(doc);
	assert_non_null(strstr(doc, "{\"ok\":false,\"findings\":[{\"kind\":\"fake_zombie\",\"pid\":7,"
				    "\"comm\":\"agent\",\"state\":\"Z\",\"seconds\":0.000,"
				    "\"threads\":[{\"tid\":1007,\"state\":\"S\",\"wchan\":\"\"}]"));
	assert_non_null(strstr(doc, "{\"kind\":\"unreaped\",\"seconds\":0.000,\"parent_pid\":12,"
				    "\"parent_comm\":\"lazy\",\"count\":1,"));
	assert_non_null(strstr(doc, "\"limits\":{\"pids\":10,\"pid_max\":100,\"threads\":20,"
				    "\"threads_max\":200}}")); /* no pids cgroup limit: no keys */
	json_free(&j);
	f->r.limits.cgroup_pids = 5;
	f->r.limits.cgroup_pids_max = 40;
	json_init(&j);
	diagfmt_json(&j, &f->r);
	doc = json_finish(&j, &len);
	assert_non_null(doc);
	assert_non_null(strstr(doc, "\"threads_max\":200,\"cgroup_pids\":5,\"cgroup_pids_max\":40}}"));
	json_free(&j);
	diagfmt_text(&f->r.v[0], collect, text);
	diagfmt_text(&f->r.v[1], collect, text);
	assert_non_null(strstr(text, "fake_zombie: pid 7 (agent)\n  thread 1007: S \n  advice: "));
	assert_non_null(strstr(text, "unreaped: parent 12 (lazy) has 1 zombie, the oldest seen for "
				     "0 s\n  zombies: 13\n  advice: "));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_healthy_tree_has_no_findings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sampled_d_must_hold_in_every_sample, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_fake_zombie_lists_live_threads_and_its_d_thread_is_stuck, setup, teardown),
		cmocka_unit_test_setup_teardown(test_traced_zombie_names_its_tracer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreaped_grouped_per_parent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_only_ours, setup, teardown),
		cmocka_unit_test_setup_teardown(test_background_uses_history_and_reports_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_instant_goes_by_history, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_after_sigkill_everything_alive_is_stuck, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_findings_are_capped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits_warn_above_80_percent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_the_cgroups_pids_max_is_a_limit_too, setup, teardown),
		cmocka_unit_test(test_advice),
		cmocka_unit_test_setup_teardown(test_json_and_text, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
