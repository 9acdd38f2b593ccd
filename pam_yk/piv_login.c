/* SPDX-License-Identifier: BSD-2-Clause */
/* piv_login.c - PIV certificate login over PKCS#11 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <p11-kit/pkcs11.h>

#include "authfile.h"
#include "mapping.h"
#include "modhex.h"
#include "piv_p11_job.h"
#include "piv_login.h"
#include "piv_cert.h"

#define CERT_MAX	16384	/* a PIV certificate is < 3 kB */
#define SIG_MAX		1024
#define CHALLENGE_LEN	32
#define PIN_MIN		6	/* PIV PINs are 6 to 8 characters */
#define PIN_MAX		8
#define MAX_SLOTS	32
#define CLOSE_GRACE_MS	500	/* for the last phase, within timeout + 1 s */

/*
 * The card is worked on by a worker thread (piv_p11_job.h), in phases; the
 * caller's thread checks the certificates and talks to the user between
 * them.  Everything a worker touches is in struct piv_work, which a late
 * worker may outlive the login with: it holds copies, never pointers into
 * the caller's cfg.
 */

/* A token with a certificate in the configured slot (phase 1). */
struct cand {
	CK_SLOT_ID		slot;
	CK_TOKEN_INFO		ti;
	CK_SESSION_HANDLE	s;
	bool			open;	/* s is a session of ours */
	X509			*cert;
	char			label[33];	/* the token's */
	CK_KEY_TYPE		ktype;	/* the certificate's key ... */
	CK_MECHANISM_TYPE	mech;	/* ... and how it signs */
	const char		*unfit;	/* why it cannot sign, or NULL */
};

struct piv_work {
	/* what to look for (copies) */
	char			path[PATH_MAX];
	char			*token, *manufacturer, *model, *serial, *object;
	unsigned char		id[64];
	CK_ULONG		idlen;
	/* the module */
	void			*dl;
	CK_FUNCTION_LIST	*f;
	bool			ours;	/* we called C_Initialize */
	int			open_rc;	/* 0; -2 not a module; -1 failed */
	/* what a phase found: a static reason, a PKCS#11 code */
	const char		*why;
	const char		*bad;	/* a certificate there but refused */
	CK_RV			rv;
	enum yk_result		r;
	struct cand		c[MAX_SLOTS];
	size_t			n;
	struct cand		*k;		/* the one chosen */
	CK_RV			lrv;		/* its C_Login */
	/* the PIN (or a keypad), the data to sign and the signature */
	bool			pinpad;
	char			pin[PIN_MAX + 1];
	CK_ULONG		pinlen;
	unsigned char		data[64];
	CK_ULONG		dlen;
	unsigned char		sig[SIG_MAX];
	CK_ULONG		slen;
};

/*
 * Once a call into a PKCS#11 module never came back, this process is done
 * with PKCS#11: the module may hold its locks forever.
 */
static atomic_bool p11_wedged;

/* Why a module path is refused, naming the part of it at fault. */
static __thread char path_why[PATH_MAX + 96];

static bool
removed(CK_RV rv)
{
	return rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT ||
	    rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED ||
	    rv == CKR_DEVICE_ERROR || rv == CKR_TOKEN_NOT_RECOGNIZED;
}

/* ---- the PKCS#11 module ---------------------------------------------- */

/* Is p (a directory, or the module itself when file) unsafe?  Sets path_why. */
static bool
path_unsafe(const char *p, bool file)
{
	struct stat st;
	const char *bad;

	if (lstat(p, &st) != 0)
		bad = errno == ENOENT ? "does not exist" : "cannot be examined";
	else if (S_ISLNK(st.st_mode))
		return false;	/* its target is walked in the real path */
	else
		bad = af_stat_unsafe(&st, 0, !file, 0);	/* as mapping files */
	if (bad == NULL)
		return false;
	snprintf(path_why, sizeof(path_why), "%s %s (it must be root's and "
	    "writable by root alone)", p, bad);
	return true;
}

/* The directories above path, and path itself, are root's alone. */
static bool
chain_unsafe(const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(buf) || path[0] != '/') {
		snprintf(path_why, sizeof(path_why), "is not an absolute path "
		    "shorter than PATH_MAX");
		return true;
	}
	if (path_unsafe("/", false))
		return true;
	for (size_t i = 1; i < n; i++) {
		if (path[i] != '/')
			continue;
		memcpy(buf, path, i);
		buf[i] = '\0';
		if (path_unsafe(buf, false))
			return true;
	}
	return path_unsafe(path, true);
}

