/* SPDX-License-Identifier: BSD-2-Clause */
/* test_ldap_map.c - escaping, the search, token values, the helper protocol */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "ldap_helper.h"
#include "ldap_map.h"
#include "tap.h"

/* DN(in, want): in (a string literal, NULs allowed) escaped as want. */
#define DN(in, want) do {						\
	char o_[256];							\
	CHECK(ldap_dn_escape(in, sizeof(in) - 1, o_, sizeof(o_)) == 0 &&	\
	    strcmp(o_, want) == 0, "dn %s: got '%s', want '%s'", #in, o_, want); \
} while (0)
#define FILTER(in, want) do {						\
	char o_[256];							\
	CHECK(ldap_filter_escape(in, sizeof(in) - 1, o_, sizeof(o_)) == 0 && \
	    strcmp(o_, want) == 0, "filter %s: got '%s', want '%s'", #in, o_, \
	    want);							\
} while (0)

static void
test_escape(void)
{
	char small[4];

	DN("alice", "alice");
	DN("a.b-c_d@example", "a.b-c_d@example");
	DN("", "");
	DN("a,ou=x", "a\\2cou\\3dx");
	DN("alice ", "alice\\20");
	DN(" alice", "\\20alice");
	DN("#alice", "\\23alice");
	DN("a+b", "a\\2bb");
	DN("a\"b", "a\\22b");
	DN("a\\b", "a\\5cb");
	DN("a<b>c;d", "a\\3cb\\3ec\\3bd");
	DN("a\0b", "a\\00b");
	DN("\0", "\\00");
	DN("\xc3\xa9", "\\c3\\a9");
	FILTER("alice", "alice");
	FILTER("*", "\\2a");
	FILTER("alice)(uid=*", "alice\\29\\28uid=\\2a");
	FILTER("a\\2a", "a\\5c2a");
	FILTER("a\0b", "a\\00b");
	FILTER("a\nb\x7f", "a\\0ab\\7f");
	FILTER("a,ou=x", "a,ou=x");
	FILTER("\xc3\xa9", "\xc3\xa9");
	CHECK(ldap_dn_escape("abc", 3, small, sizeof(small)) == 0 &&
	    strcmp(small, "abc") == 0, "fits exactly");
	CHECK(ldap_dn_escape("abcd", 4, small, sizeof(small)) != 0 &&
	    small[0] == '\0', "too small: refused, empty");
	CHECK(ldap_dn_escape("a,", 2, small, sizeof(small)) != 0, "dn: no room");
	CHECK(ldap_filter_escape("*", 1, small, sizeof(small)) == 0 &&
	    strcmp(small, "\\2a") == 0, "filter: fits exactly");
	CHECK(ldap_filter_escape("a*", 2, small, sizeof(small)) != 0,
	    "filter: no room");
	CHECK(ldap_dn_escape("a", 1, small, 0) != 0, "no buffer at all");
}

static void
cfg_ldap(struct cfg *c, const char *user_attr, const char *filter)
{
	memset(c, 0, sizeof(*c));
	c->ldapdn = "ou=people,dc=example";
	c->user_attr = user_attr;
	c->ldap_filter = filter;
	c->yubi_attr = "yubiKeyId";
}

static void
test_search(void)
{
	struct ldap_search s;
	struct cfg c;
	const char *why;
	char big[3000];

	cfg_ldap(&c, "uid", NULL);
	CHECK(ldap_map_search(&c, "alice", 5, &s, &why) == 0 &&
	    strcmp(s.base, "uid=alice,ou=people,dc=example") == 0 &&
	    !s.subtree && s.filter[0] == '\0' &&
	    strcmp(s.attr, "yubiKeyId") == 0, "dn search: %s", s.base);
	CHECK(ldap_map_search(&c, "a,ou=x", 6, &s, &why) == 0 &&
	    strcmp(s.base, "uid=a\\2cou\\3dx,ou=people,dc=example") == 0,
	    "dn escaped: %s", s.base);
	cfg_ldap(&c, NULL, "(&(objectClass=yubiKeyUser)(uid=%u)(cn=%u))");
	CHECK(ldap_map_search(&c, "a*)", 3, &s, &why) == 0 && s.subtree &&
	    strcmp(s.base, "ou=people,dc=example") == 0 &&
	    strcmp(s.filter, "(&(objectClass=yubiKeyUser)(uid=a\\2a\\29)"
	    "(cn=a\\2a\\29))") == 0, "filter: %s", s.filter);
	cfg_ldap(&c, "uid", "(uid=%u)");
	CHECK(ldap_map_search(&c, "bob", 3, &s, &why) == 0 && s.subtree &&
	    strcmp(s.base, "uid=bob,ou=people,dc=example") == 0 &&
	    strcmp(s.filter, "(uid=bob)") == 0, "both: %s %s", s.base,
	    s.filter);
	/* spaces, controls and NUL are refused: the directory folds them */
	CHECK(ldap_map_search(&c, "alice ", 6, &s, &why) != 0 && why != NULL,
	    "trailing space refused");
	CHECK(ldap_map_search(&c, " alice", 6, &s, &why) != 0, "leading space");
	CHECK(ldap_map_search(&c, "a\0b", 3, &s, &why) != 0, "NUL refused");
	CHECK(ldap_map_search(&c, "a\tb", 3, &s, &why) != 0, "tab refused");
	memset(big, 'a', sizeof(big));
	CHECK(ldap_map_search(&c, big, sizeof(big), &s, &why) != 0 &&
	    strstr(why, "too long") != NULL, "too long");
}

