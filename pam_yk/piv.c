/* piv.c - PIV certificate login over PKCS#11 */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <p11-kit/pkcs11.h>

#include "mapping.h"
#include "modhex.h"
#include "piv.h"

#define CERT_MAX	16384	/* a PIV certificate is < 3 kB */
#define SIG_MAX		1024
#define CHALLENGE_LEN	32
#define PIN_MIN		6	/* PIV PINs are 6 to 8 characters */
#define PIN_MAX		8

struct p11 {
	void			*dl;
	CK_FUNCTION_LIST	*f;
	bool			ours;	/* we called C_Initialize */
};

/* The certificate we will use, and where it is. */
struct card {
	CK_SLOT_ID		slot;
	CK_TOKEN_INFO		ti;
	CK_SESSION_HANDLE	s;
	X509			*cert;
	unsigned char		id[64];
	CK_ULONG		idlen;
	const char		*object;	/* the certificate's label, or NULL */
	char			label[33];	/* the token's */
};

static bool
removed(CK_RV rv)
{
	return rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT ||
	    rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED ||
	    rv == CKR_DEVICE_ERROR || rv == CKR_TOKEN_NOT_RECOGNIZED;
}

/* ---- the PKCS#11 module ---------------------------------------------- */

/* 0; -2 for a configuration error; -1 when the module fails. */
static int
p11_open(const char *path, struct p11 *p, const char **why)
{
	CK_C_INITIALIZE_ARGS args = { .flags = CKF_OS_LOCKING_OK };
	CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR);
	struct stat st;
	CK_RV rv;

	memset(p, 0, sizeof(*p));
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		*why = "the PKCS#11 module does not exist";
		return -2;
	}
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		*why = "the PKCS#11 module must be owned by root and not "
		    "writable by group or others";
		return -2;
	}
	if ((p->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL ||
	    (*(void **)&get = dlsym(p->dl, "C_GetFunctionList")) == NULL ||
	    get(&p->f) != CKR_OK || p->f == NULL) {
		*why = "the PKCS#11 module cannot be loaded";
		goto fail;
	}
	rv = p->f->C_Initialize(&args);
	if (rv == CKR_OK)
		p->ours = true;
	else if (rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		*why = "C_Initialize failed";
		goto fail;
	}
	return 0;
fail:
	if (p->dl != NULL)
		dlclose(p->dl);
	memset(p, 0, sizeof(*p));
	return -1;
}

static void
p11_close(struct p11 *p)
{
	if (p->f != NULL && p->ours)
		p->f->C_Finalize(NULL);
	if (p->dl != NULL)
		dlclose(p->dl);
	memset(p, 0, sizeof(*p));
}

/* A blank-padded PKCS#11 string as a C string. */
static void
p11_str(const unsigned char *s, size_t n, char *out)
{
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\0'))
		n--;
	for (size_t i = 0; i < n; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
	out[n] = '\0';
}

/* One attribute into a new buffer of at most max bytes; its length or -1. */
static long
get_attr(struct p11 *p, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
    CK_ATTRIBUTE_TYPE type, unsigned char **out, CK_ULONG max, CK_RV *rv)
{
	CK_ATTRIBUTE a = { type, NULL, 0 };

	*out = NULL;
	*rv = p->f->C_GetAttributeValue(s, o, &a, 1);
	if (*rv != CKR_OK || a.ulValueLen == (CK_ULONG)-1 || a.ulValueLen == 0 ||
	    a.ulValueLen > max)
		return -1;
	if ((a.pValue = *out = malloc(a.ulValueLen)) == NULL)
		return -1;
	*rv = p->f->C_GetAttributeValue(s, o, &a, 1);
	if (*rv != CKR_OK || a.ulValueLen > max) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return (long)a.ulValueLen;
}

/*
 * The first object of class with the card's CKA_ID (and, for the
 * certificate, pkcs11_uri's object= label); 0 when there is none.
 */
static CK_OBJECT_HANDLE
find_object(struct p11 *p, const struct card *c, CK_OBJECT_CLASS cls, CK_RV *rv)
{
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, (void *)c->id, c->idlen },
		{ CKA_LABEL, (void *)c->object, c->object ? strlen(c->object) : 0 },
	};
	CK_OBJECT_HANDLE o = 0;
	CK_ULONG n = 0;

	if ((*rv = p->f->C_FindObjectsInit(c->s, t,
	    cls == CKO_CERTIFICATE && c->object ? 3 : 2)) != CKR_OK)
		return 0;
	*rv = p->f->C_FindObjects(c->s, &o, 1, &n);
	p->f->C_FindObjectsFinal(c->s);
	return *rv == CKR_OK && n == 1 ? o : 0;
}

