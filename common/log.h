/* SPDX-License-Identifier: BSD-2-Clause */
/* log.h - pam_yk's log: syslog (LOG_AUTHPRIV), and debug lines on request */
#ifndef YK_LOG_H
#define YK_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

struct yk_log {
	char	ident[96];	/* "pam_yk(sshd:auth)" */
	bool	debug;
	int	debug_fd;	/* -1: debug lines go to syslog */
};

/* Set the ident from the PAM service name (escaped). */
void log_init(struct yk_log *l, const char *service);

/* Open debug_file: an existing regular file, never created; 0 or -1. */
int log_open_debug(struct yk_log *l, const char *path, const char **why);
void log_close(struct yk_log *l);

void yk_syslog(const struct yk_log *l, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void yk_debug(const struct yk_log *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Copy s into out (size n) with every byte outside printable ASCII, and
 * the backslash, written as \xNN: user names and file contents are
 * escaped before they are logged.
 */
const char *log_escape(const char *s, char *out, size_t n);

#endif
