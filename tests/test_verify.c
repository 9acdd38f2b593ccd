/* SPDX-License-Identifier: BSD-2-Clause */
/* test_verify.c - every status of /verify, decided against a real database */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "modhex.h"
#include "store.h"
#include "tap.h"
#include "verify.h"

#define CLIENT_KEY	"EHmo8FMxuhumBlTinC4uYL0Mgwg="
#define PUB		"idkfefrdhtru"
#define NONCE		"kakakakakakakakakakakaka"
#define NONCE2		"bakabakabakabaka"

static struct store *st;
static unsigned char aes[16];

/* What a node remembers (test_remembered): client mem, when have_mem. */
static struct client mem;
static bool have_mem, confirm;	/* confirm: the decision checks the client */
static unsigned decides, change_once;	/* decide calls; SV_CLIENT_CHANGED */
static unsigned fresh_reads, slow_ms;	/* client_get(fresh); decide's wait */

/*
 * store_client_get, with the digest a confirming backend adds (SQLite
 * does not; here the SHA-256 of the key stands in for the stored text's).
 */
static int
client_read(long id, struct client *out)
{
	int r = store_client_get(st, id, out);

	if (r == 1 && EVP_Digest(out->key, out->keylen, out->digest, NULL,
	    EVP_sha256(), NULL) != 1)
		r = -1;
	return r;
}

static int
be_client(void *arg, long id, bool fresh, struct client *out, bool *cached)
{
	fresh_reads += fresh;
	*cached = have_mem && !fresh && id == mem.id;
	if (*cached) {
		*out = mem;
		return 1;
	}
	return client_read(id, out);
}

static void
be_decide(void *arg, struct cas_item *it)
{
	decides++;
	if (slow_ms > 0)
		usleep(slow_ms * 1000);
	if (change_once > 0 && change_once-- > 0) {
		it->verdict = SV_CLIENT_CHANGED;
		return;
	}
	store_cas_batch(st, &it, 1);
	it->client_confirmed = confirm;
}

/* As a server's poller: the remembered client, or wait for a thread. */
static int
be_peek(void *arg, long id, struct client *out, bool *cached)
{
	*cached = have_mem && id == mem.id;
	if (!*cached)
		return VERIFY_WOULD_WAIT;
	*out = mem;
	return 1;
}

static struct verify_backend be = {
	.client_get = be_client, .decide = be_decide, .client_peek = be_peek,
};

/*
 * stepped: run() drives verify_step as ykvald does, without waiting
 * until the job says it must (waits counts those), and must come to the
 * same answers as verify_request.
 */
static bool stepped;
static unsigned waits;

static void
run_stepped(const struct yk_params *p, struct verify_result *res)
{
	struct verify_job j;
	enum verify_next n;

	verify_begin(&j, p, res);
	while ((n = verify_step(&j, p, &be, false)) != VERIFY_DONE) {
		if (n == VERIFY_WAIT) {
			waits++;
			n = verify_step(&j, p, &be, true);
		}
		if (n == VERIFY_DECIDE)
			be_decide(NULL, &j.it);
	}
	verify_job_clear(&j);
}

/* A fresh OTP for the test key. */
static const char *
gen(unsigned ctr, unsigned use, unsigned low)
{
	static char otp[64];
	struct yk_token t = { .ctr = (uint16_t)ctr, .use = (uint8_t)use,
	    .tstpl = (uint16_t)low, .tstph = 0x0f, .rnd = 0x1234 };

	hex_decode("609963eae7b5", 6, t.uid);
	memcpy(otp, PUB, 12);
	otp_encrypt(&t, aes, otp + 12);
	return otp;
}

/* Run a request given as key, value, ..., NULL; returns the status. */
static enum ykv_status
run(struct verify_result *res, const char *k, ...)
{
	struct yk_params p = { .n = 0 };
	va_list ap;

	va_start(ap, k);
	for (; k != NULL; k = va_arg(ap, const char *))
		params_set(&p, k, va_arg(ap, const char *));
	va_end(ap);
	if (stepped)
		run_stepped(&p, res);
	else
		verify_request(&p, &be, res);
	params_free(&p);
	return res->status;
}

