/* SPDX-License-Identifier: BSD-2-Clause */
/* piv_cert.c - PIV certificates: trust and CRLs, policy, user mapping */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "mapping.h"
#include "modhex.h"
#include "piv_cert.h"

#define EXT_MAX		64	/* extensions of a certificate we look at */

/* ---- trust anchors and CRLs ----------------------------------------------- */

enum pem_kind { PEM_CERTS, PEM_CRLS };

static const char *duplicate_ext(X509 *x, bool *too_many);

/*
 * A CA certificate OpenSSL would set aside while building chains (so the
 * log would only say "unable to get local issuer certificate") is a
 * configuration error that says why.
 */
static bool
anchor_malformed(X509 *x, const char *what, char *why, size_t len)
{
	char raw[256], name[256];
	bool too_many;
	const char *dup = duplicate_ext(x, &too_many);

	if (dup == NULL && !too_many &&
	    !(X509_get_extension_flags(x) & EXFLAG_INVALID))
		return false;
	X509_NAME_oneline(X509_get_subject_name(x), raw, sizeof(raw));
	snprintf(why, len, "%s: the certificate %s is malformed (%s%s)", what,
	    log_escape(raw, name, sizeof(name)), dup != NULL ?
	    "duplicate extension " : too_many ? "too many extensions" :
	    "an extension does not parse", dup != NULL ? dup : "");
	return true;
}

/*
 * Every PEM certificate (PEM_CERTS) or CRL (PEM_CRLS) of f into st; other
 * PEM blocks are skipped, so a CRL file never yields an anchor nor an anchor
 * file a CRL.  The number added, or -1 with why.
 */
static int
read_pem(FILE *f, X509_STORE *st, enum pem_kind kind, const char *what,
    char *why, size_t len)
{
	BIO *b = BIO_new_fp(f, BIO_NOCLOSE);
	unsigned long e;
	int n = 0, ok;

	if (b == NULL) {
		snprintf(why, len, "%s: out of memory", what);
		return -1;
	}
	ERR_clear_error();
	for (;;) {
		if (kind == PEM_CERTS) {
			X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);

			if (x == NULL)
				break;
			if (anchor_malformed(x, what, why, len)) {
				X509_free(x);
				n = -1;
				goto out;
			}
			ok = X509_STORE_add_cert(st, x);
			X509_free(x);
		} else {
			X509_CRL *c = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL);

			if (c == NULL)
				break;
			if (X509_CRL_get0_nextUpdate(c) == NULL) {
				X509_CRL_free(c);
				snprintf(why, len, "%s: a CRL without nextUpdate "
				    "is refused (it could never be known to be "
				    "current)", what);
				n = -1;
				goto out;
			}
			ok = X509_STORE_add_crl(st, c);
			X509_CRL_free(c);
		}
		if (ok != 1) {
			snprintf(why, len, "%s: cannot be added to the store",
			    what);
			n = -1;
			goto out;
		}
		n++;
	}
	e = ERR_peek_last_error();
	if (e != 0 && !(ERR_GET_LIB(e) == ERR_LIB_PEM &&
	    ERR_GET_REASON(e) == PEM_R_NO_START_LINE)) {
		snprintf(why, len, "%s: a PEM %s does not parse", what,
		    kind == PEM_CERTS ? "certificate" : "CRL");
		n = -1;
	}
out:
	ERR_clear_error();
	BIO_free(b);
	return n;
}

/*
 * One file (name, relative to dirfd) checked by the mapping file's rules
 * and read through the descriptor that was checked.  follow: a symbolic
 * link is followed (inside a checked directory) and its target checked.
 * The number of objects added, or -1 with why.  missing_ok: 0 for a file
 * that is not there (a dangling link in a directory).
 */
