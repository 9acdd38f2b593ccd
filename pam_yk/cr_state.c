/* SPDX-License-Identifier: BSD-2-Clause */
/* cr_state.c - parse, check and make challenge-response state (pure) */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "authfile.h"
#include "modhex.h"
#include "cr_state.h"

/* n bytes as 2n lowercase hex digits, then a ':' (or the end). */
static const char *
take_hex(const char *p, const char *end, unsigned char *out, size_t n,
    const char **errstr, const char *what)
{
	for (size_t i = 0; i < 2 * n; i++) {
		if (p + i >= end || !((p[i] >= '0' && p[i] <= '9') ||
		    (p[i] >= 'a' && p[i] <= 'f'))) {
			*errstr = what;
			return NULL;
		}
	}
	if (hex_decode(p, n, out) != 0) {
		*errstr = what;
		return NULL;
	}
	return p + 2 * n;
}

static const char *
take_colon(const char *p, const char *end, const char **errstr)
{
	if (p == NULL)
		return NULL;
	if (p >= end || *p != ':') {
		*errstr = "a field has the wrong length";
		return NULL;
	}
	return p + 1;
}

/* A decimal without sign or leading zero, at most 7 digits. */
static const char *
take_uint(const char *p, const char *end, unsigned *out, const char **errstr)
{
	unsigned long v = 0;
	const char *s = p;

	if (p == NULL)
		return NULL;
	while (p < end && *p >= '0' && *p <= '9' && p - s < 8)
		v = v * 10 + (unsigned long)(*p++ - '0');
	if (p == s || (*s == '0' && p - s > 1) || p - s > 7) {
		*errstr = "bad iteration count";
		return NULL;
	}
	*out = (unsigned)v;
	return p;
}

int
cr_state_parse(const char *text, size_t len, struct cr_state *out,
    const char **errstr)
{
	const char *p = text, *end = text + len;
	unsigned slot = 0;

	memset(out, 0, sizeof(*out));
	if (len > 0 && end[-1] == '\n')
		end--;
	if (memchr(text, '\n', (size_t)(end - text)) != NULL ||
	    memchr(text, '\0', (size_t)(end - text)) != NULL) {
		*errstr = "more than one line";
		return -1;
	}
	if (end - p > 3 && memcmp(p, "v2:", 3) == 0)
		out->version = 2;
	else if (end - p > 3 && memcmp(p, "v1:", 3) == 0)
		out->version = 1;
	else {
		*errstr = "not a v1 or v2 state";
		return -1;
	}
	p += 3;
	p = take_hex(p, end, out->challenge, CR_CHALLENGE_LEN, errstr,
	    "the challenge is not 126 lowercase hex digits");
	p = take_colon(p, end, errstr);
	p = p ? take_hex(p, end, out->digest, CR_RESPONSE_LEN, errstr,
	    "the response digest is not 40 lowercase hex digits") : NULL;
	p = take_colon(p, end, errstr);
	if (out->version == 2) {
		p = p ? take_hex(p, end, out->salt, CR_SALT_LEN, errstr,
		    "the salt is not 64 lowercase hex digits") : NULL;
		p = take_colon(p, end, errstr);
		p = take_uint(p, end, &out->iterations, errstr);
		if (p != NULL && (out->iterations < 1 ||
		    out->iterations > CR_ITER_MAX)) {
			*errstr = "iterations must be 1 to 1000000";
			p = NULL;
		}
		p = take_colon(p, end, errstr);
	}
	if (p == NULL)
		goto bad;
	if (end - p != 1 || (*p != '1' && *p != '2')) {
		*errstr = end - p > 1 ? "trailing characters after the slot" :
		    "the slot must be 1 or 2";
		goto bad;
	}
	slot = (unsigned)(*p - '0');
	out->slot = (int)slot;
	return 0;
bad:
	explicit_bzero(out, sizeof(*out));
	return -1;
}

int
cr_state_format(const struct cr_state *st, char *buf, size_t len)
{
	char chal[2 * CR_CHALLENGE_LEN + 1], dig[2 * CR_RESPONSE_LEN + 1];
	char salt[2 * CR_SALT_LEN + 1];
	int n;

	if (st->version != 2 || (st->slot != 1 && st->slot != 2) ||
	    st->iterations < 1 || st->iterations > CR_ITER_MAX)
		return -1;
	hex_encode(st->challenge, CR_CHALLENGE_LEN, chal);
	hex_encode(st->digest, CR_RESPONSE_LEN, dig);
	hex_encode(st->salt, CR_SALT_LEN, salt);
	n = snprintf(buf, len, "v2:%s:%s:%s:%u:%d\n", chal, dig, salt,
	    st->iterations, st->slot);
	return n > 0 && (size_t)n < len ? n : -1;
}

