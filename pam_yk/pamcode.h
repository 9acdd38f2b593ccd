/* SPDX-License-Identifier: BSD-2-Clause */
/* pamcode.h - the PAM code the module returns for each outcome */
#ifndef YK_PAMCODE_H
#define YK_PAMCODE_H

#include "cfg.h"
#include "result.h"

/*
 * What pam_sm_authenticate returns for r under cfg (nullok turns "no
 * tokens" and, in PIV mode, "no card" into PAM_IGNORE).  Every outcome but
 * YK_OK is a code that denies or steps aside; none is PAM_SUCCESS.
 */
int yk_pam_code(enum yk_result r, const struct cfg *cfg);

/*
 * What pam_sm_authenticate finally returns for r under cfg: yk_pam_code,
 * then alwaysok, which lets every failure but a configuration error
 * (YK_CONFIG) pass as PAM_SUCCESS.  The module and "ykpamcfg check" both
 * decide with this one function.
 */
int yk_pam_final(enum yk_result r, const struct cfg *cfg);

/* "PAM_SUCCESS", "PAM_AUTH_ERR", ... for the codes yk_pam_code returns. */
const char *yk_pam_code_name(int code);

#endif
