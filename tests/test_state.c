/* SPDX-License-Identifier: BSD-2-Clause */
/* test_state.c - challenge-response state files: pam_yubico's own, and bad ones */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "modhex.h"
#include "cr_state.h"
#include "tap.h"

/* Written by Debian's ykpamcfg (libpam-yubico 2.26): chalresp-vectors.md. */
#define CHAL2 "f480e5d374cd0b83bdba50a240bdc35a254b66ed106a4641eb50e99cf9eb62628e2ddab74bd0a28a7972f237f539fccf3715d664ddf93f7f5d7e0a831b7e7e"
#define V2_SLOT2 "v2:" CHAL2 ":0c78170e6024b63de153ac8af75f7457c448d018:b8c6d50e3771626e0bae77a7de4915fca8742442908d4205e161245a93f2a129:10000:2\n"
#define RESP2 "f0be492722fdc0e918985bf51c54c6dfcb2530cd"
#define CHAL1 "6b573b754a7f36a2ef4c31568dc7bbed6ca0e72a8b4c835fb84b4a065bdf4c6cbb2a466b72ecee8db075ef64ceaae9be579568f3fa76fde8208647b472cc64"
#define V2_SLOT1 "v2:" CHAL1 ":9e02387b557aa3b257867cbd10ecfefc5014f042:e18354b0aa81b9c7191db4697d41c8f6e72c8f0c19afa923a8b9408497994e2e:1000:1\n"
#define RESP1 "a9ee08203fc614b2fd6342671c0d39d4547de918"

static void
resp(const char *hex, unsigned char out[CR_RESPONSE_LEN])
{
	hex_decode(hex, CR_RESPONSE_LEN, out);
}

static void
good(const char *line, const char *resp_hex, int version, int slot,
    unsigned iter)
{
	struct cr_state st;
	unsigned char r[CR_RESPONSE_LEN];
	const char *err = "";
	char out[CR_STATE_MAX];

	CHECK(cr_state_parse(line, strlen(line), &st, &err) == 0 &&
	    st.version == version && st.slot == slot && st.iterations == iter,
	    "parse %.20s...: %s", line, err);
	resp(resp_hex, r);
	CHECK(cr_state_matches(&st, r), "the key's response matches");
	r[0] ^= 1;
	CHECK(!cr_state_matches(&st, r), "a wrong response does not");
	if (version == 2) {
		size_t n = strlen(line);

		CHECK(cr_state_format(&st, out, sizeof(out)) > 0 &&
		    strncmp(out, line, n) == 0 && (line[n - 1] == '\n' ||
		    strcmp(out + n, "\n") == 0), "v2 round trip byte for byte");
	} else {
		CHECK(cr_state_format(&st, out, sizeof(out)) < 0,
		    "v1 is never written");
	}
}

static void
bad(const char *line, const char *why)
{
	struct cr_state st;
	const char *err = NULL;

	CHECK(cr_state_parse(line, strlen(line), &st, &err) != 0 && err != NULL,
	    "should refuse %s", why);
}

