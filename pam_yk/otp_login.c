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
#include "otp_login.h"
#include "request.h"
#include "otp_helper.h"
#include "wipe.h"

/*
 * Load the user's token IDs: from authfile= as root, or from
 * ~/.yubico/authorized_yubikeys with privileges dropped to the user.
 * YK_OK with entries, YK_NO_TOKENS (ENOENT, or no token for the user),
 * or an error.  lg->pw may be NULL only with authfile=.
 */
static enum yk_result
load_tokens(const struct login *lg, struct af_entries *tokens)
{
	enum yk_result r = mapping_load(lg->cfg, lg->log, lg->user, lg->pw,
	    tokens);

	if (r == YK_OK && af_count_tokens(tokens, lg->cfg->token_id_len) == 0)
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
verify(const struct login *lg, const char *otp, const char *id)
{
	const struct cfg *cfg = lg->cfg;
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
	vc_verify_with(&cfg->vc, otp, &tr, &res);
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
otp_check(const struct login *lg, const struct af_entries *tokens,
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
	if ((otp = mapped_reading(&o, cfg->token_id_len, tokens, id)) == NULL) {
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
	r = verify(lg, otp, id);
out:
	explicit_bzero(&o, sizeof(o));
	return r;
}

/* Prompt for "[password]OTP" and check it. */
static enum yk_result
prompt_and_check(const struct login *lg, const struct conv *cv,
    const struct af_entries *tokens, char **password)
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
		r = otp_check(lg, tokens, input, password);
	wipe_free(&input);
	return r;
}

/* The OTP from PAM_AUTHTOK, from a prompt, or both (try_first_pass). */
static enum yk_result
get_and_check(const struct login *lg, const struct conv *cv,
    const struct af_entries *tokens, char **password)
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
	r = otp_check(lg, tokens, item, password);
	/* try_first_pass: a token that was not an accepted OTP earns a prompt. */
	if (cfg->try_first_pass && (r == YK_BAD_INPUT || r == YK_NOT_MAPPED ||
	    r == YK_REJECTED)) {
		wipe_free(password);
		r = prompt_and_check(lg, cv, tokens, password);
	}
	return r;
}

enum yk_result
otp_enrolled(const struct login *lg)
{
	struct af_entries tokens = { .n = 0 };
	enum yk_result r = load_tokens(lg, &tokens);

	af_entries_free(&tokens);
	return r;
}

enum yk_result
otp_login(const struct login *lg, const struct conv *cv)
{
	struct af_entries tokens = { .n = 0 };
	char *password = NULL;
	enum yk_result r;

	r = load_tokens(lg, &tokens);
	if (r == YK_NO_TOKENS && lg->cfg->always_prompt)
		/* Ask anyway, so that the prompt does not tell who has a key. */
		(void)get_and_check(lg, cv, &tokens, &password);
	else if (r == YK_OK)
		r = get_and_check(lg, cv, &tokens, &password);
	if (r == YK_OK && password != NULL)
		r = conv_set_authtok(cv, password);
	if (r == YK_UNAVAILABLE || r == YK_UNREACHABLE)
		conv_error(cv, "The YubiKey validation service cannot be "
		    "reached.");
	wipe_free(&password);
	af_entries_free(&tokens);
	return r;
}