/* ---- the certificate ---------------------------------------------------- */

/* The certificate with the card's CKA_ID on this session, or NULL. */
static X509 *
read_cert(struct p11 *p, struct card *c, const char **why, CK_RV *rv)
{
	unsigned char *der = NULL;
	const unsigned char *q;
	CK_OBJECT_HANDLE o = find_object(p, c, CKO_CERTIFICATE, rv);
	X509 *x = NULL;
	long n;

	if (o == 0)
		return NULL;
	if ((n = get_attr(p, c->s, o, CKA_VALUE, &der, CERT_MAX, rv)) < 0) {
		*why = *rv == CKR_OK ? "the certificate is too large to be "
		    "a PIV certificate" : "the certificate cannot be read";
		return NULL;
	}
	q = der;
	if ((x = d2i_X509(NULL, &q, n)) == NULL || q != der + n) {
		X509_free(x);
		x = NULL;
		*why = "the certificate does not parse";
	}
	free(der);
	return x;
}

static X509_STORE *
trust_load(const struct cfg *cfg, const char **why)
{
	X509_STORE *st = X509_STORE_new();
	X509_LOOKUP *lu;
	unsigned long flags = X509_V_FLAG_X509_STRICT;

	if (st == NULL)
		goto fail;
	if (X509_STORE_load_locations(st, cfg->piv_cafile, cfg->piv_capath) != 1) {
		*why = "the trust anchors (piv_cafile/piv_capath) cannot be read";
		goto fail;
	}
	if (cfg->piv_crlfile != NULL) {
		if ((lu = X509_STORE_add_lookup(st, X509_LOOKUP_file())) == NULL ||
		    X509_load_crl_file(lu, cfg->piv_crlfile, X509_FILETYPE_PEM) < 1) {
			*why = "piv_crlfile cannot be read";
			goto fail;
		}
	}
	if (cfg->piv_crlpath != NULL &&
	    ((lu = X509_STORE_add_lookup(st, X509_LOOKUP_hash_dir())) == NULL ||
	    X509_LOOKUP_add_dir(lu, cfg->piv_crlpath, X509_FILETYPE_PEM) != 1)) {
		*why = "piv_crlpath cannot be used";
		goto fail;
	}
	if (cfg->piv_crlfile != NULL || cfg->piv_crlpath != NULL)
		flags |= X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL;
	X509_STORE_set_flags(st, flags);
	return st;
fail:
	if (*why == NULL)
		*why = "out of memory";
	X509_STORE_free(st);
	return NULL;
}

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

/* NULL when the certificate may log someone in, else why not. */
static const char *
cert_policy(const struct cfg *cfg, X509_STORE *store, X509 *x)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	const char *why = NULL;
	int mdnid = NID_undef, err;

	if (ctx == NULL || X509_STORE_CTX_init(ctx, store, x, NULL) != 1)
		why = "out of memory";
	else if (X509_verify_cert(ctx) != 1) {
		err = X509_STORE_CTX_get_error(ctx);
		why = X509_verify_cert_error_string(err);
	} else if (!(X509_get_extension_flags(x) & EXFLAG_KUSAGE) ||
	    !(X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE))
		why = "its key usage lacks digitalSignature";
	else if (!cfg->piv_eku_any && !has_eku(x, NID_client_auth) &&
	    !has_eku(x, NID_ms_smartcard_login))
		why = "its extended key usage has neither clientAuth nor "
		    "smartcardLogon";
	else if (X509_get_signature_info(x, &mdnid, NULL, NULL, NULL) != 1 ||
	    (mdnid != NID_sha256 && mdnid != NID_sha384 && mdnid != NID_sha512))
		why = "it is not signed with SHA-256 or stronger";
	X509_STORE_CTX_free(ctx);
	return why;
}

