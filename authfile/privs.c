/* privs.c - temporary privilege drop (euid/egid/groups; the saved uid stays) */
#include "config.h"

#include <grp.h>
#include <unistd.h>

#include "privs.h"

int
privs_drop(const struct passwd *pw, struct privs *saved)
{
	gid_t groups[PRIVS_MAX_GROUPS];
	int n = PRIVS_MAX_GROUPS;

	saved->dropped = false;
	saved->euid = geteuid();
	saved->egid = getegid();
	if (saved->euid == pw->pw_uid)
		return 0;
	if (saved->euid != 0)
		return -1;	/* only root can become someone else */
	if ((saved->ngroups = getgroups(PRIVS_MAX_GROUPS, saved->groups)) < 0 ||
	    getgrouplist(pw->pw_name, pw->pw_gid, groups, &n) < 0)
		return -1;
	if (setgroups((size_t)n, groups) != 0)
		return -1;
	if (setegid(pw->pw_gid) != 0)
		goto undo_groups;
	if (seteuid(pw->pw_uid) != 0)
		goto undo_gid;
	saved->dropped = true;
	return 0;
undo_gid:
	if (setegid(saved->egid) != 0)
		return -1;
undo_groups:
	(void)setgroups((size_t)saved->ngroups, saved->groups);
	return -1;
}

int
privs_restore(struct privs *saved)
{
	if (!saved->dropped)
		return 0;
	if (seteuid(saved->euid) != 0 || setegid(saved->egid) != 0 ||
	    setgroups((size_t)saved->ngroups, saved->groups) != 0)
		return -1;
	saved->dropped = false;
	return 0;
}
