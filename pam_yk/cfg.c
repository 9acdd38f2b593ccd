/* SPDX-License-Identifier: BSD-2-Clause */
/* cfg.c - module arguments -> struct cfg; every bad option is an error */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"
#include "modhex.h"
#include "piv_uri.h"
#include "request.h"

/* pam_yubico's database back-ends: named, so the error can say why. */
static const char *const unsupported[] = {
	"ldap_uri=", "ldapserver=", "ldapdn=", "user_attr=", "ldap_filter=",
	"yubi_attr=", "yubi_attr_prefix=", "ldap_bind_user=",
	"ldap_bind_password=", "ldap_bind_as_user", "ldap_starttls",
	"ldap_cacertfile=", "ldap_clientcertfile=", "ldap_clientkeyfile=",
	"ldap_connection_timeout=", "mysql_server=", "mysql_port=",
	"mysql_user=", "mysql_password=", "mysql_database=", NULL,
};

static void
defaults(struct cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = MODE_CLIENT;
	cfg->token_id_len = CFG_DEFAULT_TOKEN_ID_LEN;
	cfg->pkcs11_module = PKCS11_DEFAULT_MODULE;
	cfg->piv_uri.id[0] = 0x01;	/* 9a, PIV Authentication */
	cfg->piv_uri.idlen = 1;
	cfg->vc.timeout_ms = CFG_DEFAULT_TIMEOUT_MS;
	cfg->piv_min_rsa_bits = CFG_DEFAULT_MIN_RSA_BITS;
}

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

static const char *
skip_prefix(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(s, prefix, n) == 0 ? s + n : NULL;
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

/* Only https://, or http:// (allowed later only with a key). */
static int
check_url(const char *url, char *errbuf, size_t errlen)
{
	char u[128];

	request_url_shown(url, u, sizeof(u));	/* no password in the log */
	if (strncmp(url, "https://", 8) != 0 &&
	    strncmp(url, "http://", 7) != 0) {
		snprintf(errbuf, errlen, "urllist: '%.80s' is not an http:// "
		    "or https:// URL", u);
		return -1;
	}
	if (strpbrk(url, " \t\r\n?#") != NULL) {
		snprintf(errbuf, errlen, "urllist: '%.80s' must be a base URL "
		    "without a query", u);
		return -1;
	}
	return 0;
}

static int
set_urllist(struct cfg *cfg, const char *v, char *errbuf, size_t errlen)
{
	char *list = cfg_own(cfg, strdup(v)), *save = NULL;

	if (list == NULL) {
		snprintf(errbuf, errlen, "urllist: out of memory");
		return -1;
	}
	cfg->vc.nurls = 0;
	for (char *u = strtok_r(list, ";", &save); u != NULL;
	    u = strtok_r(NULL, ";", &save)) {
		if (cfg->vc.nurls == VC_MAX_URLS) {
			snprintf(errbuf, errlen, "urllist: more than %d URLs",
			    VC_MAX_URLS);
			return -1;
		}
		if (check_url(u, errbuf, errlen) != 0)
			return -1;
		cfg->vc.urls[cfg->vc.nurls++] = u;
	}
	if (cfg->vc.nurls == 0) {
		snprintf(errbuf, errlen, "urllist: no URL given");
		return -1;
	}
	return 0;
}

/*
 * pam_yubico's old url= template, "https://host/wsapi/2.0/verify?id=%d&otp=%s".
 * It is never used as a format: it must hold exactly one %d and one %s
 * in its query, and its base (before '?') becomes the URL.
 */
static int
set_url_template(struct cfg *cfg, const char *v, char *errbuf, size_t errlen)
{
	const char *q = strchr(v, '?'), *p;
	int d = 0, s = 0;
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
	    strchr(v, '%') < q) {
		snprintf(errbuf, errlen, "url: expected a template like "
		    "https://host/wsapi/2.0/verify?id=%%d&otp=%%s");
		return -1;
	}
	if ((base = cfg_own(cfg, strndup(v, (size_t)(q - v)))) == NULL) {
		snprintf(errbuf, errlen, "url: out of memory");
		return -1;
	}
	if (check_url(base, errbuf, errlen) != 0)
		return -1;
	cfg->url_template = v;
	cfg->vc.urls[0] = base;
	cfg->vc.nurls = 1;
	return 0;
}