/* ---- mapping ------------------------------------------------------------ */

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

/* "local@domain": the user must be the local part, exactly. */
static bool
local_part_is(const char *v, const char *user)
{
	const char *at = strchr(v, '@');

	return at != NULL && strchr(at + 1, '@') == NULL &&
	    (size_t)(at - v) == strlen(user) && strncmp(v, user, strlen(user)) == 0;
}

static enum yk_result
map_authfile(const struct cfg *cfg, const struct yk_log *log, const char *user,
    const struct passwd *pw, X509 *x, const char **why)
{
	struct af_entries e = { .n = 0 };
	unsigned char md[32];
	unsigned int mdlen = 0;
	char want[7 + 65] = "sha256=";
	enum yk_result r;

	if (X509_digest(x, EVP_sha256(), md, &mdlen) != 1 || mdlen != 32)
		return YK_SYSTEM;
	hex_encode(md, 32, want + 7);
	r = mapping_load(cfg, log, user, pw, &e);
	if (r == YK_NO_TOKENS || (r == YK_OK && !af_has(&e, want))) {
		*why = "the certificate's sha256= fingerprint is not mapped to "
		    "the user";
		r = YK_NOT_MAPPED;
	}
	af_entries_free(&e);
	return r;
}

bool
piv_cert_names(X509 *x, enum piv_map how, const char *user)
{
	char *v = NULL;
	bool ok = false;

	switch (how) {
	case PIV_MAP_CN:
		v = subject_value(x, NID_commonName);
		ok = v != NULL && strcmp(v, user) == 0;
		break;
	case PIV_MAP_UID:
		v = subject_value(x, NID_userId);
		ok = v != NULL && strcmp(v, user) == 0;
		break;
	case PIV_MAP_UPN:
		v = san_value(x, true);
		ok = v != NULL && local_part_is(v, user);
		break;
	case PIV_MAP_EMAIL:
		v = san_value(x, false);
		ok = v != NULL && local_part_is(v, user);
		break;
	default:
		break;
	}
	OPENSSL_free(v);
	return ok;
}

static enum yk_result
map_user(const struct cfg *cfg, const struct yk_log *log, const char *user,
    const struct passwd *pw, X509 *x, const char **why)
{
	if (cfg->piv_map == PIV_MAP_AUTHFILE)
		return map_authfile(cfg, log, user, pw, x, why);
	if (piv_cert_names(x, cfg->piv_map, user))
		return YK_OK;
	*why = "the certificate does not name the user (or names it with a "
	    "NUL or control character, or more than once)";
	return YK_NOT_MAPPED;
}

/* ---- finding the card --------------------------------------------------- */

/* Does the token match pkcs11_uri's token attributes? */
static bool
token_matches(const struct cfg *cfg, const CK_TOKEN_INFO *ti)
{
	const struct p11_uri *u = &cfg->piv_uri;
	char label[33], manuf[33], model[17], serial[17];

	p11_str(ti->label, sizeof(ti->label), label);
	p11_str(ti->manufacturerID, sizeof(ti->manufacturerID), manuf);
	p11_str(ti->model, sizeof(ti->model), model);
	p11_str(ti->serialNumber, sizeof(ti->serialNumber), serial);
	return (u->token == NULL || strcmp(u->token, label) == 0) &&
	    (u->manufacturer == NULL || strcmp(u->manufacturer, manuf) == 0) &&
	    (u->model == NULL || strcmp(u->model, model) == 0) &&
	    (u->serial == NULL || strcmp(u->serial, serial) == 0);
}

/*
 * Look at every slot with a token for the configured certificate that
 * passes the policy and names the user.  YK_OK with *c open and filled;
 * YK_UNAVAILABLE when there is no card or no such certificate; a denial
 * when the only candidates are bad or someone else's.
 */
