/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cfg.c - module arguments -> struct cfg; every bad option is an error.
 * The options are rows of one table (cfg_options below); parse_one reads
 * a row, the row's kind checks the value, its setter or field stores it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"
#include "ldap_map.h"
#include "modhex.h"
#include "piv_uri.h"
#include "request.h"
#include "wipe.h"

const char *const cfg_mode_names[] = {
	[MODE_CLIENT] = "client",
	[MODE_CHALRESP] = "challenge-response",
	[MODE_PIV] = "piv",
	NULL,
};

static void
defaults(struct cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = MODE_CLIENT;
	cfg->methods[0] = MODE_CLIENT;
	cfg->nmethods = 1;
	cfg->modes = CFG_IN_CLIENT;
	cfg->token_id_len = CFG_DEFAULT_TOKEN_ID_LEN;
	cfg->pkcs11_module = PKCS11_DEFAULT_MODULE;
	cfg->piv_uri.id[0] = 0x01;	/* 9a, PIV Authentication */
	cfg->piv_uri.idlen = 1;
	cfg->vc.timeout_ms = CFG_DEFAULT_TIMEOUT_MS;
	cfg->piv_min_rsa_bits = CFG_DEFAULT_MIN_RSA_BITS;
}

static enum cfg_err fail(enum cfg_err r, char *errbuf, size_t errlen,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Say why in errbuf and return r. */
static enum cfg_err
fail(enum cfg_err r, char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
	return r;
}

#define BAD(r, ...)	return fail((r), errbuf, errlen, __VA_ARGS__)

/* 1 to max bytes, no control characters (UTF-8 bytes are allowed). */
static bool
printable(const char *s, size_t max)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || n >= max)
			return false;
	return n > 0;
}

const char *
cfg_chalresp_path_bad(const char *d)
{
	const char *p = d;

	if (!printable(d, CFG_CHALRESP_PATH_MAX - 1) || *p != '/')
		goto bad;
	if (strcmp(d, "/") == 0)
		return NULL;
	while (*p == '/') {
		size_t n = strcspn(++p, "/");

		if (n == 0) {
			if (p[0] == '\0' && p - d > 1)
				return NULL;		/* "/a/" */
			goto bad;
		}
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' &&
		    p[1] == '.'))
			goto bad;
		p += n;
	}
	return NULL;
bad:
	return "an absolute path without ., .. or // and without control "
	    "characters, under 1024 bytes";
}

const char *
cfg_cue_bad(const char *cue)
{
	return printable(cue, CFG_CUE_MAX) ? NULL :
	    "1 to 255 bytes of printable text";
}

