/* Unit tests: sextonctl's human output, from JSON strings to text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sextonctl_render.h"

/* ---- helpers -------------------------------------------------------------- */

struct capture {
	FILE *f;
	char *buf;
	size_t len;
};

static FILE *
cap_open(struct capture *c)
{
	memset(c, 0, sizeof(*c));
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
	return c->f;
}

/* The text written, owned by the caller. */
static char *
cap_close(struct capture *c)
{
	assert_int_equal(fclose(c->f), 0);
	return c->buf;
}

static json_t *
doc_of(const char *text)
{
	char err[256];
	json_t *doc;

	assert_int_equal(render_parse(text, strlen(text), &doc, err, sizeof(err)), 0);
	assert_non_null(doc);
	return doc;
}

typedef int (*render_fn)(FILE *out, const json_t *doc);

/* Render TEXT with FN; returns the output (or NULL when FN failed with *R). */
static char *
render_with(render_fn fn, const char *text, int *r)
{
	struct capture c;
	json_t *doc = doc_of(text);
	char *out;

	*r = fn(cap_open(&c), doc);
	out = cap_close(&c);
	json_decref(doc);
	return out;
}

static char *
services(const char *text, bool color, int *r)
{
	struct capture c;
	json_t *doc = doc_of(text);

	*r = render_services(cap_open(&c), doc, color);
	json_decref(doc);
	return cap_close(&c);
}

static void
assert_no_control_bytes(const char *s, const char *allowed)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			assert_non_null(strchr(allowed, *s));
}

#define assert_render(fn, json, want)                                                              \
	do {                                                                                       \
		int r_;                                                                            \
		char *out_ = render_with(fn, json, &r_);                                           \
		assert_int_equal(r_, 0);                                                           \
		assert_string_equal(out_, want);                                                   \
		free(out_);                                                                        \
	} while (0)

/* FN refuses JSON with -EINVAL and writes nothing. */
#define assert_refused(fn, json)                                                                   \
	do {                                                                                       \
		int r_;                                                                            \
		char *out_ = render_with(fn, json, &r_);                                           \
		assert_int_equal(r_, -EINVAL);                                                     \
		assert_string_equal(out_, "");                                                     \
		free(out_);                                                                        \
	} while (0)

static int
services_plain(FILE *out, const json_t *doc)
{
	return render_services(out, doc, false);
}

/* ---- durations ------------------------------------------------------------ */

static void
expect_duration(double s, const char *want)
{
	char buf[32];

	assert_string_equal(render_duration(buf, sizeof(buf), s), want);
}

static void
test_duration_edges(void **state)
{
	(void)state;
	expect_duration(0, "0s");
	expect_duration(0.9, "0s");
	expect_duration(45, "45s");
	expect_duration(59, "59s");
	expect_duration(59.999, "59s");
	expect_duration(60, "1m0s");
	expect_duration(723, "12m3s");
	expect_duration(3599, "59m59s");
	expect_duration(3600, "1h0m");
	expect_duration(3 * 3600 + 4 * 60 + 59, "3h4m");
	expect_duration(86399, "23h59m");
	expect_duration(86400, "1d0h");
	expect_duration(2 * 86400 + 5 * 3600 + 3599, "2d5h");
	expect_duration(400 * 86400, "400d0h");
}

static void
test_duration_not_a_duration(void **state)
{
	char buf[32], tiny[3];

	(void)state;
	expect_duration(-1, "-");
	expect_duration(-0.001, "-");
	expect_duration(NAN, "-");
	expect_duration(-INFINITY, "-");
	/* absurd values are clamped, not undefined behaviour */
	assert_non_null(strstr(render_duration(buf, sizeof(buf), INFINITY), "d"));
	assert_non_null(strstr(render_duration(buf, sizeof(buf), 1e300), "d"));
	/* a short buffer truncates */
	assert_string_equal(render_duration(tiny, sizeof(tiny), 3600), "1h");
}

/* ---- the status table ----------------------------------------------------- */

static void
test_status_table_aligned(void **state)
{
	(void)state;
	assert_render(services_plain,
		      "{\"services\":["
		      "{\"name\":\"web\",\"state\":\"running\",\"pid\":42,\"ready\":true,"
		      "\"restarts\":0,\"uptime_s\":12.5,\"last_exit\":null,"
		      "\"status_text\":\"serving\",\"reason\":\"\"},"
		      "{\"name\":\"a-rather-long-service-name\",\"state\":\"stopped\",\"pid\":null,"
		      "\"ready\":false,\"restarts\":12345,\"uptime_s\":90061,"
		      "\"last_exit\":{\"code\":0,\"signal\":null},"
		      "\"status_text\":\"\",\"reason\":\"\"}"
		      "]}",
		      "NAME                        STATE    PID  UPTIME  RESTARTS  READY  STATUS\n"
		      "web                         running  42   12s     0         yes    serving\n"
		      "a-rather-long-service-name  stopped  -    1d1h    12345     no\n");
}

