/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_helper_args.c - bytes as the setuid helper's argv through
 * helper_check_args: any local user chooses them.  The input is split on
 * NUL bytes into arguments (argv[0] included), as execve passes them.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cr_helper.h"
#include "cr_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *argv[8];
	struct helper_args a;
	const char *why = NULL;
	int argc = 0;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (char *p = s; p <= s + size && argc < 7; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	if (helper_check_args(argc, argv, &a, &why) == 0) {
		/* What the helper goes on with keeps the module's own rules. */
		if (a.user == NULL || a.dir == NULL || cr_user_bad(a.user) != NULL ||
		    cfg_chalresp_path_bad(a.dir) != NULL ||
		    a.timeout_s < 1 || a.timeout_s > 60 ||
		    (a.cue != NULL && cfg_cue_bad(a.cue) != NULL))
			abort();
	} else if (why == NULL || why[0] == '\0')
		abort();
	free(s);
	return 0;
}
