/* SPDX-License-Identifier: BSD-2-Clause */
/* params.c - protocol key=value sets and their signature (pure) */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "params.h"

int
params_set(struct yk_params *p, const char *key, const char *val)
{
	char *v = strdup(val);

	if (v == NULL)
		return -1;
	for (size_t i = 0; i < p->n; i++) {
		if (strcmp(p->kv[i].key, key) == 0) {
			free(p->kv[i].val);
			p->kv[i].val = v;
			return 0;
		}
	}
	if (p->n == YK_PARAMS_MAX || (p->kv[p->n].key = strdup(key)) == NULL) {
		free(v);
		return -1;
	}
	p->kv[p->n++].val = v;
	return 0;
}

const char *
params_get(const struct yk_params *p, const char *key)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->kv[i].key, key) == 0)
			return p->kv[i].val;
	return NULL;
}

void
params_wipe(struct yk_params *p)
{
	for (size_t i = 0; i < p->n; i++)
		explicit_bzero(p->kv[i].val, strlen(p->kv[i].val));
	params_free(p);
}

void
params_free(struct yk_params *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->kv[i].key);
		free(p->kv[i].val);
	}
	p->n = 0;
}

static int
kv_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct yk_kv *const *)a)->key,
	    (*(const struct yk_kv *const *)b)->key);
}

char *
params_canonical(const struct yk_params *p)
{
	const struct yk_kv *sorted[YK_PARAMS_MAX];
	size_t n = 0, len = 1;
	char *s, *w;

	for (size_t i = 0; i < p->n; i++) {
		if (strcmp(p->kv[i].key, "h") == 0)
			continue;
		sorted[n++] = &p->kv[i];
		len += strlen(p->kv[i].key) + strlen(p->kv[i].val) + 2;
	}
	qsort(sorted, n, sizeof(sorted[0]), kv_cmp);
	if ((s = malloc(len)) == NULL)
		return NULL;
	w = s;
	for (size_t i = 0; i < n; i++) {
		size_t kl = strlen(sorted[i]->key), vl = strlen(sorted[i]->val);

		if (i > 0)
			*w++ = '&';
		memcpy(w, sorted[i]->key, kl);
		w += kl;
		*w++ = '=';
		memcpy(w, sorted[i]->val, vl);
		w += vl;
	}
	*w = '\0';
	return s;
}

int
params_sign(const struct yk_params *p, const unsigned char *key,
    size_t keylen, char out[YK_HMAC_B64_LEN + 1])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char *msg = params_canonical(p);
	int r = -1;

	if (msg == NULL)
		return -1;
	/* HMAC() takes no NULL key even when it is empty. */
	if (HMAC(EVP_sha1(), keylen ? key : (const unsigned char *)"",
	    (int)keylen, (const unsigned char *)msg, strlen(msg), mac,
	    &maclen) == NULL || maclen != 20)
		goto out;
	b64_encode(mac, maclen, out);
	r = 0;
out:
	explicit_bzero(mac, sizeof(mac));
	free(msg);
	return r;
}

bool
params_verify(const struct yk_params *p, const unsigned char *key,
    size_t keylen)
{
	char want[YK_HMAC_B64_LEN + 1];
	const char *h = params_get(p, "h");
	bool ok;

	if (h == NULL || strlen(h) != YK_HMAC_B64_LEN ||
	    params_sign(p, key, keylen, want) != 0)
		return false;
	ok = CRYPTO_memcmp(want, h, YK_HMAC_B64_LEN) == 0;
	explicit_bzero(want, sizeof(want));
	return ok;
}

static int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
b64_decode(const char *in, unsigned char *out, size_t cap)
{
	size_t len = strlen(in), o = 0;

	if (len == 0 || len % 4 != 0)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		int v[4], pad = 0;
		bool last = i + 4 == len;

		for (size_t j = 0; j < 4; j++) {
			if (in[i + j] == '=' && last && j >= 2 &&
			    (j == 3 || in[i + 3] == '=')) {
				v[j] = 0;
				pad++;
				continue;
			}
			if ((v[j] = b64_value(in[i + j])) < 0)
				return -1;
		}
		if (o + 3 - (size_t)pad > cap)
			return -1;
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[o++] = (unsigned char)((v[1] & 0xf) << 4 | v[2] >> 2);
		if (pad < 1)
			out[o++] = (unsigned char)((v[2] & 0x3) << 6 | v[3]);
	}
	return (int)o;
}

void
b64_encode(const unsigned char *in, size_t n, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}
