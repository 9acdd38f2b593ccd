/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * load.c - benchmark load generator: signed, fresh OTPs over keep-alive
 * HTTP, closed-loop (as fast as replies come) or paced (open-loop).
 *
 *   load [-t THREADS] [-d SECONDS] [-w WARMUP] [-r RATE] [-b CTR]
 *        URL ID B64KEY KEYS.csv
 *
 * Each thread has one libcurl easy handle (one keep-alive connection) and
 * owns the keys whose line index is its number modulo THREADS, so each
 * key's OTPs arrive in order and every one should be accepted.  The
 * session counter of a key starts at CTR (default 1); a second run on the
 * same database must start above the first one's.
 *
 * Without -r each thread sends its next request as soon as the last reply
 * arrives, and latency is measured from the send.  With -r RATE the
 * threads together send RATE requests per second on a fixed schedule,
 * and latency is measured from the scheduled time, so a stall that holds
 * back later requests is charged to them too (no coordinated omission).
 *
 * Replies that complete in the first WARMUP seconds (default 1) are not
 * counted; then SECONDS (default 5) are measured.  A reply counts as OK
 * only when its signature, echoed otp and nonce check out and its status
 * is OK; everything else is an error.  Prints one line,
 *
 *   ok=N errors=E seconds=S rate=R p50_ms=A p90_ms=B p99_ms=C max_ms=D
 *
 * and on stderr one "load: error STATUS count" line per kind of error.
 * Exits 1 when there was any error.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "modhex.h"
#include "otp.h"
#include "params.h"

#define MAX_THREADS	256
#define MAX_KEYS	4096
#define MAX_KINDS	8

struct bench_key {
	char		public_id[YK_PUBID_MAX + 1];
	unsigned char	uid[YK_UID_LEN];
	unsigned char	aes[YK_AES_LEN];
	unsigned long	seq;		/* OTPs made so far */
};

struct error_kind {
	char		name[32];
	unsigned long	count;
};

struct worker {
	int			id;
	pthread_t		th;
	unsigned long		ok;
	struct error_kind	err[MAX_KINDS];
	uint32_t		*lat_us;	/* latencies of counted OKs */
	size_t			nlat, caplat;
	char			body[4096];
	size_t			len;
};

