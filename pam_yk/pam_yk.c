/* SPDX-License-Identifier: BSD-2-Clause */
/* pam_yk.c - the PAM entry points, the conversation over PAM, the methods */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAM_SM_AUTH
#define PAM_SM_ACCOUNT
#include <security/pam_appl.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "cfg.h"
#include "log.h"
#include "login.h"
#include "methods.h"
#include "pamcode.h"

#define EXPORT __attribute__((visibility("default")))

/*
 * The conversation every method is given (login.h), over PAM.  PAM_SILENT
 * keeps the cues and errors quiet; questions are always asked.
 */
struct pam_conv_arg {
	pam_handle_t	*pamh;
	bool		silent;		/* PAM_SILENT */
};

static enum yk_result
ask(void *arg, bool echo, const char *prompt, char **answer)
{
	struct pam_conv_arg *c = arg;
	char *resp = NULL;

	*answer = NULL;
	if (pam_prompt(c->pamh, echo ? PAM_PROMPT_ECHO_ON :
	    PAM_PROMPT_ECHO_OFF, &resp, "%s", prompt) != PAM_SUCCESS ||
	    resp == NULL) {
		free(resp);
		return YK_CONV_ERROR;
	}
	*answer = resp;
	return YK_OK;
}

static const char *
authtok(void *arg)
{
	struct pam_conv_arg *c = arg;
	const void *item = NULL;

	if (pam_get_item(c->pamh, PAM_AUTHTOK, &item) != PAM_SUCCESS)
		return NULL;
	return item;
}

static enum yk_result
set_authtok(void *arg, const char *tok)
{
	struct pam_conv_arg *c = arg;

	return pam_set_item(c->pamh, PAM_AUTHTOK, tok) == PAM_SUCCESS ?
	    YK_OK : YK_SYSTEM;
}

static void
info(void *arg, const char *text)
{
	struct pam_conv_arg *c = arg;

	if (!c->silent)
		pam_info(c->pamh, "%s", text);
}

static void
error(void *arg, const char *text)
{
	struct pam_conv_arg *c = arg;

	if (!c->silent)
		pam_error(c->pamh, "%s", text);
}

static enum yk_result
authenticate(pam_handle_t *pamh, int flags, const struct cfg *cfg,
    const struct yk_log *log, const char *user)
{
	struct pam_conv_arg ca = { pamh, ((unsigned)flags & PAM_SILENT) != 0 };
	struct conv cv = { ask, authtok, set_authtok, info, error, &ca };
	struct login lg = { cfg, log, user, NULL };
	struct passwd pwbuf, *pw = NULL;
	char buf[16384];
	enum yk_result r = YK_USER_UNKNOWN;
	int e = getpwnam_r(user, &pwbuf, buf, sizeof(buf), &pw);

	/*
	 * Everything below goes by the account's own name (pw_name), as
	 * pam_yubico does (login.h).  Only a central authfile may name users
	 * the name service does not know (login_account).
	 */
	if ((r = login_account(cfg, pw, e)) != YK_OK)
		goto out;
	if (pw != NULL)
		lg.user = pw->pw_name;
	lg.pw = pw;
	r = methods_login(&lg, &cv);
out:
	explicit_bzero(buf, sizeof(buf));
	return r;
}

EXPORT int
pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const void *service = NULL;
	const char *user = NULL, *why = NULL;
	struct yk_log log;
	struct cfg cfg;
	char err[256], esc[64];
	enum yk_result r = YK_SYSTEM;
	int rc;

	pam_get_item(pamh, PAM_SERVICE, &service);
	log_init(&log, service);
	if (cfg_parse(argc, argv, &cfg, err, sizeof(err)) != 0) {
		yk_syslog(&log, LOG_ERR, "configuration error: %s", err);
		r = YK_CONFIG;
		goto out;
	}
	log.debug = cfg.debug;
	if (cfg.debug_file != NULL && log_open_debug(&log, cfg.debug_file, &why) != 0) {
		yk_syslog(&log, LOG_ERR, "configuration error: %s", why);
		r = YK_CONFIG;
		goto out;
	}
	if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || user == NULL ||
	    *user == '\0') {
		yk_syslog(&log, LOG_ERR, "cannot get the user name");
		r = YK_USER_UNKNOWN;
		goto out;
	}
	r = authenticate(pamh, flags, &cfg, &log, user);
out:
	rc = yk_pam_final(r, &cfg);
	if (rc != yk_pam_code(r, &cfg))
		yk_syslog(&log, LOG_WARNING, "alwaysok: letting %s in despite "
		    "%s", log_escape(user, esc, sizeof(esc)),
		    pam_strerror(pamh, yk_pam_code(r, &cfg)));
	yk_debug(&log, "result %s", pam_strerror(pamh, rc));
	log_close(&log);
	cfg_free(&cfg);
	return rc;
}

EXPORT int
pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return PAM_SUCCESS;
}

EXPORT int
pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return PAM_IGNORE;
}
