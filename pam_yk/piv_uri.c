/* SPDX-License-Identifier: BSD-2-Clause */
/* piv_uri.c - pkcs11_uri= (RFC 7512) -> struct p11_uri (pure) */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "modhex.h"
#include "piv_uri.h"

#define BAD(...) do { snprintf(errbuf, errlen, __VA_ARGS__); return -1; } while (0)

/* Percent-decode [s, end) into a new string; bytes for id= (no NUL check). */
static char *
pct_decode(const char *s, const char *end, size_t *len, bool binary)
{
	char *out = malloc((size_t)(end - s) + 1), *w = out;
	unsigned char b;

	if (out == NULL)
		return NULL;
	while (s < end) {
		if (*s == '%') {
			if (end - s < 3 || hex_decode(s + 1, 1, &b) != 0 ||
			    (b == 0 && !binary)) {
				free(out);
				return NULL;
			}
			*w++ = (char)b;
			s += 3;
		} else {
			*w++ = *s++;
		}
	}
	*w = '\0';
	*len = (size_t)(w - out);
	return out;
}

int
piv_uri_parse(struct cfg *cfg, const char *uri, struct p11_uri *u,
    char *errbuf, size_t errlen)
{
	static const char *const names[] = {
		"token", "manufacturer", "model", "serial", "object", "id", "type",
	};
	const char *p = uri, *end;
	size_t len = 0;

	if (strncmp(p, "pkcs11:", 7) != 0)
		BAD("pkcs11_uri: expected pkcs11:...");
	p += 7;
	if (strchr(p, '?') != NULL)
		BAD("pkcs11_uri: query attributes (pin-value, module-path) are "
		    "not accepted");
	memset(u, 0, sizeof(*u));
	u->id[0] = 0x01;
	u->idlen = 1;
	for (; *p != '\0'; p = *end ? end + 1 : end) {
		const char *eq = strchr(p, '=');
		size_t i;
		char *val;

		end = p + strcspn(p, ";");
		if (eq == NULL || eq > end)
			BAD("pkcs11_uri: '%.*s' is not name=value", (int)(end - p), p);
		for (i = 0; i < 7 && ((size_t)(eq - p) != strlen(names[i]) ||
		    strncmp(p, names[i], (size_t)(eq - p)) != 0); i++)
			;
		if (i == 7)
			BAD("pkcs11_uri: unknown attribute '%.*s'", (int)(eq - p), p);
		if ((val = cfg_own(cfg, pct_decode(eq + 1, end, &len, i == 5))) ==
		    NULL)
			BAD("pkcs11_uri: bad percent-encoding in '%.*s'",
			    (int)(end - p), p);
		if (i == 5) {
			if (len == 0 || len > sizeof(u->id))
				BAD("pkcs11_uri: id must be 1 to 64 bytes");
			memcpy(u->id, val, len);
			u->idlen = len;
		} else if (i == 6) {
			if (strcmp(val, "cert") != 0)
				BAD("pkcs11_uri: type must be cert");
		} else {
			const char **slot[] = { &u->token, &u->manufacturer,
			    &u->model, &u->serial, &u->object };

			*slot[i] = val;
		}
	}
	return 0;
}
