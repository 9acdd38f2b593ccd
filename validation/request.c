/* SPDX-License-Identifier: BSD-2-Clause */
/* request.c - the signed query of one verify request (pure) */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "params.h"
#include "request.h"

static const char alnum[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

int
request_nonce(char out[VC_NONCE_LEN + 1])
{
	unsigned char rnd[64];
	size_t n = 0;
	int r = -1;

	/* 248 = 4 * 62: rejecting bytes above it keeps the choice uniform. */
	for (int round = 0; round < 8 && n < VC_NONCE_LEN; round++) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			goto out;
		for (size_t i = 0; i < sizeof(rnd) && n < VC_NONCE_LEN; i++)
			if (rnd[i] < 248)
				out[n++] = alnum[rnd[i] % 62];
	}
	if (n == VC_NONCE_LEN)
		r = 0;
out:
	out[n] = '\0';
	explicit_bzero(rnd, sizeof(rnd));
	return r;
}

void
request_escape(const char *s, char *out)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			*out++ = (char)c;
		} else {
			*out++ = '%';
			*out++ = hex[c >> 4];
			*out++ = hex[c & 0xf];
		}
	}
	*out = '\0';
}

/* key=escaped(value)&... in the order the pairs were set. */
static char *
query_string(const struct yk_params *p)
{
	size_t cap = 1;
	char *q, *w;

	for (size_t i = 0; i < p->n; i++)
		cap += strlen(p->kv[i].key) + 3 * strlen(p->kv[i].val) + 2;
	if ((q = malloc(cap)) == NULL)
		return NULL;
	w = q;
	for (size_t i = 0; i < p->n; i++) {
		if (i > 0)
			*w++ = '&';
		w = stpcpy(w, p->kv[i].key);
		*w++ = '=';
		request_escape(p->kv[i].val, w);
		w += strlen(w);
	}
	*w = '\0';
	return q;
}

char *
request_query(long id, const char *otp, const char *nonce,
    const unsigned char *key, size_t keylen, const char **errstr)
{
	struct yk_params p = { .n = 0 };
	char ids[24], h[YK_HMAC_B64_LEN + 1];
	char *q = NULL;

	if (id <= 0) {
		*errstr = "client id must be positive";
		return NULL;
	}
	snprintf(ids, sizeof(ids), "%ld", id);
	*errstr = "out of memory";
	if (params_set(&p, "id", ids) != 0 ||
	    params_set(&p, "nonce", nonce) != 0 ||
	    (otp != NULL && params_set(&p, "otp", otp) != 0))
		goto out;
	if (keylen > 0) {
		if (params_sign(&p, key, keylen, h) != 0) {
			*errstr = "cannot sign the request";
			goto out;
		}
		if (params_set(&p, "h", h) != 0)
			goto out;
	}
	q = query_string(&p);
out:
	explicit_bzero(h, sizeof(h));
	params_wipe(&p);
	return q;
}

char *
request_url(const char *base, const char *query)
{
	size_t bl = strlen(base), ql = strlen(query);
	char *u = malloc(bl + ql + 2);

	if (u == NULL)
		return NULL;
	memcpy(u, base, bl);
	u[bl] = strchr(base, '?') != NULL ? '&' : '?';
	memcpy(u + bl + 1, query, ql + 1);
	return u;
}

const char *
request_url_shown(const char *url, char *out, size_t len)
{
	const char *host = strstr(url, "://"), *end, *at = NULL;

	if (len == 0)
		return out;
	if (host == NULL) {
		snprintf(out, len, "%s", url);
		return out;
	}
	host += 3;
	end = host + strcspn(host, "/?#");
	for (const char *p = host; p < end; p++)
		if (*p == '@')
			at = p;
	if (at == NULL)
		snprintf(out, len, "%s", url);
	else
		snprintf(out, len, "%.*s***%s", (int)(host - url), url, at);
	return out;
}