/* A decimal in [min, max]; 0 or -1. */
static int
parse_uint(const char *s, unsigned long min, unsigned long max,
    unsigned long *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

char *
cfg_own(struct cfg *cfg, char *s)
{
	if (s == NULL || cfg->nowned == sizeof(cfg->owned) / sizeof(cfg->owned[0])) {
		free(s);
		return NULL;
	}
	return cfg->owned[cfg->nowned++] = s;
}

/* ---- setters of the options that the kinds do not cover ---------------- */

/* Only https://, or http:// (allowed later only with a key). */
static enum cfg_err
check_url(const char *url, char *errbuf, size_t errlen)
{
	char u[128];

	request_url_shown(url, u, sizeof(u));	/* no password in the log */
	if (strncmp(url, "https://", 8) != 0 &&
	    strncmp(url, "http://", 7) != 0)
		BAD(CFG_E_VALUE, "urllist: '%.80s' is not an http:// or "
		    "https:// URL", u);
	if (strpbrk(url, " \t\r\n?#") != NULL)
		BAD(CFG_E_VALUE, "urllist: '%.80s' must be a base URL without "
		    "a query", u);
	return CFG_OK;
}

static enum cfg_err
set_urllist(struct cfg *cfg, const char *v, unsigned long n, char *errbuf,
    size_t errlen)
{
	char *list = cfg_own(cfg, strdup(v)), *save = NULL;
	enum cfg_err r;

	if (list == NULL)
		BAD(CFG_E_NOMEM, "urllist: out of memory");
	cfg->vc.nurls = 0;
	for (char *u = strtok_r(list, ";", &save); u != NULL;
	    u = strtok_r(NULL, ";", &save)) {
		if (cfg->vc.nurls == VC_MAX_URLS)
			BAD(CFG_E_VALUE, "urllist: more than %d URLs",
			    VC_MAX_URLS);
		if ((r = check_url(u, errbuf, errlen)) != CFG_OK)
			return r;
		cfg->vc.urls[cfg->vc.nurls++] = u;
	}
	if (cfg->vc.nurls == 0)
		BAD(CFG_E_VALUE, "urllist: no URL given");
	return CFG_OK;
}

/*
 * pam_yubico's old url= template, "https://host/wsapi/2.0/verify?id=%d&otp=%s".
 * It is never used as a format: it must hold exactly one %d and one %s
 * in its query, and its base (before '?') becomes the URL.
 */
static enum cfg_err
set_url_template(struct cfg *cfg, const char *v, unsigned long n,
    char *errbuf, size_t errlen)
{
	const char *q = strchr(v, '?'), *p;
	int d = 0, s = 0;
	enum cfg_err r;
	char *base;

	for (p = v; (p = strchr(p, '%')) != NULL; p += 2) {
		if (p[1] == 'd')
			d++;
		else if (p[1] == 's')
			s++;
		else {
			d = 99;		/* another conversion, or a final '%' */
			break;
		}
	}
	if (q == NULL || d != 1 || s != 1 || strchr(q, '%') == NULL ||
	    strchr(v, '%') < q)
		BAD(CFG_E_VALUE, "url: expected a template like "
		    "https://host/wsapi/2.0/verify?id=%%d&otp=%%s");
	if ((base = cfg_own(cfg, strndup(v, (size_t)(q - v)))) == NULL)
		BAD(CFG_E_NOMEM, "url: out of memory");
	if ((r = check_url(base, errbuf, errlen)) != CFG_OK)
		return r;
	cfg->url_template = v;
	cfg->vc.urls[0] = base;
	cfg->vc.nurls = 1;
	return CFG_OK;
}

static enum cfg_err
set_key(struct cfg *cfg, const char *v, unsigned long n, char *errbuf,
    size_t errlen)
{
	int kl = b64_decode(v, cfg->vc.key, sizeof(cfg->vc.key));

	if (kl <= 0)
		BAD(CFG_E_VALUE, "key: not a base64 API key");
	cfg->vc.keylen = (size_t)kl;
	cfg->have_key = true;
	return CFG_OK;
}

/* NAME=v into *field when the option's rule found nothing wrong (why). */
static enum cfg_err
set_by_rule(const char *name, const char **field, const char *v,
    const char *why, char *errbuf, size_t errlen)
{
	if (why != NULL)
		BAD(CFG_E_VALUE, "%s: expected %s", name, why);
	*field = v;
	return CFG_OK;
}

static enum cfg_err
set_chalresp_path(struct cfg *cfg, const char *v, unsigned long n,
    char *errbuf, size_t errlen)
{
	return set_by_rule("chalresp_path", &cfg->chalresp_path, v,
	    cfg_chalresp_path_bad(v), errbuf, errlen);
}

/* The setuid helper takes the cue as an argument: the same rule. */
static enum cfg_err
check_prompt(const struct cfg *cfg, char *errbuf, size_t errlen)
{
	if ((cfg->modes & CFG_IN_CHALRESP) && cfg->prompt != NULL &&
	    cfg_cue_bad(cfg->prompt) != NULL)
		BAD(CFG_E_VALUE, "prompt: in challenge-response mode, "
		    "expected %s", cfg_cue_bad(cfg->prompt));
	return CFG_OK;
}

static enum cfg_err
set_p11_uri(struct cfg *cfg, const char *v, unsigned long n, char *errbuf,
    size_t errlen)
{
	return piv_uri_parse(cfg, v, &cfg->piv_uri, errbuf, errlen) == 0 ?
	    CFG_OK : CFG_E_VALUE;
}

static const char *const piv_slots[] = { "9a", "9c", "9d", "9e", NULL };

static enum cfg_err
set_piv_slot(struct cfg *cfg, const char *v, unsigned long n, char *errbuf,
    size_t errlen)
{
	cfg->piv_uri.id[0] = (unsigned char)(n + 1);	/* CKA_ID 01..04 */
	cfg->piv_uri.idlen = 1;
	return CFG_OK;
}

static const char *const piv_maps[] = {
	[PIV_MAP_AUTHFILE] = "authfile", [PIV_MAP_CN] = "cn",
	[PIV_MAP_UID] = "uid", [PIV_MAP_UPN] = "upn",
	[PIV_MAP_EMAIL] = "email", [PIV_MAP_LDAP] = "ldap", NULL,
};

static const char *const piv_ekus[] = { "any", "clientauth", NULL };

static enum cfg_err
set_piv_eku(struct cfg *cfg, const char *v, unsigned long n, char *errbuf,
    size_t errlen)
{
	cfg->piv_eku_any = n == 0;
	return CFG_OK;
}

static const char *const piv_ocsp_modes[] = {
	[PIV_OCSP_OFF] = "off", [PIV_OCSP_TRY] = "try",
	[PIV_OCSP_REQUIRE] = "require", NULL,
};

/* OCSP is plain http:// (RFC 6960 A.1): a URL without a query. */
static enum cfg_err
set_ocsp_url(struct cfg *cfg, const char *v, unsigned long n, char *errbuf,
    size_t errlen)
{
	if (strncmp(v, "http://", 7) != 0 || v[7] == '\0' || v[7] == '/' ||
	    !printable(v, 1023) || strpbrk(v, " ?#@") != NULL)
		BAD(CFG_E_VALUE, "piv_ocsp_url: expected an http:// URL "
		    "without user, query or spaces, under 1024 bytes");
	cfg->piv_ocsp_url = v;
	return CFG_OK;
}

/* The OCSP options other than piv_ocsp= need piv_ocsp=try|require. */
static enum cfg_err
check_ocsp_on(const struct cfg *cfg, char *errbuf, size_t errlen)
{
	if (cfg->piv_ocsp == PIV_OCSP_OFF)
		BAD(CFG_E_MISSING, "piv_ocsp_url, piv_ocsp_max_age and "
		    "piv_ocsp_cache need piv_ocsp=try or piv_ocsp=require");
	return CFG_OK;
}

/* A DNS name: dot-separated labels of letters, digits and '-'. */
static bool
domain_ok(const char *d)
{
	size_t label = 0, n = 0;

	for (; *d != '\0'; d++, n++) {
		if (*d == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if ((*d >= 'a' && *d <= 'z') || (*d >= 'A' && *d <= 'Z') ||
		    (*d >= '0' && *d <= '9') || *d == '-') {
			if (++label > 63)
				return false;
		} else
			return false;
	}
	return label > 0 && n <= 253;
}

/* piv_domain=a.example,b.example: appended to the ones already given. */
static enum cfg_err
add_domains(struct cfg *cfg, const char *v, unsigned long n, char *errbuf,
    size_t errlen)
{
	char *list = cfg_own(cfg, strdup(v)), *save = NULL;

	if (list == NULL)
		BAD(CFG_E_NOMEM, "piv_domain: out of memory");
	if (*v == '\0' || strstr(v, ",,") != NULL || *v == ',' ||
	    v[strlen(v) - 1] == ',')
		BAD(CFG_E_VALUE, "piv_domain: expected a domain or a "
		    "comma-separated list of domains");
	for (char *d = strtok_r(list, ",", &save); d != NULL;
	    d = strtok_r(NULL, ",", &save)) {
		if (!domain_ok(d))
			BAD(CFG_E_VALUE, "piv_domain: '%.80s' is not a domain "
			    "name", d);
		if (cfg->npiv_domains == CFG_MAX_PIV_DOMAINS)
			BAD(CFG_E_VALUE, "piv_domain: more than %d domains",
			    CFG_MAX_PIV_DOMAINS);
		cfg->piv_domain[cfg->npiv_domains++] = d;
	}
	return CFG_OK;
}

/* ---- LDAP (ldap_map.h holds the rules, which ykpamcfg check shares) ---- */

static enum cfg_err
set_ldap_uri(struct cfg *cfg, const char *v, unsigned long n, char *errbuf,
    size_t errlen)
{
	return set_by_rule("ldap_uri", &cfg->ldap_uri, v, ldap_map_uri_bad(v),
	    errbuf, errlen);
}

/* pam_yubico's ldap_init(host, 389): plain LDAP to that host. */
static enum cfg_err
set_ldapserver(struct cfg *cfg, const char *v, unsigned long n, char *errbuf,
    size_t errlen)
{
	const char *why = ldap_map_host_bad(v);
	char *uri;

	if (why != NULL)
		BAD(CFG_E_VALUE, "ldapserver: expected %s", why);
	if (asprintf(&uri, "ldap://%s", v) < 0 || cfg_own(cfg, uri) == NULL)
		BAD(CFG_E_NOMEM, "ldapserver: out of memory");
	cfg->ldapserver = uri;
	return CFG_OK;
}

static enum cfg_err
set_ldap_attr(const char *name, const char **field, const char *v,
    char *errbuf, size_t errlen)
{
	return set_by_rule(name, field, v, ldap_map_attr_bad(v), errbuf,
	    errlen);
}

static enum cfg_err
set_user_attr(struct cfg *cfg, const char *v, unsigned long n, char *errbuf,
    size_t errlen)
{
	return set_ldap_attr("user_attr", &cfg->user_attr, v, errbuf, errlen);
}

static enum cfg_err
set_yubi_attr(struct cfg *cfg, const char *v, unsigned long n, char *errbuf,
    size_t errlen)
{
	return set_ldap_attr("yubi_attr", &cfg->yubi_attr, v, errbuf, errlen);
}

static enum cfg_err
set_piv_ldap_fp_attr(struct cfg *cfg, const char *v, unsigned long n,
    char *errbuf, size_t errlen)
{
	return set_ldap_attr("piv_ldap_fp_attr", &cfg->piv_ldap_fp_attr, v,
	    errbuf, errlen);
}

static enum cfg_err
set_ldap_filter(struct cfg *cfg, const char *v, unsigned long n,
    char *errbuf, size_t errlen)
{
	return set_by_rule("ldap_filter", &cfg->ldap_filter, v,
	    ldap_map_filter_bad(v), errbuf, errlen);
}

/* A value the helper is sent on one line: printable, no newline. */
static enum cfg_err
set_ldap_text(const char *name, const char **field, const char *v,
    char *errbuf, size_t errlen)
{
	if (!printable(v, 1024))
		BAD(CFG_E_VALUE, "%s: expected 1 to 1023 bytes without control "
		    "characters", name);
	*field = v;
	return CFG_OK;
}

#define LDAP_TEXT_SETTER(f)						\
static enum cfg_err							\
set_##f(struct cfg *cfg, const char *v, unsigned long n, char *errbuf,	\
    size_t errlen)							\
{									\
	return set_ldap_text(#f, &cfg->f, v, errbuf, errlen);		\
}
LDAP_TEXT_SETTER(ldapdn)
LDAP_TEXT_SETTER(yubi_attr_prefix)
LDAP_TEXT_SETTER(ldap_bind_user)
LDAP_TEXT_SETTER(ldap_bind_password)

/* The words of mode=: cfg_mode_names, and otp (issue 16's name). */
static enum yk_mode
mode_word(const char *w, size_t len, bool *found)
{
	static const char otp[] = "otp";

	*found = true;
	for (unsigned m = 0; cfg_mode_names[m] != NULL; m++)
		if (strlen(cfg_mode_names[m]) == len &&
		    strncmp(w, cfg_mode_names[m], len) == 0)
			return (enum yk_mode)m;
	if (len == sizeof(otp) - 1 && strncmp(w, otp, len) == 0)
		return MODE_CLIENT;
	*found = false;
	return MODE_CLIENT;
}

/*
 * mode=piv,otp: one method or a comma-separated list, each at most once
 * (client and otp are the same method).  An unknown or repeated word is
 * an error, never skipped.
 */
static enum cfg_err
set_mode(struct cfg *cfg, const char *v, unsigned long n, char *errbuf,
    size_t errlen)
{
	enum yk_mode list[CFG_MAX_METHODS];
	unsigned seen = 0;
	size_t k = 0, len;
	bool found;

	for (const char *p = v;; p += len + 1) {
		enum yk_mode m;

		len = strcspn(p, ",");
		m = mode_word(p, len, &found);
		if (!found) {
			bool shown = len > 0 && len <= 40;

			for (size_t i = 0; shown && i < len; i++)
				shown = p[i] > 0x20 && p[i] < 0x7f;
			BAD(CFG_E_VALUE, "mode: expected client (or otp), "
			    "challenge-response, piv, or a comma-separated list "
			    "of them%s%.*s%s", shown ? ", not '" : " (an empty "
			    "or unprintable entry)", shown ? (int)len : 0, p,
			    shown ? "'" : "");
		}
		if (seen & CFG_IN(m))	/* the word is known: printable */
			BAD(CFG_E_VALUE, "mode: %.*s is listed twice (client "
			    "and otp are one method)", (int)len, p);
		seen |= CFG_IN(m);
		list[k++] = m;		/* at most 3: none repeats */
		if (p[len] == '\0')
			break;
	}
	memcpy(cfg->methods, list, k * sizeof(list[0]));
	cfg->nmethods = k;
	cfg->mode = list[0];
	cfg->modes = seen;
	cfg->mode_arg = v;
	return CFG_OK;
}

static enum cfg_err
set_offline(struct cfg *cfg, const char *v, unsigned long n, char *errbuf,
    size_t errlen)
{
	cfg->offline = true;	/* the one word: challenge-response */
	return CFG_OK;
}

/* Where the list puts challenge-response, or -1. */
static int
method_pos(const struct cfg *cfg, enum yk_mode m)
{
	for (size_t i = 0; i < cfg->nmethods; i++)
		if (cfg->methods[i] == m)
			return (int)i;
	return -1;
}

/* offline= is otp's fallback: both methods listed, otp first. */
static enum cfg_err
check_offline(const struct cfg *cfg, char *errbuf, size_t errlen)
{
	int cr = method_pos(cfg, MODE_CHALRESP);

	if (cr < 0)
		BAD(CFG_E_MISSING, "offline: mode= must list challenge-response "
		    "too (e.g. mode=otp,challenge-response)");
	if (cr < method_pos(cfg, MODE_CLIENT))
		BAD(CFG_E_CONFLICT, "offline: mode= lists challenge-response "
		    "before otp, so a user with both never uses otp and never "
		    "falls back");
	return CFG_OK;
}

static enum cfg_err set_conf(struct cfg *cfg, const char *v, unsigned long n,
    char *errbuf, size_t errlen);

/* ---- the table ------------------------------------------------------------ */

#define FIELD(f)	offsetof(struct cfg, f)
#define ROW(n, k, m, ...)	{ .name = (n), .kind = (k), .modes = (m), __VA_ARGS__ }
#define FLAG(n, f)		ROW(n, CFG_FLAG, CFG_IN_ALL, .field = FIELD(f))
#define FLAG_IN(n, f, m, note)	ROW(n, CFG_FLAG, m, .field = FIELD(f), \
				    .mode_note = (note))
#define STR(n, f)		ROW(n, CFG_STRING, CFG_IN_ALL, .field = FIELD(f))
#define SECRET(n, f)		ROW(n, CFG_STRING, CFG_IN_ALL, .field = FIELD(f), \
				    .secret = CFG_SECRET)
