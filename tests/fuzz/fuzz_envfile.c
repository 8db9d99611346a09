/* Fuzz target: environment_file parsing and merging. */
#include <stdint.h>
#include <string.h>

#include "envfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct env_vec env = { 0 };
	size_t i;

	if (envfile_parse((const char *)data, size, &env) >= 0) {
		env_dedupe(&env);
		for (i = 0; i < env.n; i++)
			if (!strchr(env.v[i], '='))
				__builtin_trap(); /* every kept entry is an assignment */
	}
	env_free(&env);
	return 0;
}
