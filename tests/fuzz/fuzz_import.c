/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_import.c - bytes through the key import line parser */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *save = NULL;
	struct key_rec k;
	const char *err;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (char *l = strtok_r(s, "\n", &save); l != NULL;
	    l = strtok_r(NULL, "\n", &save))
		import_parse_line(l, &k, &err);
	free(s);
	return 0;
}
