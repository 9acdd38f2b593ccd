/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_ykvald_opts.c - bytes as ykvald's command-line options through its
 * own parse_opts, parse_pos and key_from_args (server/main.c is compiled
 * into this harness, main renamed; nothing is run).  The input is the
 * arguments after the command, split on NUL bytes.  --help calls exit:
 * here it returns to the harness.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wrap_exit.h"

int ykvald_main(int argc, char **argv);
#define main		ykvald_main
#include "../../server/main.c"
#undef main

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS	32

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int all[] = { O_DB, O_LISTEN, O_CERT, O_KEY, O_READY,
		O_MAXC, O_MAXIP, O_RTIME, O_ID, O_JSON, O_PUB, O_PRIV, O_AES,
		O_ROOT, O_CTR, O_USE, O_SERIAL, O_FROM, O_TO, O_KEYFILE, O_RATE,
		O_DBTIME, 0 };
	static char *const reset[] = { "reset", NULL };
	char *s = malloc(size + 1), *argv[MAX_ARGS + 2] = { "key" };
	volatile int argc = 1;
	struct args a = { 0 };
	struct key_rec k;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (char *p = s; p < s + size && argc <= MAX_ARGS; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	/* A fresh getopt: no pointer into the last input's arguments. */
	optind = 0;
	opterr = 0;
	(void)getopt_long(1, reset, "", long_opts, NULL);
	parsing = 1;
	if (setjmp(exited) == 0 && parse_opts(argc, argv, all, &a) == 0) {
		(void)parse_pos(a.maxc, 65536);
		(void)parse_pos(a.rtime, 3600);
		(void)parse_pos(a.id, 2147483647);
		(void)parse_pos(a.ctr, 2147483647);
		if (a.pub != NULL || a.priv != NULL || a.aes != NULL)
			(void)key_from_args("add", &a, &k);
		if (a.serve.nlisten > SERVE_MAX_LISTEN)
			abort();
	}
	parsing = 0;
	opterr = 1;
	free(s);
	return 0;
}
