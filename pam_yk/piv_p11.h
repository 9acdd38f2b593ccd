/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * piv_p11.h - the PKCS#11 calls of the PIV method: the module (is it safe
 * to load, load it, unload it), the tokens that match pkcs11_uri, their
 * objects and attributes (every length the module gives is checked), the
 * login and the signature.  piv_login.c holds the flow: it runs the
 * phases below on a worker (piv_p11_job.h) and talks to the user between
 * them.
 *
 * Everything a worker touches is in struct piv_work, which a late worker
 * may outlive the login with: it holds copies, never pointers into the
 * caller's cfg.
 */
#ifndef YK_PIV_P11_H
#define YK_PIV_P11_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include <openssl/x509.h>
#include <p11-kit/pkcs11.h>

#include "cfg.h"
#include "result.h"

#define P11_PIN_MIN	6	/* PIV PINs are 6 to 8 characters */
#define P11_PIN_MAX	8
#define P11_SIG_MAX	1024
#define P11_MAX_SLOTS	32

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
	struct cand		c[P11_MAX_SLOTS];
	size_t			n;
	struct cand		*k;		/* the one chosen */
	CK_RV			lrv;		/* its C_Login */
	/* the PIN (or a keypad), the data to sign and the signature */
	bool			pinpad;
	char			pin[P11_PIN_MAX + 1];
	CK_ULONG		pinlen;
	unsigned char		data[64];
	CK_ULONG		dlen;
	unsigned char		sig[P11_SIG_MAX];
	CK_ULONG		slen;
};

/* ---- the caller's thread ------------------------------------------------ */

/*
 * The module, as named and after symbolic links are resolved, and every
 * directory above it, belong to root and only root can write them: else
 * whoever can write there runs code in every login.  NULL or why not.
 */
const char *p11_module_unsafe(const char *path);

/*
 * The name of a variable in our environment that the module would obey
 * (OpenSC's, pcsc-lite's, ykcs11's; SoftHSM's when setuid), in buf; or
 * NULL.  A login refuses to load the module while one is set.
 */
const char *p11_env_steers(char *buf, size_t len);

/* A work for cfg's pkcs11_module= and pkcs11_uri=, or NULL (no memory). */
struct piv_work *p11_work_new(const struct cfg *cfg);

/* Frees the work; never calls the module (a late worker may run it). */
void p11_work_free(void *w);

/* Did the call fail because the card or its session went away? */
bool p11_removed(CK_RV rv);

/* Is the token a YubiKey (which asks for a touch when it signs)? */
bool p11_is_yubikey(const CK_TOKEN_INFO *ti);

/* ---- the phases, each run on a worker (arg: the struct piv_work) ------- */

/*
 * Phase 1: load the module (w->open_rc, w->why), keep a session on every
 * token that matches pkcs11_uri and holds a certificate in the configured
 * slot (w->c[0 .. w->n-1]; w->bad when a certificate is there but cannot
 * be read), and check what can be checked before the PIN (c->unfit): the
 * token signs with the mechanism the certificate needs, and a key that
 * shows before the login is of the certificate's type and may sign.
 */
void p11_find(void *arg);

/*
 * Phase 2, for w->k and w->pin (or w->pinpad): close the other tokens,
 * log in from a clean state (w->lrv: nothing but CKR_OK is a PIN the card
 * checked), and only after a login of ours check that the private key is
 * the certificate's and may sign, and sign w->data into w->sig (w->r,
 * w->why).
 */
void p11_prove(void *arg);

/* The last phase: log out, close, finalize (if we initialized), unload. */
void p11_close(void *arg);

#endif
