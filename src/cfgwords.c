/* cfgwords — see include/cfgwords.h. */
#include "cfgwords.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct wordv {
	char **v;
	size_t n, cap;
};

static int
wordv_push(struct wordv *wv, const char *word, size_t len)
{
	char **nv;
	char *w;

	/* Keep room for the NULL terminator. */
	if (wv->n + 2 > wv->cap) {
		size_t ncap = wv->cap ? wv->cap * 2 : 8;

		nv = realloc(wv->v, ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		nv[wv->n] = NULL; /* terminated even if the copy below fails */
		wv->v = nv;
		wv->cap = ncap;
	}
	w = malloc(len + 1);
	if (!w)
		return -ENOMEM;
	memcpy(w, word, len);
	w[len] = '\0';
	wv->v[wv->n++] = w;
	wv->v[wv->n] = NULL;
	return 0;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* Inside double quotes a backslash only escapes these. */
static bool
dq_escapable(char c)
{
	return c == '$' || c == '`' || c == '"' || c == '\\' || c == '\n';
}

/*
 * Scan one word starting at *P (not a blank) into BUF. Returns its length,
 * or -1 with *WHY set. *P is left on the character after the word.
 * IN_WORD tells whether anything, even "", started a word.
 */
static long
scan_word(const char **p, char *buf, bool *in_word, const char **why)
{
	const char *s = *p;
	size_t len = 0;

	*in_word = false;
	while (*s && !is_blank(*s)) {
		if (*s == '\\') {
			if (s[1] == '\0') {
				*why = "trailing backslash";
				return -1;
			}
			if (s[1] != '\n') {
				buf[len++] = s[1];
				*in_word = true;
			}
			s += 2;
		} else if (*s == '\'') {
			const char *end = strchr(s + 1, '\'');

			if (!end) {
				*why = "unterminated single quote";
				return -1;
			}
			memcpy(buf + len, s + 1, (size_t)(end - s - 1));
			len += (size_t)(end - s - 1);
			*in_word = true;
			s = end + 1;
		} else if (*s == '"') {
			for (s++; *s != '"'; s++) {
				if (*s == '\0') {
					*why = "unterminated double quote";
					return -1;
				}
				if (*s == '\\' && dq_escapable(s[1])) {
					s++;
					if (*s == '\n')
						continue;
				}
				buf[len++] = *s;
			}
			*in_word = true;
			s++;
		} else {
			buf[len++] = *s++;
			*in_word = true;
		}
	}
	*p = s;
	return (long)len;
}

int
cfgw_split(const char *text, char ***words, size_t *nwords, const char **why)
{
	struct wordv wv = { 0 };
	const char *p = text;
	char *buf;
	int rc = 0;

	*words = NULL;
	if (nwords)
		*nwords = 0;
	*why = NULL;
	/* A word is never longer than the text it comes from. */
	buf = malloc(strlen(text) + 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		bool in_word;
		long len;

		while (is_blank(*p))
			p++;
		if (*p == '\0')
			break;
		len = scan_word(&p, buf, &in_word, why);
		if (len < 0) {
			rc = -EINVAL;
			break;
		}
		/* A lone backslash-newline is no word at all. */
		if (!in_word)
			continue;
		rc = wordv_push(&wv, buf, (size_t)len);
		if (rc < 0)
			break;
	}
	free(buf);
	if (rc == 0 && !wv.v) {
		wv.v = calloc(1, sizeof(*wv.v));
		if (!wv.v)
			rc = -ENOMEM;
	}
	if (rc < 0) {
		cfgw_free(wv.v);
		return rc;
	}
	*words = wv.v;
	if (nwords)
		*nwords = wv.n;
	return 0;
}

void
cfgw_free(char **words)
{
	size_t i;

	if (!words)
		return;
	for (i = 0; words[i]; i++)
		free(words[i]);
	free(words);
}
