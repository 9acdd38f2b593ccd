/* SPDX-License-Identifier: BSD-2-Clause */
/* methods.c - mode=A,B,...: which method decides, and offline= */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cr_login.h"
#include "methods.h"
#include "otp_login.h"
#include "piv_login.h"

const char *
method_name(enum yk_mode m)
{
	switch (m) {
	case MODE_CLIENT:	return "otp";
	case MODE_CHALRESP:	return "challenge-response";
	case MODE_PIV:		return "piv";
	default:		return "?";
	}
}

/* Append "name: why" to the skipped list. */
static void
skip(struct method_choice *mc, enum yk_mode m, const char *why)
{
	size_t used = strlen(mc->skipped);

	snprintf(mc->skipped + used, sizeof(mc->skipped) - used, "%s%s: %s",
	    used ? "; " : "", method_name(m), why);
}

/* Is the user enrolled in m (with m's own configuration)? */
static enum yk_result
enrolled(const struct login *lg, enum yk_mode m, struct method_choice *mc,
    char *why, size_t len)
{
	const char *w = NULL;
	enum yk_result r;

	why[0] = '\0';
	switch (m) {
	case MODE_CLIENT:
		r = otp_enrolled(lg, &mc->otp);
		snprintf(why, len, "%s", r == YK_NO_TOKENS ? "no token ID is "
		    "mapped" : r == YK_UNAVAILABLE ? "the directory cannot be "
		    "reached" : "the mapping cannot be used");
		return r;
	case MODE_CHALRESP:
		r = chalresp_enrolled(lg, &w);
		snprintf(why, len, "%s", r == YK_NO_TOKENS ? "no state file" :
		    w != NULL ? w : "");
		return r;
	case MODE_PIV:
		r = piv_enrolled(lg, &mc->piv, why, len);
		if (r == YK_NO_TOKENS && why[0] == '\0')
			snprintf(why, len, "no card");
		return r;
	default:
		snprintf(why, len, "no such method");
		return YK_CONFIG;
	}
}

/* offline=: can otp's user fall back on challenge-response? */
static void
offline(const struct login *lg, struct method_choice *mc)
{
	struct cfg c;
	struct login l = *lg;
	const char *w = NULL;
	enum yk_result r;

	if (!lg->cfg->offline)
		return;
	if (mc->r != YK_OK || mc->mode != MODE_CLIENT) {
		snprintf(mc->offline, sizeof(mc->offline), "does not apply: "
		    "otp does not decide");
		return;
	}
	cfg_method(lg->cfg, MODE_CHALRESP, &c);
	l.cfg = &c;
	r = chalresp_enrolled(&l, &w);
	explicit_bzero(&c, sizeof(c));
	mc->fallback = r == YK_OK;
	if (mc->fallback)
		snprintf(mc->offline, sizeof(mc->offline), "challenge-response "
		    "when no validation server can be reached");
	else
		snprintf(mc->offline, sizeof(mc->offline), "no fallback: %s",
		    r == YK_NO_TOKENS ? "no challenge-response state file" :
		    w != NULL ? w : "error");
}

enum yk_result
methods_choose(const struct login *lg, struct method_choice *mc)
{
	const struct cfg *cfg = lg->cfg;
	struct cfg c;
	struct login l = *lg;
	char why[300];

	memset(mc, 0, sizeof(*mc));
	mc->r = YK_NO_TOKENS;
	mc->mode = cfg->mode;
	mc->listed = cfg->nmethods > 1;
	if (!mc->listed) {
		mc->r = YK_OK;
		return mc->r;
	}
	l.cfg = &c;
	for (size_t i = 0; i < cfg->nmethods && mc->r == YK_NO_TOKENS; i++) {
		cfg_method(cfg, cfg->methods[i], &c);
		mc->r = enrolled(&l, cfg->methods[i], mc, why, sizeof(why));
		if (mc->r == YK_NO_TOKENS) {
			skip(mc, cfg->methods[i], why);
			continue;
		}
		mc->mode = cfg->methods[i];
		if (mc->r != YK_OK)
			snprintf(mc->why, sizeof(mc->why), "%s", why);
	}
	explicit_bzero(&c, sizeof(c));
	/* Nobody's key is revealed: always_prompt asks for an OTP anyway. */
	if (mc->r == YK_NO_TOKENS && cfg->always_prompt &&
	    cfg_has_method(cfg, MODE_CLIENT)) {
		mc->mode = MODE_CLIENT;
		mc->r = YK_OK;
		snprintf(mc->why, sizeof(mc->why), "enrolled in none; "
		    "always_prompt asks for an OTP anyway");
	}
	offline(lg, mc);
	return mc->r;
}

