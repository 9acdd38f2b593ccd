/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * foldcase.c - test-only, LD_PRELOADed before nss_wrapper by
 * tests/pam-chalresp.sh: a name service that folds case, as SSSD with
 * case_sensitive = false does.  getpwnam and getpwnam_r look up the name
 * in lowercase, so "ALICE" finds the account "alice" (pw_name "alice").
 * Never installed.
 */
#include "config.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

static int
lower(const char *name, char *out, size_t len)
{
	size_t i;

	for (i = 0; name[i] != '\0'; i++) {
		if (i + 1 >= len)
			return -1;
		out[i] = (char)tolower((unsigned char)name[i]);
	}
	out[i] = '\0';
	return 0;
}

int
getpwnam_r(const char *name, struct passwd *pwd, char *buf, size_t buflen,
    struct passwd **result)
{
	int (*next)(const char *, struct passwd *, char *, size_t,
	    struct passwd **);
	char low[512];

	*(void **)&next = dlsym(RTLD_NEXT, "getpwnam_r");
	*result = NULL;
	if (next == NULL || lower(name, low, sizeof(low)) != 0)
		return EIO;
	return next(low, pwd, buf, buflen, result);
}

struct passwd *
getpwnam(const char *name)
{
	struct passwd *(*next)(const char *);
	char low[512];

	*(void **)&next = dlsym(RTLD_NEXT, "getpwnam");
	if (next == NULL || lower(name, low, sizeof(low)) != 0) {
		errno = EIO;
		return NULL;
	}
	return next(low);
}
