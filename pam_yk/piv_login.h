/* SPDX-License-Identifier: BSD-2-Clause */
/* piv_login.h - PIV certificate login over PKCS#11 (no PAM types) */
#ifndef YK_PIV_H
#define YK_PIV_H

#include <pwd.h>
#include <stdbool.h>

#include <openssl/x509.h>

#include "cfg.h"
#include "log.h"
#include "login.h"
#include "piv_cert.h"
#include "piv_ocsp.h"
#include "result.h"

/* What piv_probe found. */
struct piv_probe {
	bool		loaded;		/* the PKCS#11 module loaded */
	bool		modfault;	/* why concerns pkcs11_module= */
	bool		none;		/* no card of the user's: piv_enrolled
					   would return YK_NO_TOKENS */
	const char	*why;		/* why the result is not YK_OK, or NULL */
	char		label[33];	/* the token of the certificate, or "" */
	char		subject[256];	/* its subject (one line), or "" */
	struct piv_ocsp_res ocsp;	/* .st PIV_OCSP_NONE: not asked */
	char		buf[PIV_WHY_MAX];	/* room for why */
};

/*
 * Everything piv_login does before it asks for the PIN, and nothing more:
 * load the trust anchors and the module, look for a certificate that passes
 * the policy and maps to user.  Never logs in, never signs.  YK_OK when a
 * login could go on to the PIN; YK_CONFIG, YK_UNAVAILABLE (no module load,
 * no card) or a denial as piv_login would return it.  dir: piv_map=ldap's
 * answer, already asked for (the caller frees it), or NULL to ask once
 * as a login does.
 */
enum yk_result piv_probe(const struct cfg *cfg, const struct yk_log *log,
    const char *user, const struct passwd *pw, struct piv_dir *dir,
    struct piv_probe *out);

/*
 * Find the configured certificate on any token, check its chain, validity,
 * key usage, extended key usage and signature algorithm, map it to the
 * user -- all before asking for a PIN -- then log in with the PIN (asked
 * with echo off, or PAM_AUTHTOK with use_authtok_as_pin), check that the
 * private key is the certificate's, and have the card sign a fresh random
 * challenge that OpenSSL verifies with the certificate's key.
 */
enum yk_result piv_login(const struct login *lg, const struct conv *cv);

/*
 * For a method list (methods.h): is the user enrolled in PIV here, i.e.
 * does a token hold a certificate that passes the policy and maps to
 * them?  With piv_map=authfile and no sha256= entry mapped to the user,
 * no: YK_NO_TOKENS without looking (piv_map_possible).  Else piv_probe's
 * steps (never a PIN, never a signature), within timeout=.  YK_OK with *found: the card, for piv_login_found, so that a
 * login looks for it once.  YK_NO_TOKENS when not: no token, no
 * certificate in the slot, or only certificates that are refused or name
 * someone else.  Any other result denies (the module's files, the trust
 * anchors, the environment, a card that hangs, the mapping file, the
 * user's own certificate unfit).  why says what was found.
 */
struct piv_found;
enum yk_result piv_enrolled(const struct login *lg, struct piv_found **found,
    char *why, size_t len);

/* piv_login from the card piv_enrolled found: the PIN, the signature, the
   log line.  Frees found. */
enum yk_result piv_login_found(const struct login *lg, const struct conv *cv,
    struct piv_found *found);

/* Drop a card piv_enrolled found without logging in (NULL-safe). */
void piv_found_free(struct piv_found *found);

#endif
