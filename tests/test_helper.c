/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_helper.c - what pam_yk and pam_yk_chalresp agree on: the helper's
 * argv checks, its exit codes, and the lines the module accepts from it.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cr_helper.h"
#include "tap.h"

/* args(user, dir, timeout, cue or NULL, extra or NULL) */
static int
args(const char *user, const char *dir, const char *timeout, const char *cue,
    const char *extra, struct helper_args *a, const char **why)
{
	char *argv[7] = { HELPER_NAME, (char *)user, (char *)dir,
	    (char *)timeout, (char *)cue, (char *)extra, NULL };
	int argc = 4 + (cue != NULL) + (cue != NULL && extra != NULL);

	*why = "";
	return helper_check_args(argc, argv, a, why);
}

#define GOOD(u, d, t, c) do {						\
	struct helper_args a_; const char *w_;				\
	CHECK(args(u, d, t, c, NULL, &a_, &w_) == 0 &&			\
	    strcmp(a_.user, u) == 0 && strcmp(a_.dir, d) == 0,		\
	    "should accept %s %s %s: %s", u, d, t, w_);			\
} while (0)
#define BAD(what, u, d, t, c, x) do {					\
	struct helper_args a_; const char *w_;				\
	CHECK(args(u, d, t, c, x, &a_, &w_) != 0 && strstr(w_, what) != NULL, \
	    "should refuse %.40s %.40s %s naming '%s': got '%s'", u, d,	\
	    t, what, w_);						\
} while (0)

static void
test_args(void)
{
	struct helper_args a;
	const char *w;
	char *none[] = { HELPER_NAME, NULL }, *three[] = { HELPER_NAME,
	    "alice", "/var/yubico", NULL };
	char longdir[HELPER_DIR_MAX + 8], longname[300], longcue[300];

	GOOD("alice", "/var/yubico", "10", NULL);
	GOOD("alice", "/var/yubico/", "1", NULL);
	GOOD("alice", "/", "60", NULL);
	GOOD("al.ice_2-x", "/var/lib/pam yk", "10", "Touch your YubiKey.");
	GOOD("alice", "/var/yubico", "10",
	    "Ber\xc3\xbchre den Schl\xc3\xbcssel");
	GOOD("alice", "/var/.yubico", "10", NULL);
	CHECK(args("alice", "/d", "7", "cue", NULL, &a, &w) == 0 &&
	    a.timeout_s == 7 && strcmp(a.cue, "cue") == 0, "timeout and cue");
	CHECK(args("alice", "/d", "7", NULL, NULL, &a, &w) == 0 &&
	    a.cue == NULL, "no cue");

	CHECK(helper_check_args(1, none, &a, &w) != 0 && strstr(w, "usage"),
	    "no arguments");
	CHECK(helper_check_args(3, three, &a, &w) != 0 && strstr(w, "usage"),
	    "no timeout");
	BAD("usage", "alice", "/var/yubico", "10", "cue", "extra");
	BAD("USER", "", "/var/yubico", "10", NULL, NULL);
	BAD("USER", "../bob", "/var/yubico", "10", NULL, NULL);
	BAD("USER", "a/b", "/var/yubico", "10", NULL, NULL);
	BAD("USER", ".", "/var/yubico", "10", NULL, NULL);
	BAD("USER", "..", "/var/yubico", "10", NULL, NULL);
	BAD("USER", "-alice", "/var/yubico", "10", NULL, NULL);
	BAD("USER", ".alice", "/var/yubico", "10", NULL, NULL);
	BAD("USER", "ali\nce", "/var/yubico", "10", NULL, NULL);
	BAD("USER", "ali\x7f" "ce", "/var/yubico", "10", NULL, NULL);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	BAD("USER", longname, "/var/yubico", "10", NULL, NULL);
	BAD("DIR", "alice", "var/yubico", "10", NULL, NULL);
	BAD("DIR", "alice", "", "10", NULL, NULL);
	BAD("DIR", "alice", "./var", "10", NULL, NULL);
	BAD("DIR", "alice", "/var/../etc", "10", NULL, NULL);
	BAD("DIR", "alice", "/var/yubico/..", "10", NULL, NULL);
	BAD("DIR", "alice", "/var/./yubico", "10", NULL, NULL);
	BAD("DIR", "alice", "/var//yubico", "10", NULL, NULL);
	BAD("DIR", "alice", "//var", "10", NULL, NULL);
	BAD("DIR", "alice", "/var/yu\tbico", "10", NULL, NULL);
	BAD("DIR", "alice", "/var/yubico\n", "10", NULL, NULL);
	longdir[0] = '/';
	memset(longdir + 1, 'd', sizeof(longdir) - 2);
	longdir[sizeof(longdir) - 1] = '\0';
	BAD("DIR", "alice", longdir, "10", NULL, NULL);
	BAD("TIMEOUT", "alice", "/var/yubico", "0", NULL, NULL);
	BAD("TIMEOUT", "alice", "/var/yubico", "61", NULL, NULL);
	BAD("TIMEOUT", "alice", "/var/yubico", "010", NULL, NULL);
	BAD("TIMEOUT", "alice", "/var/yubico", "+10", NULL, NULL);
	BAD("TIMEOUT", "alice", "/var/yubico", " 10", NULL, NULL);
	BAD("TIMEOUT", "alice", "/var/yubico", "10s", NULL, NULL);
	BAD("TIMEOUT", "alice", "/var/yubico", "", NULL, NULL);
	BAD("TIMEOUT", "alice", "/var/yubico", "99999999999999999999999", NULL,
	    NULL);
	BAD("CUE", "alice", "/var/yubico", "10", "", NULL);
	BAD("CUE", "alice", "/var/yubico", "10", "two\nlines", NULL);
	BAD("CUE", "alice", "/var/yubico", "10", "esc\x1b[2J", NULL);
	memset(longcue, 'c', sizeof(longcue) - 1);
	longcue[sizeof(longcue) - 1] = '\0';
	BAD("CUE", "alice", "/var/yubico", "10", longcue, NULL);
}