/* Parse the reply and check its signature against key (NULL: empty). */
static void
reply_check(const struct verify_result *res, const char *key_b64,
    const char *want_line)
{
	struct timespec now = { 1577836800, 0 };
	struct yk_params p = { .n = 0 };
	unsigned char key[64];
	char buf[1024], *line, *save = NULL;
	int n = verify_reply(res, &now, buf, sizeof(buf)), klen = 0;

	CHECK(n > 0 && (size_t)n == strlen(buf) && n > 4 &&
	    strcmp(buf + n - 4, "\r\n\r\n") == 0, "reply ends in a blank line");
	CHECK(strncmp(buf, "h=", 2) == 0, "h comes first");
	CHECK(strstr(buf, "t=2020-01-01T00:00:00Z0000\r\n") != NULL, "t: %s", buf);
	CHECK(want_line == NULL || strstr(buf, want_line) != NULL,
	    "reply has '%s': %s", want_line, buf);
	for (line = strtok_r(buf, "\r\n", &save); line != NULL;
	    line = strtok_r(NULL, "\r\n", &save)) {
		char *eq = strchr(line, '=');

		if (eq != NULL) {
			*eq = '\0';
			params_set(&p, line, eq + 1);
		}
	}
	if (key_b64 != NULL)
		klen = b64_decode(key_b64, key, sizeof(key));
	CHECK(params_verify(&p, key, (size_t)klen), "reply signed with %s",
	    key_b64 ? key_b64 : "the empty key");
	params_free(&p);
}

static void
test_ok_and_replays(void)
{
	struct verify_result r;
	char otp[64];

	strcpy(otp, gen(1, 0, 0x8d40));
	CHECK(run(&r, "id", "1", "otp", otp, "nonce", NONCE, NULL) == YKV_OK,
	    "fresh OTP: %s", ykv_status_name(r.status));
	reply_check(&r, CLIENT_KEY, "status=OK\r\n");
	reply_check(&r, CLIENT_KEY, "\r\nsl=0\r\n");
	reply_check(&r, CLIENT_KEY, "\r\nnonce=" NONCE "\r\n");
	CHECK(run(&r, "id", "1", "otp", otp, "nonce", NONCE, NULL) ==
	    YKV_REPLAYED_REQUEST, "same request again: %s", ykv_status_name(r.status));
	reply_check(&r, CLIENT_KEY, "status=REPLAYED_REQUEST\r\n");
	CHECK(run(&r, "id", "1", "otp", otp, "nonce", NONCE2, NULL) ==
	    YKV_REPLAYED_OTP, "same OTP, new nonce: %s", ykv_status_name(r.status));
	reply_check(&r, CLIENT_KEY, "\r\notp=");
	CHECK(run(&r, "id", "1", "otp", gen(1, 1, 0x8d48), "nonce", NONCE,
	    "timestamp", "1", NULL) == YKV_OK, "next use");
	reply_check(&r, CLIENT_KEY, "\r\ntimestamp=1019208\r\nsessioncounter=1\r\nsessionuse=1\r\n");
	CHECK(run(&r, "id", "1", "otp", otp, "nonce", "zzzzzzzzzzzzzzzz", NULL) ==
	    YKV_REPLAYED_OTP, "an older OTP");
	CHECK(run(&r, "id", "1", "otp", gen(1, 1, 0x9000), "nonce", NONCE2, NULL) ==
	    YKV_REPLAYED_OTP, "same pair, new timestamp");
	CHECK(run(&r, "id", "1", "otp", gen(2, 0, 0x100), "nonce", NONCE2, NULL) ==
	    YKV_OK, "the counter moves on, use resets");
	CHECK(run(&r, "id", "1", "otp", gen(0x8003, 0, 0x100), "nonce", NONCE2,
	    "timestamp", "1", NULL) == YKV_OK, "caps-lock bit set");
	reply_check(&r, CLIENT_KEY, "sessioncounter=3\r\n");
	CHECK(run(&r, "id", "1", "otp", gen(3, 0, 0x100), "nonce", NONCE, NULL) ==
	    YKV_REPLAYED_OTP, "the caps-lock bit is masked for comparison");
	CHECK(run(&r, "id", "1", "otp", gen(1000, 0, 0x100), "nonce", NONCE, NULL) ==
	    YKV_OK, "any jump forward is fine");
}

