/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_pamfile.c - read a PAM service file as libpam does (Linux-PAM's
 * pam_line.c and pam_handlers.c): '#' ends a line, a final '\' joins the
 * next one, fields are split on blanks, "[...]" is one field with "\]"
 * for a ']', and include, substack and @include pull in other files.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "check.h"
#include "mono.h"
#include "spawn.h"

#define DPKG_STATUS	"/var/lib/dpkg/status"
#define PAM_STOCK_DIR	"/etc/pam.d"
#define APT_ARCHIVES	"/var/cache/apt/archives"
#define DPKG_DEB	"/usr/bin/dpkg-deb"
#define TAR		"/bin/tar"

#define MAX_DEPTH	8
#define MAX_FILES	64	/* a file that includes itself twice: 2^8 */
#define MAX_LINES	1024
#define MAX_FIELDS	256

void
pam_args_free(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

void
pam_lines_free(struct pam_lines *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct pam_line *p = &l->line[i];

		free(p->file);
		free(p->type);
		free(p->control);
		free(p->module);
		pam_args_free(p->argc, p->argv);
	}
	free(l->line);
	memset(l, 0, sizeof(*l));
}

/*
 * The next field of *s, as a new string, or NULL at the end (*oom set
 * when out of memory).  A field in brackets loses them; keep_brackets
 * puts them back (for the control field, to show it as written).
 */
static char *
next_field(const char **s, bool keep_brackets, bool *oom)
{
	const char *p = *s + strspn(*s, " \t\n"), *end;
	bool bracket = *p == '[';
	char *out, *w;

	*oom = false;
	if (*p == '\0') {
		*s = p;
		return NULL;
	}
	if (bracket) {
		for (end = ++p; *end != '\0'; end++)
			if (*end == ']' && end[-1] != '\\')
				break;
	} else
		end = p + strcspn(p, " \t\n");
	if ((out = w = malloc((size_t)(end - p) + 3)) == NULL) {
		*oom = true;
		return NULL;
	}
	if (bracket && keep_brackets)
		*w++ = '[';
	for (const char *q = p; q < end; q++)
		if (!(bracket && *q == '\\' && q + 1 < end && q[1] == ']'))
			*w++ = *q;
	if (bracket && keep_brackets)
		*w++ = ']';
	*w = '\0';
	*s = bracket && *end == ']' ? end + 1 : end;
	return out;
}

int
pamfile_split_args(const char *s, int *argc, char ***argv)
{
	char **v = calloc(MAX_FIELDS, sizeof(*v)), *f;
	int n = 0;
	bool oom = false;

	*argc = 0;
	*argv = NULL;
	if (v == NULL)
		return -1;
	while (n < MAX_FIELDS && (f = next_field(&s, false, &oom)) != NULL)
		v[n++] = f;
	if (oom || n == MAX_FIELDS) {
		pam_args_free(n, v);
		return -1;
	}
	*argc = n;
	*argv = v;
	return 0;
}

/*
 * The next logical line of f into *buf (malloc'd, grown as needed), and
 * the number of its first physical line; 0 at the end, -1 on error.
 */
