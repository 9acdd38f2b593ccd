/* SPDX-License-Identifier: BSD-2-Clause */
/* client.c - vc_verify: ask every server at once, trust what checks out */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "mono.h"
#include "otp.h"
#include "request.h"
#include "response.h"
#include "wipe.h"

static bool
cfg_ok(const struct vc_cfg *cfg, const char *otp)
{
	size_t len = otp != NULL ? strlen(otp) : 0;

	if (cfg->nurls == 0 || cfg->nurls > VC_MAX_URLS || cfg->id <= 0 ||
	    cfg->timeout_ms == 0 || cfg->keylen > sizeof(cfg->key))
		return false;
	for (size_t i = 0; i < cfg->nurls; i++)
		if (cfg->urls[i] == NULL)
			return false;
	/* Canonical: what we send is what the echo is compared with. */
	return len >= YK_OTP_MIN && len <= YK_OTP_MAX &&
	    strspn(otp, "cbdefghijklnrtuv") == len;
}

static void
note(struct vc_result *res, size_t i, const char *what)
{
	snprintf(res->notes[i].what, sizeof(res->notes[i].what), "%s", what);
}

/* What one finished transfer is worth; writes its server's note. */
static enum vc_class
judge(const struct vc_reply *r, const struct vc_sent *sent,
    struct vc_result *res)
{
	struct vc_server_note *n = &res->notes[r->idx];
	enum vc_class cls = VC_CLASS_NONE;
	const char *why;

	if (r->error != NULL) {
		note(res, r->idx, r->error);
		n->unreachable = r->unreachable;
	} else if (r->http != 200) {
		snprintf(n->what, sizeof(n->what), "HTTP %ld", r->http);
	} else {
		cls = response_check(r->body, r->len, sent, &why);
		note(res, r->idx, why);
	}
	return cls;
}

/*
 * Take replies as they come until one decides: a trusted OK or
 * REPLAYED_OTP at once; a trusted BAD_OTP only when no OK follows from
 * the others (YK-VAL also says BAD_OTP when its KSM is down).
 */
static enum vc_verdict
collect(const struct vc_transport *tr, void *st, size_t n,
    const struct vc_sent *sent, const struct timespec *deadline,
    struct vc_result *res)
{
	struct vc_reply r;
	bool seen[VC_MAX_URLS] = { false }, bad_otp = false;
	enum vc_verdict v = VC_ERROR;
	size_t answered = 0;
	int got = 0;

	while (answered < n && (got = tr->next(st, deadline, &r)) == 1) {
		if (r.idx >= n || seen[r.idx])
			goto out;	/* a broken transport */
		seen[r.idx] = true;
		answered++;
		switch (judge(&r, sent, res)) {
		case VC_CLASS_OK:
			res->decisive = (int)r.idx;
			v = VC_OK;
			goto out;
		case VC_CLASS_REPLAYED:
			res->decisive = (int)r.idx;
			v = VC_REJECTED;
			goto out;
		case VC_CLASS_BAD_OTP:
			if (!bad_otp)
				res->decisive = (int)r.idx;
			bad_otp = true;
			break;
		case VC_CLASS_NONE:
			break;
		}
		explicit_bzero(r.body, sizeof(r.body));
	}
	if (got < 0)
		goto out;
	res->unreachable = !bad_otp;
	for (size_t i = 0; i < n; i++) {
		if (!seen[i]) {
			note(res, i, "timeout");
			res->notes[i].unreachable = true;
		}
		res->unreachable &= res->notes[i].unreachable;
	}
	v = bad_otp ? VC_REJECTED : VC_UNAVAILABLE;
out:
	if (v != VC_OK && v != VC_REJECTED)
		res->decisive = -1;
	if (v != VC_UNAVAILABLE)
		res->unreachable = false;
	explicit_bzero(&r, sizeof(r));
	return v;
}

int
vc_verify_with(const struct vc_cfg *cfg, const char *otp,
    const struct vc_transport *tr, struct vc_result *res)
{
	char nonce[VC_NONCE_LEN + 1] = "", *query = NULL;
	char *urls[VC_MAX_URLS] = { NULL };
	struct timespec t0, deadline;
	struct vc_sent sent;
	const char *errstr;
	void *st = NULL;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(res, 0, sizeof(*res));
	res->verdict = VC_ERROR;
	res->decisive = -1;
	if (!cfg_ok(cfg, otp))
		goto out;
	res->nnotes = cfg->nurls;
	for (size_t i = 0; i < cfg->nurls; i++) {
		res->notes[i].url = cfg->urls[i];
		note(res, i, "not asked");
	}
	if (request_nonce(nonce) != 0 || (query = request_query(cfg->id, otp,
	    nonce, cfg->key, cfg->keylen, &errstr)) == NULL)
		goto out;
	for (size_t i = 0; i < cfg->nurls; i++)
		if ((urls[i] = request_url(cfg->urls[i], query)) == NULL)
			goto out;
	deadline = mono_add(t0, cfg->timeout_ms);
	if (tr->start(tr->arg, cfg, urls, cfg->nurls, &deadline, &st) != 0)
		goto out;
	for (size_t i = 0; i < cfg->nurls; i++)
		note(res, i, "cancelled");	/* unless it answers in time */
	sent = (struct vc_sent){ otp, nonce, cfg->key, cfg->keylen };
	res->verdict = collect(tr, st, cfg->nurls, &sent, &deadline, res);
out:
	if (st != NULL)
		tr->stop(st);
	for (size_t i = 0; i < VC_MAX_URLS; i++)
		wipe_free(&urls[i]);
	wipe_free(&query);
	explicit_bzero(nonce, sizeof(nonce));
	res->elapsed_ms = mono_ms_since(&t0);
	return (int)res->verdict;
}