static void
test_codes(void)
{
	static const enum yk_result all[] = {
		YK_OK, YK_NO_TOKENS, YK_USER_UNKNOWN, YK_NOT_MAPPED,
		YK_BAD_INPUT, YK_REJECTED, YK_MAPPING_ERROR, YK_UNAVAILABLE,
		YK_CONV_ERROR, YK_CONFIG, YK_NOMEM, YK_SYSTEM,
	};
	enum yk_result r;

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		int code = helper_exit_code(all[i]);

		CHECK(code >= 0 && code < 64, "result %d: code %d", all[i],
		    code);
		CHECK(helper_result(code, &r) == 0 && (r == all[i] ||
		    (r == YK_SYSTEM && all[i] != YK_OK)),
		    "result %d comes back as %d", all[i], r);
		CHECK((code == 0) == (all[i] == YK_OK), "only YK_OK exits 0");
	}
	for (int code = 6; code < 256; code++)
		CHECK(helper_result(code, &r) != 0, "code %d is no result",
		    code);
	CHECK(helper_result(-1, &r) != 0, "-1 is no result");
}

/* want text NULL: the text is not looked at. */
static int
same(const char *got, const char *want)
{
	return want == NULL || (got != NULL && strcmp(got, want) == 0);
}

#define LINE(s, want, text) do {					\
	const char *t_;							\
	enum helper_line k_ = helper_parse_line(s, sizeof(s) - 1, &t_);	\
	CHECK(k_ == (want) && same(t_, text),				\
	    "line '%s': %d, want %d", s, k_, want);			\
} while (0)

static void
test_lines(void)
{
	char big[HELPER_LINE_MAX + 10];
	const char *t;

	LINE("cue Touch your YubiKey.", HELPER_LINE_CUE, "Touch your YubiKey.");
	LINE("error The next challenge could not be saved.", HELPER_LINE_ERROR,
	    "The next challenge could not be saved.");
	LINE("pam_yk(helper): challenge-response login of alice",
	    HELPER_LINE_LOG, "challenge-response login of alice");
	LINE("pam_yk(helper): debug: using alice-1", HELPER_LINE_DEBUG,
	    "using alice-1");
	LINE("pam_yk(helper): ", HELPER_LINE_LOG, "");
	LINE("cue ", HELPER_LINE_BAD, NULL);
	LINE("cue", HELPER_LINE_BAD, NULL);
	LINE("error", HELPER_LINE_BAD, NULL);
	LINE("", HELPER_LINE_BAD, NULL);
	LINE("ok", HELPER_LINE_BAD, NULL);
	LINE("CUE touch", HELPER_LINE_BAD, NULL);
	LINE("cue\ttouch", HELPER_LINE_BAD, NULL);
	LINE("cue touch\r", HELPER_LINE_BAD, NULL);
	LINE("cue to\0uch", HELPER_LINE_BAD, NULL);
	LINE("cue \x1b]0;title\x07", HELPER_LINE_BAD, NULL);
	LINE("pam_yk(helper) x", HELPER_LINE_BAD, NULL);
	LINE("pam_yk(sshd:auth): x", HELPER_LINE_BAD, NULL);
	LINE("result: PAM_SUCCESS", HELPER_LINE_BAD, NULL);
	memcpy(big, "cue ", 4);
	memset(big + 4, 'x', sizeof(big) - 4);
	CHECK(helper_parse_line(big, HELPER_LINE_MAX, &t) == HELPER_LINE_CUE,
	    "a line of the longest length");
	CHECK(helper_parse_line(big, HELPER_LINE_MAX + 1, &t) ==
	    HELPER_LINE_BAD, "a line too long");
}

