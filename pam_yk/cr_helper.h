/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cr_helper.h - pam_yk_chalresp, the setuid-root helper that checks a user's
 * root-owned chalresp_path state for pam_yk running as that user (a screen
 * locker), in the way pam_unix uses unix_chkpwd.  Both sides share this.
 *
 * The module runs
 *
 *	pam_yk_chalresp USER DIR TIMEOUT [CUE]
 *
 * with an empty environment, stdin and stderr on /dev/null and stdout on a
 * pipe.  USER is the PAM user, DIR the chalresp_path, TIMEOUT the lock
 * wait in seconds (timeout=) and CUE the touch cue (prompt=).  The helper
 * writes lines to the pipe:
 *
 *	cue TEXT			show TEXT (the key waits for a touch)
 *	error TEXT			show TEXT as an error
 *	pam_yk(helper): TEXT		a log line (also in the helper's syslog)
 *	pam_yk(helper): debug: TEXT	a debug line
 *
 * and exits with one of the HELPER_EXIT_ codes.
 */
#ifndef YK_HELPER_H
#define YK_HELPER_H

#include <stdbool.h>
#include <stddef.h>

#include "cfg.h"
#include "cr_login.h"
#include "log.h"
#include "login.h"
#include "result.h"
#include "cr_state.h"

#define HELPER_NAME		"pam_yk_chalresp"
#define HELPER_LOG_IDENT	"pam_yk(helper)"
#define HELPER_LINE_MAX		1200	/* bytes, without the newline */
#define HELPER_OUTPUT_MAX	65536	/* bytes in all */
#define HELPER_DIR_MAX		CFG_CHALRESP_PATH_MAX	/* DIR's bytes */
#define HELPER_USER_MAX		CR_USER_MAX
#define HELPER_CUE_MAX		CFG_CUE_MAX

/* How long the module waits: the start, and each touch (two at most). */
#define HELPER_START_MS		10000	/* plus the lock wait (timeout=) */
#define HELPER_TOUCH_MS		20000	/* the key gives up after ~15 s */

/* Exit codes: 0-5 are what chalresp_login came to, the rest refusals. */
enum helper_exit {
	HELPER_EXIT_OK = 0,
	HELPER_EXIT_NO_TOKENS = 1,
	HELPER_EXIT_USER_UNKNOWN = 2,
	HELPER_EXIT_REJECTED = 3,
	HELPER_EXIT_MAPPING_ERROR = 4,
	HELPER_EXIT_SYSTEM = 5,
	HELPER_EXIT_USAGE = 64,		/* bad arguments */
	HELPER_EXIT_NOT_ROOT = 65,	/* not running setuid root */
	HELPER_EXIT_NOT_YOURS = 66,	/* USER is not the caller */
	HELPER_EXIT_SETUP = 67,		/* cannot set up its process */
	HELPER_EXIT_EXEC = 127,		/* the module's child could not exec */
};

struct helper_args {
	const char	*user, *dir, *cue;	/* cue may be NULL */
	unsigned	timeout_s;
};

/*
 * Check the helper's argv (argv[0] is not looked at): exactly USER DIR
 * TIMEOUT and maybe CUE.  The module's own rules, so that what it accepts
 * the helper accepts: USER as cr_user_bad; DIR, TIMEOUT and CUE as the
 * option table judges chalresp_path=, timeout= and prompt= in
 * challenge-response mode (cfg_check_value), TIMEOUT also written as the
 * module writes it (no sign, blank or leading zero).  0, or -1 with a
 * static *why.
 */
int helper_check_args(int argc, char *const *argv, struct helper_args *a,
    const char **why);

/* The exit code for what chalresp_login came to, and back. */
int helper_exit_code(enum yk_result r);
/* 0 and *r, or -1 for a refusal or an unknown code. */
int helper_result(int code, enum yk_result *r);

enum helper_line {
	HELPER_LINE_CUE,
	HELPER_LINE_ERROR,
	HELPER_LINE_LOG,
	HELPER_LINE_DEBUG,
	HELPER_LINE_BAD,
};
/*
 * Classify one line (len bytes, without its newline, NUL-terminated by
 * the caller) and point *text at its text.
 * A line with a control character, or that says nothing known, is BAD.
 */
enum helper_line helper_parse_line(const char *line, size_t len,
    const char **text);

/* Close every descriptor from fd up (async-signal-safe). */
void helper_close_from(int fd);

/*
 * Lift the resource limits a helper inherits from its caller (both
 * helpers; cr_helper_proto.c says which).  strict: -1 with *which when one
 * stays below what a run needs.
 */
int helper_sane_limits(bool strict, const char **which);

/* pam_yk: does this login need the helper (chalresp_path, not root)? */
bool helper_needed(const struct cfg *cfg);

/*
 * pam_yk: run the helper for lg->user (pw_name) and relay its cues and
 * errors to cv.
 * Waits at most timeout + HELPER_START_MS, plus HELPER_TOUCH_MS after each
 * of the first two cues; then kills and reaps it.  Every failure of the
 * helper itself denies (YK_MAPPING_ERROR) with one log line that says why,
 * also shown through cv->error.
 */
enum yk_result helper_login(const struct login *lg, const struct conv *cv);

#endif
