/* SPDX-License-Identifier: BSD-2-Clause */
/* pam_yk.c - the PAM entry points and the outcome -> PAM code map */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAM_SM_AUTH
#define PAM_SM_ACCOUNT
#include <security/pam_appl.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "cfg.h"
#include "cr_login.h"
#include "cr_helper.h"
#include "log.h"
#include "otp_login.h"
#include "pamcode.h"
#include "piv_login.h"

#define EXPORT __attribute__((visibility("default")))

/* Ask one question; *answer is malloc'd (the caller wipes it). */
static enum yk_result
ask(pam_handle_t *pamh, int style, const char *prompt, char **answer)
{
	char *resp = NULL;

	*answer = NULL;
	if (pam_prompt(pamh, style, &resp, "%s", prompt) != PAM_SUCCESS ||
	    resp == NULL) {
		free(resp);
		return YK_CONV_ERROR;
	}
	*answer = resp;
	return YK_OK;
}

static void
wipe(char **s)
{
	if (*s != NULL) {
		explicit_bzero(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

/* Prompt for "[password]OTP" and check it. */
static enum yk_result
prompt_and_check(pam_handle_t *pamh, const struct cfg *cfg,
    const struct yk_log *log, const char *user,
    const struct af_entries *tokens, char **password)
{
	char text[256], *input = NULL;
	enum yk_result r;

	if (cfg->prompt != NULL)
		snprintf(text, sizeof(text), "%s", cfg->prompt);
	else
		snprintf(text, sizeof(text), "YubiKey for `%s': ", user);
	r = ask(pamh, cfg->verbose_otp ? PAM_PROMPT_ECHO_ON :
	    PAM_PROMPT_ECHO_OFF, text, &input);
	if (r == YK_OK)
		r = otp_check(cfg, log, user, tokens, input, password);
	wipe(&input);
	return r;
}

/* The OTP from PAM_AUTHTOK, from a prompt, or both (try_first_pass). */
static enum yk_result
get_and_check(pam_handle_t *pamh, const struct cfg *cfg,
    const struct yk_log *log, const char *user,
    const struct af_entries *tokens, char **password)
{
	const void *item = NULL;
	enum yk_result r;

	if (!cfg->use_first_pass && !cfg->try_first_pass)
		return prompt_and_check(pamh, cfg, log, user, tokens, password);
	if (pam_get_item(pamh, PAM_AUTHTOK, &item) != PAM_SUCCESS)
		item = NULL;
	if (item == NULL) {
		if (cfg->use_first_pass) {
			yk_syslog(log, LOG_NOTICE, "use_first_pass: no password "
			    "from an earlier module");
			return YK_BAD_INPUT;
		}
		return prompt_and_check(pamh, cfg, log, user, tokens, password);
	}
	r = otp_check(cfg, log, user, tokens, item, password);
	/* try_first_pass: a token that was not an accepted OTP earns a prompt. */
	if (cfg->try_first_pass && (r == YK_BAD_INPUT || r == YK_NOT_MAPPED ||
	    r == YK_REJECTED)) {
		wipe(password);
		r = prompt_and_check(pamh, cfg, log, user, tokens, password);
	}
	return r;
}

/* The touch cue of challenge-response mode; PAM_SILENT keeps it quiet. */
struct cue_arg {
	pam_handle_t	*pamh;
	int		flags;
};

static void
cue(void *arg, const char *text)
{
	struct cue_arg *c = arg;

	if ((c->flags & PAM_SILENT) == 0)
		pam_info(c->pamh, "%s", text);
}

static void
tell_error(void *arg, const char *text)
{
	struct cue_arg *c = arg;

	if ((c->flags & PAM_SILENT) == 0)
		pam_error(c->pamh, "%s", text);
}

static char *
ask_pin(void *arg, const char *prompt)
{
	struct cue_arg *c = arg;
	char *pin = NULL;

	if (ask(c->pamh, PAM_PROMPT_ECHO_OFF, prompt, &pin) != YK_OK)
		return NULL;
	return pin;
}

static const char *
authtok(void *arg)
{
	struct cue_arg *c = arg;
	const void *item = NULL;

	if (pam_get_item(c->pamh, PAM_AUTHTOK, &item) != PAM_SUCCESS)
		return NULL;
	return item;
}

static enum yk_result
online(pam_handle_t *pamh, const struct cfg *cfg, const struct yk_log *log,
    const char *user, const struct passwd *pw)
{
	struct af_entries tokens = { .n = 0 };
	char *password = NULL;
	enum yk_result r;

	r = otp_load_tokens(cfg, log, user, pw, &tokens);
	if (r == YK_NO_TOKENS && cfg->always_prompt)
		/* Ask anyway, so that the prompt does not tell who has a key. */
		(void)get_and_check(pamh, cfg, log, user, &tokens, &password);
	else if (r == YK_OK)
		r = get_and_check(pamh, cfg, log, user, &tokens, &password);
	if (r == YK_OK && password != NULL &&
	    pam_set_item(pamh, PAM_AUTHTOK, password) != PAM_SUCCESS)
		r = YK_SYSTEM;
	wipe(&password);
	af_entries_free(&tokens);
	return r;
}

static enum yk_result
authenticate(pam_handle_t *pamh, int flags, const struct cfg *cfg,
    const struct yk_log *log, const char *user)
{
	struct cue_arg ca = { pamh, flags };
	struct cr_ui ui = { cue, tell_error, &ca };
	struct piv_ui pui = { ask_pin, authtok, cue, tell_error, &ca };
	struct passwd pwbuf, *pw = NULL;
	char buf[16384];
	enum yk_result r;
	int e = getpwnam_r(user, &pwbuf, buf, sizeof(buf), &pw);

	/*
	 * Everything below goes by the account's own name (pw_name), as
	 * pam_yubico does: a name service that folds case gives "alice" for
	 * "ALICE", and ALICE must find alice's files and mapping lines.  Only
	 * a central authfile may name users the name service does not know.
	 */
	if (pw != NULL)
		user = pw->pw_name;
	else if (cfg->mode != MODE_CLIENT || cfg->authfile == NULL)
		return YK_USER_UNKNOWN;
	else if (e != 0 && e != ENOENT && e != ESRCH)
		return YK_SYSTEM;	/* cannot tell which name it is */
	if (helper_needed(cfg))		/* root's files, not root: ask */
		r = helper_login(cfg, log, user, &ui);	/* pw_name */
	else if (cfg->mode == MODE_CHALRESP)
		r = chalresp_login(cfg, log, user, pw, &ui);
	else if (cfg->mode == MODE_PIV)
		r = piv_login(cfg, log, user, pw, &pui);
	else
		r = online(pamh, cfg, log, user, pw);
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
	if (r == YK_UNAVAILABLE && cfg.mode == MODE_CLIENT &&
	    (flags & PAM_SILENT) == 0)
		pam_error(pamh, "The YubiKey validation service cannot be "
		    "reached.");
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
