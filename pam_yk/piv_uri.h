/* SPDX-License-Identifier: BSD-2-Clause */
/* piv_uri.h - pkcs11_uri=: an RFC 7512 URI naming the token and object */
#ifndef YK_PIV_URI_H
#define YK_PIV_URI_H

#include <stddef.h>

struct cfg;

/* The token and object to use (RFC 7512 attributes, decoded). */
struct p11_uri {
	const char	*token, *manufacturer, *model, *serial, *object;
	unsigned char	id[64];
	size_t		idlen;
};

/*
 * Parse "pkcs11:token=...;id=%01;object=..." into u; the decoded strings
 * are owned by cfg (cfg_own, freed by cfg_free).  Query attributes
 * (pin-value, module-path) are refused, and so are unknown attributes and
 * a type other than cert.  0, or -1 with a one-line reason in errbuf that
 * names the option but never echoes a whole value.
 */
int piv_uri_parse(struct cfg *cfg, const char *uri, struct p11_uri *u,
    char *errbuf, size_t errlen);

#endif
