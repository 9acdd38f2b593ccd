/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ykpamcfg.c - set up the first challenge-response state for pam_yk (and
 * pam_yubico, which reads the same files).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cfg.h"
#include "check.h"
#include "cli.h"
#include "privs.h"
#include "cr_files.h"
#include "cr_state.h"
#include "cr_key.h"

static const char usage_text[] =
"usage: ykpamcfg [-1 | -2] [-A add_hmac_chalresp] [-p DIR] [-i ITERATIONS]\n"
"                [-u USER] [--force] [--json] [-v] [-V] [-h]\n"
"  -1, -2        the YubiKey slot (default 1)\n"
"  -A ACTION     add_hmac_chalresp (the only action, and the default)\n"
"  -p DIR        write DIR/USER-SERIAL (for chalresp_path=DIR) instead of\n"
"                ~USER/.yubico/challenge-SERIAL\n"
"  -i N          PBKDF2 iterations, 1 to 1000000 (default 10000)\n"
"  -u USER       set up USER's file (root only, unless USER is you)\n"
"  --force       replace an existing state file\n"
"  --json        print the result as JSON\n"
"  -v            verbose; -V version; -h this help\n"
"       ykpamcfg check [--json] [--no-network] [-u USER]\n"
"                (--service FILE | --args 'ARG ARG...')   (see ykpamcfg(1))\n";

struct opts {
	int		slot;
	unsigned	iterations;
	const char	*dir, *user;
	bool		force, json, verbose;
};

static bool verbose;

static int
parse(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "force", no_argument, NULL, 'F' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	unsigned long v;
	int c;

	*o = (struct opts){ .slot = 1, .iterations = CR_ITER_DEFAULT };
	while ((c = cli_opt(argc, argv, "12A:p:i:u:vVh", lopts)) > 0) {
		switch (c) {
		case '1': o->slot = 1; break;
		case '2': o->slot = 2; break;
		case 'A':
			if (strcmp(optarg, "add_hmac_chalresp") != 0) {
				cli_fail("unknown action '%s'", optarg);
				return -1;
			}
			break;
		case 'p':
			/* Only where a chalresp_path= could point. */
			if (cfg_chalresp_path_bad(optarg) != NULL) {
				cli_fail("-p: expected %s", cfg_chalresp_path_bad(optarg));
				return -1;
			}
			o->dir = optarg;
			break;
		case 'u': o->user = optarg; break;
		case 'i':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || *optarg < '0' ||
			    *optarg > '9' || v > CR_ITER_MAX) {
				cli_fail("-i: expected 1 to %d iterations", CR_ITER_MAX);
				return -1;
			}
			/* pam_yubico's ykpamcfg takes 0 as the default. */
			o->iterations = v == 0 ? CR_ITER_DEFAULT : (unsigned)v;
			break;
		case 'F': o->force = true; break;
		case 'J': o->json = true; break;
		case 'v': o->verbose = verbose = true; break;
		case 'V':
			printf("ykpamcfg (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
			exit(0);
		}
	}
	if (c < 0)
		return -1;
	if (optind != argc) {
		cli_fail("unexpected argument '%s'", argv[optind]);
		return -1;
	}
	return 0;
}

static int
ask(unsigned serial, int slot, const unsigned char *chal,
    unsigned char resp[CR_RESPONSE_LEN])
{
	const char *why = NULL;
	enum ykkey_err e = ykkey_hmac(serial, slot, chal, CR_CHALLENGE_LEN,
	    false, resp, &why);

	if (e == YKKEY_NEEDS_TOUCH) {
		fprintf(stderr, "Touch your YubiKey...\n");
		e = ykkey_hmac(serial, slot, chal, CR_CHALLENGE_LEN, true, resp,
		    &why);
	}
	switch (e) {
	case YKKEY_OK:
		return 0;
	case YKKEY_TIMEOUT:
		return cli_fail("slot %d did not answer: it is not set up for "
		    "HMAC-SHA1 challenge-response, or it waited for a touch "
		    "that did not come (set it up with: ykman otp chalresp "
		    "--generate %d)", slot, slot);
	case YKKEY_FIRMWARE:
		return cli_fail("this YubiKey is too old for challenge-response "
		    "(firmware 2.2 or later is needed)");
	case YKKEY_NO_KEY:
		return cli_fail("no YubiKey found");
	default:
		return cli_fail("slot %d: %s", slot, why ? why : "the key failed");
	}
}

