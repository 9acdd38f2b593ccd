/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * load.c - benchmark load generator: signed, fresh OTPs over keep-alive
 * HTTP, closed-loop (as fast as replies come) or paced (open-loop).
 *
 *   load [-t CONNS] [-j THREADS] [-d SECONDS] [-w WARMUP] [-r RATE]
 *        [-b CTR] URL ID B64KEY KEYS.csv
 *
 * CONNS clients (default 32), each one plain TCP connection (HTTP/1.1
 * keep-alive, no TLS: URL is http://HOST[:PORT]/PATH with HOST an IPv4
 * address or [IPv6] address; several URLs, comma-separated: connection i
 * asks URL i modulo their number) with at most one request in flight.
 * Connection i owns the keys whose line index is i modulo CONNS, so each
 * key's OTPs arrive in order and every one should be accepted.
 *
 * Like pgbench -j, the connections are multiplexed on THREADS OS threads
 * (default 2, at most CONNS; connection i on thread i modulo THREADS),
 * each waiting on its connections with epoll: non-blocking sockets,
 * TCP_NODELAY, one send per request as a rule and a recv per segment of
 * the reply, and no context switch per request, so that the generator
 * leaves the machine's CPUs to the server it measures.  A reply that does
 * not come within 30 s of the request (connecting included), or that
 * cannot be read, is a TRANSPORT_ERROR; a kept-alive connection the
 * server closed before answering is opened again once.  The session
 * counter of a key starts at CTR (default 1); a second run on the same
 * database must start above the first one's.
 *
 * Without -r each connection sends its next request as soon as the last
 * reply arrives, and latency is measured from the send.  With -r RATE the
 * connections together send RATE requests per second on a fixed schedule
 * (each thread a timerfd that releases its connections' next requests),
 * and latency is measured from the scheduled time, so a stall that holds
 * back later requests is charged to them too (no coordinated omission).
 *
 * Replies that complete in the first WARMUP seconds (default 1) are not
 * counted; then SECONDS (default 5) are measured.  A reply counts as OK
 * only when its signature, echoed otp and nonce check out and its status
 * is OK; everything else is an error.  Prints one line,
 *
 *   ok=N errors=E seconds=S rate=R p50_ms=A p90_ms=B p99_ms=C max_ms=D
 *
 * and on stderr one "load: error STATUS count" line per kind of error.
 * Exits 1 when there was any error.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "modhex.h"
#include "otp.h"
#include "params.h"
#include "request.h"

#define MAX_CONNS	1000	/* fds: keep under the usual limit of 1024 */
#define MAX_THREADS	64
#define MAX_KEYS	4096
#define MAX_KINDS	8
#define MAX_URLS	8
#define MAX_EVENTS	64
#define TIMEOUT_S	30.0	/* per request, connecting included */

struct bench_key {
	char		public_id[YK_PUBID_MAX + 1];
	unsigned char	uid[YK_UID_LEN];
	unsigned char	aes[YK_AES_LEN];
	unsigned long	seq;		/* OTPs made so far */
};

struct error_kind {
	char		name[32];
	unsigned long	count;
};

/* Where one URL points: an address to connect to, Host: and the path. */
struct target {
	struct sockaddr_storage	addr;
	socklen_t		alen;
	char			host[300];	/* the URL's authority */
	char			path[512];
};

/* One keep-alive connection and what it has received and not used. */
struct conn {
	int		fd;		/* -1: closed */
	uint32_t	ev;		/* events epoll waits for; 0: none */
	unsigned long	nreq;		/* replies read on it */
	bool		keep;		/* the last reply let it stay open */
	size_t		len;
	char		buf[8192];	/* len bytes, then a NUL */
};

/*
 * What a client is doing: waiting for its next request's time (IDLE),
 * on its way to the server, or finished (its last request was sent at or
 * after the end of the window, or it ran out of counters).
 */
enum cstate { C_IDLE, C_CONNECTING, C_SENDING, C_READING, C_DONE };

/* One client: a connection with at most one request in flight. */
struct client {
	int			id;
	enum cstate		st;
	const struct target	*t;
	struct conn		c;
	size_t			k;		/* its next key */
	unsigned long		n;		/* requests it made */
	double			due;		/* the next one's time (-r) */
	double			sent;		/* the one in flight's start */
	double			deadline;	/* ... and its end */
	char			otp[YK_OTP_MAX + 1], nonce[48];
	size_t			rqlen, rqoff;	/* sent: rqoff of rqlen */
	char			rq[2048];
};

struct worker {
	int			id;
	pthread_t		th;
	int			epfd, tfd;
	double			armed;		/* tfd's expiry; NAN: none */
	unsigned long		ok;
	struct error_kind	err[MAX_KINDS];
	uint32_t		*lat_us;	/* latencies of counted OKs */
	size_t			nlat, caplat;
	char			body[4096];	/* a reply's body, NUL-ended */
};

static struct {
	struct target		url[MAX_URLS];	/* clients take turns */
	const char		*id;
	int			nurl;
	unsigned char		key[YK_KEY_MAX];
	size_t			keylen;
	struct bench_key	keys[MAX_KEYS];
	size_t			nkeys;
	struct client		*cl;
	int			nconns, nthreads;
	double			rate;		/* 0: closed loop */
	double			gap;		/* a client's interval (-r) */
	unsigned long		ctr_base;
	double			t0, win_start, win_end;
} g = { .nconns = 32, .nthreads = 2, .ctr_base = 1 };

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Lines as for "ykvald key import": serial,public_id,private_id,aes_key. */
static int
read_keys(const char *path)
{
	FILE *f = fopen(path, "re");
	char line[512], pub[64], priv[64], aes[64];
	long serial;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	while (g.nkeys < MAX_KEYS && fgets(line, sizeof(line), f) != NULL) {
		struct bench_key *k = &g.keys[g.nkeys];

		if (sscanf(line, "%ld,%63[^,],%63[^,],%63[^,\r\n]", &serial, pub,
		    priv, aes) != 4)
			continue;
		if (strlen(pub) > YK_PUBID_MAX || strlen(priv) != 12 ||
		    strlen(aes) != 32 || hex_decode(priv, YK_UID_LEN, k->uid) != 0 ||
		    hex_decode(aes, YK_AES_LEN, k->aes) != 0) {
			fprintf(stderr, "load: %s: bad line: %s", path, line);
			fclose(f);
			return -1;
		}
		memcpy(k->public_id, pub, strlen(pub) + 1);
		g.nkeys++;
	}
	fclose(f);
	return 0;
}

/* The key's next OTP: use steps 0..255, then the session counter moves. */
static int
next_otp(struct bench_key *k, char out[YK_OTP_MAX + 1])
{
	struct yk_token t = { 0 };
	char tok[YK_TOKEN_CHARS + 1];
	unsigned long seq = k->seq++, ctr = g.ctr_base + seq / 256;

	if (ctr >= 0x8000)
		return -1;
	memcpy(t.uid, k->uid, YK_UID_LEN);
	t.ctr = (uint16_t)ctr;
	t.use = (uint8_t)(seq % 256);
	t.tstpl = (uint16_t)seq;
	t.rnd = (uint16_t)(seq * 2654435761u >> 16);
	if (otp_encrypt(&t, k->aes, tok) != 0)
		return -1;
	snprintf(out, YK_OTP_MAX + 1, "%s%s", k->public_id, tok);
	return 0;
}

/* Add count to the kind called name; the last slot takes the rest. */
static void
count_error(struct error_kind *kinds, const char *name, unsigned long count)
{
	for (size_t i = 0; i < MAX_KINDS - 1; i++) {
		if (kinds[i].count == 0)
			snprintf(kinds[i].name, sizeof(kinds[i].name), "%s", name);
		if (strcmp(kinds[i].name, name) == 0) {
			kinds[i].count += count;
			return;
		}
	}
	snprintf(kinds[MAX_KINDS - 1].name, sizeof(kinds[0].name), "OTHER");
	kinds[MAX_KINDS - 1].count += count;
}

/* True for a signed OK reply echoing our otp and nonce; else why says. */
static bool
reply_ok(struct worker *w, const char *otp, const char *nonce, char why[32])
{
	struct yk_params rep = { .n = 0 };
	const char *st, *e_otp, *e_nonce;
	char *save = NULL;
	bool ok = false;

	for (char *l = strtok_r(w->body, "\r\n", &save); l != NULL;
	    l = strtok_r(NULL, "\r\n", &save)) {
		char *eq = strchr(l, '=');

		if (eq != NULL) {
			*eq = '\0';
			params_set(&rep, l, eq + 1);
		}
	}
	st = params_get(&rep, "status");
	e_otp = params_get(&rep, "otp");
	e_nonce = params_get(&rep, "nonce");
	if (!params_verify(&rep, g.key, g.keylen))
		snprintf(why, 32, "FORGED");
	else if (st == NULL)
		snprintf(why, 32, "NO_STATUS");
	else if (strcmp(st, "OK") != 0)
		snprintf(why, 32, "%s", st);
	else if (e_otp == NULL || strcmp(e_otp, otp) != 0 ||
	    e_nonce == NULL || strcmp(e_nonce, nonce) != 0)
		snprintf(why, 32, "BAD_ECHO");
	else
		ok = true;
	params_free(&rep);
	return ok;
}

static int
record(struct worker *w, double sent, double done)
{
	if (done < g.win_start || done >= g.win_end)
		return 0;
	if (w->nlat == w->caplat) {
		size_t cap = w->caplat ? 2 * w->caplat : 4096;
		uint32_t *n = realloc(w->lat_us, cap * sizeof(*n));

		if (n == NULL)
			return -1;
		w->lat_us = n;
		w->caplat = cap;
	}
	w->lat_us[w->nlat++] = (uint32_t)((done - sent) * 1e6);
	w->ok++;
	return 0;
}

/*
 * HOST[:PORT] of http://HOST[:PORT][/PATH], HOST an IPv4 address or an
 * [IPv6] address (no name: nothing to resolve, no choice to make among
 * addresses), into t.  0, or -1 with a message on stderr.
 */
static int
parse_url(const char *url, struct target *t)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
	}, *res = NULL;
	const char *a, *p, *hs, *he, *ps, *why = "not http://HOST[:PORT][/PATH]"
	    " (HOST an IPv4 or [IPv6] address; no query, no fragment)";
	char host[64], port[8], gai[160];
	size_t plen;
	int e, r = -1;

	if (strncasecmp(url, "https://", 8) == 0) {
		why = "https is not supported (plain TCP only): give an "
		    "http:// URL";
		goto out;
	}
	if (strncasecmp(url, "http://", 7) != 0)
		goto out;
	a = url + 7;
	p = a + strcspn(a, "/?#");
	if (*a == '[') {			/* [IPv6][:PORT] */
		hs = a + 1;
		if ((he = memchr(hs, ']', (size_t)(p - hs))) == NULL)
			goto out;
		ps = he + 1;
	} else {
		hs = a;
		if ((he = memchr(hs, ':', (size_t)(p - hs))) == NULL)
			he = p;
		ps = he;
	}
	snprintf(port, sizeof(port), "80");
	if (ps < p) {
		plen = (size_t)(p - ps - 1);
		if (*ps != ':' || plen < 1 || plen > 5 ||
		    strspn(ps + 1, "0123456789") < plen)
			goto out;
		snprintf(port, sizeof(port), "%.*s", (int)plen, ps + 1);
	}
	if (he == hs || (size_t)(he - hs) >= sizeof(host) ||
	    (size_t)(p - a) >= sizeof(t->host))
		goto out;
	snprintf(host, sizeof(host), "%.*s", (int)(he - hs), hs);
	snprintf(t->host, sizeof(t->host), "%.*s", (int)(p - a), a);
	/* the path goes into the request line as it is: no blank, no control */
	for (const char *q = p; *q != '\0'; q++)
		if ((unsigned char)*q <= ' ' || *q == 0x7f || *q == '#' ||
		    *q == '?')
			goto out;
	if ((size_t)snprintf(t->path, sizeof(t->path), "%s",
	    *p == '\0' ? "/" : p) >= sizeof(t->path))
		goto out;
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(gai, sizeof(gai), "%s: %s (HOST must be an IPv4 or "
		    "[IPv6] address)", host, gai_strerror(e));
		why = gai;
		goto out;
	}
	memcpy(&t->addr, res->ai_addr, res->ai_addrlen);
	t->alen = res->ai_addrlen;
	r = 0;
