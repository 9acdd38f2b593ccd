/* SPDX-License-Identifier: BSD-2-Clause */
/* client.h - the validation protocol 2.0 client used by pam_yk.so */
#ifndef YK_CLIENT_H
#define YK_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "params.h"

#define VC_MAX_URLS		10
#define VC_REPLY_MAX		4096	/* a reply is < 400 bytes */
#define VC_DEFAULT_URL		"https://api.yubico.com/wsapi/2.0/verify"

enum vc_verdict {
	VC_OK,		/* a trusted OK: signature (if keyed), echoes */
	VC_REJECTED,	/* a trusted BAD_OTP or REPLAYED_OTP: a definite no */
	VC_UNAVAILABLE,	/* no verdict from any server by the deadline */
	VC_ERROR,	/* a local failure (memory, libcurl), a bad argument */
};

struct vc_cfg {
	const char	*urls[VC_MAX_URLS];	/* .../wsapi/2.0/verify */
	size_t		nurls;			/* 1..VC_MAX_URLS */
	long		id;			/* API client id, > 0 */
	unsigned char	key[YK_KEY_MAX];	/* decoded API key */
	size_t		keylen;		/* 0: unsigned, replies unverified */
	const char	*cainfo, *capath;	/* NULL: libcurl's defaults */
	const char	*proxy;		/* NULL: none, not even from environ */
	unsigned	timeout_ms;		/* the overall deadline, > 0 */
	unsigned	connect_timeout_ms;	/* 0: timeout_ms */
};

/* What one server said, for the log (no secrets in it). */
struct vc_server_note {
	const char	*url;		/* borrowed from cfg->urls */
	char		what[64];	/* "OK", "bad signature", "timeout" */
	bool		unreachable;	/* no reply: refused, timeout, TLS */
};

struct vc_result {
	enum vc_verdict		verdict;
	struct vc_server_note	notes[VC_MAX_URLS];	/* one per URL */
	size_t			nnotes;
	int			decisive;	/* the deciding note, or -1 */
	/*
	 * VC_UNAVAILABLE because no server could be reached at all (every
	 * note unreachable), not because one answered in a way that is not
	 * trusted (a bad signature, no signature, HTTP 500, BACKEND_ERROR).
	 */
	bool			unreachable;
	double			elapsed_ms;
};

/*
 * Check a canonical OTP (lowercase modhex, as otp_normalise makes it)
 * with every configured server in parallel, and return as soon as a
 * verdict is known, or VC_UNAVAILABLE at the deadline.  Returns
 * res->verdict.  Reentrant; logs nothing: the caller logs res->notes.
 * Over libcurl in this process (http.c): pam_yk.so uses vc_verify_with
 * and pam_yk_validate instead.
 */
int vc_verify(const struct vc_cfg *cfg, const char *otp, struct vc_result *res);

/* ---- the transport under vc_verify, replaceable for tests ---- */

/* One finished transfer. */
struct vc_reply {
	size_t		idx;		/* which URL, 0..n-1 */
	long		http;		/* HTTP status; 0 when it failed */
	const char	*error;		/* reason when it failed; valid until
					 * the next call of next() */
	/* error, and no reply came: the connection was refused, timed out,
	   or its TLS handshake or certificate check failed */
	bool		unreachable;
	size_t		len;
	char		body[VC_REPLY_MAX + 1];	/* len bytes, then a NUL */
};

/*
 * Deadlines are absolute CLOCK_MONOTONIC times.  start() begins one GET of
 * each urls[i] (i < n) in parallel and hands back its state; next() waits
 * for the next finished transfer until the deadline and returns 1 with
 * *out filled, 0 when the deadline passed or nothing is left, -1 on a
 * local failure; stop() cancels what is still running and frees the state
 * (NULL-safe).  Bodies longer than VC_REPLY_MAX are failed transfers.
 */
struct vc_transport {
	int	(*start)(void *arg, const struct vc_cfg *cfg,
		    char *const *urls, size_t n,
		    const struct timespec *deadline, void **state);
	int	(*next)(void *state, const struct timespec *deadline,
		    struct vc_reply *out);
	void	(*stop)(void *state);
	void	*arg;
};

/* libcurl, in http.c (pam_yk_validate, ykpamcfg; never pam_yk.so) */
extern const struct vc_transport vc_http_transport;

/* vc_verify over another transport. */
int vc_verify_with(const struct vc_cfg *cfg, const char *otp,
    const struct vc_transport *tr, struct vc_result *res);

#endif
