/* SPDX-License-Identifier: BSD-2-Clause */
/* piv_ocsp.c - OCSP for PIV certificates: request, transport, answer, cache */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "mapping.h"
#include "modhex.h"
#include "mono.h"
#include "piv_ocsp.h"
#include "piv_p11_job.h"

#define URL_MAX		1024
#define HEAD_MAX	8192	/* the HTTP status line and headers */

/* ---- the transport: one HTTP/1.0 POST over plain TCP ---------------------- */

struct fetch {
	/* in */
	char		host[256], port[8], path[URL_MAX];
	unsigned char	*req;
	size_t		reqlen;
	long long	deadline;
	/* out */
	enum piv_ocsp_status st;	/* PIV_OCSP_NONE: buf holds an answer */
	char		why[160];
	unsigned char	*buf;		/* headers and body */
	size_t		len;		/* bytes read */
};

static void
fetch_free(void *p)
{
	struct fetch *f = p;

	if (f == NULL)
		return;
	OPENSSL_free(f->req);
	free(f->buf);
	free(f);
}

/*
 * http://host[:port][/path], host a name, an IPv4 address or [IPv6];
 * no user, query or fragment.  0, or -1 with why.
 */
static int
url_split(const char *url, struct fetch *f, const char **why)
{
	const char *h = url + 7, *e, *p;
	size_t hl;

	*why = "not an http:// URL without user, query or fragment";
	if (strncmp(url, "http://", 7) != 0 || strlen(url) >= URL_MAX ||
	    strpbrk(url, "@?# \t\r\n") != NULL)
		return -1;
	if (*h == '[') {
		if ((e = strchr(h, ']')) == NULL)
			return -1;
		h++;
		hl = (size_t)(e - h);
		p = e + 1;
		if (*p != '\0' && *p != ':' && *p != '/')
			return -1;
	} else {
		hl = strcspn(h, ":/");
		p = h + hl;
	}
	if (hl == 0 || hl >= sizeof(f->host))
		return -1;
	for (size_t i = 0; i < hl; i++)
		if (!(h[i] == '.' || h[i] == '-' || h[i] == ':' ||
		    (h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'z') ||
		    (h[i] >= 'A' && h[i] <= 'Z')))
			return -1;
	memcpy(f->host, h, hl);
	f->host[hl] = '\0';
	snprintf(f->port, sizeof(f->port), "80");
	if (*p == ':') {
		size_t pl = strspn(p + 1, "0123456789");
		long n;

		if (pl == 0 || pl > 5 || (p[1 + pl] != '\0' && p[1 + pl] != '/'))
			return -1;
		n = strtol(p + 1, NULL, 10);
		if (n < 1 || n > 65535)
			return -1;
		snprintf(f->port, sizeof(f->port), "%ld", n);
		p += 1 + pl;
	}
	snprintf(f->path, sizeof(f->path), "%s", *p == '/' ? p : "/");
	*why = NULL;
	return 0;
}

/*
 * A variable that would steer name resolution (glibc drops them for
 * setuid programs only): its name, or NULL.
 */
static const char *
resolver_steered(void)
{
	static const char *const vars[] = { "HOSTALIASES", "LOCALDOMAIN",
	    "RES_OPTIONS", "RESOLV_HOST_CONF", NULL };

	for (int i = 0; vars[i] != NULL; i++)
		if (getenv(vars[i]) != NULL)
			return vars[i];
	return NULL;
}

/* Wait for ev on fd until the deadline: 1, 0 (time is up) or -1. */
static int
wait_fd(int fd, short ev, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = ev };
	long long left;
	int n;

	for (;;) {
		if ((left = deadline - mono_ms()) <= 0)
			return 0;
		n = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* A connected non-blocking socket to one of ai, or -1 with f->why. */
static int
dial(struct fetch *f, const struct addrinfo *ai)
{
	int fd = -1, err = ECONNREFUSED, w;
	socklen_t el = sizeof(err);

	for (; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			return fd;
		if (errno != EINPROGRESS) {
			err = errno;
		} else if ((w = wait_fd(fd, POLLOUT, f->deadline)) == 0) {
			close(fd);
			snprintf(f->why, sizeof(f->why), "no connection to "
			    "%.80s within the login's timeout", f->host);
			return -1;
		} else if (w > 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
		    &el) == 0 && err == 0)
			return fd;
		close(fd);
	}
	snprintf(f->why, sizeof(f->why), "cannot connect to %.80s port %s: %s",
	    f->host, f->port, strerror(err));
	return -1;
}

