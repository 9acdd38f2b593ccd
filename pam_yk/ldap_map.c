/* SPDX-License-Identifier: BSD-2-Clause */
/* ldap_map.c - escaping, the one search, the token IDs in its values */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "ldap_map.h"
#include "modhex.h"

static const char hexdig[] = "0123456789abcdef";

/* Append byte c to out as \XX; 0 or -1 when it does not fit. */
static int
put_hex(char *out, size_t cap, size_t *o, unsigned char c)
{
	if (*o + 3 >= cap)
		return -1;
	out[(*o)++] = '\\';
	out[(*o)++] = hexdig[c >> 4];
	out[(*o)++] = hexdig[c & 0xf];
	return 0;
}

static int
put_byte(char *out, size_t cap, size_t *o, char c)
{
	if (*o + 1 >= cap)
		return -1;
	out[(*o)++] = c;
	return 0;
}

/* RFC 4514: all but [A-Za-z0-9._@-] as \XX, so nothing is special. */
static bool
dn_hex(unsigned char c)
{
	return !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '@');
}

/* RFC 4515: controls, DEL, * ( ) and \ as \XX. */
static bool
filter_hex(unsigned char c)
{
	return c < 0x20 || c == 0x7f || c == '*' || c == '(' || c == ')' ||
	    c == '\\';
}

/* v[0..len) into out, hex() bytes as \XX; -1 when it does not fit. */
static int
escape(const char *v, size_t len, char *out, size_t cap,
    bool (*hex)(unsigned char))
{
	size_t o = 0;

	if (cap == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];
		int r = hex(c) ? put_hex(out, cap, &o, c) :
		    put_byte(out, cap, &o, (char)c);

		if (r != 0) {
			out[0] = '\0';
			return -1;
		}
	}
	out[o] = '\0';
	return 0;
}

int
ldap_dn_escape(const char *v, size_t len, char *out, size_t cap)
{
	return escape(v, len, out, cap, dn_hex);
}

int
ldap_filter_escape(const char *v, size_t len, char *out, size_t cap)
{
	return escape(v, len, out, cap, filter_hex);
}

/* tmpl with each %u replaced by the escaped user; 0 or -1. */
static int
expand_filter(const char *tmpl, const char *esc, char *out, size_t cap)
{
	size_t o = 0, el = strlen(esc);

	for (const char *p = tmpl; *p != '\0'; p++) {
		if (p[0] == '%' && p[1] == 'u') {
			if (o + el >= cap)
				return -1;
			memcpy(out + o, esc, el);
			o += el;
			p++;
		} else if (put_byte(out, cap, &o, *p) != 0)
			return -1;
	}
	out[o] = '\0';
	return 0;
}

int
ldap_map_search(const struct cfg *cfg, const char *user, size_t ulen,
    struct ldap_search *s, const char **why)
{
	char esc[LDAP_MAP_FILTER_MAX];
	int n;

	memset(s, 0, sizeof(*s));
	s->attr = cfg->yubi_attr;
	/*
	 * The directory's matching rules ignore leading, trailing and
	 * repeated spaces (RFC 4518): "alice " would find alice's entry
	 * however well it is escaped.  No user name has a space or a
	 * control character (NUL included): refuse them.
	 */
	for (size_t i = 0; i < ulen; i++)
		if ((unsigned char)user[i] <= 0x20 || user[i] == 0x7f) {
			*why = "the user name holds a space or a control "
			    "character";
			return -1;
		}
	*why = "the user name is too long for the search";
	if (cfg->user_attr != NULL) {
		if (ldap_dn_escape(user, ulen, esc, sizeof(esc)) != 0)
			return -1;
		n = snprintf(s->base, sizeof(s->base), "%s=%s,%s",
		    cfg->user_attr, esc, cfg->ldapdn);
	} else
		n = snprintf(s->base, sizeof(s->base), "%s", cfg->ldapdn);
	if (n < 0 || (size_t)n >= sizeof(s->base))
		return -1;
	if (cfg->ldap_filter != NULL) {
		s->subtree = true;
		if (ldap_filter_escape(user, ulen, esc, sizeof(esc)) != 0 ||
		    expand_filter(cfg->ldap_filter, esc, s->filter,
		    sizeof(s->filter)) != 0)
			return -1;
	}
	*why = NULL;
	return 0;
}

