/* cfg.h - module arguments (and conf= files) -> one struct cfg */
#ifndef YK_CFG_H
#define YK_CFG_H

#include <stdbool.h>
#include <stddef.h>

#include "client.h"

#define CFG_DEFAULT_TIMEOUT_MS	10000
#define CFG_DEFAULT_TOKEN_ID_LEN	12
#define CFG_MAX_CONF		65536

enum yk_mode {
	MODE_CLIENT,
	MODE_CHALRESP,
};

struct cfg {
	enum yk_mode	mode;
	struct vc_cfg	vc;		/* id, key, urls, TLS, proxy, timeout */
	bool		have_id, have_key;
	const char	*url_template;	/* url=, kept only to report it */
	const char	*authfile;	/* NULL: ~/.yubico/authorized_yubikeys */
	unsigned	token_id_len;
	const char	*prompt;	/* NULL: pam_yubico's "YubiKey for `user': " */
	const char	*chalresp_path;
	const char	*debug_file;
	const char	*conf;
	bool		verbose_otp, try_first_pass, use_first_pass;
	bool		always_prompt, nullok, alwaysok, debug;
	/* storage for the url= substitution and the conf file's text */
	char		*owned[VC_MAX_URLS + 1];
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

#endif
