/* SPDX-License-Identifier: BSD-2-Clause */
/* piv_login.c - PIV certificate login: the flow (PKCS#11 calls: piv_p11.c) */
#include "config.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "mono.h"
#include "piv_cert.h"
#include "piv_login.h"
#include "piv_ocsp.h"
#include "piv_p11.h"
#include "piv_p11_job.h"

#define CHALLENGE_LEN	32
#define CLOSE_GRACE_MS	500	/* for the last phase, within timeout + 1 s */

/*
 * The card is worked on by a worker thread (piv_p11_job.h), in phases
 * (piv_p11.h); this thread checks the certificates and talks to the user
 * between them.
 */

/*
 * Once a call into a PKCS#11 module never came back, this process is done
 * with PKCS#11: the module may hold its locks forever.
 */
static atomic_bool p11_wedged;

/*
 * Caller: the first token whose certificate passes the policy and names
 * the user.  YK_OK with w->k set; YK_UNAVAILABLE when there is no card or
 * no such certificate; a denial when the only candidates are bad or
 * someone else's.
 */
static enum yk_result
choose(struct piv_work *w, const struct login *lg, X509_STORE *store,
    struct piv_dir *dir, char *buf, const char **why)
{
	enum yk_result best = YK_UNAVAILABLE, r;
	const char *reason = w->why;

	if (w->bad != NULL) {
		yk_syslog(lg->log, LOG_NOTICE, "a token's certificate is "
		    "refused: %s", w->bad);
		reason = w->bad;
		best = YK_REJECTED;	/* a card is there: never "no card" */
	}
	for (size_t i = 0; i < w->n; i++) {
		struct cand *c = &w->c[i];
		const char *bad = piv_cert_policy(lg->cfg, store, c->cert, buf,
		    PIV_WHY_MAX);

		if (bad != NULL) {
			yk_syslog(lg->log, LOG_NOTICE, "token '%s': the "
			    "certificate is refused: %s", c->label, bad);
			reason = bad;
			best = YK_REJECTED;
		} else if ((r = piv_map_user(lg->cfg, lg->log, lg->user, lg->pw,
		    c->cert, dir, &reason)) == YK_OK) {
			w->k = c;
			return YK_OK;
		} else
			best = r;
	}
	*why = reason;
	return best;
}

/* ---- PIN, key, signature ------------------------------------------------ */

static enum yk_result
pin_state(const struct cand *k, const struct conv *ui, const char **why)
{
	if (k->ti.flags & CKF_USER_PIN_LOCKED) {
		conv_error(ui, "PIN blocked: unblock it with the PUK.");
		*why = "the PIN is blocked";
		return YK_REJECTED;
	}
	if (k->ti.flags & CKF_USER_PIN_FINAL_TRY)
		conv_info(ui, "Warning: this is the last PIN attempt before "
		    "the PIN is blocked.");
	return YK_OK;
}

/* Caller: the PIN into w->pin (or the keypad); never sent if malformed. */
static enum yk_result
get_pin(struct piv_work *w, const struct cfg *cfg, const struct conv *ui,
    const char **why)
{
	char prompt[96], *pin = NULL;
	const char *tok;
	enum yk_result r = YK_REJECTED;
	size_t len;

	if (w->k->ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH) {
		conv_info(ui, "Enter your PIN on the reader's keypad.");
		w->pinpad = true;
		return YK_OK;
	}
	if (cfg->use_authtok_as_pin && (tok = conv_authtok(ui)) != NULL)
		pin = strdup(tok);
	else {
		snprintf(prompt, sizeof(prompt), "PIN for %s: ", w->k->label);
		(void)conv_ask(ui, false, prompt, &pin);
	}
	if (pin == NULL) {
		*why = "no PIN was given";
		return YK_CONV_ERROR;
	}
	len = strlen(pin);
	if (len < P11_PIN_MIN || len > P11_PIN_MAX) {
		conv_error(ui, "A PIV PIN has 6 to 8 characters.");
		*why = "the PIN has the wrong length (not sent to the card)";
	} else {
		memcpy(w->pin, pin, len + 1);
		w->pinlen = len;
		r = YK_OK;
	}
	explicit_bzero(pin, len);
	free(pin);
	return r;
}

