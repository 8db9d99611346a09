/*
 * diagfmt — a diagnostics report as JSON and as text.
 *
 * JSON is the `doctor` answer (SPEC "Diagnostics"; fields that do not
 * apply to a kind are omitted). Text is what goes to the log: the SIGUSR1
 * report, background findings, and the stuck report at shutdown.
 */
#ifndef SEXTON_DIAGFMT_H
#define SEXTON_DIAGFMT_H

#include "diag.h"
#include "json.h"

/* {"ok":..,"findings":[..],"limits":{..}} */
void diagfmt_json(struct json *j, const struct diag_report *r);
void diagfmt_json_finding(struct json *j, const struct diag_finding *f);

/* Each line of F's text (no newline) to EMIT: a headline, then
 * "  stack: ...", "  holds: ...", "  advice: ..." lines. */
typedef void diagfmt_emit_fn(void *ctx, const char *line);
void diagfmt_text(const struct diag_finding *f, diagfmt_emit_fn *emit, void *ctx);

#endif
