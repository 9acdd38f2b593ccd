/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ldap_helper.h - one directory lookup, done by the helper pam_yk_ldap.
 *
 * libldap reads LDAPCONF, LDAPRC, LDAP* variables, ~/.ldaprc and
 * /etc/ldap/ldap.conf at its first use and keeps process-wide options; in
 * su the caller's environment is the attacker's.  So pam_yk never loads
 * libldap: it runs pam_yk_ldap (spawn.c: an EMPTY environment, root's
 * ids, killed and reaped at the deadline), which sets LDAPNOINIT before
 * libldap starts, so that no configuration file is read either: every
 * option comes from the PAM line.  TLS is set on the connection's own
 * handle (never libldap's global one), the server's certificate is
 * always verified (against ldap_cacertfile= or the system store,
 * LDAP_SYSTEM_CA), referrals are not chased, and the one search has a
 * size limit of 2 (more than one entry is refused) and a time limit.
 *
 * The interface, for any mapping that needs a directory (OTP token IDs
 * here, certificates for PIV): connect and bind with struct ldap_conn,
 * make ONE search with an already escaped base DN and filter (ldap_map.h
 * escapes), get the values of one attribute back (binary-safe).
 *
 * The request, lines of "name value" (no value holds a newline; the
 * frame is helper_proto.h):
 *
 *	pam_yk_ldap 1
 *	timeout_ms N		connect_ms N
 *	uri LIST		starttls 1		(optional)
 *	cacert PATH		cert PATH	key PATH	(optional)
 *	binddn DN		bindpw HEX	(optional, together)
 *	base DN			scope base|sub	filter F	attr A
 *	end
 *
 * The reply: "found N" and N lines "value HEX"; or "noentry"; or
 * "unavailable WHY" (down, slow, TLS refused); or "refused WHY" (bad
 * credentials, a referral, more than one entry, any other error).
 */
#ifndef YK_LDAP_HELPER_H
#define YK_LDAP_HELPER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "ldap_map.h"

#define LDAP_HELPER_NAME	"pam_yk_ldap"
#define LDAP_REQUEST_MAX	16384
#define LDAP_REPLY_MAX		(1024 * 1024)
#define LDAP_WHY_MAX		128
#ifndef LDAP_SYSTEM_CA
#define LDAP_SYSTEM_CA		"/etc/ssl/certs/ca-certificates.crt"
#endif

/* How to reach the directory and whom to bind as. */
struct ldap_conn {
	const char	*uris;		/* "ldaps://a,ldaps://b": failover */
	bool		starttls;
	const char	*cacertfile;	/* NULL: LDAP_SYSTEM_CA */
	const char	*certfile, *keyfile;	/* client certificate, or NULL */
	const char	*binddn;	/* NULL: no bind (anonymous) */
	const char	*bindpw;	/* with binddn: never NULL or empty */
	unsigned	connect_ms;	/* 0: the whole deadline */
};

/* The one search: base and filter already escaped (ldap_map_search). */
struct ldap_query {
	const char	*base;
	bool		subtree;	/* else base scope */
	const char	*filter;	/* NULL or "": (objectClass=*) */
	const char	*attr;
};

enum ldap_outcome {
	LDQ_FOUND,		/* one entry; its values (maybe none) */
	LDQ_NO_ENTRY,		/* no entry for the search */
	LDQ_UNAVAILABLE,	/* down, too slow, TLS refused */
	LDQ_REFUSED,		/* wrong credentials, referral, ambiguous... */
	LDQ_LOCAL,		/* the helper cannot be run or misbehaved */
};

struct ldap_values {
	size_t		n;
	char		*val[LDAP_MAP_MAX_VALUES];	/* NUL-terminated too */
	size_t		len[LDAP_MAP_MAX_VALUES];
};

void ldap_values_free(struct ldap_values *v);

/* The connection the LDAP options describe (binddn from ldap_bind_user=). */
void ldap_conn_from_cfg(const struct cfg *cfg, struct ldap_conn *c);

/* The helper to run: configured (ldap_helper=), or the installed one. */
const char *ldap_helper_path(const char *configured);

/*
 * Run the helper at path for one search, ending by deadline (the helper
 * stops itself then; it is killed a moment later).  The outcome, with
 * out filled for LDQ_FOUND and a one-line reason (no secret) in why.
 */
enum ldap_outcome ldap_lookup(const char *path, const struct ldap_conn *c,
    const struct ldap_query *q, const struct timespec *deadline,
    struct ldap_values *out, char *why, size_t whylen);

/* ---- the protocol (both sides; pure) ---- */

/* The request, malloc'd (it may hold a password: wipe it), or NULL. */
char *ldap_request(const struct ldap_conn *c, const struct ldap_query *q,
    long timeout_ms);

/*
 * Parse a request (len bytes, NUL-terminated) in place; strings point
 * into buf (the password is decoded in place).  0 or -1.
 */
int ldap_parse_request(char *buf, size_t len, struct ldap_conn *c,
    struct ldap_query *q, unsigned *timeout_ms);

/*
 * Parse a whole reply (len bytes, NUL-terminated): the outcome, out
 * filled for LDQ_FOUND, the reason in why; LDQ_LOCAL when it is not a
 * reply.
 */
enum ldap_outcome ldap_parse_reply(const char *buf, size_t len,
    struct ldap_values *out, char *why, size_t whylen);

/* hex of len bytes into out (2 * len + 1 bytes). */
void ldap_hex(const unsigned char *p, size_t len, char *out);

#endif
