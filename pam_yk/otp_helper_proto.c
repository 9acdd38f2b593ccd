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

#include "helper_proto.h"
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

char *
validate_request(const struct vc_cfg *cfg, char *const *urls, size_t n,
    long timeout_ms)
{
	char *buf = malloc(VALIDATE_REQUEST_MAX), num[2][24];
	size_t o = 0;
	bool ok = false;

	if (buf == NULL || n == 0 || n > VC_MAX_URLS)
		goto out;
	snprintf(num[0], sizeof(num[0]), "%ld", timeout_ms > 0 ? timeout_ms : 1);
	snprintf(num[1], sizeof(num[1]), "%u", cfg->connect_timeout_ms);
	ok = hp_put(buf, VALIDATE_REQUEST_MAX, &o, VALIDATE_NAME, "1") == 0 &&
	    hp_put(buf, VALIDATE_REQUEST_MAX, &o, "timeout_ms", num[0]) == 0 &&
	    hp_put(buf, VALIDATE_REQUEST_MAX, &o, "connect_ms", num[1]) == 0 &&
	    hp_put(buf, VALIDATE_REQUEST_MAX, &o, "cainfo", cfg->cainfo) == 0 &&
	    hp_put(buf, VALIDATE_REQUEST_MAX, &o, "capath", cfg->capath) == 0 &&
	    hp_put(buf, VALIDATE_REQUEST_MAX, &o, "proxy", cfg->proxy) == 0;
	for (size_t i = 0; ok && i < n; i++)
		ok = hp_put(buf, VALIDATE_REQUEST_MAX, &o, "url", urls[i]) == 0;
out:
	return hp_finish(buf, VALIDATE_REQUEST_MAX, &o, ok);
}

/* Where validate_parse_request puts the lines. */
struct request {
	struct vc_cfg	*cfg;
	char		**urls;
	size_t		*n;
	bool		timeout;
};

/* One "name value" line of a request; 0 or -1. */
static int
request_line(char *name, char *val, void *ctx)
{
	struct request *r = ctx;
	unsigned long v;

	if (strcmp(name, "timeout_ms") == 0 &&
	    hp_number(val, 600000, &v) == 0 && v > 0) {
		r->cfg->timeout_ms = (unsigned)v;
		r->timeout = true;
	} else if (strcmp(name, "connect_ms") == 0 &&
	    hp_number(val, 600000, &v) == 0)
		r->cfg->connect_timeout_ms = (unsigned)v;
	else if (strcmp(name, "cainfo") == 0 && *val != '\0')
		r->cfg->cainfo = val;
	else if (strcmp(name, "capath") == 0 && *val != '\0')
		r->cfg->capath = val;
	else if (strcmp(name, "proxy") == 0)
		r->cfg->proxy = val;
	else if (strcmp(name, "url") == 0 && *r->n < VC_MAX_URLS &&
	    (strncmp(val, "https://", 8) == 0 ||
	    strncmp(val, "http://", 7) == 0))
		r->urls[(*r->n)++] = val;
	else
		return -1;
	return 0;
}

int
validate_parse_request(char *buf, size_t len, struct vc_cfg *cfg,
    char **urls, size_t *n)
{
	struct request r = { .cfg = cfg, .urls = urls, .n = n };

	memset(cfg, 0, sizeof(*cfg));
	*n = 0;
	if (hp_parse(buf, len, VALIDATE_NAME, request_line, &r) != 0)
		return -1;
	return r.timeout && *n > 0 ? 0 : -1;
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
	if (strcmp(f[0], "reply") != 0 || hp_number(f[1], n - 1, &idx) != 0 ||
	    hp_number(f[2], 999, &http) != 0 ||
	    hp_number(f[3], VC_REPLY_MAX, &len) != 0 ||
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
