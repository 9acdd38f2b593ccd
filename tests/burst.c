/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * burst.c - test helper: N requests carrying one OTP, fired at once.
 *
 *   burst URL[,URL...] ID[,ID...] B64KEY OTP N [NONCE]
 *
 * Each request has its own nonce and is signed; request i goes to the
 * i-th URL and client ID of the lists, round robin (every client ID
 * shares the key).  With NONCE, every request carries that one nonce (a
 * client asking several servers at once).  Prints how many replies
 * had each status ("OK 1", "REPLAYED_OTP 49", ...), counting only replies
 * whose signature checks out; a reply that does not is "FORGED".
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "params.h"
#include "response.h"

#define MAX_N 256

#define MAX_LIST 16

static pthread_barrier_t start;
static const char *urls[MAX_LIST], *ids[MAX_LIST], *otp, *one_nonce;
static int nurls, nids;
static unsigned char key[64];
static int klen;

struct job {
	int	i;
	char	status[32];
	char	body[2048];
	size_t	len;
};

static size_t
sink(char *p, size_t sz, size_t n, void *arg)
{
	struct job *j = arg;
	size_t len = sz * n;

	if (j->len + len >= sizeof(j->body))
		return 0;
	memcpy(j->body + j->len, p, len);
	j->len += len;
	j->body[j->len] = '\0';
	return len;
}

static void *
run(void *arg)
{
	struct job *j = arg;
	struct yk_params req = { .n = 0 }, rep = { .n = 0 };
	char nonce[48], h[YK_HMAC_B64_LEN + 1], full[1024], *e;
	const char *errstr;
	const char *url = urls[j->i % nurls], *id = ids[j->i % nids];
	CURL *cu = curl_easy_init();

	if (one_nonce != NULL)
		snprintf(nonce, sizeof(nonce), "%s", one_nonce);
	else
		snprintf(nonce, sizeof(nonce), "burstnonce%08dxyz", j->i);
	params_set(&req, "id", id);
	params_set(&req, "otp", otp);
	params_set(&req, "nonce", nonce);
	params_sign(&req, key, (size_t)klen, h);
	e = curl_easy_escape(cu, h, 0);
	snprintf(full, sizeof(full), "%s?id=%s&otp=%s&nonce=%s&h=%s", url, id,
	    otp, nonce, e);
	curl_free(e);
	curl_easy_setopt(cu, CURLOPT_URL, full);
	curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(cu, CURLOPT_WRITEDATA, j);
	curl_easy_setopt(cu, CURLOPT_TIMEOUT, 30L);
	strcpy(j->status, "TRANSPORT_ERROR");
	pthread_barrier_wait(&start);
	if (curl_easy_perform(cu) == CURLE_OK) {
		if (response_parse(j->body, j->len, &rep, &errstr) != 0)
			params_free(&rep);
		snprintf(j->status, sizeof(j->status), "%s",
		    !params_verify(&rep, key, (size_t)klen) ? "FORGED" :
		    params_get(&rep, "status") ? params_get(&rep, "status") : "NONE");
	}
	curl_easy_cleanup(cu);
	params_free(&req);
	params_free(&rep);
	return NULL;
}

/* Split a comma-separated list in place; its length, or -1. */
static int
split(char *s, const char **out)
{
	int n = 0;

	for (char *t = strtok(s, ","); t != NULL; t = strtok(NULL, ",")) {
		if (n == MAX_LIST)
			return -1;
		out[n++] = t;
	}
	return n;
}

int
main(int argc, char **argv)
{
	static struct job jobs[MAX_N];
	pthread_t th[MAX_N];
	int n;

	if ((argc != 6 && argc != 7) || (n = atoi(argv[5])) < 1 || n > MAX_N)
		return 2;
	one_nonce = argc == 7 ? argv[6] : NULL;
	if ((nurls = split(argv[1], urls)) < 1 || (nids = split(argv[2], ids)) < 1)
		return 2;
	otp = argv[4];
	if ((klen = b64_decode(argv[3], key, sizeof(key))) < 0)
		return 2;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	pthread_barrier_init(&start, NULL, (unsigned)n);
	for (int i = 0; i < n; i++) {
		jobs[i].i = i;
		pthread_create(&th[i], NULL, run, &jobs[i]);
	}
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	/* Tally: print each distinct status once with its count. */
	for (int i = 0; i < n; i++) {
		int count = 0;
		bool first = true;

		for (int k = 0; k < n; k++) {
			if (strcmp(jobs[k].status, jobs[i].status) == 0) {
				if (k < i)
					first = false;
				count++;
			}
		}
		if (first)
			printf("%s %d\n", jobs[i].status, count);
	}
	return 0;
}
