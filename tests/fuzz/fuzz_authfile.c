/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_authfile.c - bytes through the mapping-file reader */
#include "config.h"

#include <stdint.h>
#include <stdio.h>

#include "authfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct af_entries e = { .n = 0 };
	const char *err;
	FILE *f;

	if (size == 0 || (f = fmemopen((void *)data, size, "r")) == NULL)
		return 0;
	if (authfile_read(f, "alice", &e, &err) == 0) {
		af_has(&e, "ccccccbbbbbb");
		af_count_tokens(&e, 12);
	}
	fclose(f);
	af_entries_free(&e);
	return 0;
}
