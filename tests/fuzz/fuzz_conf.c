/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_conf.c - bytes as a conf= file through cfg_parse (read_conf and
 * parse_file), then PAM arguments that override it.  The input is
 * "FILE\0ARG\nARG...".  The file is written, mode 600, into a private
 * directory under $TMPDIR; read_conf wants it root's, so run as root
 * (as the module's tests are), else every input stops at the owner check.
 */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"

#define MAX_ARGS	16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[4096], file[4200], conf[4300];

static void
cleanup(void)
{
	unlink(file);
	rmdir(dir);
}

static int
setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/fuzz_conf.XXXXXX",
	    tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(file, sizeof(file), "%s/conf", dir);
	snprintf(conf, sizeof(conf), "conf=%s", file);
	atexit(cleanup);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *argv[MAX_ARGS + 1] = { conf };
	const uint8_t *nul = memchr(data, '\0', size);
	size_t flen = nul != NULL ? (size_t)(nul - data) : size;
	char *s = NULL, err[256];
	struct cfg cfg;
	int argc = 1, fd;

	if (dir[0] == '\0' && setup() != 0)
		abort();
	if ((fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0 ||
	    write(fd, data, flen) != (ssize_t)flen || close(fd) != 0)
		abort();
	if (nul != NULL) {
		size_t n = size - flen - 1;

		if ((s = malloc(n + 1)) == NULL)
			return 0;
		memcpy(s, nul + 1, n);
		s[n] = '\0';
		for (char *a = s, *nl; argc <= MAX_ARGS; a = nl + 1) {
			if ((nl = strchr(a, '\n')) != NULL)
				*nl = '\0';
			argv[argc++] = a;
			if (nl == NULL)
				break;
		}
	}
	err[0] = '\0';
	if (cfg_parse(argc, argv, &cfg, err, sizeof(err)) != 0 && err[0] == '\0')
		abort();	/* every refusal says why */
	cfg_free(&cfg);
	free(s);
	return 0;
}
