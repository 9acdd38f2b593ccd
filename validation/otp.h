/* SPDX-License-Identifier: BSD-2-Clause */
/* otp.h - Yubico OTP strings and their decrypted 16-byte token (pure) */
#ifndef YK_OTP_H
#define YK_OTP_H

#include <stddef.h>
#include <stdint.h>

#define YK_TOKEN_CHARS	32	/* modhex of one AES block */
#define YK_PUBID_MAX	16	/* public ID: 0..16 modhex characters */
#define YK_OTP_MIN	YK_TOKEN_CHARS
#define YK_OTP_MAX	(YK_PUBID_MAX + YK_TOKEN_CHARS)
#define YK_UID_LEN	6
#define YK_AES_LEN	16
#define YK_CRC_RESIDUE	0xf0b8

struct yk_token {
	unsigned char	uid[YK_UID_LEN];	/* private ID */
	uint16_t	ctr;	/* usage counter; bit 15 is the caps-lock flag */
	uint16_t	tstpl;	/* timestamp, low 16 bits */
	uint8_t		tstph;	/* timestamp, high 8 bits */
	uint8_t		use;	/* session use counter */
	uint16_t	rnd;
	uint16_t	crc;
};

/* The OTP as typed, made canonical. */
struct yk_otp {
	char	otp[YK_OTP_MAX + 1];	/* lowercase modhex */
	/*
	 * When every character is both modhex and Dvorak-modhex the input
	 * is ambiguous; alt then holds the Dvorak reading, else "".
	 */
	char	alt[YK_OTP_MAX + 1];
	size_t	len;
};

uint16_t yk_crc16(const unsigned char *buf, size_t len);

/*
 * Trim white space, lowercase, map US Dvorak to modhex when the input is
 * not modhex, and check 32..48 modhex characters.  Returns 0, or -1 with
 * *errstr set.
 */
int otp_normalise(const char *in, struct yk_otp *out, const char **errstr);

/* Length of the public ID of a canonical OTP string of length len. */
static inline size_t
otp_pubid_len(size_t len)
{
	return len - YK_TOKEN_CHARS;
}

/*
 * Decrypt the 32-character modhex token with the AES-128 key and parse the
 * little-endian fields.  Returns 0 when the CRC residue is right, -1 on a
 * bad encoding, a crypto failure or a bad CRC.  The UID is not checked.
 */
int otp_decrypt(const char *token, const unsigned char key[YK_AES_LEN],
    struct yk_token *tok);

/*
 * The inverse, for generators: sets tok->crc and writes 32 modhex
 * characters plus a NUL to out.  Returns 0 or -1.
 */
int otp_encrypt(struct yk_token *tok, const unsigned char key[YK_AES_LEN],
    char out[YK_TOKEN_CHARS + 1]);

/* The token's 24-bit timestamp. */
static inline unsigned long
otp_timestamp(const struct yk_token *t)
{
	return (unsigned long)t->tstph << 16 | t->tstpl;
}

#endif
