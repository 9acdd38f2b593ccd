/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * suidexec.c - test-only: start a setuid-root program (sudo, su) as if an
 * ordinary user had run it, with every id faked by uid_wrapper.
 *
 *   suidexec UID GID PROGRAM [ARG]...
 *
 * Run as real root with LD_PRELOAD=libuid_wrapper.so, UID_WRAPPER=1 and
 * UID_WRAPPER_ROOT=1.  It sets the ids a setuid-root exec by UID:GID gives --
 * real uid UID, effective and saved uid 0, gid GID, the one group GID --
 * and runs PROGRAM in a child, whose exit status it returns.  uid_wrapper
 * hands fake ids on to a new program only across fork and exec: its fork
 * handler puts them into the child's environment (UID_WRAPPER_INITIAL_*),
 * and the uid_wrapper loaded into PROGRAM reads them back; a bare exec
 * would lose them.  The kernel never sees any of this: the processes stay
 * real root, which is why a setuid binary accepts the LD_PRELOAD at all.
 *
 * Without uid_wrapper it refuses to run: a real root would otherwise
 * really change its ids.  Never installed.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int
parse_id(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v == 0 || v > 0x7fffffffUL)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* Fork (uid_wrapper exports the ids), exec, and pass the status on. */
static int
run(char **cmd)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("suidexec: fork");
		return 2;
	}
	if (pid == 0) {
		execv(cmd[0], cmd);
		perror(cmd[0]);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			perror("suidexec: waitpid");
			return 2;
		}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int
main(int argc, char **argv)
{
	bool (*enabled)(void);
	unsigned uid, gid;
	uid_t r, e, s;
	gid_t g;

	if (argc < 4 || parse_id(argv[1], &uid) != 0 ||
	    parse_id(argv[2], &gid) != 0) {
		fprintf(stderr, "usage: suidexec UID GID PROGRAM [ARG]...\n");
		return 2;
	}
	*(void **)&enabled = dlsym(RTLD_DEFAULT, "uid_wrapper_enabled");
	if (enabled == NULL || !enabled()) {
		fprintf(stderr, "suidexec: uid_wrapper is not active\n");
		return 2;
	}
	g = (gid_t)gid;
	if (setgroups(1, &g) != 0 || setresgid(g, g, g) != 0 ||
	    setresuid((uid_t)uid, 0, 0) != 0) {
		perror("suidexec: set ids");
		return 2;
	}
	if (getresuid(&r, &e, &s) != 0 || r != (uid_t)uid || e != 0 ||
	    s != 0) {
		fprintf(stderr, "suidexec: ids not set\n");
		return 2;
	}
	return run(argv + 3);
}
