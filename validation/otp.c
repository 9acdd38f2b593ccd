/* SPDX-License-Identifier: BSD-2-Clause */
/* otp.c - Yubico OTP normalisation, CRC and AES token codec (pure) */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "modhex.h"
#include "otp.h"

uint16_t
yk_crc16(const unsigned char *buf, size_t len)
{
	uint16_t crc = 0xffff;

	for (size_t i = 0; i < len; i++) {
		crc ^= buf[i];
		for (int b = 0; b < 8; b++)
			crc = (crc & 1) ? (uint16_t)(crc >> 1 ^ 0x8408) :
			    (uint16_t)(crc >> 1);
	}
	return crc;
}

int
otp_normalise(const char *in, struct yk_otp *out, const char **errstr)
{
	size_t len;

	memset(out, 0, sizeof(*out));
	while (*in != '\0' && isspace((unsigned char)*in))
		in++;
	len = strlen(in);
	while (len > 0 && isspace((unsigned char)in[len - 1]))
		len--;
	if (len < YK_OTP_MIN || len > YK_OTP_MAX) {
		*errstr = "OTP must be 32 to 48 characters";
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		out->otp[i] = (char)tolower((unsigned char)in[i]);
	out->len = len;
	if (modhex_valid(out->otp, len)) {
		if (dvorak_valid(out->otp, len)) {
			memcpy(out->alt, out->otp, len);
			dvorak_to_modhex(out->alt, len);
		}
		return 0;
	}
	if (dvorak_valid(out->otp, len)) {
		dvorak_to_modhex(out->otp, len);
		return 0;
	}
	explicit_bzero(out, sizeof(*out));
	*errstr = "OTP is not modhex (nor modhex typed on a Dvorak keyboard)";
	return -1;
}

/* One AES-128-ECB block, no padding. */
static int
aes_block(int enc, const unsigned char key[YK_AES_LEN],
    const unsigned char in[16], unsigned char out[16])
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, r = -1;

	if (ctx == NULL)
		return -1;
	if (EVP_CipherInit_ex(ctx, EVP_aes_128_ecb(), NULL, key, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ctx, 0) != 1 ||
	    EVP_CipherUpdate(ctx, out, &n, in, 16) != 1 || n != 16)
		goto out;
	r = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

static uint16_t
le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void
put_le16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v & 0xff);
	p[1] = (unsigned char)(v >> 8);
}

int
otp_decrypt(const char *token, const unsigned char key[YK_AES_LEN],
    struct yk_token *tok)
{
	unsigned char ct[16], pt[16];
	int r = -1;

	memset(tok, 0, sizeof(*tok));
	if (strlen(token) != YK_TOKEN_CHARS || modhex_decode(token, 16, ct) != 0)
		goto out;
	if (aes_block(0, key, ct, pt) != 0)
		goto out;
	if (yk_crc16(pt, sizeof(pt)) != YK_CRC_RESIDUE)
		goto out;
	memcpy(tok->uid, pt, YK_UID_LEN);
	tok->ctr = le16(pt + 6);
	tok->tstpl = le16(pt + 8);
	tok->tstph = pt[10];
	tok->use = pt[11];
	tok->rnd = le16(pt + 12);
	tok->crc = le16(pt + 14);
	r = 0;
out:
	explicit_bzero(pt, sizeof(pt));
	if (r != 0)
		explicit_bzero(tok, sizeof(*tok));
	return r;
}

int
otp_encrypt(struct yk_token *tok, const unsigned char key[YK_AES_LEN],
    char out[YK_TOKEN_CHARS + 1])
{
	unsigned char pt[16], ct[16];
	int r = -1;

	memcpy(pt, tok->uid, YK_UID_LEN);
	put_le16(pt + 6, tok->ctr);
	put_le16(pt + 8, tok->tstpl);
	pt[10] = tok->tstph;
	pt[11] = tok->use;
	put_le16(pt + 12, tok->rnd);
	tok->crc = (uint16_t)~yk_crc16(pt, 14);
	put_le16(pt + 14, tok->crc);
	if (aes_block(1, key, pt, ct) != 0)
		goto out;
	modhex_encode(ct, sizeof(ct), out);
	r = 0;
out:
	explicit_bzero(pt, sizeof(pt));
	return r;
}
