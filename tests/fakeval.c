/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fakeval.c - test helper: a validation server that misbehaves on purpose.
 *
 *   fakeval --mode MODE --ready-file F [--key B64] [--lifetime S] [--log F]
 *           [--delay MS]
 *
 * Listens on 127.0.0.1, port chosen by the kernel, writes "127.0.0.1:PORT"
 * to F (atomically), answers every connection in its own thread the way
 * MODE says, appends one line per request to the --log file, and exits
 * after --lifetime seconds (default 60; 0 exits at once, leaving a port
 * that refuses connections).  --delay waits before each answer, so that
 * tests can order the answers of several servers.  Once ready, its stdout
 * is /dev/null, so "u=$(start it in the background; echo URL)" does not
 * wait for it to exit.  Modes:
 *
 *   ok             status=OK, echoes, signed with --key (unsigned without)
 *   forge          status=OK, echoes, h made with another key
 *   wrong-nonce    signed OK echoing another nonce
 *   wrong-otp      signed OK echoing another OTP
 *   replayed       signed REPLAYED_OTP with both echoes
 *   bad-otp        signed BAD_OTP
 *   backend-error  signed BACKEND_ERROR
 *   http500        a correctly signed OK body, but HTTP 500
 *   garbage        200 random bytes
 *   huge           a 1 MB body without Content-Length
 *   hang           reads the request, never answers
 *   close          closes each connection at once, reading nothing
 *   refuse         binds the port but never listens: connections are
 *                  refused, and no other server can take the port
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "modhex.h"
#include "params.h"

static const char *mode;
static unsigned char key[YK_KEY_MAX];
static size_t keylen;
static int logfd = -1;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long nreq;
static long delay_ms;

static const char *const modes[] = {
	"ok", "forge", "wrong-nonce", "wrong-otp", "replayed", "bad-otp",
	"backend-error", "http500", "garbage", "huge", "hang", "close",
	"refuse", NULL,
};

static void
log_request(const char *what)
{
	char line[512];
	int n;

	pthread_mutex_lock(&lock);
	n = snprintf(line, sizeof(line), "%lu %s %s\n", ++nreq, mode, what);
	if (logfd >= 0 && write(logfd, line, (size_t)n) != n)
		perror("fakeval: log");
	pthread_mutex_unlock(&lock);
}

static int
send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
unescape(char *s)
{
	char *w = s;

	for (; *s != '\0'; s++) {
		unsigned char b;

		if (*s == '%' && s[1] && s[2] &&
		    hex_decode(s + 1, 1, &b) == 0 && b != 0) {
			*w++ = (char)b;
			s += 2;
		} else {
			*w++ = *s == '+' ? ' ' : *s;
		}
	}
	*w = '\0';
}

/* "GET /path?query HTTP/1.1": the query's pairs into p, the path into path. */
static void
parse_request(char *req, struct yk_params *p, char *path, size_t cap)
{
	char *sp = strchr(req, ' '), *end, *q, *save = NULL;

	snprintf(path, cap, "-");
	if (sp == NULL || (end = strchr(sp + 1, ' ')) == NULL)
		return;
	*end = '\0';
	if ((q = strchr(sp + 1, '?')) != NULL)
		*q++ = '\0';
	snprintf(path, cap, "%.*s %s", (int)(sp - req), req, sp + 1);
	for (char *kv = q ? strtok_r(q, "&", &save) : NULL; kv != NULL;
	    kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');

		if (eq != NULL)
			*eq++ = '\0';
		unescape(kv);
		if (eq != NULL)
			unescape(eq);
		params_set(p, kv, eq ? eq : "");
	}
}

