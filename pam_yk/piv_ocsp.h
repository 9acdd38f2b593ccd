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

#include <openssl/ocsp.h>
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

/* What an answer is judged against. */
struct piv_ocsp_ask {
	const struct cfg	*cfg;	/* piv_ocsp_max_age= */
	X509_STORE		*store;	/* piv_cafile= and the like */
	X509			*issuer;	/* the certificate's issuer */
	OCSP_CERTID		*id;	/* the certificate asked about */
	OCSP_REQUEST		*req;	/* its nonce; NULL: a cached answer */
};

/*
 * An answer, as received (bytes from the responder, none trusted): with
 * http, the HTTP/1.x 200 status line, headers and the DER OCSPResponse;
 * without, the DER alone (a cache entry).  Its verdict about q->id:
 * GOOD, REVOKED or UNKNOWN when it verifies as piv_ocsp_check says (an
 * answer without q->req's nonce does not), else BAD; why says which.
 * *out (when not NULL) the parsed answer on GOOD/REVOKED/UNKNOWN, else
 * NULL; *nextupd (when not NULL) its nextUpdate in seconds from now, or
 * -1.  What piv_ocsp_check does with every answer, live or cached.
 */
enum piv_ocsp_status piv_ocsp_answer(const struct piv_ocsp_ask *q,
    const unsigned char *buf, size_t len, bool http, OCSP_RESPONSE **out,
    long long *nextupd, char *why, size_t wlen);

/*
 * Is the responder's answer in buf (len bytes so far) complete: its HTTP
 * header ended and carries a Content-Length (at most PIV_OCSP_RESP_MAX)
 * of which all bytes of body are there?  Without one, only the end of the
 * connection ends it.
 */
bool piv_ocsp_http_done(const unsigned char *buf, size_t len);

/*
 * The policy: require allows only "good"; try also allows a responder
 * that cannot be reached (never "revoked", "unknown" or a bad answer).
 */
bool piv_ocsp_allows(enum piv_ocsp_mode mode, enum piv_ocsp_status st);

/* "good", "revoked", ... for people. */
const char *piv_ocsp_status_name(enum piv_ocsp_status st);

#endif
