/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cr_key.c - the YubiKeys on the USB bus: list them, and send an HMAC-SHA1
 * challenge to one of them.  The only file that touches libykpers-1.
 *
 * Every call is a whole session: yk_init, open, work, close, yk_release,
 * with no key left open and no yk_init left unreleased on any path.
 * libykpers keeps one libusb context per process, so sessions are
 * serialized with a mutex: a threaded host never interleaves two.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <ykcore.h>
#include <ykdef.h>
#include <ykstatus.h>

#include "cr_key.h"

/*
 * The response buffer handed to yk_challenge_response, as in pam_yubico:
 * 20 bytes of HMAC and a 2-byte CRC come in 7-byte feature reports (28
 * bytes), and libykpers reads on while 8 more bytes fit: 28 + 8 = 36.
 */
#define RESP_BUF_LEN	36

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* The reason for the last failure in this thread; see cr_key.h. */
static __thread char reason[128];

static const char *
say(const char *call, const char *what)
{
	snprintf(reason, sizeof(reason), "%s: %s", call, what);
	return reason;
}

/* yk_errno e in words: read right after the call that failed. */
static const char *
yk_words(int e)
{
	const char *s;

	if (e == YK_EUSBERR && (s = yk_usb_strerror()) != NULL && *s != '\0')
		return s;
	s = yk_strerror(e);
	return s != NULL && *s != '\0' ? s : "unknown libykpers error";
}

static enum ykkey_err
lib_init(bool *inited, const char **why)
{
	yk_errno = 0;
	if (!yk_init()) {
		*why = say("yk_init", yk_words(yk_errno));
		return YKKEY_IO;
	}
	*inited = true;
	return YKKEY_OK;
}

/* The end of every session with the library: the key, the library, the lock. */
static void
lib_done(YK_KEY *yk, bool inited)
{
	if (yk != NULL)
		yk_close_key(yk);
	if (inited)
		yk_release();
	pthread_mutex_unlock(&lock);
}

/* Open the i-th key: YKKEY_NO_KEY once there are no more. */
static enum ykkey_err
key_open(int i, YK_KEY **yk, const char **why)
{
	int e;

	yk_errno = 0;
	if ((*yk = yk_open_key(i)) != NULL)
		return YKKEY_OK;
	e = yk_errno;
	*why = say("yk_open_key", yk_words(e));
	return e == YK_ENOKEY ? YKKEY_NO_KEY : YKKEY_IO;
}

/* The serial number, or 0 when the key hides it (serial-api-visible off). */
static unsigned
key_serial(YK_KEY *yk)
{
	unsigned int serial = 0;

	yk_errno = 0;
	if (!yk_get_serial(yk, 0, 0, &serial))
		serial = 0;
	return serial;
}

/* Firmware version and the status word's CONFIGn_VALID bits. */
static enum ykkey_err
key_status(YK_KEY *yk, struct ykkey_info *info, int *touch_level,
    const char **why)
{
	YK_STATUS *st;
	enum ykkey_err r = YKKEY_IO;

	if ((st = ykds_alloc()) == NULL) {
		*why = say("ykds_alloc", "out of memory");
		return YKKEY_IO;
	}
	yk_errno = 0;
	if (!yk_get_status(yk, st)) {
		*why = say("yk_get_status", yk_words(yk_errno));
		goto out;
	}
	info->major = ykds_version_major(st);
	info->minor = ykds_version_minor(st);
	info->build = ykds_version_build(st);
	*touch_level = ykds_touch_level(st);
	r = YKKEY_OK;
out:
	ykds_free(st);
	return r;
}

/* Open the key with this serial, or the first key for serial 0. */
static enum ykkey_err
key_find(unsigned serial, YK_KEY **out, const char **why)
{
	YK_KEY *yk;
	enum ykkey_err r = YKKEY_NO_KEY;
	int i;

	*out = NULL;
	for (i = 0; i < YKKEY_MAX; i++) {
		if ((r = key_open(i, &yk, why)) != YKKEY_OK)
			break;
		if (serial == 0 || key_serial(yk) == serial) {
			*out = yk;
			return YKKEY_OK;
		}
		yk_close_key(yk);
		r = YKKEY_NO_KEY;
	}
	if (r == YKKEY_NO_KEY)
		*why = serial == 0 ? "no YubiKey found" :
		    "no YubiKey with that serial number";
	return r;
}