/* TOKENS(prefix, want_rc, want_n, values...) */
static void
tokens(const char *prefix, int want, size_t want_n, const char *first, ...)
{
	const char *vals[8];
	size_t lens[8], n = 0;
	struct af_entries e = { .n = 0 };
	const char *why = NULL;
	va_list ap;
	int r;

	va_start(ap, first);
	for (const char *v = first; v != NULL && n < 8;
	    v = va_arg(ap, const char *)) {
		vals[n] = v;
		lens[n++] = strlen(v);
	}
	va_end(ap);
	r = ldap_map_tokens(vals, lens, n, prefix, &e, &why);
	CHECK(r == want && (r != 0 || e.n == want_n), "tokens %s...: %d "
	    "(%s), %zu ids", first, r, why ? why : "", e.n);
	af_entries_free(&e);
}

static void
test_tokens(void)
{
	const char *vals[1] = { "cccc\0bbbb" };
	size_t lens[1] = { 9 };
	struct af_entries e = { .n = 0 };
	const char *why;

	tokens(NULL, 0, 2, "ccccccbbbbbb", "vvvvvvvvvvvv", NULL);
	tokens(NULL, 0, 1, "ccccccbbbbbbcc", NULL);	/* kept, never matches */
	tokens(NULL, -1, 0, "not a token", NULL);
	tokens(NULL, -1, 0, "", NULL);
	tokens(NULL, -1, 0, "ccccccbbbbbb\n", NULL);
	tokens("yubikey:", 0, 1, "yubikey:ccccccbbbbbb", "other:zz", NULL);
	tokens("yubikey:", 0, 0, "other:ccccccbbbbbb", NULL);
	tokens("yubikey:", -1, 0, "yubikey:", NULL);
	tokens("yubikey:", -1, 0, "yubikey:ccccccbbbbb!", NULL);
	tokens("yubikey:", 0, 0, "yubikey", NULL);	/* shorter than prefix */
	CHECK(ldap_map_tokens(vals, lens, 1, NULL, &e, &why) != 0,
	    "a NUL in a value is malformed");
	af_entries_free(&e);
	/* the IDs compare exactly (pam_yubico: strncmp of the first 12) */
	vals[0] = "ccccccbbbbbbcc";
	lens[0] = 14;
	CHECK(ldap_map_tokens(vals, lens, 1, NULL, &e, &why) == 0 &&
	    !af_has(&e, "ccccccbbbbbb") && af_has(&e, "ccccccbbbbbbcc"),
	    "exact match");
	af_entries_free(&e);
}

static void
test_rules(void)
{
	CHECK(ldap_map_uri_bad("ldaps://a.example") == NULL, "ldaps");
	CHECK(ldap_map_uri_bad("ldap://a,ldaps://b:636") == NULL, "list");
	CHECK(ldap_map_uri_bad("ldapi:///") != NULL, "ldapi");
	CHECK(ldap_map_uri_bad("ldap://") != NULL, "empty host");
	CHECK(ldap_map_uri_bad("ldap://a,") != NULL, "trailing comma");
	CHECK(ldap_map_uri_bad("ldap://a ldap://b") != NULL, "space");
	CHECK(ldap_map_uri_bad("") != NULL, "empty");
	CHECK(ldap_map_uri_cleartext("ldap://ldap.example"), "clear");
	CHECK(ldap_map_uri_cleartext("ldaps://a,ldap://b"), "clear second");
	CHECK(!ldap_map_uri_cleartext("ldap://127.0.0.1:389"), "loopback");
	CHECK(!ldap_map_uri_cleartext("ldap://[::1]:389/"), "loopback6");
	CHECK(!ldap_map_uri_cleartext("ldap://localhost"), "localhost");
	CHECK(ldap_map_uri_cleartext("ldap://localhost.evil"), "not localhost");
	CHECK(ldap_map_uri_cleartext("ldap://127.0.0.1.evil"), "not loopback");
	CHECK(!ldap_map_uri_cleartext("ldaps://a"), "tls");
	CHECK(ldap_map_attr_bad("yubiKeyId") == NULL, "attr");
	CHECK(ldap_map_attr_bad("userCertificate;binary") == NULL, "options");
	CHECK(ldap_map_attr_bad("1.3.6.1.4.1.1") == NULL, "oid");
	CHECK(ldap_map_attr_bad("a=b") != NULL, "attr =");
	CHECK(ldap_map_attr_bad("") != NULL, "attr empty");
	CHECK(ldap_map_filter_bad("(uid=%u)") == NULL, "filter");
	CHECK(ldap_map_filter_bad("uid=%u") != NULL, "no parentheses");
	CHECK(ldap_map_filter_bad("(uid=alice)") != NULL, "no %%u");
	CHECK(ldap_map_filter_bad("(uid=%u)\n") != NULL, "newline");
	CHECK(ldap_map_host_bad("ldap.example:389") == NULL, "host");
	CHECK(ldap_map_host_bad("a b") != NULL, "host space");
}