int
ldap_map_tokens(const char *const *vals, const size_t *lens, size_t n,
    const char *prefix, struct af_entries *out, const char **why)
{
	size_t pl = prefix != NULL ? strlen(prefix) : 0;

	*why = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *v = vals[i] + pl;
		size_t len = lens[i];

		if (len < pl || memcmp(vals[i], prefix != NULL ? prefix : "",
		    pl) != 0)
			continue;	/* not a token value */
		len -= pl;
		if (len == 0 || lens[i] > LDAP_MAP_TOKEN_VALUE_MAX ||
		    memchr(v, '\0', len) != NULL || !modhex_valid(v, len)) {
			*why = "a value of the token attribute is not a "
			    "modhex token ID";
			return -1;
		}
		if (out->n == AF_MAX_ENTRIES) {
			*why = "too many token IDs";
			return -1;
		}
		if ((out->entry[out->n] = strndup(v, len)) == NULL) {
			*why = "out of memory";
			return -1;
		}
		out->n++;
		out->listed = true;
	}
	return 0;
}

static int
hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
	    c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int
ldap_map_fingerprint(const char *v, size_t len,
    unsigned char out[LDAP_MAP_FP_LEN])
{
	size_t pl = strlen(AF_FP_PREFIX), step;

	if (len >= pl && memcmp(v, AF_FP_PREFIX, pl) == 0) {
		v += pl;
		len -= pl;
	}
	/* "ab..." (64) or "ab:cd:..." (95): every pair, ':' between all. */
	if (len == 2 * LDAP_MAP_FP_LEN)
		step = 2;
	else if (len == 3 * LDAP_MAP_FP_LEN - 1)
		step = 3;
	else
		return -1;
	for (size_t i = 0; i < LDAP_MAP_FP_LEN; i++) {
		const char *p = v + i * step;
		int hi = hexval(p[0]), lo = hexval(p[1]);

		if (hi < 0 || lo < 0 || (step == 3 && i + 1 < LDAP_MAP_FP_LEN &&
		    p[2] != ':')) {
			explicit_bzero(out, LDAP_MAP_FP_LEN);
			return -1;
		}
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* ---- the rules of the options ------------------------------------------- */

/* No byte below 0x21 or above 0x7e (so no space). */
static bool
graphic(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return len > 0;
}

const char *
ldap_map_uri_bad(const char *list)
{
	const char *p = list;
	static const char want[] = "a comma-separated list of ldap:// or "
	    "ldaps:// URIs";

	if (*p == '\0' || strlen(list) > 1024)
		return want;
	for (;;) {
		size_t n = strcspn(p, ",");

		if (!graphic(p, n) || (strncmp(p, "ldap://", 7) != 0 &&
		    strncmp(p, "ldaps://", 8) != 0) ||
		    n == (p[4] == 's' ? 8U : 7U))
			return want;
		if (p[n] == '\0')
			return NULL;
		p += n + 1;
	}
}

const char *
ldap_map_host_bad(const char *host)
{
	size_t n = strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-:[]");

	return *host == '\0' || host[n] != '\0' || strlen(host) > 255 ?
	    "a host name or address, with an optional :port" : NULL;
}

const char *
ldap_map_attr_bad(const char *attr)
{
	size_t n = strspn(attr, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-.;");

	return *attr == '\0' || attr[n] != '\0' || n > 128 || attr[0] == ';' ||
	    attr[0] == '-' ? "an attribute name (letters, digits, '-', "
	    "options after ';')" : NULL;
}

const char *
ldap_map_filter_bad(const char *f)
{
	size_t n = strlen(f);

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)f[i] < 0x20 || f[i] == 0x7f)
			return "a filter in parentheses holding %u, without "
			    "control characters";
	if (n < 2 || f[0] != '(' || f[n - 1] != ')' || strstr(f, "%u") == NULL)
		return "a filter in parentheses holding %u, without control "
		    "characters";
	return NULL;
}

/* The host of the URI at p (n bytes, after the scheme). */
static bool
loopback_host(const char *p, size_t n)
{
	static const char *const lo[] = { "localhost", "127.0.0.1", "[::1]" };
	size_t h = 0;

	while (h < n && p[h] != '/' && (p[h] != ':' || p[0] == '[') &&
	    !(p[0] == '[' && h > 0 && p[h - 1] == ']'))
		h++;
	for (size_t i = 0; i < sizeof(lo) / sizeof(lo[0]); i++)
		if (strlen(lo[i]) == h && strncmp(p, lo[i], h) == 0)
			return true;
	return false;
}

bool
ldap_map_uri_cleartext(const char *list)
{
	for (const char *p = list; *p != '\0';) {
		size_t n = strcspn(p, ",");

		if (strncmp(p, "ldap://", 7) == 0 && !loopback_host(p + 7, n - 7))
			return true;
		p += n + (p[n] == ',');
	}
	return false;
}
