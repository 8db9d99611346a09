/*
 * exitstatus — from a wait(2) status to the exit code sexton passes on.
 *
 * Owns the container contract: the main child's exit code, or 128+N when
 * it was killed by signal N, then the -e remapping (CODE → 0), as tini.
 */
#ifndef SEXTON_EXITSTATUS_H
#define SEXTON_EXITSTATUS_H

#include <stdbool.h>
#include <stddef.h>

/* Exit code a shell would report for wait status WSTATUS: code, or 128+N. */
int exit_code_of(int wstatus);

/* "exited with code N" or "killed by SIGNAME", for messages. Returns BUF. */
const char *exit_status_text(int wstatus, char *buf, size_t len);

/* CODE, or 0 when CODE is one of REMAP[0..N). */
int exit_code_remap(int code, const int *remap, size_t n);

#endif
