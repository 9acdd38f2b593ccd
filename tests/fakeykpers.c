/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fakeykpers.c - a test-only stand-in for libykpers-1, LD_PRELOADed under
 * test programs (tests/ykkey.sh): it emulates YubiKeys at the library
 * boundary, so the tests need no hardware.  It defines every libykpers
 * function pam_yk/cr_key.c calls, with the signatures of <ykcore.h> and
 * <ykstatus.h>.  Production code has no fake-key mode; this file is
 * never installed.
 *
 * The keys come from the environment, read again at every yk_init:
 *
 * FAKEYK_KEYS="SERIAL:SLOT1:SLOT2[:FLAGS];..."   (unset or empty: no key)
 *	SERIAL	decimal; 0 = the key hides it (serial-api-visible off):
 *		yk_get_serial then fails with YK_ETIMEOUT.
 *	SLOTn	empty: the slot is not programmed (CONFIGn_VALID clear in
 *		the status); 40 hex digits: an HMAC-SHA1 slot with that
 *		secret; "otp": programmed, but not for HMAC-SHA1.
 *	FLAGS	comma-separated:
 *		touch1, touch2	that slot waits for a touch
 *		nolt64		the HMAC slots have no HMAC_LT64
 *		fw=M.m[.b]	firmware version (default 5.4.3)
 *
 * FAKEYK_TOUCH=ok|timeout|none  (default ok) what happens to a blocking
 *	challenge (may_block set) on a touch slot: ok, the touch comes;
 *	timeout, YK_ETIMEOUT after FAKEYK_TOUCH_MS (default 200) ms, as
 *	the key gives up after about 15 s; none, YK_EWOULDBLOCK as if the
 *	call could not block.  A non-blocking challenge to a touch slot
 *	gives YK_EWOULDBLOCK at once and leaves the key waiting for a
 *	touch until the next command to it (yk_get_serial) or the close.
 * FAKEYK_NORESP_MS=N  (default 50) how long a key that never answers
 *	keeps the caller: real libykpers polls for 1000 ms and then sets
 *	YK_ETIMEOUT.  That is what an unprogrammed slot, an "otp" slot and
 *	firmware older than 2.2 give to an HMAC challenge, with or
 *	without may_block: the key just does not raise RESP_PENDING.
 * FAKEYK_USBERR_AT=N  the Nth yk_challenge_response call of the process
 *	(1-based) fails with YK_EUSBERR ("LIBUSB_ERROR_IO") in the middle
 *	of the exchange.
 * FAKEYK_BUSY=SERIAL  yk_open_key of that key fails with YK_EUSBERR
 *	("LIBUSB_ERROR_BUSY"), as when another program holds it.
 * FAKEYK_INIT=fail  yk_init fails with YK_EUSBERR.
 * FAKEYK_LOG=FILE  append a line per event:
 *	chal serial=S slot=N may_block=0|1 touch=0|1 result=R
 *		one per yk_challenge_response; R is ok, ewouldblock,
 *		etimeout, eusberr, ewrongsiz or einvalidcmd; touch=1 when
 *		the slot needs a touch
 *	cancel serial=S		a command ended a wait for a touch
 *	abandoned serial=S	a key was closed still waiting for a touch
 *	violation: WHAT		a misuse of the library (also on stderr):
 *		a key left open at yk_release, a nested or unbalanced
 *		yk_init/yk_release, a NULL handle.
 *
 * The HMAC is the key's: libykpers sends a 64-byte frame, the challenge
 * padded with zeros; with HMAC_LT64 the key drops the trailing bytes
 * equal to the frame's last byte and MACs the rest (a challenge shorter
 * than 64 bytes loses its trailing 0x00 bytes), without it the key MACs
 * all 64 bytes.  The response buffer must hold 36 bytes, as libykpers
 * needs (else YK_EWRONGSIZ); it gets the 20 bytes and their CRC.
 *
 * fakeyk_state() lets a test, through dlsym, check the balance of
 * yk_init/yk_release and open/close, and that it runs under the stand-in.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <ykcore.h>
#include <ykdef.h>
#include <ykstatus.h>

#define FAKE_MAX	8
#define SECRET_LEN	20
#define RESP_NEED	36

enum slot_kind { SLOT_EMPTY, SLOT_HMAC, SLOT_OTP };

struct fkey {
	unsigned	serial;
	enum slot_kind	kind[2];
	unsigned char	secret[2][SECRET_LEN];
	int		touch[2];
	int		lt64;
	int		major, minor, build;
	int		busy;
	int		waiting;	/* blinking for a touch */
};

struct yk_key_st {
	struct fkey	*key;
};

struct yk_status_st {
	int		major, minor, build, pgm_seq, touch_level;
};