/* status --rows: the same table, columns found by name (any order, extra
 * ones ignored, missing ones shown as unknown), odd rows refused. */
static void
test_status_rows(void **state)
{
	(void)state;
	assert_render(services_plain,
		      "{\"columns\":[\"name\",\"state\",\"pid\",\"ready\",\"restarts\","
		      "\"uptime_s\",\"last_code\",\"last_signal\",\"status_text\",\"reason\"],"
		      "\"rows\":[[\"web\",\"running\",42,true,0,12.5,null,null,\"serving\",\"\"],"
		      "[\"b\",\"failed\",null,false,1,5,null,\"KILL\",\"\",\"\"]]}",
		      "NAME  STATE    PID  UPTIME  RESTARTS  READY  STATUS\n"
		      "web   running  42   12s     0         yes    serving\n"
		      "b     failed   -    5s      1         no     killed by SIGKILL\n");
	assert_render(services_plain,
		      "{\"columns\":[\"future\",\"state\",\"name\",\"last_code\"],"
		      "\"rows\":[[1,\"failed\",\"x\",3],[]]}",
		      "NAME  STATE   PID  UPTIME  RESTARTS  READY  STATUS\n"
		      "x     failed  -    -       -         -      exited 3\n"
		      "?     ?       -    -       -         -\n");
	assert_refused(services_plain, "{\"columns\":[\"name\"],\"rows\":[[\"a\"],{}]}");
	assert_refused(services_plain, "{\"columns\":5,\"rows\":[[\"a\"]]}");
}

static void
test_status_failed_shows_reason_or_exit(void **state)
{
	(void)state;
	assert_render(services_plain,
		      "{\"services\":["
		      "{\"name\":\"a\",\"state\":\"failed\","
		      "\"pid\":null,\"ready\":false,\"restarts\":3,"
		      "\"uptime_s\":5,\"last_exit\":{\"code\":1,\"signal\":null},"
		      "\"status_text\":\"old text\",\"reason\":\"exec: No such file\"},"
		      "{\"name\":\"b\",\"state\":\"failed\","
		      "\"pid\":null,\"ready\":false,\"restarts\":1,"
		      "\"uptime_s\":5,\"last_exit\":{\"code\":null,\"signal\":\"KILL\"},"
		      "\"status_text\":\"\",\"reason\":\"\"},"
		      "{\"name\":\"c\",\"state\":\"failed\","
		      "\"pid\":null,\"ready\":false,\"restarts\":1,"
		      "\"uptime_s\":5,\"last_exit\":{\"code\":2,\"signal\":null},"
		      "\"status_text\":\"\",\"reason\":\"\"},"
		      "{\"name\":\"d\",\"state\":\"failed\","
		      "\"pid\":null,\"ready\":false,\"restarts\":0,"
		      "\"uptime_s\":5,\"last_exit\":null,\"status_text\":\"\",\"reason\":\"\"},"
		      "{\"name\":\"e\",\"state\":\"stopped\","
		      "\"pid\":null,\"ready\":false,\"restarts\":0,"
		      "\"uptime_s\":5,\"last_exit\":null,\"status_text\":\"\","
		      "\"reason\":\"blocked: needs db\"}"
		      "]}",
		      "NAME  STATE    PID  UPTIME  RESTARTS  READY  STATUS\n"
		      "a     failed   -    5s      3         no     exec: No such file\n"
		      "b     failed   -    5s      1         no     killed by SIGKILL\n"
		      "c     failed   -    5s      1         no     exited 2\n"
		      "d     failed   -    5s      0         no\n"
		      "e     stopped  -    5s      0         no     blocked: needs db\n");
}

static void
test_status_empty(void **state)
{
	(void)state;
	assert_render(services_plain, "{\"services\":[]}",
		      "NAME  STATE  PID  UPTIME  RESTARTS  READY  STATUS\n");
}

static void
test_status_missing_and_wrong_members(void **state)
{
	(void)state;
	assert_render(services_plain,
		      "{\"services\":[{},"
		      "{\"name\":5,\"state\":[],\"pid\":\"42\",\"uptime_s\":\"1\",\"ready\":1,"
		      "\"restarts\":1.5,\"last_exit\":\"x\",\"status_text\":7,\"reason\":null},"
		      "{\"name\":\"f\",\"state\":\"failed\","
		      "\"last_exit\":{\"code\":\"1\",\"signal\":3}},"
		      "{\"name\":\"\",\"state\":\"\",\"pid\":-1,\"uptime_s\":-5,\"restarts\":-2}"
		      "]}",
		      "NAME  STATE   PID  UPTIME  RESTARTS  READY  STATUS\n"
		      "?     ?       -    -       -         -\n"
		      "?     ?       -    -       -         -\n"
		      "f     failed  -    -       -         -\n"
		      "?     ?       -1   -       -2        -\n");
}