/*
 * The module, as named and after symbolic links are resolved, and every
 * directory above it, belong to root and only root can write them: else
 * whoever can write there runs code in every login.  NULL or why not.
 */
static const char *
module_unsafe(const char *path)
{
	char real[PATH_MAX];
	struct stat st;

	if (stat(path, &st) != 0 && errno == ENOENT)
		return "the PKCS#11 module does not exist";
	if (chain_unsafe(path))
		return path_why;
	if (realpath(path, real) == NULL) {
		snprintf(path_why, sizeof(path_why), "cannot be resolved");
		return path_why;
	}
	return chain_unsafe(real) ? path_why : NULL;
}

/*
 * PKCS#11 modules read variables of their own with getenv, not
 * secure_getenv, so inside su or sudo the caller's environment would
 * steer them: OpenSC 0.23's OPENSC_CONF names a configuration whose
 * card_driver module= it dlopens (code run as root) and whose debug_file=
 * it creates as root; libpcsclite's PCSCLITE_CSOCK_NAME picks the pcscd
 * socket, that is the reader and the card; OpenSC's PIV_9A_KEY (9C, 9D,
 * 9E) names a file it reads as the key of a slot without a certificate.
 * The environment cannot be changed safely in a threaded host, so a login
 * refuses to load a module while one of these is set: always those of
 * OpenSC (OPENSC_*, PIV_*), pcsc-lite and ykcs11 (which have no business
 * in a login's environment), and in a setuid or setgid process
 * (AT_SECURE) SoftHSM's too.  The name, or NULL.
 */
static const char *
env_steers_module(char *buf, size_t len)
{
	static const char *const always[] = { "OPENSC_", "PCSCLITE_",
	    "YKCS11_", "PIV_", NULL };
	static const char *const secure[] = { "SOFTHSM2_CONF=", NULL };
	extern char **environ;
	bool setuid = getauxval(AT_SECURE) != 0;

	for (char **e = environ; e != NULL && *e != NULL; e++) {
		for (int i = 0; always[i] != NULL; i++)
			if (strncmp(*e, always[i], strlen(always[i])) == 0)
				goto found;
		for (int i = 0; setuid && secure[i] != NULL; i++)
			if (strncmp(*e, secure[i], strlen(secure[i])) == 0)
				goto found;
		continue;
found:
		snprintf(buf, len, "%.*s", (int)strcspn(*e, "="), *e);
		return buf;
	}
	return NULL;
}

/* Does the module's function list hold every function we call? */
static bool
p11_complete(const CK_FUNCTION_LIST *f)
{
	return f->C_Initialize != NULL && f->C_Finalize != NULL &&
	    f->C_GetSlotList != NULL && f->C_GetTokenInfo != NULL &&
	    f->C_GetMechanismInfo != NULL && f->C_OpenSession != NULL &&
	    f->C_CloseSession != NULL && f->C_GetSessionInfo != NULL &&
	    f->C_Login != NULL && f->C_Logout != NULL &&
	    f->C_FindObjectsInit != NULL && f->C_FindObjects != NULL &&
	    f->C_FindObjectsFinal != NULL && f->C_GetAttributeValue != NULL &&
	    f->C_SignInit != NULL && f->C_Sign != NULL;
}

