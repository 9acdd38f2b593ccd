/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cr_files.h - challenge-response state files: where they live, which one
 * a login uses, how one is opened, read and written.  The module, the
 * setuid helper (through cr_login.c), ykpamcfg and "ykpamcfg check" use
 * these functions, so that they cannot disagree.  No PAM types.
 */
#ifndef YK_CR_FILES_H
#define YK_CR_FILES_H

#include <pwd.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "cfg.h"
#include "cr_key.h"
#include "cr_state.h"
#include "log.h"
#include "privs.h"
#include "result.h"

#define CR_NAME_MAX	300	/* a base name: "challenge" or pw_name */
#define CR_FILES_MAX	64	/* state files looked at in one directory */

/* Why "base" is refused in chalresp_path when base ends in "-<digits>". */
#define CR_CLASH_WHY	"is named like another account's file for a key " \
	"(NAME-SERIAL), so it cannot be this account's serial-less file: " \
	"make one per key (ykpamcfg), see pam_yk-chalresp(5)"

/* Where a user's state files live, and who must own them. */
struct cr_place {
	char	dir[4096];
	char	base[CR_NAME_MAX];	/* "challenge" or the account name */
	uid_t	owner;
	int	dirfd;			/* after cr_place_open */
	int	at;		/* >= 0: dir already resolved (the helper) */
	/* Home mode: files as the user, but the USB bus as the caller. */
	const struct passwd	*pw;
	struct privs		*saved;		/* NULL: nothing dropped */
};

/*
 * Where pw's files are: chalresp_path/pw_name-SERIAL (owned by root) or
 * ~/.yubico/challenge-SERIAL (owned by the user).  Files go by the
 * account's name, never the string PAM was given.  0, or -1 with *why.
 */
int cr_place_set(const struct cfg *cfg, const struct passwd *pw,
    struct cr_place *pl, const char **why);

/*
 * Open the directory (pl->at when >= 0, else pl->dir) into pl->dirfd and
 * check it (cr_state_unsafe: the owner's or root's, not writable by
 * group or others).  YK_OK; YK_NO_TOKENS when it does not exist;
 * YK_MAPPING_ERROR with *why ("cannot be opened", "has the wrong
 * owner"...) and pl->dirfd -1 otherwise.
 */
enum yk_result cr_place_open(struct cr_place *pl, const char **why);

/* Close pl->dirfd (if open). */
void cr_place_close(struct cr_place *pl);

/* Back to the caller's privileges (to reach the keys), and to the owner. */
int cr_as_caller(const struct cr_place *pl);
int cr_as_owner(const struct cr_place *pl);

/*
 * The state files in pl->dirfd: serials[] for "base-<serial>", plain for
 * "base", clash when "base" cannot be a serial-less file (cr_state_name).
 */
struct cr_listing {
	unsigned	serials[CR_FILES_MAX];
	size_t		n;
	bool		plain, clash;
};

/* 0, or -1 when the directory cannot be listed. */
int cr_files_scan(const struct cr_place *pl, struct cr_listing *ls);

/* The state file a login uses: its name in the directory, the key's serial. */
struct cr_locked {
	int		fd;		/* -1 until open (and locked) */
	char		name[CR_NAME_MAX + 16];
	struct stat	st;
	unsigned	serial;
};

/*
 * Which file a login with these keys uses: the first key whose serial has
 * a file, else the plain file with the first key.  YK_OK with lk->name
 * and lk->serial; YK_REJECTED when no key is connected or none has a
 * file; YK_MAPPING_ERROR when only a clashing "base" is there (lk->name
 * set).  *why says why not.
 */
enum yk_result cr_files_pick(const struct cr_place *pl,
    const struct cr_listing *ls, const struct ykkey_info *keys, size_t nkeys,
    struct cr_locked *lk, const char **why);

/*
 * cr_files_scan, the connected keys (listed with the caller's
 * privileges), then cr_files_pick.  YK_NO_TOKENS when there is no state
 * file at all.
 */
enum yk_result cr_files_choose(const struct cr_place *pl,
    const struct yk_log *log, struct cr_locked *lk, const char **why);

/*
 * Open the state file name in dirfd for reading, touching nothing but a
 * regular file: an O_PATH open (no symlink followed), fstat, then the
 * checks (regular file; cr_state_unsafe with owner), and only then the
 * same inode opened for reading through /proc/self/fd.  The descriptor
 * and *st, or -1 with *why.
 */
int chalresp_open_state(int dirfd, const char *name, uid_t owner,
    struct stat *st, const char **why);

/*
 * Open lk->name with chalresp_open_state and lock it (waiting at most
 * wait_ms for another login); when a concurrent login replaced the file
 * meanwhile, the new one.  0 with lk->fd and lk->st; -2 when another
 * held the lock for all of wait_ms; -1 with *why otherwise.
 */
int cr_open_locked(const struct cr_place *pl, struct cr_locked *lk,
    long wait_ms, const char **why);

/* Read and parse the state in fd (cr_state_parse).  0, or -1 with *why. */
int cr_read_state(int fd, struct cr_state *st, const char **why);

/*
 * chalresp_open_state, then cr_read_state, without a lock: what a login
 * would find in name.  0, or -1 with *why.
 */
int cr_peek_state(const struct cr_place *pl, const char *name,
    struct cr_state *st, const char **why);

/*
 * Write st as name in dirfd: to the temporary ".NAME.tmp" (made with
 * O_EXCL; a stale one is removed first), with like's owner and mode (NULL:
 * ours, 0600), written and fsynced, then renamed over name (replace) or
 * linked as name only if there is none (!replace), and the directory
 * fsynced.  A file size limit too low for the state denies before any
 * file is made.  0; -1 with *why, nothing left behind; -2 when !replace
 * and name exists.
 */
int cr_state_write(int dirfd, const char *name, const struct cr_state *st,
    const struct stat *like, bool replace, const char **why);

#endif
