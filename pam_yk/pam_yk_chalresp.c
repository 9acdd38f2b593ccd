/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pam_yk_chalresp.c - pam_yk_chalresp, installed setuid root.  pam_yk runs it when
 * it runs as the user (a screen locker) and chalresp_path holds root's
 * state files, as pam_unix runs unix_chkpwd.  cr_helper.h has the protocol.
 *
 * Whoever starts it chooses its argv, environment, descriptors, signal
 * mask, limits and ids, so it trusts none of them:
 *  - the environment is cleared first (glibc drops LD_* for setuid
 *    programs; libusb, libykpers and OpenSSL read other variables);
 *  - 0, 1 and 2 are open (on /dev/null if they were closed, so that no
 *    file it opens becomes its stdout), every other descriptor is closed;
 *  - no core dumps, no ptrace (not dumpable);
 *  - it works only as root (euid 0) and only for the caller: USER must be
 *    the account of the real uid; the real uid stays the caller's, so the
 *    module can kill it;
 *  - DIR is resolved with the caller's rights (an O_PATH open as the real
 *    uid), so it names only a directory the caller can reach; then the
 *    module's own code (chalresp_login_at) reads it as root with its
 *    checks: root-owned directory and files, not writable by group or
 *    others, no symbolic links, file names USER or USER-SERIAL;
 *  - it writes nothing but its stdout and, once the key has answered,
 *    the next state in DIR.
 * There is no rate limit: every try needs the YubiKey (and its touch).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "cr_login.h"
#include "cr_helper.h"

/* One protocol line on stdout, in one write. */
static void
say(const char *kind, const char *text)
{
	char line[HELPER_LINE_MAX + 2];
	int n = snprintf(line, sizeof(line), "%s %s\n", kind, text);

	if (n > 0 && (size_t)n < sizeof(line) && write(1, line, (size_t)n) < 0)
		return;		/* the module is gone: nobody to tell */
}

static void
cue(void *arg, const char *text)
{
	(void)arg;
	say("cue", text);
}

static void
tell(void *arg, const char *text)
{
	(void)arg;
	say("error", text);
}

/* 0, 1, 2 open; nothing else. */
static int
sane_fds(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			return -1;
	helper_close_from(3);
	return 0;
}

/*
 * Signals: every one at its default, none blocked, and those that a
 * caller or a limit could use to stop a save half-way ignored.  The
 * module ends a helper that takes too long with SIGKILL; a kill leaves
 * at most the one fixed temporary file, which the next save removes.
 */
