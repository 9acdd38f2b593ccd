/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cr_files.c - challenge-response state files: where they live, which one
 * a login uses, how one is opened, read and written (see cr_files.h)
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cr_files.h"

int
cr_place_set(const struct cfg *cfg, const struct passwd *pw,
    struct cr_place *pl, const char **why)
{
	const char *user;

	memset(pl, 0, sizeof(*pl));
	pl->dirfd = -1;
	pl->at = -1;
	if (pw == NULL) {
		*why = "no such user";
		return -1;
	}
	if (cfg->chalresp_path != NULL) {
		/* Named after the account (pw_name), never the PAM string. */
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
	if (snprintf(pl->dir, sizeof(pl->dir), "%s/.yubico", pw->pw_dir) >=
	    (int)sizeof(pl->dir)) {
		*why = "the home directory path is too long";
		return -1;
	}
	snprintf(pl->base, sizeof(pl->base), "challenge");
	pl->owner = pw->pw_uid;
	return 0;
}

enum yk_result
cr_place_open(struct cr_place *pl, const char **why)
{
	struct stat st;

	pl->dirfd = pl->at >= 0 ? openat(pl->at, ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC) : open(pl->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pl->dirfd < 0) {
		if (errno == ENOENT)
			return YK_NO_TOKENS;
		*why = errno == EACCES ? "cannot be read (permission denied)" :
		    "cannot be opened";
		return YK_MAPPING_ERROR;
	}
	if (fstat(pl->dirfd, &st) != 0)
		*why = "cannot be examined";
	else if ((*why = cr_state_unsafe(&st, pl->owner, true)) == NULL)
		return YK_OK;
	cr_place_close(pl);
	return YK_MAPPING_ERROR;
}

void
cr_place_close(struct cr_place *pl)
{
	if (pl->dirfd >= 0)
		close(pl->dirfd);
	pl->dirfd = -1;
}

/*
 * Talk to the keys with the caller's privileges (as pam_yubico does): the
 * user may not have access to the USB device.  Files stay the user's.
 */
int
cr_as_caller(const struct cr_place *pl)
{
	return pl->saved != NULL ? privs_restore(pl->saved) : 0;
}

int
cr_as_owner(const struct cr_place *pl)
{
	return pl->saved != NULL ? privs_drop(pl->pw, pl->saved) : 0;
}

int
cr_files_scan(const struct cr_place *pl, struct cr_listing *ls)
{
	int fd = dup(pl->dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	unsigned s;

	memset(ls, 0, sizeof(*ls));
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
			ls->clash = true;
			continue;
		}
		if (s == 0)
			ls->plain = true;
		else if (ls->n < CR_FILES_MAX)
			ls->serials[ls->n++] = s;
	}
	s = (unsigned)errno;
	closedir(d);
	return s == 0 ? 0 : -1;
}

enum yk_result
cr_files_pick(const struct cr_place *pl, const struct cr_listing *ls,
    const struct ykkey_info *keys, size_t nkeys, struct cr_locked *lk,
    const char **why)
{
	if (nkeys == 0) {
		*why = "no YubiKey is connected";
		return YK_REJECTED;
	}
	for (size_t k = 0; k < nkeys; k++)
		for (size_t f = 0; f < ls->n; f++)
			if (keys[k].serial != 0 && keys[k].serial == ls->serials[f]) {
				lk->serial = keys[k].serial;
				snprintf(lk->name, sizeof(lk->name), "%s-%u",
				    pl->base, lk->serial);
				return YK_OK;
			}
	if (ls->clash) {
		lk->serial = keys[0].serial;
		snprintf(lk->name, sizeof(lk->name), "%s", pl->base);
		*why = CR_CLASH_WHY;
		return YK_MAPPING_ERROR;
	}
	if (!ls->plain) {
		*why = "no state file for the connected YubiKey(s)";
		return YK_REJECTED;
	}
	lk->serial = keys[0].serial;
	snprintf(lk->name, sizeof(lk->name), "%s", pl->base);
	return YK_OK;
}

enum yk_result
cr_files_choose(const struct cr_place *pl, const struct yk_log *log,
    struct cr_locked *lk, const char **why)
{
	struct ykkey_info keys[YKKEY_MAX];
	struct cr_listing ls;
	size_t nkeys = 0;
	enum yk_result r;

