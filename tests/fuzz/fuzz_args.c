/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_args.c - bytes as PAM module arguments through cfg_parse: one
 * argument a line, so that an argument may hold spaces (libpam's
 * "[a b]").  conf= is kept: it opens what it names (fuzz_conf.c feeds
 * such files).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

#define MAX_ARGS	32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *argv[MAX_ARGS];
	char *s = malloc(size + 1), err[256];
	struct cfg cfg;
	int argc = 0;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (char *a = s; a <= s + size && argc < MAX_ARGS;) {
		char *nl = strchr(a, '\n');

		if (nl != NULL)
			*nl = '\0';
		argv[argc++] = a;
		if (nl == NULL)
			break;
		a = nl + 1;
	}
	err[0] = '\0';
	if (cfg_parse(argc, argv, &cfg, err, sizeof(err)) != 0 && err[0] == '\0')
		abort();	/* every refusal says why */
	cfg_free(&cfg);
	free(s);
	return 0;
}