void
method_choice_free(struct method_choice *mc)
{
	piv_found_free(mc->piv);
	mc->piv = NULL;
	otp_found_free(mc->otp);
	mc->otp = NULL;
}

bool
methods_falls_back(const struct method_choice *mc, enum yk_result r)
{
	return mc->r == YK_OK && mc->mode == MODE_CLIENT && mc->fallback &&
	    r == YK_UNREACHABLE;
}

/* One method's login, with that method's configuration. */
static enum yk_result
run(const struct login *lg, const struct conv *cv, enum yk_mode m,
    struct method_choice *mc)
{
	struct cfg c;
	struct login l = *lg;
	enum yk_result r;

	cfg_method(lg->cfg, m, &c);
	l.cfg = &c;
	switch (m) {
	case MODE_CLIENT:
		r = otp_login_found(&l, cv, mc->otp);
		mc->otp = NULL;
		break;
	case MODE_CHALRESP:
		r = chalresp_login(&l, cv);
		break;
	case MODE_PIV:
		if (mc->piv != NULL) {
			r = piv_login_found(&l, cv, mc->piv);
			mc->piv = NULL;
		} else
			r = piv_login(&l, cv);
		break;
	default:
		r = YK_CONFIG;
		break;
	}
	explicit_bzero(&c, sizeof(c));
	return r;
}

/* The one line that says which method decided, and why not the others. */
static void
say(const struct login *lg, const struct method_choice *mc)
{
	char esc[64];

	log_escape(lg->user, esc, sizeof(esc));
	if (mc->r == YK_NO_TOKENS)
		yk_syslog(lg->log, LOG_NOTICE, "mode=%s: %s is enrolled in "
		    "none (%s)", lg->cfg->mode_arg, esc, mc->skipped);
	else if (mc->r != YK_OK)
		yk_syslog(lg->log, LOG_ERR, "mode=%s: %s for %s denied: %s%s%s",
		    lg->cfg->mode_arg, method_name(mc->mode), esc, mc->why,
		    mc->skipped[0] ? "; skipped " : "", mc->skipped);
	else
		yk_syslog(lg->log, LOG_INFO, "mode=%s: %s decides for %s%s%s%s%s"
		    "%s%s", lg->cfg->mode_arg, method_name(mc->mode), esc,
		    mc->skipped[0] ? "; skipped " : "", mc->skipped,
		    mc->why[0] ? "; " : "", mc->why,
		    mc->offline[0] ? "; offline=: " : "", mc->offline);
}

enum yk_result
methods_login(const struct login *lg, const struct conv *cv)
{
	struct method_choice mc;
	enum yk_result r = methods_choose(lg, &mc);
	char esc[64];

	if (mc.listed)
		say(lg, &mc);
	else
		yk_debug(lg->log, "method: %s", method_name(mc.mode));
	if (r != YK_OK)
		goto out;
	r = run(lg, cv, mc.mode, &mc);
	if (!methods_falls_back(&mc, r))
		goto out;
	/* offline=: only "no server reachable at all" gets here. */
	yk_syslog(lg->log, LOG_NOTICE, "no validation server reachable for %s: "
	    "offline=challenge-response", log_escape(lg->user, esc,
	    sizeof(esc)));
	conv_info(cv, "The validation servers cannot be reached: using "
	    "challenge-response.");
	r = run(lg, cv, MODE_CHALRESP, &mc);
out:
	method_choice_free(&mc);
	return r;
}