/* The reply body MODE gives to the request req. */
static void
make_body(const struct yk_params *req, char *out, size_t cap)
{
	struct yk_params p = { .n = 0 };
	const char *otp = params_get(req, "otp");
	const char *nonce = params_get(req, "nonce"), *status = "OK";
	char h[YK_HMAC_B64_LEN + 1], other[64];
	unsigned char fk[YK_KEY_MAX] = { 0x5a };
	bool echo = true;
	size_t o = 0;

	if (strcmp(mode, "replayed") == 0)
		status = "REPLAYED_OTP";
	if (strcmp(mode, "bad-otp") == 0) {
		status = "BAD_OTP";
		echo = false;
	} else if (strcmp(mode, "backend-error") == 0) {
		status = "BACKEND_ERROR";
		echo = false;
	}
	params_set(&p, "t", "2020-01-01T00:00:00Z0000");
	if (echo && otp != NULL) {
		snprintf(other, sizeof(other), "%s", otp);
		if (strcmp(mode, "wrong-otp") == 0 && other[0] != '\0')
			other[strlen(other) - 1] ^= 1;
		params_set(&p, "otp", other);
	}
	if (echo && nonce != NULL) {
		snprintf(other, sizeof(other), "%s", nonce);
		if (strcmp(mode, "wrong-nonce") == 0 && other[0] != '\0')
			other[strlen(other) - 1] ^= 1;
		params_set(&p, "nonce", other);
	}
	if (strcmp(status, "OK") == 0)
		params_set(&p, "sl", "0");
	params_set(&p, "status", status);
	if (strcmp(mode, "forge") == 0) {
		memcpy(fk, key, keylen);
		fk[0] ^= 0xff;
		params_sign(&p, fk, keylen ? keylen : 20, h);
		o += (size_t)snprintf(out + o, cap - o, "h=%s\r\n", h);
	} else if (keylen > 0) {
		params_sign(&p, key, keylen, h);
		o += (size_t)snprintf(out + o, cap - o, "h=%s\r\n", h);
	}
	for (size_t i = 0; i < p.n; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s=%s\r\n",
		    p.kv[i].key, p.kv[i].val);
	snprintf(out + o, cap - o, "\r\n");
	params_free(&p);
}

/* Whether the request's h verifies with our key. */
static const char *
request_sig(const struct yk_params *req)
{
	if (params_get(req, "h") == NULL)
		return "h=none";
	if (keylen == 0)
		return "h=unchecked";
	return params_verify(req, key, keylen) ? "h=ok" : "h=bad";
}

static void
reply(int fd, int code, const char *body, size_t len, bool length)
{
	char head[256];
	int n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\n"
	    "Content-Type: text/plain\r\nConnection: close\r\n", code,
	    code == 200 ? "OK" : "Internal Server Error");

	if (length)
		n += snprintf(head + n, sizeof(head) - (size_t)n,
		    "Content-Length: %zu\r\n", len);
	n += snprintf(head + n, sizeof(head) - (size_t)n, "\r\n");
	if (send_all(fd, head, (size_t)n) == 0)
		send_all(fd, body, len);
}

static void
serve(int fd)
{
	struct yk_params req = { .n = 0 };
	char buf[16384], path[256], body[2048], line[400];
	size_t len = 0;
	ssize_t n;

	while (len < sizeof(buf) - 1 &&
	    (n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0)) > 0) {
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL)
			break;
	}
	buf[len] = '\0';
	if (len == 0)
		return;
	parse_request(buf, &req, path, sizeof(path));
	snprintf(line, sizeof(line), "%s %s", path, request_sig(&req));
	log_request(line);
	if (delay_ms > 0)
		nanosleep(&(struct timespec){ delay_ms / 1000,
		    delay_ms % 1000 * 1000000 }, NULL);
	if (strcmp(mode, "hang") == 0) {
		while (recv(fd, buf, sizeof(buf), 0) > 0)
			;	/* until the client gives up */
	} else if (strcmp(mode, "garbage") == 0) {
		RAND_bytes((unsigned char *)body, 200);
		reply(fd, 200, body, 200, true);
	} else if (strcmp(mode, "huge") == 0) {
		char *big = malloc(1 << 20);

		if (big != NULL) {
			memset(big, 'a', 1 << 20);
			memcpy(big, "status=", 7);
			reply(fd, 200, big, 1 << 20, false);
			free(big);
		}
	} else {
		make_body(&req, body, sizeof(body));
		reply(fd, strcmp(mode, "http500") == 0 ? 500 : 200, body,
		    strlen(body), true);
	}
	params_free(&req);
}

