/* SPDX-License-Identifier: BSD-2-Clause */
/* otp_login.c - the online OTP method */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authfile.h"
#include "client.h"
#include "otp.h"
#include "mapping.h"
#include "mono.h"
#include "otp_login.h"
#include "request.h"
#include "otp_helper.h"
#include "wipe.h"

/*
 * One login's token IDs.  They are loaded once: before the prompt (so
 * that a user without tokens is not asked, as pam_yubico does), or, from
 * a directory with always_prompt or ldap_bind_as_user, after the input
 * (bind_as_user needs the password) -- one search per login either way,
 * where pam_yubico makes two.
 */
struct tokens {
	struct af_entries	e;
	bool			loaded;
	bool			unavailable;	/* the lookup had no answer */
	double			spent_ms;	/* on the lookup: off timeout= */
};

/*
 * Load the user's token IDs: from the directory (ldap_uri=), from
 * authfile= as root, or from ~/.yubico/authorized_yubikeys with
 * privileges dropped to the user.  YK_OK with entries, YK_NO_TOKENS
 * (ENOENT, no entry, or no token for the user), or an error.  lg->pw may
 * be NULL only with authfile=.  bindpw: ldap_bind_as_user's password.
 */
static enum yk_result
load_tokens(const struct login *lg, const char *bindpw, struct tokens *t)
{
	long long t0 = mono_ms();
	enum yk_result r;

	if (lg->cfg->ldap_uris != NULL)
		r = mapping_ldap(lg->cfg, lg->log, lg->user, bindpw, &t->e, NULL);
	else
		r = mapping_load(lg->cfg, lg->log, lg->user, lg->pw, &t->e);
	t->loaded = true;
	t->unavailable = r == YK_UNAVAILABLE;
	t->spent_ms = (double)(mono_ms() - t0);
	if (r == YK_OK && af_count_tokens(&t->e, lg->cfg->token_id_len) == 0)
		r = YK_NO_TOKENS;
	return r;
}

/* The reading of the OTP whose token ID is mapped, or NULL. */
static const char *
mapped_reading(const struct yk_otp *o, unsigned idlen,
    const struct af_entries *tokens, char id[YK_PUBID_MAX + 1])
{
	const char *reading[2] = { o->otp, o->alt };

	for (int i = 0; i < 2; i++) {
		if (reading[i][0] == '\0')
			continue;
		memcpy(id, reading[i], idlen);
		id[idlen] = '\0';
		if (af_has(tokens, id))
			return reading[i];
	}
	explicit_bzero(id, YK_PUBID_MAX + 1);	/* not ours: keep none of it */
	return NULL;
}

/* "url: what; url: what" for the log: every server's answer, no secrets. */
static void
summarise(const struct vc_result *res, char *out, size_t len)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < res->nnotes && o < len; i++) {
		char url[256];
		int n = snprintf(out + o, len - o, "%s%s: %s", i ? "; " : "",
		    request_url_shown(res->notes[i].url, url, sizeof(url)),
		    res->notes[i].what);

		if (n < 0)
			break;
		o += (size_t)n;
	}
}

