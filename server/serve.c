/* SPDX-License-Identifier: BSD-2-Clause */
/* serve.c - ykvald's HTTP front (libmicrohttpd) and its group committer */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <netdb.h>

#include <microhttpd.h>

#include "mono.h"
#include "metrics.h"
#include "serve.h"
#include "store.h"
#include "tls.h"
#include "verify.h"
#include "wipe.h"

#define MAX_BODY	8192	/* POST bodies; a real request needs < 300 */
#define MAX_BATCH	1024
#define LINGER_MIN	4	/* a busy writer waits for this many */
#define LINGER_US	200	/* verifications, at most this long */
#define BUSY_MS		5	/* busy: the last batch began this recently */
#define READER_POOL	16
#define CLIENT_SLOTS	256	/* clients a node remembers (direct-mapped) */
#define MAX_WRITERS	8	/* store_writers() is at most this */
#define MAX_POLLERS	4	/* libmicrohttpd threads per address */
#define REPLY_MAX	1024
#define SWEEP_MS	250	/* how often slow requests are looked for */
#define LOG_PER_SEC	20	/* libmicrohttpd lines a second, then a count */
#define HEALTH_MS	2000	/* /health answers within this */
#define STOP_MS		2000	/* answers being sent get this long at stop */
/* Descriptors besides the connections: stdio, listeners, libmicrohttpd's
 * epoll and wake-up fds, the writer's and every reader's database, WAL
 * and shm. */
#define FD_RESERVE	(32 + (3 + 2 * MAX_POLLERS) * SERVE_MAX_LISTEN + \
			    4 * (READER_POOL + MAX_WRITERS))

/* One per TCP connection, from accept to close. */
struct conn {
	struct conn	*prev, *next;
	int		fd;
	int		listen_fd;	/* the listening address */
	bool		v6;
	unsigned char	net[8];		/* IPv6: the client's /64 */
	struct timespec	deadline;	/* to have the whole request in */
	bool		answering;	/* it is in; the deadline is off */
	bool		cut;
};

/*
 * A verification waiting for its commit: either a thread waits on cv,
 * or (resume set) a suspended connection is resumed.
 */
struct pending {
	struct cas_item	*it;
	struct MHD_Connection *resume;
	bool		done;
	pthread_cond_t	cv;		/* signalled once done is set */
	struct pending	*next;
};

struct server;

/* One committer: a database handle and the thread that batches on it. */
struct writer {
	struct server	*s;
	struct store	*st;
	pthread_t	thread;
};

struct server {
	const char	*dbpath;
	const unsigned char *master;	/* seals the AES keys, or NULL */
	struct writer	writers[MAX_WRITERS];
	size_t		nwriters;	/* threads started */
	pthread_mutex_t	lock;
	pthread_cond_t	work;		/* the queue is not empty, or stop */
	struct pending	*head, **tail;
	bool		stop;
	/*
	 * Connections suspended until a commit or a thread of their own
	 * resumes them; libmicrohttpd stops only once there are none, and
	 * none is suspended once closing is set.
	 */
	unsigned long	suspended;
	bool		closing;
	pthread_cond_t	idle;		/* suspended is 0 */
	struct verify_backend be;
	pthread_mutex_t	pool_lock;
	pthread_cond_t	pool_free;	/* a reader went back to the pool */
	struct store	*pool[READER_POOL];
	size_t		npool;
	size_t		nreaders;	/* open, in the pool or in use */
	/*
	 * The clients read, when the backend confirms the client in every
	 * compare-and-set (store_confirms_client); id 0 marks a free slot.
	 */
	bool		remember;
	pthread_mutex_t	client_lock;
	struct client	*clients;	/* CLIENT_SLOTS, in secret memory */
	unsigned	request_timeout;	/* seconds */
	unsigned	max_conns_per_ip;
	unsigned long	refused;	/* over the limit for a /64 */
	pthread_mutex_t	conn_lock;
	pthread_cond_t	sweep_wake;	/* stop */
	struct conn	*conns;
	bool		sweep_stop;
	pthread_t	sweep_thread;
	struct health	*health;
	struct metrics	*metrics;
	struct ratelimit *ratelimit;	/* NULL: no limit */
	pthread_mutex_t	log_lock;
	time_t		log_sec;
	unsigned	log_n;
	unsigned long	log_dropped;
};

/* ---- group commit ---------------------------------------------------- */

/* Did the batch's transaction fail (every item a backend error)? */
static bool
batch_failed(struct cas_item **items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (items[i]->verdict != SV_BACKEND_ERROR)
			return false;
	return n > 0;
}

/* Resume n suspended connections, whose requests can go on. */
static void
resume_all(struct server *s, struct MHD_Connection **c, size_t n)
{
	if (n == 0)
		return;
	for (size_t i = 0; i < n; i++)
		MHD_resume_connection(c[i]);
	pthread_mutex_lock(&s->lock);
	s->suspended -= n;
	if (s->suspended == 0)
		pthread_cond_broadcast(&s->idle);
	pthread_mutex_unlock(&s->lock);
}

/* Add what is queued to the batch of n (up to MAX_BATCH): the new n. */
static size_t
take(struct server *s, struct pending **batch, struct cas_item **items,
    size_t n)
{
	for (; n < MAX_BATCH && s->head != NULL; n++) {
		batch[n] = s->head;
		items[n] = s->head->it;
		s->head = s->head->next;
	}
	if (s->head == NULL)
		s->tail = &s->head;
	return n;
}

/*
 * Group commit when batches come small and often (the load spread over
 * several nodes, say): a writer whose previous batch began less than
 * BUSY_MS ago waits up to LINGER_US for LINGER_MIN verifications, so
 * that one commit serves more of them and the database commits less
 * often for the same work.  At a lower rate nothing waits.  With s->lock
 * held; the new n.
 */
static size_t
linger(struct server *s, struct pending **batch, struct cas_item **items,
    size_t n, const struct timespec *prev)
{
	struct timespec until;

	if (n >= LINGER_MIN || prev->tv_sec == 0 ||
	    mono_ms_since(prev) >= BUSY_MS)
		return n;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until = mono_add_us(until, LINGER_US);
	while (n < LINGER_MIN && !s->stop) {
		if (s->head == NULL &&
		    pthread_cond_timedwait(&s->work, &s->lock, &until) != 0)
			break;
		n = take(s, batch, items, n);
	}
	return n;
}

/*
 * Each writer takes every verification waiting (up to MAX_BATCH) and
 * decides them in one transaction.  Both backends have one writer
 * (store_writers), so a batch waits for the previous one's commit; with
 * several, a batch could start while another waits for its commit.
 */
