/* SPDX-License-Identifier: BSD-2-Clause */
/* privs.c - temporary privilege drop (euid/egid/groups; the saved uid stays) */
#include "config.h"

#include <grp.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "privs.h"

/* The kernel's limit on supplementary groups. */
static int
groups_max(void)
{
	long m = sysconf(_SC_NGROUPS_MAX);

	return m > 0 && m <= 65536 ? (int)m : NGROUPS_MAX;
}

/* The process's supplementary groups, malloc'd (*list NULL when none). */
static int
own_groups(gid_t **list, int *n)
{
	*list = NULL;
	for (int tries = 0; tries < 4; tries++) {
		int k = getgroups(0, NULL);

		if (k < 0)
			return -1;
		free(*list);
		if ((*list = calloc((size_t)k + 1, sizeof(gid_t))) == NULL)
			return -1;
		if ((*n = getgroups(k, *list)) >= 0)
			return 0;
	}
	free(*list);
	*list = NULL;
	return -1;
}

/* pw's groups as the name service lists them, malloc'd, at most the max. */
static int
user_groups(const struct passwd *pw, gid_t **list, int *n)
{
	int max = groups_max(), cap = 64;

	*list = NULL;
	for (int tries = 0; tries < 8; tries++) {
		int k = cap;

		free(*list);
		if ((*list = calloc((size_t)cap, sizeof(gid_t))) == NULL)
			return -1;
		if (getgrouplist(pw->pw_name, pw->pw_gid, *list, &k) >= 0) {
			*n = k;
			return 0;
		}
		/* k is now the number needed (glibc); grow to it or double. */
		if (cap >= max || k > max)
			break;	/* more than the kernel takes: fail, not trim */
		cap = k > cap ? k : cap * 2;
		if (cap > max)
			cap = max;
	}
	free(*list);
	*list = NULL;
	return -1;
}

int
privs_drop(const struct passwd *pw, struct privs *saved)
{
	gid_t *groups = NULL;
	int n = 0, r = -1;

	saved->dropped = false;
	saved->groups = NULL;
	saved->ngroups = 0;
	saved->euid = geteuid();
	saved->egid = getegid();
	if (saved->euid == pw->pw_uid)
		return 0;
	if (saved->euid != 0)
		return -1;	/* only root can become someone else */
	if (own_groups(&saved->groups, &saved->ngroups) != 0 ||
	    user_groups(pw, &groups, &n) != 0)
		goto out;
	if (setgroups((size_t)n, groups) != 0)
		goto out;
	if (setegid(pw->pw_gid) != 0)
		goto undo_groups;
	if (seteuid(pw->pw_uid) != 0)
		goto undo_gid;
	saved->dropped = true;
	r = 0;
	goto out;
undo_gid:
	(void)setegid(saved->egid);
undo_groups:
	(void)setgroups((size_t)saved->ngroups, saved->groups);
out:
	free(groups);
	if (r != 0) {
		free(saved->groups);
		saved->groups = NULL;
	}
	return r;
}

int
privs_restore(struct privs *saved)
{
	if (!saved->dropped)
		return 0;
	if (seteuid(saved->euid) != 0 || setegid(saved->egid) != 0 ||
	    setgroups((size_t)saved->ngroups, saved->groups) != 0)
		return -1;
	free(saved->groups);
	saved->groups = NULL;
	saved->dropped = false;
	return 0;
}