static enum yk_result
verify(const struct login *lg, const char *otp, const char *id,
    double spent_ms)
{
	const struct cfg *cfg = lg->cfg;
	struct vc_cfg vc = cfg->vc;
	const struct yk_log *log = lg->log;
	struct validate_arg va = {
	    .path = validate_helper_path(cfg->validate_helper) };
	struct vc_transport tr = validate_transport;
	const char *why;
	struct vc_result res;
	char esc[64], all[1024];

	log_escape(lg->user, esc, sizeof(esc));
	/* A missing helper is the administrator's: never "unavailable". */
	if ((why = validate_helper_problem(va.path)) != NULL) {
		yk_syslog(log, LOG_ERR, "cannot check the OTP of %s for %s: %s %s",
		    id, esc, va.path, why);
		return YK_CONFIG;
	}
	/* The network part runs in the helper, with none of our environment. */
	tr.arg = &va;
	/* timeout= bounds the whole login: the lookup's time is spent. */
	vc.timeout_ms = spent_ms + 1 < vc.timeout_ms ?
	    vc.timeout_ms - (unsigned)spent_ms : 1;
	if (vc.connect_timeout_ms > vc.timeout_ms)
		vc.connect_timeout_ms = vc.timeout_ms;
	vc_verify_with(&vc, otp, &tr, &res);
	explicit_bzero(&vc, sizeof(vc));
	summarise(&res, all, sizeof(all));
	yk_debug(log, "servers: %s", all);
	switch (res.verdict) {
	case VC_OK:
		yk_syslog(log, LOG_INFO, "OTP of %s accepted for %s (%.0f ms)",
		    id, esc, res.elapsed_ms);
		return YK_OK;
	case VC_REJECTED:
		yk_syslog(log, LOG_NOTICE, "OTP of %s rejected for %s: %s", id,
		    esc, res.decisive >= 0 ? res.notes[res.decisive].what : "rejected");
		return YK_REJECTED;
	case VC_UNAVAILABLE:
		yk_syslog(log, LOG_ERR, "no verdict on the OTP of %s for %s "
		    "after %.0f ms%s: %s", id, esc, res.elapsed_ms,
		    res.unreachable ? " (no server reachable)" : "", all);
		return res.unreachable ? YK_UNREACHABLE : YK_UNAVAILABLE;
	default:
		if (va.why[0] != '\0')
			yk_syslog(log, LOG_ERR, "cannot check the OTP of %s for "
			    "%s: %s %s", id, esc, va.path, va.why);
		else
			yk_syslog(log, LOG_ERR, "cannot check the OTP of %s for "
			    "%s: local error", id, esc);
		return YK_SYSTEM;
	}
}

/*
 * Check what the user typed: "[password]OTP".  The OTP must be modhex (or
 * Dvorak-typed modhex) of exactly token_id_length + 32 characters, and its
 * token ID must be one of tokens before anything is sent.  A password
 * prefix is returned in *password (malloc'd; the caller wipes and frees).
 */
static enum yk_result
otp_check(const struct login *lg, const struct conv *cv, struct tokens *tokens,
    const char *input, char **password)
{
	const struct cfg *cfg = lg->cfg;
	const struct yk_log *log = lg->log;
	const char *user = lg->user;
	size_t need = cfg->token_id_len + YK_TOKEN_CHARS, len;
	char id[YK_PUBID_MAX + 1], esc[64];
	const char *errstr = NULL, *otp;
	struct yk_otp o;
	enum yk_result r = YK_BAD_INPUT;

	*password = NULL;
	len = strlen(input);
	while (len > 0 && isspace((unsigned char)input[len - 1]))
		len--;
	if (len < need) {
		yk_syslog(log, LOG_NOTICE, "input for %s is shorter than an OTP",
		    log_escape(user, esc, sizeof(esc)));
		return YK_BAD_INPUT;
	}
	if (otp_normalise(input + len - need, &o, &errstr) != 0 || o.len != need) {
		yk_syslog(log, LOG_NOTICE, "input for %s does not end in an OTP: %s",
		    log_escape(user, esc, sizeof(esc)), errstr ? errstr : "");
		goto out;
	}
	if (!tokens->loaded) {
		/* ldap_bind_as_user binds with what was typed before the OTP,
		   or else with an earlier module's password (as pam_yubico). */
		char *typed = len > need ? strndup(input, len - need) : NULL;

		if (len > need && typed == NULL) {
			r = YK_NOMEM;
			goto out;
		}
		r = load_tokens(lg, typed != NULL ? typed : conv_authtok(cv),
		    tokens);
		wipe_free(&typed);
		if (r != YK_OK)
			goto out;
	}
	if ((otp = mapped_reading(&o, cfg->token_id_len, &tokens->e, id)) ==
	    NULL) {
		/* Not an ID of ours: maybe a typed password; log no part of it. */
		yk_syslog(log, LOG_NOTICE, "the OTP's token is not mapped to %s "
		    "(%zu characters typed)", log_escape(user, esc, sizeof(esc)),
		    len);
		r = YK_NOT_MAPPED;
		goto out;
	}
	if (len > need && (*password = strndup(input, len - need)) == NULL) {
		r = YK_NOMEM;
		goto out;
	}
	r = verify(lg, otp, id, tokens->spent_ms);
out:
	explicit_bzero(&o, sizeof(o));
	return r;
}

