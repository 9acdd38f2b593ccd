/* SPDX-License-Identifier: BSD-2-Clause */
/* ldap_helper_proto.c - what pam_yk and pam_yk_ldap say to each other */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "helper_proto.h"
#include "ldap_helper.h"

const char *
ldap_helper_path(const char *configured)
{
	return HP_HELPER_PATH(configured, LDAP_HELPER_NAME);
}

void
ldap_conn_from_cfg(const struct cfg *cfg, struct ldap_conn *c)
{
	memset(c, 0, sizeof(*c));
	c->uris = cfg->ldap_uris;
	c->starttls = cfg->ldap_starttls;
	c->cacertfile = cfg->ldap_cacertfile;
	c->certfile = cfg->ldap_clientcertfile;
	c->keyfile = cfg->ldap_clientkeyfile;
	c->binddn = cfg->ldap_bind_user;
	c->bindpw = cfg->ldap_bind_password;
	c->connect_ms = cfg->ldap_connection_timeout_s * 1000;
}

void
ldap_values_free(struct ldap_values *v)
{
	for (size_t i = 0; i < v->n; i++) {
		explicit_bzero(v->val[i], v->len[i]);
		free(v->val[i]);
	}
	memset(v, 0, sizeof(*v));
}

void
ldap_hex(const unsigned char *p, size_t len, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 0xf];
	}
	out[2 * len] = '\0';
}

static int
unhex1(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode hex s in place; its length or -1. */
static long
unhex(char *s)
{
	size_t n = strlen(s);

	if (n % 2 != 0)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = unhex1(s[2 * i]), lo = unhex1(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		s[i] = (char)(hi << 4 | lo);
	}
	s[n / 2] = '\0';
	return (long)(n / 2);
}

char *
ldap_request(const struct ldap_conn *c, const struct ldap_query *q,
    long timeout_ms)
{
	char *buf = malloc(LDAP_REQUEST_MAX), num[2][24], *pw = NULL;
	size_t o = 0, pl;
	bool ok = false;

	if (buf == NULL || c->uris == NULL || q->base == NULL ||
	    q->attr == NULL || (c->binddn != NULL && (c->bindpw == NULL ||
	    *c->bindpw == '\0')))
		goto out;
	if (c->binddn != NULL) {
		pl = strlen(c->bindpw);
		if (pl > 1024 || (pw = malloc(2 * pl + 1)) == NULL)
			goto out;
		ldap_hex((const unsigned char *)c->bindpw, pl, pw);
	}
	snprintf(num[0], sizeof(num[0]), "%ld", timeout_ms > 0 ? timeout_ms : 1);
	snprintf(num[1], sizeof(num[1]), "%u", c->connect_ms);
	ok = hp_put(buf, LDAP_REQUEST_MAX, &o, LDAP_HELPER_NAME, "1") == 0 &&
	    hp_put(buf, LDAP_REQUEST_MAX, &o, "timeout_ms", num[0]) == 0 &&
	    hp_put(buf, LDAP_REQUEST_MAX, &o, "connect_ms", num[1]) == 0 &&
	    hp_put(buf, LDAP_REQUEST_MAX, &o, "uri", c->uris) == 0 &&
	    hp_put(buf, LDAP_REQUEST_MAX, &o, "starttls", c->starttls ? "1" :
	    NULL) == 0 &&
	    hp_put(buf, LDAP_REQUEST_MAX, &o, "cacert", c->cacertfile) == 0 &&
	    hp_put(buf, LDAP_REQUEST_MAX, &o, "cert", c->certfile) == 0 &&
	    hp_put(buf, LDAP_REQUEST_MAX, &o, "key", c->keyfile) == 0 &&
	    hp_put(buf, LDAP_REQUEST_MAX, &o, "binddn", c->binddn) == 0 &&
	    hp_put(buf, LDAP_REQUEST_MAX, &o, "bindpw", pw) == 0 &&
	    hp_put(buf, LDAP_REQUEST_MAX, &o, "base", q->base) == 0 &&
	    hp_put(buf, LDAP_REQUEST_MAX, &o, "scope", q->subtree ? "sub" :
	    "base") == 0 &&
	    hp_put(buf, LDAP_REQUEST_MAX, &o, "filter", q->filter != NULL &&
	    *q->filter != '\0' ? q->filter : NULL) == 0 &&
	    hp_put(buf, LDAP_REQUEST_MAX, &o, "attr", q->attr) == 0;
out:
	if (pw != NULL) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
	}
	return hp_finish(buf, LDAP_REQUEST_MAX, &o, ok);
}

/* Where ldap_parse_request puts the lines. */
struct request {
	struct ldap_conn	*c;
	struct ldap_query	*q;
	unsigned		*timeout_ms;
};