static enum yk_result
find_card(struct p11 *p, const struct cfg *cfg, const struct yk_log *log,
    const char *user, const struct passwd *pw, X509_STORE *store,
    struct card *c, const char **why)
{
	CK_SLOT_ID slots[32];
	CK_ULONG n = 32;
	CK_RV rv;
	enum yk_result best = YK_UNAVAILABLE, r;
	const char *reason = "no card, or no certificate in the configured slot";

	if (p->f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK) {
		*why = "C_GetSlotList failed";
		return YK_UNAVAILABLE;
	}
	for (CK_ULONG i = 0; i < n && i < 32; i++) {
		memset(c, 0, sizeof(*c));
		c->slot = slots[i];
		memcpy(c->id, cfg->piv_uri.id, cfg->piv_uri.idlen);
		c->idlen = cfg->piv_uri.idlen;
		c->object = cfg->piv_uri.object;
		if (p->f->C_GetTokenInfo(c->slot, &c->ti) != CKR_OK ||
		    !token_matches(cfg, &c->ti))
			continue;
		p11_str(c->ti.label, sizeof(c->ti.label), c->label);
		if (p->f->C_OpenSession(c->slot, CKF_SERIAL_SESSION, NULL, NULL,
		    &c->s) != CKR_OK)
			continue;
		if ((c->cert = read_cert(p, c, &reason, &rv)) != NULL) {
			const char *bad = cert_policy(cfg, store, c->cert);

			if (bad != NULL) {
				yk_syslog(log, LOG_NOTICE, "token '%s': the "
				    "certificate is refused: %s", c->label, bad);
				reason = bad;
				best = YK_REJECTED;
			} else if ((r = map_user(cfg, log, user, pw, c->cert,
			    &reason)) == YK_OK) {
				return YK_OK;
			} else {
				best = r == YK_NOT_MAPPED ? YK_NOT_MAPPED : r;
			}
			X509_free(c->cert);
			c->cert = NULL;
		}
		p->f->C_CloseSession(c->s);
	}
	*why = reason;
	return best;
}

/* ---- PIN, key, signature ------------------------------------------------ */

static enum yk_result
pin_state(struct p11 *p, struct card *c, const struct piv_ui *ui,
    const char **why)
{
	if (p->f->C_GetTokenInfo(c->slot, &c->ti) != CKR_OK) {
		*why = "the card was removed";
		return YK_REJECTED;
	}
	if (c->ti.flags & CKF_USER_PIN_LOCKED) {
		ui->error(ui->arg, "PIN blocked: unblock it with the PUK.");
		*why = "the PIN is blocked";
		return YK_REJECTED;
	}
	if (c->ti.flags & CKF_USER_PIN_FINAL_TRY)
		ui->info(ui->arg, "Warning: this is the last PIN attempt before "
		    "the PIN is blocked.");
	return YK_OK;
}

static enum yk_result
login(struct p11 *p, struct card *c, const struct cfg *cfg,
    const struct piv_ui *ui, char **pin, const char **why)
{
	char prompt[96];
	const char *tok;
	size_t len;
	CK_RV rv;

	if (c->ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH) {
		ui->info(ui->arg, "Enter your PIN on the reader's keypad.");
		rv = p->f->C_Login(c->s, CKU_USER, NULL, 0);
		goto done;
	}
	if (cfg->use_authtok_as_pin && (tok = ui->authtok(ui->arg)) != NULL)
		*pin = strdup(tok);
	else {
		snprintf(prompt, sizeof(prompt), "PIN for %s: ", c->label);
		*pin = ui->ask_pin(ui->arg, prompt);
	}
	if (*pin == NULL) {
		*why = "no PIN was given";
		return YK_CONV_ERROR;
	}
	len = strlen(*pin);
	if (len < PIN_MIN || len > PIN_MAX) {
		ui->error(ui->arg, "A PIV PIN has 6 to 8 characters.");
		*why = "the PIN has the wrong length (not sent to the card)";
		return YK_REJECTED;
	}
	rv = p->f->C_Login(c->s, CKU_USER, (unsigned char *)*pin, len);
done:
	if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN)
		return YK_OK;
	if (rv == CKR_PIN_INCORRECT) {
		p->f->C_GetTokenInfo(c->slot, &c->ti);
		ui->error(ui->arg, c->ti.flags & CKF_USER_PIN_LOCKED ?
		    "Wrong PIN. The PIN is now blocked: unblock it with the PUK." :
		    c->ti.flags & CKF_USER_PIN_FINAL_TRY ?
		    "Wrong PIN. One try left before the PIN is blocked." :
		    c->ti.flags & CKF_USER_PIN_COUNT_LOW ?
		    "Wrong PIN. Few tries left." : "Wrong PIN.");
		*why = "wrong PIN";
	} else if (rv == CKR_PIN_LOCKED) {
		ui->error(ui->arg, "PIN blocked: unblock it with the PUK.");
		*why = "the PIN is blocked";
	} else
		*why = removed(rv) ? "the card was removed" : "C_Login failed";
	return YK_REJECTED;
}

