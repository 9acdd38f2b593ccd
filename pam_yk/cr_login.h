/* SPDX-License-Identifier: BSD-2-Clause */
/* cr_login.h - offline HMAC-SHA1 challenge-response login (no PAM types) */
#ifndef YK_CHALRESP_H
#define YK_CHALRESP_H

#include <pwd.h>
#include <sys/stat.h>

#include "cfg.h"
#include "log.h"
#include "login.h"
#include "result.h"

/*
 * Log in with the user's state file and a connected YubiKey.  Files are
 * named after the account (pw->pw_name), never the string PAM was given:
 * a name service that folds case must not make ALICE look for ALICE-SERIAL.
 * Root's chalresp_path files, when we are not root, are the helper's
 * (helper_needed, helper_login).  The touch cue goes to cv->info.
 * Find the key whose serial has a state file, send the stored challenge,
 * check the answer, and store the next challenge (locked, written to the
 * temporary ".NAME.tmp", fsynced, renamed, directory fsynced) before
 * returning YK_OK.
 * YK_NO_TOKENS only when there is definitely no state file.
 */
enum yk_result chalresp_login(const struct login *lg, const struct conv *cv);

/*
 * The same for chalresp_path, in the directory dir already refers to (an
 * O_PATH descriptor is enough): the helper resolves chalresp_path with the
 * calling user's rights, then reads it as root.
 */
enum yk_result chalresp_login_at(const struct login *lg,
    const struct conv *cv, int dir);

/*
 * For a method list (methods.h): has the user a challenge-response state
 * file (cr_files_scan in the directory chalresp_login uses, read the way
 * it reads it)?  YK_OK, YK_NO_TOKENS, or an error that denies (an unsafe
 * directory), with *why.  No key is asked.  Where only the setuid helper
 * can read root's chalresp_path (not root), YK_OK with *why saying so.
 */
enum yk_result chalresp_enrolled(const struct login *lg, const char **why);

#endif
