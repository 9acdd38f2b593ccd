/* SPDX-License-Identifier: BSD-2-Clause */
/* otp_login.h - the online OTP method (no PAM types) */
#ifndef YK_ONLINE_H
#define YK_ONLINE_H

#include "login.h"
#include "result.h"

/*
 * The online OTP method: the user's token IDs, then "[password]OTP" from
 * PAM_AUTHTOK or a prompt (use_first_pass, try_first_pass, always_prompt,
 * verbose_otp, prompt=), checked with the validation servers.  A password
 * typed before the OTP is handed on (set_authtok) when the OTP is good.
 */
enum yk_result otp_login(const struct login *lg, const struct conv *cv);

/*
 * For a method list (methods.h): is a token ID mapped to the user (the
 * mapping file or the directory otp_login reads)?  YK_OK, YK_NO_TOKENS,
 * or an error that denies (an unsafe or unreadable file, a directory that
 * cannot be reached).  Asks nothing.  With YK_OK, *found holds what was
 * loaded, for otp_login_found: a login makes one lookup, not two.
 */
struct otp_found;
enum yk_result otp_enrolled(const struct login *lg, struct otp_found **found);

/* otp_login with the tokens otp_enrolled loaded (freed here; NULL: load). */
enum yk_result otp_login_found(const struct login *lg, const struct conv *cv,
    struct otp_found *found);
void otp_found_free(struct otp_found *f);

#endif