/* Does the private key belong to the certificate?  Compare the key data. */
static bool
key_matches(struct p11 *p, struct card *c, CK_OBJECT_HANDLE key, EVP_PKEY *pub)
{
	unsigned char *v = NULL, buf[1024];
	BIGNUM *n = NULL;
	size_t plen = 0;
	long len;
	CK_RV rv;
	CK_OBJECT_HANDLE o;
	bool ok = false;

	if (EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA) {
		if ((len = get_attr(p, c->s, key, CKA_MODULUS, &v, 1024, &rv)) > 0 &&
		    EVP_PKEY_get_bn_param(pub, "n", &n) == 1)
			ok = BN_num_bytes(n) == len &&
			    BN_bn2bin(n, buf) == len && memcmp(buf, v, (size_t)len) == 0;
		BN_free(n);
		free(v);
		return ok;
	}
	/* EC: the point, from the private key or the public key object. */
	len = get_attr(p, c->s, key, CKA_EC_POINT, &v, 256, &rv);
	if (len < 0 && (o = find_object(p, c, CKO_PUBLIC_KEY, &rv)) != 0)
		len = get_attr(p, c->s, o, CKA_EC_POINT, &v, 256, &rv);
	if (len < 0)
		return true;	/* nothing to compare: the signature decides */
	if (EVP_PKEY_get_octet_string_param(pub, "encoded-pub-key", buf,
	    sizeof(buf), &plen) == 1) {
		/* CKA_EC_POINT is the point, usually in a DER OCTET STRING. */
		ok = ((size_t)len == plen && memcmp(v, buf, plen) == 0) ||
		    ((size_t)len > plen && (size_t)len - plen <= 3 &&
		    v[0] == 0x04 && memcmp(v + len - plen, buf, plen) == 0);
	}
	free(v);
	return ok;
}

/* What is signed: a DigestInfo for RSA, the bare digest for ECDSA. */
static int
to_sign(EVP_PKEY *pub, const unsigned char *chal, unsigned char *out,
    CK_ULONG *outlen, CK_MECHANISM_TYPE *mech, const EVP_MD **md)
{
	static const unsigned char sha256_info[] = {
		0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
		0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
	};
	unsigned int n = 0;
	bool rsa = EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA;
	size_t off = rsa ? sizeof(sha256_info) : 0;

	if (!rsa && EVP_PKEY_get_base_id(pub) != EVP_PKEY_EC)
		return -1;
	*md = rsa || EVP_PKEY_get_bits(pub) < 384 ? EVP_sha256() : EVP_sha384();
	*mech = rsa ? CKM_RSA_PKCS : CKM_ECDSA;
	memcpy(out, sha256_info, off);
	if (EVP_Digest(chal, CHALLENGE_LEN, out + off, &n, *md, NULL) != 1)
		return -1;
	*outlen = off + n;
	return 0;
}