static int
sane_signals(void)
{
	static const int ignored[] = {
		SIGPIPE, SIGXFSZ, SIGXCPU, SIGHUP, SIGINT, SIGQUIT, SIGTERM,
		SIGALRM, SIGVTALRM, SIGPROF, SIGUSR1, SIGUSR2, SIGTSTP,
		SIGTTIN, SIGTTOU,
	};
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_DFL;
	/* glibc reserves a few (EINVAL): those stay as they are. */
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			(void)sigaction(s, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		if (sigaction(ignored[i], &sa, NULL) != 0)
			return -1;
	sigemptyset(&none);
	return sigprocmask(SIG_SETMASK, &none, NULL);
}

static int
sane_process(const char **limit)
{
	/* Limits and signals first: even clearenv must not meet them. */
	if (sane_fds() != 0)
		return -2;	/* nowhere to say so */
	if (sane_signals() != 0 || helper_sane_limits(true, limit) != 0 ||
	    clearenv() != 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return -1;
	umask(077);
	return 0;
}

/* Refuse: a log line (syslog and the module) and one on stderr. */
static int
refuse(const struct yk_log *log, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int
refuse(const struct yk_log *log, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	yk_syslog(log, LOG_WARNING, "refused (uid %u): %s", (unsigned)getuid(),
	    msg);
	dprintf(2, "%s: %s\n", HELPER_NAME, msg);
	return code;
}

/* DIR as the caller would resolve it: an O_PATH descriptor, or -1. */
static int
reach(const char *dir, uid_t ruid, int *err)
{
	int fd;

	if (seteuid(ruid) != 0) {
		*err = errno;
		return -1;
	}
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	*err = errno;
	if (seteuid(0) != 0)
		_exit(HELPER_EXIT_SETUP);	/* never go on half-dropped */
	return fd;
}

/* The module's configuration for this login, parsed by the module's code. */
#define OPT_MAX	(HELPER_DIR_MAX + 32)

static int
make_cfg(const struct helper_args *a, struct cfg *cfg, char opt[3][OPT_MAX])
{
	const char *argv[4] = { "mode=challenge-response", opt[0], opt[1],
	    opt[2] };
	char err[256];

	snprintf(opt[0], OPT_MAX, "chalresp_path=%s", a->dir);
	snprintf(opt[1], OPT_MAX, "timeout=%u", a->timeout_s);
	snprintf(opt[2], OPT_MAX, "prompt=%s", a->cue ? a->cue : "");
	return cfg_parse(a->cue ? 4 : 3, argv, cfg, err, sizeof(err)) == CFG_OK ?
	    0 : -1;
}

int
main(int argc, char **argv)
{
	struct helper_args a;
	struct passwd pwbuf, *pw = NULL;
	struct conv cv = { .info = cue, .error = tell };
	struct yk_log log;
	struct cfg cfg;
	char pwmem[16384], opt[3][OPT_MAX], esc[64];
	const char *why = NULL;
	uid_t ruid = getuid();
	enum yk_result r;
	const char *limit = NULL;
	int dir, err, code, setup = sane_process(&limit);

	if (setup == -2)
		return HELPER_EXIT_SETUP;
	openlog(HELPER_NAME, LOG_PID, LOG_AUTHPRIV);
	log_init(&log, NULL);
	snprintf(log.ident, sizeof(log.ident), "%s", HELPER_LOG_IDENT);
	log.debug = true;	/* every line also to the module (stdout) */
	log.debug_fd = 1;
	if (setup != 0)
		return refuse(&log, HELPER_EXIT_SETUP, "cannot set up its "
		    "process%s%s%s", limit ? ": the caller's hard " : "",
		    limit ? limit : "", limit ? " is too low" : "");
	if (geteuid() != 0)
		return refuse(&log, HELPER_EXIT_NOT_ROOT, "not running as "
		    "root: it must be installed setuid root");
	if (helper_check_args(argc, argv, &a, &why) != 0)
		return refuse(&log, HELPER_EXIT_USAGE, "%s", why);
	log_escape(a.user, esc, sizeof(esc));
	/* The files go by pw_name (chalresp_login_at), as in the module. */
	if (getpwnam_r(a.user, &pwbuf, pwmem, sizeof(pwmem), &pw) != 0 ||
	    pw == NULL || pw->pw_uid != ruid)
		return refuse(&log, HELPER_EXIT_NOT_YOURS, "%s is not the "
		    "calling user", esc);
	if ((dir = reach(a.dir, ruid, &err)) < 0) {
		if (err == ENOENT) {
			yk_debug(&log, "no %s: no state for %s", a.dir, esc);
			return HELPER_EXIT_NO_TOKENS;
		}
		return refuse(&log, HELPER_EXIT_MAPPING_ERROR, "%s cannot "
		    "reach %s: %s", esc, a.dir, strerror(err));
	}
	/* Root's group as well: the caller's groups have no business here. */
	if (setgroups(0, NULL) != 0 || setresgid(0, 0, 0) != 0)
		return refuse(&log, HELPER_EXIT_SETUP, "cannot set the groups");
	if (make_cfg(&a, &cfg, opt) != 0) {
		cfg_free(&cfg);
		return refuse(&log, HELPER_EXIT_USAGE, "bad configuration");
	}
	r = chalresp_login_at(&(struct login){ &cfg, &log, a.user, pw }, &cv,
	    dir);
	code = helper_exit_code(r);
	cfg_free(&cfg);
	close(dir);
	explicit_bzero(pwmem, sizeof(pwmem));
	return code;
}
