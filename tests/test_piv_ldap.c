/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_piv_ldap.c - piv_map=ldap's pure parts: the fingerprint spellings
 * a directory value may use, and the comparison of the card's certificate
 * with the values of the user's entry (DER exactly, or its fingerprint).
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cfg.h"
#include "ldap_map.h"
#include "piv_cert.h"
#include "tap.h"

#define HEX64 "00112233445566778899aabbccddeeff" \
	"00112233445566778899AABBCCDDEEFF"
#define COLONS "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:" \
	"00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff"

static bool
fp_ok(const char *v, size_t len)
{
	unsigned char out[LDAP_MAP_FP_LEN];

	return ldap_map_fingerprint(v, len, out) == 0 && out[0] == 0x00 &&
	    out[10] == 0xaa && out[31] == 0xff;
}
#define GOOD(s) CHECK(fp_ok(s, sizeof(s) - 1), "accepts '%s'", s)
#define BAD(s) CHECK(!fp_ok(s, sizeof(s) - 1), "refuses '%s'", s)

static void
test_fingerprint(void)
{
	GOOD(HEX64);
	GOOD(COLONS);
	GOOD("sha256=" HEX64);
	GOOD("sha256=" COLONS);
	BAD("");
	BAD("sha256=");
	BAD(HEX64 "0");				/* 65 digits */
	BAD("0" HEX64);
	BAD(HEX64 "\n");
	BAD(HEX64 " ");
	BAD(" " HEX64);
	BAD("SHA256=" HEX64);
	BAD("sha1=" HEX64);
	BAD("sha256=sha256=" HEX64);
	BAD("00112233445566778899aabbccddeeff0011223344556677");	/* SHA-1 + */
	BAD(COLONS ":");
	BAD("00-11-22-33-44-55-66-77-88-99-AA-BB-CC-DD-EE-FF-"
	    "00-11-22-33-44-55-66-77-88-99-aa-bb-cc-dd-ee-ff");
	BAD("0011:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
	    "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:");
	BAD("00112233445566778899aabbccddeeff"
	    "00112233445566778899AABBCCDDEEFg");
	/* a NUL where a digit belongs */
	BAD("00112233445566778899aabbccddeeff"
	    "00112233445566778899AABBCCDDEE\0F");
}

/* A self-signed EC certificate, enough to be compared. */
static X509 *
make_cert(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();

	if (k == NULL || x == NULL || X509_set_version(x, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(x), 7) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 3600) == NULL ||
	    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_ASC, (const unsigned char *)"alice", -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, X509_get_subject_name(x)) != 1 ||
	    X509_set_pubkey(x, k) != 1 || X509_sign(x, k, EVP_sha256()) == 0) {
		X509_free(x);
		x = NULL;
	}
	EVP_PKEY_free(k);
	return x;
}

/* map x with the entry's values vals (lens) as piv_dir_lookup left them */
static enum yk_result
map(const struct cfg *cfg, X509 *x, char **vals, const size_t *lens,
    size_t n)
{
	struct piv_dir d;
	struct yk_log log;
	const char *why = NULL;
	enum yk_result r;

	memset(&d, 0, sizeof(d));
	log_init(&log, "test");
	d.looked = true;
	d.r = YK_OK;
	for (size_t i = 0; i < n; i++) {
		d.v.val[i] = malloc(lens[i] + 1);
		memcpy(d.v.val[i], vals[i], lens[i]);
		d.v.val[i][lens[i]] = '\0';
		d.v.len[i] = lens[i];
	}
	d.v.n = n;
	r = piv_map_user(cfg, &log, "alice", NULL, x, &d, &why);
	CHECK(r == YK_OK || why != NULL, "a denial says why");
	piv_dir_free(&d);
	return r;
}

static void
test_match(void)
{
	struct cfg cfg;
	X509 *x = make_cert(), *y = make_cert();
	unsigned char *der = NULL, *other = NULL, md[32];
	unsigned int mdlen = 0;
	char hex[65], fp[80], *v[2];
	size_t len[2];
	int dl, ol;

	memset(&cfg, 0, sizeof(cfg));
	cfg.mode = MODE_PIV;
	cfg.piv_map = PIV_MAP_LDAP;
	if (x == NULL || y == NULL || (dl = i2d_X509(x, &der)) <= 0 ||
	    (ol = i2d_X509(y, &other)) <= 0) {
		CHECK(false, "cannot make test certificates");
		goto out;
	}
	v[0] = (char *)other; len[0] = (size_t)ol;
	v[1] = (char *)der; len[1] = (size_t)dl;
	CHECK(map(&cfg, x, v, len, 2) == YK_OK, "its DER among the values");
	CHECK(map(&cfg, x, v, len, 1) == YK_NOT_MAPPED, "another DER only");
	CHECK(map(&cfg, x, v, len, 0) == YK_NOT_MAPPED, "no value");
	len[1] = (size_t)dl - 1;
	CHECK(map(&cfg, x, v, len, 2) == YK_NOT_MAPPED, "its DER cut short");
	der = OPENSSL_realloc(der, (size_t)dl + 1);
	der[dl] = 0;
	v[1] = (char *)der; len[1] = (size_t)dl + 1;
	CHECK(map(&cfg, x, v, len, 2) == YK_NOT_MAPPED, "its DER and a byte");

	cfg.piv_ldap_fp_attr = "fp";
	X509_digest(x, EVP_sha256(), md, &mdlen);
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02X", md[i]);
	snprintf(fp, sizeof(fp), "sha256=%s", hex);
	v[0] = fp; len[0] = strlen(fp);
	CHECK(map(&cfg, x, v, len, 1) == YK_OK, "its fingerprint");
	CHECK(map(&cfg, y, v, len, 1) == YK_NOT_MAPPED, "another's fingerprint");
	fp[strlen(fp) - 1] = fp[strlen(fp) - 1] == '0' ? '1' : '0';
	CHECK(map(&cfg, x, v, len, 1) == YK_NOT_MAPPED, "one digit off");
out:
	OPENSSL_free(der);
	OPENSSL_free(other);
	X509_free(x);
	X509_free(y);
}

int
main(void)
{
	test_fingerprint();
	test_match();
	return tap_done("test_piv_ldap");
}