/* One "name value" line of a request into c and q; 0 or -1. */
static int
request_line(char *name, char *val, void *ctx)
{
	struct request *r = ctx;
	struct ldap_conn *c = r->c;
	struct ldap_query *q = r->q;
	unsigned long v;

	if (strcmp(name, "timeout_ms") == 0 &&
	    hp_number(val, 600000, &v) == 0 && v > 0)
		*r->timeout_ms = (unsigned)v;
	else if (strcmp(name, "connect_ms") == 0 &&
	    hp_number(val, 600000, &v) == 0)
		c->connect_ms = (unsigned)v;
	else if (strcmp(name, "uri") == 0 && ldap_map_uri_bad(val) == NULL)
		c->uris = val;
	else if (strcmp(name, "starttls") == 0 && strcmp(val, "1") == 0)
		c->starttls = true;
	else if (strcmp(name, "cacert") == 0 && *val == '/')
		c->cacertfile = val;
	else if (strcmp(name, "cert") == 0 && *val == '/')
		c->certfile = val;
	else if (strcmp(name, "key") == 0 && *val == '/')
		c->keyfile = val;
	else if (strcmp(name, "binddn") == 0 && *val != '\0')
		c->binddn = val;
	else if (strcmp(name, "bindpw") == 0 && unhex(val) > 0 &&
	    strlen(val) > 0)
		c->bindpw = val;
	else if (strcmp(name, "base") == 0)
		q->base = val;
	else if (strcmp(name, "scope") == 0 && (strcmp(val, "sub") == 0 ||
	    strcmp(val, "base") == 0))
		q->subtree = strcmp(val, "sub") == 0;
	else if (strcmp(name, "filter") == 0 && *val == '(')
		q->filter = val;
	else if (strcmp(name, "attr") == 0 && ldap_map_attr_bad(val) == NULL)
		q->attr = val;
	else
		return -1;
	return 0;
}

int
ldap_parse_request(char *buf, size_t len, struct ldap_conn *c,
    struct ldap_query *q, unsigned *timeout_ms)
{
	struct request r = { .c = c, .q = q, .timeout_ms = timeout_ms };

	memset(c, 0, sizeof(*c));
	memset(q, 0, sizeof(*q));
	*timeout_ms = 0;
	if (hp_parse(buf, len, LDAP_HELPER_NAME, request_line, &r) != 0)
		return -1;
	/* A bind DN and its password come together, and never empty. */
	if ((c->binddn == NULL) != (c->bindpw == NULL))
		return -1;
	return *timeout_ms > 0 && c->uris != NULL && q->base != NULL &&
	    q->attr != NULL ? 0 : -1;
}

/* A reason from the helper: printable, at most whylen - 1 bytes. */
static void
reason(const char *s, size_t n, char *why, size_t whylen)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k + 1 < whylen; i++)
		why[k++] = s[i] >= ' ' && s[i] <= '~' ? s[i] : '?';
	why[k] = '\0';
}

enum ldap_outcome
ldap_parse_reply(const char *buf, size_t len, struct ldap_values *out,
    char *why, size_t whylen)
{
	const char *p = buf, *end = buf + len, *nl;
	unsigned long n;
	char head[32];
	size_t hl;

	memset(out, 0, sizeof(*out));
	snprintf(why, whylen, "sent a broken reply");
	if (len == 0 || buf[len - 1] != '\n' || strlen(buf) != len)
		return LDQ_LOCAL;
	nl = memchr(p, '\n', len);
	hl = (size_t)(nl - p);
	if (nl + 1 == end && hl >= 12 && strncmp(p, "unavailable ", 12) == 0) {
		reason(p + 12, hl - 12, why, whylen);
		return LDQ_UNAVAILABLE;
	}
	if (nl + 1 == end && hl >= 8 && strncmp(p, "refused ", 8) == 0) {
		reason(p + 8, hl - 8, why, whylen);
		return LDQ_REFUSED;
	}
	if (nl + 1 == end && hl == 7 && strncmp(p, "noentry", 7) == 0) {
		snprintf(why, whylen, "no entry");
		return LDQ_NO_ENTRY;
	}
	if (hl < 6 || hl >= sizeof(head) || strncmp(p, "found ", 6) != 0)
		return LDQ_LOCAL;
	memcpy(head, p + 6, hl - 6);
	head[hl - 6] = '\0';
	if (hp_number(head, LDAP_MAP_MAX_VALUES, &n) != 0)
		return LDQ_LOCAL;
	for (p = nl + 1; out->n < n; p = nl + 1) {
		size_t vl;
		char *v;

		if (p >= end || (nl = memchr(p, '\n', (size_t)(end - p))) == NULL ||
		    nl - p < 6 || strncmp(p, "value ", 6) != 0 ||
		    (vl = (size_t)(nl - p - 6)) > 2 * LDAP_MAP_VALUE_MAX ||
		    (v = strndup(p + 6, vl)) == NULL)
			goto bad;
		out->val[out->n] = v;
		if (unhex(v) < 0) {
			free(v);
			goto bad;
		}
		out->len[out->n++] = vl / 2;
	}
	if (p != end)
		goto bad;
	snprintf(why, whylen, "%zu value(s)", out->n);
	return LDQ_FOUND;
bad:
	ldap_values_free(out);
	snprintf(why, whylen, "sent a broken reply");
	return LDQ_LOCAL;
}