static int parse_file(struct cfg *cfg, const char *path, char *errbuf,
    size_t errlen);

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
static int
add_domains(struct cfg *cfg, const char *v, char *errbuf, size_t errlen)
{
	char *list = cfg_own(cfg, strdup(v)), *save = NULL;

	if (list == NULL) {
		snprintf(errbuf, errlen, "piv_domain: out of memory");
		return -1;
	}
	if (*v == '\0' || strstr(v, ",,") != NULL || *v == ',' ||
	    v[strlen(v) - 1] == ',') {
		snprintf(errbuf, errlen, "piv_domain: expected a domain or a "
		    "comma-separated list of domains");
		return -1;
	}
	for (char *d = strtok_r(list, ",", &save); d != NULL;
	    d = strtok_r(NULL, ",", &save)) {
		if (!domain_ok(d)) {
			snprintf(errbuf, errlen, "piv_domain: '%.80s' is not a "
			    "domain name", d);
			return -1;
		}
		if (cfg->npiv_domains == CFG_MAX_PIV_DOMAINS) {
			snprintf(errbuf, errlen, "piv_domain: more than %d "
			    "domains", CFG_MAX_PIV_DOMAINS);
			return -1;
		}
		cfg->piv_domain[cfg->npiv_domains++] = d;
	}
	return 0;
}

/* What parse_one accepts (keep in step with it; test_cfg checks them). */
const char *const cfg_options[] = {
	"debug", "nullok", "alwaysok", "try_first_pass", "use_first_pass",
	"always_prompt", "verbose_otp", "mode=", "id=", "key=", "urllist=",
	"url=", "capath=", "cainfo=", "proxy=", "authfile=", "token_id_length=",
	"timeout=", "prompt=", "chalresp_path=", "chalresp_helper=",
	"validate_helper=",
	"debug_file=",
	"use_authtok_as_pin", "pkcs11_module=", "pkcs11_uri=", "piv_slot=",
	"piv_cafile=", "piv_capath=", "piv_crlfile=", "piv_crlpath=",
	"piv_map=", "piv_eku=", "piv_domain=", "piv_min_rsa_bits=", "conf=",
	NULL,
};
_Static_assert(sizeof(cfg_options) / sizeof(cfg_options[0]) <= 65,
    "cfg_options: struct cfg's conf_set has 64 bits");

/*
 * The bit of arg's option in cfg->conf_set and line_overrides: value
 * options only ("name=..."), url= as urllist= (both set the servers);
 * piv_domain= adds to the list rather than replacing it.  0 for a flag.
 */
static unsigned long long
option_bit(const char *arg)
{
	size_t i, len;

	if (strncmp(arg, "url=", 4) == 0)
		arg = "urllist=";
	if (strncmp(arg, "piv_domain=", 11) == 0)
		return 0;
	for (i = 0; cfg_options[i] != NULL; i++) {
		len = strlen(cfg_options[i]);
		if (cfg_options[i][len - 1] == '=' &&
		    strncmp(arg, cfg_options[i], len) == 0)
			return i < 64 ? 1ULL << i : 0;
	}
	return 0;
}

#define BAD(...) do { snprintf(errbuf, errlen, __VA_ARGS__); return -1; } while (0)