static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	struct server *s = w->s;
	struct cas_item *items[MAX_BATCH];
	struct pending *batch[MAX_BATCH];
	struct MHD_Connection *conns[MAX_BATCH];
	struct timespec prev = { 0, 0 };
	size_t n, m;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		while (s->head == NULL && !s->stop)
			pthread_cond_wait(&s->work, &s->lock);
		if (s->head == NULL)
			break;
		n = linger(s, batch, items, take(s, batch, items, 0), &prev);
		clock_gettime(CLOCK_MONOTONIC, &prev);
		pthread_mutex_unlock(&s->lock);
		store_cas_batch(w->st, items, n);
		metrics_batch(s->metrics, n, batch_failed(items, n));
		pthread_mutex_lock(&s->lock);
		/* Wake only this batch's waiters, each on its own. */
		m = 0;
		for (size_t i = 0; i < n; i++) {
			if (batch[i]->resume != NULL) {
				conns[m++] = batch[i]->resume;
				continue;
			}
			batch[i]->done = true;
			pthread_cond_signal(&batch[i]->cv);
		}
		pthread_mutex_unlock(&s->lock);
		resume_all(s, conns, m);
		pthread_mutex_lock(&s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* Queue one item and wait until the transaction deciding it committed. */
static void
backend_decide(void *arg, struct cas_item *it)
{
	struct server *s = arg;
	struct pending p = { .it = it };

	pthread_cond_init(&p.cv, NULL);
	pthread_mutex_lock(&s->lock);
	*s->tail = &p;
	s->tail = &p.next;
	pthread_cond_signal(&s->work);
	while (!p.done)
		pthread_cond_wait(&p.cv, &s->lock);
	pthread_mutex_unlock(&s->lock);
	pthread_cond_destroy(&p.cv);
}

/* ---- readers --------------------------------------------------------- */

/*
 * At most READER_POOL readers are ever open: a request waits for one
 * rather than open the database again, so that the descriptors ykvald
 * needs do not grow with the number of connections.
 */
static struct store *
reader_get(struct server *s)
{
	struct store *st = NULL;
	char err[256];

	pthread_mutex_lock(&s->pool_lock);
	while (s->npool == 0 && s->nreaders == READER_POOL)
		pthread_cond_wait(&s->pool_free, &s->pool_lock);
	if (s->npool > 0) {
		st = s->pool[--s->npool];
		pthread_mutex_unlock(&s->pool_lock);
		return st;
	}
	s->nreaders++;
	pthread_mutex_unlock(&s->pool_lock);
	st = store_open(s->dbpath, STORE_EXISTING, err, sizeof(err));
	if (st != NULL && s->master != NULL)
		store_use_master(st, s->master);
	if (st == NULL) {
		fprintf(stderr, "ykvald: %s\n", err);
		pthread_mutex_lock(&s->pool_lock);
		s->nreaders--;
		pthread_cond_signal(&s->pool_free);
		pthread_mutex_unlock(&s->pool_lock);
	}
	return st;
}

/* A reader open and idle, or NULL (without waiting or opening one). */
static struct store *
reader_idle(struct server *s)
{
	struct store *st = NULL;

	pthread_mutex_lock(&s->pool_lock);
	if (s->npool > 0)
		st = s->pool[--s->npool];
	pthread_mutex_unlock(&s->pool_lock);
	return st;
}

static void
reader_put(struct server *s, struct store *st)
{
	pthread_mutex_lock(&s->pool_lock);
	s->pool[s->npool++] = st;	/* npool <= nreaders <= READER_POOL */
	pthread_cond_signal(&s->pool_free);
	pthread_mutex_unlock(&s->pool_lock);
}

/* The client id, when the node remembers it: true, and it is in *out. */
static bool
remembered(struct server *s, long id, struct client *out)
{
	struct client *slot = &s->clients[(unsigned long)id % CLIENT_SLOTS];
	bool found;

	pthread_mutex_lock(&s->client_lock);
	if ((found = slot->id == id))
		*out = *slot;
	pthread_mutex_unlock(&s->client_lock);
	return found;
}

/* The client from reader st, which goes back to the pool. */
static int
client_read(struct server *s, struct store *st, long id, struct client *out)
{
	int r = store_client_get(st, id, out);

	reader_put(s, st);
	if (r < 0)
		metrics_db_error(s->metrics);
	return r;
}

/*
 * A client as read, unless the node remembers it and fresh is false.
 * What is read replaces what was remembered (a client gone is
 * forgotten); nothing is remembered when the database cannot answer.
 */
static int
backend_client_get(void *arg, long id, bool fresh, struct client *out,
    bool *cached)
{
	struct server *s = arg;
	struct client *slot = &s->clients[(unsigned long)id % CLIENT_SLOTS];
	struct store *st;
	int r;

	*cached = s->remember && !fresh && remembered(s, id, out);
	if (*cached)
		return 1;
	if ((st = reader_get(s)) == NULL) {
		metrics_db_error(s->metrics);
		return -1;
	}
	r = client_read(s, st, id, out);
	if (s->remember && r >= 0) {
		pthread_mutex_lock(&s->client_lock);
		if (r == 1)
			*slot = *out;
		else if (slot->id == id)
			explicit_bzero(slot, sizeof(*slot));
		pthread_mutex_unlock(&s->client_lock);
	}
	return r;
}

/*
 * A client without waiting for the database: one the node remembers, or
 * one read from the local SQLite file with a reader already open and
 * idle (a WAL reader is not held up by the writer).  Else
 * VERIFY_WOULD_WAIT: the request goes on in a thread of its own.
 */
static int
backend_client_peek(void *arg, long id, struct client *out, bool *cached)
{
	struct server *s = arg;
	struct store *st;

	if (!s->remember) {
		*cached = false;
		if ((st = reader_idle(s)) == NULL)
			return VERIFY_WOULD_WAIT;
		return client_read(s, st, id, out);
	}
	*cached = remembered(s, id, out);
	return *cached ? 1 : VERIFY_WOULD_WAIT;
}

/* ---- health ---------------------------------------------------------- */

/*
 * One check of the database runs at a time, in its own thread; every
 * /health request waits for the next result, at most HEALTH_MS.  SQLite
 * may take about 10 s to give up on a locked database, and a request
 * must not wait (and the checker hold its answer) that long.
 */
struct health {
	pthread_mutex_t	lock;
	pthread_cond_t	done;		/* CLOCK_MONOTONIC; gen moved on */
	pthread_t	thread;
	bool		running, joinable;
	unsigned long	gen;		/* checks finished */
	int		result;
	char		err[256];
	const char	*dbpath;
};

static void *
health_main(void *arg)
{
	struct health *h = arg;
	char err[sizeof(h->err)];
	int r = store_check(h->dbpath, HEALTH_MS, err, sizeof(err));

	pthread_mutex_lock(&h->lock);
	h->result = r;
	memcpy(h->err, err, sizeof(err));
	h->gen++;
	h->running = false;
	pthread_cond_broadcast(&h->done);
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/* 0 healthy, or -1 with why in err. */
static int
health_check(struct health *h, char *err, size_t errlen)
{
	struct timespec t;
	unsigned long want;
	int r = -1;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += HEALTH_MS / 1000;
	pthread_mutex_lock(&h->lock);
	want = h->gen + 1;	/* the check running, or one started now */
	if (!h->running) {
		if (h->joinable)
			pthread_join(h->thread, NULL);	/* it has ended */
		h->joinable = false;
		if (pthread_create(&h->thread, NULL, health_main, h) != 0) {
			snprintf(err, errlen, "%s", "cannot start a check");
			goto out;
		}
		h->running = h->joinable = true;
	}
	while (h->gen < want)
		if (pthread_cond_timedwait(&h->done, &h->lock, &t) != 0)
			break;
	if (h->gen < want) {
		snprintf(err, errlen, "no answer from the database within %d ms",
		    HEALTH_MS);
		goto out;
	}
	r = h->result;
	snprintf(err, errlen, "%s", h->err);
out:
	pthread_mutex_unlock(&h->lock);
	return r;
}

static struct health *
health_new(const char *dbpath)
{
	struct health *h = calloc(1, sizeof(*h));
	pthread_condattr_t ca;

	if (h == NULL)
		return NULL;
	h->dbpath = dbpath;
	pthread_mutex_init(&h->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->done, &ca);
	pthread_condattr_destroy(&ca);
	return h;
}

/* After the daemons stopped: wait for a check still running. */
static void
health_free(struct health *h)
{
	if (h == NULL)
		return;
	if (h->joinable)
		pthread_join(h->thread, NULL);
	pthread_mutex_destroy(&h->lock);
	pthread_cond_destroy(&h->done);
	free(h);
}

/* ---- slow clients ---------------------------------------------------- */

static void
deadline_from_now(const struct server *s, struct timespec *t)
{
	clock_gettime(CLOCK_MONOTONIC, t);
	t->tv_sec += s->request_timeout;
}

static bool
passed(const struct timespec *now, const struct timespec *t)
{
	return now->tv_sec > t->tv_sec ||
	    (now->tv_sec == t->tv_sec && now->tv_nsec >= t->tv_nsec);
}

/* Which listening address, and for IPv6 which /64, a connection is from. */
static void
conn_where(struct MHD_Connection *c, struct conn *k)
{
	const union MHD_ConnectionInfo *ci;
	const union MHD_DaemonInfo *di = NULL;
	const struct sockaddr_in6 *a;

	/* The daemon is the polling thread's: all share the socket. */
	k->listen_fd = -1;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_DAEMON);
	if (ci != NULL)
		di = MHD_get_daemon_info(ci->daemon, MHD_DAEMON_INFO_LISTEN_FD);
	if (di != NULL)
		k->listen_fd = di->listen_fd;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || ci->client_addr == NULL ||
	    ci->client_addr->sa_family != AF_INET6)
		return;
	a = (const struct sockaddr_in6 *)(const void *)ci->client_addr;
	k->v6 = true;
	memcpy(k->net, &a->sin6_addr, sizeof(k->net));
}

