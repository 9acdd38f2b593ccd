/* SPDX-License-Identifier: BSD-2-Clause */
/* params.h - protocol key=value sets and their HMAC-SHA1 signature (pure) */
#ifndef YK_PARAMS_H
#define YK_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

#define YK_HMAC_B64_LEN	28	/* base64 of a 20-byte HMAC-SHA1, padded */
#define YK_KEY_MAX	64	/* longest API key we accept, decoded */
#define YK_PARAMS_MAX	32	/* a request or reply never needs more */

struct yk_kv {
	char	*key;
	char	*val;
};

struct yk_params {
	struct yk_kv	kv[YK_PARAMS_MAX];
	size_t		n;
};

/*
 * Set key to val, copying both.  A key set twice keeps the last value, as
 * PHP's $_GET does.  Returns 0, or -1 when out of memory or full.
 */
int params_set(struct yk_params *p, const char *key, const char *val);
const char *params_get(const struct yk_params *p, const char *key);
void params_free(struct yk_params *p);
/* params_free, with every value wiped first (they may hold an OTP). */
void params_wipe(struct yk_params *p);

/*
 * The string that is signed: every pair except "h", sorted by key in byte
 * order, written key=value and joined with '&'.  Values are the decoded
 * values.  Returns a malloc'd string or NULL.
 */
char *params_canonical(const struct yk_params *p);

/* h = base64(HMAC-SHA1(key, canonical)); out gets 28 chars + NUL. */
int params_sign(const struct yk_params *p, const unsigned char *key,
    size_t keylen, char out[YK_HMAC_B64_LEN + 1]);

/* Constant-time check of the "h" the set carries; false when it has none. */
bool params_verify(const struct yk_params *p, const unsigned char *key,
    size_t keylen);

/*
 * Strict standard base64 (padding required) into at most cap bytes.
 * Returns the decoded length, or -1.
 */
int b64_decode(const char *in, unsigned char *out, size_t cap);

/* Base64 of n bytes into out (4*ceil(n/3)+1 bytes). */
void b64_encode(const unsigned char *in, size_t n, char *out);

#endif