static int
read_file(int dirfd, const char *name, const char *what, bool follow,
    bool missing_ok, X509_STORE *st, enum pem_kind kind, char *why,
    size_t len)
{
	const char *r = NULL;
	FILE *f = NULL;
	int n;

	switch (af_open_at(dirfd, name, 0, PIV_FILE_MAX, follow, &f, &r)) {
	case AF_OPEN_ABSENT:
		if (missing_ok)
			return 0;
		snprintf(why, len, "%s does not exist", what);
		return -1;
	case AF_OPEN_ERROR:
		snprintf(why, len, "%s %s (it must be root's, not writable by "
		    "group or others)", what, r);
		return -1;
	case AF_OPEN_OK:
		break;
	}
	n = read_pem(f, st, kind, what, why, len);
	fclose(f);
	return n;
}

/*
 * Every regular file of the directory path (root's, not writable by group
 * or others; so are its files, and the targets of its links).  The number
 * of objects added, or -1 with why.
 */
static int
read_dir(const char *opt, const char *path, X509_STORE *st,
    enum pem_kind kind, char *why, size_t len)
{
	char what[PIV_WHY_MAX], esc[128];
	struct stat sb;
	struct dirent *de;
	const char *r = NULL;
	DIR *d = NULL;
	int fd, n = 0, k, count = 0;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, len, "%s=%s %s", opt, path, errno == ENOENT ?
		    "does not exist" : errno == ENOTDIR || errno == ELOOP ?
		    "is not a directory (or is a symbolic link)" :
		    "cannot be opened");
		return -1;
	}
	if (fstat(fd, &sb) != 0 ||
	    (r = af_stat_unsafe(&sb, 0, true, 0)) != NULL) {
		snprintf(why, len, "%s=%s %s (it must be root's, not writable "
		    "by group or others)", opt, path, r ? r : "cannot be examined");
		close(fd);
		return -1;
	}
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		snprintf(why, len, "%s=%s cannot be read", opt, path);
		return -1;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (++count > PIV_DIR_MAX) {
			snprintf(why, len, "%s=%s has more than %d entries", opt,
			    path, PIV_DIR_MAX);
			n = -1;
			break;
		}
		if (de->d_type == DT_DIR || (de->d_type == DT_UNKNOWN &&
		    fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(sb.st_mode)))
			continue;	/* subdirectories are not read */
		snprintf(what, sizeof(what), "%s=%s: %s", opt, path,
		    log_escape(de->d_name, esc, sizeof(esc)));
		if ((k = read_file(dirfd(d), de->d_name, what, true, true, st,
		    kind, why, len)) < 0) {
			n = -1;
			break;
		}
		n += k;
	}
	if (n >= 0 && errno != 0) {
		snprintf(why, len, "%s=%s cannot be read", opt, path);
		n = -1;
	}
	closedir(d);
	return n;
}

/*
 * The file of option opt (piv_cafile=, piv_crlfile=), which must hold at
 * least one PEM object of kind: how many it added, or -1 with why.
 */
static int
read_option_file(const char *opt, const char *path, X509_STORE *st,
    enum pem_kind kind, char *why, size_t len)
{
	char what[PIV_WHY_MAX];
	int n;

	snprintf(what, sizeof(what), "%s=%s", opt, path);
	if ((n = read_file(AT_FDCWD, path, what, false, false, st, kind, why,
	    len)) < 0)
		return -1;
	if (n == 0) {
		snprintf(why, len, "%s holds no PEM %s", what,
		    kind == PEM_CERTS ? "certificate" : "CRL");
		return -1;
	}
	return n;
}

