/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * wipe.h - forget a secret string: the one way the tree wipes and frees
 * what may hold an OTP, a key, a PIN or a password.  A buffer of known
 * size is wiped with explicit_bzero itself.  Also the memory for secrets
 * a process keeps a while (ykvald's remembered keys and clients).
 * Header-only, so that every library (the module, the validation code,
 * ykvald) uses it without a link dependency.
 */
#ifndef YK_WIPE_H
#define YK_WIPE_H

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

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

/*
 * len bytes, zeroed, for secrets kept a while: a mapping of their own,
 * left out of core dumps (MADV_DONTDUMP) and locked in memory where the
 * limit allows.  NULL when it cannot be had so.
 */
static inline void *
secret_alloc(size_t len)
{
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return NULL;
	if (madvise(m, len, MADV_DONTDUMP) != 0) {
		munmap(m, len);
		return NULL;
	}
	(void)mlock(m, len);	/* best effort */
	return m;
}

/* Wipe and give back what secret_alloc(len) gave; NULL-safe. */
static inline void
secret_free(void *m, size_t len)
{
	if (m != NULL) {
		explicit_bzero(m, len);
		(void)munlock(m, len);
		munmap(m, len);
	}
}

#endif
