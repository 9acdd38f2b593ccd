/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pam_yk_validate.c - pam_yk_validate: the network part of online validation,
 * run by pam_yk with an empty environment (otp_helper.h).  Not setuid: it
 * runs as whoever runs the module.  It reads the request from its
 * descriptor 0, makes the requests with libcurl (http.c) and writes each
 * raw reply to descriptor 1 as it comes; it checks nothing itself.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cr_helper.h"
#include "mono.h"
#include "otp_helper.h"

static ssize_t
read_request(char *buf, size_t cap)
{
	size_t have = 0;

	while (have < cap) {
		ssize_t k = read(0, buf + have, cap - have);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0)
			break;
		have += (size_t)k;
	}
	return have < cap ? (ssize_t)have : -1;
}

int
main(void)
{
	static char req[VALIDATE_REQUEST_MAX + 1];
	static struct vc_reply r;
	char *urls[VC_MAX_URLS], head[VALIDATE_HEAD_MAX];
	struct timespec deadline;
	struct vc_cfg cfg;
	void *st = NULL;
	const char *which = NULL;
	ssize_t len;
	size_t n;
	int got;

	/* A module that went away must not keep us running. */
	signal(SIGPIPE, SIG_DFL);
	/*
	 * Nor may the caller's limits (su, sudo) make a lookup or connection
	 * fail, which would read as "no server reachable".
	 */
	(void)helper_sane_limits(false, &which);
	if ((len = read_request(req, VALIDATE_REQUEST_MAX)) < 0)
		_exit(VALIDATE_EXIT_USAGE);
	req[len] = '\0';
	if (validate_parse_request(req, (size_t)len, &cfg, urls, &n) != 0)
		_exit(VALIDATE_EXIT_USAGE);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline = mono_add(deadline, cfg.timeout_ms);
	if (vc_http_transport.start(NULL, &cfg, urls, n, &deadline, &st) != 0)
		_exit(VALIDATE_EXIT_LOCAL);
	while ((got = vc_http_transport.next(st, &deadline, &r)) == 1) {
		size_t hl = validate_reply_head(&r, head);

		if (hl == 0 || validate_write_all(1, head, hl, false) != 0 ||
		    (r.error == NULL &&
		    validate_write_all(1, r.body, r.len, false) != 0))
			break;
		explicit_bzero(&r, sizeof(r));
	}
	explicit_bzero(req, sizeof(req));
	explicit_bzero(&r, sizeof(r));
	/*
	 * No cleanup: tearing the transfers down joins libcurl's resolver
	 * threads, which a stalled DNS lookup holds.  The kernel frees all.
	 */
	_exit(got < 0 ? VALIDATE_EXIT_LOCAL : 0);
}