/* Not in any header: for the tests, found with dlsym(RTLD_DEFAULT). */
int fakeyk_state(int *inits, int *open, int *violations, int *init_calls);

static struct fkey keys[FAKE_MAX];
static int nkeys;
static int inits, open_keys, violations, init_calls, chal_calls;
static __thread int fake_errno;
static const char *usb_error = "LIBUSB_SUCCESS";

int
fakeyk_state(int *in, int *op, int *vi, int *ic)
{
	*in = inits;
	*op = open_keys;
	*vi = violations;
	*ic = init_calls;
	return 1;
}

/* ---- the environment ---------------------------------------------------- */

static void
die(const char *what, const char *s)
{
	fprintf(stderr, "fakeykpers: %s: \"%s\"\n", what, s);
	exit(99);			/* a hard error for the test driver */
}

static long
env_num(const char *name, long dflt)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (v == NULL || *v == '\0')
		return dflt;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < 0)
		die(name, v);
	return n;
}

static void
log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
log_line(const char *fmt, ...)
{
	const char *path = getenv("FAKEYK_LOG");
	va_list ap;
	FILE *f;

	if (path == NULL || *path == '\0' || (f = fopen(path, "a")) == NULL)
		return;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fclose(f);
}

static void
violation(const char *what)
{
	violations++;
	fprintf(stderr, "fakeykpers: violation: %s\n", what);
	log_line("violation: %s", what);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
parse_slot(struct fkey *k, int s, const char *v)
{
	int i, hi, lo;

	if (*v == '\0') {
		k->kind[s] = SLOT_EMPTY;
		return;
	}
	if (strcmp(v, "otp") == 0) {
		k->kind[s] = SLOT_OTP;
		return;
	}
	if (strlen(v) != 2 * SECRET_LEN)
		die("FAKEYK_KEYS: a secret is 40 hex digits", v);
	for (i = 0; i < SECRET_LEN; i++) {
		if ((hi = hexval(v[2 * i])) < 0 ||
		    (lo = hexval(v[2 * i + 1])) < 0)
			die("FAKEYK_KEYS: not hex", v);
		k->secret[s][i] = (unsigned char)(hi << 4 | lo);
	}
	k->kind[s] = SLOT_HMAC;
}

static void
parse_flags(struct fkey *k, char *flags)
{
	char *f, *save = NULL;

	for (f = strtok_r(flags, ",", &save); f != NULL;
	    f = strtok_r(NULL, ",", &save)) {
		if (strcmp(f, "touch1") == 0)
			k->touch[0] = 1;
		else if (strcmp(f, "touch2") == 0)
			k->touch[1] = 1;
		else if (strcmp(f, "nolt64") == 0)
			k->lt64 = 0;
		else if (strncmp(f, "fw=", 3) == 0) {
			k->build = 0;
			if (sscanf(f + 3, "%d.%d.%d", &k->major, &k->minor,
			    &k->build) < 2)
				die("FAKEYK_KEYS: fw=M.m[.b]", f);
		} else
			die("FAKEYK_KEYS: unknown flag", f);
	}
}

/* One "SERIAL:SLOT1:SLOT2[:FLAGS]" (modified in place). */
static void
parse_key(struct fkey *k, char *spec)
{
	char *field[4] = { NULL, NULL, NULL, NULL }, *p = spec, *end;
	unsigned long serial;
	int n = 0;

	memset(k, 0, sizeof(*k));
	k->lt64 = 1;
	k->major = 5;
	k->minor = 4;
	k->build = 3;
	while (n < 4) {
		field[n++] = p;
		if ((p = strchr(p, ':')) == NULL)
			break;
		*p++ = '\0';
	}
	if (n < 3 || p != NULL)
		die("FAKEYK_KEYS: want SERIAL:SLOT1:SLOT2[:FLAGS]", spec);
	errno = 0;
	serial = strtoul(field[0], &end, 10);
	if (errno != 0 || end == field[0] || *end != '\0' ||
	    serial > 0xffffffffUL)
		die("FAKEYK_KEYS: serial", field[0]);
	k->serial = (unsigned)serial;
	parse_slot(k, 0, field[1]);
	parse_slot(k, 1, field[2]);
	if (field[3] != NULL)
		parse_flags(k, field[3]);
	k->busy = k->serial != 0 &&
	    (long)k->serial == env_num("FAKEYK_BUSY", -1);
}

static void
parse_keys(void)
{
	const char *v = getenv("FAKEYK_KEYS");
	char *copy, *spec, *save = NULL;

	nkeys = 0;
	if (v == NULL || *v == '\0')
		return;
	if ((copy = strdup(v)) == NULL)
		die("out of memory", v);
	for (spec = strtok_r(copy, ";", &save); spec != NULL;
	    spec = strtok_r(NULL, ";", &save)) {
		if (nkeys == FAKE_MAX)
			die("FAKEYK_KEYS: too many keys", v);
		parse_key(&keys[nkeys++], spec);
	}
	free(copy);
}

static void
wait_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static int
fail(int e)
{
	fake_errno = e;
	return 0;
}

/* ---- ykcore.h ----------------------------------------------------------- */

int *
_yk_errno_location(void)
{
	return &fake_errno;
}

int
yk_init(void)
{
	const char *v = getenv("FAKEYK_INIT");

	init_calls++;
	if (inits > 0)
		violation("yk_init while initialised");
	parse_keys();
	if (v != NULL && strcmp(v, "fail") == 0) {
		usb_error = "LIBUSB_ERROR_NO_MEM";
		return fail(YK_EUSBERR);
	}
	inits++;
	return 1;
}

int
yk_release(void)
{
	if (inits == 0) {
		violation("yk_release without yk_init");
		return fail(YK_EUSBERR);
	}
	if (open_keys != 0)
		violation("yk_release with keys open");
	inits--;
	return 1;
}

YK_KEY *
yk_open_key(int index)
{
	YK_KEY *yk;

	if (inits == 0) {
		violation("yk_open_key without yk_init");
		fail(YK_EUSBERR);
		return NULL;
	}
	if (index < 0 || index >= nkeys) {
		fail(YK_ENOKEY);
		return NULL;
	}
	if (keys[index].busy) {
		usb_error = "LIBUSB_ERROR_BUSY";
		fail(YK_EUSBERR);
		return NULL;
	}
	if ((yk = calloc(1, sizeof(*yk))) == NULL) {
		fail(YK_ENOMEM);
		return NULL;
	}
	yk->key = &keys[index];
	open_keys++;
	return yk;
}

YK_KEY *
yk_open_first_key(void)
{
	return yk_open_key(0);
}

int
yk_close_key(YK_KEY *yk)
{
	if (yk == NULL) {
		violation("yk_close_key(NULL)");
		return fail(YK_ENOKEY);
	}
	if (yk->key->waiting)
		log_line("abandoned serial=%u", yk->key->serial);
	yk->key->waiting = 0;
	free(yk);
	open_keys--;
	return 1;
}

int
yk_get_status(YK_KEY *yk, YK_STATUS *st)
{
	const struct fkey *k;

	if (yk == NULL || st == NULL) {
		violation("yk_get_status(NULL)");
		return fail(YK_ENOSTATUS);
	}
	k = yk->key;
	st->major = k->major;
	st->minor = k->minor;
	st->build = k->build;
	st->pgm_seq = 1;
	st->touch_level = (k->kind[0] != SLOT_EMPTY ? CONFIG1_VALID : 0) |
	    (k->kind[1] != SLOT_EMPTY ? CONFIG2_VALID : 0);
	return 1;
}

int
yk_get_serial(YK_KEY *yk, uint8_t slot, unsigned int flags,
    unsigned int *serial)
{
	struct fkey *k;

	if (yk == NULL) {
		violation("yk_get_serial(NULL)");
		return fail(YK_ENOKEY);
	}
	k = yk->key;
	if (k->waiting) {		/* any command ends the wait */
		k->waiting = 0;
		log_line("cancel serial=%u", k->serial);
	}
	if (k->serial == 0) {
		wait_ms(env_num("FAKEYK_NORESP_MS", 50));
		return fail(YK_ETIMEOUT);
	}
	*serial = k->serial;
	return 1;
}

/* The CRC libykpers checks: CRC-16 over response + CRC gives 0xf0b8. */
static unsigned
crc16(const unsigned char *p, size_t n)
{
	unsigned crc = 0xffff;
	int b;

	while (n-- > 0) {
		crc ^= *p++;
		for (b = 0; b < 8; b++)
			crc = crc & 1 ? (crc >> 1) ^ 0x8408 : crc >> 1;
	}
	return crc;
}

/* The key's HMAC over the zero-padded 64-byte frame. */
static void
key_mac(const struct fkey *k, int s, const unsigned char *chal,
    unsigned int len, unsigned char out[SECRET_LEN])
{
	unsigned char frame[64] = { 0 };
	unsigned int n = sizeof(frame), outlen = SECRET_LEN;

	memcpy(frame, chal, len);
	if (k->lt64)
		while (n > 0 && frame[n - 1] == frame[sizeof(frame) - 1])
			n--;
	if (HMAC(EVP_sha1(), k->secret[s], SECRET_LEN, frame, n, out,
	    &outlen) == NULL || outlen != SECRET_LEN)
		die("HMAC", "failed");
}

/* The exchange, without the log: the result for FAKEYK_LOG in *res. */
static int
exchange(struct fkey *k, int s, int may_block, unsigned int len,
    const unsigned char *chal, unsigned int rlen, unsigned char *resp,
    const char **res)
{
	const char *touch = getenv("FAKEYK_TOUCH");
	unsigned char mac[SECRET_LEN];
	unsigned crc;

	*res = "etimeout";
	if (chal_calls == env_num("FAKEYK_USBERR_AT", 0)) {
		usb_error = "LIBUSB_ERROR_IO";
		*res = "eusberr";
		return fail(YK_EUSBERR);
	}
	if (k->kind[s] != SLOT_HMAC || k->major < 2 ||
	    (k->major == 2 && k->minor < 2)) {
		wait_ms(env_num("FAKEYK_NORESP_MS", 50));
		return fail(YK_ETIMEOUT);
	}
	if (touch == NULL || *touch == '\0')
		touch = "ok";
	if (k->touch[s] && (!may_block || strcmp(touch, "none") == 0)) {
		k->waiting = 1;
		*res = "ewouldblock";
		return fail(YK_EWOULDBLOCK);
	}
	if (k->touch[s] && strcmp(touch, "timeout") == 0) {
		wait_ms(env_num("FAKEYK_TOUCH_MS", 200));
		return fail(YK_ETIMEOUT);
	}
	if (k->touch[s] && strcmp(touch, "ok") != 0)
		die("FAKEYK_TOUCH: ok, timeout or none", touch);
	key_mac(k, s, chal, len, mac);
	memset(resp, 0, rlen);
	if (rlen < RESP_NEED) {
		*res = "ewrongsiz";
		return fail(YK_EWRONGSIZ);
	}
	memcpy(resp, mac, SECRET_LEN);
	crc = ~crc16(mac, SECRET_LEN) & 0xffff;
	resp[SECRET_LEN] = crc & 0xff;
	resp[SECRET_LEN + 1] = (unsigned char)(crc >> 8);
	memset(mac, 0, sizeof(mac));
	*res = "ok";
	return 1;
}

int
yk_challenge_response(YK_KEY *yk, uint8_t yk_cmd, int may_block,
    unsigned int challenge_len, const unsigned char *challenge,
    unsigned int response_len, unsigned char *response)
{
	const char *res = "einvalidcmd";
	int s, rc = 0;

	chal_calls++;
	if (yk == NULL) {
		violation("yk_challenge_response(NULL)");
		return fail(YK_ENOKEY);
	}
	if (yk_cmd == SLOT_CHAL_HMAC1 || yk_cmd == SLOT_CHAL_HMAC2) {
		s = yk_cmd == SLOT_CHAL_HMAC1 ? 0 : 1;
		if (challenge_len > 64) {
			res = "ewrongsiz";
			rc = fail(YK_EWRONGSIZ);
		} else
			rc = exchange(yk->key, s, may_block, challenge_len,
			    challenge, response_len, response, &res);
		log_line("chal serial=%u slot=%d may_block=%d touch=%d "
		    "result=%s", yk->key->serial, s + 1, may_block != 0,
		    yk->key->touch[s], res);
	} else {
		log_line("chal serial=%u cmd=0x%02x result=%s",
		    yk->key->serial, yk_cmd, res);
		rc = fail(YK_EINVALIDCMD);
	}
	return rc;
}

static const char *const errtext[] = {
	"",
	"USB error",
	"wrong size",
	"write error",
	"timeout",
	"no yubikey present",
	"unsupported firmware version",
	"out of memory",
	"no status structure given",
	"not yet implemented",
	"checksum mismatch",
	"operation would block",
	"invalid command for operation",
	"expected only one YubiKey but several present",
	"no data returned from device",
};

const char *
yk_strerror(int errnum)
{
	if (errnum >= 0 &&
	    (size_t)errnum < sizeof(errtext) / sizeof(errtext[0]))
		return errtext[errnum];
	return NULL;
}

const char *
yk_usb_strerror(void)
{
	return usb_error;
}

/* ---- ykstatus.h --------------------------------------------------------- */

YK_STATUS *
ykds_alloc(void)
{
	return calloc(1, sizeof(YK_STATUS));
}

void
ykds_free(YK_STATUS *st)
{
	free(st);
}

YK_STATUS *
ykds_static(void)
{
	static YK_STATUS st;

	return &st;
}

int
ykds_version_major(const YK_STATUS *st)
{
	return st->major;
}

int
ykds_version_minor(const YK_STATUS *st)
{
	return st->minor;
}

int
ykds_version_build(const YK_STATUS *st)
{
	return st->build;
}

int
ykds_pgm_seq(const YK_STATUS *st)
{
	return st->pgm_seq;
}

int
ykds_touch_level(const YK_STATUS *st)
{
	return st->touch_level;
}