out:
	if (r != 0)
		fprintf(stderr, "load: %s: %s\n", url, why);
	if (res != NULL)
		freeaddrinfo(res);
	return r;
}

/* The head of a reply: status line and header fields. */
struct head {
	int		status;
	size_t		hlen;		/* its bytes, the blank line included */
	long long	clen;		/* Content-Length; -1: none */
	bool		chunked, close;
};

/* Does the field [p, eol) have this name?  Then *v is its trimmed value. */
static bool
field(const char *p, const char *eol, const char *name, const char **v,
    size_t *vlen)
{
	size_t n = strlen(name);
	const char *e = eol;

	if ((size_t)(eol - p) <= n || p[n] != ':' ||
	    strncasecmp(p, name, n) != 0)
		return false;
	for (p += n + 1; p < e && (*p == ' ' || *p == '\t'); p++)
		;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*v = p;
	*vlen = (size_t)(e - p);
	return true;
}

/* 1 with *h filled when buf holds a whole head, 0 when it needs more, -1. */
static int
parse_head(const char *buf, size_t len, struct head *h)
{
	const char *end = memmem(buf, len, "\r\n\r\n", 4), *p, *eol, *v;
	size_t vlen;

	if (end == NULL)
		return 0;
	*h = (struct head){ .clen = -1, .hlen = (size_t)(end + 4 - buf) };
	if (len < 13 || memcmp(buf, "HTTP/1.", 7) != 0 ||
	    (buf[7] != '0' && buf[7] != '1') || buf[8] != ' ' ||
	    !isdigit((unsigned char)buf[9]) ||
	    !isdigit((unsigned char)buf[10]) ||
	    !isdigit((unsigned char)buf[11]) ||
	    (buf[12] != ' ' && buf[12] != '\r'))
		return -1;
	h->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + buf[11] - '0';
	h->close = buf[7] == '0';		/* HTTP/1.0: unless keep-alive */
	/* end is the first CRLF CRLF: every line up to it ends in CRLF */
	for (p = (const char *)memmem(buf, len, "\r\n", 2) + 2; p < end + 2;
	    p = eol + 2) {
		eol = memmem(p, (size_t)(end + 2 - p), "\r\n", 2);
		if (field(p, eol, "Content-Length", &v, &vlen)) {
			long long n = 0;

			if (vlen == 0 || vlen > 9 || strspn(v, "0123456789") < vlen)
				return -1;
			for (size_t i = 0; i < vlen; i++)
				n = n * 10 + (v[i] - '0');
			if (h->clen >= 0 && h->clen != n)
				return -1;
			h->clen = n;
		} else if (field(p, eol, "Transfer-Encoding", &v, &vlen)) {
			if (vlen != 7 || strncasecmp(v, "chunked", 7) != 0)
				return -1;
			h->chunked = true;
		} else if (field(p, eol, "Connection", &v, &vlen)) {
			if (vlen == 5 && strncasecmp(v, "close", 5) == 0)
				h->close = true;
			else if (vlen == 10 && strncasecmp(v, "keep-alive", 10) == 0)
				h->close = false;
		}
	}
	return 1;
}

