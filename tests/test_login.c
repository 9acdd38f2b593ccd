/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_login.c - the online OTP method's prompt policy through the
 * conversation of login.h, with no PAM: when it asks (and how), when it
 * takes the earlier module's password, and that nothing is handed on
 * unless the OTP is good.  Every case ends before any server is asked.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"
#include "log.h"
#include "login.h"
#include "otp_login.h"
#include "tap.h"

/* A token ID of alice's, and OTPs of it and of another token. */
#define ID	"vvccccfhcbcd"
#define OTP	ID "cbdefghijklnrtuvcbdefghijklnrtuv"
#define OTHER	"cccccccccccb" "cbdefghijklnrtuvcbdefghijklnrtuv"

/* What the method did with the conversation. */
struct talk {
	const char	*answer;	/* NULL: the user gives none */
	const char	*tok;		/* PAM_AUTHTOK before us, or NULL */
	int		asked, set, infos, errors;
	bool		echo;
	char		prompt[128];
};

static enum yk_result
ask(void *arg, bool echo, const char *prompt, char **answer)
{
	struct talk *t = arg;

	t->asked++;
	t->echo = echo;
	snprintf(t->prompt, sizeof(t->prompt), "%s", prompt);
	if (t->answer == NULL || (*answer = strdup(t->answer)) == NULL)
		return YK_CONV_ERROR;
	return YK_OK;
}

static const char *
authtok(void *arg)
{
	return ((struct talk *)arg)->tok;
}

static enum yk_result
set_authtok(void *arg, const char *tok)
{
	((struct talk *)arg)->set++;
	return YK_OK;
}

static void
info(void *arg, const char *text)
{
	((struct talk *)arg)->infos++;
}

static void
error(void *arg, const char *text)
{
	((struct talk *)arg)->errors++;
}

static char home[64];
static struct passwd alice, bob;
static struct yk_log lg_log;

/* One login of who with these options; what it came to, and t. */
static enum yk_result
run(const struct passwd *who, const char *opts, struct talk *t, bool full)
{
	struct conv cv = { ask, authtok, set_authtok, info, error, t };
	struct conv bare = { .info = info, .error = error, .arg = t };
	const char *argv[5] = { "id=1" };
	char buf[128], *save = NULL, err[256];
	struct cfg cfg;
	enum yk_result r;
	int argc = 1;

	snprintf(buf, sizeof(buf), "%s", opts);
	for (char *a = strtok_r(buf, " ", &save); a != NULL && argc < 5;
	    a = strtok_r(NULL, " ", &save))
		argv[argc++] = a;
	if (cfg_parse(argc, argv, &cfg, err, sizeof(err)) != 0) {
		CHECK(0, "options '%s': %s", opts, err);
		return YK_CONFIG;
	}
	r = otp_login(&(struct login){ &cfg, &lg_log, who->pw_name, who },
	    full ? &cv : &bare);
	cfg_free(&cfg);
	return r;
}

#define CASE(who, opts, answer, tok, want, nasked, ...) do {		\
	const char *ans_ = (answer), *tok_ = (tok);			\
	struct talk t = { ans_, tok_, 0, 0, 0, 0, false, "" };		\
	enum yk_result r = run(who, opts, &t, true);			\
									\
	CHECK(r == (want) && t.asked == (nasked) && t.set == 0,	\
	    "%s '%s' answer '%s' authtok '%s': result %d (want %d), "	\
	    "asked %d (want %d), set_authtok %d", (who)->pw_name, opts,	\
	    ans_ ? ans_ : "(none)", tok_ ? tok_ : "(none)", r, want,	\
	    t.asked, nasked, t.set);					\
	__VA_ARGS__;							\
} while (0)