/* Send all of buf before the deadline: 0, or -1 with f->why. */
static int
send_all(struct fetch *f, int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	ssize_t n;

	while (len > 0) {
		if ((n = send(fd, p, len, MSG_NOSIGNAL)) > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			if (wait_fd(fd, POLLOUT, f->deadline) <= 0) {
				snprintf(f->why, sizeof(f->why), "the "
				    "responder took no request within the "
				    "login's timeout");
				return -1;
			}
		} else {
			snprintf(f->why, sizeof(f->why), "sending the "
			    "request: %s", strerror(errno));
			return -1;
		}
	}
	return 0;
}

bool
piv_ocsp_http_done(const unsigned char *buf, size_t len)
{
	const unsigned char *end, *cl;
	size_t want = 0, digits = 0;

	if ((end = memmem(buf, len, "\r\n\r\n", 4)) == NULL)
		return false;
	for (cl = buf; (cl = memmem(cl, (size_t)(end - cl), "\r\n", 2)) != NULL &&
	    cl < end; cl += 2)
		if ((size_t)(end - cl) >= 17 &&
		    strncasecmp((const char *)cl + 2, "content-length:", 15) == 0)
			break;
	if (cl == NULL || cl >= end)
		return false;
	/* Digits on that line only, bounded: never a sign, never the body's. */
	for (cl += 17; cl < end && (*cl == ' ' || *cl == '\t'); cl++)
		;
	for (; cl < end && *cl >= '0' && *cl <= '9' && want <= PIV_OCSP_RESP_MAX;
	    cl++, digits++)
		want = want * 10 + (size_t)(*cl - '0');
	return digits > 0 && want <= PIV_OCSP_RESP_MAX &&
	    len - (size_t)(end + 4 - buf) >= want;
}

/* The answer up to the end of the connection, bounded: 0, or -1. */
static int
recv_all(struct fetch *f, int fd)
{
	const size_t cap = HEAD_MAX + PIV_OCSP_RESP_MAX;
	ssize_t n;

	if ((f->buf = malloc(cap + 1)) == NULL) {
		snprintf(f->why, sizeof(f->why), "out of memory");
		f->st = PIV_OCSP_BAD;
		return -1;
	}
	for (;;) {
		if (wait_fd(fd, POLLIN, f->deadline) <= 0) {
			snprintf(f->why, sizeof(f->why), "no answer from the "
			    "responder within the login's timeout");
			return -1;
		}
		n = recv(fd, f->buf + f->len, cap + 1 - f->len, 0);
		if (n == 0)
			return 0;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0) {
			snprintf(f->why, sizeof(f->why), "reading the answer: "
			    "%s", strerror(errno));
			return -1;
		}
		f->len += (size_t)n;
		f->buf[f->len] = '\0';
		if (f->len <= cap && piv_ocsp_http_done(f->buf, f->len))
			return 0;
		if (f->len > cap) {
			snprintf(f->why, sizeof(f->why), "the answer is larger "
			    "than %d bytes", PIV_OCSP_RESP_MAX);
			f->st = PIV_OCSP_BAD;
			return -1;
		}
	}
}

