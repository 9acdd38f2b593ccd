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
#include "result.h"

/* What piv_probe found. */
struct piv_probe {
	bool		loaded;		/* the PKCS#11 module loaded */
	bool		modfault;	/* why concerns pkcs11_module= */
	const char	*why;		/* why the result is not YK_OK, or NULL */
	char		label[33];	/* the token of the certificate, or "" */
	char		subject[256];	/* its subject (one line), or "" */
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

#endif
