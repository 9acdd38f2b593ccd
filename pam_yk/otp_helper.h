/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * otp_helper.h - pam_yk_validate, the small (not setuid) program that does
 * the network part of online validation for pam_yk, and its protocol.
 *
 * libcurl and OpenSSL read the environment with plain getenv()
 * (SSLKEYLOGFILE, *_proxy, CURL_SSL_BACKEND, OPENSSL_CONF, SSL_CERT_FILE,
 * ...), and su and sudo run PAM with the caller's environment; changing
 * environ is not safe in a threaded host.  So pam_yk never loads libcurl:
 * it runs this program with an EMPTY environment (spawn.c), descriptor 0
 * and 1 on one socket (so that a write to a dead helper is no SIGPIPE),
 * and kills and reaps it at the deadline or as soon as a verdict is known.
 * The program makes the HTTP(S) requests and hands the raw replies back;
 * the module checks them (client.c, response.c): the API key never leaves
 * the module.
 *
 * The request, lines of "name value" (no value holds a newline; the
 * frame is helper_proto.h):
 *
 *	pam_yk_validate 1
 *	timeout_ms N		connect_ms N
 *	cainfo PATH		capath PATH		proxy URL	(optional)
 *	url URL			(1 to VC_MAX_URLS: the full signed URLs)
 *	end
 *
 * then end of input.  Each finished transfer, as it finishes:
 *
 *	reply IDX HTTP LEN ERROR\n	then LEN bytes of body
 *
 * (ERROR is empty when the transfer worked; when it failed, HTTP is 0 if
 * no reply came at all -- refused, timed out, TLS failed -- and 1 if a
 * server answered, badly).  The program exits 0 when
 * every transfer is reported or its deadline passed.
 */
#ifndef YK_VALIDATE_H
#define YK_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "client.h"

#define VALIDATE_NAME		"pam_yk_validate"
#define VALIDATE_REQUEST_MAX	65536
#define VALIDATE_HEAD_MAX	128	/* a "reply" line, with its newline */
#define VALIDATE_EXIT_USAGE	64	/* a request it cannot read */
#define VALIDATE_EXIT_LOCAL	70	/* libcurl cannot be set up */
#define VALIDATE_WHY_MAX	128

/*
 * The request for urls[0..n-1] with cfg's TLS, proxy and timeouts, with
 * timeout_ms left.  malloc'd (it holds OTPs: wipe it), or NULL when a
 * value has a newline or memory runs out.
 */
char *validate_request(const struct vc_cfg *cfg, char *const *urls,
    size_t n, long timeout_ms);

/*
 * Parse a request (len bytes, NUL-terminated) in place: cfg gets the
 * options (strings point into buf), urls[0..*n-1] the URLs.  0 or -1.
 */
int validate_parse_request(char *buf, size_t len, struct vc_cfg *cfg,
    char **urls, size_t *n);

/*
 * Write all of p (len bytes) to fd, again after EINTR: the module sends
 * its request (nosigpipe: a helper gone away is EPIPE, never SIGPIPE in
 * the host), the helper writes its replies.  0 or -1.
 */
int validate_write_all(int fd, const char *p, size_t len, bool nosigpipe);

/*
 * The "reply" line for r into head (VALIDATE_HEAD_MAX bytes); its length.
 * The body follows it.
 */
size_t validate_reply_head(const struct vc_reply *r, char *head);

/*
 * Take one reply from the front of buf (have bytes) for n URLs: 1 with
 * *out filled (out->error points into errbuf, errlen bytes, when the
 * transfer failed) and *used bytes consumed; 0 when more bytes are needed;
 * -1 when it is not a reply (a broken or hostile helper).
 */
int validate_parse_reply(const char *buf, size_t have, size_t n,
    struct vc_reply *out, char *errbuf, size_t errlen, size_t *used);

/*
 * Why the helper at path cannot be used (not installed, not a regular
 * executable file, writable by others than its owner, owned by someone
 * other than root or us), or NULL.  The module and ykpamcfg check agree.
 */
const char *validate_helper_problem(const char *path);

/* The helper to run: configured (validate_helper=), or the installed one. */
const char *validate_helper_path(const char *configured);

/* What pam_yk's transport takes as its arg, and what it says on failure. */
struct validate_arg {
	const char	*path;		/* the helper */
	char		why[VALIDATE_WHY_MAX];	/* "" or why the helper failed */
};

/* pam_yk's transport: arg is a struct validate_arg. */
extern const struct vc_transport validate_transport;

#endif