/* Verify the card's signature over the challenge with the certificate. */
static bool
sig_ok(EVP_PKEY *pub, const EVP_MD *md, const unsigned char *digest,
    size_t dlen, const unsigned char *sig, CK_ULONG slen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pub, NULL);
	unsigned char *der = NULL;
	ECDSA_SIG *es = NULL;
	int derlen = 0;
	bool ok = false;

	if (ctx == NULL || EVP_PKEY_verify_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, md) != 1)
		goto out;
	if (EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA) {
		ok = EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
		    EVP_PKEY_verify(ctx, sig, slen, digest, dlen) == 1;
		goto out;
	}
	/* PKCS#11 ECDSA signatures are r || s; OpenSSL wants DER. */
	if (slen == 0 || slen % 2 != 0 || (es = ECDSA_SIG_new()) == NULL ||
	    ECDSA_SIG_set0(es, BN_bin2bn(sig, (int)slen / 2, NULL),
	    BN_bin2bn(sig + slen / 2, (int)slen / 2, NULL)) != 1 ||
	    (derlen = i2d_ECDSA_SIG(es, &der)) <= 0)
		goto out;
	ok = EVP_PKEY_verify(ctx, der, (size_t)derlen, digest, dlen) == 1;
out:
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

/*
 * C_Sign, allowing for modules that misreport the length at first.  A key
 * with CKA_ALWAYS_AUTHENTICATE needs the PIN again, for this operation:
 * a context-specific login right after C_SignInit.
 */
static CK_RV
sign(struct p11 *p, struct card *c, CK_OBJECT_HANDLE key, CK_MECHANISM_TYPE m,
    const char *again, unsigned char *data, CK_ULONG dlen, unsigned char *sig,
    CK_ULONG *slen)
{
	CK_MECHANISM mech = { m, NULL, 0 };
	CK_ULONG len = 0;
	CK_RV rv;

	if ((rv = p->f->C_SignInit(c->s, &mech, key)) != CKR_OK)
		return rv;
	if (again != NULL && (rv = p->f->C_Login(c->s, CKU_CONTEXT_SPECIFIC,
	    (unsigned char *)again, strlen(again))) != CKR_OK)
		return rv;
	if ((rv = p->f->C_Sign(c->s, data, dlen, NULL, &len)) != CKR_OK)
		return rv;
	for (int tries = 0; tries < 3; tries++) {
		if (len == 0 || len > SIG_MAX)
			return CKR_GENERAL_ERROR;
		*slen = len;
		rv = p->f->C_Sign(c->s, data, dlen, sig, slen);
		if (rv != CKR_BUFFER_TOO_SMALL)
			return rv;
		len = *slen;	/* the module says how much it needs */
	}
	return rv;
}

/* Log in, match the key, sign a fresh challenge, verify it. */
static enum yk_result
prove(struct p11 *p, struct card *c, const struct cfg *cfg,
    const struct piv_ui *ui, const char **why)
{
	unsigned char chal[CHALLENGE_LEN], data[64], sig[SIG_MAX];
	CK_ULONG dlen = 0, slen = 0;
	CK_MECHANISM_TYPE mech = 0;
	CK_OBJECT_HANDLE key;
	CK_BBOOL always = CK_FALSE;
	CK_ATTRIBUTE aa = { CKA_ALWAYS_AUTHENTICATE, &always, sizeof(always) };
	EVP_PKEY *pub = X509_get0_pubkey(c->cert);
	const EVP_MD *md = NULL;
	char *pin = NULL;
	enum yk_result r;
	CK_RV rv;
	bool rsa;

	if ((r = pin_state(p, c, ui, why)) != YK_OK ||
	    (r = login(p, c, cfg, ui, &pin, why)) != YK_OK)
		goto out;
	r = YK_REJECTED;
	if ((key = find_object(p, c, CKO_PRIVATE_KEY, &rv)) == 0) {
		*why = removed(rv) ? "the card was removed" :
		    "no private key for the certificate";
		goto out;
	}
	if (pub == NULL || !key_matches(p, c, key, pub)) {
		*why = "the private key is not the certificate's (a forged card?)";
		goto out;
	}
	if (RAND_bytes(chal, sizeof(chal)) != 1 ||
	    to_sign(pub, chal, data, &dlen, &mech, &md) != 0) {
		*why = "unsupported key type";
		goto out;
	}
	ui->info(ui->arg, "Touch your YubiKey if it blinks.");
	if (p->f->C_GetAttributeValue(c->s, key, &aa, 1) != CKR_OK)
		always = CK_FALSE;
	if ((rv = sign(p, c, key, mech, always ? pin : NULL, data, dlen, sig,
	    &slen)) != CKR_OK) {
		*why = removed(rv) ? "the card was removed while signing" :
		    "the card did not sign";
		goto out;
	}
	rsa = mech == CKM_RSA_PKCS;
	if (!sig_ok(pub, md, data + (rsa ? dlen - (CK_ULONG)EVP_MD_get_size(md) : 0),
	    (size_t)EVP_MD_get_size(md), sig, slen)) {
		*why = "the signature does not verify with the certificate's key";
		goto out;
	}
	r = YK_OK;
out:
	if (pin != NULL) {
		explicit_bzero(pin, strlen(pin));
		free(pin);
	}
	explicit_bzero(sig, sizeof(sig));
	p->f->C_Logout(c->s);
	return r;
}

