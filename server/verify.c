/* SPDX-License-Identifier: BSD-2-Clause */
/* verify.c - the /wsapi/2.0/verify decision, in YK-VAL's order */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "mono.h"
#include "verify.h"
#include "wipe.h"

static const char *const status_names[] = {
	[YKV_OK] = "OK",
	[YKV_BAD_OTP] = "BAD_OTP",
	[YKV_REPLAYED_OTP] = "REPLAYED_OTP",
	[YKV_REPLAYED_REQUEST] = "REPLAYED_REQUEST",
	[YKV_BAD_SIGNATURE] = "BAD_SIGNATURE",
	[YKV_MISSING_PARAMETER] = "MISSING_PARAMETER",
	[YKV_NO_SUCH_CLIENT] = "NO_SUCH_CLIENT",
	[YKV_BACKEND_ERROR] = "BACKEND_ERROR",
};

const char *
ykv_status_name(enum ykv_status s)
{
	return (unsigned)s < sizeof(status_names) / sizeof(status_names[0]) ?
	    status_names[s] : "BACKEND_ERROR";
}

/*
 * YK-VAL's getHttpVal(): trim PHP's white space and drop every backslash.
 * Returns a malloc'd copy ("" for a missing value) or NULL.
 */
static char *
http_val(const struct yk_params *req, const char *key)
{
	const char *v = params_get(req, key), *end;
	char *out, *w;

	if (v == NULL)
		v = "";
	while (*v != '\0' && strchr(" \t\n\r\v", *v) != NULL)
		v++;
	end = v + strlen(v);
	while (end > v && strchr(" \t\n\r\v", end[-1]) != NULL)
		end--;
	if ((out = malloc((size_t)(end - v) + 1)) == NULL)
		return NULL;
	for (w = out; v < end; v++)
		if (*v != '\\')
			*w++ = *v;
	*w = '\0';
	return out;
}

/* min to max characters, each one of class is (isdigit, isalnum). */
static bool
all_of(const char *s, size_t min, size_t max, int (*is)(int))
{
	size_t n = strlen(s);

	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is((unsigned char)s[i]))
			return false;
	return true;
}

static bool
all_digits(const char *s, size_t max)
{
	return all_of(s, 1, max, isdigit);
}

static bool
nonce_ok(const char *s)
{
	return all_of(s, 16, 40, isalnum);
}

/* "fast", "secure" or a whole number; YK-VAL rejects 0, we accept it. */
static bool
sl_ok(const char *s)
{
	if (*s == '\0')
		return true;	/* absent: the default */
	if (strcasecmp(s, "fast") == 0 || strcasecmp(s, "secure") == 0)
		return true;
	return all_digits(s, 10);
}

/* The id, when it is 1..10 digits and not zero; else 0. */
static long
parse_id(const char *s)
{
	long id;

	if (!all_digits(s, 10))
		return 0;
	id = strtol(s, NULL, 10);
	return id > 0 ? id : 0;
}

/* The client a request is decided again with (see verify_request). */
struct again {
	int		found;		/* 1, or 0: no such active client */
	struct client	client;		/* when found */
};

static enum ykv_status
decide_otp(const struct verify_backend *be, struct verify_result *res,
    bool again)
{
	struct cas_item it = { .otp = &res->otp, .nonce = res->nonce,
		.client = &res->client };

	be->decide(be->arg, &it);
	res->client_confirmed = it.client_confirmed;
	memcpy(res->public_id, it.public_id, sizeof(res->public_id));
	if (it.otp_used != NULL)
		res->otp_echo = it.otp_used;
	switch (it.verdict) {
	case SV_OK:
		res->tok = it.tok;
		return YKV_OK;
	case SV_REPLAYED_OTP:
		return YKV_REPLAYED_OTP;
	case SV_REPLAYED_REQUEST:
		return YKV_REPLAYED_REQUEST;
	case SV_CLIENT_CHANGED:
		if (!again) {
			res->client_changed = true;
			return YKV_NO_SUCH_CLIENT;
		}
		/* Changed again: a key it may no longer have must not sign. */
		explicit_bzero(&res->client, sizeof(res->client));
		res->why = "the client changed during the verification";
		return YKV_BACKEND_ERROR;
	case SV_BAD_OTP:
		res->why = "unknown or disabled key, or the OTP does not decrypt";
		return YKV_BAD_OTP;
	default:
		res->why = "storage error";
		return YKV_BACKEND_ERROR;
	}
}

static enum ykv_status
check(const struct yk_params *req, const struct verify_backend *be,
    struct verify_result *res, char *const v[], const struct again *again)
{
	enum { NONCE, SL, TIMEOUT, OTP, ID, TIMESTAMP };
	const char *errstr = NULL;
	int found;

	/* Known clients get signed answers, even to early errors. */
	res->client_id = parse_id(v[ID]);
	if (again != NULL) {
		found = again->found;
		if (found == 1)
			res->client = again->client;
	} else {
		found = res->client_id ? be->client_get(be->arg,
		    res->client_id, false, &res->client, &res->cached) : 0;
	}
	res->want_timestamp = strcmp(v[TIMESTAMP], "1") == 0;
	res->why = "bad or missing parameter";
	if (*v[NONCE] == '\0' || !sl_ok(v[SL]) ||
	    (*v[TIMEOUT] != '\0' && !all_digits(v[TIMEOUT], 10)))
		return YKV_MISSING_PARAMETER;
	if (otp_normalise(v[OTP], &res->otp, &errstr) != 0) {
		res->why = errstr;
		return YKV_BAD_OTP;
	}
	res->otp_echo = res->otp.otp;
	memcpy(res->public_id, res->otp.otp, otp_pubid_len(res->otp.len));
	if (res->client_id == 0 || !nonce_ok(v[NONCE]))
		return YKV_MISSING_PARAMETER;
	snprintf(res->nonce, sizeof(res->nonce), "%s", v[NONCE]);
	res->why = NULL;
	if (found < 0) {
		res->why = "storage error";
		return YKV_BACKEND_ERROR;
	}
	if (found == 0)
		return YKV_NO_SUCH_CLIENT;
	if (params_get(req, "h") != NULL &&
	    !params_verify(req, res->client.key, res->client.keylen))
		return YKV_BAD_SIGNATURE;
	return decide_otp(be, res, again != NULL);
}

