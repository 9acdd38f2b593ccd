/* SPDX-License-Identifier: BSD-2-Clause */
/* cfg.h - module arguments (and conf= files) -> one struct cfg */
#ifndef YK_CFG_H
#define YK_CFG_H

#include <stdbool.h>
#include <stddef.h>

#include "client.h"
#include "piv_uri.h"

#define CFG_DEFAULT_TIMEOUT_MS	10000
#define CFG_PIV_TIMEOUT_MS	30000	/* PIV: for all the card's work */
#define CFG_DEFAULT_TOKEN_ID_LEN	12
#define CFG_MAX_CONF		65536
#define CFG_MAX_PIV_DOMAINS	16
#define CFG_DEFAULT_MIN_RSA_BITS	2048
#define CFG_MAX_OPTIONS		128	/* rows of cfg_options[] */
#define CFG_MAX_METHODS		3	/* mode=otp,challenge-response,piv */
/* piv_map=ldap without piv_ldap_fp_attr=: the DER certificates */
#define PIV_LDAP_CERT_ATTR	"userCertificate;binary"

enum yk_mode {
	MODE_CLIENT,
	MODE_CHALRESP,
	MODE_PIV,
};

enum piv_ocsp_mode {
	PIV_OCSP_OFF,		/* no OCSP (the default) */
	PIV_OCSP_TRY,		/* allowed only when no responder answers */
	PIV_OCSP_REQUIRE,	/* every failure denies */
};

enum piv_map {
	PIV_MAP_AUTHFILE,	/* sha256=<fingerprint> on the user's line */
	PIV_MAP_CN,
	PIV_MAP_UID,
	PIV_MAP_UPN,
	PIV_MAP_EMAIL,
	PIV_MAP_LDAP,		/* the user's directory entry holds it */
};

struct cfg {
	/*
	 * mode=A,B,...: the methods in the order given, each at most once
	 * (methods.h decides which one a user gets); mode is the first, and
	 * modes has the bit CFG_IN(m) of each.  A method runs with the copy
	 * that cfg_method makes, in which its mode is the only one.
	 */
	enum yk_mode	mode;
	enum yk_mode	methods[CFG_MAX_METHODS];
	size_t		nmethods;
	unsigned	modes;
	const char	*mode_arg;	/* mode='s value as given, or NULL */
	bool		offline;	/* offline=challenge-response */
	struct vc_cfg	vc;		/* id, key, urls, TLS, proxy, timeout */
	bool		have_id, have_key;
	bool		have_timeout;	/* timeout= was given */
	unsigned	client_id, timeout_s;	/* id=, timeout=: into vc */
	const char	*url_template;	/* url=, kept only to report it */
	const char	*authfile;	/* NULL: ~/.yubico/authorized_yubikeys */
	unsigned	token_id_len;
	const char	*prompt;	/* NULL: pam_yubico's "YubiKey for `user': " */
	const char	*chalresp_path;
	const char	*chalresp_helper;	/* NULL: the installed one */
	const char	*validate_helper;	/* NULL: the installed one */
	const char	*debug_file;
	const char	*conf;
	/* PIV */
	const char	*pkcs11_module;
	struct p11_uri	piv_uri;	/* piv_slot= gives its id */
	const char	*piv_cafile, *piv_capath, *piv_crlfile, *piv_crlpath;
	enum piv_map	piv_map;
	/* piv_map=upn|email: the domains accepted after the '@' */
	const char	*piv_domain[CFG_MAX_PIV_DOMAINS];
	size_t		npiv_domains;
	unsigned	piv_min_rsa_bits;	/* the chain's RSA keys */
	bool		piv_eku_any, use_authtok_as_pin;
	/*
	 * LDAP token mapping (pam_yubico's options; ldap_map.h).  ldapserver
	 * holds "ldap://HOST" made from the deprecated ldapserver=HOST;
	 * ldap_uris is the URI list the helper is given, ldap_uri= or that
	 * one, or NULL when LDAP is not used.
	 */
	const char	*ldap_uri, *ldapserver, *ldap_uris;
	const char	*ldapdn, *user_attr, *ldap_filter;
	const char	*yubi_attr, *yubi_attr_prefix;
	const char	*ldap_bind_user, *ldap_bind_password;
	const char	*ldap_cacertfile, *ldap_clientcertfile;
	const char	*ldap_clientkeyfile, *ldap_helper;
	unsigned	ldap_connection_timeout_s;	/* 0: not given */
	/* piv_map=ldap: the attribute of SHA-256 fingerprints, or NULL:
	   the certificates themselves, in PIV_LDAP_CERT_ATTR */
	const char	*piv_ldap_fp_attr;
	bool		ldap_bind_as_user, ldap_starttls;
	/* piv_ocsp=, piv_ocsp_url= (else the AIA's), piv_ocsp_max_age=
	   (seconds, 0: not checked), piv_ocsp_cache= (NULL: no cache) */
	enum piv_ocsp_mode piv_ocsp;
	const char	*piv_ocsp_url, *piv_ocsp_cache;
	unsigned	piv_ocsp_max_age;
	bool		verbose_otp, try_first_pass, use_first_pass;
	bool		always_prompt, nullok, alwaysok, debug;
	/*
	 * Indexed like cfg_options[]: the options given (anywhere), those
	 * that conf= set, and those that the PAM line then set again,
	 * overriding the file's value (value options only; url= counts as
	 * urllist=, and piv_domain= adds rather than overrides): ykpamcfg
	 * check denies a line that overrides conf=.
	 */
	bool		given[CFG_MAX_OPTIONS];
	bool		conf_set[CFG_MAX_OPTIONS], line_overrides[CFG_MAX_OPTIONS];
	bool		in_conf;	/* while conf='s lines are read */
	/* storage for the url= substitution and the conf file's text */
	char		*owned[VC_MAX_URLS + 8 + CFG_MAX_PIV_DOMAINS];
	size_t		nowned;
};

