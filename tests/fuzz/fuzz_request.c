/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_request.c - a query string through verify_request and verify_reply */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "modhex.h"
#include "verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char aes[16] = {
	0xc6, 0x8c, 0x9d, 0xf8, 0xcb, 0xfe, 0x7d, 0x2f,
	0x99, 0x4c, 0xb9, 0x04, 0x04, 0x6c, 0x72, 0x18,
};

/*
 * Client 1 is "remembered" with another digest than the database's, so
 * that every answer but OK and BACKEND_ERROR is decided twice.
 */
static int
client_get(void *arg, long id, bool fresh, struct client *out, bool *cached)
{
	memset(out, 0, sizeof(*out));
	*cached = false;
	if (id != 1)
		return id == 2 ? -1 : 0;
	*cached = !fresh;
	out->digest[0] = fresh;
	out->id = 1;
	out->keylen = (size_t)b64_decode("EHmo8FMxuhumBlTinC4uYL0Mgwg=",
	    out->key, sizeof(out->key));
	return 1;
}

/* Storage stand-in: decrypts with one key and says OK when that works. */
static void
decide(void *arg, struct cas_item *it)
{
	size_t idlen = otp_pubid_len(it->otp->len);

	memcpy(it->public_id, it->otp->otp, idlen);
	it->public_id[idlen] = '\0';
	it->verdict = otp_decrypt(it->otp->otp + idlen, aes, &it->tok) == 0 ?
	    SV_OK : SV_BAD_OTP;
	if (it->verdict == SV_OK)
		it->otp_used = it->otp->otp;
}

static void
unescape(char *s)
{
	char *w = s;

	for (; *s != '\0'; s++) {
		unsigned char b;

		if (*s == '%' && s[1] && s[2] && hex_decode(s + 1, 1, &b) == 0 &&
		    b != 0) {
			*w++ = (char)b;
			s += 2;
		} else {
			*w++ = *s == '+' ? ' ' : *s;
		}
	}
	*w = '\0';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct verify_backend be = {
		.client_get = client_get, .decide = decide,
	};
	struct yk_params p = { .n = 0 };
	struct verify_result res;
	struct timespec now = { 0, 0 };
	char *s = malloc(size + 1), *save = NULL, reply[1024];

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (char *kv = strtok_r(s, "&", &save); kv != NULL;
	    kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');

		if (eq != NULL)
			*eq++ = '\0';
		unescape(kv);
		if (eq != NULL)
			unescape(eq);
		params_set(&p, kv, eq ? eq : "");
	}
	verify_request(&p, &be, &res);
	verify_reply(&res, &now, reply, sizeof(reply));
	verify_result_clear(&res);
	params_free(&p);
	free(s);
	return 0;
}
