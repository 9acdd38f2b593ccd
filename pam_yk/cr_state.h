/* SPDX-License-Identifier: BSD-2-Clause */
/* cr_state.h - challenge-response state files, in pam_yubico's v1/v2 format */
#ifndef YK_STATE_H
#define YK_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#define CR_CHALLENGE_LEN	63	/* bytes; 63 so it works without HMAC_LT64 */
#define CR_RESPONSE_LEN		20	/* HMAC-SHA1 */
#define CR_SALT_LEN		32
#define CR_ITER_DEFAULT		10000
#define CR_ITER_MAX		1000000
#define CR_STATE_MAX		512	/* a v2 line is 240..246 bytes */

struct cr_state {
	int		version;			/* 1 or 2 */
	unsigned char	challenge[CR_CHALLENGE_LEN];
	/* v2: PBKDF2-HMAC-SHA1(hex(response), salt, iterations); v1: response */
	unsigned char	digest[CR_RESPONSE_LEN];
	unsigned char	salt[CR_SALT_LEN];		/* v2 */
	unsigned	iterations;			/* v2 */
	int		slot;				/* 1 or 2 */
};

/*
 * Parse one state file's text, strictly:
 *   v2:<126 hex>:<40 hex>:<64 hex>:<iterations 1..1000000>:<slot 1|2>
 *   v1:<126 hex>:<40 hex>:<slot 1|2>
 * lowercase hex, one line, an optional final newline and nothing else.
 * Returns 0, or -1 with *errstr.
 */
int cr_state_parse(const char *text, size_t len, struct cr_state *out,
    const char **errstr);

/* The v2 line (with its newline) into buf; returns its length or -1. */
int cr_state_format(const struct cr_state *st, char *buf, size_t len);

/* Does the key's response match?  Constant time. */
bool cr_state_matches(const struct cr_state *st,
    const unsigned char resp[CR_RESPONSE_LEN]);

/*
 * A v2 state for a new challenge and the key's response to it: a fresh
 * salt, and the digest over the response.  0 or -1.
 */
int cr_state_make(struct cr_state *out, int slot, unsigned iterations,
    const unsigned char challenge[CR_CHALLENGE_LEN],
    const unsigned char resp[CR_RESPONSE_LEN]);

/*
 * The next state: cr_state_make for challenge and the key's response resp
 * to it, once the key has given another response (other) to another
 * challenge.  A slot that answers every challenge alike (programmed
 * without HMAC_LT64) would let any response pass: it is refused.  0, or
 * -1 with *why.  The module's rotation and ykpamcfg make states with this.
 */
int cr_state_next(struct cr_state *out, int slot, unsigned iterations,
    const unsigned char challenge[CR_CHALLENGE_LEN],
    const unsigned char resp[CR_RESPONSE_LEN],
    const unsigned char other[CR_RESPONSE_LEN], const char **why);

/*
 * Is the state file (root_ok false: owned by owner) or its directory
 * (root_ok true: by owner or root) unsafe?  NULL when it is fine, else
 * why not: "has the wrong owner", "is writable by group or others", and
 * for a file also "is readable by group or others..." (anyone who can open
 * a state file can flock it and so block its owner's logins).
 */
const char *cr_state_unsafe(const struct stat *st, uid_t owner, bool root_ok);

/*
 * Is name a state file name for base: "base" (*serial = 0) or
 * "base-<serial>" (1..4294967295, no sign or leading zero, at most 10
 * digits)?  1 or 0.  -1 when name is base and base itself ends in
 * "-<digits>": in chalresp_path, "alice-4242" is alice's file for the key
 * of serial 4242, so the account alice-4242 has no serial-less file (see
 * cr_name_has_serial); such a file is refused, not ignored.
 */
int cr_state_name(const char *name, const char *base, unsigned *serial);

/* Does name end in "-<digits>" (and so cannot be a serial-less file)? */
bool cr_name_has_serial(const char *name);

/*
 * Can this account name (pw_name) name files in chalresp_path?  NULL
 * when it can, else why not: 1 to CR_USER_MAX bytes, no control
 * character, no '/', not starting with '.' (temporary files do) or '-'.
 * The module, the setuid helper and ykpamcfg apply this one rule.
 */
#define CR_USER_MAX	255
const char *cr_user_bad(const char *name);

/* 63 random bytes that do not end in 0x00 (see the ykpers padding note). */
int cr_new_challenge(unsigned char challenge[CR_CHALLENGE_LEN]);

#endif
