/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_piv_map.c - DER certificates through the PIV mapping rules */
#include "config.h"

#include <stdint.h>

#include <openssl/x509.h>

#include "piv_cert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *p = data;
	X509 *x = d2i_X509(NULL, &p, (long)size);
	struct cfg cfg = { .piv_domain = { "example.test" }, .npiv_domains = 1 };

	if (x == NULL)
		return 0;
	for (int m = PIV_MAP_CN; m <= PIV_MAP_EMAIL; m++) {
		cfg.piv_map = (enum piv_map)m;
		piv_cert_names(x, &cfg, "alice");
		piv_cert_names(x, &cfg, "");
	}
	X509_free(x);
	return 0;
}
