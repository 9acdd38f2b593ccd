/* SPDX-License-Identifier: BSD-2-Clause */
/* fuzz_otp.c - bytes through the OTP normaliser and the token decoder */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "otp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char key[YK_AES_LEN];
	char *s = malloc(size + 1);
	const char *err;
	struct yk_otp o;
	struct yk_token t;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (otp_normalise(s, &o, &err) == 0) {
		if (strlen(o.otp) != o.len || o.len < YK_OTP_MIN || o.len > YK_OTP_MAX)
			abort();
		otp_decrypt(o.otp + otp_pubid_len(o.len), key, &t);
	}
	free(s);
	return 0;
}