/*
 * libmicrohttpd counts connections per whole address, but an IPv6 host
 * commonly has a /64 of them: the per-address limit applies to the /64.
 * Connections already cut do not count.  Called with conn_lock held.
 */
static unsigned
net_count(const struct server *s, const struct conn *k)
{
	unsigned n = 0;

	for (const struct conn *o = s->conns; o != NULL; o = o->next)
		if (o->v6 && !o->cut && o->listen_fd == k->listen_fd &&
		    memcmp(o->net, k->net, sizeof(o->net)) == 0)
			n++;
	return n;
}

/*
 * libmicrohttpd's connection timeout is an idle timeout: a client that
 * sends a byte now and then holds its connection (a slot under
 * --max-connections) for ever.  Every connection is tracked from accept
 * to close instead, and one that has not sent its whole request by its
 * deadline is shut down by the sweeper; libmicrohttpd then reads the end
 * of the stream and closes it.  The deadline starts at accept and again
 * after each answer, and is off while a request is being answered.
 */
static void
conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	struct server *s = cls;
	struct conn *k = *socket_context;
	const union MHD_ConnectionInfo *ci;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (k == NULL)
			return;
		pthread_mutex_lock(&s->conn_lock);
		if (k->prev != NULL)
			k->prev->next = k->next;
		else
			s->conns = k->next;
		if (k->next != NULL)
			k->next->prev = k->prev;
		pthread_mutex_unlock(&s->conn_lock);
		free(k);
		*socket_context = NULL;
		return;
	}
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL)
		return;		/* cannot happen; its idle timeout still holds */
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		shutdown(ci->connect_fd, SHUT_RDWR);	/* not untracked */
		return;
	}
	k->fd = ci->connect_fd;
	conn_where(c, k);
	deadline_from_now(s, &k->deadline);
	pthread_mutex_lock(&s->conn_lock);
	if (k->v6 && net_count(s, k) >= s->max_conns_per_ip) {
		shutdown(k->fd, SHUT_RDWR);
		k->cut = true;
		s->refused++;
	}
	k->next = s->conns;
	if (s->conns != NULL)
		s->conns->prev = k;
	s->conns = k;
	pthread_mutex_unlock(&s->conn_lock);
	*socket_context = k;
}

/* The request is in (on), or its answer is out (off). */
static void
conn_answering(struct server *s, struct MHD_Connection *c, bool on)
{
	const union MHD_ConnectionInfo *ci;
	struct conn *k;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ci == NULL || (k = ci->socket_context) == NULL)
		return;
	pthread_mutex_lock(&s->conn_lock);
	k->answering = on;
	if (!on)
		deadline_from_now(s, &k->deadline);
	pthread_mutex_unlock(&s->conn_lock);
}

/*
 * libmicrohttpd logs a line for every connection it refuses; a client
 * that connects in a loop must not flood the log.  Called with log_lock
 * held, by mhd_log and by the sweeper, so that the count of the lines
 * left out is logged also when no more come.
 */
static void
log_new_second(struct server *s, time_t sec)
{
	if (sec == s->log_sec)
		return;
	if (s->log_dropped > 0)
		fprintf(stderr, "ykvald: %lu more libmicrohttpd messages not "
		    "logged\n", s->log_dropped);
	s->log_sec = sec;
	s->log_n = 0;
	s->log_dropped = 0;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct server *s = cls;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&s->log_lock);
	log_new_second(s, now.tv_sec);
	if (s->log_n < LOG_PER_SEC) {
		s->log_n++;
		fputs("ykvald: ", stderr);
		vfprintf(stderr, fmt, ap);
	} else {
		s->log_dropped++;
	}
	pthread_mutex_unlock(&s->log_lock);
}

