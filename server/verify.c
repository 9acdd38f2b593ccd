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

/* What check() needs that it does not parse from the request. */
static void
fill_item(struct verify_job *j)
{
	struct verify_result *res = j->res;

	memset(&j->it, 0, sizeof(j->it));
	j->it.verdict = SV_BACKEND_ERROR;	/* until decided */
	j->it.otp = &res->otp;
	j->it.nonce = res->nonce;
	j->it.client = &res->client;
}

/* The decision's verdict as the request's status. */
static enum ykv_status
decided(struct verify_job *j)
{
	struct verify_result *res = j->res;
	const struct cas_item *it = &j->it;

	res->client_confirmed = it->client_confirmed;
	memcpy(res->public_id, it->public_id, sizeof(res->public_id));
	if (it->otp_used != NULL)
		res->otp_echo = it->otp_used;
	switch (it->verdict) {
	case SV_OK:
		res->tok = it->tok;
		return YKV_OK;
	case SV_REPLAYED_OTP:
		return YKV_REPLAYED_OTP;
	case SV_REPLAYED_REQUEST:
		return YKV_REPLAYED_REQUEST;
	case SV_CLIENT_CHANGED:
		if (!j->again) {
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

/* check()'s answer when the OTP is to be decided by the database. */
#define CHECK_DECIDE	(-1)
/* ... when the client cannot be read without waiting. */
#define CHECK_WAIT	(-2)

/*
 * The request's checks in YK-VAL's order, up to the decision: a status,
 * or CHECK_DECIDE, or (when it may not wait) CHECK_WAIT before anything
 * but the client id is set.
 */
static int
check(const struct yk_params *req, const struct verify_backend *be,
    struct verify_job *j, bool may_wait)
{
	enum { NONCE, SL, TIMEOUT, OTP, ID, TIMESTAMP };
	struct verify_result *res = j->res;
	char *const *v = j->v;
	const char *errstr = NULL;
	int found = 0;

	/* Known clients get signed answers, even to early errors. */
	res->client_id = parse_id(v[ID]);
	if (j->again) {
		found = j->again_found;
		if (found == 1)
			res->client = j->again_client;
	} else if (res->client_id != 0 && !may_wait && be->client_peek) {
		found = be->client_peek(be->arg, res->client_id, &res->client,
		    &res->cached);
		if (found == VERIFY_WOULD_WAIT)
			return CHECK_WAIT;
	} else if (res->client_id != 0) {
		found = be->client_get(be->arg, res->client_id, false,
		    &res->client, &res->cached);
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
	fill_item(j);
	return CHECK_DECIDE;
}

/*
 * An answer decided with a client the node remembered is the database's
 * answer when it is OK or when the database checked the client in the
 * decision, and when it is BACKEND_ERROR (the database cannot say).  Any
 * other one is decided again with the client as the database has it now,
 * unless it still has that very client; so is one whose compare-and-set
 * found the client changed.
 */
static bool
again_wanted(const struct verify_result *res)
{
	return res->client_changed || (res->cached && !res->client_confirmed &&
	    res->status != YKV_OK && res->status != YKV_BACKEND_ERROR);
}

/*
 * Read the client again (res being again_wanted): true when the request
 * is to be decided again with it.  Not once the request has had the
 * backend's timeout: it then keeps its first answer, and a changed
 * client gets BACKEND_ERROR, signed with no key.
 */
static bool
read_again(const struct verify_backend *be, struct verify_job *j)
{
	struct verify_result *res = j->res;
	bool cached;

	if (be->timeout_ms <= 0 || mono_ms_since(&j->start) < be->timeout_ms) {
		j->again_found = be->client_get(be->arg, res->client_id, true,
		    &j->again_client, &cached);
		if (be->timeout_ms > 0 &&
		    mono_ms_since(&j->start) >= be->timeout_ms)
			j->again_found = -1;
		if (j->again_found == 0 || (j->again_found == 1 &&
		    (res->client_changed || CRYPTO_memcmp(
		    j->again_client.digest, res->client.digest,
		    sizeof(j->again_client.digest)) != 0)))
			return true;
	}
	/* The database cannot say, or has this very client. */
	explicit_bzero(&j->again_client, sizeof(j->again_client));
	if (res->client_changed) {
		explicit_bzero(&res->client, sizeof(res->client));
		res->why = "the client changed during the verification";
		res->status = YKV_BACKEND_ERROR;
	}
	return false;
}

void
verify_begin(struct verify_job *j, const struct yk_params *req,
    struct verify_result *res)
{
	/* In check()'s order. */
	static const char *const names[VERIFY_NVALS] = {
		"nonce", "sl", "timeout", "otp", "id", "timestamp",
	};

	memset(j, 0, sizeof(*j));
	memset(res, 0, sizeof(*res));
	j->res = res;
	clock_gettime(CLOCK_MONOTONIC, &j->start);
	res->status = YKV_BACKEND_ERROR;
	res->why = "out of memory";
	j->phase = VJ_DONE;
	for (size_t i = 0; i < VERIFY_NVALS; i++)
		if ((j->v[i] = http_val(req, names[i])) == NULL)
			return;
	j->phase = VJ_CHECK;
}

enum verify_next
verify_step(struct verify_job *j, const struct yk_params *req,
    const struct verify_backend *be, bool may_wait)
{
	struct verify_result *res = j->res;
	bool want;
	int r;

	for (;;) {
		switch (j->phase) {
		case VJ_CHECK:
			if ((r = check(req, be, j, may_wait)) == CHECK_WAIT)
				return VERIFY_WAIT;
			if (r == CHECK_DECIDE) {
				j->phase = VJ_DECIDING;
				return VERIFY_DECIDE;
			}
			res->status = (enum ykv_status)r;
			j->phase = VJ_AFTER;
			break;
		case VJ_DECIDING:
			res->status = decided(j);
			j->phase = VJ_AFTER;
			break;
		case VJ_AFTER:
			want = !j->again && again_wanted(res);
			if (want && !may_wait)
				return VERIFY_WAIT;
			j->phase = VJ_DONE;
			if (want && read_again(be, j)) {
				verify_result_clear(res);
				j->again = true;
				j->phase = VJ_CHECK;
			}
			break;
		case VJ_DONE:
			return VERIFY_DONE;
		}
	}
}

void
verify_job_clear(struct verify_job *j)
{
	for (size_t i = 0; i < VERIFY_NVALS; i++)
		wipe_free(&j->v[i]);
	explicit_bzero(j, sizeof(*j));
}

void
verify_request(const struct yk_params *req, const struct verify_backend *be,
    struct verify_result *res)
{
	struct verify_job j;

	verify_begin(&j, req, res);
	while (verify_step(&j, req, be, true) == VERIFY_DECIDE)
		be->decide(be->arg, &j.it);
	verify_job_clear(&j);
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