enum yk_result
piv_probe(const struct cfg *cfg, const struct yk_log *log, const char *user,
    const struct passwd *pw, struct piv_probe *out)
{
	struct p11 p;
	struct card c = { .cert = NULL };
	X509_STORE *store = NULL;
	enum yk_result r;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((store = trust_load(cfg, &out->why)) == NULL)
		return YK_CONFIG;
	if ((rc = p11_open(cfg->pkcs11_module, &p, &out->why)) != 0) {
		X509_STORE_free(store);
		return rc == -2 ? YK_CONFIG : YK_UNAVAILABLE;
	}
	out->loaded = true;
	r = find_card(&p, cfg, log, user, pw, store, &c, &out->why);
	if (r == YK_OK) {
		out->why = NULL;
		snprintf(out->label, sizeof(out->label), "%s", c.label);
		X509_NAME_oneline(X509_get_subject_name(c.cert), out->subject,
		    sizeof(out->subject));
		X509_free(c.cert);
		p.f->C_CloseSession(c.s);
	}
	p11_close(&p);
	X509_STORE_free(store);
	return r;
}

enum yk_result
piv_login(const struct cfg *cfg, const struct yk_log *log, const char *user,
    const struct passwd *pw, const struct piv_ui *ui)
{
	struct p11 p;
	struct card c = { .cert = NULL };
	X509_STORE *store = NULL;
	const char *why = NULL;
	char esc[64];
	enum yk_result r = YK_SYSTEM;
	int rc;

	log_escape(user, esc, sizeof(esc));
	if ((store = trust_load(cfg, &why)) == NULL) {
		yk_syslog(log, LOG_ERR, "configuration error: %s", why);
		return YK_CONFIG;
	}
	if ((rc = p11_open(cfg->pkcs11_module, &p, &why)) != 0) {
		yk_syslog(log, LOG_ERR, "%s: %s", cfg->pkcs11_module, why);
		X509_STORE_free(store);
		return rc == -2 ? YK_CONFIG : YK_UNAVAILABLE;
	}
	r = find_card(&p, cfg, log, user, pw, store, &c, &why);
	if (r == YK_OK) {
		r = prove(&p, &c, cfg, ui, &why);
		X509_free(c.cert);
		p.f->C_CloseSession(c.s);
	}
	p11_close(&p);
	X509_STORE_free(store);
	if (r == YK_OK)
		yk_syslog(log, LOG_INFO, "PIV login of %s with token '%s'", esc,
		    c.label);
	else
		yk_syslog(log, r == YK_UNAVAILABLE ? LOG_NOTICE : LOG_ERR,
		    "PIV login of %s denied: %s%s%s%s", esc,
		    c.label[0] ? "token '" : "", c.label, c.label[0] ? "': " : "",
		    why ? why : "error");
	return r;
}
