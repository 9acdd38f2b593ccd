/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_piv_policy.c - DER certificates through the PIV certificate policy
 * (piv_cert_policy: leaf_unfit, chain_weak, key usage, has_eku).  The
 * input is one or more DER certificates back to back: every one but the
 * last goes into the trust store (as piv_cafile's would), the last is the
 * card's.  A lone certificate is its own anchor, so that a self-signed
 * seed gets through the chain to the key usage checks.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "piv_cert.h"

#define MAX_CERTS	4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *p = data, *end = data + size;
	X509 *x[MAX_CERTS] = { NULL };
	X509_STORE *store = NULL;
	struct cfg cfg;
	char buf[PIV_WHY_MAX];
	int n = 0;

	while (n < MAX_CERTS && p < end &&
	    (x[n] = d2i_X509(NULL, &p, (long)(end - p))) != NULL)
		n++;
	if (n == 0 || (store = X509_STORE_new()) == NULL)
		goto out;
	/* piv_trust_load's store, without its files. */
	X509_STORE_set_flags(store, X509_V_FLAG_X509_STRICT);
	for (int i = 0; i < (n == 1 ? 1 : n - 1); i++)
		X509_STORE_add_cert(store, x[i]);
	memset(&cfg, 0, sizeof(cfg));
	cfg.mode = MODE_PIV;
	for (int v = 0; v < 4; v++) {
		const char *why;

		cfg.piv_min_rsa_bits = v & 1 ? 1024 : CFG_DEFAULT_MIN_RSA_BITS;
		cfg.piv_eku_any = (v & 2) != 0;
		buf[0] = '\0';
		why = piv_cert_policy(&cfg, store, x[n - 1], buf, sizeof(buf));
		if (why != NULL && (why[0] == '\0' || strlen(why) >= PIV_WHY_MAX))
			abort();	/* a refusal always says why */
	}
out:
	X509_STORE_free(store);
	for (int i = 0; i < n; i++)
		X509_free(x[i]);
	return 0;
}
