/* SPDX-License-Identifier: BSD-2-Clause */
/* helper_proto.c - the request frame pam_yk_validate and pam_yk_ldap share */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper_proto.h"

int
hp_put(char *buf, size_t cap, size_t *o, const char *name, const char *value)
{
	int n;

	if (value == NULL)
		return 0;
	if (strpbrk(value, "\r\n") != NULL)
		return -1;
	n = snprintf(buf + *o, cap - *o, "%s %s\n", name, value);
	if (n < 0 || (size_t)n >= cap - *o)
		return -1;
	*o += (size_t)n;
	return 0;
}

char *
hp_finish(char *buf, size_t cap, size_t *o, bool ok)
{
	if (buf != NULL && ok && hp_put(buf, cap, o, "end", "") == 0)
		return buf;
	if (buf != NULL) {
		explicit_bzero(buf, cap);
		free(buf);
	}
	return NULL;
}

int
hp_number(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return *end != '\0' || errno != 0 || *v > max ? -1 : 0;
}

int
hp_parse(char *buf, size_t len, const char *head, hp_line_fn *line,
    void *ctx)
{
	bool seen_head = false, end = false;
	char *name, *save = NULL;

	if (len == 0 || strlen(buf) != len || buf[len - 1] != '\n')
		return -1;
	for (name = strtok_r(buf, "\n", &save); name != NULL;
	    name = strtok_r(NULL, "\n", &save)) {
		char *val = strchr(name, ' ');

		if (end || val == NULL)
			return -1;
		*val++ = '\0';
		if (!seen_head) {
			if (strcmp(name, head) != 0 || strcmp(val, "1") != 0)
				return -1;
			seen_head = true;
		} else if (strcmp(name, "end") == 0 && *val == '\0')
			end = true;
		else if (line(name, val, ctx) != 0)
			return -1;
	}
	return seen_head && end ? 0 : -1;
}
