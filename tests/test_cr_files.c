/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_cr_files.c - where state files live (cr_place_set), which one a
 * login uses (cr_files_pick, a table), and how one is written and read
 * back (cr_state_write, cr_peek_state) in a directory made here.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cr_files.h"
#include "tap.h"

/* One pick: the files (serials, plain, clash), the keys, what it gives. */
struct pick_case {
	const char	*what;
	unsigned	files[3];
	bool		plain, clash;
	unsigned	keys[3];
	size_t		nkeys;
	enum yk_result	want;
	const char	*name;		/* lk.name when set */
	unsigned	serial;
};

static const struct pick_case picks[] = {
	{ "no key", { 42 }, false, false, { 0 }, 0, YK_REJECTED, "", 0 },
	{ "the key's file", { 42 }, false, false, { 42 }, 1, YK_OK,
	    "challenge-42", 42 },
	{ "the second key's file", { 42 }, false, false, { 7, 42 }, 2, YK_OK,
	    "challenge-42", 42 },
	{ "keys in order", { 7, 42 }, false, false, { 42, 7 }, 2, YK_OK,
	    "challenge-42", 42 },
	{ "a key's file before the plain one", { 42 }, true, false, { 42 }, 1,
	    YK_OK, "challenge-42", 42 },
	{ "the plain file, first key", { 0 }, true, false, { 7, 8 }, 2, YK_OK,
	    "challenge", 7 },
	{ "another key's file only", { 42 }, false, false, { 7 }, 1,
	    YK_REJECTED, "", 0 },
	{ "a hidden serial matches no file", { 42 }, false, false, { 0 }, 1,
	    YK_REJECTED, "", 0 },
	{ "a hidden serial, the plain file", { 0 }, true, false, { 0 }, 1,
	    YK_OK, "challenge", 0 },
	{ "a clash is refused", { 0 }, false, true, { 7 }, 1,
	    YK_MAPPING_ERROR, "challenge", 7 },
	{ "a clash, but the key's file", { 42 }, false, true, { 42 }, 1, YK_OK,
	    "challenge-42", 42 },
};

static void
test_pick(void)
{
	struct cr_place pl = { .dirfd = -1 };

	snprintf(pl.base, sizeof(pl.base), "challenge");
	for (size_t i = 0; i < sizeof(picks) / sizeof(picks[0]); i++) {
		const struct pick_case *c = &picks[i];
		struct cr_listing ls = { .plain = c->plain, .clash = c->clash };
		struct ykkey_info keys[3] = { { 0 } };
		struct cr_locked lk = { .fd = -1 };
		const char *why = NULL;
		enum yk_result r;

		for (size_t f = 0; f < 3 && c->files[f] != 0; f++)
			ls.serials[ls.n++] = c->files[f];
		for (size_t k = 0; k < c->nkeys; k++)
			keys[k].serial = c->keys[k];
		r = cr_files_pick(&pl, &ls, keys, c->nkeys, &lk, &why);
		CHECK(r == c->want && strcmp(lk.name, c->name) == 0 &&
		    lk.serial == c->serial && (r == YK_OK) == (why == NULL),
		    "pick: %s (%d '%s' %u)", c->what, (int)r, lk.name, lk.serial);
	}
}

static void
test_place(void)
{
	struct passwd pw = { .pw_name = "alice", .pw_dir = "/home/alice",
	    .pw_uid = 4242 };
	struct cfg cfg;
	struct cr_place pl;
	const char *why = NULL;

	memset(&cfg, 0, sizeof(cfg));
	CHECK(cr_place_set(&cfg, &pw, &pl, &why) == 0 &&
	    strcmp(pl.dir, "/home/alice/.yubico") == 0 &&
	    strcmp(pl.base, "challenge") == 0 && pl.owner == 4242 &&
	    pl.dirfd == -1, "home: ~/.yubico/challenge, the user's");
	cfg.chalresp_path = "/var/yubico";
	CHECK(cr_place_set(&cfg, &pw, &pl, &why) == 0 &&
	    strcmp(pl.dir, "/var/yubico") == 0 &&
	    strcmp(pl.base, "alice") == 0 && pl.owner == 0,
	    "chalresp_path: DIR/alice, root's");
	pw.pw_name = ".alice";
	CHECK(cr_place_set(&cfg, &pw, &pl, &why) != 0 && why != NULL,
	    "an account name that starts with '.' names no state file");
	CHECK(cr_place_set(&cfg, NULL, &pl, &why) != 0, "no account");
}

