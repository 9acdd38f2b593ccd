/* SPDX-License-Identifier: BSD-2-Clause */
/* authfile.h - the user-to-credential mapping file, opened safely */
#ifndef YK_AUTHFILE_H
#define YK_AUTHFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#define AF_PER_USER_PATH	".yubico/authorized_yubikeys"
#define AF_MAX_ENTRIES		256

/*
 * A user's entries, from every line that names the user (duplicate lines
 * merge, as in pam_yubico): OTP token IDs and, for PIV, "sha256=<hex>".
 */
struct af_entries {
	char	*entry[AF_MAX_ENTRIES];
	size_t	n;
	bool	listed;		/* at least one line names the user */
};

void af_entries_free(struct af_entries *e);

/*
 * Parse one line ("user:entry:entry...", any length, CR stripped, '#'
 * comments, blanks around fields ignored, empty fields skipped) and, if
 * it names user, append its entries.  0, or -1 with *errstr on a line
 * that holds a control character or when there are too many entries.
 */
int authfile_parse_line(const char *line, const char *user,
    struct af_entries *out, const char **errstr);

/* Read the whole stream; 0 or -1 with *errstr. */
int authfile_read(FILE *f, const char *user, struct af_entries *out,
    const char **errstr);

enum af_open {
	AF_OPEN_OK,
	AF_OPEN_ABSENT,		/* ENOENT: definitely no file */
	AF_OPEN_ERROR,		/* anything else: never "no file" */
};

/*
 * Open path with O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC|O_NOCTTY and check it: a
 * regular file, owned by root or by owner, not group- or world-writable,
 * at most 1 MiB.  Returns AF_OPEN_OK with *f, or why it is refused.
 */
enum af_open authfile_open(const char *path, uid_t owner, FILE **f,
    const char **why);

/*
 * The one owner and mode rule for every file and directory pam_yk
 * trusts (configuration, and the challenge-response state files through
 * cr_state_unsafe): owned by owner (or by root, with root_ok), not
 * writable by group or others, and with private not readable by them
 * either (whoever can open a file can flock it).  NULL when it is fine,
 * else why not ("has the wrong owner", ...).
 */
const char *af_owner_unsafe(const struct stat *st, uid_t owner, bool root_ok,
    bool private);

/*
 * The rules for every file pam_yk reads as configuration (mapping files,
 * PIV trust anchors and CRLs): is what st describes a regular file (a
 * directory with dir), af_owner_unsafe with root_ok, at most max bytes
 * (0: any size)?  NULL when it is fine, else why not.
 */
const char *af_stat_unsafe(const struct stat *st, uid_t owner, bool dir,
    off_t max);

/*
 * The same rules for path itself, not following a final symbolic link
 * (no size limit): NULL, or why not ("does not exist", "is a symbolic
 * link", ...).
 */
const char *af_path_unsafe(const char *path, uid_t owner, bool dir);

/*
 * Open path (relative to dirfd, or AT_FDCWD) read-only, O_NONBLOCK,
 * O_CLOEXEC, O_NOCTTY, and O_NOFOLLOW unless follow, and check the open
 * file with af_stat_unsafe (regular file).  AF_OPEN_OK with *f, or why
 * it is refused.
 */
enum af_open af_open_at(int dirfd, const char *path, uid_t owner, off_t max,
    bool follow, FILE **f, const char **why);

/* True when entries holds token_id exactly. */
bool af_has(const struct af_entries *e, const char *token_id);

/*
 * Can entry be an OTP token ID of length idlen (idlen modhex characters)?
 * The one rule for which mapping entries count in client mode: the
 * module and "ykpamcfg check" both use it.
 */
bool af_is_token(const char *entry, size_t idlen);

/*
 * Is entry a certificate fingerprint, "sha256=" and 64 hex digits (either
 * case)?  The one rule for which entries count in PIV mode.
 */
#define AF_FP_PREFIX	"sha256="
bool af_is_fingerprint(const char *entry);

/* Count the entries that af_is_token accepts. */
size_t af_count_tokens(const struct af_entries *e, size_t idlen);

#endif
