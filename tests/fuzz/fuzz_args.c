/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_args.c - bytes as PAM module arguments through cfg_parse */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *argv[16];
	char *s = malloc(size + 1), *save = NULL, err[256];
	struct cfg cfg;
	int argc = 0;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	/* conf= would read files: the harness keeps to the arguments. */
	for (char *a = strtok_r(s, " \n", &save); a != NULL && argc < 16;
	    a = strtok_r(NULL, " \n", &save))
		if (strncmp(a, "conf=", 5) != 0 && strncmp(a, "debug_file=", 11) != 0)
			argv[argc++] = a;
	cfg_parse(argc, argv, &cfg, err, sizeof(err));
	cfg_free(&cfg);
	free(s);
	return 0;
}