static bool
has_tmp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool found = false;

	while (d != NULL && (e = readdir(d)) != NULL)
		found = found || (e->d_name[0] == '.' && strcmp(e->d_name, ".") &&
		    strcmp(e->d_name, ".."));
	if (d != NULL)
		closedir(d);
	return found;
}

static void
test_write(void)
{
	char dir[] = "/tmp/test_cr_files.XXXXXX", path[64];
	unsigned char chal[CR_CHALLENGE_LEN], resp[CR_RESPONSE_LEN] = { 1 };
	struct cr_state st, back;
	struct cr_place pl = { .dirfd = -1 };
	struct stat sb, like;
	const char *why = NULL;
	int fd;

	if (mkdtemp(dir) == NULL || cr_new_challenge(chal) != 0 ||
	    cr_state_make(&st, 2, 10, chal, resp) != 0) {
		CHECK(0, "setup");
		return;
	}
	pl.dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	pl.owner = geteuid();
	snprintf(path, sizeof(path), "%s/s-1", dir);
	CHECK(cr_state_write(pl.dirfd, "s-1", &st, NULL, false, &why) == 0,
	    "a new file (%s)", why ? why : "");
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 07777) == 0600,
	    "made with mode 0600");
	CHECK(cr_peek_state(&pl, "s-1", &back, &why) == 0 &&
	    cr_state_matches(&back, resp) && back.slot == 2,
	    "read back as the login would");
	why = NULL;
	CHECK(cr_state_write(pl.dirfd, "s-1", &st, NULL, false, &why) == -2 &&
	    why != NULL, "never over an existing file without replace");
	CHECK(!has_tmp(dir), "no temporary file left");
	fd = openat(pl.dirfd, ".s-1.tmp", O_WRONLY | O_CREAT, 0600);
	CHECK(fd >= 0 && write(fd, "junk", 4) == 4, "a stale temporary file");
	if (fd >= 0)
		close(fd);
	resp[0] = 2;
	like = sb;
	like.st_mode = S_IFREG | 0400;
	CHECK(cr_state_make(&st, 1, 10, chal, resp) == 0 &&
	    cr_state_write(pl.dirfd, "s-1", &st, &like, true, &why) == 0,
	    "replaced (%s)", why ? why : "");
	CHECK(!has_tmp(dir), "the stale temporary file is gone");
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 07777) == 0400,
	    "with the old file's mode");
	CHECK(cr_peek_state(&pl, "s-1", &back, &why) == 0 &&
	    cr_state_matches(&back, resp) && back.slot == 1, "the new state");
	{
		struct cr_locked a = { .fd = -1 }, b = { .fd = -1 };

		snprintf(a.name, sizeof(a.name), "s-1");
		snprintf(b.name, sizeof(b.name), "s-1");
		chmod(path, 0600);
		CHECK(cr_open_locked(&pl, &a, 0, &why) == 0 && a.fd >= 0,
		    "locked (%s)", why ? why : "");
		CHECK(cr_open_locked(&pl, &b, 40, &why) == -2 && b.fd < 0,
		    "held by another: -2 after the wait");
		if (a.fd >= 0)
			close(a.fd);
		CHECK(cr_open_locked(&pl, &b, 0, &why) == 0, "released");
		if (b.fd >= 0)
			close(b.fd);
	}
	chmod(path, 0644);
	CHECK(cr_peek_state(&pl, "s-1", &back, &why) != 0 &&
	    strstr(why, "readable by group or others") != NULL,
	    "a state others can read is refused");
	unlink(path);
	CHECK(cr_peek_state(&pl, "s-1", &back, &why) != 0 &&
	    strcmp(why, "does not exist") == 0, "a missing file");
	close(pl.dirfd);
	rmdir(dir);
}

int
main(void)
{
	test_pick();
	test_place();
	test_write();
	return tap_done("test_cr_files");
}