static void
test_input_forms(void)
{
	struct verify_result r;
	char otp[64], up[64], dv[64];
	static const char qw[] = "cbdefghijklnrtuv", dvk[] = "jxe.uidchtnbpygk";

	strcpy(otp, gen(2000, 0, 1));
	for (size_t i = 0; otp[i]; i++)
		up[i + 1] = 0, up[i] = (char)(otp[i] - 32);
	CHECK(run(&r, "id", "1", "otp", up, "nonce", NONCE, NULL) == YKV_OK,
	    "upper case: %s", ykv_status_name(r.status));
	reply_check(&r, CLIENT_KEY, otp);
	strcpy(otp, gen(2001, 0, 1));
	for (size_t i = 0; otp[i]; i++)
		dv[i + 1] = 0, dv[i] = dvk[strchr(qw, otp[i]) - qw];
	CHECK(run(&r, "id", "1", "otp", dv, "nonce", NONCE, NULL) == YKV_OK,
	    "Dvorak: %s", ykv_status_name(r.status));
	reply_check(&r, CLIENT_KEY, otp);
	CHECK(run(&r, "id", " 1 ", "otp", gen(2002, 0, 1), "nonce",
	    "kaka\\kakakakakakakakakaka\n", NULL) == YKV_OK,
	    "values are trimmed and lose backslashes, as in YK-VAL");
}

static void
test_parameters(void)
{
	struct verify_result r;
	const char *otp = gen(3000, 0, 0);

#define MP(...) CHECK(run(&r, __VA_ARGS__, NULL) == YKV_MISSING_PARAMETER, \
	    "MISSING_PARAMETER for %s", #__VA_ARGS__)
	MP("id", "1", "otp", otp);
	MP("id", "1", "otp", otp, "nonce", "");
	MP("id", "1", "otp", otp, "nonce", "kakakakakakakak");
	MP("id", "1", "otp", otp, "nonce", "kakakakakakakakakakakakakakakakakakakakak");
	MP("id", "1", "otp", otp, "nonce", "kakakakakakakaka-");
	MP("otp", otp, "nonce", NONCE);
	MP("id", "0", "otp", otp, "nonce", NONCE);
	MP("id", "-1", "otp", otp, "nonce", NONCE);
	MP("id", "abc", "otp", otp, "nonce", NONCE);
	MP("id", "12345678901", "otp", otp, "nonce", NONCE);
	MP("id", "1", "otp", otp, "nonce", NONCE, "sl", "abc");
	MP("id", "1", "otp", otp, "nonce", NONCE, "sl", "-5");
	MP("id", "1", "otp", otp, "nonce", NONCE, "timeout", "1.5");
	MP("id", "1", "otp", "", "sl", "x");
#undef MP
	reply_check(&r, CLIENT_KEY, "status=MISSING_PARAMETER\r\n");
	CHECK(run(&r, "id", "99", "nonce", "", NULL) == YKV_MISSING_PARAMETER,
	    "unknown client");
	reply_check(&r, NULL, "status=MISSING_PARAMETER\r\n");
	CHECK(run(&r, "id", "1", "otp", "", "nonce", NONCE, NULL) == YKV_BAD_OTP,
	    "an empty OTP is BAD_OTP");
	CHECK(run(&r, "otp", "short", "nonce", NONCE, NULL) == YKV_BAD_OTP,
	    "the OTP is checked before the id");
	CHECK(run(&r, "id", "1", "otp", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    "nonce", NONCE, NULL) == YKV_BAD_OTP, "not modhex");
	CHECK(r.otp_echo == NULL, "no echo of a bad OTP");
	CHECK(run(&r, "id", "1", "otp", otp, "nonce", NONCE, "sl", "secure",
	    "timeout", "8", NULL) == YKV_OK, "sl=secure, timeout=8");
	CHECK(run(&r, "id", "1", "otp", gen(3001, 0, 0), "nonce", NONCE, "sl",
	    "0", "extra", "ignored", NULL) == YKV_OK, "sl=0 and unknown keys");
}

