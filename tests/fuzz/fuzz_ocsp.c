/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_ocsp.c - a responder's answer through what piv_ocsp_check does
 * with it (piv_ocsp_answer: the HTTP status line and header, the DER
 * OCSPResponse, its signature, signer, nonce and freshness; and
 * piv_ocsp_http_done, which decides when the answer is complete).
 *
 * The first byte picks the mode: bit 0 clear, the rest is the HTTP
 * answer to REQ (which carries a nonce); set, it is a cache entry (DER,
 * no nonce).  Bit 1 sets piv_ocsp_max_age=60.  The fixed test material
 * below (no keys): CA, the trust anchor, issued LEAF, the certificate
 * asked about (serial 2).  The seeds in corpus/ocsp/ were made with
 * `openssl ocsp` from the same CA and its keys (and REQ): good, revoked,
 * unknown, by a delegated responder, by one without OCSPSigning, by a
 * rogue CA of the same name, without nextUpdate, without certificates,
 * without the nonce, and HTTP framing variants.  Dates run to 2126.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "piv_ocsp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char CA[] =
"-----BEGIN CERTIFICATE-----\n"
"MIIBYjCCAQegAwIBAgIBATAKBggqhkjOPQQDAjAXMRUwEwYDVQQDDAxmdXp6IE9D\n"
"U1AgQ0EwIBcNMjYxMjAzMDkzNzE4WhgPMjEyNjExMDkwOTM3MThaMBcxFTATBgNV\n"
"BAMMDGZ1enogT0NTUCBDQTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABPuIBJct\n"
"LnQxrnTH21cTaWBi5jIS8B9LbamhVX8q0vW+zZpSY+4uuhxoLcdPylmjABYqHEZo\n"
"zj5d0XZLYBxl4oGjQjBAMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgEG\n"
"MB0GA1UdDgQWBBSoBza+IY9vaLbeCKNtN8wTx2J4ljAKBggqhkjOPQQDAgNJADBG\n"
"AiEAiIXxrH26PyMfrX2DqWCIVk2vTRjt04FU3dIgjmpxpqECIQC8qb4l0zQPojPZ\n"
"FI96i7IaAiNxX0cX9vC31ui8590TLA==\n"
"-----END CERTIFICATE-----\n"
;

static const char LEAF[] =
"-----BEGIN CERTIFICATE-----\n"
"MIIBjDCCATOgAwIBAgIBAjAKBggqhkjOPQQDAjAXMRUwEwYDVQQDDAxmdXp6IE9D\n"
"U1AgQ0EwIBcNMjYxMjAzMDkzNzE4WhgPMjEyNjExMDkwOTM3MThaMBAxDjAMBgNV\n"
"BAMMBWFsaWNlMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE4liz5IRJi7H90RLO\n"
"+fxWAdbDerGa17dIcwzGLdr15083w3Z8QHl7GyFg3EcPOfaoet8EdecMdhPA4iNH\n"
"PW0TTqN1MHMwDAYDVR0TAQH/BAIwADAOBgNVHQ8BAf8EBAMCB4AwEwYDVR0lBAww\n"
"CgYIKwYBBQUHAwIwHQYDVR0OBBYEFODI1KAWGSCqiSKQZ6fh0CnFJ5LHMB8GA1Ud\n"
"IwQYMBaAFKgHNr4hj29ott4Io203zBPHYniWMAoGCCqGSM49BAMCA0cAMEQCIAz2\n"
"qvWgtHkvVsxfEBdTIFhvLhFNGv3rbPiInKg9sw1GAiAOgPb6MwAmA/AsmPhAxviP\n"
"wt5msRlDF2dXU/XtITgRyA==\n"
"-----END CERTIFICATE-----\n"
;

/* openssl ocsp -issuer ca.pem -cert leaf.pem -reqout: SHA-1 CertID, nonce */
static const unsigned char REQ[] = {
	0x30, 0x67, 0x30, 0x65, 0x30, 0x3e, 0x30, 0x3c, 0x30, 0x3a, 0x30, 0x09,
	0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14, 0x42,
	0x39, 0x81, 0xf3, 0x6e, 0x19, 0x10, 0x3b, 0x18, 0x95, 0x66, 0xd2, 0x95,
	0x96, 0x50, 0xde, 0x24, 0x16, 0x5a, 0xb5, 0x04, 0x14, 0xa8, 0x07, 0x36,
	0xbe, 0x21, 0x8f, 0x6f, 0x68, 0xb6, 0xde, 0x08, 0xa3, 0x6d, 0x37, 0xcc,
	0x13, 0xc7, 0x62, 0x78, 0x96, 0x02, 0x01, 0x02, 0xa2, 0x23, 0x30, 0x21,
	0x30, 0x1f, 0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01,
	0x02, 0x04, 0x12, 0x04, 0x10, 0xd7, 0xe1, 0x68, 0x0d, 0x16, 0x13, 0xf4,
	0xbf, 0x48, 0x47, 0x43, 0x78, 0x8f, 0x4a, 0x82, 0x82
};

static X509_STORE *store;
static X509 *issuer;
static OCSP_CERTID *id;
static OCSP_REQUEST *req;

static X509 *
pem_cert(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

	BIO_free(b);
	return x;
}

/* The fixed material, once (kept for the process: still reachable). */
static void
setup(void)
{
	const unsigned char *p = REQ;
	X509 *leaf = pem_cert(LEAF);

	issuer = pem_cert(CA);
	store = X509_STORE_new();
	if (leaf == NULL || issuer == NULL || store == NULL)
		abort();
	/* piv_trust_load's store, without its files. */
	X509_STORE_set_flags(store, X509_V_FLAG_X509_STRICT);
	if (X509_STORE_add_cert(store, issuer) != 1 ||
	    (id = OCSP_cert_to_id(NULL, leaf, issuer)) == NULL ||
	    (req = d2i_OCSP_REQUEST(NULL, &p, (long)sizeof(REQ))) == NULL)
		abort();
	X509_free(leaf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct piv_ocsp_ask q = { 0 };
	OCSP_RESPONSE *resp = NULL;
	enum piv_ocsp_status st;
	long long next = 0;
	struct cfg cfg;
	char why[PIV_WHY_MAX];
	bool http;

	if (size < 1)
		return 0;
	if (store == NULL)
		setup();
	memset(&cfg, 0, sizeof(cfg));
	cfg.mode = MODE_PIV;
	cfg.piv_ocsp = PIV_OCSP_REQUIRE;
	cfg.piv_ocsp_max_age = data[0] & 2 ? 60 : 0;
	http = (data[0] & 1) == 0;
	q.cfg = &cfg;
	q.store = store;
	q.issuer = issuer;
	q.id = id;
	q.req = http ? req : NULL;
	if (http)
		(void)piv_ocsp_http_done(data + 1, size - 1);
	memset(why, 'x', sizeof(why));
	why[0] = '\0';
	st = piv_ocsp_answer(&q, data + 1, size - 1, http, &resp, &next, why,
	    sizeof(why));
	/* A verdict always says why; a parsed answer comes with a verdict. */
	if (why[0] == '\0' || memchr(why, '\0', sizeof(why)) == NULL)
		abort();
	if (st != PIV_OCSP_GOOD && st != PIV_OCSP_REVOKED &&
	    st != PIV_OCSP_UNKNOWN && st != PIV_OCSP_BAD)
		abort();
	if ((resp != NULL) != (st != PIV_OCSP_BAD) || (st == PIV_OCSP_BAD &&
	    next != -1))
		abort();
	OCSP_RESPONSE_free(resp);
	return 0;
}