static int
logical_line(FILE *f, char **buf, size_t *cap, unsigned *lineno,
    unsigned *first)
{
	char *phys = NULL;
	size_t pcap = 0, len = 0;
	ssize_t n;
	int r = 0;

	if (*buf == NULL && (*buf = calloc(1, *cap = 256)) == NULL)
		return -1;
	(*buf)[0] = '\0';
	while ((n = getline(&phys, &pcap, f)) != -1) {
		char *p = phys + n, *start;
		bool more = false;
		size_t add;

		if (len == 0)
			*first = *lineno + 1;
		++*lineno;
		while (p > phys && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n'))
			p--;
		if (p > phys && p[-1] == '\\') {
			p[-1] = ' ';	/* libpam replaces the '\' by a blank */
			*p = '\0';
			more = strchr(phys, '#') == NULL;
		}
		start = phys + strspn(phys, " \t");
		start[strcspn(start, "#\n")] = '\0';
		add = strlen(start);
		if (len + add + 1 > *cap) {
			char *nb = realloc(*buf, len + add + 1);

			if (nb == NULL) {
				r = -1;
				break;
			}
			*buf = nb;
			*cap = len + add + 1;
		}
		memcpy(*buf + len, start, add + 1);
		len += add;
		if (!more && strspn(*buf, " \t") != len) {
			r = 1;
			break;
		}
		if (!more)
			len = 0;
	}
	if (r == 0 && ferror(f))
		r = -1;
	free(phys);
	return r;
}

static int read_file(const char *path, int depth, struct pam_lines *out,
    char *err, size_t errlen);

/* "FILE:LINE: what", kept for the report (the first few). */
static void
problem(struct pam_lines *out, const char *file, unsigned lineno,
    const char *what, const char *name)
{
	if (out->nproblems < sizeof(out->problems) / sizeof(out->problems[0]))
		snprintf(out->problems[out->nproblems++], sizeof(out->problems[0]),
		    "%s:%u: %s%s%s", file, lineno, name ? name : "",
		    name ? ": " : "", what);
}

/* An included file: NAME next to the including file, or an absolute path. */
static void
include(const char *from, unsigned lineno, const char *name, int depth,
    struct pam_lines *out)
{
	char path[4096], err[300];
	const char *slash = strrchr(from, '/');

	if (name[0] == '/' || slash == NULL)
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - from),
		    from, name);
	if (depth >= MAX_DEPTH) {
		problem(out, from, lineno, "includes nested too deeply", name);
		return;
	}
	if (out->nfiles >= MAX_FILES) {
		problem(out, from, lineno, "more than 64 files included", name);
		return;
	}
	if (read_file(path, depth + 1, out, err, sizeof(err)) != 0)
		problem(out, from, lineno, err, NULL);
}

static int
add_line(struct pam_lines *out, const char *file, unsigned lineno,
    char *type, char *control, char *module, const char *rest)
{
	struct pam_line *l;

	if (out->n == MAX_LINES)
		return -1;
	if (out->n % 16 == 0) {
		l = realloc(out->line, (out->n + 16) * sizeof(*l));
		if (l == NULL)
			return -1;
		out->line = l;
	}
	l = &out->line[out->n];
	memset(l, 0, sizeof(*l));
	l->lineno = lineno;
	l->type = type;
	l->control = control;
	l->module = module;
	if ((l->file = strdup(file)) == NULL ||
	    pamfile_split_args(rest, &l->argc, &l->argv) != 0) {
		free(l->file);
		return -1;
	}
	out->n++;
	return 0;
}

/* One logical line: an auth line is kept, includes are followed. */
static int
one_line(const char *path, unsigned lineno, const char *text, int depth,
    struct pam_lines *out)
{
	const char *s = text;
	char *type = NULL, *control = NULL, *module = NULL;
	const char *t;
	bool oom = false;
	int r = 0;

	if ((type = next_field(&s, false, &oom)) == NULL)
		return oom ? -1 : 0;
	if (strcasecmp(type, "@include") == 0) {
		if ((module = next_field(&s, false, &oom)) != NULL)
			include(path, lineno, module, depth, out);
		goto out;
	}
	t = type[0] == '-' ? type + 1 : type;
	if (strcasecmp(t, out->type) != 0)
		goto out;
	if ((control = next_field(&s, true, &oom)) == NULL ||
	    (module = next_field(&s, false, &oom)) == NULL) {
		if (!oom)
			problem(out, path, lineno, "a line without a "
			    "control or module field", NULL);
		goto out;
	}
	if (strcasecmp(control, "include") == 0 ||
	    strcasecmp(control, "substack") == 0) {
		include(path, lineno, module, depth, out);
		goto out;
	}
	if (add_line(out, path, lineno, type, control, module, s) != 0) {
		r = -1;
		goto out;
	}
	return 0;
out:
	free(type);
	free(control);
	free(module);
	return oom ? -1 : r;
}

static int
read_file(const char *path, int depth, struct pam_lines *out, char *err,
    size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0;
	unsigned lineno = 0, first = 0;
	const char *why = "read error";
	int r;

	if (f == NULL) {
		snprintf(err, errlen, "cannot read %s: %s", path,
		    strerror(errno));
		return -1;
	}
	out->nfiles++;
	while ((r = logical_line(f, &buf, &cap, &lineno, &first)) == 1) {
		if (one_line(path, first, buf, depth, out) != 0) {
			why = "more than 1024 auth lines, or out of memory";
			r = -1;
			break;
		}
	}
	free(buf);
	fclose(f);
	if (r < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, why);
		return -1;
	}
	return 0;
}

