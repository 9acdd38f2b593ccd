/* SPDX-License-Identifier: BSD-2-Clause */
/* metrics.h - ykvald's /metrics counters and per-client rate limits */
#ifndef YKV_METRICS_H
#define YKV_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "verify.h"

struct metrics;

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);
/* One verification answered with status, after seconds. */
void metrics_verify(struct metrics *m, enum ykv_status status, double seconds);
/* One group-commit batch of n verifications; failed: its transaction. */
void metrics_batch(struct metrics *m, size_t n, bool failed);
/* A database call that failed outside a batch (a client lookup). */
void metrics_db_error(struct metrics *m);
/* A verification refused by the rate limit. */
void metrics_limited(struct metrics *m);
/*
 * The Prometheus text exposition (format 0.0.4), with the gauges given
 * by the caller.  Returns the length, or -1 when buf is too small.
 */
int metrics_format(struct metrics *m, unsigned long http_conns,
    unsigned long db_conns, char *buf, size_t len);

/*
 * Per-client rate limits: a token bucket of rate verifications a second
 * (and as many at once) for each client id.  The buckets are a fixed
 * table: memory does not grow with the ids a client makes up, and ids
 * that share a slot share its bucket.
 */
struct ratelimit;

struct ratelimit *ratelimit_new(unsigned rate);
void ratelimit_free(struct ratelimit *rl);
/* May client id verify now?  Takes a token when it may. */
bool ratelimit_take(struct ratelimit *rl, long id, const struct timespec *now);

#endif