static void
test_protocol(void)
{
	struct ldap_conn c = { .uris = "ldaps://a", .cacertfile = "/ca.pem",
	    .binddn = "cn=r,dc=x", .bindpw = "p\xc3\xa4ss word", .connect_ms = 2000 };
	struct ldap_query q = { "uid=a\\2c,dc=x", true, "(uid=a)", "yubiKeyId" };
	struct ldap_conn c2;
	struct ldap_query q2;
	struct ldap_values v;
	unsigned tmo;
	char *req, why[LDAP_WHY_MAX];
	char rep[] = "found 2\nvalue 6161\nvalue 00ff\n";

	req = ldap_request(&c, &q, 5000);
	CHECK(req != NULL && strstr(req, "p\xc3\xa4ss") == NULL,
	    "request: the password is hex");
	CHECK(req != NULL && ldap_parse_request(req, strlen(req), &c2, &q2,
	    &tmo) == 0 && tmo == 5000 && c2.connect_ms == 2000 &&
	    strcmp(c2.bindpw, "p\xc3\xa4ss word") == 0 &&
	    strcmp(c2.binddn, "cn=r,dc=x") == 0 && q2.subtree &&
	    strcmp(q2.base, q.base) == 0 && strcmp(q2.filter, "(uid=a)") == 0,
	    "request round trip");
	free(req);
	c.bindpw = "";
	CHECK(ldap_request(&c, &q, 5000) == NULL, "an empty password: no request");
	c.bindpw = NULL;
	CHECK(ldap_request(&c, &q, 5000) == NULL, "no password: no request");
	c.binddn = NULL;
	q.base = "a\nb";
	CHECK(ldap_request(&c, &q, 5000) == NULL, "a newline: no request");
	{
		char bad[] = "pam_yk_ldap 1\ntimeout_ms 1\nuri ldaps://a\n"
		    "binddn cn=x\nbase b\nattr a\nend \n";

		CHECK(ldap_parse_request(bad, strlen(bad), &c2, &q2, &tmo) != 0,
		    "a bind DN without a password is refused");
	}
	CHECK(ldap_parse_reply(rep, strlen(rep), &v, why, sizeof(why)) ==
	    LDQ_FOUND && v.n == 2 && v.len[0] == 2 &&
	    memcmp(v.val[0], "aa", 2) == 0 && v.len[1] == 2 &&
	    (unsigned char)v.val[1][1] == 0xff, "found");
	ldap_values_free(&v);
	CHECK(ldap_parse_reply("noentry\n", 8, &v, why, sizeof(why)) ==
	    LDQ_NO_ENTRY, "noentry");
	CHECK(ldap_parse_reply("unavailable x\n", 14, &v, why, sizeof(why)) ==
	    LDQ_UNAVAILABLE && strcmp(why, "x") == 0, "unavailable");
	CHECK(ldap_parse_reply("refused y\n", 10, &v, why, sizeof(why)) ==
	    LDQ_REFUSED, "refused");
	CHECK(ldap_parse_reply("found 2\nvalue 61\n", 17, &v, why,
	    sizeof(why)) == LDQ_LOCAL && v.n == 0, "too few values");
	CHECK(ldap_parse_reply("found 1\nvalue 6\n", 16, &v, why,
	    sizeof(why)) == LDQ_LOCAL, "odd hex");
	CHECK(ldap_parse_reply("found 0\nnoentry\n", 16, &v, why,
	    sizeof(why)) == LDQ_LOCAL, "trailing garbage");
	CHECK(ldap_parse_reply("found 1\nvalue 61", 16, &v, why,
	    sizeof(why)) == LDQ_LOCAL, "cut short");
	CHECK(ldap_parse_reply("", 0, &v, why, sizeof(why)) == LDQ_LOCAL,
	    "empty");
	CHECK(ldap_parse_reply("noentry\nnoentry\n", 16, &v, why,
	    sizeof(why)) == LDQ_LOCAL, "two answers");
}

int
main(void)
{
	test_escape();
	test_search();
	test_tokens();
	test_rules();
	test_protocol();
	return tap_done("test_ldap_map");
}
