/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cr_login.c - the offline challenge-response method: ask the key, check
 * its answer, store the next challenge (the files themselves: cr_files.c)
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cr_files.h"
#include "cr_login.h"
#include "cr_helper.h"

/* Ask the key, with a cue when the slot waits for a touch. */
static enum ykkey_err
ask_key(const struct cr_place *pl, const struct conv *ui, unsigned serial,
    int slot, const unsigned char *chal, unsigned char resp[CR_RESPONSE_LEN],
    const char *cue, const char **why)
{
	enum ykkey_err e = YKKEY_IO;

	if (cr_as_caller(pl) != 0) {
		*why = "cannot switch privileges to reach the key";
		return YKKEY_IO;
	}
	e = ykkey_hmac(serial, slot, chal, CR_CHALLENGE_LEN, false, resp, why);
	if (e == YKKEY_NEEDS_TOUCH) {
		conv_info(ui, cue);
		e = ykkey_hmac(serial, slot, chal, CR_CHALLENGE_LEN, true, resp,
		    why);
	}
	if (cr_as_owner(pl) != 0) {
		*why = "cannot switch back to the user";
		e = YKKEY_IO;
	}
	return e;
}

/* Check the stored challenge's answer, then rotate; all under the lock. */
static enum yk_result
answer_and_rotate(const struct cfg *cfg, const struct conv *ui,
    const struct cr_place *pl, const struct cr_locked *lk, const char **why)
{
	struct cr_state st, next;
	unsigned char resp[CR_RESPONSE_LEN], chal[CR_CHALLENGE_LEN];
	unsigned char resp2[CR_RESPONSE_LEN];
	const char *cue = cfg->prompt ? cfg->prompt : "Touch your YubiKey.";
	enum yk_result r = YK_MAPPING_ERROR;

	if (cr_read_state(lk->fd, &st, why) != 0)
		goto out;
	r = YK_REJECTED;
	if (ask_key(pl, ui, lk->serial, st.slot, st.challenge, resp, cue,
	    why) != YKKEY_OK)
		goto out;
	if (!cr_state_matches(&st, resp)) {
		*why = "the key's response does not match: another key, or a "
		    "changed secret";
		goto out;
	}
	if (cr_new_challenge(chal) != 0 || ask_key(pl, ui, lk->serial,
	    st.slot, chal, resp2, "Touch your YubiKey again to store the next "
	    "challenge.", why) != YKKEY_OK) {
		if (*why == NULL)
			*why = "cannot make the next challenge";
		goto out;
	}
	if (cr_state_next(&next, st.slot, st.version == 2 ? st.iterations :
	    CR_ITER_DEFAULT, chal, resp2, resp, why) != 0)
		goto out;
	if (cr_state_write(pl->dirfd, lk->name, &next, &lk->st, true,
	    why) != 0) {
		conv_error(ui, "Your YubiKey answered, but the next challenge "
		    "could not be saved, so this login is denied. The current "
		    "challenge still works; ask your administrator.");
		goto out;
	}
	r = YK_OK;
out:
	explicit_bzero(&st, sizeof(st));
	explicit_bzero(&next, sizeof(next));
	explicit_bzero(resp, sizeof(resp));
	explicit_bzero(resp2, sizeof(resp2));
	return r;
}

/* Everything that runs as the file's owner. */
static enum yk_result
login_as_owner(const struct cfg *cfg, const struct yk_log *log,
    const struct conv *ui, struct cr_place *pl, const char **why, char *name,
    size_t namelen)
{
	struct cr_locked lk = { .fd = -1 };
	enum yk_result r;

	r = cr_place_open(pl, why);
	if (r == YK_MAPPING_ERROR)
		snprintf(name, namelen, "%s", pl->dir);
	if (r != YK_OK)
		return r;
	r = cr_files_choose(pl, log, &lk, why);
	if (lk.name[0] != '\0')
		snprintf(name, namelen, "%s/%s", pl->dir, lk.name);
	if (r != YK_OK)
		goto out;
	if (cr_open_locked(pl, &lk, (long)cfg->vc.timeout_ms, why) != 0) {
		r = YK_MAPPING_ERROR;
		goto out;
	}
	r = answer_and_rotate(cfg, ui, pl, &lk, why);
out:
	if (lk.fd >= 0)
		close(lk.fd);	/* releases the lock */
	cr_place_close(pl);
	return r;
}

