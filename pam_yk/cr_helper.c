/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cr_helper.c - pam_yk's side of pam_yk_chalresp: run it, relay what it
 * says, bound the wait, reap it, and turn its exit into a yk_result.
 * It lives in someone else's process: no exit, no stray child, and the
 * application's SIGCHLD disposition is put back as it was.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cr_helper.h"
#include "mono.h"
#include "spawn.h"

#ifndef PAM_YK_CHALRESP_HELPER
#define PAM_YK_CHALRESP_HELPER	"/usr/libexec/" HELPER_NAME
#endif

/* One run of the helper. */
struct run {
	const char		*path;
	const struct yk_log	*log;
	const struct conv	*cv;
	struct child		child;
	int			fd;		/* the read end of its stdout */
	long long		deadline;	/* ms, mono_ms() */
	int			cues;
	size_t			total, len;
	char			line[HELPER_LINE_MAX + 1];
	const char		*why;		/* the helper's own failure */
	char			whybuf[160];
};

bool
helper_needed(const struct cfg *cfg)
{
	return cfg->mode == MODE_CHALRESP && cfg->chalresp_path != NULL &&
	    geteuid() != 0;
}

/* Installed as it must be?  The helper checks again that it runs as root. */
static const char *
not_installed(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return errno == ENOENT ? "is not installed" :
		    "cannot be examined";
	if (!S_ISREG(st.st_mode) || st.st_uid != 0 || !(st.st_mode & S_ISUID))
		return "is not installed setuid root";
	return NULL;
}

/* Start it with its stdout on a pipe (stdin and stderr on /dev/null). */
static int
spawn(struct run *run, char *const argv[])
{
	int p[2], e;

	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	p[0] = child_high_fd(p[0]);
	p[1] = child_high_fd(p[1]);
	if (p[0] < 0 || p[1] < 0 ||
	    child_start(&run->child, run->path, argv, -1, p[1]) != 0) {
		e = errno;
		for (int i = 0; i < 2; i++)
			if (p[i] >= 0)
				close(p[i]);
		errno = e;
		return -1;
	}
	close(p[1]);
	run->fd = p[0];
	return 0;
}

/* One complete line; -1 when it is not one the helper may say. */
static int
relay(struct run *run)
{
	const char *text;

	run->line[run->len] = '\0';
	switch (helper_parse_line(run->line, run->len, &text)) {
	case HELPER_LINE_CUE:
		/* The key waits for a touch: that much more time, twice. */
		if (run->cues++ < 2 &&
		    mono_ms() + HELPER_TOUCH_MS > run->deadline)
			run->deadline = mono_ms() + HELPER_TOUCH_MS;
		conv_info(run->cv, text);
		break;
	case HELPER_LINE_ERROR:
		conv_error(run->cv, text);
		break;
	case HELPER_LINE_LOG:
	case HELPER_LINE_DEBUG:
		/* The helper has logged it (syslog); here for debug_file. */
		yk_debug(run->log, "helper: %s", text);
		break;
	default:
		return -1;
	}
	return 0;
}

/* Read what the helper says until it closes its end; 0 or -1 (run->why). */
static int
listen_to(struct run *run)
{
	char buf[512];

	for (;;) {
		struct pollfd pfd = { run->fd, POLLIN, 0 };
		long long left = run->deadline - mono_ms();
		ssize_t n;
		int r;

		if (left <= 0) {
			run->why = "did not finish in time and was killed";
			return -1;
		}
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno != EINTR) {
			run->why = "cannot be listened to";
			return -1;
		}
		if (r <= 0)
			continue;
		n = read(run->fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n == 0 && run->len == 0)
			return 0;		/* closed after a whole line */
		if (n <= 0) {
			run->why = "sent a broken reply";
			return -1;
		}
		run->total += (size_t)n;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (run->len >= HELPER_LINE_MAX ||
				    run->total > HELPER_OUTPUT_MAX) {
					run->why = "sent too much";
					return -1;
				}
				run->line[run->len++] = buf[i];
			} else if (relay(run) != 0) {
				run->why = "sent an unexpected reply";
				return -1;
			} else
				run->len = 0;
		}
	}
}

