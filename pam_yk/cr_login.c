/* SPDX-License-Identifier: BSD-2-Clause */
/* cr_login.c - the offline challenge-response method */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cr_login.h"
#include "cr_helper.h"
#include "privs.h"
#include "cr_state.h"
#include "cr_key.h"

#define NAME_MAX_LEN	300

/* Where a user's state files live, and who must own them. */
struct place {
	char	dir[4096];
	char	base[NAME_MAX_LEN];	/* "challenge" or the user name */
	uid_t	owner;
	int	dirfd;
	int	at;		/* >= 0: dir already resolved (the helper) */
	/* Home mode: files as the user, but the USB bus as the caller. */
	const struct passwd	*pw;
	struct privs		*saved;		/* NULL: nothing dropped */
};

/*
 * Talk to the keys with the caller's privileges (as pam_yubico does): the
 * user may not have access to the USB device.  Files stay the user's.
 */
static int
as_caller(const struct place *pl)
{
	return pl->saved != NULL ? privs_restore(pl->saved) : 0;
}

static int
as_owner(const struct place *pl)
{
	return pl->saved != NULL ? privs_drop(pl->pw, pl->saved) : 0;
}

/* The state file in use, locked. */
struct locked {
	int		fd;
	char		name[NAME_MAX_LEN + 16];
	struct stat	st;
	unsigned	serial;
};

static int
set_place(const struct cfg *cfg, const struct passwd *pw, struct place *pl,
    const char **why)
{
	const char *user;

	memset(pl, 0, sizeof(*pl));
	pl->dirfd = -1;
	pl->at = -1;
	if (cfg->chalresp_path != NULL) {
		/* Named after the account (pw_name), never the PAM string. */
		if (pw == NULL) {
			*why = "no such user";
			return -1;
		}
		user = pw->pw_name;
		if (cr_user_bad(user) != NULL) {
			*why = "the account name cannot name a state file";
			return -1;
		}
		/* Never a shortened path: that would name another directory. */
		if (snprintf(pl->dir, sizeof(pl->dir), "%s",
		    cfg->chalresp_path) >= (int)sizeof(pl->dir)) {
			*why = "chalresp_path is too long";
			return -1;
		}
		snprintf(pl->base, sizeof(pl->base), "%s", user);
		pl->owner = 0;
		return 0;
	}
	if (pw == NULL) {
		*why = "no such user";
		return -1;
	}
	if (snprintf(pl->dir, sizeof(pl->dir), "%s/.yubico", pw->pw_dir) >=
	    (int)sizeof(pl->dir)) {
		*why = "the home directory path is too long";
		return -1;
	}
	snprintf(pl->base, sizeof(pl->base), "challenge");
	pl->owner = pw->pw_uid;
	return 0;
}

/*
 * Which state files exist: serials[] for "base-<serial>", *plain for
 * "base" (*clash when "base" cannot be a serial-less file: cr_state_name).
 * 0, or -1 when the directory cannot be read.
 */
