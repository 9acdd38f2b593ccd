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

enum yk_mode {
	MODE_CLIENT,
	MODE_CHALRESP,
	MODE_PIV,
};

enum piv_map {
	PIV_MAP_AUTHFILE,	/* sha256=<fingerprint> on the user's line */
	PIV_MAP_CN,
	PIV_MAP_UID,
	PIV_MAP_UPN,
	PIV_MAP_EMAIL,
};

struct cfg {
	enum yk_mode	mode;
	struct vc_cfg	vc;		/* id, key, urls, TLS, proxy, timeout */
	bool		have_id, have_key;
	bool		have_timeout;	/* timeout= was given */
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
	bool		verbose_otp, try_first_pass, use_first_pass;
	bool		always_prompt, nullok, alwaysok, debug;
	/*
	 * Bits (1 << index in cfg_options) of the value options that conf=
	 * set, and of those that the PAM line then set again, overriding
	 * the file's value (url= and urllist= count as one): ykpamcfg check
	 * denies a line that overrides conf=.
	 */
	unsigned long long	conf_set, line_overrides;
	/* storage for the url= substitution and the conf file's text */
	char		*owned[VC_MAX_URLS + 8 + CFG_MAX_PIV_DOMAINS];
	size_t		nowned;
};

/*
 * Parse the PAM arguments.  conf=FILE is read first (it must be owned by
 * root and have no group or other permissions); the arguments on the PAM
 * line then override it.  Strings are borrowed from argv or owned by cfg:
 * call cfg_free.  On error returns -1 with a one-line reason in errbuf
 * naming the option; the caller logs it and returns PAM_SERVICE_ERR.
 */
int cfg_parse(int argc, const char **argv, struct cfg *cfg, char *errbuf,
    size_t errlen);

void cfg_free(struct cfg *cfg);

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
 * Every option cfg_parse knows, as "name" or "name=" (NULL-terminated):
 * ykpamcfg check names the nearest one for a misspelt option.
 */
extern const char *const cfg_options[];

#endif
