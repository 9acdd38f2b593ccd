/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_ykkey.c - drives pam_yk/cr_key.c over libykpers.  tests/ykkey.sh
 * runs it under the stand-in tests/fakeykpers.so with the keys of each
 * case in FAKEYK_*; without the stand-in it refuses to run (it would talk
 * to real keys).  Each operation prints one line:
 *
 *	list				"keys N", then "key SERIAL M.m.b" each
 *	hmac SERIAL SLOT HEX block|noblock
 *					"OK RESPONSE-HEX" or the error name
 *	args				"args ok" once bad arguments are refused
 *					without touching the library
 *
 * After every operation it checks what ykkey promises: yk_init released,
 * no key left open, no misuse seen by the stand-in, a reason in *why,
 * and the response zeroed on failure.  The reasons go to stderr.
 */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "cr_key.h"

typedef int (*state_fn)(int *, int *, int *, int *);

static state_fn fake_state;

static const char *const names[] = {
	[YKKEY_OK] = "OK",
	[YKKEY_NO_KEY] = "NO_KEY",
	[YKKEY_NEEDS_TOUCH] = "NEEDS_TOUCH",
	[YKKEY_TIMEOUT] = "TIMEOUT",
	[YKKEY_FIRMWARE] = "FIRMWARE",
	[YKKEY_NOT_CONFIGURED] = "NOT_CONFIGURED",
	[YKKEY_IO] = "IO",
};

static const char *
name(enum ykkey_err r)
{
	if ((size_t)r < sizeof(names) / sizeof(names[0]) && names[r] != NULL)
		return names[r];
	return "?";
}

static int
init_calls(void)
{
	int in, op, vi, ic;

	fake_state(&in, &op, &vi, &ic);
	return ic;
}

/* The library is released, every key closed, nothing misused. */
static void
check_balance(const char *op)
{
	int in, op_keys, vi, ic;

	fake_state(&in, &op_keys, &vi, &ic);
	CHECK(in == 0, "%s: yk_init not released (%d)", op, in);
	CHECK(op_keys == 0, "%s: %d keys left open", op, op_keys);
	CHECK(vi == 0, "%s: %d libykpers misuses", op, vi);
}

static void
check_why(const char *op, enum ykkey_err r, const char *why)
{
	CHECK(why != NULL && *why != '\0', "%s: no reason", op);
	if (why == NULL)
		return;
	fprintf(stderr, "%s: %s: %s\n", op, name(r), why);
	if (r == YKKEY_OK)
		CHECK(strcmp(why, "ok") == 0, "%s: ok but \"%s\"", op, why);
}

static void
do_list(void)
{
	struct ykkey_info k[YKKEY_MAX];
	const char *why = NULL;
	enum ykkey_err r;
	size_t i, n = 99;

	r = ykkey_list(k, YKKEY_MAX, &n, &why);
	check_why("list", r, why);
	check_balance("list");
	if (r != YKKEY_OK) {
		CHECK(n == 0, "list: %s with n = %zu", name(r), n);
		printf("%s\n", name(r));
		return;
	}
	printf("keys %zu\n", n);
	for (i = 0; i < n && i < YKKEY_MAX; i++)
		printf("key %u %d.%d.%d\n", k[i].serial, k[i].major,
		    k[i].minor, k[i].build);
}

static int
unhex(const char *s, unsigned char *out, size_t max, size_t *len)
{
	size_t n = strlen(s), i;
	unsigned v;

	if (n % 2 != 0 || n / 2 > max)
		return -1;
	for (i = 0; i < n / 2; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	*len = n / 2;
	return 0;
}

static int
do_hmac(char **arg)
{
	unsigned char chal[YKKEY_CHAL_MAX], resp[YKKEY_RESP_LEN];
	const char *why = NULL;
	enum ykkey_err r;
	unsigned long serial = strtoul(arg[0], NULL, 10);
	int slot = atoi(arg[1]), i, zero = 1;
	size_t len;

	if (unhex(arg[2], chal, sizeof(chal), &len) != 0 ||
	    (strcmp(arg[3], "block") != 0 && strcmp(arg[3], "noblock") != 0)) {
		fprintf(stderr, "hmac SERIAL SLOT HEX block|noblock\n");
		return -1;
	}
	memset(resp, 0xaa, sizeof(resp));
	r = ykkey_hmac((unsigned)serial, slot, chal, len,
	    strcmp(arg[3], "block") == 0, resp, &why);
	check_why("hmac", r, why);
	check_balance("hmac");
	for (i = 0; i < YKKEY_RESP_LEN; i++)
		zero &= resp[i] == 0;
	if (r != YKKEY_OK) {
		CHECK(zero, "hmac: %s left a response", name(r));
		printf("%s\n", name(r));
		return 0;
	}
	printf("OK ");
	for (i = 0; i < YKKEY_RESP_LEN; i++)
		printf("%02x", resp[i]);
	printf("\n");
	return 0;
}

/* Bad arguments: refused before yk_init, response zeroed. */
static void
do_args(void)
{
	static const unsigned char c[YKKEY_CHAL_MAX + 1] = { 1 };
	static const struct {
		int		slot;
		const unsigned char *chal;
		size_t		len;
	} bad[] = {
		{ 0, c, 63 },
		{ 3, c, 63 },
		{ -1, c, 63 },
		{ 1, c, 0 },
		{ 2, c, YKKEY_CHAL_MAX + 1 },
		{ 1, NULL, 63 },
	};
	unsigned char resp[YKKEY_RESP_LEN];
	const char *why;
	size_t i;
	int before = init_calls(), j, zero;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(resp, 0xaa, sizeof(resp));
		why = NULL;
		CHECK(ykkey_hmac(0, bad[i].slot, bad[i].chal, bad[i].len,
		    false, resp, &why) == YKKEY_IO, "args: case %zu", i);
		check_why("args", YKKEY_IO, why);
		for (zero = 1, j = 0; j < YKKEY_RESP_LEN; j++)
			zero &= resp[j] == 0;
		CHECK(zero, "args: case %zu left a response", i);
	}
	CHECK(init_calls() == before, "args: yk_init was called");
	check_balance("args");
	printf("args ok\n");
}

int
main(int argc, char **argv)
{
	int i = 1;

	fake_state = (state_fn)dlsym(RTLD_DEFAULT, "fakeyk_state");
	if (fake_state == NULL) {
		fprintf(stderr, "%s: not under tests/fakeykpers.so: "
		    "run tests/ykkey.sh\n", argv[0]);
		return 77;
	}
	while (i < argc) {
		if (strcmp(argv[i], "list") == 0) {
			do_list();
			i++;
		} else if (strcmp(argv[i], "args") == 0) {
			do_args();
			i++;
		} else if (strcmp(argv[i], "hmac") == 0 && i + 4 < argc) {
			if (do_hmac(argv + i + 1) != 0)
				return 2;
			i += 5;
		} else {
			fprintf(stderr, "%s: unknown operation %s\n", argv[0],
			    argv[i]);
			return 2;
		}
		fflush(stdout);
	}
	/* The summary goes to stderr: stdout is the cases' output. */
	fprintf(stderr, "test_ykkey: %d checks, %d failed\n", tap_checks,
	    tap_failed);
	return tap_failed == 0 && tap_checks > 0 ? 0 : 1;
}