static void
test_clients_and_signatures(void)
{
	struct verify_result r;
	struct yk_params p = { .n = 0 };
	unsigned char key[32];
	char h[40];
	const char *otp = gen(4000, 0, 0);
	int klen = b64_decode(CLIENT_KEY, key, sizeof(key));

	CHECK(run(&r, "id", "2", "otp", otp, "nonce", NONCE, NULL) ==
	    YKV_NO_SUCH_CLIENT, "unknown client");
	reply_check(&r, NULL, "status=NO_SUCH_CLIENT\r\n");
	CHECK(run(&r, "id", "1", "otp", otp, "nonce", NONCE, "h",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", NULL) == YKV_BAD_SIGNATURE, "bad h");
	reply_check(&r, CLIENT_KEY, "status=BAD_SIGNATURE\r\n");
	CHECK(run(&r, "id", "1", "otp", otp, "nonce", NONCE, "h", "", NULL) ==
	    YKV_BAD_SIGNATURE, "empty h");
	params_set(&p, "id", "1");
	params_set(&p, "otp", otp);
	params_set(&p, "nonce", NONCE);
	params_set(&p, "timestamp", "1");
	params_sign(&p, key, (size_t)klen, h);
	CHECK(run(&r, "id", "1", "otp", otp, "nonce", NONCE, "timestamp", "1",
	    "h", h, NULL) == YKV_OK, "signed request");
	CHECK(run(&r, "id", "1", "otp", gen(4001, 0, 0), "nonce", NONCE,
	    "timestamp", "1", "h", h, NULL) == YKV_BAD_SIGNATURE,
	    "the signature covers the OTP");
	params_free(&p);
}

static void
test_bad_otps(void)
{
	struct verify_result r;
	char otp[64];

	strcpy(otp, gen(5000, 0, 0));
	otp[43] = otp[43] == 'c' ? 'b' : 'c';
	CHECK(run(&r, "id", "1", "otp", otp, "nonce", NONCE, NULL) == YKV_BAD_OTP,
	    "corrupt OTP");
	reply_check(&r, CLIENT_KEY, "status=BAD_OTP\r\n");
	memcpy(otp, "cccccccccccc", 12);
	CHECK(run(&r, "id", "1", "otp", otp, "nonce", NONCE, NULL) == YKV_BAD_OTP,
	    "unknown public ID");
	CHECK(run(&r, "id", "1", "otp", "idkfefrdhtrutjduvtcjbfeuvhehdvjjlbchtlenfgkv",
	    "nonce", NONCE, NULL) == YKV_BAD_OTP, "KSM selftest u->v");
	CHECK(store_key_set_active(st, PUB, false) == 0, "disable");
	CHECK(run(&r, "id", "1", "otp", gen(5001, 0, 0), "nonce", NONCE, NULL) ==
	    YKV_BAD_OTP, "disabled key");
	CHECK(store_key_set_active(st, PUB, true) == 0, "enable");
	CHECK(run(&r, "id", "1", "otp", gen(5002, 0, 0), "nonce", NONCE, NULL) ==
	    YKV_OK, "enabled again");
	CHECK(store_key_set_active(st, "vvvvvvvvvvvv", true) == -2, "no such key");
}

/*
 * A client the node remembers decides only OK (which the backend's
 * compare-and-set confirms) and BACKEND_ERROR; any other answer is
 * decided again with the database's client when that differs.
 */
static void
test_remembered(unsigned base)
{
	static const char new_key[] = "AAECAwQFBgcICQoLDA0ODxAREhM=";
	struct verify_result r;
	struct yk_params p = { .n = 0 };
	unsigned char key[32];
	char h[40], otp[64];
	int klen = b64_decode(new_key, key, sizeof(key));

	CHECK(client_read(1, &mem) == 1, "client 1 read");
	have_mem = true;
	decides = 0;
	strcpy(otp, gen(base + 0, 0, 0));
	otp[43] = otp[43] == 'c' ? 'b' : 'c';
	CHECK(run(&r, "id", "1", "otp", otp, "nonce", NONCE, NULL) ==
	    YKV_BAD_OTP && decides == 1, "unchanged client: BAD_OTP, decided "
	    "once (%u)", decides);
	/* The database's client gets a new key; the node still has the old. */
	CHECK(store_client_set_key(st, 1, new_key) == 0, "new client key");
	strcpy(otp, gen(base + 1, 0, 0));
	params_set(&p, "id", "1");
	params_set(&p, "otp", otp);
	params_set(&p, "nonce", NONCE);
	params_sign(&p, key, (size_t)klen, h);
	params_free(&p);
	CHECK(run(&r, "id", "1", "otp", otp, "nonce", NONCE, "h", h, NULL) ==
	    YKV_OK, "signed with the new key: %s", ykv_status_name(r.status));
	reply_check(&r, new_key, "status=OK\r\n");
	CHECK(run(&r, "id", "1", "otp", gen(base + 2, 0, 0), "nonce", NONCE,
	    NULL) == YKV_OK, "unsigned request: OK (confirmed by the backend)");
	reply_check(&r, CLIENT_KEY, "status=OK\r\n");
	CHECK(run(&r, "id", "1", "nonce", "", NULL) == YKV_MISSING_PARAMETER,
	    "an early error");
	reply_check(&r, new_key, "status=MISSING_PARAMETER\r\n");
	/* The compare-and-set finds the client changed: decided again. */
	change_once = 1;
	decides = 0;
	CHECK(run(&r, "id", "1", "otp", gen(base + 3, 0, 0), "nonce", NONCE,
	    NULL) == YKV_OK && decides == 2, "client changed under the decision: %s, "
	    "%u decisions", ykv_status_name(r.status), decides);
	reply_check(&r, new_key, "status=OK\r\n");
	/* Disabled in the database, still remembered. */
	CHECK(store_client_set_active(st, 1, false) == 0, "disable client 1");
	CHECK(run(&r, "id", "1", "otp", gen(base + 3, 0, 0), "nonce", NONCE2,
	    NULL) == YKV_NO_SUCH_CLIENT, "disabled, a replay: %s",
	    ykv_status_name(r.status));
	reply_check(&r, NULL, "status=NO_SUCH_CLIENT\r\n");
	change_once = 1;
	CHECK(run(&r, "id", "1", "otp", gen(base + 4, 0, 0), "nonce", NONCE,
	    NULL) == YKV_NO_SUCH_CLIENT, "disabled under the decision: %s",
	    ykv_status_name(r.status));
	CHECK(store_client_set_active(st, 1, true) == 0, "enable client 1");
	/* Changed twice: no key signs the answer. */
	change_once = 2;
	CHECK(run(&r, "id", "1", "otp", gen(base + 5, 0, 0), "nonce", NONCE,
	    NULL) == YKV_BACKEND_ERROR && r.client.keylen == 0,
	    "client changed twice: %s", ykv_status_name(r.status));
	reply_check(&r, NULL, "status=BACKEND_ERROR\r\n");
	/* Out of time: no second decision, and no key signs. */
	be.timeout_ms = 1;
	slow_ms = 5;
	change_once = 1;
	decides = 0;
	CHECK(run(&r, "id", "1", "otp", gen(base + 6, 0, 0), "nonce", NONCE,
	    NULL) == YKV_BACKEND_ERROR && decides == 1 && r.client.keylen == 0,
	    "client changed, out of time: %s, %u decisions",
	    ykv_status_name(r.status), decides);
	CHECK(run(&r, "id", "1", "otp", gen(base + 7, 0, 0), "nonce", NONCE,
	    NULL) == YKV_OK, "slow but OK: %s", ykv_status_name(r.status));
	fresh_reads = 0;
	CHECK(run(&r, "id", "1", "otp", gen(base + 7, 0, 0), "nonce", NONCE2,
	    NULL) == YKV_REPLAYED_OTP && fresh_reads == 0,
	    "a replay, out of time: kept (%u reads)", fresh_reads);
	be.timeout_ms = 0;
	slow_ms = 0;
	/* The database checked the client: a replay stands unread. */
	confirm = true;
	fresh_reads = 0;
	CHECK(run(&r, "id", "1", "otp", gen(base + 7, 0, 0), "nonce", NONCE2,
	    NULL) == YKV_REPLAYED_OTP && fresh_reads == 0,
	    "a replay the database checked the client of: %u reads",
	    fresh_reads);
	confirm = false;
	CHECK(run(&r, "id", "1", "otp", gen(base + 7, 0, 0), "nonce", NONCE2,
	    NULL) == YKV_REPLAYED_OTP && fresh_reads == 1,
	    "a replay the database did not check: %u reads", fresh_reads);
	CHECK(store_client_set_key(st, 1, CLIENT_KEY) == 0, "old key back");
	have_mem = false;
	explicit_bzero(&mem, sizeof(mem));
}

int
main(void)
{
	char path[] = "/tmp/test_verify.XXXXXX", db[64], err[256];
	struct key_rec k = { .public_id = PUB, .serial = 1 };
	struct verify_result r;
	long id = 1;

	if (mkdtemp(path) == NULL)
		return 99;
	snprintf(db, sizeof(db), "%s/v.db", path);
	if ((st = store_open(db, STORE_CREATE, err, sizeof(err))) == NULL) {
		printf("store_open: %s\n", err);
		return 99;
	}
	hex_decode("c68c9df8cbfe7d2f994cb904046c7218", 16, aes);
	memcpy(k.aes, aes, 16);
	hex_decode("609963eae7b5", 6, k.private_id);
	CHECK(store_client_add(st, &id, CLIENT_KEY) == 0, "client 1");
	CHECK(store_client_add(st, &id, CLIENT_KEY) == -2, "client 1 twice");
	CHECK(store_keys_add(st, &k, 1, err, sizeof(err)) == 0, "key: %s", err);
	CHECK(store_keys_add(st, &k, 1, err, sizeof(err)) == -2, "key twice");
	test_ok_and_replays();
	test_input_forms();
	test_parameters();
	test_clients_and_signatures();
	test_bad_otps();
	test_remembered(6000);
	/* The same, in steps, as ykvald's pollers take them. */
	stepped = true;
	waits = 0;
	test_remembered(6100);
	/* One for every answer a remembered client gave that is read again. */
	CHECK(waits == 10, "in steps: %u waits for a client read", waits);
	/* A client the node does not have: the poller waits for a thread. */
	waits = 0;
	CHECK(run(&r, "id", "1", "otp", gen(6200, 0, 0), "nonce", NONCE,
	    NULL) == YKV_OK && waits == 1, "first read in a thread: %s, %u "
	    "waits", ykv_status_name(r.status), waits);
	stepped = false;
	store_close(st);
	unlink(db);
	snprintf(err, sizeof(err), "%s/v.db-wal", path);
	unlink(err);
	snprintf(err, sizeof(err), "%s/v.db-shm", path);
	unlink(err);
	rmdir(path);
	return tap_done("test_verify");
}
