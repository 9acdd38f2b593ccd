/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_http.c - bytes as an HTTP request to ykvald: libmicrohttpd and our
 * layer on top of it (handle, request_start, the framing checks, get_arg,
 * post_arg's assembly of a chunked or form POST, completed, the verify
 * path to the store).  At start-up the real serve() runs on a thread of
 * this process with a fresh database under $TMPDIR holding client 1 and
 * one key (the request harness's), listening on 127.0.0.1 and [::1], port
 * 0 (bind_addr's two forms; the IPv6 one also reaches the per-/64
 * connection count).  Each input is sent on a new connection, to [::1]
 * if its length is odd, the write side shut, and the answer read to its
 * end.  libFuzzer's -timeout is a SIGALRM every timeout/2+1 s, and
 * libFuzzer only looks at the clock when it lands on this thread: the
 * server's threads block it (ykvald never gets it in service), and this
 * thread's connect, poll, send and recv carry on when it interrupts them
 * (EINTR); before, an interrupted call failed the run within a minute or
 * so, as "no answer" or "cannot connect".  ykvald's log lines go to
 * stderr, as they do in service.  At exit the server is stopped as
 * SIGTERM stops it, and its thread joined, so that LeakSanitizer sees
 * what serve() left behind, not what a connection's thread was in the
 * middle of.
 */
#include "config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "import.h"
#include "serve.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[4000], db[4100], ready[4100];
static struct serve_opts opts;
static struct sockaddr_in addr4;
static struct sockaddr_in6 addr6;
static pthread_t thread;
static volatile int stopping;
static int nbase;	/* this process's threads once the server is up */

static void __attribute__((noreturn))
die(const char *what)
{
	fprintf(stderr, "fuzz_http: %s\n", what);
	abort();
}

/* what, and why: the errno of the call that failed */
static void __attribute__((noreturn))
die_errno(const char *what)
{
	fprintf(stderr, "fuzz_http: %s: %s\n", what, strerror(errno));
	abort();
}

/*
 * Wait until fd is ready for events, at most ms milliseconds in all
 * however often a signal interrupts the wait: 1 ready, 0 not in time.
 */
static int
wait_fd(int fd, short events, long ms)
{
	struct timespec end, now;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += ms / 1000;
	end.tv_nsec += (ms % 1000) * 1000000L;
	for (;;) {
		struct pollfd p = { fd, events, 0 };
		long left;
		int n;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = (end.tv_sec - now.tv_sec) * 1000L +
		    (end.tv_nsec - now.tv_nsec) / 1000000L;
		if (left < 0)
			left = 0;
		if ((n = poll(&p, 1, (int)left)) >= 0)
			return n;
		if (errno != EINTR)
			die_errno("poll");
	}
}

/* This process's threads, as /proc/self/task lists them. */
static int
nthreads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		die_errno("/proc/self/task");
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/*
 * The answer is in, but the connection's thread may still be on its way
 * out, its OpenSSL error state (904 bytes) held by nothing but its own
 * thread-local storage: LeakSanitizer, which libFuzzer runs after an
 * input that malloc'ed more than it freed, then reports it as leaked.
 * Wait until the server has no more threads than when it was started.
 */
static void
quiesce(void)
{
	struct timespec end, now;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += 20;
	while (nthreads() > nbase) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > end.tv_sec || (now.tv_sec == end.tv_sec &&
		    now.tv_nsec >= end.tv_nsec))
			die("a server thread still runs 20 s after its answer");
		usleep(100);
	}
}

static void
cleanup(void)
{
	static const char *const f[] = { "ykvald.db", "ykvald.db-wal",
	    "ykvald.db-shm", "ykvald.db-journal", "ready", NULL };
	char p[4200];

	for (int i = 0; f[i] != NULL; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, f[i]);
		unlink(p);
	}
	rmdir(dir);
}

static void *
server(void *arg)
{
	serve(&opts);
	if (!stopping)
		die("serve() returned");
	return NULL;
}

static void
stop(void)
{
	stopping = 1;
	if (pthread_kill(thread, SIGTERM) == 0)
		pthread_join(thread, NULL);
}

/* The database: client 1 and the key of the request seeds. */
static void
make_db(void)
{
	static const char line[] = "123,idkfefrdhtru,609963eae7b5,"
	    "c68c9df8cbfe7d2f994cb904046c7218,000000000000,"
	    "2008-04-07T12:00:00,";
	struct store *st;
	struct key_rec k;
	const char *why;
	char err[512];
	long id = 0;

	if ((st = store_open(db, STORE_CREATE, err, sizeof(err))) == NULL ||
	    store_client_add(st, &id, "EHmo8FMxuhumBlTinC4uYL0Mgwg=") != 0 ||
	    id != 1 || import_parse_line(line, &k, &why) != IMPORT_KEY ||
	    store_keys_add(st, &k, 1, err, sizeof(err)) != 0)
		die("cannot make the database");
	store_close(st);
}

