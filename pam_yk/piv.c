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

#include "piv.h"
#include "piv_cert.h"

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

static const char cert_unparsable[] = "cannot parse the certificate";

/*
 * The certificate with the card's CKA_ID on this session, or NULL (with
 * *why = cert_unparsable when it is there but does not parse).
 */
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
		*why = cert_unparsable;
	}
	free(der);
	return x;
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
    struct card *c, char *buf, const char **why)
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
		if ((c->cert = read_cert(p, c, &reason, &rv)) == NULL &&
		    reason == cert_unparsable) {
			yk_syslog(log, LOG_NOTICE, "token '%s': %s", c->label,
			    reason);
			best = YK_REJECTED;	/* never "no card" */
		} else if (c->cert != NULL) {
			const char *bad = piv_cert_policy(cfg, store, c->cert,
			    buf, PIV_WHY_MAX);

			if (bad != NULL) {
				yk_syslog(log, LOG_NOTICE, "token '%s': the "
				    "certificate is refused: %s", c->label, bad);
				reason = bad;
				best = YK_REJECTED;
			} else if ((r = piv_map_user(cfg, log, user, pw, c->cert,
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
	if ((store = piv_trust_load(cfg, out->buf, sizeof(out->buf))) == NULL) {
		out->why = out->buf;
		return YK_CONFIG;
	}
	if ((rc = p11_open(cfg->pkcs11_module, &p, &out->why)) != 0) {
		X509_STORE_free(store);
		return rc == -2 ? YK_CONFIG : YK_UNAVAILABLE;
	}
	out->loaded = true;
	r = find_card(&p, cfg, log, user, pw, store, &c, out->buf, &out->why);
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
	char esc[64], buf[PIV_WHY_MAX];
	enum yk_result r = YK_SYSTEM;
	int rc;

	log_escape(user, esc, sizeof(esc));
	if ((store = piv_trust_load(cfg, buf, sizeof(buf))) == NULL) {
		why = buf;
		yk_syslog(log, LOG_ERR, "configuration error: %s", why);
		return YK_CONFIG;
	}
	if ((rc = p11_open(cfg->pkcs11_module, &p, &why)) != 0) {
		yk_syslog(log, LOG_ERR, "%s: %s", cfg->pkcs11_module, why);
		X509_STORE_free(store);
		return rc == -2 ? YK_CONFIG : YK_UNAVAILABLE;
	}
	r = find_card(&p, cfg, log, user, pw, store, &c, buf, &why);
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