X509_STORE *
piv_trust_load(const struct cfg *cfg, char *why, size_t len)
{
	X509_STORE *st = X509_STORE_new();
	int anchors = 0, n;

	why[0] = '\0';
	if (st == NULL)
		goto fail;
	if (cfg->piv_cafile != NULL) {
		if ((n = read_option_file("piv_cafile", cfg->piv_cafile, st,
		    PEM_CERTS, why, len)) < 0)
			goto fail;
		anchors += n;
	}
	if (cfg->piv_capath != NULL) {
		if ((n = read_dir("piv_capath", cfg->piv_capath, st, PEM_CERTS,
		    why, len)) < 0)
			goto fail;
		anchors += n;
	}
	if (anchors == 0) {
		snprintf(why, len, "piv_capath=%s holds no PEM certificate",
		    cfg->piv_capath ? cfg->piv_capath : "");
		goto fail;
	}
	if (cfg->piv_crlfile != NULL && read_option_file("piv_crlfile",
	    cfg->piv_crlfile, st, PEM_CRLS, why, len) < 0)
		goto fail;
	/* An empty piv_crlpath is allowed: every verification then fails. */
	if (cfg->piv_crlpath != NULL && read_dir("piv_crlpath",
	    cfg->piv_crlpath, st, PEM_CRLS, why, len) < 0)
		goto fail;
	X509_STORE_set_flags(st, X509_V_FLAG_X509_STRICT |
	    (cfg->piv_crlfile != NULL || cfg->piv_crlpath != NULL ?
	    X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL : 0));
	return st;
fail:
	if (why[0] == '\0')
		snprintf(why, len, "out of memory");
	X509_STORE_free(st);
	return NULL;
}

/* ---- the policy ------------------------------------------------------------- */

static bool
has_eku(X509 *x, int nid)
{
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(x, NID_ext_key_usage, NULL, NULL);
	bool found = false;

	for (int i = 0; eku != NULL && i < sk_ASN1_OBJECT_num(eku); i++)
		if (OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i)) == nid)
			found = true;
	EXTENDED_KEY_USAGE_free(eku);
	return found;
}

/* An issuer without extendedKeyUsage, or one that allows login. */
static bool
may_issue_logins(X509 *x)
{
	return !(X509_get_extension_flags(x) & EXFLAG_XKUSAGE) ||
	    has_eku(x, NID_client_auth) || has_eku(x, NID_ms_smartcard_login) ||
	    has_eku(x, NID_anyExtendedKeyUsage);
}

/* The short name of the first extension x holds twice, or NULL. */
static const char *
duplicate_ext(X509 *x, bool *too_many)
{
	int n = X509_get_ext_count(x);

	*too_many = n > EXT_MAX;
	for (int i = 0; i < n && i < EXT_MAX; i++) {
		ASN1_OBJECT *o = X509_EXTENSION_get_object(X509_get_ext(x, i));

		for (int j = i + 1; j < n && j < EXT_MAX; j++)
			if (OBJ_cmp(o, X509_EXTENSION_get_object(
			    X509_get_ext(x, j))) == 0) {
				int nid = OBJ_obj2nid(o);

				return nid != NID_undef ? OBJ_nid2sn(nid) :
				    "(unknown)";
			}
	}
	return NULL;
}

/* Is the key k strong enough for a certificate of the chain? */
static const char *
key_weak(const struct cfg *cfg, EVP_PKEY *k, char *buf, size_t len)
{
	int id = k != NULL ? EVP_PKEY_get_base_id(k) : NID_undef;
	int bits = k != NULL ? EVP_PKEY_get_bits(k) : 0;

	switch (id) {
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		if (bits >= (int)cfg->piv_min_rsa_bits)
			return NULL;
		snprintf(buf, len, "its RSA key has %d bits (less than "
		    "piv_min_rsa_bits=%u)", bits, cfg->piv_min_rsa_bits);
		return buf;
	case EVP_PKEY_EC:
		if (bits >= 256)
			return NULL;
		snprintf(buf, len, "its EC key is on a %d-bit curve (less "
		    "than 256 bits)", bits);
		return buf;
	case EVP_PKEY_ED25519:
	case EVP_PKEY_ED448:
		return NULL;
	default:
		snprintf(buf, len, "its key is %s (not RSA, EC or EdDSA)",
		    id != NID_undef ? OBJ_nid2sn(id) : "of an unknown type");
		return buf;
	}
}