#define PATH(n, f)		ROW(n, CFG_PATH, CFG_IN_ALL, .field = FIELD(f))
#define UINT(n, f, lo, hi, what) ROW(n, CFG_UINT, CFG_IN_ALL, .field = FIELD(f), \
				    .min = (lo), .max = (hi), .expect = (what))
#define ENUM(n, f, vals)	ROW(n, CFG_ENUM, CFG_IN_ALL, .field = FIELD(f), \
				    .values = (vals))
#define ENUM_SET(n, s, vals)	ROW(n, CFG_ENUM, CFG_IN_ALL, .set = (s), \
				    .values = (vals))
#define CUSTOM(n, s, ...)	ROW(n, CFG_CUSTOM, CFG_IN_ALL, .set = (s), __VA_ARGS__)
#define LIST(n, s, ...)		ROW(n, CFG_LIST, CFG_IN_ALL, .set = (s), __VA_ARGS__)
#define UNSUPPORTED(n, ...)	ROW(n, CFG_UNSUPPORTED, 0, __VA_ARGS__)
/*
 * The LDAP mapping: OTP token IDs (yubi_attr=) in client mode, PIV
 * certificates (piv_map=ldap) in piv mode.  The connection and the
 * search are the same; what is read differs.
 */
#define LDAP_NOTE	" (the LDAP mapping is for OTP token IDs and " \
	"piv_map=ldap)"
