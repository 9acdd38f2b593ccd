/* SPDX-License-Identifier: BSD-2-Clause */
/* dbdir.h - where ykvald's database lives, and as whom to open it */
#ifndef YKV_DBDIR_H
#define YKV_DBDIR_H

#include <stdbool.h>
#include <stddef.h>

enum dbdir_use {
	DBDIR_ADMIN,		/* a command: act as the database's owner */
	DBDIR_ADMIN_CREATE,	/* the same, and create what is missing */
	DBDIR_SERVE,		/* the daemon: create, never change user */
};

/*
 * Before the database at path is opened: for a use that creates, make
 * its directory (one level, mode 0700) when missing; then make sure the
 * database is opened by the user who owns it (or, when it does not exist
 * yet and we are root, the owner of its directory), so that it and its
 * -wal and -shm files stay owned by that user.  Root running an admin
 * command drops to that user's uid and gids; anyone else is told to run
 * as that user.  0, or -1 with a one-line reason in err.  *note gets a
 * line to show the admin (or NULL).
 */
int dbdir_prepare(const char *path, enum dbdir_use use, char *err,
    size_t errlen, char *note, size_t notelen);

#endif
