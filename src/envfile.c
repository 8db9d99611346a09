/* envfile — see include/envfile.h. */
#include "envfile.h"
#include "regfile.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define ENVFILE_MAX_SIZE (1 << 20)

static int
push_n(struct env_vec *env, const char *s, size_t len)
{
	char **nv;
	char *copy;

	if (env->n + 2 > env->cap) {
		size_t cap = env->cap ? env->cap * 2 : 16;

		nv = realloc(env->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		env->v = nv;
		env->cap = cap;
	}
	copy = strndup(s, len);
	if (!copy)
		return -ENOMEM;
	env->v[env->n++] = copy;
	env->v[env->n] = NULL;
	return 0;
}

int
env_push(struct env_vec *env, const char *kv)
{
	return push_n(env, kv, strlen(kv));
}

static size_t
name_len(const char *s, size_t len)
{
	size_t i = 0;

	if (len == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '_'))
		i++;
	return i;
}

/* One line without its newline. Returns 1 if good, 0 if skipped, -1 bad. */
static int
parse_line(const char *p, size_t len, struct env_vec *env)
{
	size_t k, vlen;
	const char *v;
	char buf[4096];

	while (len && isspace((unsigned char)*p))
		p++, len--;
	while (len && isspace((unsigned char)p[len - 1]))
		len--;
	if (len == 0 || *p == '#')
		return 0;
	if (len > 7 && memcmp(p, "export ", 7) == 0)
		p += 7, len -= 7;
	k = name_len(p, len);
	if (k == 0 || k >= len || p[k] != '=')
		return -1;
	v = p + k + 1;
	vlen = len - k - 1;
	if (vlen >= 2 && (v[0] == '"' || v[0] == '\'') && v[vlen - 1] == v[0])
		v++, vlen -= 2;
	if (k + 1 + vlen >= sizeof(buf))
		return -1;
	memcpy(buf, p, k + 1);
	memcpy(buf + k + 1, v, vlen);
	return push_n(env, buf, k + 1 + vlen) < 0 ? -2 : 1;
}

int
envfile_parse(const char *text, size_t len, struct env_vec *env)
{
	const char *p = text, *end = text + len, *nl;
	int line = 0, bad = 0, rc;

	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3; /* a UTF-8 byte order mark (an editor's), not part of a key */
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		line++;
		rc = parse_line(p, (size_t)(nl - p), env);
		if (rc == -2)
			return -ENOMEM;
		if (rc < 0 && !bad)
			bad = line;
		p = nl + 1;
	}
	return bad;
}

int
envfile_read(const char *path, struct env_vec *env)
{
	struct stat st;
	char *text;
	size_t len;
	int rc = regfile_read(path, ENVFILE_MAX_SIZE, &text, &len, &st);

	if (rc < 0)
		return rc;
	rc = envfile_parse(text, len, env);
	free(text);
	return rc;
}

static bool
same_key(const char *a, const char *b)
{
	const char *ea = strchr(a, '='), *eb = strchr(b, '=');
	size_t la = ea ? (size_t)(ea - a) : strlen(a), lb = eb ? (size_t)(eb - b) : strlen(b);

	return la == lb && memcmp(a, b, la) == 0;
}

void
env_dedupe(struct env_vec *env)
{
	size_t i, j, out = 0;

	/* Later assignments win, at the position of the first one. */
	for (i = 0; i < env->n; i++) {
		for (j = 0; j < out; j++)
			if (same_key(env->v[j], env->v[i]))
				break;
		if (j < out) {
			free(env->v[j]);
			env->v[j] = env->v[i];
		} else {
			env->v[out++] = env->v[i];
		}
	}
	env->n = out;
	if (env->v)
		env->v[out] = NULL;
}

void
env_free(struct env_vec *env)
{
	size_t i;

	for (i = 0; i < env->n; i++)
		free(env->v[i]);
	free(env->v);
	env->v = NULL;
	env->n = env->cap = 0;
}
