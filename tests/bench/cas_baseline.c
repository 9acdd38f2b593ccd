/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cas_baseline.c - benchmark: durable compare-and-set commits per second
 * straight through ykvald's store, with no HTTP and no batching.
 *
 *   cas_baseline DB KEYS.csv SECONDS
 *
 * Creates DB (which must not exist) with store_open, so it gets exactly
 * the server's pragmas (WAL, synchronous=FULL), imports the keys, then
 * for SECONDS calls store_cas_batch() with a batch of one fresh OTP:
 * BEGIN IMMEDIATE, look the key up, decrypt, one CAS UPDATE, COMMIT.
 * That is one durable commit per verification, single-threaded: the rate
 * a server without group commit could reach at best.  Prints
 *
 *   commits=N errors=E seconds=S rate=R
 *
 * where only SV_OK verdicts count as commits.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "import.h"
#include "modhex.h"
#include "store.h"

#define MAX_KEYS	4096

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Read serial,public_id,private_id,aes_key lines; returns the count. */
static size_t
read_keys(const char *path, struct key_rec *keys, size_t cap)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t len = 0, n = 0;
	const char *errstr;

	if (f == NULL) {
		perror(path);
		return 0;
	}
	while (n < cap && getline(&line, &len, f) != -1) {
		switch (import_parse_line(line, &keys[n], &errstr)) {
		case IMPORT_KEY:
			n++;
			break;
		case IMPORT_SKIP:
			break;
		default:
			fprintf(stderr, "cas_baseline: %s: %s\n", path, errstr);
			n = 0;
			goto out;
		}
	}
out:
	free(line);
	fclose(f);
	return n;
}

/* The seq-th OTP of a key: use steps 0..255, then the counter moves on. */
static int
make_otp(const struct key_rec *k, unsigned long seq, struct yk_otp *out)
{
	struct yk_token t = { 0 };
	char tok[YK_TOKEN_CHARS + 1];
	const char *errstr;
	char buf[YK_OTP_MAX + 1];

	memcpy(t.uid, k->private_id, YK_UID_LEN);
	t.ctr = (uint16_t)(1 + seq / 256);
	t.use = (uint8_t)(seq % 256);
	t.tstpl = (uint16_t)seq;
	t.rnd = (uint16_t)(seq * 2654435761u >> 16);
	if (t.ctr >= 0x8000 || otp_encrypt(&t, k->aes, tok) != 0)
		return -1;
	snprintf(buf, sizeof(buf), "%s%s", k->public_id, tok);
	return otp_normalise(buf, out, &errstr);
}

int
main(int argc, char **argv)
{
	static struct key_rec keys[MAX_KEYS];
	struct store *st;
	struct yk_otp otp;
	struct cas_item it, *batch[1] = { &it };
	char err[512], nonce[48];
	unsigned long ok = 0, bad = 0, i;
	double secs, t0, t;
	size_t nkeys;

	if (argc != 4 || (secs = atof(argv[3])) <= 0) {
		fprintf(stderr, "usage: cas_baseline DB KEYS.csv SECONDS\n");
		return 2;
	}
	if ((nkeys = read_keys(argv[2], keys, MAX_KEYS)) == 0) {
		fprintf(stderr, "cas_baseline: no keys in %s\n", argv[2]);
		return 1;
	}
	if ((st = store_open(argv[1], STORE_CREATE, err, sizeof(err))) == NULL ||
	    store_keys_add(st, keys, nkeys, err, sizeof(err)) != 0) {
		fprintf(stderr, "cas_baseline: %s\n", err);
		store_close(st);
		return 1;
	}
	t0 = t = now_s();
	for (i = 0; t - t0 < secs; i++, t = now_s()) {
		if (make_otp(&keys[i % nkeys], i / nkeys, &otp) != 0) {
			fprintf(stderr, "cas_baseline: cannot make an OTP\n");
			break;
		}
		snprintf(nonce, sizeof(nonce), "baseline%016lu", i);
		memset(&it, 0, sizeof(it));
		it.otp = &otp;
		it.nonce = nonce;
		store_cas_batch(st, batch, 1);
		if (it.verdict == SV_OK)
			ok++;
		else
			bad++;
	}
	store_close(st);
	printf("commits=%lu errors=%lu seconds=%.3f rate=%.1f\n", ok, bad,
	    t - t0, (double)ok / (t - t0));
	return bad == 0 ? 0 : 1;
}
