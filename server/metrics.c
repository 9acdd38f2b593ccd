/* SPDX-License-Identifier: BSD-2-Clause */
/* metrics.c - ykvald's /metrics counters and per-client rate limits */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

#define NSTATUS		(YKV_BACKEND_ERROR + 1)
#define RL_SLOTS	4096

static const double lat_bounds[] = {
	0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};
#define NLAT	(sizeof(lat_bounds) / sizeof(lat_bounds[0]))
static const double batch_bounds[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256, 512,
	1024 };
#define NBATCH	(sizeof(batch_bounds) / sizeof(batch_bounds[0]))

struct metrics {
	pthread_mutex_t	lock;
	unsigned long	verify[NSTATUS];
	unsigned long	limited;
	unsigned long	lat[NLAT];	/* per bucket, not cumulative */
	unsigned long	lat_n;
	double		lat_sum;
	unsigned long	batch[NBATCH];
	unsigned long	batch_n;
	double		batch_sum;
	unsigned long	db_errors;
};

struct metrics *
metrics_new(void)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (m != NULL)
		pthread_mutex_init(&m->lock, NULL);
	return m;
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* The first bucket whose bound holds v (n: none, only +Inf). */
static size_t
bucket(const double *bounds, size_t n, double v)
{
	size_t i = 0;

	while (i < n && v > bounds[i])
		i++;
	return i;
}

void
metrics_verify(struct metrics *m, enum ykv_status status, double seconds)
{
	size_t b = bucket(lat_bounds, NLAT, seconds);

	pthread_mutex_lock(&m->lock);
	if ((unsigned)status < NSTATUS)
		m->verify[status]++;
	if (b < NLAT)
		m->lat[b]++;
	m->lat_n++;
	m->lat_sum += seconds;
	pthread_mutex_unlock(&m->lock);
}

void
metrics_batch(struct metrics *m, size_t n, bool failed)
{
	size_t b = bucket(batch_bounds, NBATCH, (double)n);

	pthread_mutex_lock(&m->lock);
	if (b < NBATCH)
		m->batch[b]++;
	m->batch_n++;
	m->batch_sum += (double)n;
	if (failed)
		m->db_errors++;
	pthread_mutex_unlock(&m->lock);
}

void
metrics_db_error(struct metrics *m)
{
	pthread_mutex_lock(&m->lock);
	m->db_errors++;
	pthread_mutex_unlock(&m->lock);
}

void
metrics_limited(struct metrics *m)
{
	pthread_mutex_lock(&m->lock);
	m->limited++;
	pthread_mutex_unlock(&m->lock);
}

struct out {
	char	*buf;
	size_t	len, off;
	bool	full;
};

static void put(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->off, o->len - o->off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->off)
		o->full = true;
	else
		o->off += (size_t)n;
}

static void
histogram(struct out *o, const char *name, const double *bounds, size_t n,
    const unsigned long *counts, unsigned long total, double sum)
{
	unsigned long cum = 0;

	put(o, "# TYPE %s histogram\n", name);
	for (size_t i = 0; i < n; i++) {
		cum += counts[i];
		put(o, "%s_bucket{le=\"%g\"} %lu\n", name, bounds[i], cum);
	}
	put(o, "%s_bucket{le=\"+Inf\"} %lu\n", name, total);
	put(o, "%s_sum %.6f\n%s_count %lu\n", name, sum, name, total);
}

int
metrics_format(struct metrics *m, unsigned long http_conns,
    unsigned long db_conns, char *buf, size_t len)
{
	struct out o = { .buf = buf, .len = len };
	struct metrics c;

	pthread_mutex_lock(&m->lock);
	c = *m;		/* a consistent copy; its mutex is not used */
	pthread_mutex_unlock(&m->lock);
	put(&o, "# HELP ykvald_verifications_total Verifications answered, "
	    "by status.\n# TYPE ykvald_verifications_total counter\n");
	for (int s = 0; s < NSTATUS; s++)
		put(&o, "ykvald_verifications_total{status=\"%s\"} %lu\n",
		    ykv_status_name((enum ykv_status)s), c.verify[s]);
	put(&o, "# HELP ykvald_rate_limited_total Verifications refused by "
	    "--rate-limit (HTTP 429).\n# TYPE ykvald_rate_limited_total "
	    "counter\nykvald_rate_limited_total %lu\n", c.limited);
	put(&o, "# HELP ykvald_verification_seconds Time from the request to "
	    "its answer.\n");
	histogram(&o, "ykvald_verification_seconds", lat_bounds, NLAT, c.lat,
	    c.lat_n, c.lat_sum);
	put(&o, "# HELP ykvald_batch_size Verifications decided in one "
	    "transaction (group commit).\n");
	histogram(&o, "ykvald_batch_size", batch_bounds, NBATCH, c.batch,
	    c.batch_n, c.batch_sum);
	put(&o, "# HELP ykvald_database_errors_total Failed batches and "
	    "client lookups.\n# TYPE ykvald_database_errors_total counter\n"
	    "ykvald_database_errors_total %lu\n", c.db_errors);
	put(&o, "# HELP ykvald_http_connections Open HTTP connections.\n"
	    "# TYPE ykvald_http_connections gauge\n"
	    "ykvald_http_connections %lu\n", http_conns);
	put(&o, "# HELP ykvald_database_connections Open database handles "
	    "(the writers and the readers).\n"
	    "# TYPE ykvald_database_connections gauge\n"
	    "ykvald_database_connections %lu\n", db_conns);
	return o.full ? -1 : (int)o.off;
}

/* ---- rate limits ------------------------------------------------------ */

struct slot {
	double		tokens;
	struct timespec	last;
	bool		used;
};

struct ratelimit {
	pthread_mutex_t	lock;
	double		rate;
	struct slot	slot[RL_SLOTS];
};

struct ratelimit *
ratelimit_new(unsigned rate)
{
	struct ratelimit *rl = calloc(1, sizeof(*rl));

	if (rl == NULL)
		return NULL;
	pthread_mutex_init(&rl->lock, NULL);
	rl->rate = rate;
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

bool
ratelimit_take(struct ratelimit *rl, long id, const struct timespec *now)
{
	unsigned long h = (unsigned long)id * 2654435761UL;
	struct slot *s = &rl->slot[(h >> 8) % RL_SLOTS];
	double dt;
	bool ok;

	pthread_mutex_lock(&rl->lock);
	if (!s->used) {
		s->used = true;
		s->tokens = rl->rate;
	} else {
		dt = (double)(now->tv_sec - s->last.tv_sec) +
		    (double)(now->tv_nsec - s->last.tv_nsec) / 1e9;
		if (dt > 0)
			s->tokens += dt * rl->rate;
		if (s->tokens > rl->rate)
			s->tokens = rl->rate;
	}
	s->last = *now;
	ok = s->tokens >= 1;
	if (ok)
		s->tokens -= 1;
	pthread_mutex_unlock(&rl->lock);
	return ok;
}
