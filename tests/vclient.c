/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vclient.c - test helper: one protocol 2.0 request, its reply checked.
 *
 *   vclient [-k B64KEY] [-U] [-P] [-t] [-n NONCE] [-h H] [-x K=V] URL ID OTP
 *
 * Prints the reply's status, then "signature=ok|bad|unsigned" (checked
 * with -k's key, or with the empty key when none), "echo=ok|bad|none",
 * and the raw reply.  -U sends the request unsigned even with -k.  -P sends a POST form; -t asks for timestamp=1; -h
 * overrides h; -x adds a raw extra parameter.  Exit 0 when a reply was
 * read, 1 on a transport error.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "params.h"
#include "response.h"

struct buf {
	char	data[8192];
	size_t	len;
};

static size_t
sink(char *p, size_t sz, size_t n, void *arg)
{
	struct buf *b = arg;
	size_t len = sz * n;

	if (b->len + len >= sizeof(b->data))
		return 0;
	memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return len;
}

int
main(int argc, char **argv)
{
	struct yk_params req = { .n = 0 }, rep = { .n = 0 };
	unsigned char key[64];
	int klen = 0, c, rc = 1;
	const char *b64 = NULL, *nonce = "abcdefghijklmnop0123456789", *h = NULL;
	const char *errstr;
	bool post = false, unsigned_req = false;
	char sig[YK_HMAC_B64_LEN + 1], *query = NULL, *raw;
	struct buf out = { .len = 0 };
	char *url = NULL;
	CURL *cu;

	while ((c = getopt(argc, argv, "k:UPtn:h:x:")) != -1) {
		switch (c) {
		case 'k': b64 = optarg; break;
		case 'P': post = true; break;
		case 'U': unsigned_req = true; break;
		case 't': params_set(&req, "timestamp", "1"); break;
		case 'n': nonce = optarg; break;
		case 'h': h = optarg; break;
		case 'x': {
			char *eq = strchr(optarg, '=');

			if (eq == NULL)
				return 2;
			*eq = '\0';
			params_set(&req, optarg, eq + 1);
			break;
		}
		default: return 2;
		}
	}
	if (argc - optind != 3)
		return 2;
	if (b64 != NULL && (klen = b64_decode(b64, key, sizeof(key))) < 0)
		return 2;
	params_set(&req, "id", argv[optind + 1]);
	params_set(&req, "otp", argv[optind + 2]);
	params_set(&req, "nonce", nonce);
	if (h != NULL)
		params_set(&req, "h", h);
	else if (b64 != NULL && !unsigned_req && params_sign(&req, key, (size_t)klen, sig) == 0)
		params_set(&req, "h", sig);
	cu = curl_easy_init();
	/* Percent-encode every value; the signature covers decoded ones. */
	{
		size_t cap = 1;

		for (size_t i = 0; i < req.n; i++)
			cap += strlen(req.kv[i].key) + 3 * strlen(req.kv[i].val) + 2;
		query = calloc(1, cap);
		for (size_t i = 0; i < req.n; i++) {
			char *e = curl_easy_escape(cu, req.kv[i].val, 0);

			if (i > 0)
				strcat(query, "&");
			strcat(query, req.kv[i].key);
			strcat(query, "=");
			strcat(query, e);
			curl_free(e);
		}
	}
	if (post) {
		curl_easy_setopt(cu, CURLOPT_URL, argv[optind]);
		curl_easy_setopt(cu, CURLOPT_POSTFIELDS, query);
	} else {
		url = malloc(strlen(argv[optind]) + strlen(query) + 2);
		sprintf(url, "%s?%s", argv[optind], query);
		curl_easy_setopt(cu, CURLOPT_URL, url);
	}
	curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(cu, CURLOPT_WRITEDATA, &out);
	curl_easy_setopt(cu, CURLOPT_TIMEOUT, 20L);
	if (getenv("VCLIENT_CAINFO") != NULL)
		curl_easy_setopt(cu, CURLOPT_CAINFO, getenv("VCLIENT_CAINFO"));
	if (curl_easy_perform(cu) != CURLE_OK) {
		fprintf(stderr, "vclient: transport error\n");
		goto out;
	}
	raw = strdup(out.data);
	if (response_parse(out.data, out.len, &rep, &errstr) != 0)
		printf("parse-error=%s\n", errstr);
	printf("status=%s\n", params_get(&rep, "status") ?
	    params_get(&rep, "status") : "(none)");
	printf("signature=%s\n", params_get(&rep, "h") == NULL ? "unsigned" :
	    params_verify(&rep, key, (size_t)klen) ? "ok" : "bad");
	if (params_get(&rep, "otp") == NULL)
		printf("echo=none\n");
	else
		printf("echo=%s\n", strcmp(params_get(&rep, "otp"),
		    params_get(&req, "otp")) == 0 &&
		    strcmp(params_get(&rep, "nonce") ? params_get(&rep, "nonce") :
		    "", nonce) == 0 ? "ok" : "bad");
	printf("%s", raw);
	free(raw);
	rc = 0;
out:
	curl_easy_cleanup(cu);
	free(url);
	free(query);
	params_free(&req);
	params_free(&rep);
	return rc;
}