static void
test_status_malformed_refused(void **state)
{
	(void)state;
	assert_refused(services_plain, "{}");
	assert_refused(services_plain, "{\"services\":5}");
	assert_refused(services_plain, "{\"services\":{\"name\":\"web\"}}");
	assert_refused(services_plain, "{\"services\":[{\"name\":\"web\"},1]}");
	assert_refused(services_plain, "{\"services\":[null]}");
}

static void
test_status_hostile_text_rendered_safely(void **state)
{
	int r;
	char *out;

	(void)state;
	out = services("{\"services\":[{\"name\":\"we\\\"b\",\"state\":\"running\","
		       "\"status_text\":\"a\\u001b[31mred\\nnext\\r\\u0007\\u0000\\t\\u007f"
		       "\\u009b2J\\\"q\\\\\"}]}",
		       false, &r);
	assert_int_equal(r, 0);
	assert_no_control_bytes(out, "\n");
	assert_null(strstr(out, "\xc2\x9b")); /* C1 CSI */
	assert_string_equal(out, "NAME  STATE    PID  UPTIME  RESTARTS  READY  STATUS\n"
				 "we\"b  running  -    -       -         -      "
				 "a?[31mred?next??????2J\"q\\\n");
	free(out);
}

static void
test_status_utf8_aligned_by_characters(void **state)
{
	(void)state;
	/* "café" is 5 bytes and 4 columns; "✓" 3 bytes and 1 column */
	assert_render(services_plain,
		      "{\"services\":[{\"name\":\"caf\\u00e9\",\"state\":\"running\"},"
		      "{\"name\":\"\\u2713\",\"state\":\"done\"}]}",
		      "NAME  STATE    PID  UPTIME  RESTARTS  READY  STATUS\n"
		      "caf\xc3\xa9  running  -    -       -         -\n"
		      "\xe2\x9c\x93     done     -    -       -         -\n");
}

static void
test_status_colour_only_state(void **state)
{
	int r;
	char *out;

	(void)state;
	out = services("{\"services\":[{\"name\":\"a\",\"state\":\"running\",\"pid\":1},"
		       "{\"name\":\"b\",\"state\":\"failed\",\"pid\":2},"
		       "{\"name\":\"c\",\"state\":\"backoff\",\"pid\":3},"
		       "{\"name\":\"d\",\"state\":\"stopped\",\"pid\":4}]}",
		       true, &r);
	assert_int_equal(r, 0);
	/* padding follows the visible text, not the escape sequences */
	assert_string_equal(out, "NAME  STATE    PID  UPTIME  RESTARTS  READY  STATUS\n"
				 "a     \033[32mrunning\033[0m  1    -       -         -\n"
				 "b     \033[31mfailed\033[0m   2    -       -         -\n"
				 "c     \033[33mbackoff\033[0m  3    -       -         -\n"
				 "d     stopped  4    -       -         -\n");
	free(out);
	out = services("{\"services\":[{\"name\":\"a\",\"state\":\"running\"}]}", false, &r);
	assert_null(strchr(out, '\033'));
	free(out);
}

/* ---- safe text ------------------------------------------------------------ */

static char *
text_of(const char *s, size_t len, const char *keep)
{
	struct capture c;

	render_text(cap_open(&c), s, len, keep);
	return cap_close(&c);
}

static void
expect_text(const char *s, size_t len, const char *keep, const char *want)
{
	char *out = text_of(s, len, keep);

	assert_string_equal(out, want);
	free(out);
}

static void
test_text_replaces_controls_and_bad_utf8(void **state)
{
	(void)state;
	expect_text("plain", 5, NULL, "plain");
	expect_text("a\0b", 3, NULL, "a?b");
	expect_text("a\0b", 3, "\t", "a?b"); /* NUL is never "kept" */
	expect_text("\x1b[2J\a\b\r\n\x7f", 9, NULL, "?[2J?????");
	expect_text("t\tn\n", 4, "\t", "t\tn?");
	expect_text("t\tn\n", 4, "\n\t", "t\tn\n");
	expect_text("\xc2\x9b\xc2\x85", 4, NULL, "??");	  /* C1 controls */
	expect_text("\xc2\xa0x", 3, NULL, "\xc2\xa0x");	  /* NBSP is fine */
	expect_text("\xc0\xaf", 2, NULL, "??");		  /* overlong '/' */
	expect_text("\xe0\x80\xaf", 3, NULL, "???");	  /* overlong, 3 bytes */
	expect_text("\xed\xa0\x80", 3, NULL, "???");	  /* surrogate */
	expect_text("\xf4\x90\x80\x80", 4, NULL, "????"); /* past U+10FFFF */
	expect_text("\xe2\x82", 2, NULL, "??");		  /* truncated */
	expect_text("\xe2\x82\xac", 2, NULL, "??");	  /* truncated by LEN */
	expect_text("\xff\xfe", 2, NULL, "??");
	expect_text("\xe2\x82\xac \xf0\x9f\x98\x80", 8, NULL, "\xe2\x82\xac \xf0\x9f\x98\x80");
}

