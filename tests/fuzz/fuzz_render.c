/* Fuzz target: sextonctl's reading of a response line. The server is not
 * trusted (a socket path can name anything), so whatever JSON it sends,
 * every renderer must write without crashing, and render_text must write
 * no control byte, C1 control or invalid UTF-8 to the terminal. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "sextonctl_render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What render_text wrote must be clean, and one column per character. */
static void
check_text(const char *s, size_t len)
{
	char *out = NULL;
	size_t outlen = 0, i, n;
	FILE *f = open_memstream(&out, &outlen);

	if (!f)
		return;
	render_text(f, s, len, "\t");
	fclose(f);
	if (!out)
		return;
	for (i = 0; i < outlen; i += n) {
		unsigned char c = (unsigned char)out[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			__builtin_trap();
		n = render_utf8_len(out + i, outlen - i);
		if (n == 0 || (n == 2 && c == 0xc2 && (unsigned char)out[i + 1] < 0xa0))
			__builtin_trap(); /* invalid UTF-8, or a C1 control */
	}
	if (render_width(out, outlen) != render_width(s, len))
		__builtin_trap();
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	char err[256], buf[32];
	json_t *doc;

	if (!sink && !(sink = fopen("/dev/null", "we")))
		abort();
	check_text((const char *)data, size);
	if (render_parse((const char *)data, size, &doc, err, sizeof(err)) < 0)
		return 0;
	if (render_error_code(doc) < 0 || render_error_code(doc) > 2)
		__builtin_trap();
	render_error(sink, doc);
	render_services(sink, doc, true);
	render_services(sink, doc, false);
	render_ps(sink, doc);
	render_doctor(sink, doc);
	render_check(sink, doc);
	render_log_lines(sink, doc);
	render_log_line(sink, doc);
	render_metrics(sink, doc);
	render_duration(buf, sizeof(buf), json_number_value(json_object_get(doc, "uptime_s")));
	json_decref(doc);
	return 0;
}