/*
 * The chunked body at p (n bytes) into out (cap bytes, NUL-ended): 1 with
 * *used (bytes of p) and *olen set when it is whole, 0 when it needs
 * more, -1 when it is bad or does not fit.
 */
static int
dechunk(const char *p, size_t n, char *out, size_t cap, size_t *used,
    size_t *olen)
{
	size_t i = 0, o = 0;

	for (;;) {
		const char *eol = memmem(p + i, n - i, "\r\n", 2);
		size_t sz = 0, j = i;

		if (eol == NULL)
			return 0;
		for (; p + j < eol && isxdigit((unsigned char)p[j]); j++) {
			if (sz > cap)
				return -1;
			sz = sz * 16 + (size_t)(isdigit((unsigned char)p[j]) ?
			    p[j] - '0' : (tolower((unsigned char)p[j]) - 'a' + 10));
		}
		if (j == i || (p + j < eol && p[j] != ';' && p[j] != ' ' &&
		    p[j] != '\t'))
			return -1;
		i = (size_t)(eol - p) + 2;
		if (sz == 0)
			break;
		if (o + sz >= cap)
			return -1;
		if (n - i < sz + 2)
			return 0;
		if (p[i + sz] != '\r' || p[i + sz + 1] != '\n')
			return -1;
		memcpy(out + o, p + i, sz);
		o += sz;
		i += sz + 2;
	}
	for (;;) {				/* trailer fields, a blank line */
		const char *eol = memmem(p + i, n - i, "\r\n", 2);

		if (eol == NULL)
			return 0;
		if (eol == p + i)
			break;
		i = (size_t)(eol - p) + 2;
	}
	out[o] = '\0';
	*used = i + 2;
	*olen = o;
	return 1;
}

