/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * methods.h - mode=A,B,...: which method decides for a user, and the
 * offline fallback (no PAM types).  pam_yk.c and "ykpamcfg check" decide
 * with the same methods_choose.
 *
 * For each user the first listed method they are enrolled in decides:
 * otp when a token ID is mapped to them (otp_enrolled), challenge-response
 * when they have a state file (chalresp_enrolled), piv when a token holds
 * a certificate that passes the policy and maps to them (piv_enrolled).
 * Looking asks the user nothing.  The method that decides is the only one
 * asked; a wrong answer never leads to another method.  With
 * offline=challenge-response, a user enrolled in both otp and
 * challenge-response, for whom otp decides, is asked challenge-response
 * when no validation server could be reached at all (YK_UNREACHABLE), and
 * for nothing else.
 */
#ifndef YK_METHODS_H
#define YK_METHODS_H

#include <stdbool.h>

#include "login.h"
#include "result.h"

struct otp_found;
struct piv_found;

struct method_choice {
	/*
	 * YK_OK: mode decides.  YK_NO_TOKENS: the user is enrolled in none
	 * (skipped says why).  Anything else denies: looking at mode failed
	 * (why says how).
	 */
	enum yk_result	r;
	enum yk_mode	mode;
	bool		listed;		/* mode= lists more than one method */
	bool		fallback;	/* offline= can apply to this user */
	char		skipped[600];	/* "piv: no card; ..." or "" */
	char		why[300];	/* r's reason, or "" */
	char		offline[200];	/* whether offline= can apply, why */
	struct piv_found *piv;		/* mode piv: the card, to log in with */
	struct otp_found *otp;		/* mode otp: the token IDs looked up */
};

/*
 * Decide for lg (lg->cfg is the whole configuration).  A list of one
 * method decides at once, without looking.  Returns mc->r; the caller
 * frees mc with method_choice_free.
 */
enum yk_result methods_choose(const struct login *lg, struct method_choice *mc);
void method_choice_free(struct method_choice *mc);

/* The name of a method as mode= takes it (client is "otp" in lists). */
const char *method_name(enum yk_mode m);

/*
 * Does a login that otp's method ended with r fall back (offline=)?  Only
 * when otp decided for a user with a state file, and r is YK_UNREACHABLE.
 */
bool methods_falls_back(const struct method_choice *mc, enum yk_result r);

/*
 * A whole login: methods_choose, one line to the log saying which method
 * decided and why the earlier ones were skipped, that method's login, and
 * the offline fallback.
 */
enum yk_result methods_login(const struct login *lg, const struct conv *cv);

#endif
