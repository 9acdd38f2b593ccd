/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ldap_helper.c - pam_yk's side of pam_yk_ldap: run it (spawn.c), send it
 * the search, read its one reply until the deadline, and reap it.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ldap_helper.h"
#include "mono.h"
#include "otp_helper.h"
#include "spawn.h"
#include "wipe.h"

/*
 * The helper stops itself at the deadline with "unavailable"; the module
 * waits GRACE more for that reply, then kills it (an error, never
 * "unavailable": see otp_helper.c).
 */
#define LDAP_GRACE_MS	700

/* Read the whole reply into *buf (malloc'd) until EOF or hard. */
static int
read_reply(int fd, const struct timespec *hard, char **buf, size_t *len,
    char *why, size_t whylen)
{
	size_t cap = 4096, have = 0;
	char *b = malloc(cap + 1);

	*buf = NULL;
	if (b == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		long ms = mono_ms_left(hard);
		ssize_t k;
		int r;

		if (ms == 0) {
			snprintf(why, whylen, "did not finish by the deadline");
			goto fail;
		}
		if ((r = poll(&p, 1, (int)ms)) < 0 && errno != EINTR) {
			snprintf(why, whylen, "cannot be listened to");
			goto fail;
		}
		if (r <= 0)
			continue;
		if (have == cap) {
			char *nb;

			if (cap >= LDAP_REPLY_MAX ||
			    (nb = realloc(b, 2 * cap + 1)) == NULL) {
				snprintf(why, whylen, "sent too long a reply");
				goto fail;
			}
			b = nb;
			cap *= 2;
		}
		k = recv(fd, b + have, cap - have, 0);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k < 0) {
			snprintf(why, whylen, "cannot be read from");
			goto fail;
		}
		if (k == 0)
			break;
		have += (size_t)k;
	}
	b[have] = '\0';
	*buf = b;
	*len = have;
	return 0;
fail:
	explicit_bzero(b, have);
	free(b);
	return -1;
}

/* Start the helper and hand it req; the socket, or -1 with why. */
static int
start(struct child *ch, const char *path, const char *req, char *why,
    size_t whylen)
{
	char *argv[] = { LDAP_HELPER_NAME, NULL };
	int sv[2] = { -1, -1 }, fd = -1;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 ||
	    (sv[0] = child_high_fd(sv[0])) < 0 ||
	    (sv[1] = child_high_fd(sv[1])) < 0 ||
	    child_start(ch, path, argv, sv[1], sv[1]) != 0) {
		snprintf(why, whylen, "cannot be started: %s", strerror(errno));
		goto out;
	}
	if (validate_write_all(sv[0], req, strlen(req), true) != 0 ||
	    shutdown(sv[0], SHUT_WR) != 0) {
		snprintf(why, whylen, "cannot be sent the request: %s",
		    strerror(errno));
		goto out;
	}
	fd = sv[0];
	sv[0] = -1;
out:
	for (int i = 0; i < 2; i++)
		if (sv[i] >= 0)
			close(sv[i]);
	return fd;
}

enum ldap_outcome
ldap_lookup(const char *path, const struct ldap_conn *c,
    const struct ldap_query *q, const struct timespec *deadline,
    struct ldap_values *out, char *why, size_t whylen)
{
	struct child ch = { .pid = -1, .root_ids = true };
	struct timespec hard = mono_add(*deadline, LDAP_GRACE_MS);
	enum ldap_outcome r = LDQ_LOCAL;
	char *req = NULL, *rep = NULL;
	size_t len = 0;
	int fd = -1, status = 0;
	const char *bad;

	memset(out, 0, sizeof(*out));
	if ((bad = validate_helper_problem(path)) != NULL) {
		snprintf(why, whylen, "%s %s", path, bad);
		return LDQ_LOCAL;
	}
	if ((req = ldap_request(c, q, mono_ms_left(deadline))) == NULL) {
		snprintf(why, whylen, "the search cannot be written (no memory, "
		    "or a newline in a value)");
		return LDQ_LOCAL;
	}
	if ((fd = start(&ch, path, req, why, whylen)) < 0)
		goto out;
	if (read_reply(fd, &hard, &rep, &len, why, whylen) != 0)
		goto out;
	/* It has closed its end: it exits now, or is killed in a second. */
	if (child_reap(&ch, mono_ms() + 1000, &status) != 0 ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(why, whylen, "%s did not exit cleanly", LDAP_HELPER_NAME);
		goto out;
	}
	r = ldap_parse_reply(rep, len, out, why, whylen);
out:
	if (fd >= 0)
		close(fd);
	(void)child_reap(&ch, 0, &status);
	if (rep != NULL) {
		explicit_bzero(rep, len);
		free(rep);
	}
	explicit_bzero(req, strlen(req));
	free(req);
	return r;
}
