/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * wrap_exit.h - for the options harnesses: -h/--help print the usage and
 * exit (common/cli.c).  Linked with -Wl,--wrap=exit, an exit while
 * `parsing` is set returns to setjmp(exited) in the harness instead;
 * libFuzzer's own exits go on to the real exit.  Included once per harness.
 */
#ifndef FUZZ_WRAP_EXIT_H
#define FUZZ_WRAP_EXIT_H
#include <setjmp.h>

static jmp_buf exited;
static volatile int parsing;

void __real_exit(int code) __attribute__((noreturn));
void __wrap_exit(int code) __attribute__((noreturn));

void
__wrap_exit(int code)
{
	if (parsing)
		longjmp(exited, 1);
	__real_exit(code);
}
#endif