/* Prompt for "[password]OTP" and check it. */
static enum yk_result
prompt_and_check(const struct login *lg, const struct conv *cv,
    struct tokens *tokens, char **password)
{
	const struct cfg *cfg = lg->cfg;
	char text[256], *input = NULL;
	enum yk_result r;

	if (cfg->prompt != NULL)
		snprintf(text, sizeof(text), "%s", cfg->prompt);
	else
		snprintf(text, sizeof(text), "YubiKey for `%s': ", lg->user);
	r = conv_ask(cv, cfg->verbose_otp, text, &input);
	if (r == YK_OK)
		r = otp_check(lg, cv, tokens, input, password);
	wipe_free(&input);
	return r;
}

/* The OTP from PAM_AUTHTOK, from a prompt, or both (try_first_pass). */
static enum yk_result
get_and_check(const struct login *lg, const struct conv *cv,
    struct tokens *tokens, char **password)
{
	const struct cfg *cfg = lg->cfg;
	const char *item;
	enum yk_result r;

	if (!cfg->use_first_pass && !cfg->try_first_pass)
		return prompt_and_check(lg, cv, tokens, password);
	if ((item = conv_authtok(cv)) == NULL) {
		if (cfg->use_first_pass) {
			yk_syslog(lg->log, LOG_NOTICE, "use_first_pass: no "
			    "password from an earlier module");
			return YK_BAD_INPUT;
		}
		return prompt_and_check(lg, cv, tokens, password);
	}
	r = otp_check(lg, cv, tokens, item, password);
	/* try_first_pass: a token that was not an accepted OTP earns a prompt. */
	if (cfg->try_first_pass && (r == YK_BAD_INPUT || r == YK_NOT_MAPPED ||
	    r == YK_REJECTED)) {
		wipe_free(password);
		r = prompt_and_check(lg, cv, tokens, password);
	}
	return r;
}

/* What otp_enrolled loaded, for the login that follows (one lookup). */
struct otp_found {
	struct tokens	t;
};

void
otp_found_free(struct otp_found *f)
{
	if (f == NULL)
		return;
	af_entries_free(&f->t.e);
	free(f);
}

enum yk_result
otp_enrolled(const struct login *lg, struct otp_found **found)
{
	struct otp_found *f = calloc(1, sizeof(*f));
	enum yk_result r = YK_SYSTEM;

	*found = NULL;
	if (f == NULL)
		goto out;
	/* ldap_bind_as_user needs the password: cfg refuses it in a list. */
	r = load_tokens(lg, NULL, &f->t);
	if (r == YK_OK) {
		*found = f;
		f = NULL;
	}
out:
	otp_found_free(f);
	return r;
}

enum yk_result
otp_login_found(const struct login *lg, const struct conv *cv,
    struct otp_found *found)
{
	struct tokens tokens = { .loaded = false };
	const struct cfg *cfg = lg->cfg;
	char *password = NULL;
	enum yk_result r;

	if (found != NULL) {		/* the lookup otp_enrolled made */
		tokens = found->t;
		found->t.e = (struct af_entries){ .n = 0 };
		otp_found_free(found);
		r = get_and_check(lg, cv, &tokens, &password);
	} else if (cfg->ldap_uris != NULL && (cfg->always_prompt ||
	    cfg->ldap_bind_as_user))
		/* The one search comes after the input (struct tokens). */
		r = get_and_check(lg, cv, &tokens, &password);
	else if ((r = load_tokens(lg, NULL, &tokens)) == YK_NO_TOKENS &&
	    cfg->always_prompt)
		/* Ask anyway, so that the prompt does not tell who has a key. */
		(void)get_and_check(lg, cv, &tokens, &password);
	else if (r == YK_OK)
		r = get_and_check(lg, cv, &tokens, &password);
	if (r == YK_OK && password != NULL)
		r = conv_set_authtok(cv, password);
	if (r == YK_UNAVAILABLE || r == YK_UNREACHABLE)
		conv_error(cv, tokens.unavailable ? "The directory of "
		    "YubiKeys cannot be reached." : "The YubiKey validation "
		    "service cannot be reached.");
	wipe_free(&password);
	af_entries_free(&tokens.e);
	return r;
}

enum yk_result
otp_login(const struct login *lg, const struct conv *cv)
{
	return otp_login_found(lg, cv, NULL);
}
