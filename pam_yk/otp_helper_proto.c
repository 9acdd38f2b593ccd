/* SPDX-License-Identifier: BSD-2-Clause */
/* otp_helper_proto.c - what pam_yk and pam_yk_validate say to each other */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "otp_helper.h"

int
validate_write_all(int fd, const char *p, size_t len, bool nosigpipe)
{
	while (len > 0) {
		ssize_t k = nosigpipe ? send(fd, p, len, MSG_NOSIGNAL) :
		    write(fd, p, len);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		len -= (size_t)k;
	}
	return 0;
}

/* Append "name value\n"; -1 when value has a newline or does not fit. */
static int
put(char *buf, size_t cap, size_t *o, const char *name, const char *value)
{
	int n;

	if (value == NULL)
		return 0;
	if (strchr(value, '\n') != NULL || strchr(value, '\r') != NULL)
		return -1;
	n = snprintf(buf + *o, cap - *o, "%s %s\n", name, value);
	if (n < 0 || (size_t)n >= cap - *o)
		return -1;
	*o += (size_t)n;
	return 0;
}

char *
validate_request(const struct vc_cfg *cfg, char *const *urls, size_t n,
    long timeout_ms)
{
	char *buf = malloc(VALIDATE_REQUEST_MAX), num[2][24];
	size_t o = 0;
	int ok;

	if (buf == NULL || n == 0 || n > VC_MAX_URLS)
		goto fail;
	snprintf(num[0], sizeof(num[0]), "%ld", timeout_ms > 0 ? timeout_ms : 1);
	snprintf(num[1], sizeof(num[1]), "%u", cfg->connect_timeout_ms);
	ok = put(buf, VALIDATE_REQUEST_MAX, &o, VALIDATE_NAME, "1") == 0 &&
	    put(buf, VALIDATE_REQUEST_MAX, &o, "timeout_ms", num[0]) == 0 &&
	    put(buf, VALIDATE_REQUEST_MAX, &o, "connect_ms", num[1]) == 0 &&
	    put(buf, VALIDATE_REQUEST_MAX, &o, "cainfo", cfg->cainfo) == 0 &&
	    put(buf, VALIDATE_REQUEST_MAX, &o, "capath", cfg->capath) == 0 &&
	    put(buf, VALIDATE_REQUEST_MAX, &o, "proxy", cfg->proxy) == 0;
	for (size_t i = 0; ok && i < n; i++)
		ok = put(buf, VALIDATE_REQUEST_MAX, &o, "url", urls[i]) == 0;
	if (ok && put(buf, VALIDATE_REQUEST_MAX, &o, "end", "") == 0)
		return buf;
fail:
	if (buf != NULL) {
		explicit_bzero(buf, VALIDATE_REQUEST_MAX);
		free(buf);
	}
	return NULL;
}

static int
number(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return *end != '\0' || errno != 0 || *v > max ? -1 : 0;
}

int
validate_parse_request(char *buf, size_t len, struct vc_cfg *cfg,
    char **urls, size_t *n)
{
	unsigned long v;
	bool head = false, end = false, timeout = false;
	char *line, *save = NULL;

	memset(cfg, 0, sizeof(*cfg));
	*n = 0;
	if (len == 0 || strlen(buf) != len || buf[len - 1] != '\n')
		return -1;
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *val = strchr(line, ' ');

		if (end || val == NULL)
			return -1;
		*val++ = '\0';
		if (!head) {
			if (strcmp(line, VALIDATE_NAME) != 0 ||
			    strcmp(val, "1") != 0)
				return -1;
			head = true;
		} else if (strcmp(line, "timeout_ms") == 0 &&
		    number(val, 600000, &v) == 0 && v > 0) {
			cfg->timeout_ms = (unsigned)v;
			timeout = true;
		} else if (strcmp(line, "connect_ms") == 0 &&
		    number(val, 600000, &v) == 0)
			cfg->connect_timeout_ms = (unsigned)v;
		else if (strcmp(line, "cainfo") == 0 && *val != '\0')
			cfg->cainfo = val;
		else if (strcmp(line, "capath") == 0 && *val != '\0')
			cfg->capath = val;
		else if (strcmp(line, "proxy") == 0)
			cfg->proxy = val;
		else if (strcmp(line, "url") == 0 && *n < VC_MAX_URLS &&
		    (strncmp(val, "https://", 8) == 0 ||
		    strncmp(val, "http://", 7) == 0))
			urls[(*n)++] = val;
		else if (strcmp(line, "end") == 0 && *val == '\0')
			end = true;
		else
			return -1;
	}
	return head && end && timeout && *n > 0 ? 0 : -1;
}

size_t
validate_reply_head(const struct vc_reply *r, char *head)
{
	char err[64] = "";
	int n;

	/* The reason is libcurl's: keep it to one printable line. */
	if (r->error != NULL) {
		snprintf(err, sizeof(err), "%s", r->error);
		for (char *p = err; *p != '\0'; p++)
			if (*p < ' ' || *p > '~')
				*p = '?';
	}
	n = snprintf(head, VALIDATE_HEAD_MAX, "reply %zu %ld %zu %s\n", r->idx,
	    r->error == NULL ? r->http : r->unreachable ? 0L : 1L,
	    r->error != NULL ? (size_t)0 :
	    r->len, err);
	return n < 0 ? 0 : (size_t)n;
}

int
validate_parse_reply(const char *buf, size_t have, size_t n,
    struct vc_reply *out, char *errbuf, size_t errlen, size_t *used)
{
	const char *nl = memchr(buf, '\n', have < VALIDATE_HEAD_MAX ? have :
	    VALIDATE_HEAD_MAX);
	char head[VALIDATE_HEAD_MAX + 1], *f[4], *save = NULL, *err;
	unsigned long idx, http, len;
	size_t hl;

	if (nl == NULL)
		return have < VALIDATE_HEAD_MAX ? 0 : -1;
	hl = (size_t)(nl - buf);
	memcpy(head, buf, hl);
	head[hl] = '\0';
	for (size_t i = 0; i < hl; i++)
		if (head[i] < ' ' || head[i] > '~')
			return -1;
	/* "reply IDX HTTP LEN ERROR": the error is the rest of the line. */
	for (int i = 0; i < 4; i++)
		if ((f[i] = strtok_r(i == 0 ? head : NULL, " ", &save)) == NULL)
			return -1;
	err = save != NULL ? save : "";
	if (strcmp(f[0], "reply") != 0 || number(f[1], n - 1, &idx) != 0 ||
	    number(f[2], 999, &http) != 0 ||
	    number(f[3], VC_REPLY_MAX, &len) != 0 ||
	    (*err != '\0' && len != 0))
		return -1;
	if (have - hl - 1 < len)
		return 0;
	memset(out, 0, sizeof(*out));
	out->idx = idx;
	if (*err != '\0') {
		snprintf(errbuf, errlen, "%s", err);
		out->error = errbuf;
		out->unreachable = http == 0;
	} else {
		out->http = (long)http;
		memcpy(out->body, nl + 1, len);
		out->len = len;
	}
	*used = hl + 1 + len;
	return 1;
}

const char *
validate_helper_problem(const char *path)
{
	struct stat st;

	if (path[0] != '/')
		return "is not an absolute path";
	if (stat(path, &st) != 0)
		return errno == ENOENT ? "is not installed" :
		    "cannot be examined";
	if (!S_ISREG(st.st_mode) || !(st.st_mode & S_IXUSR))
		return "is not an executable file";
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return "is writable by group or others";
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return "is not owned by root";
	return NULL;
}
