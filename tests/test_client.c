/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_client.c - vc_verify's decisions over a canned transport, the
 * reply parser, and the signed request.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "modhex.h"
#include "request.h"
#include "response.h"
#include "tap.h"

#define CLIENT_KEY	"EHmo8FMxuhumBlTinC4uYL0Mgwg="
#define WRONG_KEY	"AAECAwQFBgcICQoLDA0ODxAREhM="
#define OTP		"idkfefrdhtrutjduvtcjbfeuvhehdvjjlbchtlenfgku"
#define OTHER_OTP	"idkfefrdhtrulltfdldtugukdleibbbtdudblctjvikv"

/* How a canned reply is made from the request it answers. */
enum {
	EO = 1 << 0,	/* echo the otp */
	EN = 1 << 1,	/* echo the nonce */
	XO = 1 << 2,	/* echo another otp */
	XN = 1 << 3,	/* echo another nonce */
	SK = 1 << 4,	/* sign with the client key */
	SW = 1 << 5,	/* sign with another key */
	SE = 1 << 6,	/* sign with the empty key (YK-VAL's early errors) */
	CUT = 1 << 7,	/* keep the first half of the body */
	CUT6 = 1 << 8,	/* drop the last 6 bytes ("OK\r\n\r\n") */
	NUL = 1 << 9,	/* a NUL byte in the body */
	DUP = 1 << 10,	/* a second status line */
	BIG = 1 << 11,	/* padded past VC_REPLY_MAX */
	LF = 1 << 12,	/* "\n" line ends, no final newline */
	ERR = 1 << 13,	/* a transport error, raw is its message */
	RAW = 1 << 14,	/* raw is the body */
	UNR = 1 << 15,	/* ERR: no reply came at all (refused, TLS, timeout) */
	GOOD = EO | EN | SK,
};

struct canned {
	int		srv;	/* 1-based URL that answers; 0 ends the list */
	const char	*status;
	unsigned	how;
	long		http;	/* 0: 200 */
	const char	*raw;
};

#define R(s, st, how)	{ s, st, how, 0, NULL }
#define HTTP(s, code)	{ s, "OK", GOOD, code, NULL }
#define TERR(s, msg)	{ s, NULL, ERR, 0, msg }
#define TUNR(s, msg)	{ s, NULL, ERR | UNR, 0, msg }
#define BODY(s, b)	{ s, NULL, RAW, 0, b }

struct tcase {
	const char	*name;
	size_t		nurls;
	bool		keyed;
	struct canned	r[7];
	enum vc_verdict	want;
	int		used;	/* replies taken before the verdict */
	const char	*notes;	/* every server's note, joined with ',' */
};

/*
 * One case: what the URLs answer, in the order they answer (the others
 * hang until the deadline), the verdict, how many replies vc_verify took
 * before deciding, and every server's note.
 */