/* HTTP 200 with a body: *body where it starts, 0; or -1 with why. */
static int
http_parse(const unsigned char *buf, size_t len, size_t *body, char *why,
    size_t wlen)
{
	const unsigned char *end;

	if (len < 12 || (memcmp(buf, "HTTP/1.0 ", 9) != 0 &&
	    memcmp(buf, "HTTP/1.1 ", 9) != 0)) {
		snprintf(why, wlen, "the answer is not HTTP");
		return -1;
	}
	if (memcmp(buf + 9, "200", 3) != 0) {
		snprintf(why, wlen, "the responder answers HTTP %.3s",
		    (const char *)buf + 9);
		return -1;
	}
	end = memmem(buf, len, "\r\n\r\n", 4);
	if (end == NULL || end - buf > HEAD_MAX) {
		snprintf(why, wlen, "the answer's HTTP header does not end");
		return -1;
	}
	*body = (size_t)(end + 4 - buf);
	if (len - *body > PIV_OCSP_RESP_MAX) {
		snprintf(why, wlen, "the answer is larger than %d bytes",
		    PIV_OCSP_RESP_MAX);
		return -1;
	}
	return 0;
}

/* The worker: resolve, connect, send, read; under f->deadline. */
static void
fetch_run(void *p)
{
	struct fetch *f = p;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_NUMERICSERV }, *ai = NULL;
	char head[URL_MAX + 512];
	int fd = -1, rc, n;
	bool v6;

	f->st = PIV_OCSP_UNREACHABLE;
	if ((rc = getaddrinfo(f->host, f->port, &hints, &ai)) != 0) {
		snprintf(f->why, sizeof(f->why), "cannot resolve %.80s: %s",
		    f->host, gai_strerror(rc));
		return;
	}
	if ((fd = dial(f, ai)) < 0)
		goto out;
	v6 = strchr(f->host, ':') != NULL;
	n = snprintf(head, sizeof(head), "POST %s HTTP/1.0\r\nHost: %s%s%s\r\n"
	    "Content-Type: application/ocsp-request\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n", f->path, v6 ? "[" : "", f->host,
	    v6 ? "]" : "", f->reqlen);
	if (n < 0 || (size_t)n >= sizeof(head) ||
	    send_all(f, fd, head, (size_t)n) != 0 ||
	    send_all(f, fd, f->req, f->reqlen) != 0 || recv_all(f, fd) != 0)
		goto out;
	/* An answer came: piv_ocsp_answer judges it. */
	f->st = PIV_OCSP_NONE;
out:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
}

/* ---- judging an answer ------------------------------------------------------ */

static const char *
ossl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *s = e != 0 ? ERR_reason_error_string(e) : NULL;

	return s != NULL ? s : "no reason given";
}

/*
 * What resp says about id, trusted only as far as it verifies: req (the
 * request, NULL for a cached answer) for the nonce; *nextupd (when not
 * NULL) the answer's nextUpdate as seconds from now, or -1 without one.
 */
