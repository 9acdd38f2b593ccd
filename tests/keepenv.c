/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keepenv.c - test-only, LD_PRELOADed into pam_yk_chalresp by
 * tests/unlock.sh when it runs the helper with faked setuid ids: the
 * helper's clearenv() is written down (a line "clearenv" in the file
 * KEEPENV_LOG names) but clears nothing, so that the stand-ins it runs
 * under (nss_wrapper, uid_wrapper, fakeykpers) still find their
 * variables.  A real clearenv() is what the real setuid run of the test
 * exercises.  Never installed.
 */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

static const char *log_path;

__attribute__((constructor)) static void
keepenv_init(void)
{
	log_path = getenv("KEEPENV_LOG");
}

int
clearenv(void)
{
	int fd;

	if (log_path == NULL)
		return 0;
	fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0) {
		if (write(fd, "clearenv\n", 9) != 9)
			(void)0;
		close(fd);
	}
	return 0;
}