static enum yk_result
cr_login(const struct cfg *cfg, const struct yk_log *log, const char *user,
    const struct passwd *pw, const struct conv *ui, int at)
{
	struct cr_place pl;
	struct privs saved;
	char esc[64], name[4500] = "";
	const char *why = NULL;
	enum yk_result r;

	log_escape(pw != NULL ? pw->pw_name : user, esc, sizeof(esc));
	if (cr_place_set(cfg, pw, &pl, &why) != 0) {
		yk_syslog(log, LOG_ERR, "challenge-response for %s: %s", esc, why);
		return pw == NULL ? YK_USER_UNKNOWN : YK_MAPPING_ERROR;
	}
	pl.at = cfg->chalresp_path != NULL ? at : -1;
	/* Home files are the user's business: touch them as the user. */
	if (cfg->chalresp_path == NULL) {
		if (privs_drop(pw, &saved) != 0) {
			yk_syslog(log, LOG_ERR, "cannot switch to %s to read %s",
			    esc, pl.dir);
			return YK_SYSTEM;
		}
		pl.pw = pw;
		pl.saved = &saved;
	}
	r = login_as_owner(cfg, log, ui, &pl, &why, name, sizeof(name));
	if (pl.saved != NULL && privs_restore(&saved) != 0) {
		yk_syslog(log, LOG_CRIT, "cannot restore privileges");
		return YK_SYSTEM;
	}
	switch (r) {
	case YK_OK:
		yk_syslog(log, LOG_INFO, "challenge-response login of %s with %s",
		    esc, name);
		break;
	case YK_NO_TOKENS:
		yk_debug(log, "no challenge-response state for %s in %s", esc,
		    pl.dir);
		break;
	default:
		yk_syslog(log, LOG_ERR, "challenge-response for %s denied: %s%s%s",
		    esc, name[0] ? name : "", name[0] ? " " : "",
		    why ? why : "error");
		break;
	}
	return r;
}

/* As the files' owner: is there a state file in pl->dir? */
static enum yk_result
has_state(struct cr_place *pl, const char **why)
{
	struct cr_listing ls;
	enum yk_result r = cr_place_open(pl, why);

	if (r != YK_OK)
		return r;
	if (cr_files_scan(pl, &ls) != 0) {
		*why = "cannot be listed";
		r = YK_MAPPING_ERROR;
	} else if (ls.n == 0 && !ls.plain && !ls.clash)
		r = YK_NO_TOKENS;	/* a clash is a file: it denies later */
	cr_place_close(pl);
	return r;
}

enum yk_result
chalresp_enrolled(const struct login *lg, const char **why)
{
	struct cr_place pl;
	struct privs saved;
	enum yk_result r;
	char esc[64];

	*why = NULL;
	if (helper_needed(lg->cfg)) {
		*why = "root's chalresp_path cannot be read here (not root): "
		    "counted as enrolled, the helper decides";
		return YK_OK;
	}
	if (cr_place_set(lg->cfg, lg->pw, &pl, why) != 0)
		return lg->pw == NULL ? YK_USER_UNKNOWN : YK_MAPPING_ERROR;
	if (lg->cfg->chalresp_path == NULL && privs_drop(lg->pw, &saved) != 0) {
		*why = "cannot switch to the user to read the state directory";
		return YK_SYSTEM;
	}
	r = has_state(&pl, why);
	if (lg->cfg->chalresp_path == NULL && privs_restore(&saved) != 0) {
		yk_syslog(lg->log, LOG_CRIT, "cannot restore privileges");
		*why = "cannot restore privileges";
		return YK_SYSTEM;
	}
	if (r != YK_OK && r != YK_NO_TOKENS)
		yk_syslog(lg->log, LOG_ERR, "challenge-response for %s: %s %s",
		    log_escape(lg->user, esc, sizeof(esc)), pl.dir, *why);
	return r;
}

enum yk_result
chalresp_login(const struct login *lg, const struct conv *cv)
{
	if (helper_needed(lg->cfg))	/* root's files, not root: ask */
		return helper_login(lg, cv);	/* pw_name */
	return cr_login(lg->cfg, lg->log, lg->user, lg->pw, cv, -1);
}

enum yk_result
chalresp_login_at(const struct login *lg, const struct conv *cv, int dir)
{
	return dir >= 0 ? cr_login(lg->cfg, lg->log, lg->user, lg->pw, cv,
	    dir) : YK_SYSTEM;
}