/* Is x signed with SHA-256 or stronger (or EdDSA)? */
static const char *
sig_weak(X509 *x, char *buf, size_t len)
{
	int md = NID_undef, pk = NID_undef;

	if (X509_get_signature_info(x, &md, &pk, NULL, NULL) != 1) {
		snprintf(buf, len, "its signature algorithm is unknown");
		return buf;
	}
	if (md == NID_sha256 || md == NID_sha384 || md == NID_sha512 ||
	    pk == NID_ED25519 || pk == NID_ED448)
		return NULL;
	snprintf(buf, len, "it is signed with %s (SHA-256 or stronger is "
	    "required)", md != NID_undef ? OBJ_nid2sn(md) : "an unknown digest");
	return buf;
}

/*
 * Can the card sign for us with the leaf's key: RSA PKCS#1 (not an
 * RSA-PSS-only key) of piv_min_rsa_bits..PIV_RSA_MAX_BITS, or ECDSA on
 * P-256 or P-384?  Decided before any PIN is asked for.
 */
static const char *
leaf_key_unusable(const struct cfg *cfg, EVP_PKEY *k, char *buf, size_t len)
{
	char group[64];
	int id = k != NULL ? EVP_PKEY_get_base_id(k) : NID_undef;
	int bits = k != NULL ? EVP_PKEY_get_bits(k) : 0, nid = NID_undef;

	if (id == EVP_PKEY_RSA) {
		if (bits < (int)cfg->piv_min_rsa_bits || bits > PIV_RSA_MAX_BITS)
			snprintf(buf, len, "its RSA key has %d bits (not %u to "
			    "%d: see piv_min_rsa_bits)", bits,
			    cfg->piv_min_rsa_bits, PIV_RSA_MAX_BITS);
		return bits < (int)cfg->piv_min_rsa_bits ||
		    bits > PIV_RSA_MAX_BITS ? buf : NULL;
	}
	if (id == EVP_PKEY_EC) {
		if (EVP_PKEY_get_group_name(k, group, sizeof(group), NULL) == 1 &&
		    (nid = OBJ_sn2nid(group)) == NID_undef)
			nid = EC_curve_nist2nid(group);
		if (nid == NID_X9_62_prime256v1 || nid == NID_secp384r1)
			return NULL;
		snprintf(buf, len, "its EC key is on %s (only P-256 and P-384 "
		    "can sign for pam_yk)", nid != NID_undef ? OBJ_nid2sn(nid) :
		    "explicit or unknown curve parameters");
		return buf;
	}
	snprintf(buf, len, "its key is %s, which can never sign for pam_yk "
	    "(RSA PKCS#1 or ECDSA P-256/P-384 is needed)",
	    id == EVP_PKEY_RSA_PSS ? "RSA-PSS only" :
	    id != NID_undef ? OBJ_nid2sn(id) : "of an unknown type");
	return buf;
}

/* The leaf on its own: well-formed, not a CA, a key the card can use. */
static const char *
leaf_unfit(const struct cfg *cfg, X509 *x, char *buf, size_t len)
{
	bool too_many;
	const char *dup = duplicate_ext(x, &too_many);

	if (too_many)
		snprintf(buf, len, "the certificate has more than %d extensions",
		    EXT_MAX);
	else if (dup != NULL)
		snprintf(buf, len, "the certificate is malformed: duplicate "
		    "extension %s", dup);
	else if (X509_get_extension_flags(x) & EXFLAG_INVALID)
		snprintf(buf, len, "the certificate is malformed: an extension "
		    "does not parse");
	else if (X509_check_ca(x) != 0)
		snprintf(buf, len, "it is a CA certificate (basicConstraints "
		    "CA:TRUE or keyCertSign), not a login certificate");
	else
		return leaf_key_unusable(cfg, X509_get0_pubkey(x), buf, len);
	return buf;
}

