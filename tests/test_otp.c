/* SPDX-License-Identifier: BSD-2-Clause */
/* test_otp.c - modhex, CRC, normalisation and the AES token codec */
#include "config.h"

#include <string.h>

#include "modhex.h"
#include "otp.h"
#include "tap.h"

static void
unhex(const char *s, unsigned char *out, size_t n)
{
	if (hex_decode(s, n, out) != 0)
		printf("bad hex in the test itself: %s\n", s);
}

static void
test_crc(void)
{
	static const unsigned char a[] = { 0xfe }, b[] = { 0x55, 0xaa, 0, 0xff };
	unsigned char c[14];

	unhex("010203040506307500093dfa60ea", c, 14);
	CHECK(yk_crc16(a, 1) == 4470, "crc16(fe)");
	CHECK(yk_crc16(b, 4) == 52149, "crc16(55aa00ff)");
	CHECK(yk_crc16(c, 14) == 35339, "crc16(selftest block)");
}

static void
test_modhex(void)
{
	unsigned char key[16], back[16], t[4] = { 't', 'e', 's', 't' };
	char out[64];

	unhex("ecde18dbe76fbd0c33330f1c354871db", key, 16);
	modhex_encode(key, 16, out);
	CHECK(strcmp(out, "urtubjtnuihvntcreeeecvbregfjibtn") == 0, "encode %s", out);
	CHECK(modhex_decode(out, 16, back) == 0 && memcmp(back, key, 16) == 0,
	    "round trip");
	modhex_encode(t, 4, out);
	CHECK(strcmp(out, "ifhgieif") == 0, "test -> %s", out);
	CHECK(modhex_decode("ca", 1, back) != 0, "a is not modhex");
	CHECK(!modhex_valid("", 0), "empty is not modhex");
	CHECK(!modhex_valid("cbx", 3), "x is not modhex");
	CHECK(hex_decode("0G", 1, back) != 0, "G is not hex");
	CHECK(hex_decode("aF", 1, back) == 0 && back[0] == 0xaf, "aF");
}

/* Normalisation: good inputs and what they become. */
static void
norm_ok(const char *in, const char *want, const char *alt)
{
	struct yk_otp o;
	const char *err = NULL;
	int r = otp_normalise(in, &o, &err);

	CHECK(r == 0 && strcmp(o.otp, want) == 0 && strcmp(o.alt, alt) == 0,
	    "normalise '%s' -> r=%d '%s' alt '%s' (%s)", in, r, o.otp, o.alt,
	    err ? err : "");
}

static void
norm_bad(const char *in, const char *why)
{
	struct yk_otp o;
	const char *err = NULL;

	CHECK(otp_normalise(in, &o, &err) != 0 && err != NULL,
	    "normalise should refuse %s", why);
}

static void
test_normalise(void)
{
	const char *q = "idkfefrdhtrutjduvtcjbfeuvhehdvjjlbchtlenfgku";

	norm_ok(q, q, "");
	norm_ok("  IDKFEFRDHTRUTJDUVTCJBFEUVHEHDVJJLBCHTLENFGKU\r\n", q, "");
	norm_ok("cetu.upedypgyhegkyjhxu.gkd.dekhhnxjdyn.buitg", q, "");
	norm_ok("CETU.UPEDYPGYHEGKYJHXU.GKD.DEKHHNXJDYN.BUITG", q, "");
	/* only letters both alphabets share: ambiguous, modhex first */
	norm_ok("cccccccccccccccccccccccccccccccc", "cccccccccccccccccccccccccccccccc",
	    "iiiiiiiiiiiiiiiiiiiiiiiiiiiiiiii");
	norm_ok("cbdefghijklnrtuvcbdefghijklnrtuv", "cbdefghijklnrtuvcbdefghijklnrtuv", "");
	norm_bad("", "empty");
	norm_bad("cccccccccccccccccccccccccccccc", "30 chars");
	norm_bad("ccccccccccccccccccccccccccccccccccccccccccccccccc", "49 chars");
	norm_bad("idkfefrdhtrutjduvtcjbfeuvhehdvjjlbchtlenfgka", "an 'a'");
	norm_bad("idkfefrdhtrutjduvtcjbfeuvhehdvjjlbc.xpyenfgk", "mixed layouts");
	norm_bad("idkfefrdhtru tjduvtcjbfeuvhehdvjjlbchtlenfgku", "inner space");
	norm_bad("idkfefrdhtrutjduvtcjbfeuvhehdvjjlbchtlenfgk\xc3\xa9", "UTF-8");
}