/* Which file belongs to whom: one reading for every name. */
static void
test_names(void)
{
	struct stat sb;
	unsigned s = 99;

	CHECK(cr_state_name("alice", "alice", &s) == 1 && s == 0, "plain");
	CHECK(cr_state_name("alice-4242", "alice", &s) == 1 && s == 4242,
	    "serial");
	CHECK(cr_state_name("alice-04242", "alice", &s) == 0,
	    "a leading zero is no serial file");
	CHECK(cr_state_name("alice-4242-5555", "alice", &s) == 0,
	    "alice-4242-5555 is not alice's");
	CHECK(cr_state_name("alice-4242-5555", "alice-4242", &s) == 1 &&
	    s == 5555, "it is alice-4242's, for key 5555");
	CHECK(cr_state_name("alice-4242", "alice-4242", &s) == -1,
	    "alice-4242 is alice's key file, not alice-4242's plain file");
	CHECK(cr_state_name(".alice-4242.tmp", "alice", &s) == 0,
	    "a temporary file is nobody's state");
	CHECK(cr_name_has_serial("bob-1") && cr_name_has_serial("a-b-007") &&
	    !cr_name_has_serial("bob") && !cr_name_has_serial("bob-") &&
	    !cr_name_has_serial("bob-1x"), "names ending in -DIGITS");
	CHECK(cr_user_bad("alice") == NULL && cr_user_bad("al.ice-2") == NULL,
	    "ordinary account names");
	CHECK(cr_user_bad("") && cr_user_bad(".alice") && cr_user_bad("-a") &&
	    cr_user_bad("a/b") && cr_user_bad("a\nb") && cr_user_bad(".."),
	    "names that cannot name a state file");
	memset(&sb, 0, sizeof(sb));
	sb.st_uid = 0;
	sb.st_mode = S_IFREG | 0600;
	CHECK(cr_state_unsafe(&sb, 0, false) == NULL, "0600 is fine");
	sb.st_mode = S_IFREG | 0644;
	CHECK(cr_state_unsafe(&sb, 0, false) != NULL &&
	    strstr(cr_state_unsafe(&sb, 0, false), "chmod 600"),
	    "a file others can read (and lock) is refused, saying how to fix it");
	sb.st_mode = S_IFREG | 0640;
	CHECK(cr_state_unsafe(&sb, 0, false) != NULL, "group-readable");
	sb.st_mode = S_IFDIR | 0755;
	CHECK(cr_state_unsafe(&sb, 0, true) == NULL, "a readable directory");
}