/*
 * Every certificate of chain (the leaf first): key strength, signature
 * digest (not for a self-signed anchor, whose signature nobody checks),
 * and for issuers, an extendedKeyUsage that allows login.
 */
static const char *
chain_weak(const struct cfg *cfg, STACK_OF(X509) *chain, char *buf,
    size_t len)
{
	char what[PIV_WHY_MAX], raw[256], name[256];
	int n = sk_X509_num(chain);

	for (int i = 0; i < n; i++) {
		X509 *c = sk_X509_value(chain, i);
		bool anchor = i == n - 1 && i > 0 &&
		    (X509_get_extension_flags(c) & EXFLAG_SS);
		const char *bad = key_weak(cfg, X509_get0_pubkey(c), what,
		    sizeof(what));

		if (bad == NULL && !anchor)
			bad = sig_weak(c, what, sizeof(what));
		if (bad == NULL && i > 0 && !may_issue_logins(c))
			bad = "its extended key usage allows neither clientAuth "
			    "nor smartcardLogon, so it cannot issue login "
			    "certificates";
		if (bad == NULL)
			continue;
		if (i == 0)
			snprintf(buf, len, "%s", bad);
		else {
			X509_NAME_oneline(X509_get_subject_name(c), raw,
			    sizeof(raw));
			snprintf(buf, len, "the %s at depth %d (%s): %s",
			    anchor ? "trust anchor" : "issuer", i,
			    log_escape(raw, name, sizeof(name)), bad);
		}
		return buf;
	}
	return NULL;
}

/* Why X509_verify_cert failed, naming the certificate when not the leaf. */
static const char *
verify_error(X509_STORE_CTX *ctx, char *buf, size_t len)
{
	int err = X509_STORE_CTX_get_error(ctx);
	int depth = X509_STORE_CTX_get_error_depth(ctx);
	X509 *c = X509_STORE_CTX_get_current_cert(ctx);
	char raw[256], name[256];

	if (depth <= 0 || c == NULL)
		snprintf(buf, len, "%s", X509_verify_cert_error_string(err));
	else {
		X509_NAME_oneline(X509_get_subject_name(c), raw, sizeof(raw));
		snprintf(buf, len, "%s (at depth %d: %s)",
		    X509_verify_cert_error_string(err), depth,
		    log_escape(raw, name, sizeof(name)));
	}
	return buf;
}

const char *
piv_cert_policy(const struct cfg *cfg, X509_STORE *store, X509 *x,
    char *buf, size_t len)
{
	X509_STORE_CTX *ctx = NULL;
	STACK_OF(X509) *chain;
	const char *why = "out of memory";

	if ((why = leaf_unfit(cfg, x, buf, len)) != NULL)
		return why;
	why = "out of memory";
	if ((ctx = X509_STORE_CTX_new()) == NULL ||
	    X509_STORE_CTX_init(ctx, store, x, NULL) != 1)
		goto out;
	/* Level 2: RSA >= 2048, EC >= 224, no SHA-1 or MD5 signatures. */
	X509_VERIFY_PARAM_set_auth_level(X509_STORE_CTX_get0_param(ctx),
	    cfg->piv_min_rsa_bits < 2048 ? 1 : 2);
	if (X509_verify_cert(ctx) != 1) {
		/* Our own words first, when the chain built so far shows why. */
		chain = X509_STORE_CTX_get0_chain(ctx);
		if (chain == NULL || (why = chain_weak(cfg, chain, buf, len)) ==
		    NULL)
			why = verify_error(ctx, buf, len);
	} else if ((why = chain_weak(cfg, X509_STORE_CTX_get0_chain(ctx), buf,
	    len)) != NULL)
		;
	else if (!(X509_get_extension_flags(x) & EXFLAG_KUSAGE) ||
	    !(X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE))
		why = "its key usage lacks digitalSignature";
	else if (!cfg->piv_eku_any && !has_eku(x, NID_client_auth) &&
	    !has_eku(x, NID_ms_smartcard_login))
		why = "its extended key usage has neither clientAuth nor "
		    "smartcardLogon";
	else
		why = NULL;
out:
	X509_STORE_CTX_free(ctx);
	return why;
}