struct vec {
	const char	*key, *uid;
	unsigned	ctr, tstpl, tstph, use, rnd, crc;
	const char	*token;
};

static const struct vec vecs[] = {
	/* libyubikey test-vectors.txt */
	{ "ecde18dbe76fbd0c33330f1c354871db", "8792ebfe26cc", 19, 0xc230, 0,
	  0x11, 0x9fc8, 0xc823, "hknhfjbrjnlnldnhcujvddbikngjrtgh" },
	/* yubico-c selftest */
	{ "000102030405060708090a0b0c0d0e0f", "010203040506", 1, 1, 1, 1, 0,
	  0xfe36, "dvgtiblfkbgturecfllberrvkinnctnn" },
	{ "00000000000000000000000000000000", "000000000000", 0, 0, 0, 0, 0,
	  0xa96a, "kkkncjnvcnenkjvjgncjihljiibgbhbh" },
	/* YK-KSM selftest and the replay sequence */
	{ "c68c9df8cbfe7d2f994cb904046c7218", "609963eae7b5", 1, 0x8d40, 0x0f,
	  0, 0x5447, 0, "tjduvtcjbfeuvhehdvjjlbchtlenfgku" },
	{ "c68c9df8cbfe7d2f994cb904046c7218", "609963eae7b5", 1, 0x8d48, 0x0f,
	  1, 0x1234, 0, "lltfdldtugukdleibbbtdudblctjvikv" },
	{ "c68c9df8cbfe7d2f994cb904046c7218", "609963eae7b5", 1, 0x8e40, 0x0f,
	  2, 0xbeef, 0, "lvngedugnbututudegvhnvruvcjnjhtb" },
	{ "c68c9df8cbfe7d2f994cb904046c7218", "609963eae7b5", 2, 0x0100, 0x0f,
	  0, 0x4242, 0, "dkkeftedklitcrkevrlldfrgriiuvicj" },
};

static void
test_vectors(void)
{
	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		const struct vec *v = &vecs[i];
		unsigned char key[16], uid[6];
		struct yk_token t, g;
		char out[33];
		int r;

		unhex(v->key, key, 16);
		unhex(v->uid, uid, 6);
		r = otp_decrypt(v->token, key, &t);
		CHECK(r == 0, "vector %zu decrypts", i);
		CHECK(memcmp(t.uid, uid, 6) == 0, "vector %zu uid", i);
		CHECK(t.ctr == v->ctr && t.use == v->use && t.rnd == v->rnd,
		    "vector %zu ctr %u use %u rnd %04x", i, t.ctr, t.use, t.rnd);
		CHECK(t.tstpl == v->tstpl, "vector %zu tstpl %04x", i, t.tstpl);
		if (i < 3)
			CHECK(t.tstph == v->tstph && t.crc == v->crc,
			    "vector %zu tstph %u crc %04x", i, t.tstph, t.crc);
		g = t;
		CHECK(otp_encrypt(&g, key, out) == 0 && strcmp(out, v->token) == 0,
		    "vector %zu re-encrypts to %s", i, out);
	}
}

static void
test_decrypt_rejects(void)
{
	unsigned char key[16];
	struct yk_token t;

	unhex("c68c9df8cbfe7d2f994cb904046c7218", key, 16);
	CHECK(otp_decrypt("tjduvtcjbfeuvhehdvjjlbchtlenfgkv", key, &t) != 0,
	    "one changed character breaks the CRC");
	CHECK(otp_decrypt("tjduvtcjbfeuvhehdvjjlbchtlenfgk", key, &t) != 0,
	    "31 characters");
	CHECK(otp_decrypt("tjduvtcjbfeuvhehdvjjlbchtlenfgka", key, &t) != 0,
	    "non-modhex");
	key[0] ^= 1;
	CHECK(otp_decrypt("tjduvtcjbfeuvhehdvjjlbchtlenfgku", key, &t) != 0,
	    "wrong key");
	CHECK(t.ctr == 0 && t.use == 0, "no fields leak on failure");
}

int
main(void)
{
	test_crc();
	test_modhex();
	test_normalise();
	test_vectors();
	test_decrypt_rejects();
	return tap_done("test_otp");
}