static void
test_width_counts_characters(void **state)
{
	(void)state;
	assert_int_equal(render_width("", 0), 0);
	assert_int_equal(render_width("abc", 3), 3);
	assert_int_equal(render_width("caf\xc3\xa9", 5), 4);
	assert_int_equal(render_width("\xf0\x9f\x98\x80", 4), 1);
	assert_int_equal(render_width("\xff\xfe", 2), 2);	  /* one '?' each */
	assert_int_equal(render_width("\xe2\x82", 2), 2);	  /* one '?' each */
	assert_int_equal(render_width("\xc2\x9b", 2), 1);	  /* one '?' */
	assert_int_equal(render_utf8_len("\xc2\xa9", 1), 0); /* cut short */
}

/* ---- parsing, errors ------------------------------------------------------ */

static void
expect_parse_error(const char *text, size_t len)
{
	char err[128];
	json_t *doc = (json_t *)1;

	assert_int_equal(render_parse(text, len, &doc, err, sizeof(err)), -EINVAL);
	assert_null(doc);
	assert_true(strlen(err) > 0);
	assert_no_control_bytes(err, "");
}

static void
test_parse_rejects_malformed(void **state)
{
	static char deep[200001];

	(void)state;
	expect_parse_error("", 0);
	expect_parse_error("not json", 8);
	expect_parse_error("[1,2]", 5);
	expect_parse_error("\"string\"", 8);
	expect_parse_error("{\"a\":1} {\"b\":2}", 15);
	expect_parse_error("{\"a\":1", 6);
	expect_parse_error("{\"a\":\"\xff\"}", 8);	       /* not UTF-8 */
	expect_parse_error("{\"a\":\"x\ny\"}", 10);      /* raw newline in a string */
	expect_parse_error("{\"\x1b[2J\":\x1b}", 10);    /* bytes quoted in the message */
	expect_parse_error("{\"a\":99999999999999999999}", 26);
	memset(deep, '[', sizeof(deep) - 1);
	expect_parse_error(deep, sizeof(deep) - 1); /* no stack overflow */
}

static void
test_parse_keeps_nul(void **state)
{
	json_t *doc = doc_of("{\"line\":\"a\\u0000b\"}");
	struct capture c;
	char *out;

	(void)state;
	assert_int_equal(render_log_line(cap_open(&c), doc), 0);
	out = cap_close(&c);
	assert_string_equal(out, "a?b\n");
	free(out);
	json_decref(doc);
}

static void
test_error_codes(void **state)
{
	json_t *doc;

	(void)state;
	doc = doc_of("{\"services\":[]}");
	assert_int_equal(render_error_code(doc), 0);
	json_decref(doc);
	doc = doc_of("{\"error\":\"start failed\",\"code\":1}");
	assert_int_equal(render_error_code(doc), 1);
	json_decref(doc);
	doc = doc_of("{\"error\":\"no such service: web\",\"code\":2}");
	assert_int_equal(render_error_code(doc), 2);
	json_decref(doc);
	doc = doc_of("{\"error\":\"x\"}");
	assert_int_equal(render_error_code(doc), 2);
	json_decref(doc);
	doc = doc_of("{\"error\":\"x\",\"code\":\"1\"}");
	assert_int_equal(render_error_code(doc), 2);
	json_decref(doc);
	doc = doc_of("{\"error\":null,\"code\":1}");
	assert_int_equal(render_error_code(doc), 1);
	json_decref(doc);
}

static void
expect_error_text(const char *json, const char *want)
{
	struct capture c;
	json_t *doc = doc_of(json);
	char *out;

	render_error(cap_open(&c), doc);
	out = cap_close(&c);
	assert_string_equal(out, want);
	free(out);
	json_decref(doc);
}

static void
test_error_text(void **state)
{
	(void)state;
	expect_error_text("{\"error\":\"no such service: web\",\"code\":2}",
			  "sextonctl: no such service: web\n");
	expect_error_text("{\"error\":\"bad\\nthing\\u001b]0;x\\u0007\",\"code\":2}",
			  "sextonctl: bad?thing?]0;x?\n");
	expect_error_text("{\"error\":5}",
			  "sextonctl: sexton reported an error without a message\n");
	expect_error_text("{\"error\":\"reload failed\",\"code\":1,\"errors\":"
			  "[\"a.conf:3: unknown key 'x'\",7,\"b.conf:9: bad\\nvalue\"]}",
			  "sextonctl: reload failed\n"
			  "a.conf:3: unknown key 'x'\n"
			  "b.conf:9: bad?value\n");
	expect_error_text("{\"error\":\"x\",\"errors\":\"not a list\"}", "sextonctl: x\n");
}