int
pamfile_read_type(const char *path, const char *type, struct pam_lines *out,
    char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	out->type = type;
	if (read_file(path, 0, out, err, errlen) != 0) {
		pam_lines_free(out);
		return -1;
	}
	return 0;
}

int
pamfile_read(const char *path, struct pam_lines *out, char *err,
    size_t errlen)
{
	return pamfile_read_type(path, "auth", out, err, errlen);
}

/* ---- the distribution's stock file ---------------------------------------- */

static bool
uses_module(const struct pam_lines *l, const char *module)
{
	for (size_t i = 0; i < l->n; i++) {
		const char *b = strrchr(l->line[i].module, '/');

		if (strcmp(b ? b + 1 : l->line[i].module, module) == 0)
			return true;
	}
	return false;
}

int
pamfile_uses(const char *path, const char *module, char *err, size_t errlen)
{
	static const char *const types[] = { "auth", "account" };
	struct pam_lines l;
	bool found = false;

	for (size_t i = 0; i < 2 && !found; i++) {
		if (pamfile_read_type(path, types[i], &l, err, errlen) != 0)
			return -1;
		found = uses_module(&l, module);
		pam_lines_free(&l);
	}
	return found;
}

/*
 * From dpkg's status file: the installed package that ships conffile
 * path, and the md5 it recorded for it.  0, or -1 when none does.
 */
static int
dpkg_conffile(const char *path, char *pkg, size_t pkglen, char *version,
    size_t versionlen, char *md5, size_t md5len)
{
	FILE *f = fopen(DPKG_STATUS, "re");
	char *line = NULL, cur[128] = "", ver[128] = "";
	size_t cap = 0, plen = strlen(path);
	bool installed = false, conffiles = false;
	int r = -1;

	if (f == NULL)
		return -1;
	version[0] = '\0';
	while (getline(&line, &cap, f) != -1) {
		if (r == 0 && line[0] == '\n')
			break;		/* the end of the package's paragraph */
		line[strcspn(line, "\n")] = '\0';
		if (line[0] != ' ')
			conffiles = false;
		if (line[0] == '\0') {
			cur[0] = ver[0] = '\0';
			installed = false;
		} else if (strncmp(line, "Package: ", 9) == 0)
			snprintf(cur, sizeof(cur), "%s", line + 9);
		else if (strncmp(line, "Version: ", 9) == 0)
			snprintf(ver, sizeof(ver), "%s", line + 9);
		else if (strncmp(line, "Status: ", 8) == 0)
			installed = strcmp(line + 8, "install ok installed") == 0;
		else if (strcmp(line, "Conffiles:") == 0)
			conffiles = true;
		else if (conffiles && installed && cur[0] != '\0' &&
		    strncmp(line + 1, path, plen) == 0 && line[1 + plen] == ' ' &&
		    strspn(line + 2 + plen, "0123456789abcdef") == 32 &&
		    line[2 + plen + 32] == '\0') {
			snprintf(pkg, pkglen, "%s", cur);
			snprintf(md5, md5len, "%.32s", line + 2 + plen);
			r = 0;
		}
		/* The conffile may come before Version: read on to the end. */
		if (r == 0 && ver[0] != '\0') {
			snprintf(version, versionlen, "%s", ver);
			break;
		}
	}
	free(line);
	fclose(f);
	return r;
}

