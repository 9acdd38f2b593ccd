/* SPDX-License-Identifier: BSD-2-Clause */
/* tap.h - the few lines of test harness the unit tests share */
#ifndef YK_TAP_H
#define YK_TAP_H

#include <stdio.h>

static int tap_checks, tap_failed;

#define CHECK(cond, ...) do {						\
	tap_checks++;							\
	if (!(cond)) {							\
		tap_failed++;						\
		printf("FAIL %s:%d: ", __FILE__, __LINE__);		\
		printf(__VA_ARGS__);					\
		printf("\n");						\
	}								\
} while (0)

static inline int
tap_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, tap_checks, tap_failed);
	return tap_failed == 0 && tap_checks > 0 ? 0 : 1;
}

#endif