static int
scan(const struct place *pl, unsigned *serials, size_t max, size_t *n,
    bool *plain, bool *clash)
{
	int fd = dup(pl->dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	unsigned s;

	*n = 0;
	*plain = *clash = false;
	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	errno = 0;
	while ((e = readdir(d)) != NULL) {
		switch (cr_state_name(e->d_name, pl->base, &s)) {
		case 0:
			continue;
		case -1:
			*clash = true;
			continue;
		}
		if (s == 0)
			*plain = true;
		else if (*n < max)
			serials[(*n)++] = s;
	}
	s = errno;
	closedir(d);
	return s == 0 ? 0 : -1;
}

static void
ms_sleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Open and lock the state file name.  When a concurrent login replaced it
 * while we waited for the lock, open the new one.  0, or -1 with *why.
 */
static int
open_locked(const struct place *pl, struct locked *lk, long wait_ms,
    const char **why)
{
	struct stat now;
	long waited = 0;

	for (;;) {
		lk->fd = chalresp_open_state(pl->dirfd, lk->name, pl->owner,
		    &lk->st, why);
		if (lk->fd < 0)
			return -1;
		while (flock(lk->fd, LOCK_EX | LOCK_NB) != 0) {
			if (errno != EWOULDBLOCK || waited >= wait_ms) {
				*why = "cannot be locked (another login holds it)";
				goto fail;
			}
			ms_sleep(20);
			waited += 20;
		}
		if (fstatat(pl->dirfd, lk->name, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
		    now.st_dev == lk->st.st_dev && now.st_ino == lk->st.st_ino)
			return 0;
		close(lk->fd);	/* replaced meanwhile: take the new one */
	}
fail:
	close(lk->fd);
	lk->fd = -1;
	return -1;
}

int
chalresp_open_state(int dirfd, const char *name, uid_t owner, struct stat *st,
    const char **why)
{
	char proc[64];
	int path, fd = -1;

	/* O_PATH opens nothing: no device, FIFO or socket is touched. */
	path = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (path < 0) {
		*why = errno == ENOENT ? "does not exist" :
		    errno == EACCES ? "cannot be reached (permission denied)" :
		    "cannot be opened";
		return -1;
	}
	if (fstat(path, st) != 0) {
		*why = "cannot be examined";
		goto out;
	}
	if (S_ISLNK(st->st_mode)) {
		*why = "is a symbolic link";
		goto out;
	}
	if (!S_ISREG(st->st_mode)) {
		*why = "is not a regular file";
		goto out;
	}
	if ((*why = cr_state_unsafe(st, owner, false)) != NULL)
		goto out;
	/* The same inode, now for reading (needs /proc, else denied). */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", path);
	fd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		*why = errno == EACCES ? "cannot be read (permission denied)" :
		    errno == ENOENT ? "cannot be reopened (is /proc mounted?)" :
		    "cannot be opened";
out:
	close(path);
	return fd;
}

static int
read_state(int fd, struct cr_state *st, const char **why)
{
	char buf[CR_STATE_MAX + 1];
	ssize_t n = pread(fd, buf, sizeof(buf), 0);
	int r;

	if (n < 0) {
		*why = "cannot be read";
		return -1;
	}
	if ((size_t)n > CR_STATE_MAX) {
		*why = "is too large to be a state file";
		return -1;
	}
	r = cr_state_parse(buf, (size_t)n, st, why);
	explicit_bzero(buf, sizeof(buf));
	return r;
}

/* Ask the key, with a cue when the slot waits for a touch. */
static enum ykkey_err
ask_key(const struct place *pl, const struct conv *ui, unsigned serial,
    int slot, const unsigned char *chal, unsigned char resp[CR_RESPONSE_LEN],
    const char *cue, const char **why)
{
	enum ykkey_err e = YKKEY_IO;

	if (as_caller(pl) != 0) {
		*why = "cannot switch privileges to reach the key";
		return YKKEY_IO;
	}
	e = ykkey_hmac(serial, slot, chal, CR_CHALLENGE_LEN, false, resp, why);
	if (e == YKKEY_NEEDS_TOUCH) {
		conv_info(ui, cue);
		e = ykkey_hmac(serial, slot, chal, CR_CHALLENGE_LEN, true, resp,
		    why);
	}
	if (as_owner(pl) != 0) {
		*why = "cannot switch back to the user";
		e = YKKEY_IO;
	}
	return e;
}

/* Write the next state next to the old one, then rename it over it. */
static int
save(const struct place *pl, const struct locked *lk, const struct cr_state *st,
    const char **why)
{
	char tmp[NAME_MAX_LEN + 32] = "", line[CR_STATE_MAX];
	int fd = -1, n = cr_state_format(st, line, sizeof(line)), r = -1;
	struct rlimit fsize;

	if (n < 0) {
		*why = "cannot make the next state";
		goto out;
	}
	/* A limit that would cut the write short: deny before any file. */
	if (getrlimit(RLIMIT_FSIZE, &fsize) != 0 ||
	    (fsize.rlim_cur != RLIM_INFINITY && fsize.rlim_cur < (rlim_t)n)) {
		*why = "cannot write the next challenge: the file size limit "
		    "(RLIMIT_FSIZE) is too low";
		goto out;
	}
	/*
	 * One fixed name per state file, made under its lock: at most one
	 * can be left behind (a kill), and the next login removes it.  No
	 * account name starts with '.', so it is nobody's state file.
	 */
	snprintf(tmp, sizeof(tmp), ".%s.tmp", lk->name);
	if (unlinkat(pl->dirfd, tmp, 0) != 0 && errno != ENOENT) {
		tmp[0] = '\0';
		*why = "cannot remove a stale temporary file";
		goto out;
	}
	fd = openat(pl->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		tmp[0] = '\0';
		*why = "cannot create a temporary file";
		goto out;
	}
	/*
	 * The same owner and mode as the old file.  A user cannot give a
	 * file to a group they are not in: then it keeps the user's group.
	 */
	if ((lk->st.st_uid != geteuid() || lk->st.st_gid != getegid()) &&
	    fchown(fd, lk->st.st_uid, lk->st.st_gid) != 0 &&
	    lk->st.st_uid != geteuid()) {
		*why = "cannot give the new file the old file's owner";
		goto out;
	}
	if (fchmod(fd, lk->st.st_mode & 0700) != 0 ||
	    write(fd, line, (size_t)n) != n || fsync(fd) != 0) {
		*why = errno == ENOSPC ? "cannot write the next challenge: "
		    "no space left" : "cannot write the next challenge";
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		*why = "cannot write the next challenge";
		goto out;
	}
	fd = -1;
	if (renameat(pl->dirfd, tmp, pl->dirfd, lk->name) != 0) {
		*why = "cannot rename the new state into place";
		goto out;
	}
	tmp[0] = '\0';
	if (fsync(pl->dirfd) != 0) {
		*why = "cannot sync the state directory";
		goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp[0] != '\0')
		unlinkat(pl->dirfd, tmp, 0);
	explicit_bzero(line, sizeof(line));
	return r;
}

/*
 * Pick the state file: the first connected key whose serial has one, else
 * the plain one with the first key.  YK_OK, YK_NO_TOKENS, or a denial.
 */
static enum yk_result
choose(const struct place *pl, const struct yk_log *log, struct locked *lk,
    const char **why)
{
	struct ykkey_info keys[YKKEY_MAX];
	unsigned serials[64];
	size_t nkeys = 0, nfiles = 0;
	bool plain = false, clash = false;

	if (scan(pl, serials, 64, &nfiles, &plain, &clash) != 0) {
		*why = "cannot list the state directory";
		return YK_MAPPING_ERROR;
	}
	if (nfiles == 0 && !plain && !clash)
		return YK_NO_TOKENS;
	if (as_caller(pl) != 0)
		return YK_SYSTEM;
	if (ykkey_list(keys, YKKEY_MAX, &nkeys, why) != YKKEY_OK) {
		(void)as_owner(pl);
		return YK_SYSTEM;
	}
	if (as_owner(pl) != 0)
		return YK_SYSTEM;
	if (nkeys == 0) {
		*why = "no YubiKey is connected";
		return YK_REJECTED;
	}
	for (size_t k = 0; k < nkeys; k++)
		for (size_t f = 0; f < nfiles; f++)
			if (keys[k].serial != 0 && keys[k].serial == serials[f]) {
				lk->serial = keys[k].serial;
				snprintf(lk->name, sizeof(lk->name), "%s-%u",
				    pl->base, lk->serial);
				return YK_OK;
			}
	if (clash) {
		snprintf(lk->name, sizeof(lk->name), "%s", pl->base);
		*why = "is named like another account's file for a key "
		    "(NAME-SERIAL), so it cannot be this account's serial-less "
		    "file: make one per key (ykpamcfg), see pam_yk-chalresp(5)";
		return YK_MAPPING_ERROR;
	}
	if (!plain) {
		*why = "no state file for the connected YubiKey(s)";
		return YK_REJECTED;
	}
	lk->serial = keys[0].serial;
	snprintf(lk->name, sizeof(lk->name), "%s", pl->base);
	yk_debug(log, "using %s with the key of serial %u", lk->name, lk->serial);
	return YK_OK;
}

/* Check the stored challenge's answer, then rotate; all under the lock. */
static enum yk_result
answer_and_rotate(const struct cfg *cfg, const struct conv *ui,
    const struct place *pl, const struct locked *lk, const char **why)
{
	struct cr_state st, next;
	unsigned char resp[CR_RESPONSE_LEN], chal[CR_CHALLENGE_LEN];
	unsigned char resp2[CR_RESPONSE_LEN];
	const char *cue = cfg->prompt ? cfg->prompt : "Touch your YubiKey.";
	enum yk_result r = YK_MAPPING_ERROR;

	if (read_state(lk->fd, &st, why) != 0)
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
	if (CRYPTO_memcmp(resp, resp2, CR_RESPONSE_LEN) == 0) {
		*why = "the key answers every challenge alike: program the slot "
		    "with HMAC_LT64 (ykman otp chalresp)";
		goto out;
	}
	if (cr_state_make(&next, st.slot, st.version == 2 ? st.iterations :
	    CR_ITER_DEFAULT, chal, resp2) != 0 || save(pl, lk, &next, why) != 0) {
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
    const struct conv *ui, struct place *pl, const char **why, char *name,
    size_t namelen)
{
	struct locked lk = { .fd = -1 };
	struct stat dst;
	enum yk_result r;

	pl->dirfd = pl->at >= 0 ? openat(pl->at, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC) : open(pl->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pl->dirfd < 0) {
		if (errno == ENOENT)
			return YK_NO_TOKENS;
		*why = errno == EACCES ? "the state directory cannot be read "
		    "(permission denied)" : "the state directory cannot be opened";
		return YK_MAPPING_ERROR;
	}
	if (fstat(pl->dirfd, &dst) != 0 ||
	    (*why = cr_state_unsafe(&dst, pl->owner, true)) != NULL) {
		if (*why == NULL)
			*why = "the state directory cannot be examined";
		snprintf(name, namelen, "%s", pl->dir);
		r = YK_MAPPING_ERROR;
		goto out;
	}
	r = choose(pl, log, &lk, why);
	if (lk.name[0] != '\0')
		snprintf(name, namelen, "%s/%s", pl->dir, lk.name);
	if (r != YK_OK)
		goto out;
	if (open_locked(pl, &lk, (long)cfg->vc.timeout_ms, why) != 0) {
		r = YK_MAPPING_ERROR;
		goto out;
	}
	r = answer_and_rotate(cfg, ui, pl, &lk, why);
out:
	if (lk.fd >= 0)
		close(lk.fd);	/* releases the lock */
	close(pl->dirfd);
	pl->dirfd = -1;
	return r;
}

static enum yk_result
cr_login(const struct cfg *cfg, const struct yk_log *log, const char *user,
    const struct passwd *pw, const struct conv *ui, int at)
{
	struct place pl;
	struct privs saved;
	char esc[64], name[4500] = "";
	const char *why = NULL;
	enum yk_result r;

	log_escape(pw != NULL ? pw->pw_name : user, esc, sizeof(esc));
	if (set_place(cfg, pw, &pl, &why) != 0) {
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