/*
 * An answer decided with a client the node remembered is the database's
 * answer when it is OK or when the database checked the client in the
 * decision, and when it is BACKEND_ERROR (the database cannot say).  Any
 * other one is decided again with the client as the database has it now
 * (in *a), unless it still has that very client; so is one whose
 * compare-and-set found the client changed.  Not once the request has
 * had the backend's timeout: it then keeps its first answer, and a
 * changed client gets BACKEND_ERROR, signed with no key.
 */
static bool
decide_again(const struct verify_backend *be, struct verify_result *res,
    const struct timespec *start, struct again *a)
{
	bool cached;

	if (!res->client_changed && (!res->cached || res->client_confirmed ||
	    res->status == YKV_OK || res->status == YKV_BACKEND_ERROR))
		return false;
	if (be->timeout_ms <= 0 || mono_ms_since(start) < be->timeout_ms) {
		a->found = be->client_get(be->arg, res->client_id, true,
		    &a->client, &cached);
		if (be->timeout_ms > 0 && mono_ms_since(start) >= be->timeout_ms)
			a->found = -1;
		if (a->found == 0 || (a->found == 1 && (res->client_changed ||
		    CRYPTO_memcmp(a->client.digest, res->client.digest,
		    sizeof(a->client.digest)) != 0)))
			return true;
	}
	/* The database cannot say, or has this very client. */
	if (res->client_changed) {
		explicit_bzero(&res->client, sizeof(res->client));
		res->why = "the client changed during the verification";
		res->status = YKV_BACKEND_ERROR;
	}
	return false;
}

void
verify_request(const struct yk_params *req, const struct verify_backend *be,
    struct verify_result *res)
{
	static const char *const names[] = {
		"nonce", "sl", "timeout", "otp", "id", "timestamp",
	};
	char *v[sizeof(names) / sizeof(names[0])] = { NULL };
	struct again a = { .found = 0 };
	struct timespec start;
	size_t i;

	clock_gettime(CLOCK_MONOTONIC, &start);
	memset(res, 0, sizeof(*res));
	res->status = YKV_BACKEND_ERROR;
	res->why = "out of memory";
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((v[i] = http_val(req, names[i])) == NULL)
			goto out;
	res->status = check(req, be, res, v, NULL);
	if (decide_again(be, res, &start, &a)) {
		verify_result_clear(res);
		res->status = check(req, be, res, v, &a);
	}
out:
	explicit_bzero(&a, sizeof(a));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		wipe_free(&v[i]);
}

/* YK-VAL's t: gmdate('Y-m-d\TH:i:s\Z0') and three digits of milliseconds. */
static void
format_t(const struct timespec *now, char out[48])
{
	struct tm tm;
	char date[24];

	gmtime_r(&now->tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 48, "%sZ0%03d", date, (int)(now->tv_nsec / 1000000 % 1000));
}

static int
add_num(struct yk_params *p, const char *k, unsigned long v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lu", v);
	return params_set(p, k, buf);
}

/* The reply's pairs, in YK-VAL's emission order (h comes first). */
static int
reply_params(const struct verify_result *res, const struct timespec *now,
    struct yk_params *p)
{
	char t[48];
	bool echo = res->status == YKV_OK ||
	    res->status == YKV_REPLAYED_OTP ||
	    res->status == YKV_REPLAYED_REQUEST;

	format_t(now, t);
	if (params_set(p, "t", t) != 0)
		return -1;
	if (echo && (params_set(p, "otp", res->otp_echo) != 0 ||
	    params_set(p, "nonce", res->nonce) != 0))
		return -1;
	if (res->status == YKV_OK) {
		if (params_set(p, "sl", "0") != 0)
			return -1;
		if (res->want_timestamp &&
		    (add_num(p, "timestamp", otp_timestamp(&res->tok)) != 0 ||
		    add_num(p, "sessioncounter", res->tok.ctr & 0x7fff) != 0 ||
		    add_num(p, "sessionuse", res->tok.use) != 0))
			return -1;
	}
	return params_set(p, "status", ykv_status_name(res->status));
}

int
verify_reply(const struct verify_result *res, const struct timespec *now,
    char *buf, size_t len)
{
	struct yk_params p = { .n = 0 };
	char h[YK_HMAC_B64_LEN + 1];
	size_t off;
	int n, r = -1;

	if (reply_params(res, now, &p) != 0 ||
	    params_sign(&p, res->client.key, res->client.keylen, h) != 0)
		goto out;
	n = snprintf(buf, len, "h=%s\r\n", h);
	if (n < 0 || (size_t)n >= len)
		goto out;
	off = (size_t)n;
	for (size_t i = 0; i < p.n; i++) {
		n = snprintf(buf + off, len - off, "%s=%s\r\n", p.kv[i].key,
		    p.kv[i].val);
		if (n < 0 || (size_t)n >= len - off)
			goto out;
		off += (size_t)n;
	}
	if (len - off < 3)
		goto out;
	memcpy(buf + off, "\r\n", 3);
	r = (int)off + 2;
out:
	params_free(&p);
	return r;
}

void
verify_result_clear(struct verify_result *res)
{
	explicit_bzero(res, sizeof(*res));
}
