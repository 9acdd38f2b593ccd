/* SPDX-License-Identifier: BSD-2-Clause */
/* cli.c - the one-line error and the getopt loop of our programs */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static const char *cli_name = PACKAGE_NAME;
static const char *cli_usage = "";

void
cli_init(const char *name, const char *usage)
{
	cli_name = name;
	cli_usage = usage;
}

int
cli_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cli_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int
cli_opt(int argc, char **argv, const char *shortopts,
    const struct option *longopts)
{
	int c = getopt_long(argc, argv, shortopts, longopts, NULL);

	if (c == -1)
		return 0;
	if (c == 'h') {
		fputs(cli_usage, stdout);
		exit(0);
	}
	if (c == '?' || c == ':' || c <= 0) {
		fputs(cli_usage, stderr);
		return -1;
	}
	return c;
}