static void *
sweep_main(void *arg)
{
	struct server *s = arg;
	struct timespec now, wake;
	unsigned long cut = 0, refused;
	time_t logged = 0;

	pthread_mutex_lock(&s->conn_lock);
	while (!s->sweep_stop) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		for (struct conn *k = s->conns; k != NULL; k = k->next) {
			if (k->answering || k->cut || !passed(&now, &k->deadline))
				continue;
			/* The fd stays open until CLOSED, which takes the lock. */
			shutdown(k->fd, SHUT_RDWR);
			k->cut = true;
			cut++;
		}
		if ((cut > 0 || s->refused > 0) && now.tv_sec != logged) {
			refused = s->refused;
			s->refused = 0;
			pthread_mutex_unlock(&s->conn_lock);
			if (cut > 0)
				fprintf(stderr, "ykvald: closed %lu connections "
				    "that had not sent a whole request within "
				    "%u s\n", cut, s->request_timeout);
			if (refused > 0)
				fprintf(stderr, "ykvald: refused %lu connections "
				    "over %u from one IPv6 /64\n", refused,
				    s->max_conns_per_ip);
			pthread_mutex_lock(&s->conn_lock);
			cut = 0;
			logged = now.tv_sec;
		}
		if (pthread_mutex_trylock(&s->log_lock) == 0) {
			log_new_second(s, now.tv_sec);
			pthread_mutex_unlock(&s->log_lock);
		}
		wake = mono_add(now, SWEEP_MS);
		pthread_cond_timedwait(&s->sweep_wake, &s->conn_lock, &wake);
	}
	pthread_mutex_unlock(&s->conn_lock);
	return NULL;
}


/* ---- HTTP ------------------------------------------------------------ */

struct request {
	struct yk_params		params;
	struct MHD_PostProcessor	*pp;
	size_t				body;
	size_t				nparams;	/* repeats count too */
	bool				started;	/* headers seen */
	bool				too_big;	/* body or parameters */
	struct timespec			start;
	/*
	 * Once the request is in: the verification, or the health check,
	 * goes on while its connection is suspended, and is answered when
	 * libmicrohttpd calls again after the resume.
	 */
	bool				begun;
	struct verify_job		job;
	struct verify_result		res;
	struct pending			pend;	/* in the writers' queue */
	struct server			*s;	/* for its own thread */
	struct MHD_Connection		*c;
	bool				health;	/* the thread checks health */
	bool				no_thread;	/* none could start */
	int				health_r;
	char				health_err[512];
};

/* The client's address, numeric, for the log: "-" when unknown. */
static const char *
client_addr(struct MHD_Connection *c, char *buf, size_t len)
{
	const union MHD_ConnectionInfo *ci;
	socklen_t sl;

	snprintf(buf, len, "-");
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || ci->client_addr == NULL)
		return buf;
	sl = ci->client_addr->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	if (getnameinfo(ci->client_addr, sl, buf, (socklen_t)len, NULL, 0,
	    NI_NUMERICHOST) != 0)
		snprintf(buf, len, "-");
	return buf;
}

/* hdr/val: one extra response header, or NULL. */
static enum MHD_Result
reply_hdr(struct MHD_Connection *c, unsigned code, const char *body,
    size_t len, const char *hdr, const char *val)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)body,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
	if (hdr != NULL)
		MHD_add_response_header(r, hdr, val);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned code, const char *body, size_t len)
{
	return reply_hdr(c, code, body, len, NULL, NULL);
}

/*
 * Called with the raw request target, before libmicrohttpd splits the
 * query.  It stores every argument in the connection's memory pool, and a
 * few thousand short ones ("a&a&a...") exhaust it, after which it closes
 * the connection without an answer.  A request may hold YK_PARAMS_MAX
 * parameters; the query is cut after that many, in libmicrohttpd's own
 * buffer (which it hands us before parsing it), so that the request is
 * still answered: 413.
 */
static void *
request_start(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct request *rq = calloc(1, sizeof(*rq));
	char *p = strchr(uri, '?');
	size_t n = 0;

	if (rq == NULL)
		return NULL;
	rq->health_r = -1;
	clock_gettime(CLOCK_MONOTONIC, &rq->start);
	while (p != NULL && (p = strchr(p + 1, '&')) != NULL) {
		if (++n == YK_PARAMS_MAX) {
			*p = '\0';
			rq->too_big = true;
			break;
		}
	}
	return rq;
}

struct framing {
	unsigned	ncl, nte;
	const char	*cl;
	bool		cl_differ, te_other, bad_name;
};

/* RFC 9110, 5.6.2: a field name is a token. */
static bool
is_token(const char *s)
{
	static const char tchar[] = "!#$%&'*+-.^_`|~0123456789"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

	return s[0] != '\0' && s[strspn(s, tchar)] == '\0';
}

static enum MHD_Result
framing_header(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct framing *f = cls;

	value = value ? value : "";
	if (!is_token(key))
		f->bad_name = true;
	else if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		if (f->cl != NULL && strcmp(f->cl, value) != 0)
			f->cl_differ = true;
		f->cl = value;
		f->ncl++;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		if (strcasecmp(value, "chunked") != 0)
			f->te_other = true;
		f->nte++;
	}
	return MHD_YES;
}

/*
 * RFC 9112, 6.1 and 6.3: a request whose body length is ambiguous is
 * answered 400 and the connection closed, never read one way here and
 * another way by a proxy in front.  libmicrohttpd 0.9.75 reads the first
 * Content-Length only, prefers Transfer-Encoding over it, and reads a
 * body of another coding until the client closes.  It also keeps
 * "Content-Length : 5" (RFC 9112, 5.1: 400) as a header named
 * "Content-Length ", and glues a folded line (5.2) onto the name before
 * it: a name that is not a token is refused too.  NULL when fine.
 */
static const char *
framing_error(struct MHD_Connection *c, const char *version)
{
	struct framing f = { 0 };

	MHD_get_connection_values(c, MHD_HEADER_KIND, framing_header, &f);
	if (f.bad_name)
		return "a header name that is not a token";
	if (f.nte > 0 && f.ncl > 0)
		return "both Content-Length and Transfer-Encoding";
	if (f.cl_differ)
		return "Content-Length given twice, differently";
	if (f.nte > 1 || f.te_other)
		return "a Transfer-Encoding other than chunked";
	if (f.nte > 0 && strcmp(version, MHD_HTTP_VERSION_1_0) == 0)
		return "Transfer-Encoding in HTTP/1.0";
	return NULL;
}