/* ---- ps ------------------------------------------------------------------- */

static void
test_ps_tree(void **state)
{
	(void)state;
	assert_render(render_ps,
		      "{\"processes\":["
		      "{\"pid\":60,\"ppid\":1,\"state\":\"R\","
		      "\"comm\":\"other\",\"service\":\"db\","
		      "\"wchan\":\"\",\"threads\":[]},"
		      "{\"pid\":43,\"ppid\":42,\"state\":\"S\","
		      "\"comm\":\"java\",\"service\":\"web\","
		      "\"wchan\":\"futex_wait\",\"threads\":[{\"tid\":43,"
		      "\"state\":\"S\",\"wchan\":\"x\"},"
		      "{\"tid\":44,\"state\":\"D\",\"wchan\":\"nfs_wait\"}]},"
		      "{\"pid\":1,\"ppid\":0,\"state\":\"S\",\"comm\":\"sexton\",\"service\":null,"
		      "\"wchan\":\"do_epoll_wait\",\"threads\":[]},"
		      "{\"pid\":42,\"ppid\":1,\"state\":\"S\",\"comm\":\"sh\",\"service\":\"web\","
		      "\"wchan\":\"do_wait\"},"
		      "{\"pid\":50,\"ppid\":43,\"state\":\"Z\","
		      "\"comm\":\"zombie\",\"service\":\"web\"}"
		      "]}",
		      "PID       STATE  WCHAN          SERVICE  FINDING  COMM\n"
		      "1         S      do_epoll_wait  -                 sexton\n"
		      "42        S      do_wait        web               \\_ sh\n"
		      "43        S      futex_wait     web                  \\_ java\n"
		      "  tid 43  S      x                                      \\_ {java}\n"
		      "  tid 44  D      nfs_wait                               \\_ {java}\n"
		      "50        Z      -              web                     \\_ zombie\n"
		      "60        R      -              db                \\_ other\n");
}

static void
test_ps_findings_and_threads(void **state)
{
	(void)state;
	/* a fake zombie: its leader is Z, its live thread is not */
	assert_render(render_ps,
		      "{\"processes\":["
		      "{\"pid\":1,\"ppid\":0,\"state\":\"S\",\"comm\":\"sexton\","
		      "\"wchan\":\"do_epoll_wait\",\"threads\":[{\"tid\":1,\"state\":\"S\","
		      "\"wchan\":\"\"}]},"
		      "{\"pid\":70,\"ppid\":1,\"state\":\"Z\",\"comm\":\"agent\","
		      "\"service\":\"agent\",\"wchan\":\"\",\"finding\":\"fake_zombie\","
		      "\"threads\":[{\"tid\":70,\"state\":\"Z\",\"wchan\":\"\"},"
		      "{\"tid\":71,\"state\":\"S\",\"wchan\":\"futex_wait_queue\"}]},"
		      "{\"pid\":80,\"ppid\":1,\"state\":\"D\",\"comm\":\"dd\","
		      "\"service\":\"backup\",\"wchan\":\"nfs_wait\",\"finding\":\"stuck\","
		      "\"threads\":[{\"tid\":80,\"state\":\"D\",\"wchan\":\"nfs_wait\"}]},"
		      "{\"pid\":90,\"ppid\":1,\"state\":\"S\",\"comm\":\"odd\","
		      "\"finding\":5},"
		      "{\"pid\":91,\"ppid\":1,\"state\":\"S\",\"comm\":\"x\","
		      "\"finding\":\"new\\u001b[2J\"}"
		      "]}",
		      "PID       STATE  WCHAN             SERVICE  FINDING      COMM\n"
		      "1         S      do_epoll_wait     -                     sexton\n"
		      "70        Z      -                 agent    fake_zombie  \\_ agent\n"
		      "  tid 70  Z      -                                          \\_ {agent}\n"
		      "  tid 71  S      futex_wait_queue                           \\_ {agent}\n"
		      "80        D      nfs_wait          backup   stuck        \\_ dd\n"
		      "90        S      -                 -        ?            \\_ odd\n"
		      "91        S      -                 -        new?[2J      \\_ x\n");
}