static enum piv_ocsp_status
judge(const struct cfg *cfg, X509_STORE *store, X509 *issuer,
    OCSP_RESPONSE *resp, OCSP_CERTID *id, OCSP_REQUEST *req,
    long long *nextupd, char *why, size_t len)
{
	ASN1_GENERALIZEDTIME *thisupd = NULL, *next = NULL, *rev = NULL;
	STACK_OF(X509) *certs = NULL;
	OCSP_BASICRESP *bs = NULL;
	enum piv_ocsp_status st = PIV_OCSP_BAD;
	int rs, status = -1, reason = -1, day = 0, sec = 0;

	ERR_clear_error();
	if ((rs = OCSP_response_status(resp)) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		snprintf(why, len, "the responder says %s",
		    OCSP_response_status_str(rs));
		goto out;
	}
	if ((bs = OCSP_response_get1_basic(resp)) == NULL) {
		snprintf(why, len, "the answer is not a basic OCSP response");
		goto out;
	}
	if (req != NULL && OCSP_check_nonce(req, bs) != 1) {
		snprintf(why, len, "the answer does not carry the request's "
		    "nonce (a replay?)");
		goto out;
	}
	/* The issuer, or a responder it issued with OCSPSigning (checked by
	   OpenSSL's ocsp_check_issuer); never an explicitly trusted root. */
	if ((certs = sk_X509_new_null()) == NULL || !sk_X509_push(certs, issuer) ||
	    OCSP_basic_verify(bs, certs, store, OCSP_NOEXPLICIT) != 1) {
		snprintf(why, len, "the answer's signature does not verify: "
		    "%s (signed neither by the issuer nor by a responder "
		    "certificate of the issuer with OCSPSigning)", ossl_reason());
		goto out;
	}
	if (OCSP_resp_find_status(bs, id, &status, &reason, &rev, &thisupd,
	    &next) != 1) {
		snprintf(why, len, "the answer is not about this certificate");
		goto out;
	}
	if (OCSP_check_validity(thisupd, next, PIV_OCSP_SKEW_S,
	    cfg->piv_ocsp_max_age > 0 ? (long)cfg->piv_ocsp_max_age : -1) != 1) {
		snprintf(why, len, "the answer is stale (%s%s)", ossl_reason(),
		    cfg->piv_ocsp_max_age > 0 ? ", see piv_ocsp_max_age" : "");
		goto out;
	}
	if (nextupd != NULL) {
		*nextupd = -1;
		if (next != NULL && ASN1_TIME_diff(&day, &sec, NULL, next) == 1)
			*nextupd = (long long)day * 86400 + sec;
	}
	switch (status) {
	case V_OCSP_CERTSTATUS_GOOD:
		st = PIV_OCSP_GOOD;
		snprintf(why, len, "the responder says good");
		break;
	case V_OCSP_CERTSTATUS_REVOKED:
		st = PIV_OCSP_REVOKED;
		snprintf(why, len, "the certificate is revoked (%s)",
		    reason >= 0 ? OCSP_crl_reason_str(reason) : "no reason");
		break;
	default:
		st = PIV_OCSP_UNKNOWN;
		snprintf(why, len, "the responder does not know the "
		    "certificate (status unknown)");
		break;
	}
out:
	ERR_clear_error();
	sk_X509_free(certs);
	OCSP_BASICRESP_free(bs);
	return st;
}

enum piv_ocsp_status
piv_ocsp_answer(const struct piv_ocsp_ask *q, const unsigned char *buf,
    size_t len, bool http, OCSP_RESPONSE **out, long long *nextupd,
    char *why, size_t wlen)
{
	OCSP_RESPONSE *resp = NULL;
	enum piv_ocsp_status st = PIV_OCSP_BAD;
	const unsigned char *p;
	size_t body = 0;

	if (out != NULL)
		*out = NULL;
	if (nextupd != NULL)
		*nextupd = -1;
	if (http && http_parse(buf, len, &body, why, wlen) != 0)
		goto out;
	p = buf + body;
	if (len - body == 0 || len - body > PIV_OCSP_RESP_MAX ||
	    (resp = d2i_OCSP_RESPONSE(NULL, &p, (long)(len - body))) == NULL ||
	    p != buf + len) {
		snprintf(why, wlen, "the answer is not an OCSP response");
		goto out;
	}
	st = judge(q->cfg, q->store, q->issuer, resp, q->id, q->req, nextupd,
	    why, wlen);
	if (out != NULL && st != PIV_OCSP_BAD) {
		*out = resp;
		resp = NULL;
	}
out:
	ERR_clear_error();
	OCSP_RESPONSE_free(resp);
	return st;
}

/* ---- the cache ------------------------------------------------------------- */

/*
 * piv_ocsp_cache= opened: a directory of root's, not writable by group or
 * others.  The descriptor; -2 when this process may not search it (a
 * screen locker running as the user: no cache); or -1 with why.
 */
static int
cache_open(const char *dir, char *why, size_t len)
{
	struct stat sb;
	const char *r = NULL;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == EACCES && geteuid() != 0)
		return -2;
	if (fd < 0) {
		snprintf(why, len, "piv_ocsp_cache=%.200s %s", dir,
		    errno == ENOENT ? "does not exist" : "is not a directory "
		    "(or is a symbolic link, or cannot be opened)");
		return -1;
	}
	if (fstat(fd, &sb) != 0 || (r = af_stat_unsafe(&sb, 0, true, 0)) != NULL) {
		snprintf(why, len, "piv_ocsp_cache=%.200s %s (it must be "
		    "root's, not writable by group or others)", dir,
		    r != NULL ? r : "cannot be examined");
		close(fd);
		return -1;
	}
	return fd;
}

