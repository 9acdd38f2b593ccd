/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_net.c - is each validation server there, and does it know our id
 * and key?  One request per server that carries no OTP, so nothing can be
 * consumed: id, a fresh nonce and, with a key, h.  It goes through the
 * module's own code: request.c builds it, http.c sends it, params.c and
 * response.c read and check the reply.
 *
 * What the reply tells: a server answers such a request with an error
 * (ykvald: BAD_OTP; YK-VAL: BAD_OTP or MISSING_PARAMETER).  ykvald signs
 * it with the client's key whenever it knows the id, and with an empty
 * key when it does not; YK-VAL signs these early errors with an empty key
 * in any case.  So: signed with our key = id and key right; NO_SUCH_CLIENT
 * = wrong id; BAD_SIGNATURE or a reply that checks with neither key =
 * wrong key; signed with the empty key = not confirmed.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "client.h"
#include "mono.h"
#include "params.h"
#include "request.h"
#include "response.h"

static void
say(struct ck_server *s, enum ck_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(struct ck_server *s, enum ck_level level, const char *fmt, ...)
{
	va_list ap;

	s->level = level;
	va_start(ap, fmt);
	vsnprintf(s->text, sizeof(s->text), fmt, ap);
	va_end(ap);
}

/* What a parsed reply to the probe says about id and key. */
static void
judge_reply(const struct cfg *cfg, const struct yk_params *p,
    const char *nonce, struct ck_server *s)
{
	const char *status = params_get(p, "status"), *echo;
	static const unsigned char none[1];
	long id = cfg->vc.id;

	if (status == NULL) {
		say(s, CK_DENY, "the reply has no status: not a validation "
		    "server at this URL?");
		return;
	}
	snprintf(s->status, sizeof(s->status), "%.31s", status);
	if ((echo = params_get(p, "nonce")) != NULL && strcmp(echo, nonce) != 0)
		say(s, CK_DENY, "the reply echoes another nonce (status %s): "
		    "a replayed or forged reply", s->status);
	else if (strcmp(status, "NO_SUCH_CLIENT") == 0)
		say(s, CK_DENY, "the server does not know id=%ld "
		    "(NO_SUCH_CLIENT): every OTP would go unanswered", id);
	else if (strcmp(status, "BAD_SIGNATURE") == 0)
		say(s, CK_DENY, "the server finds our request signature wrong "
		    "(BAD_SIGNATURE): key= is not the key of id=%ld", id);
	else if (cfg->vc.keylen == 0)
		say(s, CK_OK, "reachable in %.0f ms (status %s); without key= "
		    "its replies cannot be authenticated", s->ms, s->status);
	else if (params_get(p, "h") == NULL)
		say(s, CK_DENY, "the reply is not signed (status %s): with "
		    "key= set, no answer of this server would be trusted",
		    s->status);
	else if (params_verify(p, cfg->vc.key, cfg->vc.keylen)) {
		say(s, CK_OK, "reachable in %.0f ms; its reply (status %s) is "
		    "signed with key=, so id=%ld and key= are right", s->ms,
		    s->status, id);
		s->confirmed = true;
	}
	else if (params_verify(p, none, 0))
		say(s, CK_WARN, "reachable in %.0f ms, but its reply (status "
		    "%s) is signed with an empty key, not key=: id=%ld is not "
		    "known there (ykvald), or the server signs early errors so "
		    "(YK-VAL, YubiCloud); id= and key= are not confirmed here",
		    s->ms, s->status, id);
	else
		say(s, CK_DENY, "its reply (status %s) does not verify with "
		    "key=: key= is not the key of id=%ld on this server (or the "
		    "reply is forged); every answer would be ignored",
		    s->status, id);
}

static void
judge(const struct cfg *cfg, const struct vc_reply *r, const char *nonce,
    struct ck_server *s)
{
	struct yk_params p = { .n = 0 };
	const char *errstr = NULL;

	s->unreachable = r->error != NULL && r->unreachable;
	if (r->error != NULL)
		say(s, CK_DENY, "%s: %s", r->unreachable ? "unreachable" :
		    "a failed reply", r->error);
	else if (r->http != 200)
		say(s, CK_DENY, "answers HTTP %ld: not a validation server at "
		    "this URL?", r->http);
	else if (response_parse(r->body, r->len, &p, &errstr) != 0)
		say(s, CK_DENY, "its reply does not parse (%s): not a "
		    "validation server at this URL?", errstr);
	else
		judge_reply(cfg, &p, nonce, s);
	params_free(&p);
}

int
check_servers(const struct cfg *cfg, struct ck_server *out)
{
	const struct vc_transport *tr = &vc_http_transport;
	char nonce[VC_NONCE_LEN + 1] = "", *query = NULL;
	char *urls[VC_MAX_URLS] = { NULL };
	size_t n = cfg->vc.nurls, answered = 0;
	struct timespec t0, deadline;
	struct vc_reply *r = NULL;
	const char *errstr = NULL;
	void *st = NULL;
	int got = 0, rc = -1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		say(&out[i], CK_DENY, "not asked: local error");
	}
	if (n == 0 || n > VC_MAX_URLS || (r = malloc(sizeof(*r))) == NULL ||
	    request_nonce(nonce) != 0 ||
	    (query = request_query(cfg->vc.id, NULL, nonce, cfg->vc.key,
	    cfg->vc.keylen, &errstr)) == NULL)
		goto out;
	for (size_t i = 0; i < n; i++)
		if ((urls[i] = request_url(cfg->vc.urls[i], query)) == NULL)
			goto out;
	deadline = mono_add(t0, cfg->vc.timeout_ms);
	if (tr->start(tr->arg, &cfg->vc, urls, n, &deadline, &st) != 0) {
		for (size_t i = 0; i < n; i++)
			say(&out[i], CK_DENY, "not asked: libcurl cannot be "
			    "loaded or set up");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		say(&out[i], CK_DENY, "no answer within %u s (timeout=)",
		    cfg->vc.timeout_ms / 1000);
		out[i].unreachable = true;
	}
	while (answered < n && (got = tr->next(st, &deadline, r)) == 1) {
		if (r->idx >= n)
			break;
		out[r->idx].ms = mono_ms_since(&t0);
		judge(cfg, r, nonce, &out[r->idx]);
		answered++;
	}
	rc = got < 0 ? -1 : 0;
out:
	if (st != NULL)
		tr->stop(st);
	for (size_t i = 0; i < VC_MAX_URLS; i++)
		free(urls[i]);
	free(query);
	free(r);
	return rc;
}
