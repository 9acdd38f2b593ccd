/* SPDX-License-Identifier: BSD-2-Clause */
/* test_p11_job.c - the worker with a deadline that PIV card calls run on */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "mono.h"
#include "piv_p11_job.h"
#include "tap.h"

struct arg {
	int		ran;
	unsigned	sleep_ms;
	atomic_bool	*released;
};

static void
work(void *p)
{
	struct arg *a = p;

	if (a->sleep_ms > 0)
		usleep(a->sleep_ms * 1000);
	a->ran++;
}

static void
release(void *p)
{
	struct arg *a = p;

	atomic_store(a->released, true);
	free(a);
}

int
main(void)
{
	static atomic_bool rel1, rel2;
	struct arg *a = calloc(1, sizeof(*a));
	struct p11_job *j;
	long long t0, took;

	/* In time, twice on one job; released with the caller's put. */
	a->released = &rel1;
	j = p11_job_new(a, release);
	CHECK(j != NULL, "p11_job_new");
	CHECK(p11_job_run(j, work, mono_ms() + 5000) == P11_JOB_DONE &&
	    a->ran == 1, "a quick job is done");
	CHECK(p11_job_run(j, work, mono_ms() + 5000) == P11_JOB_DONE &&
	    a->ran == 2, "a job runs again");
	CHECK(!atomic_load(&rel1), "not released while held");
	p11_job_put(j);
	CHECK(atomic_load(&rel1), "released by the last put");

	/* Late: abandoned at the deadline, released by the late worker. */
	a = calloc(1, sizeof(*a));
	a->released = &rel2;
	a->sleep_ms = 700;
	j = p11_job_new(a, release);
	t0 = mono_ms();
	CHECK(p11_job_run(j, work, t0 + 200) == P11_JOB_TIMEOUT,
	    "a slow job times out");
	took = mono_ms() - t0;
	CHECK(took >= 190 && took < 650, "it waited %lld ms for 200", took);
	p11_job_put(j);
	CHECK(!atomic_load(&rel2), "not released under the running worker");
	for (int i = 0; i < 300 && !atomic_load(&rel2); i++)
		usleep(10000);
	CHECK(atomic_load(&rel2), "released when the late worker ends");

	/* A deadline already past: never waits. */
	a = calloc(1, sizeof(*a));
	a->released = &rel1;
	a->sleep_ms = 300;
	j = p11_job_new(a, release);
	t0 = mono_ms();
	CHECK(p11_job_run(j, work, t0 - 1) == P11_JOB_TIMEOUT &&
	    mono_ms() - t0 < 250, "a past deadline does not wait");
	p11_job_put(j);
	usleep(500000);		/* let the late worker finish before exit */
	return tap_done("test_p11_job");
}
