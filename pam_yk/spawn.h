/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spawn.h - run a helper program from inside someone else's process: an
 * empty environment, only the descriptors we hand it, a deadline, and
 * always reaped.  pam_yk_chalresp (cr_helper.c) and pam_yk_validate
 * (otp_helper.c) are both run this way.
 */
#ifndef YK_SPAWN_H
#define YK_SPAWN_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

struct child {
	pid_t			pid;		/* -1: none */
	struct sigaction	old_chld;	/* the host's, put back at reap */
	bool			root_ids;	/* see child_start */
};

/* fd moved to 3 or above, close-on-exec (dup2 onto 0-2 is then safe). */
int child_high_fd(int fd);

/*
 * Start path with argv and an EMPTY environment, its descriptor 0 on in,
 * 1 on out and 2 on /dev/null (in or out -1: /dev/null too), every other
 * descriptor closed and no signal blocked.  in and out must be 3 or above.
 * SIGCHLD is at its default from here to child_reap, so that the host's
 * handler never sees our child and cannot reap it.  0, or -1 with errno
 * (nothing left running, SIGCHLD put back).
 * With c->root_ids, when we run with effective uid 0 (su, sudo: the real
 * uid is the caller's), the child's real, effective and saved ids are all
 * 0: else the caller, whose real uid it would carry, may signal it (stop
 * it until the deadline) -- or it is not started.
 */
int child_start(struct child *c, const char *path, char *const argv[],
    int in, int out);

/*
 * Wait for the child to exit until deadline_ms (mono_ms() time; 0:
 * do not wait), then SIGKILL it.  Always reaps it and puts SIGCHLD back.
 * 0 with *status when it exited by itself, 1 when it was killed here, -1
 * when its status was lost (someone else reaped it).  NULL-safe for a
 * child that never started (pid -1): returns -1.
 */
int child_reap(struct child *c, long long deadline_ms, int *status);

#endif
