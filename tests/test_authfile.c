/* SPDX-License-Identifier: BSD-2-Clause */
/* test_authfile.c - mapping lines, and the checks made when opening */
#include "config.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "authfile.h"
#include "privs.h"
#include "tap.h"

/* LINE(line, user, listed, n entries, first entry or NULL) */
static void
line_is(const char *line, const char *user, bool listed, size_t n,
    const char *first)
{
	struct af_entries e = { .n = 0 };
	const char *err = NULL;
	int r = authfile_parse_line(line, user, &e, &err);

	CHECK(r == 0 && e.listed == listed && e.n == n &&
	    (first == NULL || (n > 0 && strcmp(e.entry[0], first) == 0)),
	    "'%s' for %s: r=%d listed=%d n=%zu first=%s (%s)", line, user, r,
	    e.listed, e.n, e.n ? e.entry[0] : "-", err ? err : "");
	af_entries_free(&e);
}

static void
line_bad(const char *line, const char *user, const char *why)
{
	struct af_entries e = { .n = 0 };
	const char *err = NULL;

	CHECK(authfile_parse_line(line, user, &e, &err) != 0 && err != NULL,
	    "should refuse '%s': %s", line, why);
	af_entries_free(&e);
}

static void
test_lines(void)
{
	line_is("alice:ccccccbbbbbb", "alice", true, 1, "ccccccbbbbbb");
	line_is("alice:ccccccbbbbbb:vvvvvvvvvvvv\n", "alice", true, 2, "ccccccbbbbbb");
	line_is("alice:ccccccbbbbbb\r\n", "alice", true, 1, "ccccccbbbbbb");
	line_is("alice: ccccccbbbbbb \t: vvvvvvvvvvvv", "alice", true, 2, "ccccccbbbbbb");
	line_is("alice::ccccccbbbbbb:", "alice", true, 1, "ccccccbbbbbb");
	line_is("alice", "alice", true, 0, NULL);
	line_is("alice:", "alice", true, 0, NULL);
	line_is("alice:sha256=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
	    "alice", true, 1, "sha256=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
	line_is("bob:ccccccbbbbbb", "alice", false, 0, NULL);
	line_is("alicex:ccccccbbbbbb", "alice", false, 0, NULL);
	line_is("Alice:ccccccbbbbbb", "alice", false, 0, NULL);
	line_is("#alice:ccccccbbbbbb", "alice", false, 0, NULL);
	line_is("  # alice:ccccccbbbbbb", "alice", false, 0, NULL);
	line_is("", "alice", false, 0, NULL);
	line_is("\r\n", "alice", false, 0, NULL);
	line_is(":ccccccbbbbbb", "", false, 0, NULL);
	line_is("bob:cccc\x01" "cccc", "alice", false, 0, NULL);
	line_bad("alice:cccc\x01" "cccc", "alice", "a control character in the user's line");
	line_bad("alice:cccc\x1b" "[2Jcccc", "alice", "an escape sequence");
}

static void
test_long_and_many(void)
{
	struct af_entries e = { .n = 0 };
	const char *err = NULL;
	char *line = malloc(11000);
	size_t o;

	/* A 10 kB line: a long comment first, then the user's tokens. */
	o = (size_t)sprintf(line, "alice");
	while (o < 10000)
		o += (size_t)sprintf(line + o, ":%s", "cccccccccccc");
	sprintf(line + o, ":vvvvvvvvvvvv");
	CHECK(authfile_parse_line(line, "alice", &e, &err) != 0,
	    "more than %d entries are refused", AF_MAX_ENTRIES);
	af_entries_free(&e);
	memset(line, ' ', 10000);
	strcpy(line + 10000, "alice:vvvvvvvvvvvv");
	CHECK(authfile_parse_line(line, "alice", &e, &err) == 0 && e.n == 1 &&
	    af_has(&e, "vvvvvvvvvvvv"), "a 10 kB line is read whole");
	af_entries_free(&e);
	memset(line, 'c', 10000);
	strcpy(line + 10000, ":alice:vvvvvvvvvvvv");
	CHECK(authfile_parse_line(line, "alice", &e, &err) == 0 && !e.listed,
	    "a 10 kB user name is not split into a second line");
	af_entries_free(&e);
	free(line);
}

static FILE *
mem(const char *text)
{
	return fmemopen((void *)text, strlen(text), "r");
}

#define FP64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void
test_read(void)
{
	struct af_entries e = { .n = 0 };
	const char *err = NULL;
	FILE *f = mem("# mapping\nalice:ccccccbbbbbb\r\nbob:vvvvvvvvvvvv\n"
	    "alice:cccccccccccd:sha256=00\nalice\n");

	CHECK(authfile_read(f, "alice", &e, &err) == 0 && e.n == 3 &&
	    af_has(&e, "ccccccbbbbbb") && af_has(&e, "cccccccccccd") &&
	    !af_has(&e, "vvvvvvvvvvvv") && !af_has(&e, "ccccccbbbbb"),
	    "duplicate lines merge (%zu entries)", e.n);
	CHECK(af_count_tokens(&e, 12) == 2, "two 12-char token IDs");
	CHECK(af_count_tokens(&e, 16) == 0, "no 16-char token IDs");
	CHECK(af_is_token("ccccccbbbbbb", 12), "a modhex token ID");
	CHECK(!af_is_token("ccccccbbbbb", 12), "one character short");
	CHECK(!af_is_token("ccccccbbbbbbb", 12), "one character long");
	CHECK(!af_is_token("ccccccbbbbba", 12), "not modhex");
	CHECK(!af_is_token("sha256=00", 12), "a fingerprint is no token");
	CHECK(af_is_fingerprint("sha256=" FP64), "a fingerprint");
	CHECK(af_is_fingerprint("SHA256=" FP64) == false, "SHA256= is not the prefix");
	CHECK(af_is_fingerprint("sha256=" FP64 "0") == false, "65 digits");
	CHECK(af_is_fingerprint("sha256=00") == false, "2 digits");
	CHECK(af_is_fingerprint("sha256=0123456789ABCDEF0123456789abcdef"
	    "0123456789abcdef0123456789abcdeg") == false, "not hex");
	CHECK(af_is_fingerprint("sha256=0123456789ABCDEF0123456789abcdef"
	    "0123456789abcdef0123456789abcdef"), "either case");
	CHECK(af_is_fingerprint("ccccccbbbbbb") == false, "a token ID is none");
	fclose(f);
	af_entries_free(&e);
	f = mem("bob:vvvvvvvvvvvv\n");
	CHECK(authfile_read(f, "alice", &e, &err) == 0 && !e.listed && e.n == 0,
	    "not listed");
	fclose(f);
}

static void
test_open(void)
{
	char dir[] = "/tmp/test_authfile.XXXXXX", p[160];
	const char *why = NULL;
	FILE *f;
	int fd;

	if (mkdtemp(dir) == NULL)
		return;
	snprintf(p, sizeof(p), "%s/missing", dir);
	CHECK(authfile_open(p, getuid(), &f, &why) == AF_OPEN_ABSENT, "ENOENT");
	snprintf(p, sizeof(p), "%s/ok", dir);
	fd = open(p, O_CREAT | O_WRONLY, 0644);
	CHECK(write(fd, "alice:ccccccbbbbbb\n", 19) == 19, "write");
	close(fd);
	CHECK(authfile_open(p, getuid(), &f, &why) == AF_OPEN_OK, "a good file");
	if (f != NULL)
		fclose(f);
	chmod(p, 0664);
	CHECK(authfile_open(p, getuid(), &f, &why) == AF_OPEN_ERROR &&
	    strstr(why, "group"), "group-writable");
	chmod(p, 0646);
	CHECK(authfile_open(p, getuid(), &f, &why) == AF_OPEN_ERROR &&
	    strstr(why, "others"), "world-writable");
	chmod(p, 0644);
	if (geteuid() == 0) {
		CHECK(chown(p, 65534, 65534) == 0, "chown");
		CHECK(authfile_open(p, 1000, &f, &why) == AF_OPEN_ERROR &&
		    strstr(why, "owner"), "owned by someone else");
		CHECK(authfile_open(p, 65534, &f, &why) == AF_OPEN_OK,
		    "owned by the user");
		if (f != NULL)
			fclose(f);
	}
	snprintf(p, sizeof(p), "%s/link", dir);
	CHECK(symlink("ok", p) == 0, "symlink");
	CHECK(authfile_open(p, getuid(), &f, &why) == AF_OPEN_ERROR &&
	    strstr(why, "symbolic"), "a symlink: %s", why);
	snprintf(p, sizeof(p), "%s/fifo", dir);
	CHECK(mkfifo(p, 0600) == 0, "mkfifo");
	CHECK(authfile_open(p, getuid(), &f, &why) == AF_OPEN_ERROR &&
	    strstr(why, "regular"), "a FIFO is refused without hanging");
	CHECK(authfile_open(dir, getuid(), &f, &why) == AF_OPEN_ERROR,
	    "a directory");
	snprintf(p, sizeof(p), "%s/big", dir);
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	CHECK(ftruncate(fd, 2 << 20) == 0, "truncate");
	close(fd);
	CHECK(authfile_open(p, getuid(), &f, &why) == AF_OPEN_ERROR &&
	    strstr(why, "1 MiB"), "a 2 MiB file");
	snprintf(p, sizeof(p), "%s/ok/x", dir);
	CHECK(authfile_open(p, getuid(), &f, &why) == AF_OPEN_ERROR,
	    "ENOTDIR is not 'absent'");
	/* af_path_unsafe: the same rules by path, for files and directories */
	snprintf(p, sizeof(p), "%s/big", dir);
	CHECK(af_path_unsafe(p, getuid(), false) == NULL, "any size by path");
	CHECK(af_path_unsafe(dir, getuid(), true) == NULL, "a directory");
	why = af_path_unsafe(dir, getuid(), false);
	CHECK(why && strstr(why, "regular"), "a directory is not a file");
	why = af_path_unsafe(p, getuid(), true);
	CHECK(why && strstr(why, "not a directory"), "a file is not a dir");
	snprintf(p, sizeof(p), "%s/link", dir);
	why = af_path_unsafe(p, getuid(), false);
	CHECK(why && strstr(why, "symbolic"), "a link by path");
	snprintf(p, sizeof(p), "%s/none", dir);
	why = af_path_unsafe(p, getuid(), false);
	CHECK(why && strstr(why, "does not exist"), "missing by path");
	chmod(dir, 0777);
	why = af_path_unsafe(dir, getuid(), true);
	CHECK(why && strstr(why, "writable"), "a world-writable directory");
	chmod(dir, 0700);
	snprintf(p, sizeof(p), "rm -rf %s", dir);
	CHECK(system(p) == 0, "clean up");
}

/* The one owner and mode rule (cr_state_unsafe is a wrapper of it). */
static void
test_owner_rule(void)
{
	struct stat sb;
	const char *why;

	memset(&sb, 0, sizeof(sb));
	sb.st_uid = 0;
	sb.st_mode = S_IFREG | 0644;
	CHECK(af_owner_unsafe(&sb, 1000, true, false) == NULL,
	    "root's readable file, root allowed");
	why = af_owner_unsafe(&sb, 1000, false, false);
	CHECK(why && strstr(why, "owner"), "root's file where only the user will do");
	sb.st_uid = 1000;
	why = af_owner_unsafe(&sb, 1000, false, true);
	CHECK(why && strstr(why, "readable"), "private: readable by others");
	sb.st_mode = S_IFREG | 0600;
	CHECK(af_owner_unsafe(&sb, 1000, false, true) == NULL, "private: 0600");
	sb.st_mode = S_IFREG | 0620;
	why = af_owner_unsafe(&sb, 1000, true, false);
	CHECK(why && strstr(why, "writable"), "group-writable");
}

static void
test_privs(void)
{
	struct passwd *pw = getpwnam("nobody");
	struct privs saved;

	if (geteuid() != 0 || pw == NULL) {
		struct passwd self = { .pw_uid = geteuid(), .pw_gid = getegid() };

		CHECK(privs_drop(&self, &saved) == 0 && !saved.dropped,
		    "dropping to oneself changes nothing");
		return;
	}
	CHECK(privs_drop(pw, &saved) == 0 && geteuid() == pw->pw_uid &&
	    getegid() == pw->pw_gid, "dropped to nobody");
	CHECK(privs_restore(&saved) == 0 && geteuid() == 0 && getegid() == 0,
	    "restored to root");
	CHECK(privs_restore(&saved) == 0 && geteuid() == 0, "restore twice");

	/* A caller in 1000 groups: back exactly as they were (the kernel
	 * keeps them sorted). */
	{
		static gid_t mine[1000], back[1001];
		int n;

		for (int i = 0; i < 1000; i++)
			mine[i] = (gid_t)(30000 + i);
		if (setgroups(1000, mine) != 0) {
			CHECK(0, "setgroups 1000");
			return;
		}
		CHECK(privs_drop(pw, &saved) == 0 && geteuid() == pw->pw_uid,
		    "dropped to nobody from 1000 groups");
		CHECK(privs_restore(&saved) == 0, "restored");
		n = getgroups(1001, back);
		CHECK(n == 1000 && memcmp(mine, back, sizeof(mine)) == 0,
		    "the 1000 groups are back (%d)", n);
		(void)setgroups(0, NULL);
	}
}

int
main(void)
{
	test_lines();
	test_long_and_many();
	test_read();
	test_open();
	test_owner_rule();
	test_privs();
	return tap_done("test_authfile");
}
