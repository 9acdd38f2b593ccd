/* SPDX-License-Identifier: BSD-2-Clause */
/* login.c - who logs in: the one rule for an account the system lacks */
#include "config.h"

#include <errno.h>

#include "login.h"

enum yk_result
login_account(const struct cfg *cfg, const struct passwd *pw, int lookup_err)
{
	if (pw != NULL)
		return YK_OK;
	/*
	 * Only a central authfile or a directory may name users the name
	 * service lacks, and only for otp alone: the other methods need the
	 * account.
	 */
	if (cfg->nmethods != 1 || cfg->mode != MODE_CLIENT ||
	    (cfg->authfile == NULL && cfg->ldap_uris == NULL))
		return YK_USER_UNKNOWN;
	if (lookup_err != 0 && lookup_err != ENOENT && lookup_err != ESRCH)
		return YK_SYSTEM;	/* cannot tell which name it is */
	return YK_OK;
}