static enum MHD_Result
get_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct request *rq = cls;

	if (++rq->nparams > YK_PARAMS_MAX ||
	    params_set(&rq->params, key, value ? value : "") != 0)
		rq->too_big = true;
	return MHD_YES;
}

/* A value may arrive in pieces; off says where this one goes. */
static enum MHD_Result
post_arg(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *filename, const char *content_type,
    const char *transfer_encoding, const char *data, uint64_t off, size_t size)
{
	struct request *rq = cls;
	const char *old = params_get(&rq->params, key);
	size_t oldlen = off > 0 && old != NULL ? strlen(old) : 0;
	char *v;

	if (off == 0 && ++rq->nparams > YK_PARAMS_MAX) {
		rq->too_big = true;
		return MHD_YES;
	}
	if ((v = malloc(oldlen + size + 1)) == NULL) {
		rq->too_big = true;
		return MHD_NO;
	}
	memcpy(v, old ? old : "", oldlen);
	memcpy(v + oldlen, data, size);
	v[oldlen + size] = '\0';
	if (params_set(&rq->params, key, v) != 0)
		rq->too_big = true;
	free(v);
	return MHD_YES;
}

/*
 * --rate-limit: a client id over its rate gets 429, which clients take
 * as no answer (never a verdict), before anything is decided.
 */
static bool
over_limit(struct server *s, struct MHD_Connection *c, struct request *rq)
{
	const char *v;
	char addr[INET6_ADDRSTRLEN];
	struct timespec now;
	long id;

	if (s->ratelimit == NULL)
		return false;
	v = params_get(&rq->params, "id");
	id = v != NULL ? strtol(v, NULL, 10) : 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (ratelimit_take(s->ratelimit, id, &now))
		return false;
	metrics_limited(s->metrics);
	fprintf(stderr, "ykvald: verify client=%ld status=RATE_LIMITED addr=%s\n",
	    id, client_addr(c, addr, sizeof(addr)));
	return true;
}

/* ---- requests that wait ------------------------------------------------ */

/*
 * Suspend c, from its handler, unless ykvald is stopping; true when
 * suspended.  Called with s->lock held.
 */
static bool
suspend_locked(struct server *s, struct MHD_Connection *c)
{
	if (s->closing)
		return false;
	s->suspended++;
	MHD_suspend_connection(c);
	return true;
}

/*
 * Queue the request's item for the writers: its connection is resumed
 * once the transaction that decides it committed.  false when stopping.
 */
static bool
decide_later(struct server *s, struct MHD_Connection *c, struct request *rq)
{
	bool ok;

	pthread_mutex_lock(&s->lock);
	if ((ok = suspend_locked(s, c))) {
		memset(&rq->pend, 0, sizeof(rq->pend));
		rq->pend.it = &rq->job.it;
		rq->pend.resume = c;
		*s->tail = &rq->pend;
		s->tail = &rq->pend.next;
		pthread_cond_signal(&s->work);
	}
	pthread_mutex_unlock(&s->lock);
	return ok;
}

static void *
wait_main(void *arg)
{
	struct request *rq = arg;
	struct server *s = rq->s;
	struct MHD_Connection *c = rq->c;

	if (rq->health)
		rq->health_r = health_check(s->health, rq->health_err,
		    sizeof(rq->health_err));
	else
		while (verify_step(&rq->job, &rq->params, &s->be, true) ==
		    VERIFY_DECIDE)
			backend_decide(s, &rq->job.it);
	resume_all(s, &c, 1);
	return NULL;
}

/*
 * Go on in a thread of its own, with the connection suspended: what may
 * wait for the database (a client the node does not remember, /health)
 * must not hold up the other connections of libmicrohttpd's thread.
 * Such requests are few, and each connection has one at a time.  When no
 * thread can be started, the connection is resumed at once (and
 * answered 503: waiting here would hold up the others).  false when
 * stopping.
 */
static bool
wait_later(struct server *s, struct MHD_Connection *c, struct request *rq,
    bool health)
{
	pthread_attr_t a;
	pthread_t t;
	bool ok;
	int r = -1;

	pthread_mutex_lock(&s->lock);
	ok = suspend_locked(s, c);
	pthread_mutex_unlock(&s->lock);
	if (!ok)
		return false;
	rq->s = s;
	rq->c = c;
	rq->health = health;
	if (pthread_attr_init(&a) == 0) {
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		r = pthread_create(&t, &a, wait_main, rq);
		pthread_attr_destroy(&a);
	}
	if (r != 0) {
		fprintf(stderr, "ykvald: cannot start a thread: %s\n",
		    strerror(r));
		snprintf(rq->health_err, sizeof(rq->health_err), "%s",
		    "cannot start a thread");
		rq->no_thread = true;
		resume_all(s, &c, 1);
	}
	return true;
}

/* Prometheus text: verifications, latency, batches, errors, connections. */
static enum MHD_Result
serve_metrics(struct server *s, struct MHD_Connection *c)
{
	char buf[8192];
	unsigned long http = 0, db;
	int n;

	pthread_mutex_lock(&s->conn_lock);
	for (const struct conn *k = s->conns; k != NULL; k = k->next)
		http += !k->cut;
	pthread_mutex_unlock(&s->conn_lock);
	pthread_mutex_lock(&s->pool_lock);
	db = (unsigned long)s->nreaders + s->nwriters;
	pthread_mutex_unlock(&s->pool_lock);
	if ((n = metrics_format(s->metrics, http, db, buf, sizeof(buf))) < 0)
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "", 0);
	return reply(c, MHD_HTTP_OK, buf, (size_t)n);
}

/* 503: ykvald is stopping, or cannot start a thread for the request. */
static enum MHD_Result
reply_unavailable(struct MHD_Connection *c)
{
	return reply_hdr(c, MHD_HTTP_SERVICE_UNAVAILABLE, "", 0,
	    MHD_HTTP_HEADER_CONNECTION, "close");
}

/*
 * Called again after every resume: the job goes on from where it was,
 * and is answered once done.
 */