static int
parse_one(struct cfg *cfg, const char *arg, bool from_file, char *errbuf,
    size_t errlen)
{
	const char *v;
	unsigned long n;
	int kl;

	if (strcmp(arg, "debug") == 0)
		cfg->debug = true;
	else if (strcmp(arg, "nullok") == 0)
		cfg->nullok = true;
	else if (strcmp(arg, "alwaysok") == 0)
		cfg->alwaysok = true;
	else if (strcmp(arg, "try_first_pass") == 0)
		cfg->try_first_pass = true;
	else if (strcmp(arg, "use_first_pass") == 0)
		cfg->use_first_pass = true;
	else if (strcmp(arg, "always_prompt") == 0)
		cfg->always_prompt = true;
	else if (strcmp(arg, "verbose_otp") == 0)
		cfg->verbose_otp = true;
	else if ((v = skip_prefix(arg, "mode=")) != NULL) {
		if (strcmp(v, "client") == 0)
			cfg->mode = MODE_CLIENT;
		else if (strcmp(v, "challenge-response") == 0)
			cfg->mode = MODE_CHALRESP;
		else if (strcmp(v, "piv") == 0)
			cfg->mode = MODE_PIV;
		else
			BAD("mode: expected client, challenge-response or piv, "
			    "not '%.40s'", v);
	} else if ((v = skip_prefix(arg, "id=")) != NULL) {
		if (parse_uint(v, 1, 2147483647, &n) != 0)
			BAD("id: expected a client id from 1 to 2147483647");
		cfg->vc.id = (long)n;
		cfg->have_id = true;
	} else if ((v = skip_prefix(arg, "key=")) != NULL) {
		kl = b64_decode(v, cfg->vc.key, sizeof(cfg->vc.key));
		if (kl <= 0)
			BAD("key: not a base64 API key");
		cfg->vc.keylen = (size_t)kl;
		cfg->have_key = true;
	} else if ((v = skip_prefix(arg, "urllist=")) != NULL) {
		if (set_urllist(cfg, v, errbuf, errlen) != 0)
			return -1;
	} else if ((v = skip_prefix(arg, "url=")) != NULL) {
		if (set_url_template(cfg, v, errbuf, errlen) != 0)
			return -1;
	} else if ((v = skip_prefix(arg, "capath=")) != NULL && *v)
		cfg->vc.capath = v;
	else if ((v = skip_prefix(arg, "cainfo=")) != NULL && *v)
		cfg->vc.cainfo = v;
	else if ((v = skip_prefix(arg, "proxy=")) != NULL && *v)
		cfg->vc.proxy = v;
	else if ((v = skip_prefix(arg, "authfile=")) != NULL) {
		if (*v != '/')
			BAD("authfile: expected an absolute path");
		cfg->authfile = v;
	} else if ((v = skip_prefix(arg, "token_id_length=")) != NULL) {
		if (parse_uint(v, 1, 16, &n) != 0)
			BAD("token_id_length: expected 1 to 16");
		cfg->token_id_len = (unsigned)n;
	} else if ((v = skip_prefix(arg, "timeout=")) != NULL) {
		if (parse_uint(v, 1, 60, &n) != 0)
			BAD("timeout: expected 1 to 60 (seconds)");
		cfg->vc.timeout_ms = (unsigned)n * 1000;
		cfg->have_timeout = true;
	} else if ((v = skip_prefix(arg, "prompt=")) != NULL && *v)
		cfg->prompt = v;
	else if ((v = skip_prefix(arg, "chalresp_path=")) != NULL) {
		const char *why = cfg_chalresp_path_bad(v);

		if (why != NULL)
			BAD("chalresp_path: expected %s", why);
		cfg->chalresp_path = v;
	} else if ((v = skip_prefix(arg, "validate_helper=")) != NULL) {
		if (v[0] != '/')
			BAD("validate_helper: expected an absolute path");
		cfg->validate_helper = v;
	} else if ((v = skip_prefix(arg, "chalresp_helper=")) != NULL) {
		if (*v != '/')
			BAD("chalresp_helper: expected an absolute path");
		cfg->chalresp_helper = v;
	} else if ((v = skip_prefix(arg, "debug_file=")) != NULL && *v)
		cfg->debug_file = v;
	else if (strcmp(arg, "use_authtok_as_pin") == 0)
		cfg->use_authtok_as_pin = true;
	else if ((v = skip_prefix(arg, "pkcs11_module=")) != NULL) {
		if (*v != '/')
			BAD("pkcs11_module: expected an absolute path");
		cfg->pkcs11_module = v;
	} else if ((v = skip_prefix(arg, "pkcs11_uri=")) != NULL) {
		if (piv_uri_parse(cfg, v, &cfg->piv_uri, errbuf, errlen) != 0)
			return -1;
	} else if ((v = skip_prefix(arg, "piv_slot=")) != NULL) {
		static const char *const slots[] = { "9a", "9c", "9d", "9e" };

		for (n = 0; n < 4 && strcasecmp(v, slots[n]) != 0; n++)
			;
		if (n == 4)
			BAD("piv_slot: expected 9a, 9c, 9d or 9e");
		cfg->piv_uri.id[0] = (unsigned char)(n + 1);
		cfg->piv_uri.idlen = 1;
	} else if ((v = skip_prefix(arg, "piv_cafile=")) != NULL && *v == '/')
		cfg->piv_cafile = v;
	else if ((v = skip_prefix(arg, "piv_capath=")) != NULL && *v == '/')
		cfg->piv_capath = v;
	else if ((v = skip_prefix(arg, "piv_crlfile=")) != NULL && *v == '/')
		cfg->piv_crlfile = v;
	else if ((v = skip_prefix(arg, "piv_crlpath=")) != NULL && *v == '/')
		cfg->piv_crlpath = v;
	else if ((v = skip_prefix(arg, "piv_map=")) != NULL) {
		static const char *const maps[] = {
			"authfile", "cn", "uid", "upn", "email",
		};

		for (n = 0; n < 5 && strcmp(v, maps[n]) != 0; n++)
			;
		if (n == 5)
			BAD("piv_map: expected authfile, cn, uid, upn or email");
		cfg->piv_map = (enum piv_map)n;
	} else if ((v = skip_prefix(arg, "piv_eku=")) != NULL) {
		if (strcmp(v, "any") == 0)
			cfg->piv_eku_any = true;
		else if (strcmp(v, "clientauth") == 0)
			cfg->piv_eku_any = false;
		else
			BAD("piv_eku: expected any or clientauth");
	} else if ((v = skip_prefix(arg, "piv_domain=")) != NULL) {
		if (add_domains(cfg, v, errbuf, errlen) != 0)
			return -1;
	} else if ((v = skip_prefix(arg, "piv_min_rsa_bits=")) != NULL) {
		if (parse_uint(v, 1024, 16384, &n) != 0)
			BAD("piv_min_rsa_bits: expected 1024 to 16384");
		cfg->piv_min_rsa_bits = (unsigned)n;
	} else if ((v = skip_prefix(arg, "conf=")) != NULL) {
		if (from_file)
			BAD("conf: a configuration file cannot name another");
		if (*v != '/')
			BAD("conf: expected an absolute path");
		cfg->conf = v;
		return parse_file(cfg, v, errbuf, errlen);
	} else {
		for (const char *const *u = unsupported; *u != NULL; u++)
			if (strncmp(arg, *u, strlen(*u)) == 0)
				BAD("%.*s: LDAP and MySQL mappings are not "
				    "supported; use authfile=", (int)strcspn(arg, "="), arg);
		/* A misspelt key= or url= must not put its value in the log. */
		if (arg[strcspn(arg, "=")] == '=')
			BAD("unknown option '%.*s=' (its value is not shown)",
			    (int)(strcspn(arg, "=") > 60 ? 60 : strcspn(arg, "=")),
			    arg);
		BAD("unknown option '%.60s'", arg);
	}
	return 0;
}