/* ---- mapping ---------------------------------------------------------------- */

/* An ASN.1 string as UTF-8 when it holds no NUL or control character. */
static char *
clean_utf8(const ASN1_STRING *s)
{
	unsigned char *u = NULL;
	int n = ASN1_STRING_to_UTF8(&u, s);

	if (n < 0)
		return NULL;
	for (int i = 0; i < n; i++) {
		if (u[i] < 0x20 || u[i] == 0x7f) {
			OPENSSL_free(u);
			return NULL;
		}
	}
	return (char *)u;
}

/* The only entry of nid in the subject; NULL when none, several or unclean. */
static char *
subject_value(X509 *x, int nid)
{
	X509_NAME *n = X509_get_subject_name(x);
	int i = X509_NAME_get_index_by_NID(n, nid, -1);

	if (i < 0 || X509_NAME_get_index_by_NID(n, nid, i) >= 0)
		return NULL;
	return clean_utf8(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(n, i)));
}

/* The only UPN (want_upn) or rfc822Name in the SAN. */
static char *
san_value(X509 *x, bool want_upn)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	char *v = NULL;
	int found = 0;

	for (int i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		const ASN1_STRING *s = NULL;

		if (!want_upn && g->type == GEN_EMAIL)
			s = g->d.rfc822Name;
		else if (want_upn && g->type == GEN_OTHERNAME &&
		    OBJ_obj2nid(g->d.otherName->type_id) == NID_ms_upn &&
		    g->d.otherName->value->type == V_ASN1_UTF8STRING)
			s = g->d.otherName->value->value.utf8string;
		if (s != NULL && found++ == 0)
			v = clean_utf8(s);
	}
	GENERAL_NAMES_free(gens);
	if (found != 1) {
		OPENSSL_free(v);
		return NULL;
	}
	return v;
}

/* Equal, ignoring the case of ASCII letters only (whatever the locale). */
static bool
ascii_case_eq(const char *a, const char *b)
{
	for (;; a++, b++) {
		char ca = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
		char cb = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;

		if (ca != cb)
			return false;
		if (ca == '\0')
			return true;
	}
}

/* "user@domain": the local part exactly, a configured domain in any case. */
static bool
user_at_domain(const char *v, const struct cfg *cfg, const char *user)
{
	const char *at = strchr(v, '@');
	size_t ul = strlen(user);

	if (ul == 0 || at == NULL || strchr(at + 1, '@') != NULL ||
	    (size_t)(at - v) != ul || strncmp(v, user, ul) != 0)
		return false;
	for (size_t i = 0; i < cfg->npiv_domains; i++)
		if (ascii_case_eq(at + 1, cfg->piv_domain[i]))
			return true;
	return false;
}

bool
piv_cert_names(X509 *x, const struct cfg *cfg, const char *user)
{
	char *v = NULL;
	bool ok = false;

	switch (cfg->piv_map) {
	case PIV_MAP_CN:
		v = subject_value(x, NID_commonName);
		ok = v != NULL && strcmp(v, user) == 0;
		break;
	case PIV_MAP_UID:
		v = subject_value(x, NID_userId);
		ok = v != NULL && strcmp(v, user) == 0;
		break;
	case PIV_MAP_UPN:
	case PIV_MAP_EMAIL:
		v = san_value(x, cfg->piv_map == PIV_MAP_UPN);
		ok = v != NULL && user_at_domain(v, cfg, user);
		break;
	default:
		break;
	}
	OPENSSL_free(v);
	return ok;
}

/* Does e hold the fingerprint want (64 hex digits), in either case? */
static bool
has_fingerprint(const struct af_entries *e, const char *want)
{
	for (size_t i = 0; i < e->n; i++)
		if (af_is_fingerprint(e->entry[i]) &&
		    ascii_case_eq(e->entry[i] + strlen(AF_FP_PREFIX), want))
			return true;
	return false;
}

