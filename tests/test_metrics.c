/* SPDX-License-Identifier: BSD-2-Clause */
/* test_metrics.c - ykvald's /metrics text and per-client rate limits */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "metrics.h"
#include "tap.h"

static bool
has(const char *text, const char *line)
{
	char want[256];

	snprintf(want, sizeof(want), "\n%s\n", line);
	return strstr(text, want) != NULL;
}

static void
test_format(void)
{
	struct metrics *m = metrics_new();
	char buf[8192], small[64];
	int n;

	CHECK(m != NULL, "metrics_new");
	metrics_verify(m, YKV_OK, 0.0015);
	metrics_verify(m, YKV_OK, 0.030);
	metrics_verify(m, YKV_REPLAYED_OTP, 20.0);
	metrics_batch(m, 3, false);
	metrics_batch(m, 1, true);
	metrics_db_error(m);
	metrics_limited(m);
	n = metrics_format(m, 7, 3, buf, sizeof(buf));
	CHECK(n > 0 && (size_t)n == strlen(buf), "format: %d", n);
	CHECK(has(buf, "ykvald_verifications_total{status=\"OK\"} 2"), "OK count");
	CHECK(has(buf, "ykvald_verifications_total{status=\"REPLAYED_OTP\"} 1"),
	    "REPLAYED_OTP count");
	CHECK(has(buf, "ykvald_verifications_total{status=\"BACKEND_ERROR\"} 0"),
	    "every status, zero too");
	/* Cumulative buckets: 1.5 ms is above 1 ms, 30 ms above 20 ms. */
	CHECK(has(buf, "ykvald_verification_seconds_bucket{le=\"0.001\"} 0"), "le 1ms");
	CHECK(has(buf, "ykvald_verification_seconds_bucket{le=\"0.002\"} 1"), "le 2ms");
	CHECK(has(buf, "ykvald_verification_seconds_bucket{le=\"0.05\"} 2"), "le 50ms");
	CHECK(has(buf, "ykvald_verification_seconds_bucket{le=\"10\"} 2"), "le 10s");
	CHECK(has(buf, "ykvald_verification_seconds_bucket{le=\"+Inf\"} 3"), "+Inf");
	CHECK(has(buf, "ykvald_verification_seconds_count 3"), "count");
	CHECK(has(buf, "ykvald_batch_size_bucket{le=\"1\"} 1"), "batch le 1");
	CHECK(has(buf, "ykvald_batch_size_bucket{le=\"4\"} 2"), "batch le 4");
	CHECK(has(buf, "ykvald_batch_size_sum 4.000000"), "batch sum");
	CHECK(has(buf, "ykvald_database_errors_total 2"), "db errors");
	CHECK(has(buf, "ykvald_rate_limited_total 1"), "limited");
	CHECK(has(buf, "ykvald_http_connections 7"), "http gauge");
	CHECK(has(buf, "ykvald_database_connections 3"), "db gauge");
	CHECK(metrics_format(m, 0, 0, small, sizeof(small)) == -1, "too small");
	metrics_free(m);
}

static void
test_ratelimit(void)
{
	struct ratelimit *rl = ratelimit_new(2);
	struct timespec t0 = { 1000, 0 }, t1 = { 1000, 500000000 },
	    t2 = { 1060, 0 };

	CHECK(rl != NULL, "ratelimit_new");
	CHECK(ratelimit_take(rl, 1, &t0), "first");
	CHECK(ratelimit_take(rl, 1, &t0), "second: a burst of 2");
	CHECK(!ratelimit_take(rl, 1, &t0), "third at once: limited");
	CHECK(ratelimit_take(rl, 2, &t0), "another client has its own bucket");
	CHECK(ratelimit_take(rl, 1, &t1), "half a second: one more");
	CHECK(!ratelimit_take(rl, 1, &t1), "and no more");
	CHECK(ratelimit_take(rl, 1, &t2), "a minute later");
	CHECK(ratelimit_take(rl, 1, &t2), "the bucket holds 2");
	CHECK(!ratelimit_take(rl, 1, &t2), "never more than 2");
	ratelimit_free(rl);
}

int
main(void)
{
	test_format();
	test_ratelimit();
	return tap_done("test_metrics");
}
