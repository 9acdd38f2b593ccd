/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * helper_proto.h - the "name value" line requests that pam_yk sends to
 * pam_yk_validate (otp_helper.h) and pam_yk_ldap (ldap_helper.h): one
 * frame, so that both helpers accept and refuse the same way.
 *
 *	NAME 1			the helper's name and the version
 *	name value		as many as the protocol allows
 *	end
 *
 * then nothing: the request is exactly its length, NUL-terminated, and
 * ends with a newline; no value holds a newline.
 */
#ifndef YK_HELPER_PROTO_H
#define YK_HELPER_PROTO_H

#include <stdbool.h>
#include <stddef.h>

/* Where "make install" puts the helpers (pam_yk.am passes $(libexecdir)). */
#ifndef PAM_YK_LIBEXECDIR
#define PAM_YK_LIBEXECDIR	"/usr/libexec"
#endif

/* The helper named name (a string literal) to run: configured, or ours. */
#define HP_HELPER_PATH(configured, name) \
	((configured) != NULL ? (configured) : PAM_YK_LIBEXECDIR "/" name)

/*
 * Append "name value\n" to buf (cap bytes, *o used); a NULL value adds
 * nothing.  0, or -1 when value holds a newline or it does not fit.
 */
int hp_put(char *buf, size_t cap, size_t *o, const char *name,
    const char *value);

/*
 * The request in buf when ok and the closing "end" line fits; otherwise
 * NULL, with buf (cap bytes, malloc'd or NULL) wiped and freed.
 */
char *hp_finish(char *buf, size_t cap, size_t *o, bool ok);

/* s, decimal digits only, into *v when at most max; 0 or -1. */
int hp_number(const char *s, unsigned long max, unsigned long *v);

/* One "name value" line for the protocol (val may be ""); 0 or -1. */
typedef int hp_line_fn(char *name, char *val, void *ctx);

/*
 * Check the frame of the request in buf (len bytes, NUL-terminated) for
 * the helper named head, and hand each line between the head and "end"
 * to line, in place (buf is cut into strings).  0, or -1 on any
 * deviation or when line refuses one.
 */
int hp_parse(char *buf, size_t len, const char *head, hp_line_fn *line,
    void *ctx);

#endif