static enum yk_result
map_authfile(const struct cfg *cfg, const struct yk_log *log, const char *user,
    const struct passwd *pw, X509 *x, const char **why)
{
	struct af_entries e = { .n = 0 };
	unsigned char md[32];
	unsigned int mdlen = 0;
	char want[65];
	enum yk_result r;

	if (X509_digest(x, EVP_sha256(), md, &mdlen) != 1 || mdlen != 32)
		return YK_SYSTEM;
	hex_encode(md, 32, want);
	r = mapping_load(cfg, log, user, pw, &e);
	if (r == YK_NO_TOKENS || (r == YK_OK && !has_fingerprint(&e, want))) {
		*why = "the certificate's sha256= fingerprint is not mapped to "
		    "the user";
		r = YK_NOT_MAPPED;
	}
	af_entries_free(&e);
	return r;
}

/* ---- piv_map=ldap ------------------------------------------------------- */

void
piv_dir_free(struct piv_dir *d)
{
	ldap_values_free(&d->v);
	d->looked = false;
}

/* Is value i of d (DER certificates, or fingerprints) well-formed? */
static bool
dir_value_ok(const struct cfg *cfg, const struct piv_dir *d, size_t i)
{
	const unsigned char *p = (const unsigned char *)d->v.val[i];
	unsigned char fp[LDAP_MAP_FP_LEN];
	X509 *x;
	bool ok;

	if (cfg->piv_ldap_fp_attr != NULL) {
		ok = ldap_map_fingerprint(d->v.val[i], d->v.len[i], fp) == 0;
		explicit_bzero(fp, sizeof(fp));
		return ok;
	}
	if (d->v.len[i] == 0 || d->v.len[i] > LONG_MAX)
		return false;
	/* One whole certificate, nothing after it. */
	x = d2i_X509(NULL, &p, (long)d->v.len[i]);
	ok = x != NULL && p == (const unsigned char *)d->v.val[i] + d->v.len[i];
	X509_free(x);
	ERR_clear_error();
	return ok;
}

enum yk_result
piv_dir_lookup(const struct cfg *cfg, const struct yk_log *log,
    const char *user, struct piv_dir *d)
{
	const char *attr = cfg->piv_ldap_fp_attr != NULL ?
	    cfg->piv_ldap_fp_attr : PIV_LDAP_CERT_ATTR;
	char esc[64];

	if (d->looked)
		return d->r;
	d->looked = true;
	d->why = NULL;
	d->r = mapping_ldap_lookup(cfg, log, user, NULL, attr, &d->deadline,
	    &d->v, &d->info);
	log_escape(user, esc, sizeof(esc));
	if (d->r == YK_NO_TOKENS || (d->r == YK_OK && d->v.n == 0)) {
		d->why = d->r == YK_NO_TOKENS ? "the directory has no entry "
		    "for the user" : cfg->piv_ldap_fp_attr != NULL ?
		    "the user's directory entry has no piv_ldap_fp_attr= "
		    "value" : "the user's directory entry has no "
		    PIV_LDAP_CERT_ATTR " value";
		d->r = YK_NOT_MAPPED;
	} else if (d->r != YK_OK) {
		d->why = d->info.why[0] != '\0' ? d->info.why :
		    "the directory lookup failed";
		/* A card is there: never "no card", which nullok passes. */
		if (d->r == YK_UNAVAILABLE)
			d->r = YK_DIRECTORY_DOWN;
	}
	for (size_t i = 0; d->r == YK_OK && i < d->v.n; i++)
		if (!dir_value_ok(cfg, d, i)) {
			d->why = cfg->piv_ldap_fp_attr != NULL ? "a value of "
			    "piv_ldap_fp_attr= in the user's directory entry "
			    "is not a SHA-256 fingerprint" : "a value of "
			    PIV_LDAP_CERT_ATTR " in the user's directory "
			    "entry is not one DER certificate";
			yk_syslog(log, LOG_NOTICE, "LDAP: %s: %s: denying", esc,
			    d->why);
			d->r = YK_MAPPING_ERROR;
		}
	if (d->r != YK_OK)
		ldap_values_free(&d->v);
	return d->r;
}