/* Drop the first n bytes c has received. */
static void
consume(struct conn *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n + 1);
	c->len -= n;
}

/*
 * One reply from what c has received (eof: all it will): 1 with its body
 * in body (cap bytes, NUL-ended), 0 when it needs more, -1 when it is bad
 * or its body does not fit (as libcurl's write callback refused before).
 * Interim 1xx replies are skipped.  Any status gives its body: the body
 * decides (reply_ok), as with libcurl.
 */
static int
take_reply(struct conn *c, bool eof, char *body, size_t cap)
{
	struct head h;
	size_t used, blen;
	int r;

	while ((r = parse_head(c->buf, c->len, &h)) == 1 && h.status >= 100 &&
	    h.status < 200 && h.status != 101)
		consume(c, h.hlen);
	if (r != 1 || h.status == 101)
		return r == 1 ? -1 : r;
	if (h.status == 204 || h.status == 304) {
		used = blen = 0;
	} else if (h.chunked) {
		if ((r = dechunk(c->buf + h.hlen, c->len - h.hlen, body, cap,
		    &used, &blen)) != 1)
			return r;
	} else if (h.clen >= 0) {
		if ((unsigned long long)h.clen >= cap)
			return -1;
		if (c->len - h.hlen < (size_t)h.clen)
			return 0;
		used = blen = (size_t)h.clen;
	} else {				/* the body ends when c does */
		if (!eof)
			return 0;
		used = blen = c->len - h.hlen;
		h.close = true;
		if (blen >= cap)
			return -1;
	}
	if (!h.chunked)
		memcpy(body, c->buf + h.hlen, blen);
	body[blen] = '\0';
	consume(c, h.hlen + used);
	c->keep = !h.close;
	return 1;
}

