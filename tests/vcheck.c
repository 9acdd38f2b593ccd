/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * vcheck.c - test helper: vc_verify from the command line.
 *
 *   vcheck [-k B64KEY] [-i ID] [-t TIMEOUT_MS] [-c CONNECT_MS]
 *          [--cainfo F] [--capath D] [--proxy P] URL... -- OTP
 *
 * Prints "verdict=OK|REJECTED|UNAVAILABLE|ERROR", one "note=URL: what"
 * per server and "elapsed_ms=N".  Exits 0 for OK, 1 REJECTED,
 * 2 UNAVAILABLE, 3 ERROR, 4 on a usage error.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "otp.h"

static const char *const names[] = {
	[VC_OK] = "OK", [VC_REJECTED] = "REJECTED",
	[VC_UNAVAILABLE] = "UNAVAILABLE", [VC_ERROR] = "ERROR",
};

static int
usage(void)
{
	fprintf(stderr, "usage: vcheck [-k B64KEY] [-i ID] [-t TIMEOUT_MS] "
	    "[-c CONNECT_MS] [--cainfo F] [--capath D] [--proxy P] "
	    "URL... -- OTP\n");
	return 4;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cainfo", required_argument, NULL, 'A' },
		{ "capath", required_argument, NULL, 'P' },
		{ "proxy", required_argument, NULL, 'X' },
		{ NULL, 0, NULL, 0 },
	};
	struct vc_cfg cfg = { .id = 1, .timeout_ms = 10000 };
	struct vc_result res;
	struct yk_otp otp;
	const char *err;
	int c, k, i;

	/* "+": options first, then URL... -- OTP */
	while ((c = getopt_long(argc, argv, "+k:i:t:c:", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			k = b64_decode(optarg, cfg.key, sizeof(cfg.key));
			if (k <= 0)
				return usage();
			cfg.keylen = (size_t)k;
			break;
		case 'i': cfg.id = atol(optarg); break;
		case 't': cfg.timeout_ms = (unsigned)atol(optarg); break;
		case 'c':
			cfg.connect_timeout_ms = (unsigned)atol(optarg);
			break;
		case 'A': cfg.cainfo = optarg; break;
		case 'P': cfg.capath = optarg; break;
		case 'X': cfg.proxy = optarg; break;
		default: return usage();
		}
	}
	for (i = optind; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (cfg.nurls == VC_MAX_URLS)
			return usage();
		cfg.urls[cfg.nurls++] = argv[i];
	}
	if (i + 2 != argc)
		return usage();
	if (otp_normalise(argv[i + 1], &otp, &err) != 0) {
		fprintf(stderr, "vcheck: %s\n", err);
		return 4;
	}
	vc_verify(&cfg, otp.otp, &res);
	printf("verdict=%s\n", names[res.verdict]);
	for (size_t n = 0; n < res.nnotes; n++)
		printf("note=%s: %s\n", res.notes[n].url, res.notes[n].what);
	printf("elapsed_ms=%.0f\n", res.elapsed_ms);
	explicit_bzero(&otp, sizeof(otp));
	explicit_bzero(cfg.key, sizeof(cfg.key));
	return res.verdict == VC_OK ? 0 : res.verdict == VC_REJECTED ? 1 :
	    res.verdict == VC_UNAVAILABLE ? 2 : 3;
}