static void *
conn_thread(void *arg)
{
	int fd = (int)(intptr_t)arg;

	if (strcmp(mode, "close") == 0)
		log_request("closed");
	else
		serve(fd);
	shutdown(fd, SHUT_WR);
	close(fd);
	return NULL;
}

static int
write_ready(const char *file, unsigned port)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	if ((f = fopen(tmp, "w")) == NULL)
		return -1;
	fprintf(f, "127.0.0.1:%u\n", port);
	if (fclose(f) != 0 || rename(tmp, file) != 0)
		return -1;
	return 0;
}

static int
usage(void)
{
	fprintf(stderr, "usage: fakeval --mode MODE --ready-file F [--key B64]"
	    " [--lifetime S] [--log F] [--delay MS]\n");
	return 2;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "ready-file", required_argument, NULL, 'r' },
		{ "key", required_argument, NULL, 'k' },
		{ "lifetime", required_argument, NULL, 'l' },
		{ "log", required_argument, NULL, 'L' },
		{ "delay", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	const char *ready = NULL;
	long lifetime = 60;
	struct timespec end, now;
	int c, s, one = 1, k;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'm': mode = optarg; break;
		case 'r': ready = optarg; break;
		case 'l': lifetime = atol(optarg); break;
		case 'd': delay_ms = atol(optarg); break;
		case 'k':
			if ((k = b64_decode(optarg, key, sizeof(key))) < 0)
				return usage();
			keylen = (size_t)k;
			break;
		case 'L':
			logfd = open(optarg, O_WRONLY | O_APPEND | O_CREAT |
			    O_CLOEXEC, 0600);
			if (logfd < 0) {
				perror(optarg);
				return 1;
			}
			break;
		default: return usage();
		}
	}
	for (k = 0; mode != NULL && modes[k] != NULL; k++)
		if (strcmp(mode, modes[k]) == 0)
			break;
	if (mode == NULL || modes[k] == NULL || ready == NULL || optind != argc)
		return usage();
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(s, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    (strcmp(mode, "refuse") != 0 && listen(s, 64) != 0) ||
	    getsockname(s, (struct sockaddr *)&sa, &sl) != 0 ||
	    write_ready(ready, ntohs(sa.sin_port)) != 0) {
		perror("fakeval");
		return 1;
	}
	/* We never print: let "u=$(start fakeval &; echo URL)" return now. */
	if ((k = open("/dev/null", O_WRONLY | O_CLOEXEC)) >= 0) {
		dup2(k, STDOUT_FILENO);
		close(k);
	}
	/* refuse: the port is ours but nobody listens, so connections are
	 * refused and no other server can take the port meanwhile. */
	if (strcmp(mode, "refuse") == 0) {
		sleep((unsigned)lifetime);
		return 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += lifetime;
	for (;;) {
		struct pollfd pfd = { .fd = s, .events = POLLIN };
		long ms;
		int fd;
		pthread_t t;

		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (end.tv_sec - now.tv_sec) * 1000 +
		    (end.tv_nsec - now.tv_nsec) / 1000000;
		if (ms <= 0 || poll(&pfd, 1, (int)ms) < 0)
			break;
		if (!(pfd.revents & POLLIN) ||
		    (fd = accept4(s, NULL, NULL, SOCK_CLOEXEC)) < 0)
			continue;
		if (pthread_create(&t, NULL, conn_thread,
		    (void *)(intptr_t)fd) != 0)
			close(fd);
		else
			pthread_detach(t);
	}
	close(s);
	return 0;
}