/* Read conf= safely: root's, not group/other accessible, bounded. */
static char *
read_conf(const char *path, char *errbuf, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
	    O_NOCTTY);

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
	else if ((buf = calloc(1, (size_t)st.st_size + 1)) == NULL)
		snprintf(errbuf, errlen, "conf: out of memory");
	else if ((n = read(fd, buf, (size_t)st.st_size)) != st.st_size ||
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
static int
parse_file(struct cfg *cfg, const char *path, char *errbuf, size_t errlen)
{
	char *text = cfg_own(cfg, read_conf(path, errbuf, errlen)), *save = NULL;
	size_t lineno = 0;

	if (text == NULL)
		return -1;
	for (char *line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *end = line + strlen(line);

		lineno++;
		while (*line == ' ' || *line == '\t')
			line++;
		while (end > line && strchr(" \t\r", end[-1]) != NULL)
			*--end = '\0';
		if (*line == '\0' || *line == '#')
			continue;
		if (parse_one(cfg, line, true, errbuf, errlen) != 0) {
			size_t used = strlen(errbuf);

			snprintf(errbuf + used, errlen - used, " (%.60s)", path);
			return -1;
		}
		cfg->conf_set |= option_bit(line);
	}
	return 0;
}

/* Rules that need the whole configuration. */
static int
check(struct cfg *cfg, char *errbuf, size_t errlen)
{
	char shown[128];

	if (cfg->use_first_pass && cfg->try_first_pass)
		BAD("use_first_pass and try_first_pass exclude each other");
	if (cfg->mode == MODE_PIV && cfg->piv_cafile == NULL &&
	    cfg->piv_capath == NULL)
		BAD("piv_cafile or piv_capath: PIV mode needs trust anchors");
	if (cfg->mode == MODE_PIV && (cfg->use_first_pass || cfg->try_first_pass))
		BAD("%s: does not apply to mode=piv (an earlier module's "
		    "password is sent to the card only with use_authtok_as_pin)",
		    cfg->use_first_pass ? "use_first_pass" : "try_first_pass");
	if (cfg->mode == MODE_PIV && (cfg->piv_map == PIV_MAP_UPN ||
	    cfg->piv_map == PIV_MAP_EMAIL) && cfg->npiv_domains == 0)
		BAD("piv_domain: piv_map=%s needs the domain(s) to accept "
		    "after the '@'", cfg->piv_map == PIV_MAP_UPN ? "upn" : "email");
	/* The setuid helper takes the cue as an argument: the same rule. */
	if (cfg->mode == MODE_CHALRESP && cfg->prompt != NULL &&
	    cfg_cue_bad(cfg->prompt) != NULL)
		BAD("prompt: in challenge-response mode, expected %s",
		    cfg_cue_bad(cfg->prompt));
	if (cfg->mode == MODE_PIV && !cfg->have_timeout)
		cfg->vc.timeout_ms = CFG_PIV_TIMEOUT_MS;
	if (cfg->mode != MODE_CLIENT)
		return 0;
	if (!cfg->have_id)
		BAD("id: the API client id is required in client mode");
	if (cfg->vc.nurls == 0) {
		cfg->vc.urls[0] = VC_DEFAULT_URL;
		cfg->vc.nurls = 1;
	}
	for (size_t i = 0; i < cfg->vc.nurls; i++)
		if (strncmp(cfg->vc.urls[i], "http://", 7) == 0 && !cfg->have_key)
			BAD("urllist: %.80s is plain http:// and no key= is set, "
			    "so its answers could be forged", request_url_shown(
			    cfg->vc.urls[i], shown, sizeof(shown)));
	cfg->vc.connect_timeout_ms = cfg->vc.timeout_ms < 3000 ?
	    cfg->vc.timeout_ms : 3000;
	return 0;
}

int
cfg_parse(int argc, const char **argv, struct cfg *cfg, char *errbuf,
    size_t errlen)
{
	int i;

	defaults(cfg);
	/* conf= first, wherever it stands, so the PAM line overrides it. */
	for (i = 0; i < argc; i++)
		if (strncmp(argv[i], "conf=", 5) == 0 &&
		    parse_one(cfg, argv[i], false, errbuf, errlen) != 0)
			return -1;
	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], "conf=", 5) == 0)
			continue;
		cfg->line_overrides |= cfg->conf_set & option_bit(argv[i]);
		if (parse_one(cfg, argv[i], false, errbuf, errlen) != 0)
			return -1;
	}
	return check(cfg, errbuf, errlen);
}

void
cfg_free(struct cfg *cfg)
{
	for (size_t i = 0; i < cfg->nowned; i++) {
		if (cfg->owned[i] != NULL)
			explicit_bzero(cfg->owned[i], strlen(cfg->owned[i]));
		free(cfg->owned[i]);
	}
	explicit_bzero(cfg, sizeof(*cfg));
}