#define LDAP_OTP_NOTE	" (it is about OTP token IDs; piv_map=ldap reads " \
	"userCertificate;binary or piv_ldap_fp_attr=)"
#define LDAP_ROW(n, k, m, note, ...) ROW(n, k, m, .flags = CFG_LDAP, \
				    .mode_note = (note), __VA_ARGS__)
#define LDAP_IN		(CFG_IN_CLIENT | CFG_IN_PIV)
#define LDAP_SET(n, s, ...)	LDAP_ROW(n, CFG_CUSTOM, LDAP_IN, LDAP_NOTE, \
				    .set = (s), __VA_ARGS__)
#define LDAP_OTP_SET(n, s)	LDAP_ROW(n, CFG_CUSTOM, CFG_IN_CLIENT, \
				    LDAP_OTP_NOTE, .set = (s))
#define LDAP_PATH(n, f)		LDAP_ROW(n, CFG_PATH, LDAP_IN, LDAP_NOTE, \
				    .field = FIELD(f))
#define LDAP_FLAG(n, f)		LDAP_ROW(n, CFG_FLAG, LDAP_IN, LDAP_NOTE, \
				    .field = FIELD(f))

static const char *const offline_words[] = { "challenge-response", NULL };

#define FIRST_PASS_NOTE	" (an earlier module's password is sent to the card " \
	"only with use_authtok_as_pin)"

#define OCSP_NOTE	" (OCSP checks the certificate of a PIV card)"

