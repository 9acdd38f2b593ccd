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
	/*
	 * Optional, for verify_step without waiting: as client_get (not
	 * fresh) when the answer is at hand, else VERIFY_WOULD_WAIT.
	 */
	int	(*client_peek)(void *arg, long id, struct client *out,
		    bool *cached);
	void	*arg;
	/*
	 * Milliseconds after which a request is not decided again (see
	 * verify_step); 0: no limit.
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

#define VERIFY_WOULD_WAIT	(-2)
#define VERIFY_NVALS		6

/*
 * One request on its way to a result, for callers that decide the OTP
 * without a thread waiting for it (verify_step).  The job and its result
 * stay where they are until the job is cleared: it.otp, it.client and
 * the result's otp_echo point into the result.
 */
struct verify_job {
	struct verify_result	*res;
	char			*v[VERIFY_NVALS];	/* the values checked */
	struct timespec		start;
	enum { VJ_CHECK, VJ_DECIDING, VJ_AFTER, VJ_DONE } phase;
	bool			again;		/* the second round */
	int			again_found;	/* as client_get */
	struct client		again_client;	/* read for the second */
	struct cas_item		it;		/* to decide */
};

enum verify_next {
	VERIFY_DONE,		/* res is the answer */
	VERIFY_DECIDE,		/* decide it, then step again */
	VERIFY_WAIT,		/* step again where waiting is allowed */
};

/* Start deciding the request given as its (URL-decoded) parameters. */
void verify_begin(struct verify_job *j, const struct yk_params *req,
    struct verify_result *res);
/*
 * Go on until the job is done, or its item j->it is to be decided (by
 * the backend's decide, or a batch of store_cas_batch), or, unless
 * may_wait, the next step would wait for the database.  req is the one
 * given to verify_begin.
 */
enum verify_next verify_step(struct verify_job *j, const struct yk_params *req,
    const struct verify_backend *be, bool may_wait);
/* Wipe and free what the job holds (not its result). */
void verify_job_clear(struct verify_job *j);

/* Decide a request given as its (URL-decoded) parameters, waiting. */
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