static void
conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);		/* which takes it out of epoll too */
	c->fd = -1;
	c->ev = 0;
	c->len = 0;
	c->buf[0] = '\0';
}

/*
 * A new connection to t, non-blocking, TCP_NODELAY: 0 when connected, 1
 * when connecting (EPOLLOUT says when it is done), or -1.
 */
static int
conn_open(struct conn *c, const struct target *t)
{
	int one = 1, r = -1;

	conn_close(c);
	c->nreq = 0;
	c->keep = true;
	c->fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (c->fd < 0 || setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof(one)) != 0)
		goto out;
	if (connect(c->fd, (const struct sockaddr *)&t->addr, t->alen) == 0)
		r = 0;
	else if (errno == EINPROGRESS)
		r = 1;
out:
	if (r < 0)
		conn_close(c);
	return r;
}

/* Have epoll wait for ev (EPOLLIN or EPOLLOUT) on cl's connection: 0, -1. */
static int
want(struct worker *w, struct client *cl, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = cl };

	if (cl->c.ev == ev)
		return 0;
	if (epoll_ctl(w->epfd, cl->c.ev == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD,
	    cl->c.fd, &e) != 0)
		return -1;
	cl->c.ev = ev;
	return 0;
}

static void
client_done(struct client *cl)
{
	conn_close(&cl->c);
	cl->st = C_DONE;
}

/*
 * The request in flight failed (kind says how): its connection is closed,
 * and the client waits for its next request's time (closed loop: now; the
 * event loop sends it, so that a server that refuses at once is not
 * asked again from within this call).
 */
static void
client_fail(struct worker *w, struct client *cl, const char *kind, double now)
{
	count_error(w->err, kind, 1);
	conn_close(&cl->c);
	cl->st = C_IDLE;
	if (g.rate == 0)
		cl->due = now;
}

static void client_go(struct worker *, struct client *);

/*
 * The server closed cl's connection before it answered: a kept-alive one
 * is opened again, once (the new one has no reply read on it yet); a new
 * one failed.
 */
static void
client_gone(struct worker *w, struct client *cl)
{
	if (cl->c.nreq == 0) {
		client_fail(w, cl, "TRANSPORT_ERROR", now_s());
		return;
	}
	conn_close(&cl->c);
	client_go(w, cl);
}

/* The rest of the request, then wait for the reply. */
static void
client_write(struct worker *w, struct client *cl)
{
	while (cl->rqoff < cl->rqlen) {
		ssize_t n = send(cl->c.fd, cl->rq + cl->rqoff,
		    cl->rqlen - cl->rqoff, MSG_NOSIGNAL);

		if (n > 0) {
			cl->rqoff += (size_t)n;
		} else if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
			client_gone(w, cl);
			return;
		} else if (n < 0 && errno == EAGAIN) {
			if (want(w, cl, EPOLLOUT) != 0)
				client_fail(w, cl, "TRANSPORT_ERROR", now_s());
			return;
		} else if (n == 0 || errno != EINTR) {
			client_fail(w, cl, "TRANSPORT_ERROR", now_s());
			return;
		}
	}
	cl->st = C_READING;
	if (want(w, cl, EPOLLIN) != 0)
		client_fail(w, cl, "TRANSPORT_ERROR", now_s());
}

/* The request in cl->rq, on cl's connection (opened when it is closed). */
static void
client_go(struct worker *w, struct client *cl)
{
	int r = 0;

	cl->rqoff = 0;
	if (cl->c.fd < 0 && (r = conn_open(&cl->c, cl->t)) < 0) {
		client_fail(w, cl, "TRANSPORT_ERROR", now_s());
		return;
	}
	if (r == 1) {
		cl->st = C_CONNECTING;
		if (want(w, cl, EPOLLOUT) != 0)
			client_fail(w, cl, "TRANSPORT_ERROR", now_s());
		return;
	}
	cl->st = C_SENDING;
	client_write(w, cl);
}

