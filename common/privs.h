/* SPDX-License-Identifier: BSD-2-Clause */
/* privs.h - run as the user for a while, then restore */
#ifndef YK_PRIVS_H
#define YK_PRIVS_H

#include <pwd.h>
#include <stdbool.h>
#include <sys/types.h>

struct privs {
	uid_t	euid;
	gid_t	egid;
	gid_t	*groups;	/* the caller's, malloc'd while dropped */
	int	ngroups;
	bool	dropped;
};

/*
 * Switch the effective uid, gid and supplementary groups to pw's: as many
 * groups as the kernel allows (NGROUPS_MAX, 65536 on Linux).  When the
 * process already runs as pw (a screen locker), nothing changes.
 * Returns 0, or -1 with nothing changed.
 */
int privs_drop(const struct passwd *pw, struct privs *saved);

/*
 * Undo privs_drop exactly (the same groups, in the same order); safe to
 * call when nothing was dropped.  0 or -1.
 */
int privs_restore(struct privs *saved);

#endif
