/* SPDX-License-Identifier: BSD-2-Clause */
/* check.h - ykpamcfg check: explain what pam_yk would do for a user */
#ifndef YK_CHECK_H
#define YK_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "cfg.h"

/* ---- tools/check.c: the subcommand -------------------------------------- */

/* "ykpamcfg check ..." with argv[0] = "check"; returns the exit status. */
int check_main(int argc, char **argv);

/* ---- tools/check_pamfile.c: PAM service files, read as libpam reads them */

/* One auth line (after include, substack and @include are followed). */
struct pam_line {
	char	*file;
	unsigned lineno;	/* of the line's first physical line */
	char	*type;		/* as written: "auth", "-auth" */
	char	*control;	/* "required", or "[...]" with its brackets */
	char	*module;
	int	argc;
	char	**argv;		/* brackets of "[a b]" arguments removed */
};

struct pam_lines {
	const char	*type;		/* the lines kept: "auth", "account" */
	struct pam_line	*line;
	size_t		n;
	char		problems[4][512];	/* includes that cannot be read */
	size_t		nproblems;
	size_t		nfiles;		/* files read, includes counted */
};

/*
 * Read path's auth lines, following "auth include|substack NAME" and
 * "@include NAME" (relative names next to the including file), at most 8
 * deep and 64 files in all.  Comments run from '#' to the end of the line, a final '\' joins
 * the next line, "[...]" is one field.  0, or -1 with err when path itself
 * cannot be read.
 */
int pamfile_read(const char *path, struct pam_lines *out, char *err,
    size_t errlen);

/* The same for the lines of another type ("account", ...). */
int pamfile_read_type(const char *path, const char *type,
    struct pam_lines *out, char *err, size_t errlen);

/*
 * Does the stack of path use module (a file name: "pam_nologin.so") in
 * its auth or account lines?  1 yes, 0 no, -1 (err) when unreadable.
 */
int pamfile_uses(const char *path, const char *module, char *err,
    size_t errlen);

/*
 * The same question for the distribution's stock file of service: the
 * conffile /etc/pam.d/SERVICE as its package shipped it (dpkg's md5 of
 * it still matches).  stock names it (for the report).  1, 0, or -1 with
 * why when it cannot be told.
 */
int pamfile_stock_uses(const char *service, const char *module, char *stock,
    size_t stocklen, char *why, size_t whylen);

/* Split a module argument string the way libpam does; 0 or -1. */
int pamfile_split_args(const char *s, int *argc, char ***argv);

void pam_lines_free(struct pam_lines *l);
void pam_args_free(int argc, char **argv);

enum ck_level {
	CK_OK,
	CK_INFO,
	CK_WARN,	/* worth knowing; does not deny */
	CK_DENY,	/* denies every login of the user on this line */
};

/* ---- tools/check.c: what was found out about each pam_yk line ------------ */

#define MAX_FINDINGS	64

struct finding {
	enum ck_level	level;
	const char	*topic;
	char		text[600];
};

/* One pam_yk line and what was found out about it. */
struct entry {
	const struct pam_line	*pl;	/* NULL for --args */
	int			argc;
	char			**argv;
	const char		*mode;	/* NULL when the options fail */
	struct finding		f[MAX_FINDINGS];
	size_t			nf;
	bool			absent;	/* the key or card is not there now */
	bool			hard;	/* deny even where nullok would pass */
	/* Why check refuses a line that the module would run as it is. */
	const char		*refused;
	enum ck_level		verdict;
	/* The module's code for what check found (yk_pam_code), or NULL. */
	const char		*outcome;
	/*
	 * What pam_sm_authenticate returns (yk_pam_final: alwaysok applied),
	 * by name, when the user's answer cannot change it; NULL when it can.
	 */
	const char		*pam_code;
	char			summary[400];
};

/* A module argument as it can be shown: secrets hidden, blanks bracketed. */
void shown_arg(const char *a, char *out, size_t len);

/* ---- tools/check_report.c: the findings as text or JSON ------------------ */

/*
 * Print the findings for user (uesc: escaped) of the n entries, service
 * (NULL for --args) with its lines pl (NULL for --args), and the result.
 */
void ck_print_text(const char *uesc, const char *service,
    const struct entry *es, size_t n, const struct pam_lines *pl, bool deny);
int ck_print_json(const char *user, const char *service,
    const struct entry *es, size_t n, const struct pam_lines *pl, bool deny);

/* ---- tools/check_net.c: one probe per validation server ------------------ */

struct ck_server {
	enum ck_level	level;
	char		status[32];	/* the server's status=, or "" */
	char		text[320];
	double		ms;
	bool		confirmed;	/* signed with key=: id and key right */
	bool		unreachable;	/* no reply: refused, timeout, TLS */
};

/*
 * Send each of cfg's servers one request without an OTP (id, nonce and,
 * with a key, h), in parallel, within cfg's timeout, and judge the replies:
 * reachable, status, and whose key signed them.  out holds cfg->vc.nurls
 * entries.  0, or -1 on a local failure (then every entry says why).
 */
int check_servers(const struct cfg *cfg, struct ck_server *out);

#endif