static enum MHD_Result
serve_verify(struct server *s, struct MHD_Connection *c, struct request *rq,
    bool get)
{
	struct verify_result *res = &rq->res;
	struct timespec now;
	char body[REPLY_MAX], addr[INET6_ADDRSTRLEN];
	int n;
	enum MHD_Result ret;

	if (!rq->begun) {
		rq->begun = true;
		/* As in YK-VAL, a POST's form replaces the query string. */
		if (get)
			MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND,
			    get_arg, rq);
		if (rq->too_big)
			return reply(c, MHD_HTTP_CONTENT_TOO_LARGE, "", 0);
		if (over_limit(s, c, rq))
			return reply_hdr(c, MHD_HTTP_TOO_MANY_REQUESTS, "", 0,
			    MHD_HTTP_HEADER_RETRY_AFTER, "1");
		verify_begin(&rq->job, &rq->params, res);
	}
	if (rq->no_thread)
		return reply_unavailable(c);
	switch (verify_step(&rq->job, &rq->params, &s->be, false)) {
	case VERIFY_DECIDE:
		return decide_later(s, c, rq) ? MHD_YES : reply_unavailable(c);
	case VERIFY_WAIT:
		return wait_later(s, c, rq, false) ? MHD_YES :
		    reply_unavailable(c);
	case VERIFY_DONE:
		break;
	}
	metrics_verify(s->metrics, res->status,
	    mono_ms_since(&rq->start) / 1e3);
	clock_gettime(CLOCK_REALTIME, &now);
	n = verify_reply(res, &now, body, sizeof(body));
	fprintf(stderr, "ykvald: verify client=%ld public_id=%s status=%s "
	    "latency_ms=%.2f addr=%s%s%s\n", res->client_id,
	    res->public_id[0] ? res->public_id : "-",
	    ykv_status_name(res->status),
	    mono_ms_since(&rq->start), client_addr(c, addr, sizeof(addr)),
	    res->why ? " reason=" : "",
	    res->why ? res->why : "");
	verify_job_clear(&rq->job);
	verify_result_clear(res);
	if (n < 0)
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "", 0);
	ret = reply(c, MHD_HTTP_OK, body, (size_t)n);
	explicit_bzero(body, sizeof(body));
	return ret;
}

/*
 * Healthy means the database answers: a fresh connection (no cached
 * pages) reads its schema version and both tables (store_check).  One
 * check at a time, so that polling cannot open many connections.
 */
static enum MHD_Result
serve_health(struct server *s, struct MHD_Connection *c, struct request *rq)
{
	char addr[INET6_ADDRSTRLEN];

	if (!rq->begun) {
		rq->begun = true;
		if (wait_later(s, c, rq, true))
			return MHD_YES;
		snprintf(rq->health_err, sizeof(rq->health_err), "%s",
		    "ykvald is stopping");
	}
	if (rq->health_r == 0)
		return reply(c, MHD_HTTP_OK, "OK\n", 3);
	fprintf(stderr, "ykvald: health addr=%s status=UNAVAILABLE reason=%s\n",
	    client_addr(c, addr, sizeof(addr)), rq->health_err);
	return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, "UNAVAILABLE\n", 12);
}

/* The headers are in: check the framing, prepare for a body. */
static enum MHD_Result
request_headers(struct MHD_Connection *c, struct request *rq,
    const char *version, bool post_verify)
{
	const char *why, *cl;
	char addr[INET6_ADDRSTRLEN];

	rq->started = true;
	if ((why = framing_error(c, version)) != NULL) {
		fprintf(stderr, "ykvald: bad request addr=%s: %s\n",
		    client_addr(c, addr, sizeof(addr)), why);
		/* Answered before the body: libmicrohttpd then closes. */
		return reply_hdr(c, MHD_HTTP_BAD_REQUEST, "", 0,
		    MHD_HTTP_HEADER_CONNECTION, "close");
	}
	/* libmicrohttpd checked that it is all digits. */
	cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL && strtoull(cl, NULL, 10) > MAX_BODY)
		return reply_hdr(c, MHD_HTTP_CONTENT_TOO_LARGE, "", 0,
		    MHD_HTTP_HEADER_CONNECTION, "close");
	if (post_verify)
		rq->pp = MHD_create_post_processor(c, 1024, post_arg, rq);
	return MHD_YES;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct server *s = cls;
	struct request *rq = *con_cls;
	bool get = strcmp(method, "GET") == 0;
	bool head = strcmp(method, "HEAD") == 0;
	bool post = strcmp(method, "POST") == 0;
	bool verify = strcmp(url, "/wsapi/2.0/verify") == 0;

	if (rq == NULL) {
		if ((rq = request_start(s, "", c)) == NULL)
			return MHD_NO;
		*con_cls = rq;
	}
	if (!rq->started)
		return request_headers(c, rq, version, post && verify);
	if (*upload_size != 0) {
		rq->body += *upload_size;
		if (rq->body > MAX_BODY)
			rq->too_big = true;
		else if (rq->pp != NULL &&
		    MHD_post_process(rq->pp, upload, *upload_size) != MHD_YES)
			rq->too_big = true;
		*upload_size = 0;
		return MHD_YES;
	}
	conn_answering(s, c, true);
	if (!get && !head && !post)
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "", 0);
	if (strcmp(url, "/health") == 0 && !post)
		return serve_health(s, c, rq);
	if (strcmp(url, "/metrics") == 0 && !post)
		return serve_metrics(s, c);
	if (!verify)
		return reply(c, MHD_HTTP_NOT_FOUND, "", 0);
	/* Every verify spends the OTP: HEAD is not one (RFC 9110, 9.3.2). */
	if (head)
		return reply_hdr(c, MHD_HTTP_METHOD_NOT_ALLOWED, "", 0,
		    MHD_HTTP_HEADER_ALLOW, "GET, POST");
	return serve_verify(s, c, rq, get);
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct server *s = cls;
	struct request *rq = *con_cls;

	conn_answering(s, c, false);
	if (rq == NULL)
		return;
	if (rq->pp != NULL)
		MHD_destroy_post_processor(rq->pp);
	params_free(&rq->params);
	verify_job_clear(&rq->job);
	verify_result_clear(&rq->res);
	free(rq);
	*con_cls = NULL;
}

/* ---- start-up -------------------------------------------------------- */

/* host (an address of family af) and port into ss: 0, or -1. */
static int
fill_addr(struct sockaddr_storage *ss, socklen_t *sl, int af,
    const char *host, long port)
{
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	void *addr;

	ss->ss_family = (sa_family_t)af;
	if (af == AF_INET6) {
		a6->sin6_port = htons((uint16_t)port);
		addr = &a6->sin6_addr;
		*sl = sizeof(*a6);
	} else {
		a4->sin_port = htons((uint16_t)port);
		addr = &a4->sin_addr;
		*sl = sizeof(*a4);
	}
	return inet_pton(af, host, addr) == 1 ? 0 : -1;
}