/* The signed GET of cl's otp and nonce into cl->rq: 0, or -1. */
static int
build_request(struct client *cl)
{
	struct yk_params req = { .n = 0 };
	char h[YK_HMAC_B64_LEN + 1], eh[3 * YK_HMAC_B64_LEN + 1];
	int n, r = -1;

	params_set(&req, "id", g.id);
	params_set(&req, "otp", cl->otp);
	params_set(&req, "nonce", cl->nonce);
	if (params_sign(&req, g.key, g.keylen, h) != 0)
		goto out;
	request_escape(h, eh);
	n = snprintf(cl->rq, sizeof(cl->rq), "GET %s?id=%s&otp=%s&nonce=%s&h=%s "
	    "HTTP/1.1\r\nHost: %s\r\n\r\n", cl->t->path, g.id, cl->otp,
	    cl->nonce, eh, cl->t->host);
	if (n < 0 || (size_t)n >= sizeof(cl->rq))
		goto out;
	cl->rqlen = (size_t)n;
	r = 0;
out:
	params_free(&req);
	return r;
}

/* cl's next request, due now (or before): sent, or cl is done. */
static void
client_start(struct worker *w, struct client *cl, double now)
{
	struct bench_key *key = &g.keys[cl->k];

	if (g.rate > 0) {
		if (cl->due >= g.win_end) {
			client_done(cl);
			return;
		}
		cl->sent = cl->due;
		cl->due += g.gap;
	} else {
		if (now >= g.win_end) {
			client_done(cl);
			return;
		}
		cl->sent = now;
	}
	if (next_otp(key, cl->otp) != 0) {
		count_error(w->err, "OUT_OF_COUNTERS", 1);
		client_done(cl);
		return;
	}
	if ((cl->k += (size_t)g.nconns) >= g.nkeys)
		cl->k = (size_t)cl->id;
	snprintf(cl->nonce, sizeof(cl->nonce), "load%03dn%012lu", cl->id,
	    cl->n++);
	cl->deadline = now + TIMEOUT_S;
	if (build_request(cl) != 0) {
		client_fail(w, cl, "TRANSPORT_ERROR", now);
		return;
	}
	client_go(w, cl);
}

/* A whole reply's body is in w->body: check it, count it, go on. */
static void
client_reply(struct worker *w, struct client *cl)
{
	double done = now_s();
	char why[32];

	cl->c.nreq++;
	if (!cl->c.keep)
		conn_close(&cl->c);
	cl->st = C_IDLE;
	if (!reply_ok(w, cl->otp, cl->nonce, why)) {
		count_error(w->err, why, 1);
	} else if (record(w, cl->sent, done) != 0) {
		count_error(w->err, "NO_MEMORY", 1);
		client_done(cl);
		return;
	}
	if (g.rate == 0)
		cl->due = done;
	if (cl->due <= done)
		client_start(w, cl, done);
}

/*
 * What cl's connection has for it.  Reading: one recv, then the reply if
 * it is whole.  Idle: the server closing the kept-alive connection (it is
 * opened again for the next request) or bytes nobody asked for (kept, as
 * the next reply's start, as a blocking client would).
 */
static void
client_read(struct worker *w, struct client *cl)
{
	struct conn *c = &cl->c;
	bool eof = false;
	ssize_t n;
	int r;

	if (c->len + 1 >= sizeof(c->buf)) {
		if (cl->st == C_READING)
			client_fail(w, cl, "TRANSPORT_ERROR", now_s());
		else
			conn_close(c);
		return;
	}
	n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, 0);
	if (n > 0) {
		c->len += (size_t)n;
		c->buf[c->len] = '\0';
	} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		return;
	} else if (cl->st != C_READING) {
		conn_close(c);
		return;
	} else if (c->len == 0 && (n == 0 || errno == ECONNRESET)) {
		client_gone(w, cl);
		return;
	} else if (n == 0) {
		eof = true;
	} else {
		client_fail(w, cl, "TRANSPORT_ERROR", now_s());
		return;
	}
	if (cl->st != C_READING)
		return;
	w->body[0] = '\0';
	if ((r = take_reply(c, eof, w->body, sizeof(w->body))) == 1)
		client_reply(w, cl);
	else if (r < 0 || eof || c->len + 1 >= sizeof(c->buf))
		client_fail(w, cl, "TRANSPORT_ERROR", now_s());
}

