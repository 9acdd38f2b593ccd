/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ldap_map.h - the pure part of the LDAP token mapping: the rules for
 * pam_yubico's LDAP options, RFC 4514 (DN) and RFC 4515 (filter) escaping
 * of the user name, the one search a login makes, and the token IDs in
 * the values that search returns.  No libldap here: the directory is
 * asked by the helper pam_yk_ldap (ldap_helper.h).
 */
#ifndef YK_LDAP_MAP_H
#define YK_LDAP_MAP_H

#include <stdbool.h>
#include <stddef.h>

#include "authfile.h"

struct cfg;

#define LDAP_MAP_DN_MAX		2048	/* a base DN, with the escaped user */
#define LDAP_MAP_FILTER_MAX	2048
#define LDAP_MAP_MAX_VALUES	256	/* values of the attribute we take */
#define LDAP_MAP_VALUE_MAX	16384	/* bytes of one value */
#define LDAP_MAP_TOKEN_VALUE_MAX 256	/* a token value, prefix included */

/*
 * RFC 4514: v (len bytes, NUL allowed) as an attributeValue of a DN.
 * Every byte other than a letter, a digit, '-', '.', '_' and '@' is
 * written as a \XX hex pair, so that ',', '+', '"', '\\', '<', '>', ';',
 * '=', '#', NUL and a leading or trailing space are never syntax.
 * 0, or -1 when out (cap bytes, NUL included) is too small.
 */
int ldap_dn_escape(const char *v, size_t len, char *out, size_t cap);

/*
 * RFC 4515: v (len bytes, NUL allowed) as an assertion value in a
 * filter: '*', '(', ')', '\\', NUL and every control character as \XX.
 * 0 or -1 (too small).
 */
int ldap_filter_escape(const char *v, size_t len, char *out, size_t cap);

/*
 * The search a login makes for user (ulen bytes): base DN, scope and
 * filter, from ldapdn=, user_attr= (base "ATTR=<user>,ldapdn", scope
 * base) and ldap_filter= (each %u replaced by the escaped user, scope
 * subtree), as pam_yubico builds them but escaped.
 */
struct ldap_search {
	char		base[LDAP_MAP_DN_MAX];
	bool		subtree;
	char		filter[LDAP_MAP_FILTER_MAX];	/* "" : (objectClass=*) */
	const char	*attr;				/* yubi_attr= */
};

/*
 * 0, or -1 with *why: the name is too long to fit, or holds a space or a
 * control character (NUL included), which the directory's matching
 * rules would drop or fold ("alice " finds alice).
 */
int ldap_map_search(const struct cfg *cfg, const char *user, size_t ulen,
    struct ldap_search *s, const char **why);

/*
 * The token IDs in the values of yubi_attr: a value that starts with
 * yubi_attr_prefix= (any value when there is none) gives what follows
 * the prefix, compared later with the OTP's ID exactly (af_has), where
 * pam_yubico compares only the first token_id_length characters.  A value
 * without the prefix is not ours and is skipped.  A value of ours that is
 * empty after the prefix, longer than LDAP_MAP_TOKEN_VALUE_MAX, holds a
 * NUL or a control character, or is not modhex is malformed: -1 with
 * *why (deny).  0 with the IDs appended to out.
 */
int ldap_map_tokens(const char *const *vals, const size_t *lens, size_t n,
    const char *prefix, struct af_entries *out, const char **why);

/*
 * A SHA-256 certificate fingerprint in a value of piv_ldap_fp_attr=
 * (piv_map=ldap): 64 hex digits in either case, or 32 hex pairs
 * separated by ':' (as openssl x509 -fingerprint writes it), optionally
 * after "sha256=" (the mapping file's spelling, af_is_fingerprint).  v
 * is len bytes (a NUL is malformed).  0 with the 32 bytes in out, or -1:
 * anything else is malformed (deny).
 */
#define LDAP_MAP_FP_LEN		32
int ldap_map_fingerprint(const char *v, size_t len,
    unsigned char out[LDAP_MAP_FP_LEN]);

/* ---- the rules of the options (cfg.c and ykpamcfg check use them) ---- */

/*
 * ldap_uri=: a comma list of ldap:// or ldaps:// URIs, without spaces or
 * control characters.  NULL when fine, else what is expected.
 */
const char *ldap_map_uri_bad(const char *list);
/* ldapserver=: a host name or address, with an optional :port. */
const char *ldap_map_host_bad(const char *host);
/* user_attr=, yubi_attr=: an attribute description (name or OID, options). */
const char *ldap_map_attr_bad(const char *attr);
/* ldap_filter=: printable, in parentheses, with %u in it. */
const char *ldap_map_filter_bad(const char *filter);
/*
 * Whether the URI list sends the mapping in clear to another host:
 * an ldap:// URI to a host other than localhost, 127.0.0.1 or [::1].
 */
bool ldap_map_uri_cleartext(const char *list);

#endif