/*
 * Wait for the helper to exit, until the deadline; then kill it.  Always
 * reaps it.  0 with *status, or -1 (killed here, or the status was lost).
 */
static int
reap(struct run *run, bool kill_now, int *status)
{
	switch (child_reap(&run->child, kill_now ? 0 : run->deadline,
	    status)) {
	case 0:
		return 0;
	case 1:
		if (!kill_now)
			run->why = "did not exit in time and was killed";
		return -1;
	default:
		run->why = "was reaped by someone else: its status is lost";
		return -1;
	}
}

/* The exit status as a result; -1 with run->why for anything else. */
static int
outcome(struct run *run, int status, enum yk_result *r)
{
	int code;

	if (WIFSIGNALED(status)) {
		snprintf(run->whybuf, sizeof(run->whybuf), "was killed by "
		    "signal %d", WTERMSIG(status));
		run->why = run->whybuf;
		return -1;
	}
	code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	if (helper_result(code, r) == 0)
		return 0;
	switch (code) {
	case HELPER_EXIT_NOT_ROOT:
		run->why = "does not run as root (not setuid root, a nosuid "
		    "mount, or no_new_privs)";
		break;
	case HELPER_EXIT_NOT_YOURS:
		snprintf(run->whybuf, sizeof(run->whybuf), "acts only for the "
		    "calling user (uid %u)", (unsigned)getuid());
		run->why = run->whybuf;
		break;
	case HELPER_EXIT_USAGE:
		run->why = "refused its arguments (another version?)";
		break;
	case HELPER_EXIT_EXEC:
		run->why = "cannot be run";
		break;
	default:
		snprintf(run->whybuf, sizeof(run->whybuf), "exited with the "
		    "unknown status %d", code);
		run->why = run->whybuf;
		break;
	}
	return -1;
}

/* Run it (SIGCHLD at its default meanwhile: spawn.c). */
static int
run_helper(struct run *run, char *const argv[], enum yk_result *r)
{
	int status = 0;
	bool heard;

	if (spawn(run, argv) != 0) {
		snprintf(run->whybuf, sizeof(run->whybuf), "cannot be started: "
		    "%s", strerror(errno));
		run->why = run->whybuf;
		return -1;
	}
	heard = listen_to(run) == 0;
	close(run->fd);
	if (reap(run, !heard, &status) == 0 && heard)
		return outcome(run, status, r);
	return -1;
}

enum yk_result
helper_login(const struct login *lg, const struct conv *cv)
{
	const struct cfg *cfg = lg->cfg;
	const struct yk_log *log = lg->log;
	const char *user = lg->user;
	struct run run = { .log = log, .cv = cv, .child.pid = -1, .fd = -1 };
	char timeout[16], esc[64], msg[600], shown[620];
	char *argv[6] = { HELPER_NAME, (char *)user,
	    (char *)cfg->chalresp_path, timeout, (char *)cfg->prompt, NULL };
	enum yk_result r = YK_MAPPING_ERROR;

	run.path = cfg->chalresp_helper != NULL ? cfg->chalresp_helper :
	    PAM_YK_CHALRESP_HELPER;
	snprintf(timeout, sizeof(timeout), "%u", cfg->vc.timeout_ms / 1000);
	run.deadline = mono_ms() + (long long)cfg->vc.timeout_ms + HELPER_START_MS;
	yk_debug(log, "%s not root: asking %s", cfg->chalresp_path, run.path);
	if ((run.why = not_installed(run.path)) == NULL &&
	    run_helper(&run, argv, &r) == 0) {
		yk_debug(log, "helper: exit %d", helper_exit_code(r));
		return r;
	}
	snprintf(msg, sizeof(msg), "cannot read %s/%s-* as %s: the helper %s "
	    "%s", cfg->chalresp_path, log_escape(user, esc, sizeof(esc)), esc,
	    run.path, run.why);
	yk_syslog(log, LOG_ERR, "%s", msg);
	snprintf(shown, sizeof(shown), "pam_yk: %s", msg);
	conv_error(cv, shown);
	return YK_MAPPING_ERROR;
}
