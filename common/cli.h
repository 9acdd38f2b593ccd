/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cli.h - what the command-line programs (ykvald, ykpamcfg and its check)
 * share: the one-line error and the getopt loop.  Programs only: the
 * module and its helpers never print or exit.
 */
#ifndef YK_CLI_H
#define YK_CLI_H

#include <getopt.h>

/*
 * Name the program ("ykvald", "ykpamcfg check": the prefix of every
 * error line) and its usage text (for -h and a bad option).
 */
void cli_init(const char *name, const char *usage);

/* "name: <fmt>" and a newline on stderr; returns 1, the exit code. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * getopt_long, for the loop of a program's parser:
 *	while ((c = cli_opt(argc, argv, "vh", lopts)) > 0)
 *		switch (c) { ... }
 *	if (c < 0)
 *		return -1;
 * Returns the next option, 0 after the last, or -1 for an unknown option
 * or a missing argument (the usage went to stderr).  -h (and a long
 * option that maps to 'h') prints the usage on stdout and exits 0.
 */
int cli_opt(int argc, char **argv, const char *shortopts,
    const struct option *longopts);

#endif
