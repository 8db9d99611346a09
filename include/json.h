/*
 * json — a small JSON writer for control-socket responses.
 *
 * Owns a growable output buffer and the comma bookkeeping. Strings are
 * escaped per RFC 8259 (quote, backslash, control bytes) and bytes that
 * are not valid UTF-8 become U+FFFD, so a service name or a status line
 * with arbitrary bytes can never break the document. Writing only: sexton
 * never parses JSON (sextonctl does, with jansson).
 *
 * Out of memory makes every later call a no-op and json_finish() fail, so
 * callers check once at the end.
 */
#ifndef SEXTON_JSON_H
#define SEXTON_JSON_H

#include <stdbool.h>
#include <stddef.h>

#define JSON_MAX_DEPTH 16

struct json {
	char *buf;
	size_t len, cap;
	bool oom;
	int depth;
	bool first[JSON_MAX_DEPTH]; /* nothing written yet at this level */
	bool after_key;
};

void json_init(struct json *j);
void json_free(struct json *j);

void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);

void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s); /* NULL writes null */
void json_strn(struct json *j, const char *s, size_t len);
void json_int(struct json *j, long long v);
void json_double(struct json *j, double v); /* 3 decimals; NaN/inf → null */
void json_bool(struct json *j, bool v);
void json_write_null(struct json *j); /* not json_null: jansson has that name */

/* Append '\n' and return the text (owned by J), or NULL when out of memory. */
const char *json_finish(struct json *j, size_t *len);

#endif