/* Thread rows per process are capped; the threads in odd states are kept. */
static void
test_ps_thread_rows_bounded(void **state)
{
	size_t cap = 200 * 64 + 128, len = 0, i, rows = 0;
	char *json = malloc(cap);
	char *out, *p;
	int r;

	(void)state;
	assert_non_null(json);
	len += (size_t)snprintf(json + len, cap - len,
				"{\"processes\":[{\"pid\":1000,\"ppid\":0,\"comm\":\"pool\","
				"\"threads\":[");
	for (i = 0; i < 200; i++)
		len += (size_t)snprintf(json + len, cap - len,
					"%s{\"tid\":%zu,\"state\":\"%s\",\"wchan\":\"w\"}",
					i ? "," : "", 1000 + i, i == 150 || i == 199 ? "D" : "S");
	snprintf(json + len, cap - len, "]}]}");
	out = render_with(render_ps, json, &r);
	assert_int_equal(r, 0);
	for (p = out; (p = strstr(p, "\n  tid ")); p++)
		rows++;
	assert_int_equal(rows, 32);
	assert_non_null(strstr(out, "\n  tid 1000 "));
	assert_non_null(strstr(out, "\n  tid 1029 "));
	assert_null(strstr(out, "\n  tid 1030 "));
	assert_non_null(strstr(out, "\n  tid 1150  D "));
	assert_non_null(strstr(out, "\n  tid 1199  D "));
	assert_non_null(strstr(out, "\n  ...  "));
	assert_non_null(strstr(out, "\\_ {168 more threads}\n"));
	free(out);
	free(json);
}

static void
test_ps_cycles_and_odd_shapes(void **state)
{
	int r;
	char *out;

	(void)state;
	/* a cycle, a self-parent, a duplicate pid, no pid, wrong types */
	out = render_with(render_ps,
			  "{\"processes\":["
			  "{\"pid\":10,\"ppid\":11,\"comm\":\"a\"},"
			  "{\"pid\":11,\"ppid\":10,\"comm\":\"b\"},"
			  "{\"pid\":12,\"ppid\":12,\"comm\":\"self\"},"
			  "{\"pid\":12,\"ppid\":12,\"comm\":\"dup\"},"
			  "{\"ppid\":12,\"comm\":\"nopid\",\"threads\":[1,{\"tid\":\"x\"}]},"
			  "{\"pid\":\"13\",\"ppid\":null,\"comm\":5,\"state\":[],\"threads\":{}}"
			  "]}",
			  &r);
	assert_int_equal(r, 0);
	assert_non_null(strstr(out, "a\n"));
	assert_non_null(strstr(out, "\\_ b\n"));
	assert_non_null(strstr(out, "self\n"));
	assert_non_null(strstr(out, "dup\n"));
	assert_non_null(strstr(out, "nopid\n"));
	assert_non_null(strstr(out, "{nopid}\n"));
	free(out);
	assert_refused(render_ps, "{}");
	assert_refused(render_ps, "{\"processes\":{}}");
	assert_refused(render_ps, "{\"processes\":[{\"pid\":1},\"x\"]}");
	assert_render(render_ps, "{\"processes\":[]}",
		      "PID  STATE  WCHAN  SERVICE  FINDING  COMM\n");
}

static void
test_ps_deep_chain(void **state)
{
	/* 3000 generations: no recursion, indentation capped */
	size_t cap = 3000 * 48 + 32, len = 0, i;
	char *json = malloc(cap);
	char *out, *last;
	int r;

	(void)state;
	assert_non_null(json);
	len += (size_t)snprintf(json + len, cap - len, "{\"processes\":[");
	for (i = 1; i <= 3000; i++)
		len += (size_t)snprintf(json + len, cap - len, "%s{\"pid\":%zu,\"ppid\":%zu}",
					i > 1 ? "," : "", i, i - 1);
	snprintf(json + len, cap - len, "]}");
	out = render_with(render_ps, json, &r);
	assert_int_equal(r, 0);
	last = strstr(out, "\n3000 ");
	assert_non_null(last);
	assert_true(strlen(last) < 120);
	free(out);
	free(json);
}

/* ---- doctor, check, log, metrics -------------------------------------------- */

static void
test_doctor_no_findings(void **state)
{
	(void)state;
	assert_render(render_doctor,
		      "{\"ok\":true,\"findings\":[],\"limits\":{\"pids\":120,\"pid_max\":4194304,"
		      "\"threads\":300,\"threads_max\":1000}}",
		      "no findings\nlimits: pids 120/4194304 (0.0%), threads 300/1000 (30.0%)\n");
	/* -1: the daemon could not read it */
	assert_render(render_doctor,
		      "{\"ok\":true,\"findings\":[],\"limits\":{\"pids\":-1,\"pid_max\":10,"
		      "\"threads\":3,\"threads_max\":-1}}",
		      "no findings\nlimits: pids ?/10, threads 3/?\n");
	/* a container's pids cgroup, when it has a limit */
	assert_render(render_doctor,
		      "{\"ok\":true,\"findings\":[],\"limits\":{\"pids\":7,\"pid_max\":100,"
		      "\"threads\":9,\"threads_max\":100,\"cgroup_pids\":10,\"cgroup_pids_max\":40}}",
		      "no findings\nlimits: pids 7/100 (7.0%), threads 9/100 (9.0%), "
		      "cgroup pids 10/40 (25.0%)\n");
	assert_refused(render_doctor, "{\"ok\":true}");
	assert_refused(render_doctor, "{\"ok\":true,\"findings\":{}}");
}

