/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_ldap.c - bytes through the LDAP mapping's parsers and escapers:
 * as a user name (NULs included) into the DN and the filter, whose
 * output must hold no unescaped special character; as a request and as
 * a reply of pam_yk_ldap; as attribute values for the token rule and
 * as a fingerprint value of piv_map=ldap.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "ldap_helper.h"
#include "ldap_map.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), out[4096], why[LDAP_WHY_MAX];
	unsigned char fp[LDAP_MAP_FP_LEN];
	const char *vals[1], *w;
	size_t lens[1] = { size };
	struct af_entries e = { .n = 0 };
	struct ldap_values v;
	struct ldap_conn c;
	struct ldap_query q;
	unsigned tmo;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (ldap_dn_escape(s, size, out, sizeof(out)) == 0 &&
	    strpbrk(out, ",+\"<>;= #") != NULL)
		abort();	/* a DN special character got through */
	if (ldap_filter_escape(s, size, out, sizeof(out)) == 0 &&
	    (strpbrk(out, "*()") != NULL || strlen(out) <
	    size + 2 * (size_t)(memchr(s, '\0', size) != NULL)))
		abort();	/* a filter special, or a NUL ended it */
	vals[0] = s;
	(void)ldap_map_tokens(vals, lens, 1, size > 0 && s[0] == 'y' ?
	    "y" : NULL, &e, &w);
	af_entries_free(&e);
	/* piv_map=ldap: a fingerprint only from 64 or 95 bytes after the
	   optional sha256= */
	if (ldap_map_fingerprint(s, size, fp) == 0 && size != 64 &&
	    size != 95 && size != 71 && size != 102)
		abort();
	if (ldap_parse_reply(s, size, &v, why, sizeof(why)) == LDQ_FOUND)
		ldap_values_free(&v);
	(void)ldap_parse_request(s, size, &c, &q, &tmo);
	free(s);
	return 0;
}
