/* json — see include/json.h. */
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
json_init(struct json *j)
{
	memset(j, 0, sizeof(*j));
	j->first[0] = true;
}

void
json_free(struct json *j)
{
	free(j->buf);
	json_init(j);
}

static void
put(struct json *j, const char *s, size_t n)
{
	char *nb;
	size_t cap;

	if (j->oom)
		return;
	if (j->len + n + 1 > j->cap) {
		cap = j->cap ? j->cap : 256;
		while (cap < j->len + n + 1)
			cap *= 2;
		nb = realloc(j->buf, cap);
		if (!nb) {
			j->oom = true;
			return;
		}
		j->buf = nb;
		j->cap = cap;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

/* Before any value: the comma, unless it follows a key. */
static void
sep(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (!j->first[j->depth])
		put(j, ",", 1);
	j->first[j->depth] = false;
}

static void
open_level(struct json *j, char c)
{
	sep(j);
	put(j, &c, 1);
	if (j->depth + 1 < JSON_MAX_DEPTH)
		j->first[++j->depth] = true;
	else
		j->oom = true; /* deeper than any response we build: a bug */
}

static void
close_level(struct json *j, char c)
{
	put(j, &c, 1);
	if (j->depth > 0)
		j->depth--;
}

void json_obj_begin(struct json *j) { open_level(j, '{'); }
void json_obj_end(struct json *j) { close_level(j, '}'); }
void json_arr_begin(struct json *j) { open_level(j, '['); }
void json_arr_end(struct json *j) { close_level(j, ']'); }

/* Length of the valid UTF-8 sequence at S (at most N bytes), 0 if invalid. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and beyond U+10FFFF are invalid. */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void
put_escaped(struct json *j, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	char esc[8];
	size_t i = 0, run, l;

	put(j, "\"", 1);
	while (i < n) {
		/* Copy runs of plain characters in one go. */
		for (run = i; run < n && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' &&
			      p[run] != '\\';
		     run++)
			;
		put(j, s + i, run - i);
		if ((i = run) >= n)
			break;
		if (p[i] == '"' || p[i] == '\\') {
			esc[0] = '\\', esc[1] = (char)p[i];
			put(j, esc, 2), i++;
		} else if (p[i] < 0x20) {
			const char *named = p[i] == '\n' ? "\\n" : p[i] == '\t' ? "\\t" : p[i] == '\r' ? "\\r" : NULL;

			if (named)
				put(j, named, 2);
			else
				put(j, esc, (size_t)snprintf(esc, sizeof(esc), "\\u%04x", p[i]));
			i++;
		} else if ((l = utf8_len(p + i, n - i)) > 0) {
			put(j, s + i, l), i += l;
		} else {
			put(j, "\\ufffd", 6), i++;
		}
	}
	put(j, "\"", 1);
}

void
json_key(struct json *j, const char *key)
{
	sep(j);
	put_escaped(j, key, strlen(key));
	put(j, ":", 1);
	j->after_key = true;
}

void
json_strn(struct json *j, const char *s, size_t len)
{
	sep(j);
	put_escaped(j, s, len);
}

void
json_str(struct json *j, const char *s)
{
	if (!s) {
		json_write_null(j);
		return;
	}
	json_strn(j, s, strlen(s));
}

void
json_int(struct json *j, long long v)
{
	char b[24];

	sep(j);
	put(j, b, (size_t)snprintf(b, sizeof(b), "%lld", v));
}

void
json_double(struct json *j, double v)
{
	char b[40];

	if (!isfinite(v)) {
		json_write_null(j);
		return;
	}
	sep(j);
	put(j, b, (size_t)snprintf(b, sizeof(b), "%.3f", v));
}

void
json_bool(struct json *j, bool v)
{
	sep(j);
	put(j, v ? "true" : "false", v ? 4 : 5);
}

void
json_write_null(struct json *j)
{
	sep(j);
	put(j, "null", 4);
}

const char *
json_finish(struct json *j, size_t *len)
{
	put(j, "\n", 1);
	if (j->oom)
		return NULL;
	*len = j->len;
	return j->buf;
}