/*
 * What went wrong, for callers that act on the kind of error (ykpamcfg
 * check, the setuid helper); the text is for people.  CFG_OK is 0, so
 * "!= 0" is "refused".
 */
enum cfg_err {
	CFG_OK = 0,
	CFG_E_UNKNOWN,		/* no such option (or a flag given a value) */
	CFG_E_UNSUPPORTED,	/* pam_yubico's, refused with the reason */
	CFG_E_VALUE,		/* a known option with a bad value */
	CFG_E_MODE,		/* an option that does not apply to the mode */
	CFG_E_CONFLICT,		/* options that exclude each other */
	CFG_E_MISSING,		/* the configuration needs another option */
	CFG_E_FILE,		/* conf= cannot be used */
	CFG_E_NOMEM,
};

/*
 * Parse the PAM arguments.  conf=FILE is read first (it must be owned by
 * root and have no group or other permissions); the arguments on the PAM
 * line then override it.  Strings are borrowed from argv or owned by cfg:
 * call cfg_free (also after an error).  On error returns the kind, with a
 * one-line reason in errbuf naming the option (never a secret value); the
 * caller logs it and returns PAM_SERVICE_ERR.
 */
enum cfg_err cfg_parse(int argc, const char **argv, struct cfg *cfg,
    char *errbuf, size_t errlen);
void cfg_free(struct cfg *cfg);

/*
 * One argument alone, as cfg_parse judges it (conf= is read), without the
 * rules that need the whole line (modes, conflicts, required options):
 * ykpamcfg check names every bad option this way, not just the first.
 */
enum cfg_err cfg_check_arg(const char *arg, char *errbuf, size_t errlen);

/*
 * The value of option name (without '=') as cfg_parse would judge it in
 * mode, with the rules of that option alone (value not NULL, ignored for
 * a flag): the setuid helper holds its arguments to the module's rules
 * this way.
 */
enum cfg_err cfg_check_value(const char *name, const char *value,
    enum yk_mode mode, char *errbuf, size_t errlen);

/*
 * The configuration one method of cfg's list runs with: a shallow copy in
 * which m is the only mode, with m's default timeout unless timeout= was
 * given (piv: CFG_PIV_TIMEOUT_MS).  It borrows cfg's strings: never
 * cfg_free it; wipe it with explicit_bzero when done (it holds key=).
 */
void cfg_method(const struct cfg *cfg, enum yk_mode m, struct cfg *out);

/* Is m in cfg's list? */
bool cfg_has_method(const struct cfg *cfg, enum yk_mode m);

/* Hand a heap string (or NULL) to cfg, freed by cfg_free; NULL when full. */
char *cfg_own(struct cfg *cfg, char *s);

/*
 * The rules that the module and its setuid helper (which gets them as
 * arguments) share: NULL when fine, else what is expected.
 * chalresp_path: absolute, no ".", ".." or empty component (a trailing /
 * is fine), no control characters, under CFG_CHALRESP_PATH_MAX bytes.
 * The touch cue (prompt= in challenge-response mode): 1 to CFG_CUE_MAX
 * bytes without control characters.
 */
#define CFG_CHALRESP_PATH_MAX	1024
#define CFG_CUE_MAX		255
const char *cfg_chalresp_path_bad(const char *path);
const char *cfg_cue_bad(const char *cue);

