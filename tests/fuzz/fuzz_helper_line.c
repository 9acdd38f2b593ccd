/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_helper_line.c - the setuid helper's output as the module reads it:
 * the first byte as its exit code through helper_result, the rest line
 * by line through helper_parse_line.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cr_helper.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	enum yk_result r;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (size > 0 && helper_result(data[0], &r) == 0 &&
	    helper_exit_code(r) != data[0])
		abort();
	for (char *p = s + (size > 0); p < s + size;) {
		char *nl = memchr(p, '\n', (size_t)(s + size - p));
		size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(s + size - p);
		const char *text = (const char *)1;
		enum helper_line k;

		p[len] = '\0';	/* the module NUL-terminates each line */
		k = helper_parse_line(p, len, &text);
		if (k == HELPER_LINE_BAD ? text != NULL :
		    text == NULL || text < p || text > p + len ||
		    strlen(text) != (size_t)(p + len - text))
			abort();
		/* No control character ever reaches the user or the log. */
		for (const char *t = text; k != HELPER_LINE_BAD && *t; t++)
			if ((unsigned char)*t < 0x20 || *t == 0x7f)
				abort();
		p += len + 1;
	}
	free(s);
	return 0;
}