static void
test_policy(void)
{
	/* Asked once, echo off, the default prompt naming the account. */
	CASE(&alice, "", "hello", NULL, YK_BAD_INPUT, 1,
	    CHECK(!t.echo && strcmp(t.prompt, "YubiKey for `alice': ") == 0,
	    "default prompt '%s' echo %d", t.prompt, t.echo));
	CASE(&alice, "verbose_otp", "hello", NULL, YK_BAD_INPUT, 1,
	    CHECK(t.echo, "verbose_otp echoes"));
	CASE(&alice, "prompt=OTP:", "hello", NULL, YK_BAD_INPUT, 1,
	    CHECK(strcmp(t.prompt, "OTP:") == 0, "prompt= '%s'", t.prompt));
	/* A token that is not alice's: refused before any server. */
	CASE(&alice, "", "secret" OTHER, NULL, YK_NOT_MAPPED, 1);
	CASE(&alice, "", NULL, NULL, YK_CONV_ERROR, 1);
	/* use_first_pass: the earlier password only, never a prompt. */
	CASE(&alice, "use_first_pass", "x", NULL, YK_BAD_INPUT, 0);
	CASE(&alice, "use_first_pass", OTP, "hello", YK_BAD_INPUT, 0);
	CASE(&alice, "use_first_pass", OTP, OTHER, YK_NOT_MAPPED, 0);
	/* try_first_pass: a prompt when there is none, or it is no OTP. */
	CASE(&alice, "try_first_pass", "hello", NULL, YK_BAD_INPUT, 1);
	CASE(&alice, "try_first_pass", "hello", "pw", YK_BAD_INPUT, 1);
	CASE(&alice, "try_first_pass", "secret" OTHER, OTHER, YK_NOT_MAPPED, 1);
	/* No token: no prompt, unless always_prompt hides who has one. */
	CASE(&bob, "", "hello", NULL, YK_NO_TOKENS, 0);
	CASE(&bob, "always_prompt", OTP, NULL, YK_NO_TOKENS, 1);
	CASE(&bob, "always_prompt use_first_pass", OTP, OTP, YK_NO_TOKENS, 0);
}

/* A conversation that cannot ask (the helper's) fails closed. */
static void
test_bare(void)
{
	struct talk t = { "hello", OTP, 0, 0, 0, 0, false, "" };
	struct conv bare = { .arg = &t };
	char *answer = (char *)"x";

	CHECK(run(&alice, "", &t, false) == YK_CONV_ERROR && t.asked == 0,
	    "no ask: YK_CONV_ERROR");
	CHECK(run(&alice, "try_first_pass", &t, false) == YK_CONV_ERROR &&
	    t.asked == 0, "no authtok, no ask: YK_CONV_ERROR");
	CHECK(conv_ask(&bare, false, "?", &answer) == YK_CONV_ERROR &&
	    answer == NULL, "conv_ask without ask");
	CHECK(conv_authtok(&bare) == NULL, "conv_authtok without authtok");
	CHECK(conv_set_authtok(&bare, "pw") == YK_SYSTEM,
	    "conv_set_authtok without set_authtok");
	conv_info(&bare, "quiet");
	conv_error(&bare, "quiet");
}

static int
setup(void)
{
	char path[128];
	int fd;

	snprintf(home, sizeof(home), "/tmp/test_login.XXXXXX");
	if (mkdtemp(home) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/.yubico", home);
	if (mkdir(path, 0700) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/.yubico/authorized_yubikeys", home);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || write(fd, "alice:" ID "\n", 19) != 19) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	alice = (struct passwd){ .pw_name = (char *)"alice", .pw_dir = home,
	    .pw_uid = getuid(), .pw_gid = getgid() };
	bob = alice;
	bob.pw_name = (char *)"bob";
	return 0;
}

static void
cleanup(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/.yubico/authorized_yubikeys", home);
	unlink(path);
	snprintf(path, sizeof(path), "%s/.yubico", home);
	rmdir(path);
	rmdir(home);
}

int
main(void)
{
	log_init(&lg_log, "test_login");
	if (setup() != 0) {
		CHECK(0, "cannot make a home in /tmp");
		cleanup();
		return tap_done("test_login");
	}
	test_policy();
	test_bare();
	cleanup();
	return tap_done("test_login");
}
