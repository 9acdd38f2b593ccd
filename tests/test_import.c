/* SPDX-License-Identifier: BSD-2-Clause */
/* test_import.c - the key import line parser */
#include "config.h"

#include <string.h>

#include "import.h"
#include "tap.h"

#define PRIV "609963eae7b5"
#define AES "c68c9df8cbfe7d2f994cb904046c7218"

static void
good(const char *line, const char *pub, long serial)
{
	struct key_rec k;
	const char *err = "";

	CHECK(import_parse_line(line, &k, &err) == IMPORT_KEY &&
	    strcmp(k.public_id, pub) == 0 && k.serial == serial &&
	    k.private_id[0] == 0x60 && k.aes[15] == 0x18,
	    "should import '%s' (%s)", line, err);
}

static void
skip(const char *line)
{
	struct key_rec k;
	const char *err = "";

	CHECK(import_parse_line(line, &k, &err) == IMPORT_SKIP,
	    "should skip '%s' (%s)", line, err);
}

static void
bad(const char *line, const char *why)
{
	struct key_rec k;
	const char *err = NULL;

	CHECK(import_parse_line(line, &k, &err) == IMPORT_ERROR && err != NULL,
	    "should refuse '%s': %s", line, why);
}

int
main(void)
{
	char longline[5000];

	/* ykman --config-output */
	good("12345678,idkfefrdhtru," PRIV "," AES ",,2024-01-01T10:00:00,", "idkfefrdhtru", 12345678);
	good(",idkfefrdhtru," PRIV "," AES ",,2024-01-01T10:00:00,\r\n", "idkfefrdhtru", 0);
	/* ykksm 1 */
	good("4711,idkfefrdhtru," PRIV "," AES ",000000000000,2008-04-07T12:00:00,,1 # hi", "idkfefrdhtru", 4711);
	good("1,cccc," PRIV "," AES, "cccc", 1);
	good(" 1 , idkfefrdhtru , " PRIV " , " AES " ", "idkfefrdhtru", 1);
	good("1,idkfefrdhtru,609963EAE7B5,C68C9DF8CBFE7D2F994CB904046C7218", "idkfefrdhtru", 1);
	/* Personalization Tool log */
	good("Yubico OTP,12/15/2016 10:20,1,idkfefrdhtru," PRIV "," AES ",,,0,0,0,0,0,0,0,0,0,0", "idkfefrdhtru", 0);
	skip("");
	skip("\r\n");
	skip("# ykksm 1");
	skip("   # comment");
	skip("LOGGING START,12/15/2016 10:20");
	skip("serial,public_id,private_id,aes_key");
	skip("OATH-HOTP,12/15/2016 10:20,1,,,3132333435363738393031323334353637383930,,");
	bad("1,idkfefrdhtru," PRIV, "three fields");
	bad("1,," PRIV "," AES, "empty public ID");
	bad("1,ccccccccccccccccc," PRIV "," AES, "17-char public ID");
	bad("1,abcdefabcdef," PRIV "," AES, "hex public ID");
	bad("1,idkfefrdhtru,609963eae7b," AES, "11-digit private ID");
	bad("1,idkfefrdhtru,609963eae7bx," AES, "non-hex private ID");
	bad("1,idkfefrdhtru," PRIV ",c68c9df8cbfe7d2f994cb904046c721", "short AES key");
	bad("1,idkfefrdhtru," PRIV "," AES "00", "long AES key");
	bad("1,idkfefrdhtru," PRIV ",c68c9df8cbfe7d2f994cb904046c72zz", "non-hex AES key");
	bad("-1,idkfefrdhtru," PRIV "," AES, "negative serial");
	bad("12345678901,idkfefrdhtru," PRIV "," AES, "serial too long");
	bad("Yubico OTP,date,1,idkfefrdhtru," PRIV, "short PT line");
	bad("1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25", "too many fields");
	memset(longline, 'c', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	bad(longline, "a 5000-byte line");
	return tap_done("test_import");
}
