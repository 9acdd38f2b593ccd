/* SPDX-License-Identifier: BSD-2-Clause */
/* test_exports.c - dlopen pam_yk.so: the PAM entry points, and nothing else */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "tap.h"

int
main(int argc, char **argv)
{
	static const char *const want[] = {
		"pam_sm_authenticate", "pam_sm_setcred", "pam_sm_acct_mgmt",
	};
	static const char *const hidden[] = {
		"vc_verify", "cfg_parse", "otp_normalise", "otp_check",
		"authfile_open", "b64_decode", "params_sign", "privs_drop",
		"log_escape", "yk_syslog", "modhex_decode", "response_check",
	};
	const char *path = argc > 1 ? argv[1] : ".libs/pam_yk.so";
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	char cmd[512];

	CHECK(h != NULL, "dlopen %s: %s", path, dlerror());
	if (h == NULL)
		return tap_done("test_exports");
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK(dlsym(h, want[i]) != NULL, "%s is exported", want[i]);
	for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
		CHECK(dlsym(h, hidden[i]) == NULL, "%s is not exported", hidden[i]);
	/* And the dynamic symbol table defines nothing else. */
	snprintf(cmd, sizeof(cmd), "nm -D --defined-only '%s' | awk '{print $3}' "
	    "| grep -v '^pam_sm_' | grep -q .", path);
	CHECK(system(cmd) != 0, "only pam_sm_* symbols are defined");
	dlclose(h);
	return tap_done("test_exports");
}
