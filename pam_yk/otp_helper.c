/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * otp_helper.c - pam_yk's side of pam_yk_validate: a vc_transport that
 * runs the helper (spawn.c), sends it the signed URLs and reads the raw
 * replies back until the deadline.  stop() kills and reaps it at once, so
 * a stalled DNS lookup or TLS handshake in there never holds the login.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper_proto.h"
#include "mono.h"
#include "spawn.h"
#include "otp_helper.h"
#include "wipe.h"

const char *
validate_helper_path(const char *configured)
{
	return HP_HELPER_PATH(configured, VALIDATE_NAME);
}

/*
 * The helper is given what is left of timeout= and ends by itself then,
 * having told which servers answered; the module waits GRACE past
 * timeout= for that (a login still ends within timeout + 1 s).  A helper
 * that has not finished by then was stopped or frozen (su's caller may
 * freeze what su runs): that is an error, never "no server answered",
 * which [authinfo_unavail=ignore] passes over.
 */
#define VALIDATE_GRACE_MS	700

struct vrun {
	struct child	child;
	struct timespec	hard;		/* the helper has finished by then */
	char		*why;		/* the arg's */
	int		fd;
	size_t		n, have;
	bool		eof;
	char		err[64];
	char		buf[VALIDATE_HEAD_MAX + VC_REPLY_MAX];
};

static void
vr_stop(void *state)
{
	struct vrun *v = state;
	int status;

	if (v == NULL)
		return;
	if (v->fd >= 0)
		close(v->fd);
	(void)child_reap(&v->child, 0, &status);	/* SIGKILL, reap */
	explicit_bzero(v, sizeof(*v));
	free(v);
}

static int
vr_start(void *arg, const struct vc_cfg *cfg, char *const *urls, size_t n,
    const struct timespec *deadline, void **state)
{
	struct validate_arg *a = arg;
	char *argv[] = { VALIDATE_NAME, NULL }, *req = NULL;
	struct vrun *v = NULL;
	int sv[2] = { -1, -1 }, r = -1;

	*state = NULL;
	a->why[0] = '\0';
	if ((v = calloc(1, sizeof(*v))) == NULL)
		goto out;
	v->child.pid = -1;
	v->child.root_ids = true;	/* the caller of su must not stop it */
	v->fd = -1;
	v->n = n;
	v->why = a->why;
	v->hard = mono_add(*deadline, VALIDATE_GRACE_MS);
	if ((req = validate_request(cfg, urls, n, mono_ms_left(deadline))) == NULL) {
		snprintf(a->why, sizeof(a->why), "cannot be asked (no memory, "
		    "or a newline in an option)");
		goto out;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 ||
	    (sv[0] = child_high_fd(sv[0])) < 0 ||
	    (sv[1] = child_high_fd(sv[1])) < 0 ||
	    child_start(&v->child, a->path, argv, sv[1], sv[1]) != 0) {
		snprintf(a->why, sizeof(a->why), "cannot be started: %s",
		    strerror(errno));
		goto out;
	}
	v->fd = sv[0];
	sv[0] = -1;
	/* The socket takes all of req at once (it is small). */
	if (validate_write_all(v->fd, req, strlen(req), true) != 0 ||
	    shutdown(v->fd, SHUT_WR) != 0) {
		snprintf(a->why, sizeof(a->why), "cannot be sent the request: "
		    "%s", strerror(errno));
		goto out;
	}
	*state = v;
	v = NULL;
	r = 0;
out:
	for (int i = 0; i < 2; i++)
		if (sv[i] >= 0)
			close(sv[i]);
	wipe_free(&req);
	vr_stop(v);
	return r;
}

/* At the end of its output: did the helper finish as it should? */
static int
finished(struct vrun *v)
{
	int status = 0;

	if (v->have != 0) {
		snprintf(v->why, VALIDATE_WHY_MAX, "sent a reply cut short");
		return -1;
	}
	/* It has closed its end: it exits now, or is killed in a second. */
	switch (child_reap(&v->child, mono_ms() + 1000, &status)) {
	case 0:
		break;
	case 1:
		snprintf(v->why, VALIDATE_WHY_MAX, "did not exit and was killed");
		return -1;
	default:
		snprintf(v->why, VALIDATE_WHY_MAX, "was reaped by someone else");
		return -1;
	}
	if (WIFSIGNALED(status)) {
		snprintf(v->why, VALIDATE_WHY_MAX, "was killed by signal %d",
		    WTERMSIG(status));
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(v->why, VALIDATE_WHY_MAX, "exited with status %d",
		    WEXITSTATUS(status));
		return -1;
	}
	return 0;
}

static int
vr_next(void *state, const struct timespec *deadline, struct vc_reply *out)
{
	struct vrun *v = state;

	(void)deadline;		/* the helper keeps it; we wait till v->hard */
	size_t used;
	ssize_t k;
	int r;

	for (;;) {
		r = validate_parse_reply(v->buf, v->have, v->n, out, v->err,
		    sizeof(v->err), &used);
		if (r < 0)
			snprintf(v->why, VALIDATE_WHY_MAX, "sent a broken reply");
		if (r != 0) {
			if (r == 1) {
				v->have -= used;
				memmove(v->buf, v->buf + used, v->have);
			}
			return r;
		}
		if (v->eof)
			return finished(v);
		struct pollfd p = { v->fd, POLLIN, 0 };
		long ms = mono_ms_left(&v->hard);

		if (ms == 0) {
			snprintf(v->why, VALIDATE_WHY_MAX, "did not finish "
			    "within timeout= (stopped or frozen?)");
			return -1;
		}
		if ((r = poll(&p, 1, (int)ms)) < 0 && errno != EINTR) {
			snprintf(v->why, VALIDATE_WHY_MAX, "cannot be listened to");
			return -1;
		}
		if (r <= 0)
			continue;
		k = recv(v->fd, v->buf + v->have, sizeof(v->buf) - v->have, 0);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k < 0 && errno == ECONNRESET)
			k = 0;	/* it died with our request unread: its end */
		if (k < 0) {
			snprintf(v->why, VALIDATE_WHY_MAX, "cannot be read from");
			return -1;
		}
		if (k == 0)
			v->eof = true;
		v->have += (size_t)k;
	}
}

const struct vc_transport validate_transport = {
	vr_start, vr_next, vr_stop, NULL,
};
