/* SPDX-License-Identifier: BSD-2-Clause */
/* log.c - syslog and the optional debug file */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

const char *
log_escape(const char *s, char *out, size_t n)
{
	size_t o = 0;

	if (n == 0)
		return "";
	for (; s != NULL && *s != '\0' && o + 5 < n; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c >= 0x7f || c == '\\')
			o += (size_t)snprintf(out + o, n - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

void
log_init(struct yk_log *l, const char *service)
{
	char esc[64];

	l->debug = false;
	l->debug_fd = -1;
	snprintf(l->ident, sizeof(l->ident), "pam_yk(%s:auth)",
	    log_escape(service ? service : "?", esc, sizeof(esc)));
}

int
log_open_debug(struct yk_log *l, const char *path, const char **why)
{
	struct stat st;
	int fd;

	if (strcmp(path, "stderr") == 0 || strcmp(path, "stdout") == 0) {
		l->debug_fd = dup(strcmp(path, "stderr") == 0 ? 2 : 1);
		return l->debug_fd >= 0 ? 0 : -1;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		*why = errno == ENOENT ? "debug_file does not exist (it is "
		    "never created)" : errno == ELOOP ? "debug_file is a "
		    "symbolic link" : "debug_file cannot be opened";
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		*why = "debug_file is not a regular file";
		return -1;
	}
	l->debug_fd = fd;
	return 0;
}

void
log_close(struct yk_log *l)
{
	if (l->debug_fd >= 0)
		close(l->debug_fd);
	l->debug_fd = -1;
}

static void
to_debug_file(const struct yk_log *l, const char *kind, const char *msg)
{
	char line[1200];
	int n = snprintf(line, sizeof(line), "%s: %s%s\n", l->ident, kind, msg);

	if (n > 0 && write(l->debug_fd, line, (size_t)n < sizeof(line) ?
	    (size_t)n : sizeof(line) - 1) < 0)
		return;	/* a debug line is not worth failing a login */
}

/* Every line goes to syslog, and with debug also to the debug file. */
static void __attribute__((format(printf, 3, 0)))
vlog(const struct yk_log *l, int prio, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	syslog(LOG_AUTHPRIV | prio, "%s: %s", l->ident, msg);
	if (l->debug && l->debug_fd >= 0)
		to_debug_file(l, "", msg);
}

void
yk_syslog(const struct yk_log *l, int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(l, prio, fmt, ap);
	va_end(ap);
}

void
yk_debug(const struct yk_log *l, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!l->debug)
		return;
	va_start(ap, fmt);
	if (l->debug_fd < 0) {
		vlog(l, LOG_DEBUG, fmt, ap);
		va_end(ap);
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	to_debug_file(l, "debug: ", msg);
}
