/*
 * sextonctl_render — sextonctl's human output.
 *
 * Owns turning a control-socket response (PROTOCOL.md) into what a person
 * reads: aligned tables, humanised durations, colour. Pure: it writes only
 * to the FILE it is given and never exits, so it is tested on strings.
 *
 * The server is not trusted. Every member may be missing or of another
 * type: a cell then shows "-" or "?", and a document without the member a
 * command is about (no "services" array for status) returns -EINVAL before
 * anything is written. Every string from the server goes through
 * render_text, so no control byte, C1 control or invalid UTF-8 reaches
 * the terminal.
 */
#ifndef SEXTON_SEXTONCTL_RENDER_H
#define SEXTON_SEXTONCTL_RENDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * Parse one response line (LEN bytes, without its newline) into *DOC, a
 * JSON object the caller releases with json_decref. Returns 0, or -EINVAL
 * with a one-line reason in ERR.
 */
int render_parse(const char *text, size_t len, json_t **doc, char *err, size_t errlen);

/* 0 when DOC has no "error" member; else the exit code: 1 for code 1, 2 otherwise. */
int render_error_code(const json_t *doc);

/* "sextonctl: MESSAGE" and each line of "errors" (reload's FILE:LINE), on OUT. */
void render_error(FILE *out, const json_t *doc);

/* The status table of DOC's "services"; COLOR tints the STATE column. */
int render_services(FILE *out, const json_t *doc, bool color);

/*
 * The process tree of DOC's "processes": PID STATE WCHAN SERVICE FINDING
 * COMM. Under a process with more than its leader, a "  tid N" row per
 * thread (at most 32; those not in R, S or I are kept first).
 */
int render_ps(FILE *out, const json_t *doc);

/*
 * "no findings", or one block per finding: a headline ("stuck: pid 42 tid
 * 44 (dd), service backup"), detail lines, any member it does not know as
 * "key: value", and "advice: ..." last; then the limits line.
 */
int render_doctor(FILE *out, const json_t *doc);

/* "ok", or the problems one per line. */
int render_check(FILE *out, const json_t *doc);

/* The "lines" of a log response, one per line. */
int render_log_lines(FILE *out, const json_t *doc);

/* The "line" of one log -f follow-up. */
int render_log_line(FILE *out, const json_t *doc);

/* The "text" of a metrics response, as is (control bytes but newline and tab replaced). */
int render_metrics(FILE *out, const json_t *doc);

/*
 * SECONDS as "45s", "12m3s", "3h4m", "2d5h" into BUF; "-" when negative
 * or not a number. Returns BUF.
 */
const char *render_duration(char *buf, size_t len, double seconds);

/*
 * Write LEN bytes of S to OUT with each control byte (those in KEEP, e.g.
 * "\t", excepted), each C1 control and each byte of invalid UTF-8 replaced
 * by '?'.
 */
void render_text(FILE *out, const char *s, size_t len, const char *keep);

/* Columns S takes on a terminal: one per character render_text writes. */
size_t render_width(const char *s, size_t len);

/* Length of the valid UTF-8 sequence at S (at most LEN bytes), 0 when invalid. */
size_t render_utf8_len(const char *s, size_t len);

#endif