/* One block per kind, as the daemon (diagfmt_json) writes them. */
static void
test_doctor_kinds(void **state)
{
	(void)state;
	assert_render(render_doctor,
		      "{\"ok\":false,\"findings\":["
		      "{\"kind\":\"stuck\",\"pid\":42,\"comm\":\"dd\",\"tid\":44,\"state\":\"D\","
		      "\"wchan\":\"nfs_wait\",\"sigkill_pending\":true,"
		      "\"stack\":[\"nfs_wait\",\"vfs_read\",\"ksys_read\"],"
		      "\"holds\":[\"tcp 0.0.0.0:8080 LISTEN\",\"/var/lib/backup/db\"],"
		      "\"seconds\":125.5,\"service\":\"backup\","
		      "\"advice\":\"the NFS server must answer\"},"
		      "{\"kind\":\"stuck\",\"pid\":43,\"comm\":\"cat\",\"tid\":43,\"state\":\"D\","
		      "\"wchan\":\"\",\"sigkill_pending\":false,\"stack\":[],\"seconds\":12.25},"
		      "{\"kind\":\"fake_zombie\",\"pid\":7,\"comm\":\"agent\",\"state\":\"Z\","
		      "\"service\":\"agent\",\"threads\":["
		      "{\"tid\":8,\"state\":\"S\",\"wchan\":\"futex_wait_queue\"},"
		      "{\"tid\":9,\"state\":\"D\",\"wchan\":\"io_schedule\"}],"
		      "\"advice\":\"a thread still runs\"},"
		      "{\"kind\":\"traced_zombie\",\"pid\":9,\"comm\":\"x\",\"state\":\"Z\","
		      "\"tracer_pid\":10,\"tracer_comm\":\"strace\",\"advice\":\"detach\"},"
		      "{\"kind\":\"unreaped\",\"seconds\":40,\"parent_pid\":12,"
		      "\"parent_comm\":\"lazy\",\"count\":3,\"advice\":\"fix the parent\"},"
		      "{\"kind\":\"unreaped\",\"seconds\":0.5,\"parent_pid\":13,"
		      "\"parent_comm\":\"lazy2\",\"count\":1},"
		      "{\"kind\":\"limits\",\"advice\":\"raise pid_max\"}"
		      "],\"more\":3,\"limits\":{\"pids\":10,\"pid_max\":100,\"threads\":20,"
		      "\"threads_max\":100}}",
		      "stuck: pid 42 tid 44 (dd), service backup\n"
		      "  state D, wchan nfs_wait, seen for 125.5 s (2m5s), SIGKILL pending\n"
		      "  stack: nfs_wait < vfs_read < ksys_read\n"
		      "  holds: tcp 0.0.0.0:8080 LISTEN\n"
		      "  holds: /var/lib/backup/db\n"
		      "  advice: the NFS server must answer\n"
		      "\n"
		      "stuck: pid 43 (cat)\n"
		      "  state D, seen for 12.25 s\n"
		      "\n"
		      "fake_zombie: pid 7 (agent), service agent\n"
		      "  state Z\n"
		      "  thread 8: state S, wchan futex_wait_queue\n"
		      "  thread 9: state D, wchan io_schedule\n"
		      "  advice: a thread still runs\n"
		      "\n"
		      "traced_zombie: pid 9 (x), tracer 10 (strace)\n"
		      "  state Z\n"
		      "  advice: detach\n"
		      "\n"
		      "unreaped: parent 12 (lazy) has 3 zombies, oldest seen 40 s\n"
		      "  advice: fix the parent\n"
		      "\n"
		      "unreaped: parent 13 (lazy2) has 1 zombie, oldest seen 0.5 s\n"
		      "\n"
		      "limits\n"
		      "  advice: raise pid_max\n"
		      "\n"
		      "(3 more findings not listed)\n"
		      "\n"
		      "limits: pids 10/100 (10.0%), threads 20/100 (20.0%)\n");
}

/*
 * What the renderer does not know is still shown, after what it does and
 * before the advice; a known member of another type is shown as it is.
 */
