/* SPDX-License-Identifier: BSD-2-Clause */
/* modhex.c - modhex, hex and Dvorak conversions (pure) */
#include "config.h"

#include <string.h>

#include "modhex.h"

/* Position i of each string is nibble i; the Dvorak row types the same key. */
static const char modhex_map[] = YK_MODHEX_ALPHABET;
static const char dvorak_map[] = "jxe.uidchtnbpygk";

static int
nibble_of(const char *map, char c)
{
	const char *p;

	if (c == '\0')
		return -1;
	p = strchr(map, c);
	return p != NULL ? (int)(p - map) : -1;
}

static int
hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
modhex_nibble(char c)
{
	return nibble_of(modhex_map, c);
}

/* n_bytes from 2 * n_bytes digits, nibble() telling each digit's value. */
static int
decode(const char *s, size_t n_bytes, unsigned char *out, int (*nibble)(char))
{
	for (size_t i = 0; i < n_bytes; i++) {
		int hi = nibble(s[2 * i]);
		int lo = hi < 0 ? -1 : nibble(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* Two digits of map (nibble i is map[i]) a byte, then a NUL. */
static void
encode(const unsigned char *in, size_t n, char *out, const char *map)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = map[in[i] >> 4];
		out[2 * i + 1] = map[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

/* Are the len (> 0) characters of s all digits of map? */
static bool
all_in(const char *map, const char *s, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (nibble_of(map, s[i]) < 0)
			return false;
	return true;
}

bool
modhex_valid(const char *s, size_t len)
{
	return all_in(modhex_map, s, len);
}

int
modhex_decode(const char *s, size_t n_bytes, unsigned char *out)
{
	return decode(s, n_bytes, out, modhex_nibble);
}

void
modhex_encode(const unsigned char *in, size_t n, char *out)
{
	encode(in, n, out, modhex_map);
}

int
hex_decode(const char *s, size_t n_bytes, unsigned char *out)
{
	return decode(s, n_bytes, out, hex_nibble);
}

void
hex_encode(const unsigned char *in, size_t n, char *out)
{
	encode(in, n, out, "0123456789abcdef");
}

bool
dvorak_valid(const char *s, size_t len)
{
	return all_in(dvorak_map, s, len);
}

void
dvorak_to_modhex(char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int n = nibble_of(dvorak_map, s[i]);

		if (n >= 0)
			s[i] = modhex_map[n];
	}
}