	if (cr_files_scan(pl, &ls) != 0) {
		*why = "cannot list the state directory";
		return YK_MAPPING_ERROR;
	}
	if (ls.n == 0 && !ls.plain && !ls.clash)
		return YK_NO_TOKENS;
	if (cr_as_caller(pl) != 0)
		return YK_SYSTEM;
	if (ykkey_list(keys, YKKEY_MAX, &nkeys, why) != YKKEY_OK) {
		(void)cr_as_owner(pl);
		return YK_SYSTEM;
	}
	if (cr_as_owner(pl) != 0)
		return YK_SYSTEM;
	r = cr_files_pick(pl, &ls, keys, nkeys, lk, why);
	if (r == YK_OK)
		yk_debug(log, "using %s with the key of serial %u", lk->name,
		    lk->serial);
	return r;
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

static void
ms_sleep(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int
cr_open_locked(const struct cr_place *pl, struct cr_locked *lk, long wait_ms,
    const char **why)
{
	struct stat now;
	long waited = 0;
	int r = -1;

	for (;;) {
		lk->fd = chalresp_open_state(pl->dirfd, lk->name, pl->owner,
		    &lk->st, why);
		if (lk->fd < 0)
			return -1;
		while (flock(lk->fd, LOCK_EX | LOCK_NB) != 0) {
			if (errno != EWOULDBLOCK || waited >= wait_ms) {
				*why = "cannot be locked (another login holds it)";
				r = errno == EWOULDBLOCK ? -2 : -1;
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
	return r;
}

int
cr_read_state(int fd, struct cr_state *st, const char **why)
{
	char buf[CR_STATE_MAX + 1];
	ssize_t n = pread(fd, buf, sizeof(buf), 0);
	int r = -1;

	memset(st, 0, sizeof(*st));
	if (n < 0)
		*why = "cannot be read";
	else if ((size_t)n > CR_STATE_MAX)
		*why = "is too large to be a state file";
	else
		r = cr_state_parse(buf, (size_t)n, st, why);
	explicit_bzero(buf, sizeof(buf));
	return r;
}

int
cr_peek_state(const struct cr_place *pl, const char *name,
    struct cr_state *st, const char **why)
{
	struct stat sb;
	int fd = chalresp_open_state(pl->dirfd, name, pl->owner, &sb, why);
	int r;

	memset(st, 0, sizeof(*st));
	if (fd < 0)
		return -1;
	r = cr_read_state(fd, st, why);
	close(fd);
	return r;
}

/*
 * Make tmp in dirfd and write line to it, fsynced: 0, or -1 with *why
 * (-2 when tmp was not made: it may be another's, so leave it be).
 */
static int
write_tmp(int dirfd, const char *tmp, const char *line, size_t n,
    const struct stat *like, const char **why)
{
	int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC | O_NOCTTY, 0600);
	int r = -1;

	if (fd < 0) {
		*why = "cannot create a temporary file";
		return -2;
	}
	/*
	 * The same owner and mode as the old file.  A user cannot give a
	 * file to a group they are not in: then it keeps the user's group.
	 */
	if (like != NULL && (like->st_uid != geteuid() ||
	    like->st_gid != getegid()) &&
	    fchown(fd, like->st_uid, like->st_gid) != 0 &&
	    like->st_uid != geteuid()) {
		*why = "cannot give the new file the old file's owner";
		goto out;
	}
	if (fchmod(fd, like != NULL ? like->st_mode & 0700 : 0600) != 0 ||
	    write(fd, line, n) != (ssize_t)n || fsync(fd) != 0) {
		*why = errno == ENOSPC ? "cannot write the next challenge: "
		    "no space left" : "cannot write the next challenge";
		goto out;
	}
	r = 0;
out:
	if (close(fd) != 0 && r == 0) {
		*why = "cannot write the next challenge";
		r = -1;
	}
	return r;
}

int
cr_state_write(int dirfd, const char *name, const struct cr_state *st,
    const struct stat *like, bool replace, const char **why)
{
	char tmp[CR_NAME_MAX + 32] = "", line[CR_STATE_MAX];
	int n = cr_state_format(st, line, sizeof(line)), r = -1;
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
	 * One fixed name per state file, made under its lock in a login: at
	 * most one can be left behind (a kill), and the next login removes
	 * it.  No account name starts with '.', so it is nobody's state file.
	 */
	if (snprintf(tmp, sizeof(tmp), ".%s.tmp", name) >= (int)sizeof(tmp)) {
		tmp[0] = '\0';
		*why = "the state file name is too long";
		goto out;
	}
	if (unlinkat(dirfd, tmp, 0) != 0 && errno != ENOENT) {
		tmp[0] = '\0';
		*why = "cannot remove a stale temporary file";
		goto out;
	}
	switch (write_tmp(dirfd, tmp, line, (size_t)n, like, why)) {
	case 0:
		break;
	case -2:
		tmp[0] = '\0';
		goto out;
	default:
		goto out;
	}
	if (replace && renameat(dirfd, tmp, dirfd, name) != 0) {
		*why = "cannot rename the new state into place";
		goto out;
	}
	/* Never over an existing file: a link fails if name exists. */
	if (!replace && linkat(dirfd, tmp, dirfd, name, 0) != 0) {
		*why = errno == EEXIST ? "exists already" :
		    "cannot link the new state into place";
		r = errno == EEXIST ? -2 : -1;
		goto out;
	}
	if (!replace && unlinkat(dirfd, tmp, 0) != 0) {
		*why = "cannot remove the temporary file";
		goto out;
	}
	tmp[0] = '\0';
	if (fsync(dirfd) != 0) {
		*why = "cannot sync the state directory";
		goto out;
	}
	r = 0;
out:
	if (tmp[0] != '\0')
		unlinkat(dirfd, tmp, 0);
	explicit_bzero(line, sizeof(line));
	return r;
}
