/* SPDX-License-Identifier: BSD-2-Clause */
/* piv_p11_job.h - run a piece of PKCS#11 work on a thread, with a deadline */
#ifndef YK_P11_JOB_H
#define YK_P11_JOB_H

/*
 * A PKCS#11 module (and the card behind it) may never return from a
 * call.  The module runs inside someone else's process, so the work is
 * done on a worker thread while the caller waits with a deadline.  When
 * the deadline passes the worker is abandoned: the job (and the state it
 * works on, arg) stays alive until the late worker returns, and then only
 * release(arg) runs -- which must free memory and never call into the
 * module.
 */
struct p11_job;

/* A job over arg, or NULL (out of memory).  release may be NULL. */
struct p11_job *p11_job_new(void *arg, void (*release)(void *));

enum p11_job_rc {
	P11_JOB_DONE,		/* fn(arg) returned in time */
	P11_JOB_NOSTART,	/* no thread could be made: fn never ran */
	P11_JOB_TIMEOUT,	/* abandoned: never touch arg again */
};

/*
 * Run fn(arg) on a new thread (every signal blocked there) and wait at most
 * until deadline (ms on CLOCK_MONOTONIC, see mono_ms in mono.h).  After
 * P11_JOB_TIMEOUT the caller may only p11_job_put: the job is abandoned.
 * pam_yk.so stays loaded for good from the first p11_job_new, so that a
 * late worker never runs unmapped code.  One run at a time per job.
 */
enum p11_job_rc p11_job_run(struct p11_job *j, void (*fn)(void *),
    long long deadline);

/* Drop the caller's reference; arg is released with the last one. */
void p11_job_put(struct p11_job *j);

#endif
