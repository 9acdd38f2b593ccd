/* SPDX-License-Identifier: BSD-2-Clause */
/* authfile.c - open the mapping file safely; parse "user:id:id" */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "authfile.h"
#include "modhex.h"

#define AF_MAX_SIZE	(1 << 20)

void
af_entries_free(struct af_entries *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->entry[i]);
	e->n = 0;
	e->listed = false;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The field [s, end) with surrounding blanks removed, as a new string. */
static char *
field_dup(const char *s, const char *end)
{
	while (s < end && is_blank(*s))
		s++;
	while (end > s && is_blank(end[-1]))
		end--;
	return strndup(s, (size_t)(end - s));
}

int
authfile_parse_line(const char *line, const char *user,
    struct af_entries *out, const char **errstr)
{
	size_t len = strlen(line), ulen;
	const char *p, *end, *colon;
	char *name;
	bool match;

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	p = line;
	while (p < line + len && is_blank(*p))
		p++;
	if (p == line + len || *p == '#')
		return 0;
	end = line + len;
	colon = memchr(p, ':', (size_t)(end - p));
	if ((name = field_dup(p, colon ? colon : end)) == NULL) {
		*errstr = "out of memory";
		return -1;
	}
	ulen = strlen(name);
	match = ulen > 0 && strcmp(name, user) == 0;
	free(name);
	if (!match)
		return 0;
	/* Only the user's own lines can deny the user. */
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)line[i] < 0x20 && line[i] != '\t') {
			*errstr = "control character in the user's line";
			return -1;
		}
	}
	out->listed = true;
	for (p = colon; p != NULL && p < end; p = colon) {
		const char *next = memchr(p + 1, ':', (size_t)(end - p - 1));
		char *f = field_dup(p + 1, next ? next : end);

		colon = next;
		if (f == NULL) {
			*errstr = "out of memory";
			return -1;
		}
		if (*f == '\0') {
			free(f);
			continue;
		}
		if (out->n == AF_MAX_ENTRIES) {
			free(f);
			*errstr = "too many entries for one user";
			return -1;
		}
		out->entry[out->n++] = f;
	}
	return 0;
}

int
authfile_read(FILE *f, const char *user, struct af_entries *out,
    const char **errstr)
{
	char *line = NULL;
	size_t cap = 0;
	int r = -1;

	while (getline(&line, &cap, f) != -1)
		if (authfile_parse_line(line, user, out, errstr) != 0)
			goto out;
	if (ferror(f)) {
		*errstr = "read error";
		goto out;
	}
	r = 0;
out:
	free(line);
	return r;
}

const char *
af_owner_unsafe(const struct stat *st, uid_t owner, bool root_ok, bool private)
{
	if (st->st_uid != owner && !(root_ok && st->st_uid == 0))
		return "has the wrong owner";
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return "is writable by group or others";
	if (private && (st->st_mode & (S_IRGRP | S_IROTH)))
		return "is readable by group or others, who could lock it and "
		    "hold up logins: chmod 600 it";
	return NULL;
}

const char *
af_stat_unsafe(const struct stat *st, uid_t owner, bool dir, off_t max)
{
	const char *why;

	if (dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode))
		return dir ? "is not a directory" : "is not a regular file";
	if ((why = af_owner_unsafe(st, owner, true, false)) != NULL)
		return why;
	if (!dir && max > 0 && st->st_size > max)
		return "is too large";
	return NULL;
}

const char *
af_path_unsafe(const char *path, uid_t owner, bool dir)
{
	struct stat st;
	const char *why;
	int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? "does not exist" :
		    errno == ELOOP ? "is a symbolic link" :
		    errno == ENOTDIR ? "has a non-directory in its path" :
		    "cannot be examined";
	/* O_PATH|O_NOFOLLOW opens a final link itself */
	why = fstat(fd, &st) != 0 ? "cannot be examined" :
	    S_ISLNK(st.st_mode) ? "is a symbolic link" :
	    af_stat_unsafe(&st, owner, dir, 0);
	close(fd);
	return why;
}

enum af_open
af_open_at(int dirfd, const char *path, uid_t owner, off_t max, bool follow,
    FILE **f, const char **why)
{
	struct stat st;
	int fd;

	*f = NULL;
	fd = openat(dirfd, path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY |
	    (follow ? 0 : O_NOFOLLOW));
	if (fd < 0) {
		if (errno == ENOENT)
			return AF_OPEN_ABSENT;
		*why = errno == ELOOP ? "is a symbolic link" :
		    errno == EACCES ? "cannot be read (permission denied)" :
		    errno == ENOTDIR ? "has a non-directory in its path" :
		    "cannot be opened";
		return AF_OPEN_ERROR;
	}
	if (fstat(fd, &st) != 0)
		*why = "cannot be examined";
	else if ((*why = af_stat_unsafe(&st, owner, false, max)) != NULL)
		;
	else if ((*f = fdopen(fd, "re")) == NULL)
		*why = "cannot be read";
	if (*f != NULL)
		return AF_OPEN_OK;
	close(fd);
	return AF_OPEN_ERROR;
}

enum af_open
authfile_open(const char *path, uid_t owner, FILE **f, const char **why)
{
	enum af_open r = af_open_at(AT_FDCWD, path, owner, AF_MAX_SIZE, false,
	    f, why);

	if (r == AF_OPEN_ERROR && strcmp(*why, "is too large") == 0)
		*why = "is larger than 1 MiB";
	return r;
}

bool
af_has(const struct af_entries *e, const char *token_id)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->entry[i], token_id) == 0)
			return true;
	return false;
}

bool
af_is_token(const char *entry, size_t idlen)
{
	return strlen(entry) == idlen && modhex_valid(entry, idlen);
}

bool
af_is_fingerprint(const char *entry)
{
	const char *h = entry + strlen(AF_FP_PREFIX);

	return strncmp(entry, AF_FP_PREFIX, strlen(AF_FP_PREFIX)) == 0 &&
	    strlen(h) == 64 && strspn(h, "0123456789abcdefABCDEF") == 64;
}

size_t
af_count_tokens(const struct af_entries *e, size_t idlen)
{
	size_t n = 0;

	for (size_t i = 0; i < e->n; i++)
		n += af_is_token(e->entry[i], idlen);
	return n;
}
