/* SPDX-License-Identifier: BSD-2-Clause */
/* mapping.c - read a user's entries from the mapping file, safely */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "mono.h"
#include "otp_helper.h"

#include "mapping.h"
#include "privs.h"

static enum yk_result
read_entries(const char *path, uid_t owner, const struct yk_log *log,
    const char *user, struct af_entries *entries, const char **reason)
{
	const char *why = NULL;
	char esc[64];
	FILE *f;

	*reason = NULL;
	switch (authfile_open(path, owner, &f, reason)) {
	case AF_OPEN_ABSENT:
		yk_debug(log, "%s does not exist", path);
		return YK_NO_TOKENS;
	case AF_OPEN_ERROR:
		yk_syslog(log, LOG_ERR, "mapping file %s %s: denying %s", path,
		    *reason, log_escape(user, esc, sizeof(esc)));
		return YK_MAPPING_ERROR;
	case AF_OPEN_OK:
		break;
	}
	if (authfile_read(f, user, entries, &why) != 0) {
		fclose(f);
		yk_syslog(log, LOG_ERR, "mapping file %s: %s: denying %s", path,
		    why, log_escape(user, esc, sizeof(esc)));
		*reason = why;
		return YK_MAPPING_ERROR;
	}
	fclose(f);
	return YK_OK;
}

enum yk_result
mapping_load(const struct cfg *cfg, const struct yk_log *log,
    const char *user, const struct passwd *pw, struct af_entries *entries)
{
	if (cfg->ldap_uris != NULL)
		return mapping_ldap(cfg, log, user, NULL, entries, NULL);
	return mapping_read(cfg, log, user, pw, entries, NULL);
}

enum yk_result
mapping_ldap_lookup(const struct cfg *cfg, const struct yk_log *log,
    const char *user, const char *bindpw, const char *attr,
    const struct timespec *deadline, struct ldap_values *v,
    struct mapping_ldap_info *in)
{
	const char *path = ldap_helper_path(cfg->ldap_helper), *why = NULL;
	struct ldap_conn c;
	struct ldap_query q;
	struct timespec t0;
	enum yk_result r;
	char esc[64];

	memset(in, 0, sizeof(*in));
	memset(v, 0, sizeof(*v));
	in->outcome = LDQ_LOCAL;
	log_escape(user, esc, sizeof(esc));
	if (ldap_map_search(cfg, user, strlen(user), &in->search, &why) != 0) {
		snprintf(in->why, sizeof(in->why), "%s", why);
		yk_syslog(log, LOG_ERR, "LDAP: %s: denying %s", why, esc);
		return YK_MAPPING_ERROR;
	}
	in->search.attr = attr;
	ldap_conn_from_cfg(cfg, &c);
	if (cfg->ldap_bind_as_user) {
		/* An empty simple bind is an anonymous one: never. */
		if (bindpw == NULL || *bindpw == '\0') {
			snprintf(in->why, sizeof(in->why), "ldap_bind_as_user: "
			    "no password to bind with");
			yk_syslog(log, LOG_NOTICE, "LDAP: ldap_bind_as_user: no "
			    "password to bind as %s with: denying", esc);
			return YK_BAD_INPUT;
		}
		c.binddn = in->search.base;
		c.bindpw = bindpw;
	}
	in->binddn = c.binddn;
	if ((why = validate_helper_problem(path)) != NULL) {
		yk_syslog(log, LOG_ERR, "LDAP: cannot look %s up: %s %s", esc,
		    path, why);
		snprintf(in->why, sizeof(in->why), "%s %s", path, why);
		return YK_CONFIG;
	}
	q = (struct ldap_query){ in->search.base, in->search.subtree,
	    in->search.filter, in->search.attr };
	clock_gettime(CLOCK_MONOTONIC, &t0);
	in->outcome = ldap_lookup(path, &c, &q, deadline, v, in->why,
	    sizeof(in->why));
	in->elapsed_ms = mono_ms_since(&t0);
	in->nvalues = v->n;
	switch (in->outcome) {
	case LDQ_FOUND:
		return YK_OK;
	case LDQ_NO_ENTRY:
		return YK_NO_TOKENS;
	case LDQ_UNAVAILABLE:
		r = YK_UNAVAILABLE;
		break;
	case LDQ_REFUSED:
		r = YK_MAPPING_ERROR;
		break;
	default:
		r = YK_SYSTEM;
		break;
	}
	ldap_values_free(v);
	yk_syslog(log, r == YK_UNAVAILABLE ? LOG_ERR : LOG_NOTICE,
	    "LDAP: looking %s up: %s (%.0f ms): denying", esc, in->why,
	    in->elapsed_ms);
	return r;
}

enum yk_result
mapping_ldap(const struct cfg *cfg, const struct yk_log *log,
    const char *user, const char *bindpw, struct af_entries *entries,
    struct mapping_ldap_info *info)
{
	struct mapping_ldap_info local;
	struct mapping_ldap_info *in = info != NULL ? info : &local;
	struct ldap_values v = { .n = 0 };
	struct timespec deadline;
	const char *why = NULL;
	enum yk_result r;
	char esc[64];

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline = mono_add(deadline, cfg->vc.timeout_ms);
	r = mapping_ldap_lookup(cfg, log, user, bindpw, cfg->yubi_attr,
	    &deadline, &v, in);
	log_escape(user, esc, sizeof(esc));
	if (r == YK_NO_TOKENS)
		yk_debug(log, "LDAP: %s: no entry (%.0f ms)", esc,
		    in->elapsed_ms);
	if (r != YK_OK)
		return r;
	if (ldap_map_tokens((const char *const *)v.val, v.len, v.n,
	    cfg->yubi_attr_prefix, entries, &why) != 0) {
		snprintf(in->why, sizeof(in->why), "%s", why);
		yk_syslog(log, LOG_NOTICE, "LDAP: looking %s up: %s (%.0f ms): "
		    "denying", esc, why, in->elapsed_ms);
		r = YK_MAPPING_ERROR;
	} else
		yk_debug(log, "LDAP: %s: %s (%.0f ms)", esc, in->why,
		    in->elapsed_ms);
	ldap_values_free(&v);
	return r;
}

enum yk_result
mapping_read(const struct cfg *cfg, const struct yk_log *log,
    const char *user, const struct passwd *pw, struct af_entries *entries,
    struct mapping_where *where)
{
	struct mapping_where w = { .why = NULL };
	struct privs saved;
	char *path = where != NULL ? where->path : w.path;
	const char **why = where != NULL ? &where->why : &w.why;
	enum yk_result r;

	*path = '\0';
	*why = NULL;
	if (cfg->authfile != NULL) {
		snprintf(path, sizeof(w.path), "%s", cfg->authfile);
		r = read_entries(cfg->authfile, 0, log, user, entries, why);
	} else if (pw == NULL)
		return YK_USER_UNKNOWN;
	else {
		if (snprintf(path, sizeof(w.path), "%s/%s", pw->pw_dir,
		    AF_PER_USER_PATH) >= (int)sizeof(w.path))
			return YK_SYSTEM;
		if (privs_drop(pw, &saved) != 0) {
			yk_syslog(log, LOG_ERR, "cannot switch to the user to "
			    "read %s", path);
			*why = "cannot be read as the user (cannot switch to them)";
			return YK_SYSTEM;
		}
		r = read_entries(path, pw->pw_uid, log, user, entries, why);
		if (privs_restore(&saved) != 0) {
			yk_syslog(log, LOG_CRIT, "cannot restore privileges");
			*why = "was read, but privileges cannot be restored";
			r = YK_SYSTEM;
		}
	}
	return r;
}

