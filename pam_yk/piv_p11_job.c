/* SPDX-License-Identifier: BSD-2-Clause */
/* piv_p11_job.c - run a piece of PKCS#11 work on a thread, with a deadline */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "piv_p11_job.h"

struct p11_job {
	pthread_mutex_t	mu;
	pthread_cond_t	cv;
	int		refs;
	bool		done;
	void		(*fn)(void *);
	void		*arg;
	void		(*release)(void *);
};

/*
 * A worker left running executes code of this shared object when it
 * returns: make sure the host's dlclose (pam_end) never unmaps it.  Done
 * once, before the first worker starts, and not at the deadline: a worker
 * stuck in dlopen (a module's constructor) holds the loader's lock, which
 * dladdr and dlopen would wait for.
 */
static void
pin_self(void)
{
	Dl_info info;

	if (dladdr((void *)pin_self, &info) != 0 && info.dli_fname != NULL)
		(void)dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD |
		    RTLD_NODELETE);
}

struct p11_job *
p11_job_new(void *arg, void (*release)(void *))
{
	static pthread_once_t pinned = PTHREAD_ONCE_INIT;
	struct p11_job *j;
	pthread_condattr_t ca;

	if (pthread_once(&pinned, pin_self) != 0 ||
	    (j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	if (pthread_condattr_init(&ca) != 0) {
		free(j);
		return NULL;
	}
	if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&j->cv, &ca) != 0) {
		pthread_condattr_destroy(&ca);
		free(j);
		return NULL;
	}
	pthread_condattr_destroy(&ca);
	if (pthread_mutex_init(&j->mu, NULL) != 0) {
		pthread_cond_destroy(&j->cv);
		free(j);
		return NULL;
	}
	j->refs = 1;
	j->arg = arg;
	j->release = release;
	return j;
}

void
p11_job_put(struct p11_job *j)
{
	bool last;

	if (j == NULL)
		return;
	pthread_mutex_lock(&j->mu);
	last = --j->refs == 0;
	pthread_mutex_unlock(&j->mu);
	if (!last)
		return;
	if (j->release != NULL)
		j->release(j->arg);
	pthread_cond_destroy(&j->cv);
	pthread_mutex_destroy(&j->mu);
	free(j);
}

static void *
worker(void *p)
{
	struct p11_job *j = p;

	j->fn(j->arg);
	pthread_mutex_lock(&j->mu);
	j->done = true;
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&j->mu);
	p11_job_put(j);
	return NULL;
}


enum p11_job_rc
p11_job_run(struct p11_job *j, void (*fn)(void *), long long deadline)
{
	struct timespec ts = { .tv_sec = deadline / 1000,
	    .tv_nsec = (long)(deadline % 1000) * 1000000 };
	sigset_t all, old;
	pthread_t t;
	bool done;
	int rc;

	j->fn = fn;
	j->done = false;
	pthread_mutex_lock(&j->mu);
	j->refs++;			/* the worker's */
	pthread_mutex_unlock(&j->mu);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&t, NULL, worker, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_mutex_lock(&j->mu);
		j->refs--;
		pthread_mutex_unlock(&j->mu);
		return P11_JOB_NOSTART;
	}
	pthread_mutex_lock(&j->mu);
	rc = 0;
	while (!j->done && rc == 0)	/* any error ends the wait */
		rc = pthread_cond_timedwait(&j->cv, &j->mu, &ts);
	done = j->done;
	pthread_mutex_unlock(&j->mu);
	if (done) {
		pthread_join(t, NULL);	/* it is past fn: this is quick */
		return P11_JOB_DONE;
	}
	pthread_detach(t);
	return P11_JOB_TIMEOUT;
}
