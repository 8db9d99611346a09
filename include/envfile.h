/*
 * envfile — KEY=VALUE files (environment_file) and environment merging.
 *
 * Owns the format: one KEY=VALUE per line; blank lines and lines starting
 * with '#' are skipped; an optional "export " prefix is allowed; a value
 * wholly enclosed in single or double quotes loses them. KEY must be a
 * shell name ([A-Za-z_][A-Za-z0-9_]*). Pure apart from envfile_read.
 */
#ifndef SEXTON_ENVFILE_H
#define SEXTON_ENVFILE_H

#include <stddef.h>

struct env_vec {
	char **v; /* NULL-terminated when n > 0 */
	size_t n, cap;
};

/* Append one "K=V" (copied). Returns 0 or -ENOMEM. */
int env_push(struct env_vec *env, const char *kv);

/* Parse TEXT; append valid lines to ENV. Returns the 1-based number of the
 * first bad line (which is skipped), 0 if all were good, -ENOMEM. */
int envfile_parse(const char *text, size_t len, struct env_vec *env);

/* Read and parse PATH, a regular file of at most 1 MiB (-EINVAL for any
 * other kind, never waited on; -EFBIG when larger: never cut). Returns
 * envfile_parse's result, or -errno when the file cannot be read. */
int envfile_read(const char *path, struct env_vec *env);

/* One assignment per key: a later value replaces an earlier one, at the
 * earlier one's position. */
void env_dedupe(struct env_vec *env);

void env_free(struct env_vec *env);

#endif