static void
setup(void)
{
	const char *tmp = getenv("TMPDIR");
	char l4[128], l6[128], *c4, *c6;
	FILE *f = NULL;
	sigset_t alrm, old;
	bool started;

	snprintf(dir, sizeof(dir), "%s/fuzz_http.XXXXXX",
	    tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		die("cannot make a directory");
	atexit(cleanup);
	/*
	 * libcrypto first, on this thread: OpenSSL 3.0 never frees the error
	 * state of a thread that runs its initialisation (here it would be
	 * the writer, on the first OTP it decrypts) when that thread exits.
	 */
	OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL);
	snprintf(db, sizeof(db), "%s/ykvald.db", dir);
	snprintf(ready, sizeof(ready), "%s/ready", dir);
	make_db();
	opts.db = db;
	opts.listen[0] = "127.0.0.1:0";
	opts.listen[1] = "[::1]:0";
	opts.nlisten = 2;
	opts.ready_file = ready;
	opts.max_conns = SERVE_DEFAULT_MAX_CONNS;
	opts.max_conns_per_ip = SERVE_DEFAULT_MAX_CONNS_PER_IP;
	opts.request_timeout = SERVE_DEFAULT_REQUEST_TIMEOUT;
	/* The server and every thread it starts block SIGALRM. */
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alrm, &old);
	started = pthread_create(&thread, NULL, server, NULL) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!started)
		die("cannot start the server thread");
	atexit(stop);	/* before cleanup, which was registered first */
	for (int i = 0; i < 500 && (f = fopen(ready, "r")) == NULL; i++)
		usleep(20000);
	/* One line per address, as given: "127.0.0.1:PORT", "[::1]:PORT" */
	if (f == NULL || fgets(l4, sizeof(l4), f) == NULL ||
	    fgets(l6, sizeof(l6), f) == NULL ||
	    (c4 = strrchr(l4, ':')) == NULL || (c6 = strrchr(l6, ':')) == NULL)
		die("the server did not start");
	fclose(f);
	addr4.sin_family = AF_INET;
	addr4.sin_port = htons((uint16_t)atoi(c4 + 1));
	addr4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr6.sin6_family = AF_INET6;
	addr6.sin6_port = htons((uint16_t)atoi(c6 + 1));
	addr6.sin6_addr = in6addr_loopback;
	nbase = nthreads();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint32_t conns;
	struct sockaddr_in from = { .sin_family = AF_INET };
	char buf[4096];
	size_t off = 0;
	bool v6 = size % 2 == 1;
	int fd;

	if (addr4.sin_port == 0)
		setup();
	/*
	 * The client shuts its side first, so it is the one to hold each
	 * connection's TIME_WAIT, for 60 s: more connections than one
	 * address has ports at this rate.  Each IPv4 connection comes from
	 * another address of 127/8; IPv6 has only ::1, whose ports the
	 * kernel takes back from TIME_WAIT after a second (loopback, with
	 * net.ipv4.tcp_tw_reuse at its default, 2).
	 */
	conns = conns % 0xfffffd + 1;
	from.sin_addr.s_addr = htonl(0x7f000000 | (conns + 1));
	if ((fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC,
	    0)) < 0 ||
	    (!v6 && bind(fd, (struct sockaddr *)&from, sizeof(from)) != 0))
		die_errno("cannot make a client socket");
	/* Interrupted, connect goes on without us: wait for its end. */
	if ((v6 ? connect(fd, (struct sockaddr *)&addr6, sizeof(addr6)) :
	    connect(fd, (struct sockaddr *)&addr4, sizeof(addr4))) != 0) {
		int err = errno;
		socklen_t len = sizeof(err);

		if (err != EINTR)
			die_errno("cannot connect to the server");
		if (wait_fd(fd, POLLOUT, 20000) != 1)
			die("not connected within 20 s");
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
			die_errno("getsockopt");
		if (err != 0) {
			errno = err;
			die_errno("cannot connect to the server");
		}
	}
	/* The server may answer and close before it has read it all. */
	while (off < size) {
		ssize_t n = send(fd, data + off, size - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	for (;;) {
		ssize_t n;

		/*
		 * A request not sent whole is cut after request_timeout
		 * (10 s); a verify may wait 5 s for a busy database twice
		 * (its reader, then the writer).  libFuzzer's -timeout is 25 s.
		 */
		if (wait_fd(fd, POLLIN, 20000) != 1)
			die("no answer within 20 s");
		if ((n = recv(fd, buf, sizeof(buf), 0)) < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
	}
	close(fd);
	quiesce();
	return 0;
}
