/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_pamfile.c - bytes as PAM service files through ykpamcfg check's
 * reader (pamfile_read: logical_line, next_field, pamfile_split_args,
 * include, substack and @include).  The input is up to four files split
 * on NUL bytes, written as "main", "a", "b" and "c" into a private
 * directory under $TMPDIR, so that "auth include a" finds the second.
 * Every '/' becomes '_': an absolute include would read the machine's
 * files (a FIFO would block).
 */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

#define NFILES	4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[NFILES] = { "main", "a", "b", "c" };
static char dir[4096], path[NFILES][4200];

static void
cleanup(void)
{
	for (int i = 0; i < NFILES; i++)
		unlink(path[i]);
	rmdir(dir);
}

static int
setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/fuzz_pamfile.XXXXXX",
	    tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		return -1;
	for (int i = 0; i < NFILES; i++)
		snprintf(path[i], sizeof(path[i]), "%s/%s", dir, names[i]);
	atexit(cleanup);
	return 0;
}

static void
check_lines(const struct pam_lines *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct pam_line *p = &l->line[i];

		if (p->file == NULL || p->type == NULL || p->control == NULL ||
		    p->module == NULL || p->argc < 0 ||
		    (p->argc > 0 && p->argv == NULL))
			abort();
		for (int a = 0; a < p->argc; a++)
			if (p->argv[a] == NULL)
				abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = { "auth", "account" };
	char *s = malloc(size + 1), err[512];
	const char *part = s;

	if (s == NULL)
		return 0;
	if (dir[0] == '\0' && setup() != 0)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	for (size_t i = 0; i < size; i++)
		if (s[i] == '/')
			s[i] = '_';
	for (int i = 0; i < NFILES; i++) {
		size_t len = part <= s + size ? strlen(part) : 0;
		int fd = open(path[i], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0600);

		if (fd < 0 || (len > 0 && write(fd, part, len) != (ssize_t)len) ||
		    close(fd) != 0)
			abort();
		part += len + 1;
	}
	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		struct pam_lines l;

		err[0] = '\0';
		if (pamfile_read_type(path[0], types[t], &l, err,
		    sizeof(err)) != 0) {
			if (err[0] == '\0')
				abort();	/* a refusal says why */
			continue;
		}
		check_lines(&l);
		pam_lines_free(&l);
	}
	free(s);
	return 0;
}
