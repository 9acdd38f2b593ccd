/* SPDX-License-Identifier: BSD-2-Clause */
/* test_params.c - canonical strings, signatures and base64 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "params.h"
#include "tap.h"

#define CLIENT_KEY "EHmo8FMxuhumBlTinC4uYL0Mgwg="
#define OTP "idkfefrdhtrutjduvtcjbfeuvhehdvjjlbchtlenfgku"

static void
set_all(struct yk_params *p, const char *const *kv)
{
	for (; kv[0] != NULL; kv += 2)
		params_set(p, kv[0], kv[1]);
}

static void
sig_is(const char *const *kv, const char *key_b64, const char *want)
{
	struct yk_params p = { .n = 0 };
	unsigned char key[64];
	char h[YK_HMAC_B64_LEN + 1] = "";
	int n = key_b64 ? b64_decode(key_b64, key, sizeof(key)) : 0;

	set_all(&p, kv);
	CHECK(n >= 0 && params_sign(&p, key, (size_t)n, h) == 0 &&
	    strcmp(h, want) == 0, "signature %s, want %s", h, want);
	params_set(&p, "h", want);
	CHECK(params_verify(&p, key, (size_t)n), "verify %s", want);
	params_set(&p, "h", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=");
	CHECK(!params_verify(&p, key, (size_t)n), "a wrong h fails");
	params_set(&p, "h", "");
	CHECK(!params_verify(&p, key, (size_t)n), "an empty h fails");
	params_free(&p);
}

static void
test_vectors(void)
{
	static const char *const req[] = {
		"otp", OTP, "id", "1", "nonce", "kakakakakakakakakakakaka", NULL,
	};
	static const char *const resp[] = {
		"t", "2020-01-01T00:00:00Z0000", "otp", OTP,
		"nonce", "kakakakakakakakakakakaka", "sl", "0", "status", "OK", NULL,
	};
	static const char *const early[] = {
		"t", "2020-01-01T00:00:00Z0000", "status", "MISSING_PARAMETER", NULL,
	};

	sig_is(req, CLIENT_KEY, "ehhpPyH9W/uL5v/1XGd52oN8yMg=");
	sig_is(resp, CLIENT_KEY, "QP12HqGPhZ9I2BOum8yw/MQzCwg=");
	sig_is(early, NULL, "j/d/a5xLHrGRbLOzDts2825yhOM=");
}

static void
test_canonical(void)
{
	struct yk_params p = { .n = 0 };
	char *s;

	params_set(&p, "timeout", "8");
	params_set(&p, "h", "ignored");
	params_set(&p, "a", "x y");
	params_set(&p, "B", "1");
	params_set(&p, "a", "last");
	s = params_canonical(&p);
	CHECK(s && strcmp(s, "B=1&a=last&timeout=8") == 0, "canonical '%s'", s);
	CHECK(p.n == 4, "a repeated key is replaced");
	free(s);
	params_free(&p);
	for (int i = 0; i < YK_PARAMS_MAX; i++) {
		char k[8];

		snprintf(k, sizeof(k), "k%d", i);
		params_set(&p, k, "v");
	}
	CHECK(params_set(&p, "one-too-many", "v") != 0, "the set is bounded");
	params_free(&p);
}

static void
test_b64(void)
{
	unsigned char out[32];
	char enc[64];

	CHECK(b64_decode(CLIENT_KEY, out, sizeof(out)) == 20, "20-byte key");
	CHECK(b64_decode("Zg==", out, sizeof(out)) == 1 && out[0] == 'f', "Zg==");
	CHECK(b64_decode("Zm8=", out, sizeof(out)) == 2, "Zm8=");
	CHECK(b64_decode("Zm9v", out, sizeof(out)) == 3, "Zm9v");
	CHECK(b64_decode("", out, sizeof(out)) < 0, "empty");
	CHECK(b64_decode("Zg=", out, sizeof(out)) < 0, "bad length");
	CHECK(b64_decode("Z===", out, sizeof(out)) < 0, "too much padding");
	CHECK(b64_decode("Zg=a", out, sizeof(out)) < 0, "padding inside");
	CHECK(b64_decode("Zg==Zg==", out, sizeof(out)) < 0, "padding mid-way");
	CHECK(b64_decode("Z-9v", out, sizeof(out)) < 0, "url alphabet");
	CHECK(b64_decode("Zm9vZm9v", out, 5) < 0, "bounded output");
	b64_encode((const unsigned char *)"foo", 3, enc);
	CHECK(strcmp(enc, "Zm9v") == 0, "encode");
}

int
main(void)
{
	test_vectors();
	test_canonical();
	test_b64();
	return tap_done("test_params");
}
