/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pam_yk_ldap.c - pam_yk_ldap: one directory lookup for pam_yk, run with
 * an empty environment (ldap_helper.h).  Not setuid.  It reads the
 * request on descriptor 0, connects, binds (or not), makes ONE search and
 * writes the values of one attribute on descriptor 1.  It decides
 * nothing about them: the module does (ldap_map.c).  It always ends by
 * its deadline: an alarm writes "unavailable" and exits.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <ldap.h>

#include "cr_helper.h"
#include "ldap_helper.h"
#include "mono.h"
#include "otp_helper.h"

static const char timeout_reply[] = "unavailable no answer within the "
    "deadline\n";

static void
on_alarm(int sig)
{
	(void)sig;
	(void)!write(1, timeout_reply, sizeof(timeout_reply) - 1);
	_exit(0);
}

/* From the first byte of the reply on, the alarm must not cut it. */
static void
no_alarm(void)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGALRM);
	sigprocmask(SIG_BLOCK, &s, NULL);
}

static void
say(const char *what, const char *why)
{
	char line[LDAP_WHY_MAX + 32];
	int n = snprintf(line, sizeof(line), "%s%s%s\n", what,
	    *why != '\0' ? " " : "", why);

	no_alarm();
	if (n > 0)
		(void)validate_write_all(1, line, (size_t)n < sizeof(line) ?
		    (size_t)n : sizeof(line) - 1, false);
}

/* A libldap error: the directory cannot be reached, or it refused. */
static bool
unreachable(int rc)
{
	return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR ||
	    rc == LDAP_TIMEOUT || rc == LDAP_TIMELIMIT_EXCEEDED ||
	    rc == LDAP_BUSY || rc == LDAP_UNAVAILABLE;
}

static void
fail(const char *step, int rc)
{
	char why[LDAP_WHY_MAX];

	snprintf(why, sizeof(why), "%s: %s", step, ldap_err2string(rc));
	say(unreachable(rc) ? "unavailable" : "refused", why);
}

static struct timeval
tv_ms(long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	return tv;
}

/* The handle's options: all on ld, never on libldap's global handle. */
static int
set_options(LDAP *ld, const struct ldap_conn *c, long left)
{
	int v3 = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND, zero = 0;
	int tls12 = LDAP_OPT_X_TLS_PROTOCOL_TLS1_2, size = 2;
	int secs = (int)((left + 999) / 1000);	/* the server's time limit */
	long cms = c->connect_ms > 0 && c->connect_ms < left ? c->connect_ms :
	    left;
	struct timeval net = tv_ms(cms), op = tv_ms(left);
	const char *ca = c->cacertfile != NULL ? c->cacertfile : LDAP_SYSTEM_CA;
	int rc;

	if ((rc = ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3)) ||
	    (rc = ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF)) ||
	    (rc = ldap_set_option(ld, LDAP_OPT_RESTART, LDAP_OPT_OFF)) ||
	    (rc = ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &net)) ||
	    (rc = ldap_set_option(ld, LDAP_OPT_TIMEOUT, &op)) ||
	    (rc = ldap_set_option(ld, LDAP_OPT_SIZELIMIT, &size)) ||
	    (rc = ldap_set_option(ld, LDAP_OPT_TIMELIMIT, &secs)) ||
	    (rc = ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand)) ||
	    (rc = ldap_set_option(ld, LDAP_OPT_X_TLS_PROTOCOL_MIN, &tls12)) ||
	    (rc = ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, ca)))
		return rc;
	if (c->certfile != NULL &&
	    ((rc = ldap_set_option(ld, LDAP_OPT_X_TLS_CERTFILE, c->certfile)) ||
	    (rc = ldap_set_option(ld, LDAP_OPT_X_TLS_KEYFILE, c->keyfile))))
		return rc;
	/* A TLS context of this handle's own, from the options above. */
	return ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero);
}

/* The values of q->attr in the one entry of res; writes the reply. */
static void
report(LDAP *ld, LDAPMessage *res, const struct ldap_query *q)
{
	LDAPMessage *e = ldap_first_entry(ld, res);
	struct berval **vals;
	char head[32];
	int n;

	/*
	 * Continuation references (a referral object in a subtree) are
	 * never followed: beside one entry they are ignored; alone, the
	 * entry may be elsewhere, and that is no "no entry".
	 */
	if ((n = ldap_count_entries(ld, res)) == 0 || e == NULL) {
		if (ldap_count_references(ld, res) > 0)
			say("refused", "the directory answered with a referral, "
			    "which is not followed");
		else
			say("noentry", "");
		return;
	}
	if (n > 1) {
		say("refused", "more than one entry matches");
		return;
	}
	vals = ldap_get_values_len(ld, e, q->attr);
	n = vals != NULL ? ldap_count_values_len(vals) : 0;
	if (n > LDAP_MAP_MAX_VALUES) {
		say("refused", "too many values");
		goto out;
	}
	for (int i = 0; i < n; i++)
		if (vals[i]->bv_len > LDAP_MAP_VALUE_MAX) {
			say("refused", "a value is too long");
			goto out;
		}
	snprintf(head, sizeof(head), "found %d\n", n);
	no_alarm();
	(void)validate_write_all(1, head, strlen(head), false);
	for (int i = 0; i < n; i++) {
		static char hex[2 * LDAP_MAP_VALUE_MAX + 8];
		size_t l = vals[i]->bv_len;

		memcpy(hex, "value ", 6);
		ldap_hex((const unsigned char *)vals[i]->bv_val, l, hex + 6);
		hex[6 + 2 * l] = '\n';
		(void)validate_write_all(1, hex, 7 + 2 * l, false);
	}
out:
	if (vals != NULL)
		ldap_value_free_len(vals);
}