/*
 * What the module accepts, the helper accepts, and the other way round:
 * its chalresp_path= and prompt= (as the helper gets them, in
 * challenge-response mode) and the account name (the state file's).
 */
static void
test_agree(void)
{
	static const char *const dirs[] = {
		"/var/yubico", "/var/yubico/", "/", "/var//yubico", "//var",
		"/var/./yubico", "/var/../etc", "/var/yubico/..", "var/yubico",
		"/var/yu\tbico", "/var/yubico\n", "/var/.yubico", "/a b",
	};
	static const char *const cues[] = {
		"Touch your YubiKey.", "two\nlines", "esc\x1b[2J",
		"Ber\xc3\xbchre", "x",
	};
	static const char *const users[] = {
		"alice", ".alice", "-alice", "a/b", ".", "..", "al.ice-2",
		"ali\nce", "ALICE", "alice-4242",
	};
	char longdir[HELPER_DIR_MAX + 8], opt[HELPER_DIR_MAX + 64];
	char longcue[400], copt[450];
	struct helper_args a;
	struct cfg cfg;
	const char *w;
	char err[256];

	longdir[0] = '/';
	memset(longdir + 1, 'd', sizeof(longdir) - 2);
	longdir[sizeof(longdir) - 1] = '\0';
	for (size_t i = 0; i <= sizeof(dirs) / sizeof(dirs[0]); i++) {
		const char *d = i < sizeof(dirs) / sizeof(dirs[0]) ? dirs[i] :
		    longdir;
		const char *argv[2] = { "mode=challenge-response", opt };
		enum cfg_err m;
		int h;

		snprintf(opt, sizeof(opt), "chalresp_path=%s", d);
		m = cfg_parse(2, argv, &cfg, err, sizeof(err));
		cfg_free(&cfg);
		h = args("alice", d, "10", NULL, NULL, &a, &w);
		CHECK((m == 0) == (h == 0), "chalresp_path=%.40s: module %s, "
		    "helper %s", d, m == 0 ? "accepts" : "refuses",
		    h == 0 ? "accepts" : "refuses");
	}
	memset(longcue, 'c', sizeof(longcue) - 1);
	longcue[sizeof(longcue) - 1] = '\0';
	for (size_t i = 0; i <= sizeof(cues) / sizeof(cues[0]); i++) {
		const char *c = i < sizeof(cues) / sizeof(cues[0]) ? cues[i] :
		    longcue;
		const char *argv[3] = { "mode=challenge-response",
		    "chalresp_path=/var/yubico", copt };
		enum cfg_err m;
		int h;

		snprintf(copt, sizeof(copt), "prompt=%s", c);
		m = cfg_parse(3, argv, &cfg, err, sizeof(err));
		cfg_free(&cfg);
		h = args("alice", "/var/yubico", "10", c, NULL, &a, &w);
		CHECK((m == 0) == (h == 0), "prompt=%.20s: module %s, helper %s",
		    c, m == 0 ? "accepts" : "refuses", h == 0 ? "accepts" :
		    "refuses");
	}
	/* TIMEOUT as the module writes it ("%u"): timeout='s range. */
	for (unsigned t = 0; t <= 70; t++) {
		const char *argv[2] = { "mode=challenge-response", copt };
		char ts[16];
		enum cfg_err m;
		int h;

		snprintf(ts, sizeof(ts), "%u", t);
		snprintf(copt, sizeof(copt), "timeout=%u", t);
		m = cfg_parse(2, argv, &cfg, err, sizeof(err));
		cfg_free(&cfg);
		h = args("alice", "/var/yubico", ts, NULL, NULL, &a, &w);
		CHECK((m == 0) == (h == 0) && (h != 0 || a.timeout_s == t),
		    "timeout=%u: module %s, helper %s", t, m == 0 ? "accepts" :
		    "refuses", h == 0 ? "accepts" : "refuses");
	}
	for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++)
		CHECK((cr_user_bad(users[i]) == NULL) ==
		    (args(users[i], "/var/yubico", "10", NULL, NULL, &a, &w) == 0),
		    "user %s: module and helper disagree", users[i]);
}

int
main(void)
{
	test_args();
	test_agree();
	test_codes();
	test_lines();
	return tap_done("test_helper");
}