/* "127.0.0.1:8000", "[::1]:8000"; port 0 picks a free port. */
static int
bind_addr(const char *spec, char *bound, size_t boundlen)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	char host[64];
	const char *colon = strrchr(spec, ':');
	char *end;
	long port;
	size_t hostlen;
	int fd = -1, one = 1;
	bool v6 = spec[0] == '[';

	if (colon == NULL || (size_t)(colon - spec) >= sizeof(host))
		goto bad;
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || port < 0 || port > 65535)
		goto bad;
	if (v6 && (colon - spec < 2 || colon[-1] != ']'))
		goto bad;
	/* The address, without the brackets of an IPv6 one. */
	hostlen = (size_t)(colon - spec) - (v6 ? 2 : 0);
	memcpy(host, spec + (v6 ? 1 : 0), hostlen);
	host[hostlen] = '\0';
	if (fill_addr(&ss, &sl, v6 ? AF_INET6 : AF_INET, host, port) != 0)
		goto bad;
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
	    sizeof(one)) != 0) ||
	    bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 1024) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
		fprintf(stderr, "ykvald: cannot listen on %s: %s\n", spec,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	snprintf(bound, boundlen, v6 ? "[%s]:%ld" : "%s:%ld", host, port);
	return fd;
bad:
	fprintf(stderr, "ykvald: bad listen address '%s': expected ADDR:PORT "
	    "or [ADDR6]:PORT\n", spec);
	return -1;
}

/* Polling threads an address: one a CPU ykvald may run on, 1 to 4. */
static unsigned
pollers_wanted(void)
{
	cpu_set_t set;
	int n;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 1;
	n = CPU_COUNT(&set);
	return n < 1 ? 1 : n > MAX_POLLERS ? MAX_POLLERS : (unsigned)n;
}

static struct MHD_Daemon *
start_daemon(struct server *s, const struct serve_opts *o, int fd, bool v6,
    bool tls)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	unsigned pollers = pollers_wanted();
	/* libmicrohttpd warns of a pool of one: none then. */
	struct MHD_OptionItem pool[] = {
		{ pollers > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END,
		    (intptr_t)pollers, NULL },
		{ MHD_OPTION_END, 0, NULL },
	};

	if (v6)
		flags |= MHD_USE_IPv6;
	if (tls)
		flags |= MHD_USE_TLS;
	/*
	 * A few threads poll every connection; a request that waits for its
	 * commit holds no thread (its connection is suspended).
	 */
	return MHD_start_daemon(flags, 0, NULL, NULL, handle, s,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
	    MHD_OPTION_ARRAY, pool,
	    MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
	    MHD_OPTION_CONNECTION_LIMIT, o->max_conns,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, o->max_conns_per_ip,
	    MHD_OPTION_CONNECTION_TIMEOUT, o->request_timeout,
	    MHD_OPTION_NOTIFY_CONNECTION, conn_notify, s,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, s,
	    MHD_OPTION_URI_LOG_CALLBACK, request_start, s,
	    /* Each handshake asks for the current certificate and key. */
	    tls ? MHD_OPTION_HTTPS_CERT_CALLBACK : MHD_OPTION_END, tls_pick,
	    MHD_OPTION_END);
}

/*
 * Every connection is a descriptor: make sure the connection limits fit
 * under RLIMIT_NOFILE, raising the soft limit if need be.  Otherwise
 * accept() fails under load and the daemon stops accepting for everyone.
 */
static int
fit_nofile(const struct serve_opts *o)
{
	rlim_t need = (rlim_t)o->nlisten * o->max_conns + FD_RESERVE;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		fprintf(stderr, "ykvald: getrlimit: %s\n", strerror(errno));
		return -1;
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		fprintf(stderr, "ykvald: --max-connections %u on %zu addresses "
		    "needs %llu open files, the limit is %llu: lower it or "
		    "raise the limit (LimitNOFILE=)\n", o->max_conns,
		    o->nlisten, (unsigned long long)need,
		    (unsigned long long)rl.rlim_max);
		return -1;
	}
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		fprintf(stderr, "ykvald: setrlimit: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static int
write_ready(const char *path, char bound[][80], size_t n)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "we")) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\n", bound[i]);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		return -1;
	return 0;
}

/* SIGHUP: re-read the certificate and key; on an error keep the old. */
static void
reload(const struct serve_opts *o)
{
	char err[512];

	if (o->tls_cert == NULL)
		fprintf(stderr, "ykvald: SIGHUP: no TLS certificate to "
		    "re-read\n");
	else if (tls_load(o->tls_cert, o->tls_key, err, sizeof(err)) != 0)
		fprintf(stderr, "ykvald: SIGHUP: keeping the TLS certificate "
		    "in use: %s\n", err);
	else
		fprintf(stderr, "ykvald: SIGHUP: re-read the TLS certificate "
		    "%s and key %s\n", o->tls_cert, o->tls_key);
}

/* SIGHUP reloads, SIGINT and SIGTERM end it; 0, or -1 on an error. */
static int
wait_signals(const struct serve_opts *o, const sigset_t *sigs)
{
	int sig;

	for (;;) {
		if (sigwait(sigs, &sig) != 0)
			return -1;
		if (sig != SIGHUP)
			break;
		reload(o);
	}
	fprintf(stderr, "ykvald: %s, stopping\n", strsignal(sig));
	return 0;
}

