/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * stallgai.c - test-only LD_PRELOAD shim: getaddrinfo() of a name that
 * ends in "stall.test" never returns (a DNS server that never answers);
 * every other name goes to the real getaddrinfo.  tests/otp-stall.sh
 * preloads it into pam_yk_validate through a wrapper script.  Never
 * installed.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netdb.h>
#include <string.h>
#include <unistd.h>

int
getaddrinfo(const char *node, const char *service,
    const struct addrinfo *hints, struct addrinfo **res)
{
	static int (*real)(const char *, const char *,
	    const struct addrinfo *, struct addrinfo **);
	size_t len = node != NULL ? strlen(node) : 0;

	if (len >= 10 && strcmp(node + len - 10, "stall.test") == 0) {
		for (unsigned left = 30; left > 0; )
			left = sleep(left);
		return EAI_AGAIN;
	}
	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "getaddrinfo");
	return real != NULL ? real(node, service, hints, res) : EAI_FAIL;
}
