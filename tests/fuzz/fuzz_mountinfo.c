/* Fuzz target: /proc/self/mountinfo as cgroupfs_dir and system mode's
 * mountinfo_point read it, and /proc/PID/cgroup as cgroupfs_path does, on
 * any bytes. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroupfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const controllers[] = { "freezer", "", "cpu" };
	static const char *const paths[] = { "/", "/docker/abc/stuck", "/a b/c" };
	char *text = malloc(size + 1), out[64];
	const char *line;
	size_t c, p;
	int rc;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (c = 0; c < 3; c++)
		for (p = 0; p < 3; p++) {
			rc = cgroupfs_dir(text, controllers[c], paths[p], out, sizeof(out));
			if (rc == 0 && strlen(out) >= sizeof(out))
				__builtin_trap();
			if (rc != 0 && rc != -ENOENT && rc != -ENAMETOOLONG)
				__builtin_trap();
		}
	for (c = 0; c < 3; c++) {
		rc = cgroupfs_path(text, controllers[c], out, sizeof(out));
		if ((rc == 0 && strlen(out) >= sizeof(out)) ||
		    (rc != 0 && rc != -ENOENT && rc != -ENAMETOOLONG))
			__builtin_trap();
	}
	for (line = text; *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : "") {
		rc = mountinfo_point(line, out, sizeof(out));
		if ((rc == 0 && strlen(out) >= sizeof(out)) ||
		    (rc != 0 && rc != -EINVAL && rc != -ENAMETOOLONG))
			__builtin_trap();
	}
	free(text);
	return 0;
}