/* Caller: what the login came to, told to the user. */
static enum yk_result
login_result(const struct piv_work *w, const struct conv *ui,
    const char **why)
{
	CK_FLAGS fl = w->k->ti.flags;

	switch (w->lrv) {
	case CKR_OK:
		return YK_OK;
	case CKR_USER_ALREADY_LOGGED_IN:
		*why = w->why != NULL ? w->why : "C_Login says the token was "
		    "already logged in, so the PIN was not checked";
		break;
	case CKR_PIN_INCORRECT:
		conv_error(ui, fl & CKF_USER_PIN_LOCKED ?
		    "Wrong PIN. The PIN is now blocked: unblock it with the PUK." :
		    fl & CKF_USER_PIN_FINAL_TRY ?
		    "Wrong PIN. One try left before the PIN is blocked." :
		    fl & CKF_USER_PIN_COUNT_LOW ?
		    "Wrong PIN. Few tries left." : "Wrong PIN.");
		*why = "wrong PIN";
		break;
	case CKR_PIN_LOCKED:
		conv_error(ui, "PIN blocked: unblock it with the PUK.");
		*why = "the PIN is blocked";
		break;
	default:
		*why = p11_removed(w->lrv) ? "the card was removed" :
		    w->why != NULL ? w->why : "C_Login failed";
		break;
	}
	return YK_REJECTED;
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

/* ---- running the phases ------------------------------------------------- */

struct piv_run {
	struct p11_job		*job;
	struct piv_work		*w;
	long long		left;	/* ms of card time left */
	unsigned		timeout_s;
	X509_STORE		*trust;	/* loaded before begin, or NULL */
	bool			dead;	/* a worker was abandoned */
	bool			probe;	/* piv_probe: change nothing */
	struct piv_ocsp_res	ocsp;	/* piv_ocsp=: what the responder said */
	struct piv_dir		own;	/* piv_map=ldap: the one search... */
	struct piv_dir		*dir;	/* ...or the caller's (piv_probe) */
	char			label[33];
	char			buf[PIV_WHY_MAX];	/* room for a why */
};

static enum yk_result
work_new(struct piv_run *run, const struct cfg *cfg)
{
	struct piv_work *w = p11_work_new(cfg);

	if (w == NULL)
		return YK_NOMEM;
	if ((run->job = p11_job_new(w, p11_work_free)) == NULL) {
		p11_work_free(w);
		return YK_NOMEM;
	}
	run->w = w;
	run->timeout_s = cfg->vc.timeout_ms / 1000;
	run->left = cfg->vc.timeout_ms;
	return YK_OK;
}

/*
 * Run one phase on a worker within what is left of timeout= (plus grace
 * ms).  YK_OK when it ran; after a timeout the work is abandoned, and this
 * process never calls a PKCS#11 module again.
 */
static enum yk_result
card(struct piv_run *run, void (*fn)(void *), long long grace,
    const char **why)
{
	static __thread char msg[160];
	long long t0 = mono_ms();

	switch (p11_job_run(run->job, fn, t0 + run->left + grace)) {
	case P11_JOB_DONE:
		run->left -= mono_ms() - t0;
		if (run->left < 0)
			run->left = 0;
		return YK_OK;
	case P11_JOB_NOSTART:
		*why = "cannot start a thread for the card";
		return YK_SYSTEM;
	default:
		atomic_store(&p11_wedged, true);
		run->dead = true;
		snprintf(msg, sizeof(msg), "the card or the PKCS#11 module did "
		    "not answer within timeout=%u s (left hanging; PKCS#11 is "
		    "not used again in this process)", run->timeout_s);
		*why = msg;
		return YK_REJECTED;
	}
}

/* Close the card (within the time left) and drop the work. */
static void
end(struct piv_run *run)
{
	const char *ignored = NULL;

	piv_dir_free(&run->own);
	if (run->job == NULL)
		return;
	if (!run->dead)
		(void)card(run, p11_close, CLOSE_GRACE_MS, &ignored);
	p11_job_put(run->job);
	run->job = NULL;
	run->w = NULL;
}

/*
 * May this process load pkcs11_module= now?  Its files are root's alone,
 * no variable in our environment steers it, and no earlier call into a
 * module hangs.  YK_OK, or why not (*modfault: the module's files).
 */
static enum yk_result
may_load(struct piv_run *run, const struct cfg *cfg, bool *modfault,
    const char **why)
{
	char name[64], esc[64];

	if ((*why = p11_module_unsafe(cfg->pkcs11_module)) != NULL) {
		*modfault = true;
		return YK_CONFIG;
	}
	if (p11_env_steers(name, sizeof(name)) != NULL) {
		log_escape(name, esc, sizeof(esc));
		snprintf(run->buf, sizeof(run->buf), "the environment sets %s, "
		    "which the PKCS#11 module would obey: refused", esc);
		*why = run->buf;
		return YK_REJECTED;
	}
	if (atomic_load(&p11_wedged)) {
		*why = "an earlier call into a PKCS#11 module never returned "
		    "in this process: restart the program";
		return YK_SYSTEM;
	}
	return YK_OK;
}

/*
 * piv_ocsp=: the chosen certificate's OCSP status, before any PIN, within
 * half of what is left of timeout= (the other half stays for the card, so
 * that a stalled responder under piv_ocsp=try still leaves time to log
 * in).  YK_OK when piv_ocsp= allows the login (one
 * line is logged when it allows it without a "good" answer).
 */
static enum yk_result
ocsp(struct piv_run *run, const struct login *lg, X509_STORE *store,
    const char **why)
{
	const struct cfg *cfg = lg->cfg;
	long long t0 = mono_ms();
	enum yk_result r;
	char esc[64];

	if (cfg->piv_ocsp == PIV_OCSP_OFF)
		return YK_OK;
	r = piv_ocsp_check(cfg, store, run->w->k->cert, t0 + run->left / 2,
	    !run->probe, &run->ocsp);
	run->left -= mono_ms() - t0;
	if (run->left < 0)
		run->left = 0;
	if (r == YK_OK && run->ocsp.st != PIV_OCSP_GOOD) {
		log_escape(lg->user, esc, sizeof(esc));
		yk_syslog(lg->log, LOG_NOTICE, "PIV login of %s: OCSP: %s: "
		    "allowed by piv_ocsp=try", esc, run->ocsp.why);
	}
	if (r != YK_OK) {
		snprintf(run->buf, sizeof(run->buf), "OCSP (piv_ocsp=%s): %.290s",
		    cfg->piv_ocsp == PIV_OCSP_TRY ? "try" : "require",
		    run->ocsp.why);
		*why = run->buf;
	}
	return r;
}

/*
 * Everything before the PIN: the trust anchors, the module, the
 * certificates, the key and the mechanism.  YK_OK with run->w->k chosen.
 * *modfault: why concerns pkcs11_module=.  *none: the user has no card
 * here -- no token, no certificate in the slot, or only certificates
 * that are refused or name someone else -- as opposed to a failure (the
 * trust anchors, the module's files, the environment, a card that hangs,
 * the mapping file) or the user's own card being unfit.
 */
static enum yk_result
begin(struct piv_run *run, const struct login *lg, bool *loaded,
    bool *modfault, bool *none, const char **why)
{
	const struct cfg *cfg = lg->cfg;
	X509_STORE *store = NULL;
	struct piv_work *w;
	enum yk_result r;
	long long t0;

	*loaded = *modfault = *none = false;
	store = run->trust;	/* begin owns it now */
	run->trust = NULL;
	if (store == NULL && (store = piv_trust_load(cfg, run->buf,
	    sizeof(run->buf))) == NULL) {
		*why = run->buf;
		return YK_CONFIG;
	}
	if ((r = may_load(run, cfg, modfault, why)) != YK_OK)
		goto out;
	if ((r = work_new(run, cfg)) != YK_OK) {
		*why = "out of memory";
		goto out;
	}
	if ((r = card(run, p11_find, 0, why)) != YK_OK)
		goto out;
	w = run->w;
	if (w->open_rc != 0) {
		*why = w->why;
		*modfault = true;
		r = w->open_rc == -2 ? YK_CONFIG : YK_UNAVAILABLE;
		*none = r == YK_UNAVAILABLE;
		goto out;
	}
	*loaded = true;
	/* A directory lookup (piv_map=ldap) spends the login's time too. */
	t0 = mono_ms();
	if (run->dir == NULL)
		run->dir = &run->own;
	clock_gettime(CLOCK_MONOTONIC, &run->dir->deadline);
	run->dir->deadline = mono_add(run->dir->deadline,
	    (unsigned long)run->left);
	r = choose(w, lg, store, run->dir, run->buf, why);
	run->left -= mono_ms() - t0;
	if (run->left < 0)
		run->left = 0;
	if (r != YK_OK) {
		*none = r == YK_UNAVAILABLE || r == YK_REJECTED ||
		    r == YK_NOT_MAPPED;
		goto out;
	}
	snprintf(run->label, sizeof(run->label), "%s", w->k->label);
	if (w->k->unfit != NULL) {
		*why = w->k->unfit;
		r = YK_REJECTED;
		goto out;
	}
	r = ocsp(run, lg, store, why);
out:
	X509_STORE_free(store);
	return r;
}

/* The PIN, a login this call made, a fresh challenge signed and verified. */
static enum yk_result
prove(struct piv_run *run, const struct cfg *cfg, const struct conv *ui,
    const char **why)
{
	struct piv_work *w = run->w;
	unsigned char chal[CHALLENGE_LEN];
	EVP_PKEY *pub = X509_get0_pubkey(w->k->cert);
	CK_MECHANISM_TYPE mech = 0;
	const EVP_MD *md = NULL;
	enum yk_result r;
	size_t mdlen;

	if ((r = pin_state(w->k, ui, why)) != YK_OK ||
	    (r = get_pin(w, cfg, ui, why)) != YK_OK)
		goto out;
	r = YK_REJECTED;
	if (RAND_bytes(chal, sizeof(chal)) != 1 || pub == NULL ||
	    to_sign(pub, chal, w->data, &w->dlen, &mech, &md) != 0 ||
	    mech != w->k->mech) {
		*why = "unsupported key type";
		goto out;
	}
	/* The card touch comes with C_Sign, right after the login. */
	if (p11_is_yubikey(&w->k->ti))
		conv_info(ui, "Touch your YubiKey if it blinks.");
	if ((r = card(run, p11_prove, 0, why)) != YK_OK ||
	    (r = login_result(w, ui, why)) != YK_OK)
		goto out;
	if ((r = w->r) != YK_OK) {
		*why = w->why;
		goto out;
	}
	mdlen = (size_t)EVP_MD_get_size(md);
	if (!sig_ok(pub, md, w->data + (mech == CKM_RSA_PKCS ?
	    w->dlen - mdlen : 0), mdlen, w->sig, w->slen)) {
		*why = "the signature does not verify with the certificate's key";
		r = YK_REJECTED;
	}
out:
	if (!run->dead)
		explicit_bzero(w->pin, sizeof(w->pin));
	return r;
}

enum yk_result
piv_probe(const struct cfg *cfg, const struct yk_log *log, const char *user,
    const struct passwd *pw, struct piv_dir *dir, struct piv_probe *out)
{
	struct piv_run run = { .job = NULL, .probe = true, .dir = dir };
	enum yk_result r;
	bool none;

	memset(out, 0, sizeof(*out));
	r = begin(&run, &(struct login){ cfg, log, user, pw }, &out->loaded,
	    &out->modfault, &none, &out->why);
	out->none = none;
	out->ocsp = run.ocsp;
	if (out->why != NULL && out->why != out->buf) {
		snprintf(out->buf, sizeof(out->buf), "%s", out->why);
		out->why = out->buf;
	}
	if (r == YK_OK) {
		out->why = NULL;
		snprintf(out->label, sizeof(out->label), "%s", run.label);
		X509_NAME_oneline(X509_get_subject_name(run.w->k->cert),
		    out->subject, sizeof(out->subject));
	}
	end(&run);
	return r;
}

/* The card found, between piv_enrolled and piv_login_found. */
struct piv_found {
	struct piv_run	run;
	const char	*why;
	bool		modfault;
};

/* After begin (and prove): close the card, log what it came to. */
static enum yk_result
finish(const struct login *lg, const struct conv *cv, struct piv_run *run,
    enum yk_result r, bool modfault, const char *why)
{
	const struct cfg *cfg = lg->cfg;
	const struct yk_log *log = lg->log;
	char esc[64];

	end(run);
	log_escape(lg->user, esc, sizeof(esc));
	if (r == YK_DIRECTORY_DOWN)
		conv_error(cv, "The directory of certificates cannot be "
		    "reached.");
	if (r == YK_OK)
		yk_syslog(log, LOG_INFO, "PIV login of %s with token '%s'", esc,
		    run->label);
	else if (r == YK_CONFIG)
		yk_syslog(log, LOG_ERR, "configuration error: %s%s%s%s",
		    modfault ? "pkcs11_module=" : "",
		    modfault ? cfg->pkcs11_module : "", modfault ? ": " : "",
		    why ? why : "error");
	else
		yk_syslog(log, r == YK_UNAVAILABLE ? LOG_NOTICE : LOG_ERR,
		    "PIV login of %s denied: %s%s%s%s", esc,
		    run->label[0] ? "token '" : "", run->label,
		    run->label[0] ? "': " : "", why ? why : "error");
	return r;
}

/*
 * The trust anchors load (into *store, for begin) and pkcs11_module= is
 * safe to load; else YK_CONFIG with why.
 */
static enum yk_result
piv_config_ok(const struct cfg *cfg, X509_STORE **store, char *why,
    size_t len)
{
	const char *bad;

	if ((*store = piv_trust_load(cfg, why, len)) == NULL)
		return YK_CONFIG;
	if ((bad = p11_module_unsafe(cfg->pkcs11_module)) != NULL) {
		snprintf(why, len, "%s: %s", cfg->pkcs11_module, bad);
		X509_STORE_free(*store);
		*store = NULL;
		return YK_CONFIG;
	}
	return YK_OK;
}

enum yk_result
piv_enrolled(const struct login *lg, struct piv_found **found, char *why,
    size_t len)
{
	struct piv_found *f = calloc(1, sizeof(*f));
	bool loaded, none = false;
	enum yk_result r;

	*found = NULL;
	snprintf(why, len, "%s", "out of memory");
	if (f == NULL)
		return YK_NOMEM;
	/*
	 * The configuration is checked for every user (a mistake is never
	 * hidden by users without a card), but no card is looked for when
	 * none could be the user's.
	 */
	if ((r = piv_config_ok(lg->cfg, &f->run.trust, why, len)) != YK_OK) {
		free(f);
		return r;
	}
	r = piv_map_possible(lg->cfg, lg->log, lg->user, lg->pw);
	if (r != YK_OK) {
		snprintf(why, len, "%s", r == YK_NO_TOKENS ? "no certificate "
		    "fingerprint (sha256=) is mapped to the user" :
		    "the mapping file cannot be used");
		X509_STORE_free(f->run.trust);
		free(f);
		return r;
	}
	r = begin(&f->run, lg, &loaded, &f->modfault, &none, &f->why);
	snprintf(why, len, "%s%s%s", f->modfault ? lg->cfg->pkcs11_module :
	    "", f->modfault ? ": " : "", f->why != NULL ? f->why : "");
	if (r == YK_OK) {
		*found = f;
		return r;
	}
	end(&f->run);
	free(f);
	return none ? YK_NO_TOKENS : r;
}

enum yk_result
piv_login_found(const struct login *lg, const struct conv *cv,
    struct piv_found *f)
{
	const char *why = NULL;
	enum yk_result r = prove(&f->run, lg->cfg, cv, &why);

	r = finish(lg, cv, &f->run, r, f->modfault, why);
	free(f);
	return r;
}

void
piv_found_free(struct piv_found *f)
{
	if (f == NULL)
		return;
	end(&f->run);
	free(f);
}

enum yk_result
piv_login(const struct login *lg, const struct conv *cv)
{
	struct piv_run run = { .job = NULL };
	const char *why = NULL;
	bool loaded, modfault, none;
	enum yk_result r;

	r = begin(&run, lg, &loaded, &modfault, &none, &why);
	if (r == YK_OK)
		r = prove(&run, lg->cfg, cv, &why);
	return finish(lg, cv, &run, r, modfault, why);
}