static void
test_doctor_unknown_and_odd_members(void **state)
{
	(void)state;
	assert_render(render_doctor,
		      "{\"ok\":false,\"findings\":[{\"kind\":\"stuck\",\"pid\":5,\"comm\":\"w\","
		      "\"tid\":6,\"state\":\"D\",\"cgroup\":\"/system/w\",\"new_list\":[1,\"two\"],"
		      "\"advice\":\"wait\",\"nested\":{\"k\":\"\\u009b\"}}]}",
		      "stuck: pid 5 tid 6 (w)\n"
		      "  state D\n"
		      "  cgroup: /system/w\n"
		      "  new_list:\n"
		      "    1\n"
		      "    two\n"
		      "  nested: {\"k\":\"\\u009B\"}\n"
		      "  advice: wait\n");
	assert_render(render_doctor,
		      "{\"ok\":false,\"findings\":[{\"kind\":\"stuck\",\"pid\":\"42\",\"tid\":-1,"
		      "\"comm\":5,\"state\":null,\"wchan\":[\"a\"],\"seconds\":\"long\","
		      "\"sigkill_pending\":\"yes\",\"stack\":\"x\",\"threads\":[7,{\"tid\":\"t\"},"
		      "{\"tid\":3,\"state\":\"S\",\"wchan\":\"\",\"cpu\":2}],"
		      "\"holds\":[1,\"a\\u001b\"],\"service\":{},\"advice\":7,"
		      "\"tracer_pid\":0,\"parent_comm\":\"p\\n\"},"
		      "7,{},{\"kind\":{}},{\"kind\":\"\"}],\"more\":\"x\",\"limits\":{\"pids\":\"x\"}}",
		      "stuck: parent (p?)\n"
		      "  thread: 7\n"
		      "  thread: tid t\n"
		      "  thread 3: state S, cpu 2\n"
		      "  holds: 1\n"
		      "  holds: a?\n"
		      "  pid: 42\n"
		      "  comm: 5\n"
		      "  wchan:\n"
		      "    a\n"
		      "  seconds: long\n"
		      "  sigkill_pending: yes\n"
		      "  stack: x\n"
		      "  service: {}\n"
		      "  advice: 7\n"
		      "\n"
		      "7\n"
		      "\n"
		      "finding\n"
		      "\n"
		      "finding\n"
		      "  kind: {}\n"
		      "\n"
		      "finding\n"
		      "\n"
		      "limits: pids ?/?, threads ?/?\n");
}

static void
test_check(void **state)
{
	(void)state;
	assert_render(render_check, "{\"ok\":true,\"problems\":[]}", "ok\n");
	assert_render(render_check,
		      "{\"ok\":false,\"problems\":[\"web: failed (exit 1)\","
		      "\"db: not\\u001bready\"]}",
		      "web: failed (exit 1)\ndb: not?ready\n");
	assert_render(render_check, "{\"ok\":false}", "not ok\n");
	assert_refused(render_check, "{\"problems\":[]}");
	assert_refused(render_check, "{\"ok\":\"yes\"}");
}

static void
test_log_and_metrics(void **state)
{
	(void)state;
	assert_render(render_log_lines,
		      "{\"name\":\"web\",\"lines\":[\"one\",\"t\\tab\",5,\"x\\ry\"]}",
		      "one\nt\tab\nx?y\n");
	assert_render(render_log_lines, "{\"name\":\"web\",\"lines\":[]}", "");
	assert_refused(render_log_lines, "{\"name\":\"web\"}");
	assert_render(render_log_line, "{\"line\":\"hello \\\"x\\\"\"}", "hello \"x\"\n");
	assert_refused(render_log_line, "{\"line\":5}");
	assert_render(render_metrics, "{\"text\":\"a 1\\nb 2\\n\"}", "a 1\nb 2\n");
	assert_render(render_metrics, "{\"text\":\"a 1\\u001b\\nb 2\"}", "a 1?\nb 2\n");
	assert_render(render_metrics, "{\"text\":\"\"}", "");
	assert_refused(render_metrics, "{\"text\":null}");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_edges),
		cmocka_unit_test(test_duration_not_a_duration),
		cmocka_unit_test(test_status_table_aligned),
		cmocka_unit_test(test_status_rows),
		cmocka_unit_test(test_status_failed_shows_reason_or_exit),
		cmocka_unit_test(test_status_empty),
		cmocka_unit_test(test_status_missing_and_wrong_members),
		cmocka_unit_test(test_status_malformed_refused),
		cmocka_unit_test(test_status_hostile_text_rendered_safely),
		cmocka_unit_test(test_status_utf8_aligned_by_characters),
		cmocka_unit_test(test_status_colour_only_state),
		cmocka_unit_test(test_text_replaces_controls_and_bad_utf8),
		cmocka_unit_test(test_width_counts_characters),
		cmocka_unit_test(test_parse_rejects_malformed),
		cmocka_unit_test(test_parse_keeps_nul),
		cmocka_unit_test(test_error_codes),
		cmocka_unit_test(test_error_text),
		cmocka_unit_test(test_ps_tree),
		cmocka_unit_test(test_ps_findings_and_threads),
		cmocka_unit_test(test_ps_thread_rows_bounded),
		cmocka_unit_test(test_ps_cycles_and_odd_shapes),
		cmocka_unit_test(test_ps_deep_chain),
		cmocka_unit_test(test_doctor_no_findings),
		cmocka_unit_test(test_doctor_kinds),
		cmocka_unit_test(test_doctor_unknown_and_odd_members),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_log_and_metrics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