const struct cfg_option cfg_options[] = {
	FLAG("debug", debug),
	FLAG("nullok", nullok),
	FLAG("alwaysok", alwaysok),
	FLAG_IN("use_first_pass", use_first_pass,
	    CFG_IN_CLIENT | CFG_IN_CHALRESP, FIRST_PASS_NOTE),
	FLAG_IN("try_first_pass", try_first_pass,
	    CFG_IN_CLIENT | CFG_IN_CHALRESP, FIRST_PASS_NOTE),
	FLAG("always_prompt", always_prompt),
	FLAG("verbose_otp", verbose_otp),
	CUSTOM("mode", set_mode),
	ROW("offline", CFG_ENUM, CFG_IN_CLIENT, .set = set_offline,
	    .values = offline_words, .check = check_offline,
	    .mode_note = " (it is the fallback of otp)"),
	UINT("id", client_id, 1, 2147483647,
	    "a client id from 1 to 2147483647"),
	CUSTOM("key", set_key, .secret = CFG_SECRET),
	LIST("urllist", set_urllist, .secret = CFG_SECRET_USERINFO),
	CUSTOM("url", set_url_template, .secret = CFG_SECRET_USERINFO,
	    .same_as = "urllist"),
	STR("capath", vc.capath),
	STR("cainfo", vc.cainfo),
	ROW("proxy", CFG_STRING, CFG_IN_ALL, .field = FIELD(vc.proxy),
	    .secret = CFG_SECRET_USERINFO),
	PATH("authfile", authfile),
	UINT("token_id_length", token_id_len, 1, 16, NULL),
	UINT("timeout", timeout_s, 1, 60, "1 to 60 (seconds)"),
	ROW("prompt", CFG_STRING, CFG_IN_ALL, .field = FIELD(prompt),
	    .check = check_prompt),
	CUSTOM("chalresp_path", set_chalresp_path),
	PATH("chalresp_helper", chalresp_helper),
	PATH("validate_helper", validate_helper),
	STR("debug_file", debug_file),
	FLAG("use_authtok_as_pin", use_authtok_as_pin),
	PATH("pkcs11_module", pkcs11_module),
	CUSTOM("pkcs11_uri", set_p11_uri),
	ROW("piv_slot", CFG_ENUM, CFG_IN_ALL, .set = set_piv_slot,
	    .values = piv_slots, .flags = CFG_ANYCASE),
	PATH("piv_cafile", piv_cafile),
	PATH("piv_capath", piv_capath),
	PATH("piv_crlfile", piv_crlfile),
	PATH("piv_crlpath", piv_crlpath),
	ENUM("piv_map", piv_map, piv_maps),
	ENUM_SET("piv_eku", set_piv_eku, piv_ekus),
	LIST("piv_domain", add_domains, .flags = CFG_ADDS),
	UINT("piv_min_rsa_bits", piv_min_rsa_bits, 1024, 16384, NULL),
	ROW("piv_ocsp", CFG_ENUM, CFG_IN_PIV, .field = FIELD(piv_ocsp),
	    .values = piv_ocsp_modes, .mode_note = OCSP_NOTE),
	ROW("piv_ocsp_url", CFG_CUSTOM, CFG_IN_PIV, .set = set_ocsp_url,
	    .check = check_ocsp_on, .mode_note = OCSP_NOTE),
	ROW("piv_ocsp_max_age", CFG_UINT, CFG_IN_PIV,
	    .field = FIELD(piv_ocsp_max_age), .min = 1, .max = 31536000,
	    .expect = "1 to 31536000 (seconds)", .check = check_ocsp_on,
	    .mode_note = OCSP_NOTE),
	ROW("piv_ocsp_cache", CFG_PATH, CFG_IN_PIV,
	    .field = FIELD(piv_ocsp_cache), .check = check_ocsp_on,
	    .mode_note = OCSP_NOTE),
	CUSTOM("conf", set_conf),
	/* pam_yubico's LDAP mapping (ldap_map.h, check_ldap below) */
	LDAP_SET("ldap_uri", set_ldap_uri),
	LDAP_SET("ldapserver", set_ldapserver, .same_as = "ldap_uri"),
	LDAP_SET("ldapdn", set_ldapdn),
	LDAP_SET("user_attr", set_user_attr),
	LDAP_SET("ldap_filter", set_ldap_filter),
	LDAP_OTP_SET("yubi_attr", set_yubi_attr),
	LDAP_OTP_SET("yubi_attr_prefix", set_yubi_attr_prefix),
	LDAP_SET("ldap_bind_user", set_ldap_bind_user),
	LDAP_SET("ldap_bind_password", set_ldap_bind_password,
	    .secret = CFG_SECRET),
	LDAP_ROW("ldap_bind_as_user", CFG_FLAG, CFG_IN_CLIENT, " (piv_map=ldap "
	    "maps the certificate before anything is typed)",
	    .field = FIELD(ldap_bind_as_user)),
	LDAP_FLAG("ldap_starttls", ldap_starttls),
	LDAP_PATH("ldap_cacertfile", ldap_cacertfile),
	LDAP_PATH("ldap_clientcertfile", ldap_clientcertfile),
	LDAP_PATH("ldap_clientkeyfile", ldap_clientkeyfile),
	LDAP_ROW("ldap_connection_timeout", CFG_UINT, LDAP_IN, LDAP_NOTE,
	    .field = FIELD(ldap_connection_timeout_s), .min = 1, .max = 60,
	    .expect = "1 to 60 (seconds)"),
	LDAP_PATH("ldap_helper", ldap_helper),
	LDAP_ROW("piv_ldap_fp_attr", CFG_CUSTOM, CFG_IN_PIV, " (it maps PIV "
	    "certificates)", .set = set_piv_ldap_fp_attr),
	/* pam_yubico's MySQL back-end: named, so the error can say why. */
	UNSUPPORTED("mysql_server"),
	UNSUPPORTED("mysql_port"), UNSUPPORTED("mysql_user"),
	UNSUPPORTED("mysql_password", .secret = CFG_SECRET),
	UNSUPPORTED("mysql_database"),
	{ .name = NULL },
};
#define NOPTIONS	(sizeof(cfg_options) / sizeof(cfg_options[0]) - 1)
_Static_assert(NOPTIONS <= CFG_MAX_OPTIONS,
    "cfg_options: raise CFG_MAX_OPTIONS (struct cfg's given[])");
_Static_assert(MODE_PIV == 2 && PIV_MAP_LDAP == 5,
    "cfg_mode_names and piv_maps follow the enums");
_Static_assert(sizeof(enum yk_mode) == sizeof(unsigned) &&
    sizeof(enum piv_map) == sizeof(unsigned) &&
    sizeof(enum piv_ocsp_mode) == sizeof(unsigned),
    "an enum field is stored as an unsigned");

const struct cfg_option *
cfg_option_find(const char *arg)
{
	size_t n = strcspn(arg, "=");

	for (const struct cfg_option *o = cfg_options; o->name != NULL; o++)
		if (strlen(o->name) == n && strncmp(arg, o->name, n) == 0)
			return o;
	return NULL;
}

/* ---- did you mean --------------------------------------------------------- */

static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64] = { 0 }, diag, up;

	if (la >= 64 || lb >= 64)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			up = row[j];
			row[j] = a[i - 1] == b[j - 1] ? diag :
			    1 + (diag < up ? (diag < row[j - 1] ? diag : row[j - 1]) :
			    (up < row[j - 1] ? up : row[j - 1]));
			diag = up;
		}
	}
	return row[lb];
}

/* A row as it is written: "name" for a flag, else "name=". */
static const char *
spelt(const struct cfg_option *o, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", o->name, o->kind == CFG_FLAG ? "" : "=");
	return buf;
}

/*
 * The row nearest to arg's name (lower-cased, with its '=' if it has
 * one), within an edit distance of 2 and of half the name; the
 * unsupported rows only when asked (they are never suggested).
 */
static const struct cfg_option *
nearest_row(const char *arg, bool unsupported)
{
	char low[64] = "", cand[64];
	const struct cfg_option *best = NULL;
	size_t bd = 3, n = strcspn(arg, "=");

	if (n >= sizeof(low) - 1)
		return NULL;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)(arg[i] >= 'A' && arg[i] <= 'Z' ? arg[i] + 32 :
		    arg[i]);
	if (arg[n] == '=')
		low[n] = '=';
	for (const struct cfg_option *o = cfg_options; o->name != NULL; o++) {
		size_t d;

		if (o->kind == CFG_UNSUPPORTED && !unsupported)
			continue;
		spelt(o, cand, sizeof(cand));
		d = distance(low, cand);
		if (d < bd && d < strlen(cand) / 2 + 1) {
			bd = d;
			best = o;
		}
	}
	return best;
}

const char *
cfg_nearest(const char *arg, char *buf, size_t len)
{
	const struct cfg_option *o = nearest_row(arg, false);

	return o != NULL ? spelt(o, buf, len) : NULL;
}