/* The entry's name: SHA-256 of the CertID (issuer name and key, serial). */
static int
cache_name(OCSP_CERTID *id, char name[70])
{
	unsigned char *der = NULL, md[32];
	unsigned int mdlen = 0;
	int n = i2d_OCSP_CERTID(id, &der), ok;

	ok = n > 0 && EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(),
	    NULL) == 1 && mdlen == 32;
	OPENSSL_free(der);
	if (!ok)
		return -1;
	hex_encode(md, 32, name);
	memcpy(name + 64, ".der", 5);
	return 0;
}

/* The cached answer for name, still before its nextUpdate, or NONE. */
static enum piv_ocsp_status
cache_read(const struct piv_ocsp_ask *q, int dfd, const char *name,
    char *why, size_t len)
{
	unsigned char *buf = NULL;
	enum piv_ocsp_status st;
	const char *r = NULL;
	long long next = -1;
	FILE *f = NULL;
	size_t n;

	if (af_open_at(dfd, name, 0, PIV_OCSP_RESP_MAX, false, &f, &r) !=
	    AF_OPEN_OK)
		return PIV_OCSP_NONE;
	if ((buf = malloc(PIV_OCSP_RESP_MAX)) == NULL) {
		fclose(f);
		return PIV_OCSP_NONE;
	}
	n = fread(buf, 1, PIV_OCSP_RESP_MAX, f);
	fclose(f);
	st = piv_ocsp_answer(q, buf, n, false, NULL, &next, why, len);
	/* Corrupt, stale, unverifiable or without nextUpdate: not used. */
	if ((st != PIV_OCSP_GOOD && st != PIV_OCSP_REVOKED) || next < 0)
		st = PIV_OCSP_NONE;
	free(buf);
	return st;
}

/*
 * Keep the answer (DER) as name: written to an unnamed file (O_TMPFILE:
 * a signal or a file size limit leaves nothing behind), synced, linked
 * under a temporary name and renamed over name.  Best effort.
 */
static void
cache_write(int dfd, const char *name, const unsigned char *der, size_t len)
{
	unsigned char rnd[8];
	char tmp[32], proc[64];
	sigset_t all, old;
	int fd = openat(dfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
	bool ok;

	if (fd < 0)
		return;
	ok = write(fd, der, len) == (ssize_t)len && fchown(fd, 0, 0) == 0 &&
	    fsync(fd) == 0 && RAND_bytes(rnd, sizeof(rnd)) == 1;
	if (ok) {
		memcpy(tmp, ".tmp-", 5);
		hex_encode(rnd, sizeof(rnd), tmp + 5);
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		if (linkat(AT_FDCWD, proc, dfd, tmp, AT_SYMLINK_FOLLOW) == 0 &&
		    renameat(dfd, tmp, dfd, name) != 0)
			(void)unlinkat(dfd, tmp, 0);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		(void)fsync(dfd);
	}
	close(fd);
}

/* ---- the check ---------------------------------------------------------------- */

bool
piv_ocsp_allows(enum piv_ocsp_mode mode, enum piv_ocsp_status st)
{
	switch (mode) {
	case PIV_OCSP_OFF:
		return true;
	case PIV_OCSP_TRY:
		return st == PIV_OCSP_GOOD || st == PIV_OCSP_UNREACHABLE;
	case PIV_OCSP_REQUIRE:
		return st == PIV_OCSP_GOOD;
	}
	return false;
}

const char *
piv_ocsp_status_name(enum piv_ocsp_status st)
{
	switch (st) {
	case PIV_OCSP_NONE:		return "not checked";
	case PIV_OCSP_GOOD:		return "good";
	case PIV_OCSP_REVOKED:		return "revoked";
	case PIV_OCSP_UNKNOWN:		return "unknown";
	case PIV_OCSP_UNREACHABLE:	return "responder unreachable";
	case PIV_OCSP_BAD:		return "no trustworthy answer";
	}
	return "?";
}

/* x's issuer (from the chain that verifies in store), a new reference. */
static X509 *
issuer_of(X509_STORE *store, X509 *x)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *chain;
	X509 *i = NULL;

	if (ctx != NULL && X509_STORE_CTX_init(ctx, store, x, NULL) == 1 &&
	    X509_verify_cert(ctx) == 1 &&
	    (chain = X509_STORE_CTX_get0_chain(ctx)) != NULL &&
	    sk_X509_num(chain) >= 2 && X509_up_ref(sk_X509_value(chain, 1)) == 1)
		i = sk_X509_value(chain, 1);
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return i;
}

