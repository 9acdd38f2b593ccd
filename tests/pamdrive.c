/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pamdrive.c - drive a real PAM stack from a service file in the build tree.
 *
 *   pamdrive [-s] [-t] CONFDIR SERVICE USER [ANSWER]...
 *
 * pam_start_confdir() loads CONFDIR/SERVICE; pam_authenticate() runs with a
 * conversation that answers each prompt with the next ANSWER (no answer
 * left: the conversation fails).  Prompts and messages are printed as
 * "prompt-off: ...", "prompt-on: ...", "info: ...", "error: ...".  The last
 * line is "result: PAM_..." (the symbolic code).  -s passes PAM_SILENT;
 * -t prints "authtok: ..." afterwards (the item a later module would see);
 * -a also runs pam_acct_mgmt and pam_setcred and prints their codes;
 * -p prints "ids: euid egid ngroups" afterwards (privileges restored?);
 * -E NAME prints "env: NAME=VALUE" from the PAM environment afterwards
 * (pam_wrapper's pam_get_items.so copies items such as PAM_AUTHTOK there;
 * its pam_set_items.so sets them from the process environment).
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <security/pam_appl.h>

struct answers {
	char	**v;
	int	n, next;
};

static int
conv(int n, const struct pam_message **msg, struct pam_response **resp,
    void *arg)
{
	struct answers *a = arg;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));

	if (r == NULL)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
		case PAM_PROMPT_ECHO_ON:
			printf("%s: %s\n", msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ?
			    "prompt-off" : "prompt-on", msg[i]->msg);
			if (a->next >= a->n) {
				for (int k = 0; k < i; k++)
					free(r[k].resp);
				free(r);
				return PAM_CONV_ERR;
			}
			r[i].resp = strdup(a->v[a->next++]);
			break;
		case PAM_TEXT_INFO:
			printf("info: %s\n", msg[i]->msg);
			break;
		default:
			printf("error: %s\n", msg[i]->msg);
			break;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

static const char *
code_name(int rc)
{
	static const struct { int rc; const char *name; } names[] = {
		{ PAM_SUCCESS, "PAM_SUCCESS" },
		{ PAM_AUTH_ERR, "PAM_AUTH_ERR" },
		{ PAM_AUTHINFO_UNAVAIL, "PAM_AUTHINFO_UNAVAIL" },
		{ PAM_USER_UNKNOWN, "PAM_USER_UNKNOWN" },
		{ PAM_IGNORE, "PAM_IGNORE" },
		{ PAM_SERVICE_ERR, "PAM_SERVICE_ERR" },
		{ PAM_SYSTEM_ERR, "PAM_SYSTEM_ERR" },
		{ PAM_CONV_ERR, "PAM_CONV_ERR" },
		{ PAM_BUF_ERR, "PAM_BUF_ERR" },
		{ PAM_CRED_INSUFFICIENT, "PAM_CRED_INSUFFICIENT" },
		{ PAM_MAXTRIES, "PAM_MAXTRIES" },
		{ PAM_PERM_DENIED, "PAM_PERM_DENIED" },
		{ PAM_ABORT, "PAM_ABORT" },
		{ PAM_NEW_AUTHTOK_REQD, "PAM_NEW_AUTHTOK_REQD" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].rc == rc)
			return names[i].name;
	return "PAM_(other)";
}

int
main(int argc, char **argv)
{
	struct answers a = { 0 };
	struct pam_conv pc = { conv, &a };
	pam_handle_t *pamh = NULL;
	int c, rc, flags = 0;
	bool tok = false, acct = false, ids = false;
	const char *getenv_arg[8];
	int nget = 0;

	while ((c = getopt(argc, argv, "stapE:")) != -1) {
		switch (c) {
		case 's': flags |= (int)PAM_SILENT; break;
		case 't': tok = true; break;
		case 'a': acct = true; break;
		case 'p': ids = true; break;
		case 'E': if (nget < 8) getenv_arg[nget++] = optarg; break;
		default: return 2;
		}
	}
	if (argc - optind < 3)
		return 2;
	a.v = argv + optind + 3;
	a.n = argc - optind - 3;
	rc = pam_start_confdir(argv[optind + 1], argv[optind + 2], &pc,
	    argv[optind], &pamh);
	if (rc != PAM_SUCCESS) {
		printf("pam_start_confdir: %s\n", code_name(rc));
		return 1;
	}
	rc = pam_authenticate(pamh, flags);
	for (int i = 0; i < nget; i++) {
		const char *v = pam_getenv(pamh, getenv_arg[i]);

		printf("env: %s=%s\n", getenv_arg[i], v ? v : "(unset)");
	}
	if (tok) {
		const void *item = NULL;

		pam_get_item(pamh, PAM_AUTHTOK, &item);
		printf("authtok: %s\n", item ? (const char *)item : "(null)");
	}
	if (acct) {
		printf("acct_mgmt: %s\n", code_name(pam_acct_mgmt(pamh, 0)));
		printf("setcred: %s\n", code_name(pam_setcred(pamh, PAM_ESTABLISH_CRED)));
	}
	if (ids)
		printf("ids: %d %d %d\n", (int)geteuid(), (int)getegid(),
		    getgroups(0, NULL));
	printf("result: %s\n", code_name(rc));
	pam_end(pamh, rc);
	return 0;
}