bool
cfg_arg_secret(const char *arg)
{
	const struct cfg_option *o = cfg_option_find(arg);
	const char *v = strchr(arg, '=');

	if (v == NULL)
		return false;		/* no value to hide */
	if (o == NULL)			/* kye=: judged as what it misspells */
		o = nearest_row(arg, true);
	return o != NULL && (o->secret == CFG_SECRET ||
	    (o->secret == CFG_SECRET_USERINFO && strchr(v, '@') != NULL));
}

/* ---- parsing one option --------------------------------------------------- */

/* The option of an unknown argument; a value is never shown (kye=...). */
static enum cfg_err
unknown(const char *arg, char *errbuf, size_t errlen)
{
	size_t n = strcspn(arg, "=");
	char near[64], hint[90] = "";

	if (cfg_nearest(arg, near, sizeof(near)) != NULL)
		snprintf(hint, sizeof(hint), "; did you mean '%s'?", near);
	if (arg[n] == '=')
		BAD(CFG_E_UNKNOWN, "unknown option '%.*s=' (its value is not "
		    "shown)%s", (int)(n > 60 ? 60 : n), arg, hint);
	BAD(CFG_E_UNKNOWN, "unknown option '%.60s'%s", arg, hint);
}

/* Printable ASCII, short: a word that can be quoted back in a reason. */
static bool
quotable(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e || ++n > 40)
			return false;
	return true;
}

/* "name: expected a, b or c, not 'x'" */
static enum cfg_err
bad_word(const struct cfg_option *o, const char *v, char *errbuf,
    size_t errlen)
{
	size_t used, k;

	snprintf(errbuf, errlen, "%s: expected ", o->name);
	for (k = 0; o->values[k] != NULL; k++) {
		used = strlen(errbuf);
		snprintf(errbuf + used, errlen - used, "%s%s", k == 0 ? "" :
		    o->values[k + 1] == NULL ? " or " : ", ", o->values[k]);
	}
	used = strlen(errbuf);
	if (quotable(v) && *v != '\0')
		snprintf(errbuf + used, errlen - used, ", not '%s'", v);
	return CFG_E_VALUE;
}

static void *
at(struct cfg *cfg, const struct cfg_option *o)
{
	return (char *)cfg + o->field;
}

/* The value v of row o (NULL for a flag), by the rule of its kind. */
static enum cfg_err
set_option(struct cfg *cfg, const struct cfg_option *o, const char *v,
    char *errbuf, size_t errlen)
{
	unsigned long n = 0;

	switch (o->kind) {
	case CFG_FLAG:
		break;
	case CFG_STRING:
		if (*v == '\0')
			BAD(CFG_E_VALUE, "%s: expected a value, not an empty "
			    "one", o->name);
		break;
	case CFG_PATH:
		if (*v != '/')
			BAD(CFG_E_VALUE, "%s: expected an absolute path",
			    o->name);
		break;
	case CFG_UINT:
		if (parse_uint(v, o->min, o->max, &n) == 0)
			break;
		if (o->expect != NULL)
			BAD(CFG_E_VALUE, "%s: expected %s", o->name, o->expect);
		BAD(CFG_E_VALUE, "%s: expected %lu to %lu", o->name, o->min,
		    o->max);
	case CFG_ENUM:
		for (n = 0; o->values[n] != NULL && (o->flags & CFG_ANYCASE ?
		    strcasecmp(v, o->values[n]) : strcmp(v, o->values[n])) != 0;
		    n++)
			;
		if (o->values[n] == NULL)
			return bad_word(o, v, errbuf, errlen);
		break;
	case CFG_LIST:
	case CFG_CUSTOM:
		break;
	case CFG_UNSUPPORTED:
	default:
		BAD(CFG_E_UNSUPPORTED, "%s: the MySQL mapping is not "
		    "supported; use authfile= or ldap_uri=", o->name);
	}
	if (o->set != NULL)
		return o->set(cfg, v, n, errbuf, errlen);
	if (o->kind == CFG_FLAG)
		*(bool *)at(cfg, o) = true;
	else if (o->kind == CFG_UINT || o->kind == CFG_ENUM)
		*(unsigned *)at(cfg, o) = (unsigned)n;	/* an enum's index */
	else
		*(const char **)at(cfg, o) = v;
	return CFG_OK;
}

/* Where row o's value is recorded for conf_set/line_overrides, or -1. */
static long
slot_of(const struct cfg_option *o)
{
	if (o->kind == CFG_FLAG || o->flags & CFG_ADDS)
		return -1;	/* a flag is only ever set; a list adds */
	if (o->same_as != NULL)
		o = cfg_option_find(o->same_as);
	return o - cfg_options;
}

static enum cfg_err
parse_one(struct cfg *cfg, const char *arg, char *errbuf, size_t errlen)
{
	const struct cfg_option *o = cfg_option_find(arg);
	const char *eq = strchr(arg, '=');
	enum cfg_err r;
	long slot;

	if (o == NULL || (o->kind != CFG_UNSUPPORTED &&
	    (o->kind == CFG_FLAG) != (eq == NULL)))
		return unknown(arg, errbuf, errlen);
	if ((r = set_option(cfg, o, eq ? eq + 1 : NULL, errbuf, errlen)) !=
	    CFG_OK)
		return r;
	cfg->given[o - cfg_options] = true;
	if ((slot = slot_of(o)) < 0)
		return CFG_OK;
	if (cfg->in_conf)
		cfg->conf_set[slot] = true;
	else if (cfg->conf_set[slot])
		cfg->line_overrides[slot] = true;
	return CFG_OK;
}

/* Whether row o, given, fits the rest of the configuration. */
static enum cfg_err
fits(const struct cfg *cfg, const struct cfg_option *o, char *errbuf,
    size_t errlen)
{
	/* An option of one method is fine in a list that has that method. */
	if (!(o->modes & cfg->modes))
		BAD(CFG_E_MODE, "%s: does not apply to mode=%.80s%s", o->name,
		    cfg->mode_arg != NULL ? cfg->mode_arg :
		    cfg_mode_names[cfg->mode], o->mode_note ? o->mode_note : "");
	return o->check != NULL ? o->check(cfg, errbuf, errlen) : CFG_OK;
}

/* ---- conf= ---------------------------------------------------------------- */

