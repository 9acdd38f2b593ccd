/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_validate.c - the protocol between pam_yk and pam_yk_validate: the
 * request round trip, and what the module accepts as a reply (a broken or
 * hostile helper must not get past it).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "otp_helper.h"

static void
test_request(void)
{
	struct vc_cfg cfg = { .cainfo = "/etc/ca.pem", .proxy = NULL,
	    .timeout_ms = 2000, .connect_timeout_ms = 1500 }, got;
	char *urls[2] = { "https://a.test/v?id=1&otp=x", "http://b.test/v?h=%2B" };
	char *parsed[VC_MAX_URLS], *req;
	size_t n = 0;

	req = validate_request(&cfg, urls, 2, 1234);
	CHECK(req != NULL && validate_parse_request(req, strlen(req), &got,
	    parsed, &n) == 0, "round trip: %s", req ? req : "(null)");
	CHECK(n == 2 && strcmp(parsed[0], urls[0]) == 0 &&
	    strcmp(parsed[1], urls[1]) == 0, "urls");
	CHECK(got.timeout_ms == 1234 && got.connect_timeout_ms == 1500 &&
	    got.cainfo != NULL && strcmp(got.cainfo, "/etc/ca.pem") == 0 &&
	    got.capath == NULL && got.proxy == NULL, "options");
	free(req);
	cfg.capath = "/etc/ssl\n/evil";
	CHECK(validate_request(&cfg, urls, 2, 1) == NULL, "a newline in a value");
	cfg.capath = NULL;
	CHECK(validate_request(&cfg, urls, 0, 1) == NULL, "no URL");
}

static void
bad_request(const char *text, const char *what)
{
	char buf[512], *urls[VC_MAX_URLS];
	struct vc_cfg cfg;
	size_t n;

	snprintf(buf, sizeof(buf), "%s", text);
	CHECK(validate_parse_request(buf, strlen(buf), &cfg, urls, &n) != 0,
	    "request refused: %s", what);
}

static void
test_bad_requests(void)
{
	bad_request("", "empty");
	bad_request("pam_yk_validate 2\ntimeout_ms 1\nurl http://a\nend \n",
	    "another version");
	bad_request("pam_yk_validate 1\ntimeout_ms 1\nurl http://a\n", "no end");
	bad_request("pam_yk_validate 1\nurl http://a\nend \n", "no timeout");
	bad_request("pam_yk_validate 1\ntimeout_ms 1\nend \n", "no url");
	bad_request("pam_yk_validate 1\ntimeout_ms 1\nurl file:///etc\nend \n",
	    "not http");
	bad_request("pam_yk_validate 1\ntimeout_ms 1\nurl http://a\nend \nurl "
	    "http://b\n", "after the end");
	bad_request("pam_yk_validate 1\ntimeout_ms x\nurl http://a\nend \n",
	    "a bad number");
	bad_request("pam_yk_validate 1\ntimeout_ms 1\nurl http://a\nbogus 1\n"
	    "end \n", "an unknown line");
}

/* parse TEXT (len bytes) for n URLs: the result. */
static int
parse(const char *text, size_t len, size_t n, struct vc_reply *r,
    size_t *used)
{
	static char err[64];

	return validate_parse_reply(text, len, n, r, err, sizeof(err), used);
}

static void
test_replies(void)
{
	static struct vc_reply r, back;
	char head[VALIDATE_HEAD_MAX], buf[VALIDATE_HEAD_MAX + 64];
	size_t used = 0, hl;

	CHECK(parse("reply 1 200 5 \nhello", 20, 2, &r, &used) == 1 &&
	    r.idx == 1 && r.http == 200 && r.len == 5 && r.error == NULL &&
	    memcmp(r.body, "hello", 5) == 0 && used == 20, "a reply");
	CHECK(parse("reply 0 0 0 Couldn't resolve host name\nreply", 44, 1, &r,
	    &used) == 1 && r.error != NULL && strcmp(r.error,
	    "Couldn't resolve host name") == 0 && used == 39 && r.unreachable,
	    "an error: %s", r.error ? r.error : "(null)");
	CHECK(parse("reply 0 1 0 reply too long\n", 27, 1, &r, &used) == 1 &&
	    r.error != NULL && !r.unreachable, "an answer that failed");
	CHECK(parse("reply 1 200 5 \nhell", 19, 2, &r, &used) == 0,
	    "a body cut short: wait for more");
	CHECK(parse("reply 1 2", 9, 2, &r, &used) == 0, "half a line");
	CHECK(parse("reply 2 200 5 \nhello", 20, 2, &r, &used) == -1,
	    "an index out of range");
	CHECK(parse("reply 0 200 4097 \n", 18, 1, &r, &used) == -1,
	    "a body too long");
	CHECK(parse("reply 0 200 -1 \n", 16, 1, &r, &used) == -1,
	    "a negative length");
	CHECK(parse("reply 0 0 3 timeout\nabc", 23, 1, &r, &used) == -1,
	    "an error with a body");
	CHECK(parse("answer 0 200 0 \n", 16, 1, &r, &used) == -1, "not a reply");
	CHECK(parse("reply 0 200 0 \x1b[2J\n", 19, 1, &r, &used) == -1,
	    "a control character");
	memset(buf, 'x', sizeof(buf));
	CHECK(parse(buf, sizeof(buf), 1, &r, &used) == -1, "no newline");

	memset(&r, 0, sizeof(r));
	r.idx = 3;
	r.http = 200;
	r.len = 4;
	memcpy(r.body, "t=OK", 4);
	hl = validate_reply_head(&r, head);
	memcpy(buf, head, hl);
	memcpy(buf + hl, r.body, r.len);
	CHECK(parse(buf, hl + r.len, 4, &back, &used) == 1 && back.idx == 3 &&
	    back.http == 200 && back.len == 4 && used == hl + 4,
	    "the helper's own reply: %.*s", (int)hl, head);
	r.error = "bad\nline";
	hl = validate_reply_head(&r, head);
	CHECK(parse(head, hl, 4, &back, &used) == 1 && back.error != NULL &&
	    strcmp(back.error, "bad?line") == 0 && !back.unreachable,
	    "an error made printable");
	r.unreachable = true;
	hl = validate_reply_head(&r, head);
	CHECK(parse(head, hl, 4, &back, &used) == 1 && back.error != NULL &&
	    back.unreachable, "unreachable crosses the pipe");
}

int
main(void)
{
	test_request();
	test_bad_requests();
	test_replies();
	return tap_done("test_validate");
}