#define K	true	/* a client key is set */
#define U	false	/* unsigned mode */
#define OK_	VC_OK
#define NO_	VC_REJECTED
#define NA_	VC_UNAVAILABLE
static const struct tcase cases[] = {
{ "success", 1, K, { R(1, "OK", GOOD) }, OK_, 1, "OK" },
{ "forged h skipped, 2nd server OK", 2, K,
    { R(1, "OK", EO|EN|SW), R(2, "OK", GOOD) }, OK_, 2, "bad signature,OK" },
{ "forged h alone", 1, K, { R(1, "OK", EO|EN|SW) }, NA_, 1, "bad signature" },
{ "OK without h", 1, K, { R(1, "OK", EO|EN) }, NA_, 1, "unsigned reply" },
{ "OK signed with the empty key", 1, K,
    { R(1, "OK", EO|EN|SE) }, NA_, 1, "bad signature" },
{ "wrong nonce echo", 1, K,
    { R(1, "OK", EO|XN|SK) }, NA_, 1, "nonce mismatch" },
{ "no nonce echo", 1, K, { R(1, "OK", EO|SK) }, NA_, 1, "nonce mismatch" },
{ "wrong otp echo", 1, K, { R(1, "OK", XO|EN|SK) }, NA_, 1, "otp mismatch" },
{ "no otp echo", 1, K, { R(1, "OK", EN|SK) }, NA_, 1, "otp mismatch" },
{ "wrong echo, 2nd server OK", 2, K,
    { R(2, "OK", EO|XN|SK), R(1, "OK", GOOD) }, OK_, 2, "OK,nonce mismatch" },
{ "replayed denies before a later OK", 2, K,
    { R(1, "REPLAYED_OTP", GOOD), R(2, "OK", GOOD) },
    NO_, 1, "REPLAYED_OTP,cancelled" },
{ "replayed after an error", 3, K,
    { HTTP(3, 503), R(2, "REPLAYED_OTP", GOOD), R(1, "OK", GOOD) },
    NO_, 2, "cancelled,REPLAYED_OTP,HTTP 503" },
{ "forged replayed skipped", 2, K,
    { R(1, "REPLAYED_OTP", EO|EN|SW), R(2, "OK", GOOD) },
    OK_, 2, "bad signature,OK" },
{ "replayed, wrong nonce skipped", 2, K,
    { R(1, "REPLAYED_OTP", EO|XN|SK), R(2, "OK", GOOD) },
    OK_, 2, "nonce mismatch,OK" },
{ "replayed without echo skipped", 1, K,
    { R(1, "REPLAYED_OTP", SK) }, NA_, 1, "otp mismatch" },
{ "errors skipped, then OK", 6, K,
    { R(1, "REPLAYED_REQUEST", GOOD), R(2, "BACKEND_ERROR", SK),
    R(3, "NO_SUCH_CLIENT", SE), HTTP(4, 500),
    TERR(5, "Couldn't connect to server"), R(6, "OK", GOOD) }, OK_, 6,
    "REPLAYED_REQUEST,BACKEND_ERROR,NO_SUCH_CLIENT,HTTP 500,"
    "Couldn't connect to server,OK" },
{ "more errors skipped, then OK", 6, K,
    { R(1, "BAD_SIGNATURE", SW), R(2, "MISSING_PARAMETER", SE),
    R(3, "NOT_ENOUGH_ANSWERS", GOOD), R(4, "OPERATION_NOT_ALLOWED", 0),
    R(5, "WHATEVER", GOOD), R(6, "OK", GOOD) }, OK_, 6,
    "BAD_SIGNATURE,MISSING_PARAMETER,NOT_ENOUGH_ANSWERS,"
    "OPERATION_NOT_ALLOWED,unknown status,OK" },
{ "a signed BACKEND_ERROR is no verdict", 1, K,
    { R(1, "BACKEND_ERROR", GOOD) }, NA_, 1, "BACKEND_ERROR" },
{ "HTTP 500 with an OK body", 1, K, { HTTP(1, 500) }, NA_, 1, "HTTP 500" },
{ "BAD_OTP, one URL", 1, K, { R(1, "BAD_OTP", SK) }, NO_, 1, "BAD_OTP" },
{ "BAD_OTP, then OK", 2, K,
    { R(1, "BAD_OTP", SK), R(2, "OK", GOOD) }, OK_, 2, "BAD_OTP,OK" },
{ "BAD_OTP, the other fails", 2, K,
    { R(2, "BAD_OTP", SK), R(1, "BACKEND_ERROR", SK) },
    NO_, 2, "BACKEND_ERROR,BAD_OTP" },
{ "BAD_OTP, the other hangs", 2, K,
    { R(1, "BAD_OTP", SK) }, NO_, 1, "BAD_OTP,timeout" },
{ "BAD_OTP, forged", 1, K, { R(1, "BAD_OTP", SW) }, NA_, 1, "bad signature" },
{ "BAD_OTP, empty key (format check)", 1, K,
    { R(1, "BAD_OTP", SE) }, NA_, 1, "bad signature" },
{ "BAD_OTP, echo of another request", 1, K,
    { R(1, "BAD_OTP", EO|XN|SK) }, NA_, 1, "nonce mismatch" },
{ "all servers fail", 3, K,
    { HTTP(1, 404), TERR(2, "timeout"), BODY(3, "<html>502</html>\n") },
    NA_, 3, "HTTP 404,timeout,parse error: not key=value" },
{ "unreachable: nobody answers", 2, K, { { 0 } }, NA_, 0, "timeout,timeout" },
{ "unreachable: refused, TLS, the third hangs", 3, K,
    { TUNR(1, "Couldn't connect to server"),
    TUNR(3, "SSL connect error") }, NA_, 2,
    "Couldn't connect to server,timeout,SSL connect error" },
{ "refused, but one answers unsigned", 2, K,
    { TUNR(1, "Couldn't connect to server"), R(2, "OK", EO|EN) },
    NA_, 2, "Couldn't connect to server,unsigned reply" },
{ "refused, but one answers forged", 2, K,
    { TUNR(1, "Couldn't connect to server"), R(2, "OK", EO|EN|SW) },
    NA_, 2, "Couldn't connect to server,bad signature" },
{ "refused, but one says HTTP 500", 2, K,
    { TUNR(1, "Couldn't connect to server"), HTTP(2, 500) },
    NA_, 2, "Couldn't connect to server,HTTP 500" },
{ "refused, but one answers too long", 2, K,
    { TUNR(1, "Couldn't connect to server"), TERR(2, "reply too long") },
    NA_, 2, "Couldn't connect to server,reply too long" },
{ "refused, but one says BAD_OTP", 2, K,
    { TUNR(1, "Couldn't connect to server"), R(2, "BAD_OTP", SK) },
    NO_, 2, "Couldn't connect to server,BAD_OTP" },
{ "one answers OK, one hangs", 3, K,
    { TERR(1, "SSL peer certificate or SSH remote key was not OK"),
    R(3, "OK", GOOD) }, OK_, 2,
    "SSL peer certificate or SSH remote key was not OK,cancelled,OK" },
{ "unsigned mode: OK", 1, U, { R(1, "OK", EO|EN) }, OK_, 1, "OK" },
{ "unsigned mode: any h is ignored", 1, U,
    { R(1, "OK", EO|EN|SW) }, OK_, 1, "OK" },
{ "unsigned mode: wrong nonce", 1, U,
    { R(1, "OK", EO|XN) }, NA_, 1, "nonce mismatch" },
{ "unsigned mode: wrong otp", 1, U,
    { R(1, "OK", XO|EN) }, NA_, 1, "otp mismatch" },
{ "unsigned mode: no echo", 1, U, { R(1, "OK", 0) }, NA_, 1, "otp mismatch" },
{ "unsigned mode: replayed", 2, U,
    { R(1, "REPLAYED_OTP", EO|EN), R(2, "OK", EO|EN) },
    NO_, 1, "REPLAYED_OTP,cancelled" },
{ "truncated body", 1, K, { R(1, "OK", GOOD|CUT) }, NA_, 1, "no status" },
{ "truncated status line", 1, K,
    { R(1, "OK", GOOD|CUT6) }, NA_, 1, "unknown status" },
{ "NUL byte", 1, K,
    { R(1, "OK", GOOD|NUL) }, NA_, 1, "parse error: NUL byte" },
{ "two status lines", 1, K,
    { R(1, "OK", GOOD|DUP) }, NA_, 1, "parse error: duplicate key" },
{ "body over VC_REPLY_MAX", 1, K,
    { R(1, "OK", GOOD|BIG) }, NA_, 1, "reply too long" },
{ "LF line ends, no final newline", 1, K,
    { R(1, "OK", GOOD|LF) }, OK_, 1, "OK" },
{ "empty body", 1, K, { BODY(1, "") }, NA_, 1, "empty reply" },
{ "blank lines only", 1, K, { BODY(1, "\r\n\r\n") }, NA_, 1, "empty reply" },
{ "text after the blank line", 1, K,
    { BODY(1, "status=OK\r\n\r\nx=y\r\n") },
    NA_, 1, "parse error: text after a blank line" },
{ "lower-case status", 1, K, { R(1, "ok", GOOD) }, NA_, 1, "unknown status" },
{ "status with a space", 1, K,
    { R(1, "OK ", GOOD) }, NA_, 1, "unknown status" },
{ "reply too long (transport)", 2, K,
    { TERR(1, "reply too long"), R(2, "OK", GOOD) },
    OK_, 2, "reply too long,OK" },
};