/* Read conf= safely: root's, not group/other accessible, bounded. */
static char *
read_conf(const char *path, enum cfg_err *r, char *errbuf, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
	    O_NOCTTY);

	*r = CFG_E_FILE;
	if (fd < 0) {
		snprintf(errbuf, errlen, "conf: cannot open %.100s: %s", path,
		    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		snprintf(errbuf, errlen, "conf: %.100s is not a regular file", path);
	else if (st.st_uid != 0)
		snprintf(errbuf, errlen, "conf: %.100s is not owned by root", path);
	else if (st.st_mode & 077)
		snprintf(errbuf, errlen, "conf: %.100s must not be readable or "
		    "writable by group or others (chmod 600)", path);
	else if (st.st_size > CFG_MAX_CONF)
		snprintf(errbuf, errlen, "conf: %.100s is too large", path);
	else if ((buf = calloc(1, (size_t)st.st_size + 1)) == NULL) {
		snprintf(errbuf, errlen, "conf: out of memory");
		*r = CFG_E_NOMEM;
	} else if ((n = read(fd, buf, (size_t)st.st_size)) != st.st_size ||
	    memchr(buf, '\0', (size_t)n) != NULL) {
		snprintf(errbuf, errlen, "conf: cannot read %.100s", path);
		explicit_bzero(buf, (size_t)st.st_size);
		free(buf);
		buf = NULL;
	}
	close(fd);
	return buf;
}

/* One option per line; blank lines and lines starting with # are skipped. */
static enum cfg_err
parse_file(struct cfg *cfg, const char *path, char *errbuf, size_t errlen)
{
	enum cfg_err r = CFG_E_FILE;
	char *text = cfg_own(cfg, read_conf(path, &r, errbuf, errlen));
	char *save = NULL;

	if (text == NULL)
		return r;
	cfg->in_conf = true;
	r = CFG_OK;
	for (char *line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *end = line + strlen(line);

		while (*line == ' ' || *line == '\t')
			line++;
		while (end > line && strchr(" \t\r", end[-1]) != NULL)
			*--end = '\0';
		if (*line == '\0' || *line == '#')
			continue;
		if ((r = parse_one(cfg, line, errbuf, errlen)) != CFG_OK) {
			size_t used = strlen(errbuf);

			snprintf(errbuf + used, errlen - used, " (%.60s)", path);
			break;
		}
	}
	cfg->in_conf = false;
	return r;
}

static enum cfg_err
set_conf(struct cfg *cfg, const char *v, unsigned long n, char *errbuf,
    size_t errlen)
{
	if (cfg->in_conf)
		BAD(CFG_E_FILE, "conf: a configuration file cannot name another");
	if (*v != '/')
		BAD(CFG_E_VALUE, "conf: expected an absolute path");
	cfg->conf = v;
	return parse_file(cfg, v, errbuf, errlen);
}

/* ---- the whole configuration ---------------------------------------------- */

/* Whether the option called name was given (on the line or in conf=). */
static bool
given(const struct cfg *cfg, const char *name)
{
	const struct cfg_option *o = cfg_option_find(name);

	return o != NULL && cfg->given[o - cfg_options];
}

/* Whether any LDAP option was given. */
static bool
ldap_given(const struct cfg *cfg)
{
	for (size_t i = 0; i < NOPTIONS; i++)
		if (cfg->given[i] && (cfg_options[i].flags & CFG_LDAP))
			return true;
	return false;
}

/*
 * The LDAP options together.  pam_yubico quietly searches something
 * else (or nothing) when one is missing; here it is a configuration
 * error, as is every combination that would search the same entry for
 * every user, bind anonymously instead of as the user, or read the
 * mapping in clear from another host.  In piv mode they are the
 * directory of piv_map=ldap, which needs them (and nothing else does).
 */
static enum cfg_err
check_ldap(struct cfg *cfg, char *errbuf, size_t errlen)
{
	/* In a list with otp the directory maps token IDs too. */
	bool otp = (cfg->modes & CFG_IN_CLIENT) != 0, piv = !otp;
	bool piv_ldap = (cfg->modes & CFG_IN_PIV) &&
	    cfg->piv_map == PIV_MAP_LDAP;

	if (piv_ldap && !ldap_given(cfg))
		BAD(CFG_E_MISSING, "ldap_uri: piv_map=ldap needs the "
		    "directory's ldap_uri=");
	if (!ldap_given(cfg))
		return CFG_OK;
	if (piv && !piv_ldap && (cfg->modes & CFG_IN_PIV))
		BAD(CFG_E_CONFLICT, "piv_map: the LDAP options are for "
		    "piv_map=ldap, and piv_map=%s is set (they would be "
		    "ignored)", piv_maps[cfg->piv_map]);
	if (cfg->ldap_uri != NULL && cfg->ldapserver != NULL)
		BAD(CFG_E_CONFLICT, "ldap_uri and ldapserver exclude each other");
	cfg->ldap_uris = cfg->ldap_uri != NULL ? cfg->ldap_uri : cfg->ldapserver;
	if (cfg->ldap_uris == NULL)
		BAD(CFG_E_MISSING, "ldap_uri: the LDAP options need the "
		    "directory's ldap_uri=");
	if (cfg->authfile != NULL && (otp || piv_ldap))
		BAD(CFG_E_CONFLICT, piv ? "authfile and piv_map=ldap exclude "
		    "each other" : "authfile and ldap_uri exclude each other "
		    "(pam_yubico ignores authfile= then)");
	if (!piv && cfg->yubi_attr == NULL)
		BAD(CFG_E_MISSING, "yubi_attr: the LDAP mapping needs the "
		    "attribute that holds the token IDs");
	if (cfg->ldapdn == NULL)
		BAD(CFG_E_MISSING, "ldapdn: the LDAP mapping needs the base DN");
	if (cfg->user_attr == NULL && cfg->ldap_filter == NULL)
		BAD(CFG_E_MISSING, "user_attr or ldap_filter: without either "
		    "every user would get the same entry");
	if ((cfg->ldap_bind_user == NULL) != (cfg->ldap_bind_password == NULL))
		BAD(CFG_E_MISSING, "ldap_bind_user and ldap_bind_password go "
		    "together");
	if (cfg->ldap_bind_as_user && cfg->user_attr == NULL)
		BAD(CFG_E_MISSING, "ldap_bind_as_user: needs user_attr= to "
		    "build the user's DN");
	if (cfg->ldap_bind_as_user && cfg->ldap_bind_user != NULL)
		BAD(CFG_E_CONFLICT, "ldap_bind_as_user and ldap_bind_user "
		    "exclude each other");
	if (cfg->ldap_bind_as_user && cfg->nmethods > 1)
		BAD(CFG_E_CONFLICT, "ldap_bind_as_user: a method list looks "
		    "the user up before asking anything, so there is no "
		    "password to bind with");
	if ((cfg->ldap_clientcertfile == NULL) !=
	    (cfg->ldap_clientkeyfile == NULL))
		BAD(CFG_E_MISSING, "ldap_clientcertfile and ldap_clientkeyfile "
		    "go together");
	if (!cfg->ldap_starttls && ldap_map_uri_cleartext(cfg->ldap_uris))
		BAD(CFG_E_CONFLICT, "ldap_uri: ldap:// to another host without "
		    "ldap_starttls: the %s mapping could be forged on the "
		    "way (use ldaps:// or ldap_starttls)", piv ? "certificate" :
		    "token");
	return CFG_OK;
}

/* Rules that need the whole configuration. */
static enum cfg_err
check(struct cfg *cfg, char *errbuf, size_t errlen)
{
	char shown[128];
	unsigned client_ms;
	enum cfg_err r;

	if (cfg->use_first_pass && cfg->try_first_pass)
		BAD(CFG_E_CONFLICT, "use_first_pass and try_first_pass exclude "
		    "each other");
	if ((cfg->modes & CFG_IN_PIV) && cfg->piv_cafile == NULL &&
	    cfg->piv_capath == NULL)
		BAD(CFG_E_MISSING, "piv_cafile or piv_capath: PIV mode needs "
		    "trust anchors");
	for (size_t i = 0; i < NOPTIONS; i++)
		if (cfg->given[i] &&
		    (r = fits(cfg, &cfg_options[i], errbuf, errlen)) != CFG_OK)
			return r;
	if ((cfg->modes & CFG_IN_PIV) && (cfg->piv_map == PIV_MAP_UPN ||
	    cfg->piv_map == PIV_MAP_EMAIL) && cfg->npiv_domains == 0)
		BAD(CFG_E_MISSING, "piv_domain: piv_map=%s needs the domain(s) "
		    "to accept after the '@'", piv_maps[cfg->piv_map]);
	cfg->have_id = given(cfg, "id");
	cfg->vc.id = (long)cfg->client_id;
	cfg->have_timeout = given(cfg, "timeout");
	if (cfg->have_timeout)
		cfg->vc.timeout_ms = cfg->timeout_s * 1000;
	else if (cfg->mode == MODE_PIV)
		cfg->vc.timeout_ms = CFG_PIV_TIMEOUT_MS;
	if (!(cfg->modes & CFG_IN_CLIENT))
		return check_ldap(cfg, errbuf, errlen);	/* piv_map=ldap's */
	if (!cfg->have_id)
		BAD(CFG_E_MISSING, "id: the API client id is required in client "
		    "mode");
	if ((r = check_ldap(cfg, errbuf, errlen)) != CFG_OK)
		return r;
	if (cfg->vc.nurls == 0) {
		cfg->vc.urls[0] = VC_DEFAULT_URL;
		cfg->vc.nurls = 1;
	}
	for (size_t i = 0; i < cfg->vc.nurls; i++)
		if (strncmp(cfg->vc.urls[i], "http://", 7) == 0 && !cfg->have_key)
			BAD(CFG_E_CONFLICT, "urllist: %.80s is plain http:// and "
			    "no key= is set, so its answers could be forged",
			    request_url_shown(cfg->vc.urls[i], shown,
			    sizeof(shown)));
	/* otp's own timeout, also when a PIV list's first method is piv */
	client_ms = cfg->have_timeout ? cfg->vc.timeout_ms :
	    CFG_DEFAULT_TIMEOUT_MS;
	cfg->vc.connect_timeout_ms = client_ms < 3000 ? client_ms : 3000;
	return CFG_OK;
}

enum cfg_err
cfg_parse(int argc, const char **argv, struct cfg *cfg, char *errbuf,
    size_t errlen)
{
	enum cfg_err r;
	int i;

	defaults(cfg);
	/* conf= first, wherever it stands, so the PAM line overrides it. */
	for (i = 0; i < argc; i++)
		if (strncmp(argv[i], "conf=", 5) == 0 &&
		    (r = parse_one(cfg, argv[i], errbuf, errlen)) != CFG_OK)
			return r;
	for (i = 0; i < argc; i++)
		if (strncmp(argv[i], "conf=", 5) != 0 &&
		    (r = parse_one(cfg, argv[i], errbuf, errlen)) != CFG_OK)
			return r;
	return check(cfg, errbuf, errlen);
}

enum cfg_err
cfg_check_arg(const char *arg, char *errbuf, size_t errlen)
{
	struct cfg c;
	enum cfg_err r;

	defaults(&c);
	r = parse_one(&c, arg, errbuf, errlen);
	cfg_free(&c);
	return r;
}

enum cfg_err
cfg_check_value(const char *name, const char *value, enum yk_mode mode,
    char *errbuf, size_t errlen)
{
	const struct cfg_option *o = cfg_option_find(name);
	struct cfg c;
	enum cfg_err r;

	if (o == NULL || strchr(name, '=') != NULL)
		return unknown(name, errbuf, errlen);
	defaults(&c);
	c.mode = c.methods[0] = mode;
	c.modes = CFG_IN(mode);
	r = set_option(&c, o, o->kind == CFG_FLAG ? NULL : value, errbuf,
	    errlen);
	if (r == CFG_OK)
		r = fits(&c, o, errbuf, errlen);
	cfg_free(&c);
	return r;
}

void
cfg_method(const struct cfg *cfg, enum yk_mode m, struct cfg *out)
{
	*out = *cfg;
	out->mode = out->methods[0] = m;
	out->nmethods = 1;
	out->modes = CFG_IN(m);
	out->nowned = 0;	/* borrowed: cfg frees them */
	if (!cfg->have_timeout)
		out->vc.timeout_ms = m == MODE_PIV ? CFG_PIV_TIMEOUT_MS :
		    CFG_DEFAULT_TIMEOUT_MS;
}

bool
cfg_has_method(const struct cfg *cfg, enum yk_mode m)
{
	return method_pos(cfg, m) >= 0;
}

void
cfg_free(struct cfg *cfg)
{
	for (size_t i = 0; i < cfg->nowned; i++)
		wipe_free(&cfg->owned[i]);
	explicit_bzero(cfg, sizeof(*cfg));
}
