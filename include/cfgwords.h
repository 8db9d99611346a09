/*
 * cfgwords — split a configuration value into words the way a POSIX shell
 * splits a simple command, and nothing more.
 *
 * Owns the quoting rules used by `command`, `environment`, `depends`,
 * `mounts` and `include`:
 *   - blanks (space, tab, newline) outside quotes separate words;
 *   - 'single quotes' keep everything literally up to the next quote;
 *   - "double quotes" keep everything literally except that a backslash
 *     escapes $ ` " \ and newline (any other backslash stays as is);
 *   - outside quotes a backslash keeps the next character literally, and
 *     backslash-newline disappears;
 *   - "" and '' make an empty word.
 * There is no variable expansion, no globbing, no comment, no operator:
 * $HOME, *, # and | are ordinary characters. No shell is ever run.
 *
 * Pure: no state, no I/O.
 */
#ifndef SEXTON_CFGWORDS_H
#define SEXTON_CFGWORDS_H

#include <stddef.h>

/*
 * Split TEXT into a NULL-terminated array of words, stored in *WORDS
 * (count in *NWORDS, which may be NULL). Free it with cfgw_free().
 * Returns 0; -EINVAL on a syntax error, with *WHY set to a static
 * message ("unterminated double quote"); -ENOMEM. On error *WORDS is NULL.
 */
int cfgw_split(const char *text, char ***words, size_t *nwords, const char **why);

void cfgw_free(char **words);

#endif
