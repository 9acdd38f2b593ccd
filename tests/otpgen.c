/* SPDX-License-Identifier: BSD-2-Clause */
/* otpgen.c - test generator: one Yubico OTP from explicit fields */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modhex.h"
#include "otp.h"

int
main(int argc, char **argv)
{
	struct yk_token t = { 0 };
	unsigned char aes[16];
	char out[YK_TOKEN_CHARS + 1];
	unsigned long ts;

	if (argc < 6 || argc > 8) {
		fprintf(stderr, "usage: otpgen PUBID PRIVHEX AESHEX CTR USE "
		    "[TIMESTAMP] [RND]\n");
		return 2;
	}
	if (strlen(argv[1]) > YK_PUBID_MAX || strlen(argv[2]) != 12 ||
	    strlen(argv[3]) != 32 || hex_decode(argv[2], 6, t.uid) != 0 ||
	    hex_decode(argv[3], 16, aes) != 0) {
		fprintf(stderr, "otpgen: bad public ID, private ID or key\n");
		return 2;
	}
	t.ctr = (uint16_t)strtoul(argv[4], NULL, 0);
	t.use = (uint8_t)strtoul(argv[5], NULL, 0);
	ts = argc > 6 ? strtoul(argv[6], NULL, 0) : 0x0f8d40;
	t.tstpl = (uint16_t)(ts & 0xffff);
	t.tstph = (uint8_t)(ts >> 16);
	t.rnd = (uint16_t)(argc > 7 ? strtoul(argv[7], NULL, 0) : 0x5447);
	if (otp_encrypt(&t, aes, out) != 0)
		return 1;
	printf("%s%s\n", argv[1], out);
	return 0;
}
