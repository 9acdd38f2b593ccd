/* SPDX-License-Identifier: BSD-2-Clause */
/* mapping.h - a user's entries in authfile= or ~/.yubico/authorized_yubikeys */
#ifndef YK_MAPPING_H
#define YK_MAPPING_H

#include <pwd.h>

#include "authfile.h"
#include "cfg.h"
#include "ldap_helper.h"
#include "ldap_map.h"
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

/* What the LDAP lookup was, for the log and ykpamcfg check. */
struct mapping_ldap_info {
	struct ldap_search	search;		/* base, scope, filter, attr */
	const char		*binddn;	/* NULL: no bind */
	enum ldap_outcome	outcome;
	char			why[LDAP_WHY_MAX];	/* what the helper said */
	size_t			nvalues;	/* values of the attribute */
	double			elapsed_ms;
};

/*
 * The one search for user (ldap_map_search: the escaped user), reading
 * attribute attr (yubi_attr= for OTP, the certificate attribute for
 * piv_map=ldap), run by pam_yk_ldap until deadline.  bindpw as below.
 * YK_OK with the one entry's values in v (maybe none; the caller frees
 * them with ldap_values_free), YK_NO_TOKENS (no entry), or an error as
 * below, logged.  info (never NULL) tells what the search was and what
 * it came to.
 */
enum yk_result mapping_ldap_lookup(const struct cfg *cfg,
    const struct yk_log *log, const char *user, const char *bindpw,
    const char *attr, const struct timespec *deadline,
    struct ldap_values *v, struct mapping_ldap_info *info);

/*
 * The user's token IDs from the directory (cfg->ldap_uris set): ONE
 * search, built by ldap_map_search (escaped user), run by pam_yk_ldap
 * within cfg's timeout, its values read by ldap_map_tokens (exact IDs
 * after yubi_attr_prefix=).  bindpw is the password for
 * ldap_bind_as_user (binding as the user's DN), else NULL; an empty one
 * never binds (YK_BAD_INPUT).  YK_OK (perhaps no IDs), YK_NO_TOKENS (no
 * entry), YK_UNAVAILABLE (down, slow, TLS refused), YK_MAPPING_ERROR
 * (refused, a referral, ambiguous, a malformed value), YK_CONFIG (no
 * helper) or YK_SYSTEM.  info may be NULL.
 */
enum yk_result mapping_ldap(const struct cfg *cfg, const struct yk_log *log,
    const char *user, const char *bindpw, struct af_entries *entries,
    struct mapping_ldap_info *info);

#endif
