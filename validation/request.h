/* SPDX-License-Identifier: BSD-2-Clause */
/* request.h - the signed query of one verify request (pure) */
#ifndef YK_REQUEST_H
#define YK_REQUEST_H

#include <stddef.h>

#define VC_NONCE_LEN	32	/* the protocol allows 16..40 alnum chars */

/*
 * VC_NONCE_LEN random characters [0-9A-Za-z] and a NUL, from the OpenSSL
 * CSPRNG (RAND_bytes), unbiased.  Returns 0, or -1 when it fails.
 */
int request_nonce(char out[VC_NONCE_LEN + 1]);

/*
 * The query of a verify request: "id=ID&nonce=NONCE&otp=OTP", then
 * "&h=H" when keylen > 0, where H signs the decoded values (params_sign)
 * and every value is percent-encoded.  Returns a malloc'd string (it holds
 * the OTP: wipe it), or NULL with *errstr set.  With otp NULL there is no
 * otp= at all: a probe that only tests the id and key (ykpamcfg check).
 */
char *request_query(long id, const char *otp, const char *nonce,
    const unsigned char *key, size_t keylen, const char **errstr);

/* base, then '?' (or '&' when base has a query already), then query. */
char *request_url(const char *base, const char *query);

/*
 * url as it may be shown in a log or a report: the user:password of its
 * authority (http://user:secret@host/...) becomes "***".  Truncated to
 * len; returns out.
 */
const char *request_url_shown(const char *url, char *out, size_t len);

/*
 * Percent-encode every byte of s but the RFC 3986 unreserved ones
 * (A-Z a-z 0-9 - . _ ~) into out, which holds 3 * strlen(s) + 1 bytes.
 */
void request_escape(const char *s, char *out);

#endif
