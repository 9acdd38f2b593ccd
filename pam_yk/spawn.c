/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * spawn.c - start, bound and reap a helper program (see spawn.h).  It
 * lives in someone else's process: no exit, no stray child, no signal
 * disposition left changed, nothing of the host's environment passed on.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cr_helper.h"
#include "mono.h"
#include "spawn.h"

int
child_high_fd(int fd)
{
	int h;

	if (fd < 0 || fd >= 3)
		return fd;
	h = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return h;
}

int
child_start(struct child *c, const char *path, char *const argv[],
    int in, int out)
{
	static char *const envp[] = { NULL };
	struct sigaction dfl;
	sigset_t none;
	int null, e;

	c->pid = -1;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigemptyset(&none);
	null = child_high_fd(open("/dev/null", O_RDWR | O_CLOEXEC));
	if (null < 0)
		return -1;
	if (sigaction(SIGCHLD, &dfl, &c->old_chld) != 0) {
		e = errno;
		close(null);
		errno = e;
		return -1;
	}
	c->pid = fork();
	if (c->pid == 0) {
		/* The child: only async-signal-safe calls from here on. */
		if (dup2(in >= 0 ? in : null, 0) < 0 ||
		    dup2(out >= 0 ? out : null, 1) < 0 || dup2(null, 2) < 0)
			_exit(HELPER_EXIT_EXEC);
		helper_close_from(3);
		if (c->root_ids && geteuid() == 0 &&
		    (syscall(SYS_setresgid, 0, 0, 0) != 0 ||
		    syscall(SYS_setresuid, 0, 0, 0) != 0))
			_exit(HELPER_EXIT_EXEC);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execve(path, argv, envp);
		_exit(HELPER_EXIT_EXEC);
	}
	e = errno;
	close(null);
	if (c->pid < 0) {
		sigaction(SIGCHLD, &c->old_chld, NULL);
		errno = e;
		return -1;
	}
	return 0;
}

int
child_reap(struct child *c, long long deadline_ms, int *status)
{
	int r = 1;
	pid_t w;

	if (c->pid < 0)
		return -1;
	for (;;) {
		w = waitpid(c->pid, status, WNOHANG);
		if (w == c->pid) {
			r = 0;
			goto out;
		}
		if (w < 0 && errno != EINTR) {
			r = -1;		/* reaped by someone else */
			goto out;
		}
		if (mono_ms() >= deadline_ms)
			break;
		poll(NULL, 0, 5);
	}
	kill(c->pid, SIGKILL);
	while ((w = waitpid(c->pid, status, 0)) < 0 && errno == EINTR)
		;
	if (w != c->pid)
		r = -1;
out:
	sigaction(SIGCHLD, &c->old_chld, NULL);
	c->pid = -1;
	return r;
}
