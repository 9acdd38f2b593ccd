/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mono.h - the one clock for deadlines and durations: CLOCK_MONOTONIC,
 * which no one can set.  Header-only, so that every library (the module,
 * its helpers, the validation client, ykvald) uses it without a link
 * dependency.
 */
#ifndef YK_MONO_H
#define YK_MONO_H

#include <limits.h>
#include <time.h>

/* Now, in milliseconds. */
static inline long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* t + us, normalised. */
static inline struct timespec
mono_add_us(struct timespec t, unsigned long us)
{
	t.tv_sec += (time_t)(us / 1000000);
	t.tv_nsec += (long)(us % 1000000) * 1000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	return t;
}

/* t + ms, normalised. */
static inline struct timespec
mono_add(struct timespec t, unsigned long ms)
{
	t.tv_sec += (time_t)(ms / 1000);
	return mono_add_us(t, ms % 1000 * 1000);
}

/* Milliseconds since t0. */
static inline double
mono_ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(now.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Milliseconds left until deadline: 0 when it has passed, at most INT_MAX. */
static inline long
mono_ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	    (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > INT_MAX ? INT_MAX : (long)ms;
}

#endif
