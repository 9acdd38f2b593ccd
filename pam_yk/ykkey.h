/* ykkey.h - the YubiKeys on the USB bus: the only user of libykpers */
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
	YKKEY_NEEDS_TOUCH,	/* only from a non-blocking call */
	YKKEY_TIMEOUT,		/* the touch did not come */
	YKKEY_FIRMWARE,		/* older than 2.2: no challenge-response */
	YKKEY_NOT_CONFIGURED,	/* the slot does not do HMAC-SHA1 */
	YKKEY_IO,		/* USB or other error */
};

/*
 * List the connected keys (at most max); *n gets how many.  Returns
 * YKKEY_OK (maybe with *n == 0) or YKKEY_IO with *why.
 */
enum ykkey_err ykkey_list(struct ykkey_info *keys, size_t max, size_t *n,
    const char **why);

/*
 * Send challenge (len <= 64 bytes; padded with zeros like ykpers does) to
 * slot 1 or 2 of the key with this serial (0: the first key) and read the
 * 20-byte HMAC-SHA1 response.  With may_block false a slot that waits
 * for a touch gives YKKEY_NEEDS_TOUCH at once; with it true the call
 * waits for the touch (the key gives up after about 15 s).
 */
enum ykkey_err ykkey_hmac(unsigned serial, int slot, const unsigned char *chal,
    size_t len, bool may_block, unsigned char resp[YKKEY_RESP_LEN],
    const char **why);

#endif
