/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_state_name.c - directory entry names through cr_state_name, which
 * says which files of chalresp_path are a user's state files.  The input
 * is "BASE\0NAME": a user's base name and a name found in the directory.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cr_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 2), *name, back[300];
	unsigned serial = 12345;
	int r;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = s[size + 1] = '\0';
	name = s + strlen(s) + 1;
	if (name > s + size)
		name = s + size + 1;	/* no NUL: an empty name */
	r = cr_state_name(name, s, &serial);
	if (r < -1 || r > 1)
		abort();
	if (r == 1) {
		/* A match is BASE or BASE-SERIAL, and names that one file. */
		if (serial == 0)
			snprintf(back, sizeof(back), "%s", s);
		else
			snprintf(back, sizeof(back), "%s-%u", s, serial);
		if (strlen(s) < 250 && strcmp(back, name) != 0)
			abort();
		if (serial != 0 && !cr_name_has_serial(name))
			abort();
	}
	free(s);
	return 0;
}
