/* SPDX-License-Identifier: BSD-2-Clause */
/* cr_key.h - the YubiKeys on the USB bus: the only user of libykpers */
#ifndef YK_YKKEY_H
#define YK_YKKEY_H

#include <stdbool.h>
#include <stddef.h>

#define YKKEY_MAX		8	/* keys looked at */
#define YKKEY_RESP_LEN		20	/* HMAC-SHA1 */
#define YKKEY_CHAL_MAX		64

struct ykkey_info {
	unsigned	serial;		/* 0 when the key hides it */
	int		major, minor, build;	/* firmware */
};

enum ykkey_err {
	YKKEY_OK,
	YKKEY_NO_KEY,		/* no YubiKey (with that serial) */
	YKKEY_NEEDS_TOUCH,	/* the slot waits for a touch (non-blocking) */
	YKKEY_TIMEOUT,		/* no answer: no touch, or the slot is
				   programmed but not for HMAC-SHA1 */
	YKKEY_FIRMWARE,		/* older than 2.2: no challenge-response */
	YKKEY_NOT_CONFIGURED,	/* the slot is empty */
	YKKEY_IO,		/* USB or other error, or a bad argument */
};

/*
 * Both functions set *why to a short reason ("ok" on success).  It is
 * static or thread-local storage, valid until the next ykkey call in the
 * same thread; it never holds a challenge or a response.  Calls are
 * serialized inside (libykpers has one USB context per process); each
 * opens and releases the library and closes every key it opened.
 */

/*
 * List the connected keys (at most max, and YKKEY_MAX); *n gets how many.
 * Returns YKKEY_OK (maybe with *n == 0) or YKKEY_IO with *n == 0.  Reading
 * the serial of a key that hides it takes about a second.
 */
enum ykkey_err ykkey_list(struct ykkey_info *keys, size_t max, size_t *n,
    const char **why);

/*
 * Send challenge (1..64 bytes) to slot 1 or 2 of the key with this serial
 * (0: the first key) and read the 20-byte HMAC-SHA1 response into resp,
 * which is zeroed on any failure.
 *
 * libykpers pads the challenge to 64 bytes with zeros, as for pam_yubico;
 * a slot with HMAC_LT64 (the default) then drops the trailing bytes equal
 * to the last one, so it MACs a challenge without its trailing 0x00
 * bytes.  Give 63-byte challenges, like pam_yubico state files.
 *
 * With may_block false a slot that needs a touch gives YKKEY_NEEDS_TOUCH
 * at once, and the key is told to stop waiting; with may_block true the
 * call waits for the touch (the key gives up after about 15 s:
 * YKKEY_TIMEOUT).
 */
enum ykkey_err ykkey_hmac(unsigned serial, int slot, const unsigned char *chal,
    size_t len, bool may_block, unsigned char resp[YKKEY_RESP_LEN],
    const char **why);

#endif