/* Does a value of the entry equal x (its DER, or its fingerprint)? */
static enum yk_result
map_ldap(const struct cfg *cfg, const struct yk_log *log, const char *user,
    X509 *x, struct piv_dir *d, const char **why)
{
	unsigned char md[32], fp[LDAP_MAP_FP_LEN], *der = NULL;
	unsigned int mdlen = 0;
	int dlen;
	enum yk_result r;

	if ((r = piv_dir_lookup(cfg, log, user, d)) != YK_OK) {
		*why = d->why;
		return r;
	}
	if (X509_digest(x, EVP_sha256(), md, &mdlen) != 1 || mdlen != 32 ||
	    (dlen = i2d_X509(x, &der)) <= 0) {
		OPENSSL_free(der);
		*why = "the certificate cannot be encoded";
		return YK_SYSTEM;
	}
	r = YK_NOT_MAPPED;
	for (size_t i = 0; r != YK_OK && i < d->v.n; i++) {
		if (cfg->piv_ldap_fp_attr != NULL)
			r = ldap_map_fingerprint(d->v.val[i], d->v.len[i], fp)
			    == 0 && memcmp(fp, md, 32) == 0 ? YK_OK :
			    YK_NOT_MAPPED;
		else
			r = d->v.len[i] == (size_t)dlen &&
			    memcmp(d->v.val[i], der, (size_t)dlen) == 0 ?
			    YK_OK : YK_NOT_MAPPED;
	}
	OPENSSL_free(der);
	if (r != YK_OK)
		*why = cfg->piv_ldap_fp_attr != NULL ? "the certificate's "
		    "fingerprint is not in the user's directory entry "
		    "(piv_ldap_fp_attr=)" : "the certificate is not in the "
		    "user's directory entry (" PIV_LDAP_CERT_ATTR ")";
	return r;
}

enum yk_result
piv_map_user(const struct cfg *cfg, const struct yk_log *log, const char *user,
    const struct passwd *pw, X509 *x, struct piv_dir *dir, const char **why)
{
	if (cfg->piv_map == PIV_MAP_AUTHFILE)
		return map_authfile(cfg, log, user, pw, x, why);
	if (cfg->piv_map == PIV_MAP_LDAP) {
		if (dir == NULL) {
			*why = "no directory lookup for piv_map=ldap";
			return YK_SYSTEM;
		}
		return map_ldap(cfg, log, user, x, dir, why);
	}
	if (piv_cert_names(x, cfg, user))
		return YK_OK;
	*why = cfg->piv_map == PIV_MAP_UPN || cfg->piv_map == PIV_MAP_EMAIL ?
	    "the certificate does not name the user at a piv_domain= domain "
	    "(or names it with a NUL or control character, or more than once)" :
	    "the certificate does not name the user (or names it with a "
	    "NUL or control character, or more than once)";
	return YK_NOT_MAPPED;
}

enum yk_result
piv_map_possible(const struct cfg *cfg, const struct yk_log *log,
    const char *user, const struct passwd *pw)
{
	struct af_entries e = { .n = 0 };
	enum yk_result r;
	bool any = false;

	if (cfg->piv_map != PIV_MAP_AUTHFILE)
		return YK_OK;	/* a name in the certificate: only a card tells */
	r = mapping_load(cfg, log, user, pw, &e);
	for (size_t i = 0; r == YK_OK && i < e.n; i++)
		any = any || af_is_fingerprint(e.entry[i]);
	af_entries_free(&e);
	return r == YK_OK && !any ? YK_NO_TOKENS : r;
}
