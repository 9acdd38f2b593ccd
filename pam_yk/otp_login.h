/* SPDX-License-Identifier: BSD-2-Clause */
/* otp_login.h - the online OTP method: mapping, input, validation (no PAM types) */
#ifndef YK_ONLINE_H
#define YK_ONLINE_H

#include <pwd.h>

#include "authfile.h"
#include "cfg.h"
#include "log.h"
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
 * Load the user's token IDs: from authfile= as root, or from
 * ~/.yubico/authorized_yubikeys with privileges dropped to the user.
 * YK_OK with entries, YK_NO_TOKENS (ENOENT, or no token for the user),
 * or an error.  pw may be NULL only with authfile=.
 */
enum yk_result otp_load_tokens(const struct cfg *cfg, const struct yk_log *log,
    const char *user, const struct passwd *pw, struct af_entries *tokens);

/*
 * Check what the user typed: "[password]OTP".  The OTP must be modhex (or
 * Dvorak-typed modhex) of exactly token_id_length + 32 characters, and its
 * token ID must be one of tokens before anything is sent.  A password
 * prefix is returned in *password (malloc'd; the caller wipes and frees).
 */
enum yk_result otp_check(const struct cfg *cfg, const struct yk_log *log,
    const char *user, const struct af_entries *tokens, const char *input,
    char **password);

#endif
