/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * piv_cert.h - the certificate side of PIV login: trust anchors and CRLs,
 * the certificate policy, the mapping to a user.  No PKCS#11 and no PAM
 * types inside: piv_login.c finds the certificate on a card and calls these.
 */
#ifndef YK_PIV_CERT_H
#define YK_PIV_CERT_H

#include <pwd.h>
#include <stdbool.h>
#include <stddef.h>

#include <openssl/x509.h>

#include "cfg.h"
#include "log.h"
#include "mapping.h"
#include "result.h"

#define PIV_WHY_MAX	320	/* a reason naming a file or a certificate */
#define PIV_FILE_MAX	(64L << 20)	/* a CA file or CRL file */
#define PIV_DIR_MAX	4096	/* entries of piv_capath or piv_crlpath */
#define PIV_RSA_MAX_BITS	8192	/* the largest leaf key we can use */

/*
 * The verification store: certificates (trust anchors) from piv_cafile and
 * piv_capath only, CRLs from piv_crlfile and piv_crlpath only; every file
 * and directory root's and not writable by group or others (the mapping
 * file's rules, af_stat_unsafe), read through the descriptor that was
 * checked.  A CRL without nextUpdate is refused.  NULL with a reason
 * naming the option and the file in why: a configuration error.
 */
X509_STORE *piv_trust_load(const struct cfg *cfg, char *why, size_t len);

/*
 * May the certificate x log someone in?  Checked before any PIN: it is
 * well-formed (no duplicate extension), not a CA, its key is one we can
 * have the card sign with (RSA of piv_min_rsa_bits..8192 bits, EC P-256 or
 * P-384), its chain to an anchor of store verifies at OpenSSL's security
 * level 2 (1 when piv_min_rsa_bits < 2048), every key of the chain is
 * strong enough (RSA >= piv_min_rsa_bits, EC >= 256 bits), every
 * certificate but the anchor is signed with SHA-256 or stronger, every
 * issuer that restricts its extended key usage allows clientAuth or
 * smartcardLogon, and the leaf's key usage and extended key usage fit.
 * NULL when it may; else why not, written into buf (naming the
 * certificate by depth and subject when it is not the leaf).
 */
const char *piv_cert_policy(const struct cfg *cfg, X509_STORE *store, X509 *x,
    char *buf, size_t len);

/*
 * Does the certificate name user the way cfg->piv_map says (cn, uid, upn,
 * email): exactly once, without NUL or control characters, and for upn and
 * email with a domain of cfg->piv_domain (ASCII case ignored)?
 * Not for authfile.
 */
bool piv_cert_names(X509 *x, const struct cfg *cfg, const char *user);

/*
 * piv_map=ldap: one login's answer from the directory, asked once (the
 * first time a certificate that passes the policy is to be mapped) and
 * kept for the other candidates: one search per login.  The caller sets
 * deadline (what is left of timeout=) and calls piv_dir_free at the end.
 */
struct piv_dir {
	struct timespec		deadline;
	bool			looked;
	enum yk_result		r;	/* YK_OK: v holds the entry's values */
	const char		*why;	/* why r is not YK_OK */
	struct ldap_values	v;
	struct mapping_ldap_info info;	/* the search and its outcome */
};

void piv_dir_free(struct piv_dir *d);

/*
 * Ask the directory for user's entry (when not asked yet) and check
 * every value of the attribute piv_map=ldap reads: a DER certificate in
 * PIV_LDAP_CERT_ATTR, or a SHA-256 fingerprint (ldap_map_fingerprint) in
 * piv_ldap_fp_attr=.  d->r: YK_OK, YK_NOT_MAPPED (no entry, no value),
 * YK_DIRECTORY_DOWN (down, too slow, TLS refused), YK_MAPPING_ERROR
 * (a malformed value, more than one entry, a referral, refused...), or
 * YK_CONFIG / YK_SYSTEM / YK_NOMEM; with the reason in d->why.
 */
enum yk_result piv_dir_lookup(const struct cfg *cfg, const struct yk_log *log,
    const char *user, struct piv_dir *d);

/*
 * Map x to user by cfg->piv_map: the mapping file's sha256= entries (hex
 * in either case), the directory entry (piv_map=ldap: a value equal to
 * x's DER encoding, or to its SHA-256 fingerprint; dir holds the one
 * search) or piv_cert_names.  YK_OK, YK_NOT_MAPPED with *why, or the
 * mapping file's or the directory's error.
 */
enum yk_result piv_map_user(const struct cfg *cfg, const struct yk_log *log,
    const char *user, const struct passwd *pw, X509 *x, struct piv_dir *dir,
    const char **why);

/*
 * Could a certificate map to user at all?  With piv_map=authfile only when
 * a sha256= entry is mapped to them (the file piv_map_user reads): YK_OK,
 * YK_NO_TOKENS when none is, or the mapping file's error.  With a name in
 * the certificate (cn, uid, upn, email) only a card tells: YK_OK.  A
 * method list asks this before it looks for a card.
 */
enum yk_result piv_map_possible(const struct cfg *cfg,
    const struct yk_log *log, const char *user, const struct passwd *pw);

#endif