enum ykkey_err
ykkey_list(struct ykkey_info *keys, size_t max, size_t *n, const char **why)
{
	YK_KEY *yk = NULL;
	enum ykkey_err r = YKKEY_IO, kr;
	bool inited = false;
	size_t found = 0;
	int i, touch;

	*n = 0;
	*why = "ykkey_list: failed";
	pthread_mutex_lock(&lock);
	if (lib_init(&inited, why) != YKKEY_OK)
		goto out;
	for (i = 0; i < YKKEY_MAX && found < max; i++) {
		if ((kr = key_open(i, &yk, why)) == YKKEY_NO_KEY)
			break;
		if (kr != YKKEY_OK)
			goto out;
		if (key_status(yk, &keys[found], &touch, why) != YKKEY_OK)
			goto out;
		keys[found].serial = key_serial(yk);
		yk_close_key(yk);
		yk = NULL;
		found++;
	}
	*n = found;
	*why = "ok";
	r = YKKEY_OK;
out:
	lib_done(yk, inited);
	return r;
}

/* The outcome of a failed yk_challenge_response, from yk_errno e. */
static enum ykkey_err
chal_error(int e, bool may_block, const char **why)
{
	switch (e) {
	case YK_EWOULDBLOCK:
		*why = "the key waits for a touch";
		return YKKEY_NEEDS_TOUCH;
	case YK_ETIMEOUT:
		/* libykpers cannot tell these apart */
		*why = may_block ?
		    "no response: no touch, or the slot does not do HMAC-SHA1" :
		    "no response: the slot does not do HMAC-SHA1?";
		return YKKEY_TIMEOUT;
	case YK_ENOKEY:
		*why = say("yk_challenge_response", yk_words(e));
		return YKKEY_NO_KEY;
	default:
		*why = say("yk_challenge_response", yk_words(e));
		return YKKEY_IO;
	}
}

/* The part of ykkey_hmac that runs with the key open. */
static enum ykkey_err
key_hmac(YK_KEY *yk, int slot, const unsigned char *chal, size_t len,
    bool may_block, unsigned char resp[YKKEY_RESP_LEN], const char **why)
{
	unsigned char buf[RESP_BUF_LEN];
	struct ykkey_info info;
	enum ykkey_err r;
	unsigned int dummy;
	int touch, e;

	if ((r = key_status(yk, &info, &touch, why)) != YKKEY_OK)
		return r;
	if (info.major < 2 || (info.major == 2 && info.minor < 2)) {
		*why = "firmware older than 2.2: no challenge-response";
		return YKKEY_FIRMWARE;
	}
	if (!(touch & (slot == 1 ? CONFIG1_VALID : CONFIG2_VALID))) {
		*why = "the slot is empty";
		return YKKEY_NOT_CONFIGURED;
	}
	/* libykpers pads the challenge to 64 bytes with zeros (see cr_key.h) */
	yk_errno = 0;
	if (!yk_challenge_response(yk, slot == 1 ? SLOT_CHAL_HMAC1 :
	    SLOT_CHAL_HMAC2, may_block, (unsigned int)len, chal,
	    sizeof(buf), buf)) {
		e = yk_errno;
		r = chal_error(e, may_block, why);
		/* like ykman: a new command ends the wait for a touch */
		if (e == YK_EWOULDBLOCK)
			(void)yk_get_serial(yk, 0, 0, &dummy);
		goto out;
	}
	memcpy(resp, buf, YKKEY_RESP_LEN);
	*why = "ok";
	r = YKKEY_OK;
out:
	explicit_bzero(buf, sizeof(buf));
	return r;
}

enum ykkey_err
ykkey_hmac(unsigned serial, int slot, const unsigned char *chal, size_t len,
    bool may_block, unsigned char resp[YKKEY_RESP_LEN], const char **why)
{
	YK_KEY *yk = NULL;
	enum ykkey_err r = YKKEY_IO;
	bool inited = false;

	memset(resp, 0, YKKEY_RESP_LEN);
	*why = "ykkey_hmac: failed";
	if (slot != 1 && slot != 2) {
		*why = "ykkey_hmac: the slot must be 1 or 2";
		return YKKEY_IO;
	}
	if (chal == NULL || len == 0 || len > YKKEY_CHAL_MAX) {
		*why = "ykkey_hmac: the challenge must be 1..64 bytes";
		return YKKEY_IO;
	}
	pthread_mutex_lock(&lock);
	if (lib_init(&inited, why) != YKKEY_OK)
		goto out;
	if ((r = key_find(serial, &yk, why)) != YKKEY_OK)
		goto out;
	r = key_hmac(yk, slot, chal, len, may_block, resp, why);
out:
	lib_done(yk, inited);
	return r;
}