int
main(void)
{
	test_names();
	char buf[1024];
	struct cr_state st, back;
	unsigned char chal[CR_CHALLENGE_LEN], r[CR_RESPONSE_LEN];
	const char *err;

	good(V2_SLOT2, RESP2, 2, 2, 10000);
	good(V2_SLOT1, RESP1, 2, 1, 1000);
	good("v2:" CHAL2 ":0c78170e6024b63de153ac8af75f7457c448d018:b8c6d50e3771626e0bae77a7de4915fca8742442908d4205e161245a93f2a129:10000:2",
	    RESP2, 2, 2, 10000);		/* no final newline */
	good("v1:" CHAL2 ":" RESP2 ":2\n", RESP2, 1, 2, 0);

	bad("", "an empty file");
	bad("v3:" CHAL2 ":" RESP2 ":2\n", "v3");
	bad("v2:" CHAL2 ":0c78170e6024b63de153ac8af75f7457c448d018:b8c6d50e3771626e0bae77a7de4915fca8742442908d4205e161245a93f2a129:0:2\n",
	    "zero iterations (any key would pass)");
	bad("v2:" CHAL2 ":0c78170e6024b63de153ac8af75f7457c448d018:b8c6d50e3771626e0bae77a7de4915fca8742442908d4205e161245a93f2a129:1000001:2\n",
	    "too many iterations");
	bad("v2:" CHAL2 ":0c78170e6024b63de153ac8af75f7457c448d018:b8c6d50e3771626e0bae77a7de4915fca8742442908d4205e161245a93f2a129:010000:2\n",
	    "a leading zero");
	bad("v2:" CHAL2 ":0c78170e6024b63de153ac8af75f7457c448d018:b8c6d50e3771626e0bae77a7de4915fca8742442908d4205e161245a93f2a129:10000:3\n",
	    "slot 3");
	bad("v2:" CHAL2 ":0c78170e6024b63de153ac8af75f7457c448d018:b8c6d50e3771626e0bae77a7de4915fca8742442908d4205e161245a93f2a129:10000:2x\n",
	    "trailing garbage");
	bad("v2:" CHAL2 ":0c78170e6024b63de153ac8af75f7457c448d018:b8c6d50e3771626e0bae77a7de4915fca8742442908d4205e161245a93f2a129:10000:2\r\n",
	    "CRLF");
	bad(V2_SLOT2 V2_SLOT2, "two lines");
	bad("v2:" CHAL2 ":0c78170e6024b63de153ac8af75f7457c448d01:b8c6d50e3771626e0bae77a7de4915fca8742442908d4205e161245a93f2a129:10000:2\n",
	    "an odd-length digest");
	bad("v2:" CHAL2 ":0c78:b8c6d50e3771626e0bae77a7de4915fca8742442908d4205e161245a93f2a129:10000:2\n",
	    "a truncated digest (pam_yubico would compare 2 bytes)");
	bad("v2:" CHAL2 "00:0c78170e6024b63de153ac8af75f7457c448d018:b8c6d50e3771626e0bae77a7de4915fca8742442908d4205e161245a93f2a129:10000:2\n",
	    "a 64-byte challenge");
	bad("v2:f480:0c78170e6024b63de153ac8af75f7457c448d018:b8c6d50e3771626e0bae77a7de4915fca8742442908d4205e161245a93f2a129:10000:2\n",
	    "a short challenge");
	bad("v2:" CHAL2 ":0C78170E6024B63DE153AC8AF75F7457C448D018:b8c6d50e3771626e0bae77a7de4915fca8742442908d4205e161245a93f2a129:10000:2\n",
	    "upper-case hex");
	bad("v2:" CHAL2 ":0c78170e6024b63de153ac8af75f7457c448d018:b8c6d50e3771626e0bae77a7de4915fca8742442908d4205e161245a9:10000:2\n",
	    "a short salt");
	bad("v2:" CHAL2 ":0c78170e6024b63de153ac8af75f7457c448d018:b8c6d50e3771626e0bae77a7de4915fca8742442908d4205e161245a93f2a129:10000\n",
	    "no slot");
	bad("v2:" CHAL2 ":0c78170e6024b63de153ac8af75f7457c448d018:b8c6d50e3771626e0bae77a7de4915fca8742442908d4205e161245a93f2a129", "truncated after the salt");
	bad("v1:" CHAL2 ":" RESP2 ":3\n", "v1 slot 3");
	bad("v1:" CHAL2 ":" RESP2 "\n", "v1 without a slot");
	bad("v2:" CHAL2 ":0c78170e6024b63de153ac8af75f7457c448d018:b8c6d50e3771626e0bae77a7de4915fca8742442908d4205e161245a93f2a129:-1:2\n",
	    "a negative count");

	/* make -> format -> parse -> matches */
	CHECK(cr_new_challenge(chal) == 0 && chal[CR_CHALLENGE_LEN - 1] != 0,
	    "a new challenge never ends in 0x00");
	resp(RESP2, r);
	CHECK(cr_state_make(&st, 1, 1000, chal, r) == 0, "make");
	CHECK(cr_state_format(&st, buf, sizeof(buf)) == 243,
	    "a v2 line with 1000 iterations is 243 bytes");
	CHECK(cr_state_parse(buf, strlen(buf), &back, &err) == 0 &&
	    cr_state_matches(&back, r), "what we write, we read");
	CHECK(memcmp(back.salt, st.salt, CR_SALT_LEN) == 0, "salt kept");
	CHECK(cr_state_make(&st, 3, 1000, chal, r) != 0, "slot 3 is not made");
	CHECK(cr_state_make(&st, 1, 0, chal, r) != 0, "0 iterations is not made");
	{
		unsigned char other[CR_RESPONSE_LEN];

		memcpy(other, r, sizeof(other));
		err = NULL;
		CHECK(cr_state_next(&st, 1, 1000, chal, r, other, &err) != 0 &&
		    err != NULL && strstr(err, "HMAC_LT64") != NULL,
		    "a key that answers every challenge alike is refused");
		other[0] ^= 1;
		CHECK(cr_state_next(&st, 2, 1000, chal, r, other, &err) == 0 &&
		    st.slot == 2 && cr_state_matches(&st, r),
		    "the next state, from two different answers");
	}
	return tap_done("test_state");
}