/* The md5 of the file at path, in hex; 0 or -1. */
static int
file_md5(const char *path, char hex[33])
{
	unsigned char buf[8192], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	FILE *f = fopen(path, "re");
	size_t n;
	int r = -1;

	if (ctx == NULL || f == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1)
		goto out;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (EVP_DigestUpdate(ctx, buf, n) != 1)
			goto out;
	if (ferror(f) || EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 ||
	    mdlen != 16)
		goto out;
	for (unsigned i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	r = 0;
out:
	if (f != NULL)
		fclose(f);
	EVP_MD_CTX_free(ctx);
	return r;
}

/*
 * path (a conffile) out of pkg's .deb of version in apt's archive cache,
 * into fd: dpkg-deb --fsys-tarfile DEB | tar -xOf - .PATH, run as the
 * module runs its helpers (spawn.c: empty environment, a deadline of
 * 20 s).  0 or -1.
 */
static int
deb_extract(const char *pkg, const char *version, const char *path, int fd)
{
	char pattern[600], member[320], ver[200];
	struct child c[2] = { { .pid = -1 }, { .pid = -1 } };
	glob_t g = { .gl_pathc = 0 };
	int p[2] = { -1, -1 }, out = -1, st[2] = { 1, 1 }, r = -1;
	long long deadline = mono_ms() + 20000;
	size_t o = 0;

	for (const char *v = version; *v != '\0' && o + 4 < sizeof(ver); v++)
		o += (size_t)snprintf(ver + o, sizeof(ver) - o, *v == ':' ?
		    "%%3a" : "%c", *v);
	ver[o] = '\0';
	snprintf(pattern, sizeof(pattern), "%s/%s_%s_*.deb", APT_ARCHIVES,
	    pkg, ver);
	snprintf(member, sizeof(member), ".%s", path);
	if (o == 0 || strpbrk(pkg, "*?[/") != NULL ||
	    strpbrk(ver, "*?[/") != NULL ||
	    glob(pattern, GLOB_NOSORT, NULL, &g) != 0 || g.gl_pathc == 0)
		goto out;
	if (pipe2(p, O_CLOEXEC) != 0 || (p[0] = child_high_fd(p[0])) < 0 ||
	    (p[1] = child_high_fd(p[1])) < 0 || (out = child_high_fd(dup(fd))) < 0)
		goto out;
	{
		char *a0[] = { "dpkg-deb", "--fsys-tarfile", g.gl_pathv[0],
		    NULL };
		char *a1[] = { "tar", "-xOf", "-", member, NULL };

		if (child_start(&c[0], DPKG_DEB, a0, -1, p[1]) != 0 ||
		    child_start(&c[1], TAR, a1, p[0], out) != 0)
			goto out;
	}
	close(p[0]);
	close(p[1]);
	p[0] = p[1] = -1;
	r = 0;
out:
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0)
			close(p[i]);
	/* The last started first: each puts back the SIGCHLD it found. */
	if (child_reap(&c[1], deadline, &st[1]) != 0 || st[1] != 0)
		r = -1;
	if (child_reap(&c[0], deadline, &st[0]) != 0 || st[0] != 0)
		r = -1;
	if (out >= 0)
		close(out);
	globfree(&g);
	return r;
}

int
pamfile_stock_uses(const char *service, const char *module, char *stock,
    size_t stocklen, char *why, size_t whylen)
{
	char path[300], pkg[128], ver[128], want[33], got[33], err[300];
	char tmp[] = "/tmp/ykpamcfg-stock.XXXXXX";
	int r, fd = -1;

	snprintf(stock, stocklen, "%s/%s", PAM_STOCK_DIR, service);
	if (strchr(service, '/') != NULL || service[0] == '.' ||
	    strlen(service) > 100) {
		snprintf(why, whylen, "%s is not a service name", service);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", PAM_STOCK_DIR, service);
	if (dpkg_conffile(path, pkg, sizeof(pkg), ver, sizeof(ver), want,
	    sizeof(want)) != 0) {
		snprintf(why, whylen, "no installed package ships %s", path);
		return -1;
	}
	snprintf(stock, stocklen, "%s (%s)", path, pkg);
	if (file_md5(path, got) == 0 && strcmp(got, want) == 0) {
		if ((r = pamfile_uses(path, module, err, sizeof(err))) < 0)
			snprintf(why, whylen, "%s", err);
		return r;
	}
	/* Edited: the package's own copy, from apt's cache, if it is there. */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0 ||
	    deb_extract(pkg, ver, path, fd) != 0 ||
	    file_md5(tmp, got) != 0 || strcmp(got, want) != 0) {
		snprintf(why, whylen, "%s was changed since %s installed it, "
		    "and %s/%s_*.deb (apt-get download %s) is not there to "
		    "read the package's own", path, pkg, APT_ARCHIVES, pkg,
		    pkg);
		r = -1;
	} else {
		snprintf(stock, stocklen, "%s (%s %s, read from its .deb)",
		    path, pkg, ver);
		if ((r = pamfile_uses(tmp, module, err, sizeof(err))) < 0)
			snprintf(why, whylen, "%s", err);
	}
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	return r;
}