/*
 * The option table.  Every option is one row of cfg_options[] (cfg.c):
 * its name, its kind, the modes it applies to, whether its value is
 * secret, where it is stored or the setter that parses it.  cfg_parse
 * (the PAM line and conf= files), the setuid helper's argument check
 * (cfg_check_value) and ykpamcfg check (cfg_check_arg, cfg_nearest,
 * cfg_arg_secret, the overrides of conf=) all read that one table, so
 * adding an option is one row (and its field in struct cfg), written
 * with the row macros of cfg.c, e.g.
 *
 *	PATH("ldap_cacertfile", ldap_cacertfile),
 *	SECRET("ldap_bind_password", ldap_bind_password),
 *	UINT("ldap_timeout", ldap_timeout, 1, 60, "1 to 60 (seconds)"),
 *	FLAG_IN("ldap_starttls", ldap_starttls, CFG_IN_CLIENT, NULL),
 *
 * and the checks that need the whole configuration stay in cfg.c's check().
 */
enum cfg_kind {
	CFG_FLAG,		/* "name": sets a bool */
	CFG_STRING,		/* "name=VALUE", not empty */
	CFG_PATH,		/* "name=/absolute/path" */
	CFG_UINT,		/* "name=N", a decimal from min to max */
	CFG_ENUM,		/* "name=WORD", one of values[] */
	CFG_LIST,		/* "name=A;B" or "name=a,b": the setter splits */
	CFG_CUSTOM,		/* the setter parses the value */
	CFG_UNSUPPORTED,	/* pam_yubico's MySQL options */
};

/* Modes, as bits: .modes of a row says where the option applies. */
#define CFG_IN(m)	(1U << (m))
#define CFG_IN_CLIENT	CFG_IN(MODE_CLIENT)
#define CFG_IN_CHALRESP	CFG_IN(MODE_CHALRESP)
#define CFG_IN_PIV	CFG_IN(MODE_PIV)
#define CFG_IN_ALL	(CFG_IN_CLIENT | CFG_IN_CHALRESP | CFG_IN_PIV)

enum cfg_secret {
	CFG_SHOWN,		/* the value may be logged and shown */
	CFG_SECRET,		/* never: key=, passwords */
	CFG_SECRET_USERINFO,	/* a URL: never when it holds user:password@ */
};

/* Row flags. */
#define CFG_ADDS	0x1	/* adds to earlier values: never an override */
#define CFG_ANYCASE	0x2	/* CFG_ENUM: the words in any case */
#define CFG_LDAP	0x4	/* an option of the LDAP mapping */

struct cfg_option {
	const char	*name;		/* without '='; NULL ends the table */
	enum cfg_kind	kind;
	unsigned	modes;		/* CFG_IN_* */
	enum cfg_secret	secret;
	unsigned	flags;		/* CFG_ADDS, CFG_ANYCASE */
	size_t		field;		/* offsetof in struct cfg: bool for a
					   flag, const char * for a string or
					   path, unsigned for a number */
	unsigned long	min, max;	/* CFG_UINT */
	const char *const *values;	/* CFG_ENUM, NULL-terminated */
	/* The setter: the value, and the number or the index of the word
	   (CFG_UINT, CFG_ENUM) once the kind's rule passed; NULL: store at
	   field.  CFG_OK, or an error with its text in errbuf. */
	enum cfg_err	(*set)(struct cfg *cfg, const char *v, unsigned long n,
			    char *errbuf, size_t errlen);
	/* A rule for this option that needs the rest of the configuration
	   (run once the line is read, when the option was given). */
	enum cfg_err	(*check)(const struct cfg *cfg, char *errbuf,
			    size_t errlen);
	const char	*expect;	/* CFG_UINT: "name: expected ..." */
	const char	*mode_note;	/* why it does not apply elsewhere */
	const char	*same_as;	/* sets what that option sets (url=) */
};

extern const struct cfg_option cfg_options[];

/* arg's row ("name" or "name=value"), or NULL. */
const struct cfg_option *cfg_option_find(const char *arg);
/*
 * The known option nearest to arg's name (a misspelling), written as it is
 * used ("name" or "name=") into buf; NULL when none is near.  The
 * unknown-option reasons of cfg_parse carry it as "did you mean".
 */
const char *cfg_nearest(const char *arg, char *buf, size_t len);
/*
 * Whether arg's value must not be shown: a secret option, a URL with a
 * password, or an unknown option misspelt from a secret one (kye=).
 */
bool cfg_arg_secret(const char *arg);
/* The names of the modes, as mode= takes them (otp is client's alias). */
extern const char *const cfg_mode_names[];

#endif
