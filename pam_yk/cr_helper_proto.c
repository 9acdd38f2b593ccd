/* SPDX-License-Identifier: BSD-2-Clause */
/* cr_helper_proto.c - what pam_yk and its setuid helper agree on (pure) */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cfg.h"
#include "cr_helper.h"
#include "cr_state.h"

/*
 * TIMEOUT as the module writes it ("%u": no sign, blank or leading zero);
 * its range is timeout='s, from the option table.
 */
static bool
canonical_number(const char *s)
{
	if (*s < '1' || *s > '9')
		return false;
	while (*s >= '0' && *s <= '9')
		s++;
	return *s == '\0';
}

int
helper_check_args(int argc, char *const *argv, struct helper_args *a,
    const char **why)
{
	char err[256];

	memset(a, 0, sizeof(*a));
	if (argc != 4 && argc != 5) {
		*why = "usage: " HELPER_NAME " USER DIR TIMEOUT [CUE]";
		return -1;
	}
	a->user = argv[1];
	if (cr_user_bad(a->user) != NULL) {
		*why = "USER cannot name a state file";
		return -1;
	}
	/* DIR, TIMEOUT and CUE are chalresp_path=, timeout= and prompt=. */
	a->dir = argv[2];
	if (cfg_check_value("chalresp_path", a->dir, MODE_CHALRESP, err,
	    sizeof(err)) != CFG_OK) {
		*why = "DIR must be an absolute path without ., .. or //";
		return -1;
	}
	if (!canonical_number(argv[3]) || cfg_check_value("timeout", argv[3],
	    MODE_CHALRESP, err, sizeof(err)) != CFG_OK) {
		*why = "TIMEOUT must be 1 to 60 (seconds)";
		return -1;
	}
	a->timeout_s = (unsigned)strtoul(argv[3], NULL, 10);
	if (argc == 5) {
		a->cue = argv[4];
		if (cfg_check_value("prompt", a->cue, MODE_CHALRESP, err,
		    sizeof(err)) != CFG_OK) {
			*why = "CUE must be 1 to 255 bytes of printable text";
			return -1;
		}
	}
	return 0;
}

static const struct {
	enum yk_result	r;
	int		code;
} codes[] = {
	{ YK_OK,		HELPER_EXIT_OK },
	{ YK_NO_TOKENS,		HELPER_EXIT_NO_TOKENS },
	{ YK_USER_UNKNOWN,	HELPER_EXIT_USER_UNKNOWN },
	{ YK_REJECTED,		HELPER_EXIT_REJECTED },
	{ YK_MAPPING_ERROR,	HELPER_EXIT_MAPPING_ERROR },
	{ YK_SYSTEM,		HELPER_EXIT_SYSTEM },
};

int
helper_exit_code(enum yk_result r)
{
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].r == r)
			return codes[i].code;
	return HELPER_EXIT_SYSTEM;	/* never success by accident */
}

int
helper_result(int code, enum yk_result *r)
{
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].code == code) {
			*r = codes[i].r;
			return 0;
		}
	return -1;
}

static const char *
after(const char *line, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(line, prefix, n) == 0 ? line + n : NULL;
}

enum helper_line
helper_parse_line(const char *line, size_t len, const char **text)
{
	const char *t;

	*text = NULL;
	if (len > HELPER_LINE_MAX)
		return HELPER_LINE_BAD;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			return HELPER_LINE_BAD;	/* also a NUL */
	if ((t = after(line, len, "cue ")) != NULL && t < line + len) {
		*text = t;
		return HELPER_LINE_CUE;
	}
	if ((t = after(line, len, "error ")) != NULL && t < line + len) {
		*text = t;
		return HELPER_LINE_ERROR;
	}
	if ((t = after(line, len, HELPER_LOG_IDENT ": debug: ")) != NULL) {
		*text = t;
		return HELPER_LINE_DEBUG;
	}
	if ((t = after(line, len, HELPER_LOG_IDENT ": ")) != NULL) {
		*text = t;
		return HELPER_LINE_LOG;
	}
	return HELPER_LINE_BAD;
}

void
helper_close_from(int fd)
{
	struct rlimit rl;
	long max = 65536;

#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)fd, ~0U, 0U) == 0)
		return;
#endif
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)max)
		max = (long)rl.rlim_cur;
	for (long i = fd; i < max; i++)
		(void)close((int)i);
}

/*
 * The caller's limits must not cut a run short (RLIMIT_FSIZE: a
 * truncated temporary file and SIGXFSZ; RLIMIT_AS: a thread that cannot
 * start, so a name that "cannot be resolved") or starve it of
 * descriptors, CPU time or memory; and no core dump.  Each limit is lifted
 * (root may raise hard limits with CAP_SYS_RESOURCE), else its soft limit
 * raised to the hard one.  strict: below what a run needs, refuse (-1
 * with *which) before anything is done; else go on with what there is.
 */
/* What setrlimit takes: glibc's enum with _GNU_SOURCE, an int elsewhere. */
#ifdef __GLIBC__
typedef __rlimit_resource_t rlim_res_t;
#else
typedef int rlim_res_t;
#endif

int
helper_sane_limits(bool strict, const char **which)
{
	static const struct {
		rlim_res_t	res;
		rlim_t		want, need;
		const char	*name;
	} lim[] = {
		{ RLIMIT_FSIZE, RLIM_INFINITY, 1 << 20, "RLIMIT_FSIZE" },
		{ RLIMIT_CPU, RLIM_INFINITY, 600, "RLIMIT_CPU" },
		{ RLIMIT_AS, RLIM_INFINITY, (rlim_t)1 << 30, "RLIMIT_AS" },
		{ RLIMIT_DATA, RLIM_INFINITY, (rlim_t)1 << 28, "RLIMIT_DATA" },
		{ RLIMIT_NOFILE, 1024, 64, "RLIMIT_NOFILE" },
		{ RLIMIT_CORE, 0, 0, "RLIMIT_CORE" },
	};

	for (size_t i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
		struct rlimit rl = { lim[i].want, lim[i].want };

		*which = lim[i].name;
		if (setrlimit(lim[i].res, &rl) == 0)
			continue;
		if (getrlimit(lim[i].res, &rl) != 0) {
			if (strict)
				return -1;
			continue;
		}
		rl.rlim_cur = rl.rlim_max;
		if ((setrlimit(lim[i].res, &rl) != 0 ||
		    (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < lim[i].need)) &&
		    strict)
			return -1;
	}
	*which = NULL;
	return 0;
}
