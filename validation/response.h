/* SPDX-License-Identifier: BSD-2-Clause */
/* response.h - parse a verify reply and decide what it is worth (pure) */
#ifndef YK_RESPONSE_H
#define YK_RESPONSE_H

#include <stddef.h>

#include "params.h"

enum vc_class {
	VC_CLASS_OK,		/* trusted OK, otp and nonce echoed */
	VC_CLASS_REPLAYED,	/* trusted REPLAYED_OTP, otp and nonce echoed */
	VC_CLASS_BAD_OTP,	/* trusted BAD_OTP */
	VC_CLASS_NONE,		/* not a verdict: a server or transport error */
};

/* What we asked, to check a reply against. */
struct vc_sent {
	const char		*otp;
	const char		*nonce;
	const unsigned char	*key;
	size_t			keylen;	/* 0: replies cannot be authenticated */
};

/*
 * Parse a reply body of len bytes: "key=value" lines ending in "\n" or
 * "\r\n", the last one optionally unterminated, then optionally blank
 * lines.  Keys are [A-Za-z0-9_]+, values printable ASCII, no key twice.
 * Returns 0, or -1 with *errstr set and out emptied.
 */
int response_parse(const char *body, size_t len, struct yk_params *out,
    const char **errstr);

/*
 * Classify a parsed reply.  With a key, a verdict needs a valid h; in
 * both modes OK and REPLAYED_OTP need the exact otp and nonce echoed, and
 * an echo that is there must match.  *why gets a short static string for
 * the log: the status name, or why the reply is not a verdict.
 */
enum vc_class response_classify(const struct yk_params *reply,
    const struct vc_sent *sent, const char **why);

/* Both, over a raw body; the parsed copy is wiped. */
enum vc_class response_check(const char *body, size_t len,
    const struct vc_sent *sent, const char **why);

#endif
