/*
 * libFuzzer target: any text through cfg_parse_string.
 *
 * Beyond "no crash, no leak" it checks the parser's own promises:
 * a valid result is complete and ordered, a rejected one owns nothing,
 * and the line reader never disagrees with inih ("internal error").
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define ETC_DIR "tests/fixtures/etc"

static void
check_valid(const struct cfg *cfg)
{
	size_t i, k, *order, *pos;

	order = malloc((cfg->nservices + 1) * sizeof(*order));
	pos = malloc((cfg->nservices + 1) * sizeof(*pos));
	if (!order || !pos)
		abort();
	if (cfg_start_order(cfg, order) != 0)
		abort();
	for (i = 0; i < cfg->nservices; i++)
		pos[order[i]] = i;
	for (i = 0; i < cfg->nservices; i++) {
		const struct cfg_service *s = &cfg->services[i];

		if (!s->name || !s->argv || !s->argv[0] || !s->argv[0][0] || !s->env || !s->file)
			abort();
		if (cfg_find_service(cfg, s->name) != s)
			abort();
		if (cfg_service_changed(s, s) != 0)
			abort();
		if (s->type != SVC_NOTIFY && (s->ready_fd >= 0 || s->watchdog > 0))
			abort();
		if (s->restart_delay_max < s->restart_delay)
			abort();
		/* Dependencies start first. */
		for (k = 0; k < s->ndepends; k++) {
			const struct cfg_service *d = cfg_find_service(cfg, s->depends[k]);

			if (!d || pos[d - cfg->services] >= pos[i])
				abort();
		}
	}
	free(order);
	free(pos);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg_errors errs = { 0 };
	struct cfg cfg;
	char *text, line[1024];
	size_t i;
	int rc;

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	rc = cfg_parse_string(text, "fuzz.conf", ETC_DIR, &cfg, &errs);
	if (rc == 0) {
		if (errs.n != 0)
			abort();
		check_valid(&cfg);
		cfg_free(&cfg);
	} else {
		if (rc != -1 || errs.n == 0 || cfg.services || cfg.nservices || cfg.socket)
			abort();
		for (i = 0; i < errs.n; i++) {
			cfg_error_format(&errs.v[i], line, sizeof(line));
			/* The reader and inih disagreed about a line. (Every message
			 * starts with sexton's text, never with the input's.) */
			if (strncmp(errs.v[i].msg, "internal error:", 15) == 0)
				abort();
		}
	}
	cfg_errors_free(&errs);
	free(text);
	return 0;
}
