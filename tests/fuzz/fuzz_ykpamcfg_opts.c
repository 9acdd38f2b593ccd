/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_ykpamcfg_opts.c - bytes as ykpamcfg's command-line options through
 * its own parse (tools/ykpamcfg.c is compiled into this harness, main
 * renamed; nothing is run).  The input is the arguments, split on NUL
 * bytes.  -h and -V call exit: here they return to the harness.
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

int ykpamcfg_main(int argc, char **argv);
#define main		ykpamcfg_main
#include "../../tools/ykpamcfg.c"
#undef main

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS	32

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *const reset[] = { "reset", NULL };
	char *s = malloc(size + 1), *argv[MAX_ARGS + 2] = { "ykpamcfg" };
	volatile int argc = 1;
	struct opts o;

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
	(void)getopt(1, reset, "");
	optind = 1;
	parsing = 1;
	if (setjmp(exited) == 0 && parse(argc, argv, &o) == 0) {
		if ((o.slot != 1 && o.slot != 2) || o.iterations < 1 ||
		    o.iterations > CR_ITER_MAX ||
		    (o.dir != NULL && cfg_chalresp_path_bad(o.dir) != NULL))
			abort();
	}
	parsing = 0;
	opterr = 1;
	free(s);
	return 0;
}