/* The state for the key: a challenge, its response, checked (cr_state_next). */
static int
make_state(const struct opts *o, unsigned serial, struct cr_state *st)
{
	unsigned char c1[CR_CHALLENGE_LEN], c2[CR_CHALLENGE_LEN];
	unsigned char r1[CR_RESPONSE_LEN], r2[CR_RESPONSE_LEN];
	const char *why = NULL;
	int r = 1;

	if (cr_new_challenge(c1) != 0 || cr_new_challenge(c2) != 0)
		return cli_fail("cannot get random bytes");
	if (verbose)
		fprintf(stderr, "Sending %d bytes HMAC challenge to slot %d\n",
		    CR_CHALLENGE_LEN, o->slot);
	if (ask(serial, o->slot, c1, r1) != 0 || ask(serial, o->slot, c2, r2) != 0)
		goto out;
	if (cr_state_next(st, o->slot, o->iterations, c1, r1, r2, &why) != 0) {
		cli_fail("slot %d: %s", o->slot, why);
		goto out;
	}
	r = 0;
out:
	explicit_bzero(r1, sizeof(r1));
	explicit_bzero(r2, sizeof(r2));
	return r;
}

/*
 * Open the directory the file goes into and check it as the module will
 * (cr_state_unsafe: owned by owner or root, not writable by group or
 * others), before anything is written.  The descriptor, or -1.
 */
static int
open_dir(const char *dir, uid_t owner)
{
	struct stat st;
	const char *why;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		cli_fail("cannot open the directory %s: %s", dir, strerror(errno));
		return -1;
	}
	why = fstat(fd, &st) != 0 ? "cannot be examined" :
	    cr_state_unsafe(&st, owner, true);
	if (why != NULL) {
		cli_fail("the directory %s %s: pam_yk would refuse it, so nothing "
		    "is written (see pam_yk-chalresp(5))", dir, why);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Write the state as dir/name with the module's own cr_state_write (a
 * temporary file, fsynced, then linked or with --force renamed into
 * place, and the directory fsynced): never over an existing file without
 * --force.  With --force, under the old file's lock, as a login rotates
 * it: the two share the temporary name.  A file that the module would
 * refuse is locked by no login, and is replaced without the lock.
 */
static int
write_file(int dirfd, uid_t owner, const char *dir, const char *name,
    const struct cr_state *st, bool force)
{
	struct cr_place pl = { .dirfd = dirfd, .owner = owner, .at = -1 };
	struct cr_locked lk = { .fd = -1 };
	const char *why = NULL;
	int r;

	snprintf(lk.name, sizeof(lk.name), "%s", name);
	if (force && cr_open_locked(&pl, &lk, 60000, &why) == -2)
		return cli_fail("%s/%s is held by a login for over a minute; try "
		    "again", dir, name);
	r = cr_state_write(dirfd, name, st, NULL, force, &why);
	if (lk.fd >= 0)
		close(lk.fd);	/* releases the lock */
	switch (r) {
	case 0:
		return 0;
	case -2:
		return cli_fail("%s/%s exists already; use --force to replace it",
		    dir, name);
	default:
		return cli_fail("%s/%s: %s", dir, name, why ? why : "cannot write");
	}
}

/* Where the file goes: DIR/USER[-SERIAL] or ~/.yubico/challenge[-SERIAL]. */
static int
file_name(const struct opts *o, const struct passwd *pw, unsigned serial,
    char *name, size_t len)
{
	const char *base = o->dir != NULL ? pw->pw_name : "challenge";

	if (o->dir != NULL && cr_user_bad(pw->pw_name) != NULL)
		return cli_fail("the account name %s %s", pw->pw_name,
		    cr_user_bad(pw->pw_name));
	/* "bob-42" would be bob's file for key 42 (pam_yk-chalresp(5)). */
	if (serial == 0 && o->dir != NULL && cr_name_has_serial(pw->pw_name))
		return cli_fail("the YubiKey does not show its serial, and a "
		    "serial-less file for %s would be read as another "
		    "account's file for a key: enable the serial "
		    "(serial-api-visible) first", pw->pw_name);
	if (serial != 0)
		snprintf(name, len, "%s-%u", base, serial);
	else
		snprintf(name, len, "%s", base);
	return 0;
}

