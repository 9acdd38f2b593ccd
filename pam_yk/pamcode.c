/* SPDX-License-Identifier: BSD-2-Clause */
/* pamcode.c - the PAM code the module returns for each outcome */
#include "config.h"

#include <security/_pam_types.h>

#include "pamcode.h"

int
yk_pam_code(enum yk_result r, const struct cfg *cfg)
{
	switch (r) {
	case YK_OK:		return PAM_SUCCESS;
	case YK_NO_TOKENS:	return cfg->nullok ? PAM_IGNORE : PAM_USER_UNKNOWN;
	case YK_USER_UNKNOWN:	return PAM_USER_UNKNOWN;
	case YK_UNREACHABLE:	return PAM_AUTHINFO_UNAVAIL;
	case YK_UNAVAILABLE:	/* PIV alone: no card; nullok lets others
				   decide (in a list, no card skips piv) */
		return cfg->nmethods == 1 && cfg->mode == MODE_PIV &&
		    cfg->nullok ? PAM_IGNORE :
		    PAM_AUTHINFO_UNAVAIL;
	case YK_DIRECTORY_DOWN:	return PAM_AUTHINFO_UNAVAIL;
	case YK_CONV_ERROR:	return PAM_CONV_ERR;
	case YK_CONFIG:		return PAM_SERVICE_ERR;
	case YK_NOMEM:		return PAM_BUF_ERR;
	case YK_SYSTEM:		return PAM_SYSTEM_ERR;
	default:		return PAM_AUTH_ERR;	/* bad, replayed, unmapped */
	}
}

int
yk_pam_final(enum yk_result r, const struct cfg *cfg)
{
	int rc = yk_pam_code(r, cfg);

	/* A configuration error is never alwaysok's to forgive. */
	if (rc != PAM_SUCCESS && r != YK_CONFIG && cfg->alwaysok)
		rc = PAM_SUCCESS;
	return rc;
}

const char *
yk_pam_code_name(int code)
{
	switch (code) {
	case PAM_SUCCESS:		return "PAM_SUCCESS";
	case PAM_IGNORE:		return "PAM_IGNORE";
	case PAM_USER_UNKNOWN:		return "PAM_USER_UNKNOWN";
	case PAM_AUTHINFO_UNAVAIL:	return "PAM_AUTHINFO_UNAVAIL";
	case PAM_CONV_ERR:		return "PAM_CONV_ERR";
	case PAM_SERVICE_ERR:		return "PAM_SERVICE_ERR";
	case PAM_BUF_ERR:		return "PAM_BUF_ERR";
	case PAM_SYSTEM_ERR:		return "PAM_SYSTEM_ERR";
	case PAM_AUTH_ERR:		return "PAM_AUTH_ERR";
	default:			return "PAM_?";
	}
}
