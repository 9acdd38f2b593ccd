/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * wipe.h - forget a secret string: the one way the tree wipes and frees
 * what may hold an OTP, a key, a PIN or a password.  A buffer of known
 * size is wiped with explicit_bzero itself.  Header-only, so that every
 * library (the module, the validation code, ykvald) uses it without a
 * link dependency.
 */
#ifndef YK_WIPE_H
#define YK_WIPE_H

#include <stdlib.h>
#include <string.h>

/* Wipe the string *s up to its NUL, free it and set *s to NULL; NULL-safe. */
static inline void
wipe_free(char **s)
{
	if (*s != NULL) {
		explicit_bzero(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

#endif