static void
lookup(const struct ldap_conn *c, const struct ldap_query *q,
    const struct timespec *deadline)
{
	char *attrs[] = { (char *)q->attr, NULL };
	LDAP *ld = NULL;
	LDAPMessage *res = NULL;
	struct berval cred = { 0, NULL };
	struct timeval tv;
	int rc, err = LDAP_SUCCESS;

	if ((rc = ldap_initialize(&ld, c->uris)) != LDAP_SUCCESS) {
		fail("ldap_initialize", rc);
		return;
	}
	/* A CA, certificate or key that cannot be loaded is a local
	   mistake, never "unavailable" (libldap says -1, as for "down"). */
	if (set_options(ld, c, mono_ms_left(deadline)) != LDAP_SUCCESS) {
		say("refused", "the TLS settings (ldap_cacertfile=, "
		    "ldap_clientcertfile=, ldap_clientkeyfile=) cannot be used");
		goto out;
	}
	if (c->starttls &&
	    (rc = ldap_start_tls_s(ld, NULL, NULL)) != LDAP_SUCCESS) {
		fail("StartTLS", rc);
		goto out;
	}
	/* No bind DN: no bind at all (LDAPv3 is anonymous until one). */
	if (c->binddn != NULL) {
		cred.bv_val = (char *)c->bindpw;
		cred.bv_len = strlen(c->bindpw);
		if (cred.bv_len == 0) {		/* an unauthenticated bind */
			say("refused", "an empty password is never sent");
			goto out;
		}
		rc = ldap_sasl_bind_s(ld, c->binddn, LDAP_SASL_SIMPLE, &cred,
		    NULL, NULL, NULL);
		if (rc != LDAP_SUCCESS) {
			fail("bind", rc);
			goto out;
		}
	}
	tv = tv_ms(mono_ms_left(deadline));
	rc = ldap_search_ext_s(ld, q->base, q->subtree ? LDAP_SCOPE_SUBTREE :
	    LDAP_SCOPE_BASE, q->filter != NULL ? q->filter : "(objectClass=*)",
	    attrs, 0, NULL, NULL, &tv, 2, &res);
	if (rc == LDAP_NO_SUCH_OBJECT)
		say("noentry", "");
	else if (rc == LDAP_REFERRAL)
		say("refused", "the directory answered with a referral, which "
		    "is not followed");
	else if (rc == LDAP_SIZELIMIT_EXCEEDED)
		say("refused", "more than one entry matches");
	else if (rc != LDAP_SUCCESS)
		fail("search", rc);
	else if (ldap_parse_result(ld, res, &err, NULL, NULL, NULL, NULL, 0) ==
	    LDAP_SUCCESS && err != LDAP_SUCCESS)
		fail("search", err);
	else
		report(ld, res, q);
out:
	if (res != NULL)
		ldap_msgfree(res);
	ldap_unbind_ext_s(ld, NULL, NULL);
}

int
main(void)
{
	static char req[LDAP_REQUEST_MAX + 1];
	struct timespec deadline;
	struct ldap_conn c;
	struct ldap_query q;
	struct itimerval it = { { 0, 0 }, { 0, 0 } };
	const char *which = NULL;
	unsigned timeout_ms;
	size_t have = 0;
	ssize_t k;

	signal(SIGPIPE, SIG_DFL);
	(void)helper_sane_limits(false, &which);
	/* No ldap.conf, ldaprc or LDAP* variable: the PAM line decides. */
	if (setenv("LDAPNOINIT", "1", 1) != 0)
		_exit(VALIDATE_EXIT_LOCAL);
	while (have < LDAP_REQUEST_MAX &&
	    ((k = read(0, req + have, LDAP_REQUEST_MAX - have)) > 0 ||
	    (k < 0 && errno == EINTR)))
		have += k > 0 ? (size_t)k : 0;
	req[have] = '\0';
	if (have == LDAP_REQUEST_MAX ||
	    ldap_parse_request(req, have, &c, &q, &timeout_ms) != 0)
		_exit(VALIDATE_EXIT_USAGE);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline = mono_add(deadline, timeout_ms);
	signal(SIGALRM, on_alarm);
	it.it_value = (struct timeval){ timeout_ms / 1000,
	    (timeout_ms % 1000) * 1000 };
	if (setitimer(ITIMER_REAL, &it, NULL) != 0)
		_exit(VALIDATE_EXIT_LOCAL);
	lookup(&c, &q, &deadline);
	explicit_bzero(req, sizeof(req));
	_exit(0);
}