/* epoll says cl's connection is ready (events). */
static void
client_io(struct worker *w, struct client *cl, uint32_t events)
{
	int err = 0;
	socklen_t elen = sizeof(err);

	(void)events;			/* the call says what happened */
	switch (cl->st) {
	case C_CONNECTING:
		if (getsockopt(cl->c.fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0 ||
		    err != 0) {
			client_fail(w, cl, "TRANSPORT_ERROR", now_s());
			break;
		}
		cl->st = C_SENDING;
		client_write(w, cl);
		break;
	case C_SENDING:
		client_write(w, cl);
		break;
	case C_READING:
	case C_IDLE:
		if (cl->c.fd >= 0)
			client_read(w, cl);
		break;
	case C_DONE:
		break;
	}
}

/* Arm w's timer for t (absolute, CLOCK_MONOTONIC): 0, or -1. */
static int
arm(struct worker *w, double t)
{
	struct itimerspec its = { .it_value = {
		.tv_sec = (time_t)t,
		.tv_nsec = (long)((t - (double)(time_t)t) * 1e9),
	} };

	if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
		its.it_value.tv_nsec = 1;	/* 0 would disarm it */
	if (timerfd_settime(w->tfd, TFD_TIMER_ABSTIME, &its, NULL) != 0)
		return -1;
	w->armed = t;
	return 0;
}

/*
 * One thread's event loop over its clients (those whose number is its
 * own modulo the threads): release the requests that are due, fail those
 * past their deadline, then wait on epoll for the connections, for the
 * timer (the next request due) or for the nearest deadline.  It ends when
 * every client is done and has no request in flight.
 */
static void *
run(void *arg)
{
	struct worker *w = arg;
	struct epoll_event ev[MAX_EVENTS] = { { .events = 0 } };
	bool broken = false;

	w->armed = NAN;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	ev[0].events = EPOLLIN;
	ev[0].data.ptr = NULL;			/* NULL: the timer */
	if (w->epfd < 0 || w->tfd < 0 ||
	    epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->tfd, &ev[0]) != 0)
		broken = true;
	while (!broken) {
		double now = now_s(), rel = INFINITY, dl = INFINITY;
		int live = 0, ms = -1, n;

		for (int i = w->id; i < g.nconns; i += g.nthreads) {
			struct client *cl = &g.cl[i];

			if (cl->st == C_IDLE && cl->due <= now)
				client_start(w, cl, now);
			if (cl->st == C_DONE)
				continue;
			live++;
			if (cl->st != C_IDLE && cl->deadline <= now)
				client_fail(w, cl, "TRANSPORT_ERROR", now);
			if (cl->st == C_IDLE)
				rel = fmin(rel, cl->due);
			else
				dl = fmin(dl, cl->deadline);
		}
		if (live == 0)
			break;
		if (rel <= now) {
			ms = 0;
		} else {
			/* the timer for the schedule; ms for the deadlines */
			if (rel < INFINITY && rel != w->armed && arm(w, rel) != 0) {
				broken = true;
				break;
			}
			if (dl < INFINITY)
				ms = (int)ceil((dl - now) * 1e3);
		}
		if ((n = epoll_wait(w->epfd, ev, MAX_EVENTS, ms)) < 0) {
			if (errno == EINTR)
				continue;
			broken = true;
			break;
		}
		for (int e = 0; e < n; e++) {
			uint64_t x;

			if (ev[e].data.ptr != NULL) {
				client_io(w, ev[e].data.ptr, ev[e].events);
			} else if (read(w->tfd, &x, sizeof(x)) == (ssize_t)sizeof(x)) {
				w->armed = NAN;
			}
		}
	}
	if (broken) {
		fprintf(stderr, "load: thread %d: epoll or timerfd: %s\n", w->id,
		    strerror(errno));
		count_error(w->err, "LOAD_BROKEN", 1);
	}
	for (int i = w->id; i < g.nconns; i += g.nthreads)
		client_done(&g.cl[i]);
	if (w->tfd >= 0)
		close(w->tfd);
	if (w->epfd >= 0)
		close(w->epfd);
	return NULL;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile, in ms. */
static double
pct(const uint32_t *v, size_t n, double p)
{
	size_t i = (size_t)ceil(p * (double)n);

	if (n == 0)
		return 0;
	return v[i > 0 ? i - 1 : 0] / 1e3;
}

static int
report(struct worker *w, double secs)
{
	struct error_kind kinds[MAX_KINDS] = { { .count = 0 } };
	unsigned long ok = 0, errors = 0;
	size_t n = 0;
	uint32_t *all;

	for (int t = 0; t < g.nthreads; t++)
		n += w[t].nlat;
	if ((all = malloc((n + 1) * sizeof(*all))) == NULL)
		return -1;
	n = 0;
	for (int t = 0; t < g.nthreads; t++) {
		ok += w[t].ok;
		if (w[t].nlat > 0)	/* lat_us is NULL until the first OK */
			memcpy(all + n, w[t].lat_us, w[t].nlat * sizeof(*all));
		n += w[t].nlat;
		for (size_t i = 0; i < MAX_KINDS; i++)
			errors += w[t].err[i].count;
	}
	for (int t = 0; t < g.nthreads; t++)
		for (size_t i = 0; i < MAX_KINDS; i++)
			if (w[t].err[i].count > 0)
				count_error(kinds, w[t].err[i].name,
				    w[t].err[i].count);
	for (size_t i = 0; i < MAX_KINDS; i++)
		if (kinds[i].count > 0)
			fprintf(stderr, "load: error %s %lu\n", kinds[i].name,
			    kinds[i].count);
	qsort(all, n, sizeof(*all), cmp_u32);
	printf("ok=%lu errors=%lu seconds=%.3f rate=%.1f p50_ms=%.2f "
	    "p90_ms=%.2f p99_ms=%.2f max_ms=%.2f\n", ok, errors, secs,
	    (double)ok / secs, pct(all, n, 0.50), pct(all, n, 0.90),
	    pct(all, n, 0.99), n ? all[n - 1] / 1e3 : 0.0);
	free(all);
	return errors == 0 ? 0 : 1;
}

static int
usage(void)
{
	fprintf(stderr, "usage: load [-t CONNS] [-j THREADS] [-d SECONDS] "
	    "[-w WARMUP] [-r RATE] [-b CTR] URL[,URL...] ID B64KEY KEYS.csv\n");
	return 2;
}

int
main(int argc, char **argv)
{
	static struct worker w[MAX_THREADS];
	double secs = 5, warm = 1;
	int c, klen, rc = 1, started = 0;

	while ((c = getopt(argc, argv, "t:j:d:w:r:b:")) != -1) {
		switch (c) {
		case 't': g.nconns = atoi(optarg); break;
		case 'j': g.nthreads = atoi(optarg); break;
		case 'd': secs = atof(optarg); break;
		case 'w': warm = atof(optarg); break;
		case 'r': g.rate = atof(optarg); break;
		case 'b': g.ctr_base = strtoul(optarg, NULL, 0); break;
		default: return usage();
		}
	}
	if (argc - optind != 4 || g.nconns < 1 || g.nconns > MAX_CONNS ||
	    g.nthreads < 1 || g.nthreads > MAX_THREADS || secs <= 0 ||
	    warm < 0 || g.rate < 0 || g.ctr_base < 1)
		return usage();
	if (g.nthreads > g.nconns)		/* as pgbench does */
		g.nthreads = g.nconns;
	/* URL[,URL...]: client i asks the i-th (several ykvald nodes) */
	for (char *t = strtok(argv[optind], ","); t != NULL && g.nurl < MAX_URLS;
	    t = strtok(NULL, ","))
		if (parse_url(t, &g.url[g.nurl++]) != 0)
			return 2;
	if (g.nurl == 0)
		return usage();
	g.id = argv[optind + 1];
	if ((klen = b64_decode(argv[optind + 2], g.key, sizeof(g.key))) < 0)
		return usage();
	g.keylen = (size_t)klen;
	if (read_keys(argv[optind + 3]) != 0)
		return 1;
	if (g.nkeys < (size_t)g.nconns) {
		fprintf(stderr, "load: %zu keys for %d connections: need one "
		    "key per connection at least\n", g.nkeys, g.nconns);
		return 2;
	}
	if ((g.cl = calloc((size_t)g.nconns, sizeof(*g.cl))) == NULL) {
		fprintf(stderr, "load: out of memory\n");
		return 1;
	}
	g.t0 = now_s() + 0.2;
	g.win_start = g.t0 + warm;
	g.win_end = g.win_start + secs;
	g.gap = g.rate > 0 ? g.nconns / g.rate : 0;
	for (int i = 0; i < g.nconns; i++) {
		struct client *cl = &g.cl[i];

		cl->id = i;
		cl->st = C_IDLE;
		cl->t = &g.url[i % g.nurl];
		cl->c.fd = -1;
		cl->k = (size_t)i;
		/* paced: the clients' schedules interleave evenly */
		cl->due = g.t0 + g.gap * i / g.nconns;
	}
	for (; started < g.nthreads; started++) {
		w[started].id = started;
		if (pthread_create(&w[started].th, NULL, run, &w[started]) != 0) {
			fprintf(stderr, "load: cannot start thread %d\n", started);
			break;
		}
	}
	for (int t = 0; t < started; t++)
		pthread_join(w[t].th, NULL);
	if (started == g.nthreads)
		rc = report(w, secs);
	for (int t = 0; t < started; t++)
		free(w[t].lat_us);
	free(g.cl);
	return rc;
}