/* Block the signals wait_signals takes, in this thread and those to come. */
static void
block_signals(sigset_t *sigs)
{
	sigemptyset(sigs);
	sigaddset(sigs, SIGINT);
	sigaddset(sigs, SIGTERM);
	sigaddset(sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* The server's locks, conditions and queue, before any thread starts. */
static void
server_init(struct server *s)
{
	pthread_condattr_t ca;

	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->pool_lock, NULL);
	pthread_mutex_init(&s->client_lock, NULL);
	pthread_cond_init(&s->pool_free, NULL);
	pthread_cond_init(&s->idle, NULL);
	pthread_mutex_init(&s->conn_lock, NULL);
	pthread_mutex_init(&s->log_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->work, &ca);
	pthread_cond_init(&s->sweep_wake, &ca);
	pthread_condattr_destroy(&ca);
	s->tail = &s->head;
}

/*
 * What the server needs before its database: the descriptor limit,
 * health, metrics, the rate limit and TLS.  0, or -1 (said on stderr).
 */
static int
server_prepare(struct server *s, const struct serve_opts *o, bool tls)
{
	char err[512];

	if (fit_nofile(o) != 0)
		return -1;
	if ((s->health = health_new(o->db)) == NULL ||
	    (s->metrics = metrics_new()) == NULL ||
	    (o->rate_limit > 0 &&
	    (s->ratelimit = ratelimit_new(o->rate_limit)) == NULL))
		return -1;
	if ((o->tls_cert == NULL) != (o->tls_key == NULL)) {
		fprintf(stderr, "ykvald: --tls-cert and --tls-key go together\n");
		return -1;
	}
	if (tls && !MHD_is_feature_supported(MHD_FEATURE_HTTPS_CERT_CALLBACK)) {
		fprintf(stderr, "ykvald: TLS is not available in libmicrohttpd\n");
		return -1;
	}
	if (tls && tls_load(o->tls_cert, o->tls_key, err, sizeof(err)) != 0) {
		fprintf(stderr, "ykvald: TLS: %s\n", err);
		return -1;
	}
	return 0;
}

/* An HTTP daemon on every --listen address: 0, or -1 (said on stderr). */
static int
listen_all(struct server *s, const struct serve_opts *o, bool tls,
    struct MHD_Daemon **d, char bound[][80])
{
	for (size_t i = 0; i < o->nlisten; i++) {
		int fd = bind_addr(o->listen[i], bound[i], sizeof(bound[i]));

		if (fd < 0)
			return -1;
		if ((d[i] = start_daemon(s, o, fd, o->listen[i][0] == '[',
		    tls)) == NULL) {
			close(fd);
			fprintf(stderr, "ykvald: cannot start HTTP on %s\n",
			    bound[i]);
			return -1;
		}
		fprintf(stderr, "ykvald: listening on %s://%s\n",
		    tls ? "https" : "http", bound[i]);
	}
	return 0;
}

/* Set *stop under lock, wake the thread that waits on cond, and join it. */
static void
stop_thread(pthread_mutex_t *lock, pthread_cond_t *cond, bool *stop,
    pthread_t thread)
{
	pthread_mutex_lock(lock);
	*stop = true;
	pthread_cond_signal(cond);
	pthread_mutex_unlock(lock);
	pthread_join(thread, NULL);
}

/* Stop the writers (each ends once the queue is empty) and close them. */
static void
writers_stop(struct server *s)
{
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_broadcast(&s->work);
	pthread_mutex_unlock(&s->lock);
	for (size_t i = 0; i < s->nwriters; i++)
		pthread_join(s->writers[i].thread, NULL);
	for (size_t i = 0; i < MAX_WRITERS; i++)
		store_close(s->writers[i].st);
}

/*
 * Open the writers' database handles (the first creates the schema) and
 * start their threads: 0, or -1 (said on stderr).
 */
static int
writers_start(struct server *s, const struct serve_opts *o)
{
	size_t n = store_writers(o->db);
	char err[512];

	if (n > MAX_WRITERS)
		n = MAX_WRITERS;
	for (size_t i = 0; i < n; i++) {
		struct writer *w = &s->writers[i];

		w->s = s;
		if ((w->st = store_open(o->db, i == 0 ? STORE_CREATE :
		    STORE_EXISTING, err, sizeof(err))) == NULL) {
			fprintf(stderr, "ykvald: %s\n", err);
			return -1;
		}
		if (o->master != NULL)
			store_use_master(w->st, o->master);
	}
	for (size_t i = 0; i < n; i++) {
		if (pthread_create(&s->writers[i].thread, NULL, writer_main,
		    &s->writers[i]) != 0)
			return -1;
		s->nwriters++;
	}
	return 0;
}

/*
 * Stopping: wait until no connection is suspended (new requests get 503
 * once closing is set), then, at most STOP_MS, until the answers being
 * sent are out, so that no OK already decided is lost with its
 * connection.
 */
static void
answers_out(struct server *s)
{
	struct timespec start, pause = { 0, 10 * 1000000 };
	unsigned n;

	clock_gettime(CLOCK_MONOTONIC, &start);
	pthread_mutex_lock(&s->lock);
	s->closing = true;
	while (s->suspended > 0)
		pthread_cond_wait(&s->idle, &s->lock);
	pthread_mutex_unlock(&s->lock);
	do {
		n = 0;
		pthread_mutex_lock(&s->conn_lock);
		for (const struct conn *k = s->conns; k != NULL; k = k->next)
			n += k->answering && !k->cut;
		pthread_mutex_unlock(&s->conn_lock);
	} while (n > 0 && mono_ms_since(&start) < STOP_MS &&
	    nanosleep(&pause, NULL) == 0);
}

/* Stop the daemons, then the threads serve started; free the server. */
static void
server_stop(struct server *s, struct MHD_Daemon **d, bool sweeper)
{
	/* libmicrohttpd must not stop with a connection suspended. */
	answers_out(s);
	for (size_t i = 0; i < SERVE_MAX_LISTEN; i++)
		if (d[i] != NULL)
			MHD_stop_daemon(d[i]);
	if (sweeper)
		stop_thread(&s->conn_lock, &s->sweep_wake, &s->sweep_stop,
		    s->sweep_thread);
	writers_stop(s);
	secret_free(s->clients, CLIENT_SLOTS * sizeof(*s->clients));
	while (s->npool > 0)
		store_close(s->pool[--s->npool]);
	health_free(s->health);
	metrics_free(s->metrics);
	ratelimit_free(s->ratelimit);
	tls_free();
}

int
serve(const struct serve_opts *o)
{
	struct server s = { .dbpath = o->db, .master = o->master,
	    .remember = store_confirms_client(o->db),
	    .be = { .client_get = backend_client_get,
		.client_peek = backend_client_peek,
		.decide = backend_decide, .timeout_ms = store_timeout() },
	    .request_timeout = o->request_timeout,
	    .max_conns_per_ip = o->max_conns_per_ip };
	struct MHD_Daemon *d[SERVE_MAX_LISTEN] = { NULL };
	char bound[SERVE_MAX_LISTEN][80];
	sigset_t sigs;
	int rc = 1;
	bool sweeper = false, tls = o->tls_cert != NULL;

	/* Blocked in every thread: only sigwait() below sees them. */
	block_signals(&sigs);
	s.be.arg = &s;
	server_init(&s);
	/* Client secrets, like keys, stay out of core dumps. */
	if ((s.clients = secret_alloc(CLIENT_SLOTS * sizeof(*s.clients))) ==
	    NULL) {
		fprintf(stderr, "ykvald: cannot map memory for the clients "
		    "it remembers: %s\n", strerror(errno));
		goto out;
	}
	if (server_prepare(&s, o, tls) != 0)
		goto out;
	if (writers_start(&s, o) != 0)
		goto out;
	if (pthread_create(&s.sweep_thread, NULL, sweep_main, &s) != 0)
		goto out;
	sweeper = true;
	if (listen_all(&s, o, tls, d, bound) != 0)
		goto out;
	if (o->ready_file != NULL && write_ready(o->ready_file, bound,
	    o->nlisten) != 0) {
		fprintf(stderr, "ykvald: cannot write %s\n", o->ready_file);
		goto out;
	}
	if (wait_signals(o, &sigs) == 0)
		rc = 0;
out:
	server_stop(&s, d, sweeper);
	return rc;
}