static int
report(const struct opts *o, const char *user, const char *path,
    unsigned serial)
{
	json_object *j;

	if (!o->json) {
		printf("Stored initial challenge and expected response in '%s'.\n",
		    path);
		return 0;
	}
	if ((j = json_object_new_object()) == NULL)
		return cli_fail("out of memory");
	json_object_object_add(j, "user", json_object_new_string(user));
	json_object_object_add(j, "path", json_object_new_string(path));
	json_object_object_add(j, "serial", json_object_new_int64(serial));
	json_object_object_add(j, "slot", json_object_new_int(o->slot));
	json_object_object_add(j, "iterations",
	    json_object_new_int64(o->iterations));
	printf("%s\n", json_object_to_json_string_ext(j,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
	return 0;
}

int
main(int argc, char **argv)
{
	struct ykkey_info keys[YKKEY_MAX];
	struct cr_state st;
	struct privs saved = { .dropped = false };
	struct passwd *pw;
	struct opts o;
	char path[4400], dir[4000], name[CR_NAME_MAX + 16];
	const char *why = NULL;
	size_t nkeys = 0;
	int r = 1, dirfd = -1;

	cli_init("ykpamcfg", usage_text);
	if (argc > 1 && strcmp(argv[1], "check") == 0)
		return check_main(argc - 1, argv + 1);
	if (parse(argc, argv, &o) != 0)
		return 2;
	pw = o.user ? getpwnam(o.user) : getpwuid(getuid());
	if (pw == NULL)
		return cli_fail("no such user '%s'", o.user ? o.user : "(you)");
	if (getuid() != 0 && pw->pw_uid != getuid())
		return cli_fail("only root can set up another user's file");
	if (ykkey_list(keys, YKKEY_MAX, &nkeys, &why) != YKKEY_OK)
		return cli_fail("cannot look for YubiKeys: %s", why ? why : "error");
	if (nkeys == 0)
		return cli_fail("no YubiKey found");
	if (nkeys > 1)
		fprintf(stderr, "ykpamcfg: %zu YubiKeys found, using the one with "
		    "serial %u\n", nkeys, keys[0].serial);
	if (verbose)
		fprintf(stderr, "Firmware version %d.%d.%d, serial %u\n",
		    keys[0].major, keys[0].minor, keys[0].build, keys[0].serial);
	/* Where it goes, checked before the key is asked or anything written. */
	if (file_name(&o, pw, keys[0].serial, name, sizeof(name)) != 0)
		return 1;
	if (o.dir != NULL) {
		/* chalresp_path files are root's: written as the caller. */
		snprintf(dir, sizeof(dir), "%s", o.dir);
		dirfd = open_dir(dir, 0);
	} else {
		/* Home files are the user's: made and written as the user. */
		snprintf(dir, sizeof(dir), "%s/.yubico", pw->pw_dir);
		if (privs_drop(pw, &saved) != 0)
			return cli_fail("cannot switch to %s", pw->pw_name);
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			cli_fail("cannot create %s: %s", dir, strerror(errno));
		else
			dirfd = open_dir(dir, pw->pw_uid);
		if (privs_restore(&saved) != 0)
			return cli_fail("cannot restore privileges");
	}
	if (dirfd < 0)
		return 1;
	if (make_state(&o, keys[0].serial, &st) != 0)
		goto out;
	if (o.dir == NULL && privs_drop(pw, &saved) != 0) {
		cli_fail("cannot switch to %s", pw->pw_name);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (write_file(dirfd, o.dir != NULL ? 0 : pw->pw_uid, dir, name, &st,
	    o.force) == 0)
		r = report(&o, pw->pw_name, path, keys[0].serial);
out:
	if (dirfd >= 0)
		close(dirfd);
	explicit_bzero(&st, sizeof(st));
	if (privs_restore(&saved) != 0)
		r = cli_fail("cannot restore privileges");
	return r;
}