/* Worker: load the module; w->open_rc and w->why say how it went. */
static void
p11_open(struct piv_work *w)
{
	CK_C_INITIALIZE_ARGS args = { .flags = CKF_OS_LOCKING_OK };
	CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR);
	CK_RV rv;

	w->open_rc = -2;
	if ((w->dl = dlopen(w->path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		w->why = "is not a shared library (dlopen fails)";
		return;
	}
	if ((*(void **)&get = dlsym(w->dl, "C_GetFunctionList")) == NULL ||
	    get(&w->f) != CKR_OK || w->f == NULL || !p11_complete(w->f)) {
		w->why = "is not a PKCS#11 module (no working "
		    "C_GetFunctionList, or functions missing from its list)";
		w->f = NULL;
		return;		/* ph_close unloads it */
	}
	rv = w->f->C_Initialize(&args);
	if (rv == CKR_OK)
		w->ours = true;
	else if (rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		w->why = "C_Initialize failed";
		w->open_rc = -1;
		return;
	}
	w->open_rc = 0;
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

/*
 * One attribute into a new buffer of at most max bytes; its length, -1
 * when the module does not give it, or -2 when the module's word on its
 * length cannot be right: more than max, or more than the buffer it was
 * given (which is the length it announced).
 */
static long
get_attr(struct piv_work *w, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
    CK_ATTRIBUTE_TYPE type, unsigned char **out, CK_ULONG max, CK_RV *rv)
{
	CK_ATTRIBUTE a = { type, NULL, 0 };
	CK_ULONG len;

	*out = NULL;
	*rv = w->f->C_GetAttributeValue(s, o, &a, 1);
	if (*rv != CKR_OK || a.ulValueLen == CK_UNAVAILABLE_INFORMATION ||
	    a.ulValueLen == 0)
		return -1;
	if (a.ulValueLen > max)
		return -2;
	len = a.ulValueLen;
	if ((a.pValue = *out = malloc(len)) == NULL)
		return -1;
	*rv = w->f->C_GetAttributeValue(s, o, &a, 1);
	if (*rv != CKR_OK || a.ulValueLen == 0 || a.ulValueLen > len) {
		free(*out);
		*out = NULL;
		return *rv == CKR_OK ? -2 : -1;
	}
	return (long)a.ulValueLen;
}

/* A fixed-size attribute (CK_ULONG, CK_BBOOL): exactly size bytes, or -1. */
static int
get_fixed(struct piv_work *w, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
    CK_ATTRIBUTE_TYPE type, void *v, CK_ULONG size)
{
	CK_ATTRIBUTE a = { type, v, size };

	if (w->f->C_GetAttributeValue(s, o, &a, 1) != CKR_OK ||
	    a.ulValueLen != size)
		return -1;
	return 0;
}

/*
 * The first object of class with the card's CKA_ID (and, for the
 * certificate, pkcs11_uri's object= label); 0 when there is none.
 */
static CK_OBJECT_HANDLE
find_object(struct piv_work *w, const struct cand *c, CK_OBJECT_CLASS cls,
    CK_RV *rv)
{
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_ID, (void *)w->id, w->idlen },
		{ CKA_LABEL, (void *)w->object, w->object ? strlen(w->object) : 0 },
	};
	CK_OBJECT_HANDLE o = 0;
	CK_ULONG n = 0;

	if ((*rv = w->f->C_FindObjectsInit(c->s, t,
	    cls == CKO_CERTIFICATE && w->object ? 3 : 2)) != CKR_OK)
		return 0;
	*rv = w->f->C_FindObjects(c->s, &o, 1, &n);
	w->f->C_FindObjectsFinal(c->s);
	return *rv == CKR_OK && n == 1 ? o : 0;
}

/* ---- the certificate ---------------------------------------------------- */

static const char cert_unparsable[] = "cannot parse the certificate";
static const char cert_too_big[] = "the certificate is too large to be a "
    "PIV certificate, or its length is misreported";

/*
 * The certificate with the card's CKA_ID on this session, or NULL (with
 * *why = cert_unparsable when it is there but does not parse).
 */
