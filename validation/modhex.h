/* SPDX-License-Identifier: BSD-2-Clause */
/* modhex.h - the YubiKey "modified hex" alphabet and keyboard layouts */
#ifndef YK_MODHEX_H
#define YK_MODHEX_H

#include <stdbool.h>
#include <stddef.h>

#define YK_MODHEX_ALPHABET "cbdefghijklnrtuv"

/* True when s[0..len) is non-empty and made only of modhex characters. */
bool modhex_valid(const char *s, size_t len);

/*
 * Decode 2*n modhex characters into n bytes.  Returns 0, or -1 when a
 * character is outside the alphabet.
 */
int modhex_decode(const char *s, size_t n_bytes, unsigned char *out);

/* Encode n bytes as 2*n modhex characters plus a NUL. */
void modhex_encode(const unsigned char *in, size_t n, char *out);

/* Decode 2*n hex characters (either case) into n bytes; 0 or -1. */
int hex_decode(const char *s, size_t n_bytes, unsigned char *out);

/* Encode n bytes as 2*n lowercase hex characters plus a NUL. */
void hex_encode(const unsigned char *in, size_t n, char *out);

/* True when every character of s is in the US Dvorak image of modhex. */
bool dvorak_valid(const char *s, size_t len);

/* Map a Dvorak-typed modhex string in place (caller checked dvorak_valid). */
void dvorak_to_modhex(char *s, size_t len);

#endif