/* The responder's URL: piv_ocsp_url=, else the first AIA OCSP URL. */
static const char *
responder_url(const struct cfg *cfg, X509 *x, STACK_OF(OPENSSL_STRING) **aia)
{
	if (cfg->piv_ocsp_url != NULL)
		return cfg->piv_ocsp_url;
	*aia = X509_get1_ocsp(x);
	return *aia != NULL && sk_OPENSSL_STRING_num(*aia) > 0 ?
	    sk_OPENSSL_STRING_value(*aia, 0) : NULL;
}

/*
 * Ask the responder (on a worker, under the deadline): the bytes of its
 * answer as received (*len of them, to be freed), or NULL.
 */
static unsigned char *
ask(const char *url, OCSP_REQUEST *req, long long deadline, size_t *len,
    struct piv_ocsp_res *res)
{
	struct fetch *f = calloc(1, sizeof(*f));
	struct p11_job *job = NULL;
	unsigned char *ans = NULL;
	const char *why = NULL, *env;
	int n;

	res->st = PIV_OCSP_BAD;
	if (f == NULL || (n = i2d_OCSP_REQUEST(req, &f->req)) <= 0) {
		snprintf(res->why, sizeof(res->why), "out of memory");
		goto out;
	}
	f->reqlen = (size_t)n;
	f->deadline = deadline;
	if (url_split(url, f, &why) != 0) {
		snprintf(res->why, sizeof(res->why), "the responder URL "
		    "%.100s is %s", url, why);
		goto out;
	}
	if (strspn(f->host, "0123456789.:") != strlen(f->host) &&
	    (env = resolver_steered()) != NULL) {
		snprintf(res->why, sizeof(res->why), "the environment sets %s, "
		    "which would steer the resolution of %.80s: refused", env,
		    f->host);
		goto out;
	}
	if ((job = p11_job_new(f, fetch_free)) == NULL) {
		snprintf(res->why, sizeof(res->why), "out of memory");
		goto out;
	}
	/* The worker keeps the deadline itself; the grace covers a late
	   wake-up, so that only a stuck getaddrinfo is abandoned. */
	switch (p11_job_run(job, fetch_run, deadline + 500)) {
	case P11_JOB_DONE:
		break;
	case P11_JOB_NOSTART:
		snprintf(res->why, sizeof(res->why), "cannot start a thread");
		goto out;
	default:
		f = NULL;	/* the worker's now */
		res->st = PIV_OCSP_UNREACHABLE;
		snprintf(res->why, sizeof(res->why), "no answer from the "
		    "responder within the login's timeout (name resolution "
		    "left hanging)");
		goto out;
	}
	if (f->st != PIV_OCSP_NONE) {
		res->st = f->st;
		snprintf(res->why, sizeof(res->why), "%s", f->why);
		goto out;
	}
	ans = f->buf;
	*len = f->len;
	f->buf = NULL;
out:
	ERR_clear_error();
	if (job != NULL)
		p11_job_put(job);	/* frees f unless a worker still has it */
	else
		fetch_free(f);
	return ans;
}