/* PBKDF2-HMAC-SHA1 over the lowercase hex of the response, as pam_yubico. */
static int
digest(const unsigned char resp[CR_RESPONSE_LEN],
    const unsigned char salt[CR_SALT_LEN], unsigned iterations,
    unsigned char out[CR_RESPONSE_LEN])
{
	char hex[2 * CR_RESPONSE_LEN + 1];
	int ok;

	hex_encode(resp, CR_RESPONSE_LEN, hex);
	ok = PKCS5_PBKDF2_HMAC(hex, 2 * CR_RESPONSE_LEN, salt, CR_SALT_LEN,
	    (int)iterations, EVP_sha1(), CR_RESPONSE_LEN, out);
	explicit_bzero(hex, sizeof(hex));
	return ok == 1 ? 0 : -1;
}

bool
cr_state_matches(const struct cr_state *st,
    const unsigned char resp[CR_RESPONSE_LEN])
{
	unsigned char d[CR_RESPONSE_LEN];
	bool ok;

	if (st->version == 1)
		return CRYPTO_memcmp(st->digest, resp, CR_RESPONSE_LEN) == 0;
	if (st->iterations < 1 || st->iterations > CR_ITER_MAX ||
	    digest(resp, st->salt, st->iterations, d) != 0)
		return false;
	ok = CRYPTO_memcmp(d, st->digest, CR_RESPONSE_LEN) == 0;
	explicit_bzero(d, sizeof(d));
	return ok;
}

int
cr_state_make(struct cr_state *out, int slot, unsigned iterations,
    const unsigned char challenge[CR_CHALLENGE_LEN],
    const unsigned char resp[CR_RESPONSE_LEN])
{
	memset(out, 0, sizeof(*out));
	out->version = 2;
	out->slot = slot;
	out->iterations = iterations;
	memcpy(out->challenge, challenge, CR_CHALLENGE_LEN);
	if ((slot != 1 && slot != 2) || iterations < 1 ||
	    iterations > CR_ITER_MAX ||
	    RAND_bytes(out->salt, CR_SALT_LEN) != 1 ||
	    digest(resp, out->salt, iterations, out->digest) != 0) {
		explicit_bzero(out, sizeof(*out));
		return -1;
	}
	return 0;
}

int
cr_state_next(struct cr_state *out, int slot, unsigned iterations,
    const unsigned char challenge[CR_CHALLENGE_LEN],
    const unsigned char resp[CR_RESPONSE_LEN],
    const unsigned char other[CR_RESPONSE_LEN], const char **why)
{
	memset(out, 0, sizeof(*out));
	if (CRYPTO_memcmp(resp, other, CR_RESPONSE_LEN) == 0) {
		*why = "the key answers every challenge alike: program the slot "
		    "with HMAC_LT64 (ykman otp chalresp)";
		return -1;
	}
	if (cr_state_make(out, slot, iterations, challenge, resp) != 0) {
		*why = "cannot make the next state";
		return -1;
	}
	return 0;
}

const char *
cr_state_unsafe(const struct stat *st, uid_t owner, bool root_ok)
{
	/* Whoever can open a state file can flock it and hold up logins. */
	return af_owner_unsafe(st, owner, root_ok, !root_ok);
}

const char *
cr_user_bad(const char *name)
{
	size_t n = 0;

	for (const char *p = name; *p != '\0'; p++, n++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '/' ||
		    n >= CR_USER_MAX)
			return "cannot name a state file (a control character, "
			    "a / or too long)";
	if (n == 0 || name[0] == '.' || name[0] == '-')
		return "cannot name a state file (empty, or it starts with . "
		    "or -)";
	return NULL;
}

bool
cr_name_has_serial(const char *name)
{
	const char *dash = strrchr(name, '-');

	if (dash == NULL || dash[1] == '\0')
		return false;
	return strspn(dash + 1, "0123456789") == strlen(dash + 1);
}

int
cr_state_name(const char *name, const char *base, unsigned *serial)
{
	size_t bl = strlen(base);
	const char *p;
	unsigned long v = 0;

	if (strncmp(name, base, bl) != 0)
		return 0;
	if (name[bl] == '\0') {
		*serial = 0;
		/* "alice-4242" is alice's file for key 4242, nobody's plain file. */
		return cr_name_has_serial(base) ? -1 : 1;
	}
	if (name[bl] != '-' || name[bl + 1] < '1' || name[bl + 1] > '9' ||
	    strlen(name + bl + 1) > 10)
		return 0;
	for (p = name + bl + 1; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v == 0 || v > 0xffffffffUL)
		return 0;
	*serial = (unsigned)v;
	return 1;
}

int
cr_new_challenge(unsigned char challenge[CR_CHALLENGE_LEN])
{
	if (RAND_bytes(challenge, CR_CHALLENGE_LEN) != 1)
		return -1;
	/* ykpers pads with zeros and the key strips trailing pad bytes. */
	while (challenge[CR_CHALLENGE_LEN - 1] == 0)
		if (RAND_bytes(challenge + CR_CHALLENGE_LEN - 1, 1) != 1)
			return -1;
	return 0;
}
