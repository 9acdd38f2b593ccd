/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_state.c - bytes through the challenge-response state parser */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cr_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char resp[CR_RESPONSE_LEN];
	struct cr_state st;
	const char *err;
	char out[CR_STATE_MAX];

	if (cr_state_parse((const char *)data, size, &st, &err) != 0)
		return 0;
	if (st.slot != 1 && st.slot != 2)
		abort();
	if (st.version == 2) {
		if (st.iterations < 1 || st.iterations > CR_ITER_MAX ||
		    cr_state_format(&st, out, sizeof(out)) < 0)
			abort();
		/* Checking costs PBKDF2: only for small counts. */
		if (st.iterations <= 16)
			cr_state_matches(&st, resp);
	}
	return 0;
}