/* The status of q->id from the responder; kept in the cache if dfd. */
static void
live(const struct piv_ocsp_ask *q, X509 *x, int dfd, const char *name,
    long long deadline, struct piv_ocsp_res *res)
{
	STACK_OF(OPENSSL_STRING) *aia = NULL;
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	OCSP_CERTID *rid = OCSP_CERTID_dup(q->id);
	OCSP_RESPONSE *resp = NULL;
	struct piv_ocsp_ask lq = *q;
	const char *url = responder_url(q->cfg, x, &aia);
	unsigned char *der = NULL, *ans = NULL;
	long long next = -1;
	size_t alen = 0;
	int n;

	res->st = PIV_OCSP_BAD;
	if (url == NULL) {
		snprintf(res->why, sizeof(res->why), "the certificate names no "
		    "OCSP responder (AIA) and piv_ocsp_url= is not set");
		goto out;
	}
	if (req == NULL || rid == NULL || OCSP_request_add0_id(req, rid) == NULL) {
		snprintf(res->why, sizeof(res->why), "out of memory");
		goto out;
	}
	rid = NULL;
	if (OCSP_request_add1_nonce(req, NULL, -1) != 1) {
		snprintf(res->why, sizeof(res->why), "cannot make a nonce");
		goto out;
	}
	if ((ans = ask(url, req, deadline, &alen, res)) == NULL)
		goto out;
	lq.req = req;
	res->st = piv_ocsp_answer(&lq, ans, alen, true, &resp, &next,
	    res->why, sizeof(res->why));
	if (dfd >= 0 && name[0] != '\0' && next > 0 && (res->st == PIV_OCSP_GOOD ||
	    res->st == PIV_OCSP_REVOKED) &&
	    (n = i2d_OCSP_RESPONSE(resp, &der)) > 0 && n <= PIV_OCSP_RESP_MAX)
		cache_write(dfd, name, der, (size_t)n);
out:
	free(ans);
	OPENSSL_free(der);
	OCSP_RESPONSE_free(resp);
	OCSP_CERTID_free(rid);
	OCSP_REQUEST_free(req);
	X509_email_free(aia);
}

enum yk_result
piv_ocsp_check(const struct cfg *cfg, X509_STORE *store, X509 *x,
    long long deadline, bool keep, struct piv_ocsp_res *res)
{
	char name[70], why[PIV_WHY_MAX];
	struct piv_ocsp_ask q = { .cfg = cfg, .store = store };
	OCSP_CERTID *id = NULL;
	X509 *issuer = NULL;
	enum yk_result r = YK_REJECTED;
	int dfd = -1;

	memset(res, 0, sizeof(*res));
	res->st = PIV_OCSP_BAD;
	snprintf(res->why, sizeof(res->why), "out of memory");
	name[0] = '\0';
	if (cfg->piv_ocsp_cache != NULL &&
	    (dfd = cache_open(cfg->piv_ocsp_cache, res->why,
	    sizeof(res->why))) == -1) {
		r = YK_CONFIG;
		goto out;
	}
	if ((issuer = issuer_of(store, x)) == NULL) {
		snprintf(res->why, sizeof(res->why), "the certificate's issuer "
		    "is not known");
		goto out;
	}
	if ((id = OCSP_cert_to_id(NULL, x, issuer)) == NULL)
		goto out;
	q.issuer = issuer;
	q.id = id;
	if (dfd >= 0 && cache_name(id, name) == 0 &&
	    (res->st = cache_read(&q, dfd, name, why, sizeof(why))) !=
	    PIV_OCSP_NONE) {
		res->cached = true;
		snprintf(res->why, sizeof(res->why), "%.300s (cached)", why);
	} else
		live(&q, x, keep ? dfd : -1, name, deadline, res);
	r = piv_ocsp_allows(cfg->piv_ocsp, res->st) ? YK_OK : YK_REJECTED;
out:
	if (dfd >= 0)
		close(dfd);
	OCSP_CERTID_free(id);
	X509_free(issuer);
	return r;
}
