/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * login.h - what every method is given: the login context and the one
 * conversation (no PAM types).  A method is
 *
 *	enum yk_result method(const struct login *lg, const struct conv *cv);
 *
 * pam_yk.c implements the conversation over PAM and picks the method by
 * mode; pam_yk_chalresp implements it over its pipe to the module.
 */
#ifndef YK_LOGIN_H
#define YK_LOGIN_H

#include <pwd.h>
#include <stdbool.h>
#include <stddef.h>

#include "cfg.h"
#include "log.h"
#include "result.h"

/*
 * Who logs in, under which configuration.  user is the account's own name
 * (pw->pw_name): a name service that folds case gives "alice" for "ALICE",
 * and ALICE must find alice's files and mapping lines.  pw is NULL only
 * in online mode with authfile= or ldap_uri=, which may name users the
 * name service does not know; user is then the name PAM was given.
 */
struct login {
	const struct cfg	*cfg;
	const struct yk_log	*log;
	const char		*user;
	const struct passwd	*pw;
};

/*
 * How a method talks to the user and to the modules stacked with it.  An
 * implementation may leave out what it cannot do (NULL): the conv_*
 * calls below then fail closed (no answer, no authtok) or say nothing.
 */
struct conv {
	/* Ask; *answer is malloc'd (the caller wipes and frees it). */
	enum yk_result	(*ask)(void *arg, bool echo, const char *prompt,
			    char **answer);
	/* The password an earlier module read (PAM_AUTHTOK), or NULL. */
	const char	*(*authtok)(void *arg);
	/* Hand a password on to the modules after us (PAM_AUTHTOK). */
	enum yk_result	(*set_authtok)(void *arg, const char *tok);
	/* A cue ("Touch your YubiKey.") and why a login is denied. */
	void		(*info)(void *arg, const char *text);
	void		(*error)(void *arg, const char *text);
	void		*arg;
};

/* YK_OK with *answer (malloc'd), or YK_CONV_ERROR with *answer NULL. */
static inline enum yk_result
conv_ask(const struct conv *cv, bool echo, const char *prompt, char **answer)
{
	enum yk_result r = YK_CONV_ERROR;

	*answer = NULL;
	if (cv->ask != NULL)
		r = cv->ask(cv->arg, echo, prompt, answer);
	if (r == YK_OK && *answer == NULL)
		r = YK_CONV_ERROR;
	return r;
}

static inline const char *
conv_authtok(const struct conv *cv)
{
	return cv->authtok != NULL ? cv->authtok(cv->arg) : NULL;
}

static inline enum yk_result
conv_set_authtok(const struct conv *cv, const char *tok)
{
	return cv->set_authtok != NULL ? cv->set_authtok(cv->arg, tok) :
	    YK_SYSTEM;
}

static inline void
conv_info(const struct conv *cv, const char *text)
{
	if (cv->info != NULL)
		cv->info(cv->arg, text);
}

static inline void
conv_error(const struct conv *cv, const char *text)
{
	if (cv->error != NULL)
		cv->error(cv->arg, text);
}

/*
 * Whether a login can go on for the account getpwnam_r gave (pw, or NULL
 * with the lookup's error): YK_OK, YK_USER_UNKNOWN, or YK_SYSTEM when the
 * name service failed where a missing account would have been allowed.
 * pam_yk.c and ykpamcfg check both ask this.
 */
enum yk_result login_account(const struct cfg *cfg, const struct passwd *pw,
    int lookup_err);

#endif
