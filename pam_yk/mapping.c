/* SPDX-License-Identifier: BSD-2-Clause */
/* mapping.c - read a user's entries from the mapping file, safely */
#include "config.h"

#include <stdio.h>

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
	return mapping_read(cfg, log, user, pw, entries, NULL);
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

