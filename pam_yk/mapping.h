/* SPDX-License-Identifier: BSD-2-Clause */
/* mapping.h - a user's entries in authfile= or ~/.yubico/authorized_yubikeys */
#ifndef YK_MAPPING_H
#define YK_MAPPING_H

#include <pwd.h>

#include "authfile.h"
#include "cfg.h"
#include "log.h"
#include "result.h"

/*
 * Read the user's entries (OTP token IDs, "sha256=" fingerprints): from
 * authfile= as root, or from ~/.yubico/authorized_yubikeys with privileges
 * dropped to the user and restored.  YK_OK (perhaps with no entries),
 * YK_NO_TOKENS when the file does not exist, or an error that denies.
 * pw may be NULL only with authfile=.
 */
enum yk_result mapping_load(const struct cfg *cfg, const struct yk_log *log,
    const char *user, const struct passwd *pw, struct af_entries *entries);

/* Which file mapping_read read, and why it refused it (NULL: it did not). */
struct mapping_where {
	char		path[4096];
	const char	*why;
};

/* mapping_load, also telling where (ykpamcfg check); where may be NULL. */
enum yk_result mapping_read(const struct cfg *cfg, const struct yk_log *log,
    const char *user, const struct passwd *pw, struct af_entries *entries,
    struct mapping_where *where);

#endif
