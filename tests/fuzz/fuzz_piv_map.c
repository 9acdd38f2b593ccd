/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_piv_map.c - a certificate's names through the PIV mapping rules
 * (piv_cert_names: cn, uid, upn, email).  The input is what the mapping
 * reads: a DER subject Name, then the DER value of a subjectAltName
 * extension (GeneralNames), raw.  They go into one keyless certificate
 * made at start-up: OpenSSL 3.0's d2i_X509 spends ~300 us decoding the
 * public key through its provider decoders (even without sanitizers),
 * which held a whole-certificate harness to a few thousand runs a second
 * on a key the mapping never reads.  fuzz_piv_policy and fuzz_piv_p11
 * feed whole certificates.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "piv_cert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static X509 *x;
	const unsigned char *p = data;
	X509_NAME *name = d2i_X509_NAME(NULL, &p, (long)size);
	ASN1_OCTET_STRING *san = NULL;
	X509_EXTENSION *ext = NULL;
	struct cfg cfg = { .piv_domain = { "example.test" }, .npiv_domains = 1 };
	int i;

	if (x == NULL && (x = X509_new()) == NULL)
		abort();
	if (name == NULL || X509_set_subject_name(x, name) != 1)
		goto out;
	while ((i = X509_get_ext_by_NID(x, NID_subject_alt_name, -1)) >= 0)
		X509_EXTENSION_free(X509_delete_ext(x, i));
	if (p < data + size && ((san = ASN1_OCTET_STRING_new()) == NULL ||
	    ASN1_OCTET_STRING_set(san, p, (int)(data + size - p)) != 1 ||
	    (ext = X509_EXTENSION_create_by_NID(NULL, NID_subject_alt_name, 0,
	    san)) == NULL || X509_add_ext(x, ext, -1) != 1))
		goto out;
	for (int m = PIV_MAP_CN; m <= PIV_MAP_EMAIL; m++) {
		cfg.piv_map = (enum piv_map)m;
		piv_cert_names(x, &cfg, "alice");
		piv_cert_names(x, &cfg, "");
	}
out:
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(san);
	X509_NAME_free(name);
	ERR_clear_error();
	return 0;
}