static struct {
	const char		*url[8], *id;	/* workers take turns */
	int			nurl;
	unsigned char		key[YK_KEY_MAX];
	size_t			keylen;
	struct bench_key	keys[MAX_KEYS];
	size_t			nkeys;
	int			nthreads;
	double			rate;		/* 0: closed loop */
	unsigned long		ctr_base;
	double			t0, win_start, win_end;
} g = { .nthreads = 32, .ctr_base = 1 };

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void
sleep_until(double t)
{
	struct timespec ts = {
		.tv_sec = (time_t)t,
		.tv_nsec = (long)((t - (double)(time_t)t) * 1e9),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* Lines as for "ykvald key import": serial,public_id,private_id,aes_key. */
static int
read_keys(const char *path)
{
	FILE *f = fopen(path, "re");
	char line[512], pub[64], priv[64], aes[64];
	long serial;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	while (g.nkeys < MAX_KEYS && fgets(line, sizeof(line), f) != NULL) {
		struct bench_key *k = &g.keys[g.nkeys];

		if (sscanf(line, "%ld,%63[^,],%63[^,],%63[^,\r\n]", &serial, pub,
		    priv, aes) != 4)
			continue;
		if (strlen(pub) > YK_PUBID_MAX || strlen(priv) != 12 ||
		    strlen(aes) != 32 || hex_decode(priv, YK_UID_LEN, k->uid) != 0 ||
		    hex_decode(aes, YK_AES_LEN, k->aes) != 0) {
			fprintf(stderr, "load: %s: bad line: %s", path, line);
			fclose(f);
			return -1;
		}
		memcpy(k->public_id, pub, strlen(pub) + 1);
		g.nkeys++;
	}
	fclose(f);
	return 0;
}

/* The key's next OTP: use steps 0..255, then the session counter moves. */
static int
next_otp(struct bench_key *k, char out[YK_OTP_MAX + 1])
{
	struct yk_token t = { 0 };
	char tok[YK_TOKEN_CHARS + 1];
	unsigned long seq = k->seq++, ctr = g.ctr_base + seq / 256;

	if (ctr >= 0x8000)
		return -1;
	memcpy(t.uid, k->uid, YK_UID_LEN);
	t.ctr = (uint16_t)ctr;
	t.use = (uint8_t)(seq % 256);
	t.tstpl = (uint16_t)seq;
	t.rnd = (uint16_t)(seq * 2654435761u >> 16);
	if (otp_encrypt(&t, k->aes, tok) != 0)
		return -1;
	snprintf(out, YK_OTP_MAX + 1, "%s%s", k->public_id, tok);
	return 0;
}

static size_t
sink(char *p, size_t sz, size_t n, void *arg)
{
	struct worker *w = arg;
	size_t len = sz * n;

	if (w->len + len >= sizeof(w->body))
		return 0;
	memcpy(w->body + w->len, p, len);
	w->len += len;
	w->body[w->len] = '\0';
	return len;
}

/* Add count to the kind called name; the last slot takes the rest. */
static void
count_error(struct error_kind *kinds, const char *name, unsigned long count)
{
	for (size_t i = 0; i < MAX_KINDS - 1; i++) {
		if (kinds[i].count == 0)
			snprintf(kinds[i].name, sizeof(kinds[i].name), "%s", name);
		if (strcmp(kinds[i].name, name) == 0) {
			kinds[i].count += count;
			return;
		}
	}
	snprintf(kinds[MAX_KINDS - 1].name, sizeof(kinds[0].name), "OTHER");
	kinds[MAX_KINDS - 1].count += count;
}

/* True for a signed OK reply echoing our otp and nonce; else why says. */
static bool
reply_ok(struct worker *w, const char *otp, const char *nonce, char why[32])
{
	struct yk_params rep = { .n = 0 };
	const char *st, *e_otp, *e_nonce;
	char *save = NULL;
	bool ok = false;

	for (char *l = strtok_r(w->body, "\r\n", &save); l != NULL;
	    l = strtok_r(NULL, "\r\n", &save)) {
		char *eq = strchr(l, '=');

		if (eq != NULL) {
			*eq = '\0';
			params_set(&rep, l, eq + 1);
		}
	}
	st = params_get(&rep, "status");
	e_otp = params_get(&rep, "otp");
	e_nonce = params_get(&rep, "nonce");
	if (!params_verify(&rep, g.key, g.keylen))
		snprintf(why, 32, "FORGED");
	else if (st == NULL)
		snprintf(why, 32, "NO_STATUS");
	else if (strcmp(st, "OK") != 0)
		snprintf(why, 32, "%s", st);
	else if (e_otp == NULL || strcmp(e_otp, otp) != 0 ||
	    e_nonce == NULL || strcmp(e_nonce, nonce) != 0)
		snprintf(why, 32, "BAD_ECHO");
	else
		ok = true;
	params_free(&rep);
	return ok;
}

static int
record(struct worker *w, double sent, double done)
{
	if (done < g.win_start || done >= g.win_end)
		return 0;
	if (w->nlat == w->caplat) {
		size_t cap = w->caplat ? 2 * w->caplat : 4096;
		uint32_t *n = realloc(w->lat_us, cap * sizeof(*n));

		if (n == NULL)
			return -1;
		w->lat_us = n;
		w->caplat = cap;
	}
	w->lat_us[w->nlat++] = (uint32_t)((done - sent) * 1e6);
	w->ok++;
	return 0;
}

/* One signed GET; the reply is left in w->body.  0, or -1 on transport. */
static int
send_one(struct worker *w, CURL *cu, const char *otp, const char *nonce)
{
	struct yk_params req = { .n = 0 };
	char h[YK_HMAC_B64_LEN + 1], url[1024], *e;
	int r = -1;

	params_set(&req, "id", g.id);
	params_set(&req, "otp", otp);
	params_set(&req, "nonce", nonce);
	if (params_sign(&req, g.key, g.keylen, h) != 0 ||
	    (e = curl_easy_escape(cu, h, 0)) == NULL)
		goto out;
	snprintf(url, sizeof(url), "%s?id=%s&otp=%s&nonce=%s&h=%s",
	    g.url[w->id % g.nurl], g.id,
	    otp, nonce, e);
	curl_free(e);
	curl_easy_setopt(cu, CURLOPT_URL, url);
	w->len = 0;
	w->body[0] = '\0';
	if (curl_easy_perform(cu) == CURLE_OK)
		r = 0;
out:
	params_free(&req);
	return r;
}

static void *
run(void *arg)
{
	struct worker *w = arg;
	CURL *cu = curl_easy_init();
	double gap = g.rate > 0 ? g.nthreads / g.rate : 0;
	double next = g.t0 + gap * w->id / g.nthreads, sent, done;
	char otp[YK_OTP_MAX + 1], nonce[48], why[32];
	unsigned long n = 0;
	size_t k = (size_t)w->id;

	if (cu == NULL)
		return NULL;
	curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(cu, CURLOPT_WRITEDATA, w);
	curl_easy_setopt(cu, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(cu, CURLOPT_TCP_NODELAY, 1L);
	sleep_until(g.t0);
	for (;; n++) {
		if (gap > 0) {
			if (next >= g.win_end)
				break;
			sleep_until(next);
			sent = next;
			next += gap;
		} else if ((sent = now_s()) >= g.win_end) {
			break;
		}
		if (next_otp(&g.keys[k], otp) != 0) {
			count_error(w->err, "OUT_OF_COUNTERS", 1);
			break;
		}
		if ((k += (size_t)g.nthreads) >= g.nkeys)
			k = (size_t)w->id;
		snprintf(nonce, sizeof(nonce), "load%03dn%012lu", w->id, n);
		if (send_one(w, cu, otp, nonce) != 0) {
			count_error(w->err, "TRANSPORT_ERROR", 1);
			continue;
		}
		done = now_s();
		if (!reply_ok(w, otp, nonce, why))
			count_error(w->err, why, 1);
		else if (record(w, sent, done) != 0)
			break;
	}
	curl_easy_cleanup(cu);
	return NULL;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile, in ms. */
static double
pct(const uint32_t *v, size_t n, double p)
{
	size_t i = (size_t)ceil(p * (double)n);

	if (n == 0)
		return 0;
	return v[i > 0 ? i - 1 : 0] / 1e3;
}

static int
report(struct worker *w, double secs)
{
	struct error_kind kinds[MAX_KINDS] = { { .count = 0 } };
	unsigned long ok = 0, errors = 0;
	size_t n = 0;
	uint32_t *all;

	for (int t = 0; t < g.nthreads; t++)
		n += w[t].nlat;
	if ((all = malloc((n + 1) * sizeof(*all))) == NULL)
		return -1;
	n = 0;
	for (int t = 0; t < g.nthreads; t++) {
		ok += w[t].ok;
		memcpy(all + n, w[t].lat_us, w[t].nlat * sizeof(*all));
		n += w[t].nlat;
		for (size_t i = 0; i < MAX_KINDS; i++)
			errors += w[t].err[i].count;
	}
	for (int t = 0; t < g.nthreads; t++)
		for (size_t i = 0; i < MAX_KINDS; i++)
			if (w[t].err[i].count > 0)
				count_error(kinds, w[t].err[i].name,
				    w[t].err[i].count);
	for (size_t i = 0; i < MAX_KINDS; i++)
		if (kinds[i].count > 0)
			fprintf(stderr, "load: error %s %lu\n", kinds[i].name,
			    kinds[i].count);
	qsort(all, n, sizeof(*all), cmp_u32);
	printf("ok=%lu errors=%lu seconds=%.3f rate=%.1f p50_ms=%.2f "
	    "p90_ms=%.2f p99_ms=%.2f max_ms=%.2f\n", ok, errors, secs,
	    (double)ok / secs, pct(all, n, 0.50), pct(all, n, 0.90),
	    pct(all, n, 0.99), n ? all[n - 1] / 1e3 : 0.0);
	free(all);
	return errors == 0 ? 0 : 1;
}

static int
usage(void)
{
	fprintf(stderr, "usage: load [-t THREADS] [-d SECONDS] [-w WARMUP] "
	    "[-r RATE] [-b CTR] URL[,URL...] ID B64KEY KEYS.csv\n");
	return 2;
}

int
main(int argc, char **argv)
{
	static struct worker w[MAX_THREADS];
	double secs = 5, warm = 1;
	int c, klen, rc;

	while ((c = getopt(argc, argv, "t:d:w:r:b:")) != -1) {
		switch (c) {
		case 't': g.nthreads = atoi(optarg); break;
		case 'd': secs = atof(optarg); break;
		case 'w': warm = atof(optarg); break;
		case 'r': g.rate = atof(optarg); break;
		case 'b': g.ctr_base = strtoul(optarg, NULL, 0); break;
		default: return usage();
		}
	}
	if (argc - optind != 4 || g.nthreads < 1 || g.nthreads > MAX_THREADS ||
	    secs <= 0 || warm < 0 || g.rate < 0 || g.ctr_base < 1)
		return usage();
	/* URL[,URL...]: worker i asks the i-th (several ykvald nodes) */
	for (char *t = strtok(argv[optind], ","); t != NULL && g.nurl < 8;
	    t = strtok(NULL, ","))
		g.url[g.nurl++] = t;
	if (g.nurl == 0)
		return usage();
	g.id = argv[optind + 1];
	if ((klen = b64_decode(argv[optind + 2], g.key, sizeof(g.key))) < 0)
		return usage();
	g.keylen = (size_t)klen;
	if (read_keys(argv[optind + 3]) != 0)
		return 1;
	if (g.nkeys < (size_t)g.nthreads) {
		fprintf(stderr, "load: %zu keys for %d threads: need one key "
		    "per thread at least\n", g.nkeys, g.nthreads);
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	g.t0 = now_s() + 0.2;
	g.win_start = g.t0 + warm;
	g.win_end = g.win_start + secs;
	for (int t = 0; t < g.nthreads; t++) {
		w[t].id = t;
		if (pthread_create(&w[t].th, NULL, run, &w[t]) != 0) {
			fprintf(stderr, "load: cannot start thread %d\n", t);
			return 1;
		}
	}
	for (int t = 0; t < g.nthreads; t++)
		pthread_join(w[t].th, NULL);
	rc = report(w, secs);
	for (int t = 0; t < g.nthreads; t++)
		free(w[t].lat_us);
	curl_global_cleanup();
	return rc;
}
