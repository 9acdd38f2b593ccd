/* SPDX-License-Identifier: BSD-2-Clause */
/* dbdir.c - where ykvald's database lives, and as whom to open it */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dbdir.h"

/* The directory part of path: "." for a bare name. */
static void
dir_of(const char *path, char *dir, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(dir, len, ".");
	else if (slash == path)
		snprintf(dir, len, "/");
	else
		snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

static const char *
user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);

	if (pw != NULL)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "%lu", (unsigned long)uid);
	return buf;
}

/* The directory exists (*made when this call made it), or -1 and why. */
static int
make_dir(const char *dir, bool *made, struct stat *st, char *err,
    size_t errlen)
{
	char parent[4096];

	*made = false;
	if (stat(dir, st) == 0) {
		if (S_ISDIR(st->st_mode))
			return 0;
		snprintf(err, errlen, "%s is not a directory", dir);
		return -1;
	}
	if (errno != ENOENT) {
		snprintf(err, errlen, "cannot use directory %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	if (mkdir(dir, 0700) != 0) {
		dir_of(dir, parent, sizeof(parent));
		if (errno == ENOENT)
			snprintf(err, errlen, "cannot create directory %s: "
			    "%s does not exist", dir, parent);
		else if (errno == EACCES || errno == EPERM)
			snprintf(err, errlen, "cannot create directory %s: "
			    "permission denied in %s (as root: install -d -m "
			    "0700 -o USER %s)", dir, parent, dir);
		else
			snprintf(err, errlen, "cannot create directory %s: %s",
			    dir, strerror(errno));
		return -1;
	}
	*made = true;
	if (stat(dir, st) != 0) {
		snprintf(err, errlen, "cannot use directory %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Root becomes uid, with the gid and groups of its passwd entry. */
static int
become(uid_t uid, gid_t file_gid, char *err, size_t errlen)
{
	struct passwd *pw = getpwuid(uid);
	gid_t gid = pw != NULL ? pw->pw_gid : file_gid;
	int r = pw != NULL ? initgroups(pw->pw_name, gid) :
	    setgroups(1, &gid);

	if (r != 0 || setgid(gid) != 0 || setuid(uid) != 0 ||
	    getuid() != uid || geteuid() != uid || getegid() != gid) {
		snprintf(err, errlen, "cannot switch to uid %lu: %s",
		    (unsigned long)uid, strerror(errno ? errno : EPERM));
		return -1;
	}
	/* There is no way back. */
	if (uid != 0 && setuid(0) == 0) {
		snprintf(err, errlen, "%s", "could not drop root");
		return -1;
	}
	return 0;
}

int
dbdir_prepare(const char *path, enum dbdir_use use, char *err,
    size_t errlen, char *note, size_t notelen)
{
	bool create = use != DBDIR_ADMIN, made = false, exists = false;
	uid_t me = geteuid(), owner;
	char dir[4096], who[64], mine[64];
	struct stat st;
	gid_t gid;

	note[0] = '\0';
	dir_of(path, dir, sizeof(dir));
	if (lstat(path, &st) == 0) {
		exists = true;
		if (!S_ISREG(st.st_mode)) {
			snprintf(err, errlen, "%s is not a regular file", path);
			return -1;
		}
	} else if (errno != ENOENT) {
		snprintf(err, errlen, "cannot use %s: %s", path,
		    strerror(errno));
		return -1;
	} else if (!create) {
		return 0;	/* opening it says that it is missing */
	} else if (make_dir(dir, &made, &st, err, errlen) != 0) {
		return -1;
	} else if (me != 0 || made) {
		if (made && me == 0)
			snprintf(note, notelen, "created %s owned by root; if "
			    "the service runs as another user: chown -R USER: "
			    "%s", dir, dir);
		return 0;	/* we create it, as ourselves */
	}
	owner = st.st_uid;
	gid = st.st_gid;
	if (owner == me)
		return 0;
	user_name(owner, who, sizeof(who));
	user_name(me, mine, sizeof(mine));
	if (use == DBDIR_SERVE || me != 0) {
		snprintf(err, errlen, "%s is owned by %s, not %s: run ykvald as "
		    "%s (e.g. runuser -u %s -- ykvald ...)", exists ? path : dir,
		    who, mine, who, who);
		return -1;
	}
	return become(owner, gid, err, errlen);
}
