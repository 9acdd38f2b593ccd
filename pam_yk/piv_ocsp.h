/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * piv_ocsp.h - OCSP (RFC 6960) for the certificate of a PIV card:
 * piv_ocsp=off|try|require, piv_ocsp_url=, piv_ocsp_max_age=,
 * piv_ocsp_cache=.  No PKCS#11 and no PAM types inside: piv_login.c (the
 * module and ykpamcfg check, through piv_probe) calls piv_ocsp_check
 * before any PIN is asked for.
 */
#ifndef YK_PIV_OCSP_H
#define YK_PIV_OCSP_H

#include <stdbool.h>

#include <openssl/x509.h>

#include "cfg.h"
#include "piv_cert.h"
#include "result.h"

#define PIV_OCSP_RESP_MAX	(64 * 1024)	/* an answer, on the wire or cached */
#define PIV_OCSP_SKEW_S		300	/* clock skew allowed on thisUpdate */

enum piv_ocsp_status {
	PIV_OCSP_NONE,		/* not asked (piv_ocsp=off) */
	PIV_OCSP_GOOD,
	PIV_OCSP_REVOKED,
	PIV_OCSP_UNKNOWN,	/* the responder does not know the certificate */
	PIV_OCSP_UNREACHABLE,	/* refused, no route, no answer in time */
	PIV_OCSP_BAD,		/* an answer we cannot trust, or no URL */
};

struct piv_ocsp_res {
	enum piv_ocsp_status	st;
	bool			cached;	/* the answer came from the cache */
	char			why[PIV_WHY_MAX];	/* one line: what happened */
};

/*
 * The OCSP status of x, whose chain verifies in store, by a request with
 * a nonce to piv_ocsp_url= or the certificate's AIA OCSP URL, answered
 * before deadline (mono_ms) -- or by a verified answer in piv_ocsp_cache=
 * that is still before its nextUpdate.  An answer counts when it is
 * signed by x's issuer, or by a responder certificate that the issuer
 * issued with the OCSPSigning extended key usage; carries our nonce
 * (unless cached); and is fresh: thisUpdate not in the future, not older
 * than piv_ocsp_max_age= when set, nextUpdate not past.
 * YK_OK when piv_ocsp= allows the login (piv_ocsp_allows), YK_REJECTED
 * when it does not, YK_CONFIG when piv_ocsp_cache= is not a directory of
 * root's, not writable by group or others; res says why in every case.
 * keep: a new answer goes into the cache (ykpamcfg check, which changes
 * nothing, reads the cache but never writes it).
 */
enum yk_result piv_ocsp_check(const struct cfg *cfg, X509_STORE *store,
    X509 *x, long long deadline, bool keep, struct piv_ocsp_res *res);

/*
 * The policy: require allows only "good"; try also allows a responder
 * that cannot be reached (never "revoked", "unknown" or a bad answer).
 */
bool piv_ocsp_allows(enum piv_ocsp_mode mode, enum piv_ocsp_status st);

/* "good", "revoked", ... for people. */
const char *piv_ocsp_status_name(enum piv_ocsp_status st);

#endif