static X509 *
read_cert(struct piv_work *w, struct cand *c, const char **why, CK_RV *rv)
{
	unsigned char *der = NULL;
	const unsigned char *q;
	CK_OBJECT_HANDLE o = find_object(w, c, CKO_CERTIFICATE, rv);
	X509 *x = NULL;
	long n;

	if (o == 0)
		return NULL;
	if ((n = get_attr(w, c->s, o, CKA_VALUE, &der, CERT_MAX, rv)) < 0) {
		*why = *rv == CKR_OK ? cert_too_big :
		    "the certificate cannot be read";
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
token_matches(const struct piv_work *w, const CK_TOKEN_INFO *ti)
{
	char label[33], manuf[33], model[17], serial[17];

	p11_str(ti->label, sizeof(ti->label), label);
	p11_str(ti->manufacturerID, sizeof(ti->manufacturerID), manuf);
	p11_str(ti->model, sizeof(ti->model), model);
	p11_str(ti->serialNumber, sizeof(ti->serialNumber), serial);
	return (w->token == NULL || strcmp(w->token, label) == 0) &&
	    (w->manufacturer == NULL || strcmp(w->manufacturer, manuf) == 0) &&
	    (w->model == NULL || strcmp(w->model, model) == 0) &&
	    (w->serial == NULL || strcmp(w->serial, serial) == 0);
}

static void precheck(struct piv_work *, struct cand *);

/*
 * Worker, phase 1: load the module, keep a session on every token that
 * matches pkcs11_uri and holds a certificate in the configured slot, and
 * check what can be checked before the PIN.
 */
static void
ph_find(void *arg)
{
	struct piv_work *w = arg;
	CK_SLOT_ID slots[MAX_SLOTS];
	CK_ULONG n = MAX_SLOTS;
	CK_RV rv;

	p11_open(w);
	if (w->open_rc != 0 || w->f == NULL)
		return;
	w->why = "no card, or no certificate in the configured slot";
	if (w->f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK) {
		w->why = "C_GetSlotList failed";
		return;
	}
	for (CK_ULONG i = 0; i < n && i < MAX_SLOTS; i++) {
		struct cand *c = &w->c[w->n];

		memset(c, 0, sizeof(*c));
		c->slot = slots[i];
		if (w->f->C_GetTokenInfo(c->slot, &c->ti) != CKR_OK ||
		    !token_matches(w, &c->ti))
			continue;
		p11_str(c->ti.label, sizeof(c->ti.label), c->label);
		if (w->f->C_OpenSession(c->slot, CKF_SERIAL_SESSION, NULL, NULL,
		    &c->s) != CKR_OK)
			continue;
		c->open = true;
		if ((c->cert = read_cert(w, c, &w->why, &rv)) != NULL) {
			precheck(w, c);
			w->n++;
			continue;
		}
		if (w->why == cert_unparsable || w->why == cert_too_big)
			w->bad = w->why;
		w->f->C_CloseSession(c->s);
		c->open = false;
	}
}

/*
 * Caller: the first token whose certificate passes the policy and names
 * the user.  YK_OK with w->k set; YK_UNAVAILABLE when there is no card or
 * no such certificate; a denial when the only candidates are bad or
 * someone else's.
 */
static enum yk_result
choose(struct piv_work *w, const struct cfg *cfg, const struct yk_log *log,
    const char *user, const struct passwd *pw, X509_STORE *store,
    char *buf, const char **why)
{
	enum yk_result best = YK_UNAVAILABLE, r;
	const char *reason = w->why;

	if (w->bad != NULL) {
		yk_syslog(log, LOG_NOTICE, "a token's certificate is refused: "
		    "%s", w->bad);
		reason = w->bad;
		best = YK_REJECTED;	/* a card is there: never "no card" */
	}
	for (size_t i = 0; i < w->n; i++) {
		struct cand *c = &w->c[i];
		const char *bad = piv_cert_policy(cfg, store, c->cert, buf,
		    PIV_WHY_MAX);

		if (bad != NULL) {
			yk_syslog(log, LOG_NOTICE, "token '%s': the "
			    "certificate is refused: %s", c->label, bad);
			reason = bad;
			best = YK_REJECTED;
		} else if ((r = piv_map_user(cfg, log, user, pw, c->cert,
		    &reason)) == YK_OK) {
			w->k = c;
			return YK_OK;
		} else
			best = r;
	}
	*why = reason;
	return best;
}

/* ---- before the PIN: key and mechanism ----------------------------------- */

/* The key type and mechanism the certificate's key needs; -1: none. */
static int
cert_mech(X509 *x, CK_KEY_TYPE *kt, CK_MECHANISM_TYPE *m)
{
	EVP_PKEY *pub = X509_get0_pubkey(x);
	int id = pub != NULL ? EVP_PKEY_get_base_id(pub) : EVP_PKEY_NONE;

	if (id == EVP_PKEY_RSA) {
		*kt = CKK_RSA;
		*m = CKM_RSA_PKCS;
	} else if (id == EVP_PKEY_EC) {
		*kt = CKK_EC;
		*m = CKM_ECDSA;
	} else
		return -1;
	return 0;
}

/*
 * Why the key object o cannot sign for the certificate, or NULL.  A
 * private key must say its type and CKA_SIGN; a public key object is
 * only checked for what it says.
 */
static const char *
key_unfit(struct piv_work *w, const struct cand *c, CK_OBJECT_HANDLE o,
    bool priv)
{
	CK_KEY_TYPE kt = CKK_VENDOR_DEFINED;
	CK_BBOOL can = CK_FALSE;
	int krc = get_fixed(w, c->s, o, CKA_KEY_TYPE, &kt, sizeof(kt));

	if ((krc == 0 || priv) && kt != c->ktype)
		return "the key on the card is not of the certificate's type";
	if (priv && (get_fixed(w, c->s, o, CKA_SIGN, &can,
	    sizeof(can)) != 0 || can == CK_FALSE))
		return "the private key on the card may not sign (CKA_SIGN)";
	return NULL;
}

/*
 * Worker, with phase 1: everything about the token that can fail before
 * the PIN, into c->unfit.  The token signs with the mechanism the
 * certificate needs, and the key, if it shows before login (many PIV
 * modules hide private keys until then), is of the certificate's type and
 * may sign.
 */
static void
precheck(struct piv_work *w, struct cand *c)
{
	CK_MECHANISM_INFO mi;
	CK_OBJECT_HANDLE o;
	CK_RV rv;

	if (cert_mech(c->cert, &c->ktype, &c->mech) != 0) {
		c->unfit = "the certificate's key can never sign for us "
		    "(neither RSA nor EC)";
		return;
	}
	memset(&mi, 0, sizeof(mi));
	if (w->f->C_GetMechanismInfo(c->slot, c->mech, &mi) != CKR_OK ||
	    !(mi.flags & CKF_SIGN)) {
		c->unfit = c->mech == CKM_RSA_PKCS ? "the token cannot make "
		    "RSA PKCS#1 signatures (CKM_RSA_PKCS)" : "the token cannot "
		    "make ECDSA signatures (CKM_ECDSA)";
		return;
	}
	if ((o = find_object(w, c, CKO_PRIVATE_KEY, &rv)) != 0)
		c->unfit = key_unfit(w, c, o, true);
	else if (!removed(rv) &&
	    (o = find_object(w, c, CKO_PUBLIC_KEY, &rv)) != 0)
		c->unfit = key_unfit(w, c, o, false);
	else if (removed(rv))
		c->unfit = "the card was removed";
}

/* ---- PIN, key, signature ------------------------------------------------ */

static enum yk_result
pin_state(const struct cand *k, const struct piv_ui *ui, const char **why)
{
	if (k->ti.flags & CKF_USER_PIN_LOCKED) {
		ui->error(ui->arg, "PIN blocked: unblock it with the PUK.");
		*why = "the PIN is blocked";
		return YK_REJECTED;
	}
	if (k->ti.flags & CKF_USER_PIN_FINAL_TRY)
		ui->info(ui->arg, "Warning: this is the last PIN attempt before "
		    "the PIN is blocked.");
	return YK_OK;
}

/* Caller: the PIN into w->pin (or the keypad); never sent if malformed. */
static enum yk_result
get_pin(struct piv_work *w, const struct cfg *cfg, const struct piv_ui *ui,
    const char **why)
{
	char prompt[96], *pin = NULL;
	const char *tok;
	enum yk_result r = YK_REJECTED;
	size_t len;

	if (w->k->ti.flags & CKF_PROTECTED_AUTHENTICATION_PATH) {
		ui->info(ui->arg, "Enter your PIN on the reader's keypad.");
		w->pinpad = true;
		return YK_OK;
	}
	if (cfg->use_authtok_as_pin && (tok = ui->authtok(ui->arg)) != NULL)
		pin = strdup(tok);
	else {
		snprintf(prompt, sizeof(prompt), "PIN for %s: ", w->k->label);
		pin = ui->ask_pin(ui->arg, prompt);
	}
	if (pin == NULL) {
		*why = "no PIN was given";
		return YK_CONV_ERROR;
	}
	len = strlen(pin);
	if (len < PIN_MIN || len > PIN_MAX) {
		ui->error(ui->arg, "A PIV PIN has 6 to 8 characters.");
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

/*
 * Worker: log in from a clean state.  A token already logged in
 * (by the host program, in this process) would take any PIN, so log it
 * out first and make sure the session is public; the caller then takes
 * nothing but CKR_OK from C_Login as a PIN the card checked.
 */
static void
login_clean(struct piv_work *w)
{
	struct cand *k = w->k;
	CK_SESSION_INFO si;

	w->why = NULL;
	(void)w->f->C_Logout(k->s);
	if ((w->lrv = w->f->C_GetSessionInfo(k->s, &si)) != CKR_OK) {
		w->why = "C_GetSessionInfo failed";
		return;
	}
	if (si.state != CKS_RO_PUBLIC_SESSION &&
	    si.state != CKS_RW_PUBLIC_SESSION) {
		w->why = "the token stays logged in after C_Logout";
		w->lrv = CKR_USER_ALREADY_LOGGED_IN;
		return;
	}
	w->lrv = w->f->C_Login(k->s, CKU_USER,
	    w->pinpad ? NULL : (CK_UTF8CHAR *)w->pin, w->pinpad ? 0 : w->pinlen);
	if (w->lrv == CKR_PIN_INCORRECT)
		(void)w->f->C_GetTokenInfo(k->slot, &k->ti);
}

/* Caller: what the login came to, told to the user. */
static enum yk_result
login_result(const struct piv_work *w, const struct piv_ui *ui,
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
		ui->error(ui->arg, fl & CKF_USER_PIN_LOCKED ?
		    "Wrong PIN. The PIN is now blocked: unblock it with the PUK." :
		    fl & CKF_USER_PIN_FINAL_TRY ?
		    "Wrong PIN. One try left before the PIN is blocked." :
		    fl & CKF_USER_PIN_COUNT_LOW ?
		    "Wrong PIN. Few tries left." : "Wrong PIN.");
		*why = "wrong PIN";
		break;
	case CKR_PIN_LOCKED:
		ui->error(ui->arg, "PIN blocked: unblock it with the PUK.");
		*why = "the PIN is blocked";
		break;
	default:
		*why = removed(w->lrv) ? "the card was removed" :
		    w->why != NULL ? w->why : "C_Login failed";
		break;
	}
	return YK_REJECTED;
}

/* Does the private key belong to the certificate?  Compare the key data. */
static bool
key_matches(struct piv_work *w, struct cand *c, CK_OBJECT_HANDLE key,
    EVP_PKEY *pub)
{
	unsigned char *v = NULL, buf[1024];
	BIGNUM *n = NULL;
	size_t plen = 0;
	long len;
	CK_RV rv;
	CK_OBJECT_HANDLE o;
	bool ok = false;

	if (EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA) {
		if ((len = get_attr(w, c->s, key, CKA_MODULUS, &v, 1024, &rv)) > 0 &&
		    EVP_PKEY_get_bn_param(pub, "n", &n) == 1)
			ok = BN_num_bytes(n) == len &&
			    BN_bn2bin(n, buf) == len && memcmp(buf, v, (size_t)len) == 0;
		BN_free(n);
		free(v);
		return ok;
	}
	/* EC: the point, from the private key or the public key object. */
	len = get_attr(w, c->s, key, CKA_EC_POINT, &v, 256, &rv);
	if (len == -1 && (o = find_object(w, c, CKO_PUBLIC_KEY, &rv)) != 0)
		len = get_attr(w, c->s, o, CKA_EC_POINT, &v, 256, &rv);
	if (len == -2)
		return false;	/* a module that misreports lengths */
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
 * C_Sign into w->sig, allowing for modules that misreport the length at
 * first, but never beyond the buffer: a length larger than the buffer the
 * module was given is an error.  A key with CKA_ALWAYS_AUTHENTICATE needs
 * the PIN again, for this operation: a context-specific login right after
 * C_SignInit.
 */
static CK_RV
sign(struct piv_work *w, CK_OBJECT_HANDLE key, bool again)
{
	CK_MECHANISM mech = { w->k->mech, NULL, 0 };
	CK_SESSION_HANDLE s = w->k->s;
	CK_ULONG len = 0, given;
	CK_RV rv;

	w->slen = 0;
	if ((rv = w->f->C_SignInit(s, &mech, key)) != CKR_OK)
		return rv;
	if (again && (rv = w->f->C_Login(s, CKU_CONTEXT_SPECIFIC,
	    (CK_UTF8CHAR *)w->pin, w->pinlen)) != CKR_OK)
		return rv;
	if ((rv = w->f->C_Sign(s, w->data, w->dlen, NULL, &len)) != CKR_OK)
		return rv;
	for (int tries = 0; tries < 3; tries++) {
		if (len == 0 || len > SIG_MAX) {
			w->why = "the card announces a signature length that "
			    "cannot be right";
			return CKR_GENERAL_ERROR;
		}
		given = len;
		rv = w->f->C_Sign(s, w->data, w->dlen, w->sig, &len);
		if (rv == CKR_OK && (len == 0 || len > given)) {
			w->why = "the card reports a signature longer than the "
			    "buffer it was given";
			return CKR_GENERAL_ERROR;
		}
		if (rv == CKR_OK)
			w->slen = len;
		if (rv != CKR_BUFFER_TOO_SMALL)
			return rv;
	}
	return rv;
}

/*
 * Worker, after the login: the private key is the certificate's and may
 * sign; sign w->data.
 */
static void
sign_checked(struct piv_work *w)
{
	struct cand *k = w->k;
	EVP_PKEY *pub = X509_get0_pubkey(k->cert);
	CK_BBOOL always = CK_FALSE;
	CK_OBJECT_HANDLE key;

	w->r = YK_REJECTED;
	w->why = NULL;
	if ((key = find_object(w, k, CKO_PRIVATE_KEY, &w->rv)) == 0) {
		w->why = removed(w->rv) ? "the card was removed" :
		    "no private key for the certificate";
		return;
	}
	if ((w->why = key_unfit(w, k, key, true)) != NULL)
		return;
	if (pub == NULL || !key_matches(w, k, key, pub)) {
		w->why = "the private key is not the certificate's (a forged "
		    "card?)";
		return;
	}
	if (get_fixed(w, k->s, key, CKA_ALWAYS_AUTHENTICATE, &always,
	    sizeof(always)) != 0)
		always = CK_FALSE;
	if ((w->rv = sign(w, key, always != CK_FALSE && !w->pinpad)) != CKR_OK) {
		w->why = removed(w->rv) ? "the card was removed while signing" :
		    w->why != NULL ? w->why : "the card did not sign";
		return;
	}
	w->r = YK_OK;
}

/*
 * Worker, phase 2: close the tokens not chosen, log in with the PIN from a
 * clean state, and only after a login of ours, sign.
 */
static void
ph_prove(void *arg)
{
	struct piv_work *w = arg;

	for (size_t i = 0; i < w->n; i++) {
		if (&w->c[i] != w->k && w->c[i].open) {
			(void)w->f->C_CloseSession(w->c[i].s);
			w->c[i].open = false;
		}
	}
	w->r = YK_REJECTED;
	login_clean(w);
	if (w->lrv == CKR_OK)
		sign_checked(w);
}

/* Worker, last phase: log out, close, finalize (if we initialized), unload. */
static void
ph_close(void *arg)
{
	struct piv_work *w = arg;

	for (size_t i = 0; w->f != NULL && i < MAX_SLOTS; i++) {
		if (!w->c[i].open)
			continue;
		if (&w->c[i] == w->k)
			(void)w->f->C_Logout(w->c[i].s);
		(void)w->f->C_CloseSession(w->c[i].s);
		w->c[i].open = false;
	}
	if (w->f != NULL && w->ours)
		(void)w->f->C_Finalize(NULL);
	if (w->dl != NULL)
		dlclose(w->dl);
	w->f = NULL;
	w->dl = NULL;
}

/* ---- running the phases ------------------------------------------------- */

/* Frees the work; never calls the module (a late worker may run it). */
static void
work_free(void *arg)
{
	struct piv_work *w = arg;

	if (w == NULL)
		return;
	for (size_t i = 0; i < MAX_SLOTS; i++)
		X509_free(w->c[i].cert);
	free(w->token);
	free(w->manufacturer);
	free(w->model);
	free(w->serial);
	free(w->object);
	explicit_bzero(w, sizeof(*w));
	free(w);
}

struct piv_run {
	struct p11_job		*job;
	struct piv_work		*w;
	long long		left;	/* ms of card time left */
	unsigned		timeout_s;
	bool			dead;	/* a worker was abandoned */
	char			label[33];
	char			buf[PIV_WHY_MAX];	/* room for a why */
};

static char *
dup_or_null(const char *s, bool *fail)
{
	char *d = s != NULL ? strdup(s) : NULL;

	if (s != NULL && d == NULL)
		*fail = true;
	return d;
}

static enum yk_result
work_new(struct piv_run *run, const struct cfg *cfg)
{
	const struct p11_uri *u = &cfg->piv_uri;
	struct piv_work *w = calloc(1, sizeof(*w));
	bool fail = false;

	if (w == NULL)
		return YK_NOMEM;
	snprintf(w->path, sizeof(w->path), "%s", cfg->pkcs11_module);
	w->token = dup_or_null(u->token, &fail);
	w->manufacturer = dup_or_null(u->manufacturer, &fail);
	w->model = dup_or_null(u->model, &fail);
	w->serial = dup_or_null(u->serial, &fail);
	w->object = dup_or_null(u->object, &fail);
	memcpy(w->id, u->id, u->idlen < sizeof(w->id) ? u->idlen : sizeof(w->id));
	w->idlen = u->idlen < sizeof(w->id) ? u->idlen : sizeof(w->id);
	if (fail || (run->job = p11_job_new(w, work_free)) == NULL) {
		work_free(w);
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
	long long t0 = p11_job_now();

	switch (p11_job_run(run->job, fn, t0 + run->left + grace)) {
	case P11_JOB_DONE:
		run->left -= p11_job_now() - t0;
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

	if (run->job == NULL)
		return;
	if (!run->dead)
		(void)card(run, ph_close, CLOSE_GRACE_MS, &ignored);
	p11_job_put(run->job);
	run->job = NULL;
	run->w = NULL;
}

/*
 * Everything before the PIN: the trust anchors, the module, the
 * certificates, the key and the mechanism.  YK_OK with run->w->k chosen.
 * *modfault: why concerns pkcs11_module=.
 */
static enum yk_result
begin(struct piv_run *run, const struct cfg *cfg, const struct yk_log *log,
    const char *user, const struct passwd *pw, bool *loaded, bool *modfault,
    const char **why)
{
	X509_STORE *store = NULL;
	struct piv_work *w;
	char name[64], esc[64];
	enum yk_result r;

	*loaded = *modfault = false;
	if ((store = piv_trust_load(cfg, run->buf, sizeof(run->buf))) == NULL) {
		*why = run->buf;
		return YK_CONFIG;
	}
	if ((*why = module_unsafe(cfg->pkcs11_module)) != NULL) {
		*modfault = true;
		r = YK_CONFIG;
		goto out;
	}
	if (env_steers_module(name, sizeof(name)) != NULL) {
		log_escape(name, esc, sizeof(esc));
		snprintf(run->buf, sizeof(run->buf), "the environment sets %s, "
		    "which the PKCS#11 module would obey: refused", esc);
		*why = run->buf;
		r = YK_REJECTED;
		goto out;
	}
	if (atomic_load(&p11_wedged)) {
		*why = "an earlier call into a PKCS#11 module never returned "
		    "in this process: restart the program";
		r = YK_SYSTEM;
		goto out;
	}
	if ((r = work_new(run, cfg)) != YK_OK) {
		*why = "out of memory";
		goto out;
	}
	if ((r = card(run, ph_find, 0, why)) != YK_OK)
		goto out;
	w = run->w;
	if (w->open_rc != 0) {
		*why = w->why;
		*modfault = true;
		r = w->open_rc == -2 ? YK_CONFIG : YK_UNAVAILABLE;
		goto out;
	}
	*loaded = true;
	if ((r = choose(w, cfg, log, user, pw, store, run->buf, why)) != YK_OK)
		goto out;
	snprintf(run->label, sizeof(run->label), "%s", w->k->label);
	if (w->k->unfit != NULL) {
		*why = w->k->unfit;
		r = YK_REJECTED;
	}
out:
	X509_STORE_free(store);
	return r;
}

/* A YubiKey says so in its token info; other cards have no touch to ask. */
static bool
is_yubikey(const CK_TOKEN_INFO *ti)
{
	char manuf[33], model[17];

	p11_str(ti->manufacturerID, sizeof(ti->manufacturerID), manuf);
	p11_str(ti->model, sizeof(ti->model), model);
	return strcasestr(manuf, "yubico") != NULL ||
	    strcasestr(manuf, "yubikey") != NULL ||
	    strcasestr(model, "yubikey") != NULL;
}

/* The PIN, a login this call made, a fresh challenge signed and verified. */
static enum yk_result
prove(struct piv_run *run, const struct cfg *cfg, const struct piv_ui *ui,
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
	if (is_yubikey(&w->k->ti))
		ui->info(ui->arg, "Touch your YubiKey if it blinks.");
	if ((r = card(run, ph_prove, 0, why)) != YK_OK ||
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
    const struct passwd *pw, struct piv_probe *out)
{
	struct piv_run run = { .job = NULL };
	enum yk_result r;

	memset(out, 0, sizeof(*out));
	r = begin(&run, cfg, log, user, pw, &out->loaded, &out->modfault,
	    &out->why);
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

enum yk_result
piv_login(const struct cfg *cfg, const struct yk_log *log, const char *user,
    const struct passwd *pw, const struct piv_ui *ui)
{
	struct piv_run run = { .job = NULL };
	const char *why = NULL;
	bool loaded, modfault;
	char esc[64];
	enum yk_result r;

	log_escape(user, esc, sizeof(esc));
	r = begin(&run, cfg, log, user, pw, &loaded, &modfault, &why);
	if (r == YK_OK)
		r = prove(&run, cfg, ui, &why);
	end(&run);
	if (r == YK_OK)
		yk_syslog(log, LOG_INFO, "PIV login of %s with token '%s'", esc,
		    run.label);
	else if (r == YK_CONFIG)
		yk_syslog(log, LOG_ERR, "configuration error: %s%s%s%s",
		    modfault ? "pkcs11_module=" : "",
		    modfault ? cfg->pkcs11_module : "", modfault ? ": " : "",
		    why ? why : "error");
	else
		yk_syslog(log, r == YK_UNAVAILABLE ? LOG_NOTICE : LOG_ERR,
		    "PIV login of %s denied: %s%s%s%s", esc,
		    run.label[0] ? "token '" : "", run.label,
		    run.label[0] ? "': " : "", why ? why : "error");
	return r;
}