/* ---- the canned transport ---- */

static struct {
	const struct tcase	*tc;
	long			id;
	int			pos, starts, stops;
	char			otp[64], nonce[64], h[64], raw_h[96];
	bool			has_h;
	char			nonces[sizeof(cases) / sizeof(cases[0])][64];
} cn;

static unsigned char ckey[64], wkey[64];
static int ckeylen, wkeylen;

static void
unescape(char *s)
{
	char *w = s;

	for (; *s != '\0'; s++) {
		unsigned char b;

		if (*s == '%' && s[1] && s[2] &&
		    hex_decode(s + 1, 1, &b) == 0) {
			*w++ = (char)b;
			s += 2;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

/* Take the request apart and check its signature. */
static void
capture(const char *url, bool keyed)
{
	struct yk_params p = { .n = 0 };
	char *q = strdup(strchr(url, '?') + 1), *save = NULL;

	cn.has_h = false;
	for (char *kv = strtok_r(q, "&", &save); kv != NULL;
	    kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');

		*eq++ = '\0';
		if (strcmp(kv, "h") == 0) {
			snprintf(cn.raw_h, sizeof(cn.raw_h), "%s", eq);
			cn.has_h = true;
		}
		unescape(eq);
		params_set(&p, kv, eq);
	}
	snprintf(cn.otp, sizeof(cn.otp), "%s", params_get(&p, "otp"));
	snprintf(cn.nonce, sizeof(cn.nonce), "%s", params_get(&p, "nonce"));
	CHECK(atol(params_get(&p, "id")) == cn.id, "id sent");
	CHECK(strcmp(cn.otp, OTP) == 0, "otp sent");
	CHECK(cn.has_h == keyed, "%s: h sent only with a key", cn.tc->name);
	CHECK(!keyed || params_verify(&p, ckey, (size_t)ckeylen),
	    "%s: request h verifies", cn.tc->name);
	CHECK(!keyed || strcspn(cn.raw_h, "+/=") == strlen(cn.raw_h),
	    "h is percent-encoded in the URL: %s", cn.raw_h);
	CHECK(params_get(&p, "sl") == NULL && p.n == 3u + keyed,
	    "only id, nonce, otp (and h) are sent");
	params_free(&p);
	free(q);
}

static int
c_start(void *arg, const struct vc_cfg *cfg, char *const *urls, size_t n,
    const struct timespec *deadline, void **state)
{
	cn.starts++;
	CHECK(n == cn.tc->nurls, "%s: one request per URL", cn.tc->name);
	for (size_t i = 0; i < n; i++) {
		size_t bl = strlen(cfg->urls[i]);

		CHECK(strncmp(urls[i], cfg->urls[i], bl) == 0 &&
		    strstr(urls[i], strstr(urls[0], "?id=") + 1) != NULL,
		    "%s: same query to every URL", cn.tc->name);
	}
	capture(urls[0], cfg->keylen > 0);
	*state = &cn;
	return 0;
}

static void
make_body(const struct canned *c, struct vc_reply *out)
{
	struct yk_params p = { .n = 0 };
	char h[YK_HMAC_B64_LEN + 1], *w = out->body;
	const char *nl = c->how & LF ? "\n" : "\r\n";

	params_set(&p, "t", "2020-01-01T00:00:00Z0000");
	if (c->how & (EO | XO))
		params_set(&p, "otp", c->how & EO ? cn.otp : OTHER_OTP);
	if (c->how & (EN | XN))
		params_set(&p, "nonce", c->how & EN ? cn.nonce :
		    "bakabakabakabaka");
	params_set(&p, "status", c->status);
	if (c->how & (SK | SW | SE)) {
		params_sign(&p, c->how & SK ? ckey : wkey, c->how & SK ?
		    (size_t)ckeylen : c->how & SW ? (size_t)wkeylen : 0, h);
		w += sprintf(w, "h=%s%s", h, nl);
	}
	for (size_t i = 0; i < p.n; i++)
		w += sprintf(w, "%s=%s%s", p.kv[i].key, p.kv[i].val,
		    i + 1 < p.n || !(c->how & LF) ? nl : "");
	if (c->how & DUP)
		w += sprintf(w, "status=BAD_OTP%s", nl);
	if (!(c->how & LF))
		w += sprintf(w, "%s", nl);
	out->len = (size_t)(w - out->body);
	if (c->how & CUT)
		out->len /= 2;
	if (c->how & CUT6)
		out->len -= 6;
	if (c->how & NUL)
		out->body[out->len / 2] = '\0';
	if (c->how & BIG) {
		memset(out->body + out->len, '\n', VC_REPLY_MAX + 1 - out->len);
		out->len = VC_REPLY_MAX + 1;
	}
	out->body[out->len] = '\0';
	params_free(&p);
}

static int
c_next(void *state, const struct timespec *deadline, struct vc_reply *out)
{
	const struct canned *c = &cn.tc->r[cn.pos];

	if (c->srv == 0)
		return 0;	/* the others hang until the deadline */
	cn.pos++;
	memset(out, 0, sizeof(*out));
	out->idx = (size_t)c->srv - 1;
	if (c->how & ERR) {
		out->error = c->raw;
		out->unreachable = (c->how & UNR) != 0;
	} else if (c->how & RAW) {
		out->http = 200;
		out->len = strlen(c->raw);
		memcpy(out->body, c->raw, out->len);
	} else {
		out->http = c->http ? c->http : 200;
		make_body(c, out);
	}
	return 1;
}

static void
c_stop(void *state)
{
	cn.stops++;
}

static const struct vc_transport canned = { c_start, c_next, c_stop, NULL };

static const char *const urls[VC_MAX_URLS] = {
	"http://a.test/wsapi/2.0/verify", "http://b.test/wsapi/2.0/verify",
	"https://c.test/verify", "https://d.test/verify?x=1",
	"http://e.test/", "http://f.test/", "http://g.test/",
};

static void
run_case(size_t k)
{
	const struct tcase *tc = &cases[k];
	struct vc_cfg cfg = { .nurls = tc->nurls, .id = 7, .timeout_ms = 1000 };
	struct vc_result res;
	char notes[512] = "";
	int v;

	memcpy(cfg.urls, urls, sizeof(urls));
	if (tc->keyed) {
		memcpy(cfg.key, ckey, (size_t)ckeylen);
		cfg.keylen = (size_t)ckeylen;
	}
	memset(&cn, 0, offsetof(typeof(cn), nonces));
	cn.tc = tc;
	cn.id = cfg.id;
	v = vc_verify_with(&cfg, OTP, &canned, &res);
	for (size_t i = 0; i < res.nnotes; i++) {
		if (i > 0)
			strcat(notes, ",");
		strcat(notes, res.notes[i].what);
		CHECK(res.notes[i].url == cfg.urls[i], "note %zu's URL", i);
	}
	CHECK(v == (int)tc->want && res.verdict == tc->want,
	    "%s: verdict %d, want %d", tc->name, v, tc->want);
	/* Only a case named "unreachable: ..." may let offline= fall back. */
	CHECK(res.unreachable == (strncmp(tc->name, "unreachable:", 12) == 0),
	    "%s: unreachable %d", tc->name, res.unreachable);
	CHECK(cn.pos == tc->used, "%s: %d replies taken, want %d", tc->name,
	    cn.pos, tc->used);
	CHECK(cn.starts == 1 && cn.stops == 1, "%s: started and stopped once",
	    tc->name);
	CHECK(res.nnotes == tc->nurls && strcmp(notes, tc->notes) == 0,
	    "%s: notes '%s', want '%s'", tc->name, notes, tc->notes);
	if (tc->want == VC_OK || tc->want == VC_REJECTED)
		CHECK(res.decisive >= 0 && (size_t)res.decisive < res.nnotes &&
		    (tc->want == VC_OK ?
		    strcmp(res.notes[res.decisive].what, "OK") == 0 :
		    strcmp(res.notes[res.decisive].what, "REPLAYED_OTP") == 0 ||
		    strcmp(res.notes[res.decisive].what, "BAD_OTP") == 0),
		    "%s: the decisive note", tc->name);
	else
		CHECK(res.decisive == -1, "%s: nothing decided", tc->name);
	CHECK(strstr(notes, OTP) == NULL && strstr(notes, cn.nonce) == NULL,
	    "%s: no OTP or nonce in the notes", tc->name);
	CHECK(strlen(cn.nonce) == VC_NONCE_LEN &&
	    strspn(cn.nonce, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz") == VC_NONCE_LEN,
	    "nonce of 32 alnum chars: %s", cn.nonce);
	for (size_t i = 0; i < k; i++)
		CHECK(strcmp(cn.nonces[i], cn.nonce) != 0,
		    "nonce %zu repeats %zu", k, i);
	snprintf(cn.nonces[k], sizeof(cn.nonces[k]), "%s", cn.nonce);
}

/* ---- the pieces ---- */

static int
t_start_fail(void *arg, const struct vc_cfg *cfg, char *const *u, size_t n,
    const struct timespec *deadline, void **state)
{
	return -1;
}

static int
t_next_fail(void *state, const struct timespec *deadline,
    struct vc_reply *out)
{
	return -1;
}

static int
t_next_bad_idx(void *state, const struct timespec *deadline,
    struct vc_reply *out)
{
	memset(out, 0, sizeof(*out));
	out->idx = 5;
	out->error = "x";
	return 1;
}

static void
test_errors(void)
{
	static const struct vc_transport no_start = { t_start_fail, c_next,
	    c_stop, NULL };
	static const struct vc_transport no_next = { c_start, t_next_fail,
	    c_stop, NULL };
	static const struct vc_transport bad_idx = { c_start, t_next_bad_idx,
	    c_stop, NULL };
	static const struct tcase one = { "errors", 1, false, { { 0 } },
	    VC_ERROR, 0, "" };
	struct vc_cfg cfg = { .urls = { urls[0] }, .nurls = 1, .id = 1,
	    .timeout_ms = 100 };
	struct vc_result res;

	cn.tc = &one;
	cn.id = 1;
#define ERROR_IF(otp, why) CHECK(vc_verify_with(&cfg, otp, &canned, &res) == \
	    VC_ERROR && res.verdict == VC_ERROR, "VC_ERROR for %s", why)
	ERROR_IF(OTP "ccccc", "a 49-character OTP");
	ERROR_IF("idkfefrdhtrutjduvtcjbfeuvhehdvj", "a 31-character OTP");
	ERROR_IF("IDKFEFRDHTRUTJDUVTCJBFEUVHEHDVJJLBCHTLENFGKU", "upper case");
	ERROR_IF("idkfefrdhtrutjduvtcjbfeuvhehdvjjlbchtlenfgk&", "not modhex");
	ERROR_IF(NULL, "no OTP");
	cfg.nurls = 0;
	ERROR_IF(OTP, "no URL");
	cfg.nurls = VC_MAX_URLS + 1;
	ERROR_IF(OTP, "too many URLs");
	cfg.nurls = 2;
	ERROR_IF(OTP, "a NULL URL");
	cfg.nurls = 1;
	cfg.id = 0;
	ERROR_IF(OTP, "id 0");
	cfg.id = 1;
	cfg.timeout_ms = 0;
	ERROR_IF(OTP, "no time");
	cfg.timeout_ms = 100;
#undef ERROR_IF
	cn.stops = 0;
	CHECK(vc_verify_with(&cfg, OTP, &no_start, &res) == VC_ERROR &&
	    cn.stops == 0, "a transport that cannot start");
	CHECK(vc_verify_with(&cfg, OTP, &no_next, &res) == VC_ERROR &&
	    cn.stops == 1, "a transport that fails while waiting is stopped");
	CHECK(vc_verify_with(&cfg, OTP, &bad_idx, &res) == VC_ERROR &&
	    cn.stops == 2, "a reply for a URL we did not ask");
}

static void
test_request(void)
{
	const char *err = NULL;
	char *q, *u, esc[64];

	q = request_query(1, OTP, "kakakakakakakakakakakaka", ckey,
	    (size_t)ckeylen, &err);
	CHECK(q != NULL && strcmp(q, "id=1&nonce=kakakakakakakakakakakaka&otp="
	    OTP "&h=ehhpPyH9W%2FuL5v%2F1XGd52oN8yMg%3D") == 0,
	    "signed query (protocol notes vector): %s", q);
	free(q);
	q = request_query(42, OTP, "kakakakakakakakakakakaka", NULL, 0, &err);
	CHECK(q != NULL && strcmp(q, "id=42&nonce=kakakakakakakakakakakaka&otp="
	    OTP) == 0, "unsigned query: %s", q);
	u = request_url("https://x.test/verify", q);
	CHECK(strncmp(u, "https://x.test/verify?id=42&", 28) == 0, "url %s", u);
	free(u);
	u = request_url("https://x.test/verify?a=b", q);
	CHECK(strncmp(u, "https://x.test/verify?a=b&id=42&", 32) == 0,
	    "url %s", u);
	free(u);
	free(q);
	{
		static const char *const shown[][2] = {
			{ "https://u:secret@x.test/v", "https://***@x.test/v" },
			{ "http://secret@x.test:80", "http://***@x.test:80" },
			{ "http://a@b:c@x.test/v?p=q@r", "http://***@x.test/v?p=q@r" },
			{ "https://x.test/v@w", "https://x.test/v@w" },
			{ "https://x.test", "https://x.test" },
		};
		char b[64];

		for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
			CHECK(strcmp(request_url_shown(shown[i][0], b,
			    sizeof(b)), shown[i][1]) == 0, "shown: %s", b);
	}
	CHECK(request_query(0, OTP, "x", NULL, 0, &err) == NULL &&
	    strcmp(err, "client id must be positive") == 0, "id 0: %s", err);
	request_escape("a+b/c= d&\xc3\xa9~-._%Z", esc);
	CHECK(strcmp(esc, "a%2Bb%2Fc%3D%20d%26%C3%A9~-._%25Z") == 0,
	    "percent-encoding: %s", esc);
}

static void
test_nonce(void)
{
	char a[VC_NONCE_LEN + 1], b[VC_NONCE_LEN + 1];
	int seen[62] = { 0 }, kinds = 0;

	for (int i = 0; i < 200; i++) {
		CHECK(request_nonce(a) == 0 && strlen(a) == VC_NONCE_LEN,
		    "nonce");
		CHECK(request_nonce(b) == 0 && strcmp(a, b) != 0,
		    "nonces differ");
		for (size_t j = 0; j < VC_NONCE_LEN; j++) {
			const char *al = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "abcdefghijklmnopqrstuvwxyz", *p = strchr(al, a[j]);

			CHECK(p != NULL, "alnum: %c", a[j]);
			if (p != NULL && seen[p - al]++ == 0)
				kinds++;
		}
	}
	CHECK(kinds == 62, "all 62 characters appear (%d)", kinds);
}

/* The parser alone. */
static void
parse_is(const char *body, size_t len, const char *want_err, size_t want_n)
{
	struct yk_params p = { .n = 0 };
	const char *err = NULL;
	int r = response_parse(body, len, &p, &err);

	if (want_err == NULL)
		CHECK(r == 0 && p.n == want_n, "parse '%s': %s, %zu pairs",
		    body, r == 0 ? "ok" : err, p.n);
	else
		CHECK(r == -1 && p.n == 0 && strcmp(err, want_err) == 0,
		    "reject '%s': got %s, want %s", body, r == 0 ? "ok" : err,
		    want_err);
	params_free(&p);
}

static void
test_parse(void)
{
	char many[2048] = "";

#define GOOD_(s, n)	parse_is(s, sizeof(s) - 1, NULL, n)
#define BAD_(s, e)	parse_is(s, sizeof(s) - 1, e, 0)
	GOOD_("a=b", 1);
	GOOD_("a=b\n", 1);
	GOOD_("a=b\r\nc=d\r\n\r\n", 2);
	GOOD_("a=b\nc=d\n\n\n", 2);
	GOOD_("a=b\r\nc=d\r", 2);
	GOOD_("a=\r\n", 1);
	GOOD_("h=a+b/c==\r\nA_9=x=y\r\n", 2);
	BAD_("", "empty reply");
	BAD_("\r\n", "empty reply");
	BAD_("=b\r\n", "parse error: not key=value");
	BAD_("ab\r\n", "parse error: not key=value");
	BAD_("a b=c\r\n", "parse error: bad key");
	BAD_("a-b=c\r\n", "parse error: bad key");
	BAD_("a=b\rc=d\r\n", "parse error: control or non-ASCII byte");
	BAD_("a=b\tc\r\n", "parse error: control or non-ASCII byte");
	BAD_("a=\xc3\xa9\r\n", "parse error: control or non-ASCII byte");
	BAD_("a=b\0c=d\r\n", "parse error: NUL byte");
	BAD_("a=b\r\n\r\nc=d\r\n", "parse error: text after a blank line");
	BAD_("\r\na=b\r\n", "parse error: text after a blank line");
	BAD_("a=b\r\na=c\r\n", "parse error: duplicate key");
#undef GOOD_
#undef BAD_
	for (int i = 0; i <= YK_PARAMS_MAX; i++)
		sprintf(many + strlen(many), "k%d=v\n", i);
	parse_is(many, strlen(many), "parse error: too many lines", 0);
	parse_is(many, VC_REPLY_MAX + 1, "reply too long", 0);
}

int
main(void)
{
	ckeylen = b64_decode(CLIENT_KEY, ckey, sizeof(ckey));
	wkeylen = b64_decode(WRONG_KEY, wkey, sizeof(wkey));
	CHECK(ckeylen == 20 && wkeylen == 20, "test keys");
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
		run_case(k);
	test_errors();
	test_request();
	test_nonce();
	test_parse();
	return tap_done("test_client");
}
