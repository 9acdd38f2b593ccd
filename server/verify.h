/* SPDX-License-Identifier: BSD-2-Clause */
/* verify.h - the /wsapi/2.0/verify decision, without HTTP */
#ifndef YKV_VERIFY_H
#define YKV_VERIFY_H

#include <stdbool.h>
#include <time.h>

#include "params.h"
#include "store.h"

enum ykv_status {
	YKV_OK,
	YKV_BAD_OTP,
	YKV_REPLAYED_OTP,
	YKV_REPLAYED_REQUEST,
	YKV_BAD_SIGNATURE,
	YKV_MISSING_PARAMETER,
	YKV_NO_SUCH_CLIENT,
	YKV_BACKEND_ERROR,
};

const char *ykv_status_name(enum ykv_status s);

/* What the decision needs from storage. */
struct verify_backend {
	/*
	 * 1 found, 0 no such active client, -1 error (see store_client_get).
	 * Unless fresh, the answer may be one the node remembers; *cached
	 * then says so.
	 */
	int	(*client_get)(void *arg, long id, bool fresh, struct client *out,
		    bool *cached);
	/* Decide one OTP durably; returns once its transaction committed. */
	void	(*decide)(void *arg, struct cas_item *it);
	void	*arg;
	/*
	 * Milliseconds after which a request is not decided again (see
	 * verify_request); 0: no limit.
	 */
	int	timeout_ms;
};

struct verify_result {
	enum ykv_status	status;
	long		client_id;	/* 0 when the id did not parse */
	struct client	client;		/* signs the reply when keylen > 0 */
	bool		cached;		/* client came from the node's memory */
	bool		client_changed;	/* the database has another client */
	bool		client_confirmed;	/* the database checked it */
	bool		want_timestamp;
	struct yk_otp	otp;
	const char	*otp_echo;	/* the normalised OTP, or NULL */
	char		nonce[41];	/* "" unless valid */
	char		public_id[YK_PUBID_MAX + 1];	/* "" until known */
	struct yk_token	tok;		/* valid when status is YKV_OK */
	const char	*why;		/* a static reason for the log */
};

/* Decide a request given as its (URL-decoded) parameters. */
void verify_request(const struct yk_params *req,
    const struct verify_backend *be, struct verify_result *res);

/*
 * Format the reply body: key=value lines ending in CRLF and a blank line,
 * signed with the client's key when it is known (else the empty key).
 * Returns the length written, or -1.
 */
int verify_reply(const struct verify_result *res, const struct timespec *now,
    char *buf, size_t len);

/* Wipe what the result holds of the client's key and the OTP. */
void verify_result_clear(struct verify_result *res);

#endif
