/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store_pg.c - ykvald's PostgreSQL backend (libpq).
 *
 * Several ykvald nodes share one database; the database alone decides
 * replays: an OTP is accepted only when one conditional UPDATE raised
 * its key's (counter, use) pair, in a transaction committed before the
 * answer.  Every call has a deadline (the socket is polled, never waited
 * on without one); a lost connection is opened again, at most once per
 * back-off period, and meanwhile every call fails at once.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>
#include <openssl/evp.h>

#include "mono.h"
#include "store.h"
#include "wipe.h"

#define PG_BACKOFF_MIN	100	/* ms before the second attempt */
#define PG_BACKOFF_MAX	5000
#define PG_WRITERS	1	/* connections committing batches, per node */
#define PG_LOCK_ID	"7945413158"	/* advisory lock: schema changes */

struct pg_store {
	struct store	base;
	char		*uri;
	PGconn		*conn;
	struct timespec	retry_at;	/* no connection attempt before */
	unsigned	backoff_ms;
	unsigned long	fail_gen;	/* ok_gen when the last attempt failed */
	bool		in_batch;	/* every statement ends by batch_end */
	PGresult	*batch_keys;	/* the batch's keys (get_keys) */
	struct timespec	batch_end;
	char		err[256];	/* why the last call failed */
	bool		broken;		/* run() found the connection broken */
};

#define PG(st)	((struct pg_store *)(void *)(st))

/*
 * Connections made in this process: once one succeeds, every other
 * handle (the writer, each reader) stops waiting out its back-off.
 */
static unsigned long ok_gen;

/* Any one connect, statement or batch (store_set_timeout). */
static int pg_timeout_ms = STORE_DEFAULT_TIMEOUT_MS;

void
store_set_timeout(int ms)
{
	pg_timeout_ms = ms;
}

int
store_timeout(void)
{
	return pg_timeout_ms;
}

/* migrations[v] brings a database from version v to v + 1. */
static const char *const migrations[STORE_SCHEMA_VERSION] = {
	"CREATE TABLE clients ("
	"  id bigint PRIMARY KEY CHECK (id > 0),"
	"  secret text NOT NULL,"
	"  active boolean NOT NULL DEFAULT true,"
	"  created bigint NOT NULL);"
	"CREATE TABLE keys ("
	"  public_id text PRIMARY KEY,"
	"  private_id bytea NOT NULL CHECK (length(private_id) = 6),"
	"  aes_key bytea NOT NULL CHECK (length(aes_key) = 16),"
	"  serial bigint NOT NULL DEFAULT 0,"
	"  active boolean NOT NULL DEFAULT true,"
	"  counter integer NOT NULL DEFAULT -1,"
	"  session_use integer NOT NULL DEFAULT -1,"
	"  tstamp bigint NOT NULL DEFAULT -1,"
	"  nonce text NOT NULL DEFAULT '',"
	"  created bigint NOT NULL,"
	"  modified bigint NOT NULL DEFAULT -1);",
	/* 2: an AES key may be sealed (--key-file) */
	"ALTER TABLE keys DROP CONSTRAINT keys_aes_key_check;"
	"ALTER TABLE keys ADD CONSTRAINT keys_aes_key_check"
	"  CHECK (length(aes_key) IN (16, 44));",
	/*
	 * 3: the lengths are checked by domains, only where a value is
	 * stored in them.  A table's CHECK constraints are read again and
	 * evaluated by every UPDATE of the table, the compare-and-set's too,
	 * which changes neither column.
	 */
	"CREATE DOMAIN ykvald_private_id AS bytea"
	"  CHECK (length(VALUE) = 6);"
	"CREATE DOMAIN ykvald_aes_key AS bytea"
	"  CHECK (length(VALUE) IN (16, 44));"
	"ALTER TABLE keys DROP CONSTRAINT keys_private_id_check,"
	"  DROP CONSTRAINT keys_aes_key_check,"
	"  ALTER COLUMN private_id TYPE ykvald_private_id,"
	"  ALTER COLUMN aes_key TYPE ykvald_aes_key;",
};

/* Every key a batch may need, in one statement. */
static const char sql_get_keys[] =
	"SELECT private_id, aes_key, active, counter, session_use, nonce,"
	" public_id FROM keys WHERE public_id = ANY ($1::text[])";

/*
 * The compare-and-set: it changes the row only for a strictly greater
 * (counter, use) pair, and only the row of the key that decrypted the OTP
 * ($7 the private ID, $8 the SHA-256 of the aes_key column: a key
 * replaced meanwhile, or remembered from before, no longer matches), and
 * only while the client asking ($9, $10 its secret's SHA-256; NULL when
 * not given) is active with that secret.  In READ COMMITTED a row
 * another transaction changed is compared again once that one committed.
 */
#define SQL_CLIENT_IS(id, digest) \
	"(" id "::bigint IS NULL OR EXISTS (SELECT 1 FROM clients WHERE" \
	" id = " id " AND active AND" \
	" sha256(convert_to(secret, 'UTF8')) = " digest "))"
static const char sql_cas[] =
	"UPDATE keys SET counter = $2, session_use = $3,"
	" tstamp = $4, nonce = $5, modified = $6"
	" WHERE public_id = $1 AND active AND private_id = $7"
	" AND sha256(aes_key) = $8"
	" AND (counter, session_use) < ($2::integer, $3::integer)"
	" AND " SQL_CLIENT_IS("$9", "$10");

/* A client's secret, for every request's signature. */
static const char sql_client[] =
	"SELECT secret FROM clients WHERE id = $1 AND active";

/*
 * After a compare-and-set that changed nothing: the state it lost to.
 * Is the client still the one given, is the key still the one used
 * (active, $2 private ID, $3 SHA-256), and the counters and nonce.
 */
static const char sql_state[] =
	"SELECT " SQL_CLIENT_IS("$4", "$5") ","
	" active AND private_id = $2 AND sha256(aes_key) = $3,"
	" counter, session_use, nonce FROM keys WHERE public_id = $1";

/* ---- time ------------------------------------------------------------ */

/* ms (never negative) from now. */
static void
deadline_in(struct timespec *t, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, t);
	*t = mono_add(*t, (unsigned long)ms);
}

/* Milliseconds left until t (0 when passed), at most an hour: for poll. */
static int
ms_left(const struct timespec *t)
{
	long ms = mono_ms_left(t);

	return ms > 3600000 ? 3600000 : (int)ms;
}

/* Wait until the connection's socket is ready; 0, or -1 past t. */
static int
wait_sock(PGconn *c, bool write, const struct timespec *t)
{
	struct pollfd p = { .fd = PQsocket(c), .events = write ? POLLOUT : POLLIN };
	int ms, r;

	if (p.fd < 0)
		return -1;
	for (;;) {
		if ((ms = ms_left(t)) == 0)
			return -1;
		r = poll(&p, 1, ms);
		if (r > 0)
			return 0;
		if (r == 0 || errno != EINTR)
			return -1;
	}
}

/* ---- errors ---------------------------------------------------------- */

/* libpq's message, first line only; never the URI (it may hold a password). */
static void
set_pg_err(char *buf, size_t len, const char *what, PGconn *c,
    const PGresult *res)
{
	const char *m = res != NULL ? PQresultErrorMessage(res) : NULL;
	size_t n;

	if (m == NULL || *m == '\0')
		m = c != NULL ? PQerrorMessage(c) : "out of memory";
	if (m == NULL || *m == '\0')
		m = "no answer in time";
	n = strcspn(m, "\n");
	snprintf(buf, len, "%s: %.*s", what, (int)n, m);
}

static bool
sqlstate_is(const PGresult *res, const char *state)
{
	const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return s != NULL && strcmp(s, state) == 0;
}

/* ---- connections ----------------------------------------------------- */

/* Connect within ms; NULL with a reason in errbuf. */
static PGconn *
connect_within(const char *uri, int ms, char *errbuf, size_t errlen)
{
	static const char *const keys[] = {
		"dbname", "fallback_application_name", NULL,
	};
	const char *vals[] = { uri, "ykvald", NULL };
	PostgresPollingStatusType ps = PGRES_POLLING_WRITING;
	struct timespec t;
	PGconn *c;

	deadline_in(&t, ms);
	if ((c = PQconnectStartParams(keys, vals, 1)) == NULL) {
		snprintf(errbuf, errlen, "%s", "cannot connect: out of memory");
		return NULL;
	}
	if (PQstatus(c) == CONNECTION_BAD)
		ps = PGRES_POLLING_FAILED;
	while (ps != PGRES_POLLING_OK && ps != PGRES_POLLING_FAILED) {
		if (wait_sock(c, ps == PGRES_POLLING_WRITING, &t) != 0) {
			snprintf(errbuf, errlen, "cannot connect to PostgreSQL "
			    "within %d ms", ms);
			PQfinish(c);
			return NULL;
		}
		ps = PQconnectPoll(c);
	}
	if (ps == PGRES_POLLING_FAILED) {
		set_pg_err(errbuf, errlen, "cannot connect to PostgreSQL", c, NULL);
		PQfinish(c);
		return NULL;
	}
	return c;
}

/*
 * Wait for the results of what was sent: the first error, else the last
 * result.  NULL when the deadline passed or the connection broke.
 */
static PGresult *
collect(PGconn *c, const struct timespec *t)
{
	PGresult *res = NULL, *r;

	for (;;) {
		while (PQisBusy(c)) {
			if (wait_sock(c, false, t) != 0 || !PQconsumeInput(c)) {
				PQclear(res);
				return NULL;
			}
		}
		if ((r = PQgetResult(c)) == NULL)
			break;
		if (res != NULL && PQresultStatus(res) == PGRES_FATAL_ERROR) {
			PQclear(r);
			continue;
		}
		PQclear(res);
		res = r;
	}
	return res;
}

static void
drop_conn(struct pg_store *p)
{
	PQfinish(p->conn);
	p->conn = NULL;
	/* The first attempt after a loss is at once: a restart is short. */
	clock_gettime(CLOCK_MONOTONIC, &p->retry_at);
}

static PGresult *
run_prepare(struct pg_store *p, const char *name, const char *sql,
    const struct timespec *t)
{
	if (!PQsendPrepare(p->conn, name, sql, 0, NULL))
		return NULL;
	return collect(p->conn, t);
}

/* When the call under way must end: the batch's deadline, or from now. */
static struct timespec
call_end(const struct pg_store *p)
{
	struct timespec t;

	if (p->in_batch)
		return p->batch_end;
	deadline_in(&t, pg_timeout_ms);
	return t;
}

/*
 * The statements of every verification, once per connection, all by t:
 * 0 or -1.
 */
static int
prepare_all(struct pg_store *p, const struct timespec *t)
{
	static const char *const stmts[][2] = {
		{ "get_keys", sql_get_keys }, { "cas", sql_cas },
		{ "state", sql_state }, { "client", sql_client },
	};
	PGresult *res;

	for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++) {
		res = run_prepare(p, stmts[i][0], stmts[i][1], t);
		if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
			set_pg_err(p->err, sizeof(p->err), "cannot prepare "
			    "statements", p->conn, res);
			PQclear(res);
			return -1;
		}
		PQclear(res);
	}
	return 0;
}

static int pg_version(struct pg_store *p);

/*
 * Is the schema still the one this ykvald knows?  Checked on every new
 * connection: another node's ykvald db migrate may have changed it
 * since this one opened, and statements prepared for the old one must
 * not run on the new one.  0, or -1 with p->err.
 */
static int
schema_current(struct pg_store *p)
{
	int v = pg_version(p);

	if (v == STORE_SCHEMA_VERSION)
		return 0;
	if (v >= 0)
		snprintf(p->err, sizeof(p->err), "the database schema is now "
		    "version %d, this ykvald's is %d", v, STORE_SCHEMA_VERSION);
	return -1;
}

/* A usable connection: 0, or -1 (with p->err) without waiting. */
static int
ensure(struct pg_store *p)
{
	struct timespec t;
	bool in_batch = p->in_batch;
	int r = -1, ms;

	if (p->conn != NULL && PQstatus(p->conn) == CONNECTION_OK &&
	    PQtransactionStatus(p->conn) == PQTRANS_IDLE)
		return 0;
	if (p->conn != NULL)
		drop_conn(p);
	if (ms_left(&p->retry_at) > 0 &&
	    __atomic_load_n(&ok_gen, __ATOMIC_RELAXED) == p->fail_gen) {
		snprintf(p->err, sizeof(p->err), "%s", "PostgreSQL is "
		    "unreachable; waiting before the next attempt");
		return -1;
	}
	/*
	 * Connecting, checking the schema and preparing share the call's
	 * time (a batch's rest).
	 */
	t = call_end(p);
	p->batch_end = t;
	p->in_batch = true;
	if ((ms = ms_left(&t)) > 0 &&
	    (p->conn = connect_within(p->uri, ms, p->err,
	    sizeof(p->err))) != NULL && schema_current(p) == 0 &&
	    prepare_all(p, &t) == 0) {
		p->backoff_ms = 0;
		__atomic_add_fetch(&ok_gen, 1, __ATOMIC_RELAXED);
		r = 0;
	}
	p->in_batch = in_batch;
	if (r != 0) {
		if (p->conn != NULL) {
			PQfinish(p->conn);
			p->conn = NULL;
		}
		p->backoff_ms = p->backoff_ms == 0 ? PG_BACKOFF_MIN :
		    p->backoff_ms * 2 > PG_BACKOFF_MAX ? PG_BACKOFF_MAX :
		    p->backoff_ms * 2;
		deadline_in(&p->retry_at, (int)p->backoff_ms);
		p->fail_gen = __atomic_load_n(&ok_gen, __ATOMIC_RELAXED);
	}
	return r;
}

/* After a failed call: a broken connection is dropped (and retried). */
static void
after_error(struct pg_store *p)
{
	if (p->conn != NULL && (PQstatus(p->conn) != CONNECTION_OK ||
	    PQtransactionStatus(p->conn) == PQTRANS_ACTIVE ||
	    PQtransactionStatus(p->conn) == PQTRANS_UNKNOWN))
		drop_conn(p);
}

/*
 * Run one statement (sql, or the prepared statement named by sql when
 * prepared) with text parameters, within the deadline.  Returns the
 * result when its status is want, else NULL with p->err set; a result
 * with another status goes to *bad when bad is not NULL.
 */
static PGresult *
run(struct pg_store *p, bool prepared, const char *sql, int n,
    const char *const *vals, ExecStatusType want, PGresult **bad)
{
	struct timespec t;
	PGresult *res;
	int ok;

	if (bad != NULL)
		*bad = NULL;
	if (p->conn == NULL) {
		snprintf(p->err, sizeof(p->err), "%s", "no connection");
		return NULL;
	}
	t = call_end(p);
	ok = prepared ? PQsendQueryPrepared(p->conn, sql, n, vals, NULL, NULL, 0) :
	    n > 0 ? PQsendQueryParams(p->conn, sql, n, NULL, vals, NULL, NULL, 0) :
	    PQsendQuery(p->conn, sql);
	res = ok ? collect(p->conn, &t) : NULL;
	if (res != NULL && PQresultStatus(res) == want)
		return res;
	set_pg_err(p->err, sizeof(p->err), "PostgreSQL", p->conn, res);
	if (bad != NULL && res != NULL)
		*bad = res;
	else
		PQclear(res);
	if (res == NULL) {
		/* no answer in time, or a broken connection */
		p->broken = p->conn != NULL &&
		    PQstatus(p->conn) == CONNECTION_BAD;
		drop_conn(p);
	}
	else
		after_error(p);
	return NULL;
}

/* A statement without rows: 0 or -1. */
static int
cmd(struct pg_store *p, const char *sql)
{
	PGresult *res = run(p, false, sql, 0, NULL, PGRES_COMMAND_OK, NULL);

	PQclear(res);
	return res != NULL ? 0 : -1;
}

static void
rollback(struct pg_store *p)
{
	if (p->conn != NULL && PQtransactionStatus(p->conn) != PQTRANS_IDLE)
		cmd(p, "ROLLBACK");
}

/*
 * BEGIN, on a connection that works: a connection found dead by this
 * first statement (the server restarted) is opened again once, since
 * nothing was done on it.  0 or -1.
 */
static int
begin(struct pg_store *p)
{
	if (ensure(p) != 0)
		return -1;
	if (cmd(p, "BEGIN") == 0)
		return 0;
	if (p->conn != NULL || ensure(p) != 0)
		return -1;
	return cmd(p, "BEGIN");
}

/* ---- values ---------------------------------------------------------- */

static long long
num(const PGresult *res, int row, int col)
{
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static bool
flag(const PGresult *res, int row, int col)
{
	return PQgetvalue(res, row, col)[0] == 't';
}

/* A bytea in hex output ("\x0a1b..."), exactly len bytes: 0 or -1. */
static int
bytea(const PGresult *res, int row, int col, unsigned char *out, size_t len)
{
	const char *v = PQgetvalue(res, row, col);
	unsigned hi, lo;

	if (strncmp(v, "\\x", 2) != 0 || strlen(v) != 2 + 2 * len)
		return -1;
	v += 2;
	for (size_t i = 0; i < len; i++) {
		if (sscanf(v + 2 * i, "%1x%1x", &hi, &lo) != 2)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

/* A bytea of 1 to max bytes; its length, or -1. */
static int
bytea_var(const PGresult *res, int row, int col, unsigned char *out,
    size_t max)
{
	size_t n = (strlen(PQgetvalue(res, row, col)) - 2) / 2;

	if (PQgetlength(res, row, col) < 4 || n > max ||
	    bytea(res, row, col, out, n) != 0)
		return -1;
	return (int)n;
}

/* "\x" and hex, for a bytea parameter. */
static void
hex(const unsigned char *b, size_t len, char *out)
{
	static const char d[] = "0123456789abcdef";

	*out++ = '\\';
	*out++ = 'x';
	for (size_t i = 0; i < len; i++) {
		*out++ = d[b[i] >> 4];
		*out++ = d[b[i] & 15];
	}
	*out = '\0';
}

struct numbuf {
	char	s[24];
};

static const char *
numstr(struct numbuf *b, long long v)
{
	snprintf(b->s, sizeof(b->s), "%lld", v);
	return b->s;
}

/* ---- schema ---------------------------------------------------------- */

/* The schema version, 0 for an empty database, -1 on an error. */
static int
pg_version(struct pg_store *p)
{
	PGresult *res;
	int v = -1;

	res = run(p, false, "SELECT to_regclass('ykvald_schema') IS NOT NULL",
	    0, NULL, PGRES_TUPLES_OK, NULL);
	if (res == NULL || PQntuples(res) != 1)
		goto out;
	if (!flag(res, 0, 0)) {
		v = 0;
		goto out;
	}
	PQclear(res);
	res = run(p, false, "SELECT version FROM ykvald_schema", 0, NULL,
	    PGRES_TUPLES_OK, NULL);
	if (res != NULL && PQntuples(res) == 1)
		v = (int)num(res, 0, 0);
out:
	PQclear(res);
	return v;
}

static int
pg_migrate(struct pg_store *p, enum store_open_mode mode, char *errbuf,
    size_t errlen)
{
	PGresult *res;
	char sql[96];
	int v;

	if ((v = pg_version(p)) == STORE_SCHEMA_VERSION)
		return 0;
	if (v < 0)
		goto fail;
	if (v > STORE_SCHEMA_VERSION) {
		snprintf(errbuf, errlen, "database schema version %d is newer "
		    "than this ykvald (%d)", v, STORE_SCHEMA_VERSION);
		return -1;
	}
	if (mode == STORE_EXISTING || (mode == STORE_CREATE && v > 0)) {
		snprintf(errbuf, errlen, v == 0 ? "the database has no ykvald "
		    "schema: run ykvald db init" : "the database schema is "
		    "version %d: run ykvald db migrate", v);
		return -1;
	}
	/* One node or command at a time; the others wait, then see it done. */
	if (cmd(p, "BEGIN") != 0)
		goto fail;
	PQclear(res = run(p, false, "SELECT pg_advisory_xact_lock(" PG_LOCK_ID
	    ")", 0, NULL, PGRES_TUPLES_OK, NULL));
	if (res == NULL || (v = pg_version(p)) < 0)
		goto fail;
	if (v == 0 && cmd(p, "CREATE TABLE ykvald_schema (version integer NOT"
	    " NULL); INSERT INTO ykvald_schema VALUES (0)") != 0)
		goto fail;
	for (; v < STORE_SCHEMA_VERSION; v++) {
		snprintf(sql, sizeof(sql), "UPDATE ykvald_schema SET version = %d",
		    v + 1);
		if (cmd(p, migrations[v]) != 0 || cmd(p, sql) != 0)
			goto fail;
	}
	if (cmd(p, "COMMIT") == 0)
		return 0;
fail:
	snprintf(errbuf, errlen, "schema: %s", p->err);
	rollback(p);
	return -1;
}

/* ---- open, close ----------------------------------------------------- */

static void
pg_close(struct store *st)
{
	struct pg_store *p = PG(st);

	if (p == NULL)
		return;
	PQfinish(p->conn);
	if (p->uri != NULL)
		explicit_bzero(p->uri, strlen(p->uri));	/* a password */
	free(p->uri);
	free(p);
}

static struct store *
pg_open(const char *uri, enum store_open_mode mode, char *errbuf,
    size_t errlen)
{
	struct pg_store *p = calloc(1, sizeof(*p));
	struct timespec t;

	if (p == NULL || (p->uri = strdup(uri)) == NULL) {
		snprintf(errbuf, errlen, "%s", "out of memory");
		goto fail;
	}
	p->base.ops = &store_pg_ops;
	/*
	 * A handle on a database that must be there (a node's writer and
	 * readers, an admin command) is open within one timeout in all: a
	 * reader is opened while a verification waits for it.  Creating or
	 * migrating a schema gives each statement its own.
	 */
	deadline_in(&p->batch_end, pg_timeout_ms);
	p->in_batch = mode == STORE_EXISTING;
	if ((p->conn = connect_within(uri, pg_timeout_ms, errbuf, errlen)) == NULL)
		goto fail;
	if (pg_migrate(p, mode, errbuf, errlen) != 0)
		goto fail;
	t = call_end(p);
	if (prepare_all(p, &t) != 0) {
		snprintf(errbuf, errlen, "%s", p->err);
		goto fail;
	}
	p->in_batch = false;
	return &p->base;
fail:
	pg_close(p ? &p->base : NULL);
	return NULL;
}

/* ---- clients --------------------------------------------------------- */

static int
pg_client_get(struct store *st, long id, struct client *out)
{
	struct pg_store *p = PG(st);
	struct numbuf b;
	const char *v[] = { numstr(&b, id) };
	PGresult *res = NULL;
	int r = -1;

	memset(out, 0, sizeof(*out));
	/* One deadline for the connection, if one is needed, and the read. */
	deadline_in(&p->batch_end, pg_timeout_ms);
	p->in_batch = true;
	if (ensure(p) != 0)
		goto out;
	/* Prepared: every request asks, and parsing would cost the most. */
	res = run(p, true, "client", 1, v, PGRES_TUPLES_OK, NULL);
	/*
	 * A read is safe to repeat on a new connection (see begin()), when
	 * the old one was found broken: not after a timeout.
	 */
	if (res == NULL && p->conn == NULL && p->broken && ensure(p) == 0)
		res = run(p, true, "client", 1, v, PGRES_TUPLES_OK, NULL);
	if (res == NULL)
		goto out;
	if (PQntuples(res) == 0) {
		r = 0;
		goto out;
	}
	/* What the compare-and-set compares (SQL_CLIENT_IS). */
	r = store_client_found(out, id, PQgetvalue(res, 0, 0));
	if (r == 1 && EVP_Digest(PQgetvalue(res, 0, 0),
	    (size_t)PQgetlength(res, 0, 0), out->digest, NULL, EVP_sha256(),
	    NULL) != 1)
		r = -1;
out:
	p->in_batch = false;
	PQclear(res);
	return r;
}

static int
pg_client_add(struct store *st, long *id, const char *b64key)
{
	struct pg_store *p = PG(st);
	struct numbuf b, t;
	const char *v[] = { numstr(&b, *id), b64key, numstr(&t, time(NULL)) };
	PGresult *res = NULL, *bad = NULL;
	int r = -1;

	if (begin(p) != 0)
		return -1;
	/* The next free id is the largest plus one: no two at once. */
	if (*id == 0 && cmd(p, "LOCK TABLE clients IN EXCLUSIVE MODE") != 0)
		goto out;
	res = *id > 0 ? run(p, false, "INSERT INTO clients (id, secret,"
	    " created) VALUES ($1, $2, $3) RETURNING id", 3, v,
	    PGRES_TUPLES_OK, &bad) :
	    run(p, false, "INSERT INTO clients (id, secret, created) VALUES"
	    " ((SELECT coalesce(max(id), 0) + 1 FROM clients), $1, $2)"
	    " RETURNING id", 2, v + 1, PGRES_TUPLES_OK, &bad);
	if (res == NULL) {
		if (sqlstate_is(bad, "23505"))
			r = -2;
		goto out;
	}
	if (cmd(p, "COMMIT") != 0)
		goto out;
	*id = (long)num(res, 0, 0);
	r = 0;
out:
	PQclear(res);
	PQclear(bad);
	rollback(p);
	return r;
}

/*
 * Run a query without parameters, calling row(res, i, arg) on each row i
 * until it returns nonzero.  0 when every row was taken, else -1.
 */
static int
each_row(struct pg_store *p, const char *sql,
    int (*row)(const PGresult *, int, void *), void *arg)
{
	PGresult *res = NULL;
	int r = -1;

	if (ensure(p) == 0 && (res = run(p, false, sql, 0, NULL,
	    PGRES_TUPLES_OK, NULL)) != NULL)
		r = 0;
	for (int i = 0; r == 0 && i < PQntuples(res); i++)
		if (row(res, i, arg) != 0)
			r = -1;
	PQclear(res);
	return r;
}

static int
client_info_row(const PGresult *res, int i, void *arg)
{
	const struct store_walk *w = arg;
	const struct client_info ci = {
		.id = (long)num(res, i, 0),
		.active = flag(res, i, 1),
		.created = num(res, i, 2),
	};

	return w->cb.client(&ci, w->arg);
}

static int
pg_clients_foreach(struct store *st, struct store_walk *w)
{
	return each_row(PG(st), "SELECT id, active, created FROM clients"
	    " ORDER BY id", client_info_row, w);
}

/* One UPDATE or DELETE of one row: 0, -1 error, -2 no such row. */
static int
change_one(struct pg_store *p, const char *sql, int n, const char *const *v)
{
	PGresult *res;
	int r;

	if (ensure(p) != 0)
		return -1;
	if ((res = run(p, false, sql, n, v, PGRES_COMMAND_OK, NULL)) == NULL)
		return -1;
	r = strcmp(PQcmdTuples(res), "1") == 0 ? 0 : -2;
	PQclear(res);
	return r;
}

static int
pg_client_set_active(struct store *st, long id, bool on)
{
	struct numbuf b;
	const char *v[] = { numstr(&b, id), on ? "true" : "false" };

	return change_one(PG(st), "UPDATE clients SET active = $2 WHERE"
	    " id = $1", 2, v);
}

static int
pg_client_set_key(struct store *st, long id, const char *b64key)
{
	struct numbuf b;
	const char *v[] = { numstr(&b, id), b64key };

	return change_one(PG(st), "UPDATE clients SET secret = $2 WHERE"
	    " id = $1", 2, v);
}

/* ---- keys ------------------------------------------------------------ */

static int
pg_keys_add(struct store *st, const struct key_rec *keys, size_t n,
    char *errbuf, size_t errlen)
{
	struct pg_store *p = PG(st);
	char priv[2 + 2 * YK_UID_LEN + 1], aes[2 + 2 * STORE_SEALED_LEN + 1];
	const unsigned char *b;
	size_t blen;
	struct numbuf s, t;
	const char *v[] = { NULL, priv, aes, NULL, numstr(&t, time(NULL)) };
	PGresult *res, *bad = NULL;
	int r = -1;

	if (begin(p) != 0) {
		snprintf(errbuf, errlen, "cannot add keys: %s", p->err);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		v[0] = keys[i].public_id;
		hex(keys[i].private_id, YK_UID_LEN, priv);
		b = key_rec_stored(&keys[i], &blen);
		hex(b, blen, aes);
		v[3] = numstr(&s, keys[i].serial);
		res = run(p, false, "INSERT INTO keys (public_id, private_id,"
		    " aes_key, serial, created) VALUES ($1, $2, $3, $4, $5)",
		    5, v, PGRES_COMMAND_OK, &bad);
		PQclear(res);
		if (res != NULL)
			continue;
		if (sqlstate_is(bad, "23505")) {
			snprintf(errbuf, errlen, "public ID %s is already in "
			    "the database", keys[i].public_id);
			r = -2;
		} else {
			snprintf(errbuf, errlen, "cannot add keys: %s", p->err);
		}
		goto out;
	}
	if (cmd(p, "COMMIT") != 0) {
		snprintf(errbuf, errlen, "cannot commit: %s", p->err);
		goto out;
	}
	r = 0;
out:
	PQclear(bad);
	explicit_bzero(aes, sizeof(aes));
	rollback(p);
	return r;
}

static int
pg_key_set_active(struct store *st, const char *public_id, bool on)
{
	const char *v[] = { public_id, on ? "true" : "false" };

	return change_one(PG(st), "UPDATE keys SET active = $2 WHERE"
	    " public_id = $1", 2, v);
}

static int
pg_key_delete(struct store *st, const char *public_id)
{
	const char *v[] = { public_id };

	return change_one(PG(st), "DELETE FROM keys WHERE public_id = $1", 1, v);
}

static int
pg_key_replace(struct store *st, const struct key_rec *k)
{
	char priv[2 + 2 * YK_UID_LEN + 1], aes[2 + 2 * STORE_SEALED_LEN + 1];
	struct numbuf s, t;
	const char *v[] = { k->public_id, priv, aes, numstr(&s, k->serial),
		numstr(&t, time(NULL)) };
	const unsigned char *b;
	size_t blen;
	int r;

	hex(k->private_id, YK_UID_LEN, priv);
	b = key_rec_stored(k, &blen);
	hex(b, blen, aes);
	r = change_one(PG(st), "UPDATE keys SET private_id = $2, aes_key = $3,"
	    " serial = $4, counter = -1, session_use = -1, tstamp = -1,"
	    " nonce = '', modified = -1, created = $5 WHERE public_id = $1",
	    5, v);
	explicit_bzero(aes, sizeof(aes));
	return r;
}

static int
pg_key_bump(struct store *st, const char *public_id, long counter, long use)
{
	struct pg_store *p = PG(st);
	struct numbuf c, u, t;
	const char *v[] = { public_id, numstr(&c, counter), numstr(&u, use),
		numstr(&t, time(NULL)) };
	PGresult *res;
	int r = -1;

	if (ensure(p) != 0)
		return -1;
	/* The same order as the compare-and-set: (counter, use) pairs. */
	res = run(p, false, "WITH u AS (UPDATE keys SET counter = $2,"
	    " session_use = $3, nonce = '', modified = $4 WHERE public_id = $1"
	    " AND (counter, session_use) < ($2::integer, $3::integer)"
	    " RETURNING 1) SELECT count(*) FROM keys WHERE public_id = $1",
	    4, v, PGRES_TUPLES_OK, NULL);
	if (res != NULL)
		r = num(res, 0, 0) == 1 ? 0 : -2;
	PQclear(res);
	return r;
}

static int
key_info_row(const PGresult *res, int i, void *arg)
{
	const struct store_walk *w = arg;
	struct key_info ki;

	ki.public_id = PQgetvalue(res, i, 0);
	ki.serial = (long)num(res, i, 1);
	ki.active = flag(res, i, 2);
	ki.counter = (long)num(res, i, 3);
	ki.use = (long)num(res, i, 4);
	ki.created = num(res, i, 5);
	ki.modified = num(res, i, 6);
	return w->cb.key(&ki, w->arg);
}

static int
pg_keys_foreach(struct store *st, struct store_walk *w)
{
	return each_row(PG(st), "SELECT public_id, serial, active, counter,"
	    " session_use, created, modified FROM keys ORDER BY public_id",
	    key_info_row, w);
}

/* ---- the node's memory of keys -------------------------------------- */

/*
 * The keys this node has read, so that most verifications need no read
 * at all: the private ID and the aes_key column (sealed under --key-file,
 * else plain) of active keys.  Nothing here decides anything: the
 * compare-and-set checks the private ID and the column's SHA-256 in the
 * database, and an OTP that a remembered key does not open is tried
 * again with the key as the database has it.  Direct-mapped by public ID,
 * one lock for every writer of the process; slots are wiped when reused.
 */
#define KC_SLOTS	4096

struct kc_entry {
	char		public_id[YK_PUBID_MAX + 1];
	unsigned char	uid[YK_UID_LEN];
	unsigned char	stored[STORE_SEALED_LEN];
	size_t		storedlen;	/* 0: an empty slot */
};

static struct kc_entry *kc;	/* KC_SLOTS, mapped at first use */
static pthread_mutex_t kc_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * The slots live in secret memory (without --key-file they hold AES keys
 * in clear).  NULL when it cannot be had: nothing is then remembered.
 * Under kc_lock.
 */
static struct kc_entry *
kc_slots(void)
{
	if (kc == NULL)
		kc = secret_alloc(KC_SLOTS * sizeof(*kc));
	return kc;
}

/* The slot of a public ID (FNV-1a), or NULL.  Under kc_lock. */
static struct kc_entry *
kc_slot(const char *public_id)
{
	uint32_t h = 2166136261u;

	for (const char *c = public_id; *c != '\0'; c++)
		h = (h ^ (unsigned char)*c) * 16777619u;
	return kc_slots() != NULL ? &kc[h % KC_SLOTS] : NULL;
}

/* A load for store_identify: 1 remembered, 0 not. */
static int
kc_load(struct store *st, const char *public_id, struct key_state *ks)
{
	struct kc_entry *e;
	int r = 0;

	(void)st;
	memset(ks, 0, sizeof(*ks));
	pthread_mutex_lock(&kc_lock);
	if ((e = kc_slot(public_id)) != NULL && e->storedlen > 0 &&
	    strcmp(e->public_id, public_id) == 0) {
		memcpy(ks->uid, e->uid, YK_UID_LEN);
		memcpy(ks->stored, e->stored, e->storedlen);
		ks->storedlen = e->storedlen;
		ks->active = true;
		r = 1;
	}
	pthread_mutex_unlock(&kc_lock);
	return r;
}

/* Remember a key as read from the database, or forget it (NULL). */
static void
kc_set(const char *public_id, const struct key_state *ks)
{
	struct kc_entry *e;

	pthread_mutex_lock(&kc_lock);
	if ((e = kc_slot(public_id)) == NULL)
		goto out;
	if (ks != NULL || strcmp(e->public_id, public_id) == 0)
		explicit_bzero(e, sizeof(*e));
	if (ks != NULL && ks->active && ks->storedlen <= sizeof(e->stored)) {
		snprintf(e->public_id, sizeof(e->public_id), "%s", public_id);
		memcpy(e->uid, ks->uid, YK_UID_LEN);
		memcpy(e->stored, ks->stored, ks->storedlen);
		e->storedlen = ks->storedlen;
	}
out:
	pthread_mutex_unlock(&kc_lock);
}

/* ---- verifications --------------------------------------------------- */

/* 1 found, 0 unknown, -1 error: from the batch's keys. */
static int
load_key(struct store *st, const char *public_id, struct key_state *ks)
{
	const PGresult *res = PG(st)->batch_keys;
	int row = -1, n;

	memset(ks, 0, sizeof(*ks));
	for (int i = 0; res != NULL && i < PQntuples(res); i++)
		if (strcmp(PQgetvalue(res, i, 6), public_id) == 0)
			row = i;
	if (res == NULL)
		return -1;
	if (row < 0) {
		kc_set(public_id, NULL);
		return 0;
	}
	if (bytea(res, row, 0, ks->uid, YK_UID_LEN) != 0 ||
	    (n = bytea_var(res, row, 1, ks->stored, sizeof(ks->stored))) < 0 ||
	    PQgetlength(res, row, 5) >= (int)sizeof(ks->nonce))
		return -1;
	ks->storedlen = (size_t)n;
	ks->active = flag(res, row, 2);
	ks->counter = (long)num(res, row, 3);
	ks->use = (long)num(res, row, 4);
	snprintf(ks->nonce, sizeof(ks->nonce), "%s", PQgetvalue(res, row, 5));
	kc_set(public_id, ks);
	return 1;
}

/* The public IDs of both readings of every OTP, as a text[] literal. */
static char *
batch_ids(struct cas_item **items, const size_t *idx, size_t n)
{
	char *buf = malloc(n * 2 * (YK_PUBID_MAX + 3) + 3), *w = buf;
	const struct cas_item *it;
	size_t idlen;

	if (buf == NULL)
		return NULL;
	*w++ = '{';
	for (size_t i = 0; i < n; i++) {
		it = items[idx[i]];
		idlen = otp_pubid_len(it->otp->len);
		/* modhex: nothing to escape inside the quotes */
		w += sprintf(w, "%s\"%.*s\"", i ? "," : "", (int)idlen,
		    it->otp->otp);
		if (it->otp->alt[0] != '\0')
			w += sprintf(w, ",\"%.*s\"", (int)idlen, it->otp->alt);
	}
	*w++ = '}';
	*w = '\0';
	return buf;
}

/* A verification whose OTP opened: what its compare-and-set needs. */
struct cand {
	struct cas_item	*it;
	size_t		order;
	char		priv[2 + 2 * YK_UID_LEN + 1];		/* bytea */
	char		kdig[2 + 2 * STORE_DIGEST_LEN + 1];	/* bytea */
	char		cid[24];
	char		cdig[2 + 2 * STORE_DIGEST_LEN + 1];
	bool		remembered;	/* opened by a key from memory */
};

/* Fill c for it, decrypted with ks: 0, or -1. */
static int
cand_set(struct cand *c, struct cas_item *it, size_t order,
    const struct key_state *ks, bool remembered)
{
	unsigned char d[STORE_DIGEST_LEN];

	c->it = it;
	c->order = order;
	c->remembered = remembered;
	hex(ks->uid, YK_UID_LEN, c->priv);
	if (EVP_Digest(ks->stored, ks->storedlen, d, NULL, EVP_sha256(),
	    NULL) != 1)
		return -1;
	hex(d, sizeof(d), c->kdig);
	if (it->client != NULL) {
		snprintf(c->cid, sizeof(c->cid), "%ld", it->client->id);
		hex(it->client->digest, STORE_DIGEST_LEN, c->cdig);
	}
	return 0;
}

/*
 * The verdict of a compare-and-set that changed nothing, from the state
 * as committed now (after the batch's own commit: it may have waited for
 * another node's transaction, whose nonce decides between
 * REPLAYED_REQUEST and REPLAYED_OTP): the client changed, the key
 * changed (a remembered key is forgotten), or a replay.  0, or 1 when a
 * key from memory proved stale while the client holds (the OTP is to be
 * opened again with the key as read), or -1 when the connection is lost.
 */
static int
not_newer(struct pg_store *p, const struct cand *c)
{
	struct cas_item *it = c->it;
	bool has_client = it->client != NULL;
	const char *v[] = { it->public_id, c->priv, c->kdig,
		has_client ? c->cid : NULL, has_client ? c->cdig : NULL };
	struct key_state now = { .active = true };
	PGresult *res;
	int r = 0;

	res = run(p, true, "state", 5, v, PGRES_TUPLES_OK, NULL);
	if (res == NULL)
		return -1;
	/* The database checked the client (no row: not this time). */
	it->client_confirmed = PQntuples(res) == 1 && flag(res, 0, 0);
	if (PQntuples(res) != 1 || !flag(res, 0, 1)) {
		kc_set(it->public_id, NULL);
		it->verdict = PQntuples(res) == 1 && !flag(res, 0, 0) ?
		    SV_CLIENT_CHANGED : SV_BAD_OTP;
		if (it->client_confirmed && c->remembered)
			r = 1;
	} else if (!flag(res, 0, 0)) {
		it->verdict = SV_CLIENT_CHANGED;
	} else {
		now.counter = (long)num(res, 0, 2);
		now.use = (long)num(res, 0, 3);
		snprintf(now.nonce, sizeof(now.nonce), "%s",
		    PQgetvalue(res, 0, 4));
		it->verdict = store_not_newer(&now, it->tok.ctr & 0x7fff,
		    it->tok.use, it->nonce);
	}
	PQclear(res);
	return r;
}

/* Send one compare-and-set into the pipeline: 0 or -1. */
static int
send_cas(struct pg_store *p, const struct cand *c)
{
	const struct cas_item *it = c->it;
	bool has_client = it->client != NULL;
	struct numbuf ctr, use, ts, m;
	const char *v[] = { it->public_id, numstr(&ctr, it->tok.ctr & 0x7fff),
		numstr(&use, it->tok.use),
		numstr(&ts, (long long)otp_timestamp(&it->tok)), it->nonce,
		numstr(&m, time(NULL)), c->priv, c->kdig,
		has_client ? c->cid : NULL, has_client ? c->cdig : NULL };

	return PQsendQueryPrepared(p->conn, "cas", 10, v, NULL, NULL, 0) ?
	    0 : -1;
}

/* The next result in the pipeline, when its status is want; else NULL. */
static PGresult *
pipe_result(struct pg_store *p, ExecStatusType want)
{
	PGresult *res = collect(p->conn, &p->batch_end);

	if (res != NULL && PQresultStatus(res) == want)
		return res;
	set_pg_err(p->err, sizeof(p->err), "PostgreSQL", p->conn, res);
	PQclear(res);
	return NULL;
}

/* The pipeline's sync point: 0, or -1. */
static int
pipe_sync(struct pg_store *p)
{
	PGresult *res;
	int r;

	while (PQisBusy(p->conn))
		if (wait_sock(p->conn, false, &p->batch_end) != 0 ||
		    !PQconsumeInput(p->conn))
			return -1;
	res = PQgetResult(p->conn);
	r = res != NULL && PQresultStatus(res) == PGRES_PIPELINE_SYNC ? 0 : -1;
	PQclear(res);
	return r;
}

/*
 * A batch of one: its compare-and-set alone, in an implicit transaction
 * (one statement where BEGIN and COMMIT would make three).  The server
 * sends the UPDATE's result before it commits, then ReadyForQuery after
 * the commit (durable as synchronous_commit says); collect() reads until
 * libpq has nothing more, that is past ReadyForQuery, so the result is
 * taken only once committed, and an error in the commit replaces it.
 * Returns as cas_pipeline, -2 also when the connection broke after the
 * UPDATE's result (the commit unknown: a second attempt then finds the
 * pair taken, REPLAYED_REQUEST, never a second OK).
 */
static int
cas_alone(struct pg_store *p, const struct cand *c, bool *ok)
{
	PGresult *res = NULL;
	bool dead;

	if (send_cas(p, c) == 0 &&
	    (res = collect(p->conn, &p->batch_end)) != NULL &&
	    PQresultStatus(res) == PGRES_COMMAND_OK &&
	    PQtransactionStatus(p->conn) == PQTRANS_IDLE) {
		*ok = strcmp(PQcmdTuples(res), "1") == 0;
		PQclear(res);
		return 0;
	}
	set_pg_err(p->err, sizeof(p->err), "PostgreSQL", p->conn, res);
	dead = res == NULL && PQstatus(p->conn) == CONNECTION_BAD;
	PQclear(res);
	drop_conn(p);
	return dead ? -2 : -1;
}

/*
 * BEGIN, every compare-and-set of the batch and COMMIT in one pipeline:
 * one round trip.  ok[i] says whether cand i changed its row.  On any
 * error the connection is dropped, which rolls the transaction back.
 * 0, -1, or -2 when the connection was found broken before any answer
 * came (the server restarted since this writer last used it).
 */
static int
cas_pipeline(struct pg_store *p, const struct cand *cand, size_t nc,
    bool *ok)
{
	PGresult *res;
	bool committed;

	if (!PQenterPipelineMode(p->conn) ||
	    !PQsendQueryParams(p->conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0))
		goto lost;
	for (size_t i = 0; i < nc; i++)
		if (send_cas(p, &cand[i]) != 0)
			goto lost;
	if (!PQsendQueryParams(p->conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) ||
	    !PQpipelineSync(p->conn))
		goto lost;
	if ((res = pipe_result(p, PGRES_COMMAND_OK)) == NULL) {
		if (PQstatus(p->conn) != CONNECTION_BAD)
			goto lost;
		drop_conn(p);
		return -2;
	}
	PQclear(res);	/* BEGIN */
	for (size_t i = 0; i < nc; i++) {
		if ((res = pipe_result(p, PGRES_COMMAND_OK)) == NULL)
			goto lost;
		ok[i] = strcmp(PQcmdTuples(res), "1") == 0;
		PQclear(res);
	}
	/* A transaction that failed "commits" as ROLLBACK. */
	if ((res = pipe_result(p, PGRES_COMMAND_OK)) == NULL)
		goto lost;
	committed = strcmp(PQcmdStatus(res), "COMMIT") == 0;
	PQclear(res);
	if (!committed || pipe_sync(p) != 0 || !PQexitPipelineMode(p->conn))
		goto lost;
	return 0;
lost:
	drop_conn(p);
	return -1;
}

/* Rows are locked in public ID order in every transaction: no deadlock. */
static int
cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	int c = strcmp(x->it->public_id, y->it->public_id);

	return c != 0 ? c : x->order < y->order ? -1 : x->order > y->order;
}

/*
 * Open the OTPs of the items idx[0..n) with their keys as the database
 * has them (one read), and add those that opened to cand: 0, or -1.
 */
static int
read_and_open(struct pg_store *p, struct cas_item **items, const size_t *idx,
    size_t n, struct cand *cand, size_t *nc)
{
	struct store *st = &p->base;
	struct key_state ks;
	char *ids = batch_ids(items, idx, n);
	const char *v[] = { ids };
	int r = -1, found;

	if (ids == NULL)
		return -1;
	/*
	 * The keys are read outside the transaction, for decryption only:
	 * the compare-and-set checks the private ID, the key, active and
	 * the counters again in its own statement.  A read is safe to
	 * repeat on a new connection.
	 */
	p->batch_keys = run(p, true, "get_keys", 1, v, PGRES_TUPLES_OK, NULL);
	if (p->batch_keys == NULL && p->conn == NULL && p->broken &&
	    ensure(p) == 0)
		p->batch_keys = run(p, true, "get_keys", 1, v, PGRES_TUPLES_OK,
		    NULL);
	if (p->batch_keys == NULL)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct cas_item *it = items[idx[i]];

		found = store_identify(st, load_key, it, &ks);
		if (found == -2) {
			it->verdict = SV_BACKEND_ERROR;
			continue;
		}
		if (found < 0)
			goto out;
		if (found == 0 || !ks.active) {
			it->verdict = SV_BAD_OTP;
			continue;
		}
		if (cand_set(&cand[(*nc)++], it, idx[i], &ks, false) != 0)
			goto out;
	}
	r = 0;
out:
	explicit_bzero(&ks, sizeof(ks));
	PQclear(p->batch_keys);	/* AES keys: libpq frees without wiping */
	p->batch_keys = NULL;
	free(ids);
	return r;
}

/*
 * The compare-and-sets of cand[0..nc), committed, and their verdicts.
 * With redo, the items whose remembered key proved stale are added to
 * redo[*nredo] (as indexes into the batch).  0, or -1 when nothing was
 * committed (the connection is then dropped or rolled back).
 */
static int
settle(struct pg_store *p, struct cand *cand, size_t nc, size_t *redo,
    size_t *nredo)
{
	bool *ok = calloc(nc ? nc : 1, sizeof(*ok));
	int r = -1, v;

	if (ok == NULL)
		return -1;
	qsort(cand, nc, sizeof(*cand), cand_cmp);
	/* Nothing to change (every OTP bad): no transaction at all. */
	r = nc == 0 ? 0 : nc == 1 ? cas_alone(p, cand, ok) :
	    cas_pipeline(p, cand, nc, ok);
	/*
	 * A connection found dead is opened again once.  Safe even had the
	 * first attempt committed: the second then changes nothing
	 * (REPLAYED_REQUEST, never a second OK).
	 */
	if (r == -2 && ensure(p) == 0)
		r = nc == 1 ? cas_alone(p, cand, ok) :
		    cas_pipeline(p, cand, nc, ok);
	if (r != 0)
		goto out;
	/* Committed: what changed its row is OK, whatever follows. */
	for (size_t i = 0; i < nc; i++)
		if (ok[i]) {
			cand[i].it->verdict = SV_OK;
			cand[i].it->client_confirmed = true;
		}
	for (size_t i = 0; i < nc; i++) {
		if (ok[i])
			continue;
		if ((v = not_newer(p, &cand[i])) < 0)
			cand[i].it->verdict = SV_REPLAYED_OTP;
		else if (v == 1 && redo != NULL)
			redo[(*nredo)++] = cand[i].order;
	}
	r = 0;
out:
	free(ok);
	return r;
}

static void
pg_cas_batch(struct store *st, struct cas_item **items, size_t n)
{
	struct pg_store *p = PG(st);
	struct cand *cand = calloc(n ? n : 1, sizeof(*cand));
	size_t *miss = calloc(n ? n : 1, sizeof(*miss));
	struct key_state ks;
	size_t nc = 0, nm = 0;

	/* One deadline for the whole batch: no answer waits longer. */
	deadline_in(&p->batch_end, pg_timeout_ms);
	p->in_batch = true;
	if (cand == NULL || miss == NULL)
		goto fail;
	/* Remembered keys first: only the OTPs they do not open are read. */
	for (size_t i = 0; i < n; i++) {
		if (store_identify(st, kc_load, items[i], &ks) != 1)
			miss[nm++] = i;
		else if (cand_set(&cand[nc++], items[i], i, &ks, true) != 0)
			goto fail;
	}
	explicit_bzero(&ks, sizeof(ks));
	if (ensure(p) != 0 ||
	    (nm > 0 && read_and_open(p, items, miss, nm, cand, &nc) != 0))
		goto fail;
	nm = 0;
	if (settle(p, cand, nc, miss, &nm) != 0)
		goto fail;
	/*
	 * A key from memory that the database has changed (sealed, say, or
	 * replaced by the same one): its OTPs are opened again with the key
	 * as read, by the batch's deadline.  The rest are decided: a failure
	 * now is only theirs.
	 */
	nc = 0;
	if (nm > 0 && (read_and_open(p, items, miss, nm, cand, &nc) != 0 ||
	    settle(p, cand, nc, NULL, NULL) != 0)) {
		rollback(p);
		for (size_t i = 0; i < nm; i++)
			items[miss[i]]->verdict = SV_BACKEND_ERROR;
	}
	p->in_batch = false;
	explicit_bzero(cand, n * sizeof(*cand));
	free(cand);
	free(miss);
	return;
fail:
	explicit_bzero(&ks, sizeof(ks));
	p->in_batch = false;
	rollback(p);
	if (cand != NULL)
		explicit_bzero(cand, n * sizeof(*cand));
	free(cand);
	free(miss);
	for (size_t i = 0; i < n; i++)
		items[i]->verdict = SV_BACKEND_ERROR;
}

/* ---- copies, checks -------------------------------------------------- */

static int
pg_dump(struct store *st, struct store_rows *out, char *errbuf, size_t errlen)
{
	struct pg_store *p = PG(st);
	PGresult *c = NULL, *k = NULL;
	unsigned char blob[STORE_SEALED_LEN];
	int r = -1, nc, nk, n;

	memset(out, 0, sizeof(*out));
	if (ensure(p) != 0 || cmd(p, "BEGIN ISOLATION LEVEL REPEATABLE READ"
	    " READ ONLY") != 0 ||
	    (c = run(p, false, "SELECT id, secret, active, created FROM clients"
	    " ORDER BY id", 0, NULL, PGRES_TUPLES_OK, NULL)) == NULL ||
	    (k = run(p, false, "SELECT public_id, private_id, aes_key, serial,"
	    " active, counter, session_use, tstamp, nonce, created, modified"
	    " FROM keys ORDER BY public_id", 0, NULL, PGRES_TUPLES_OK,
	    NULL)) == NULL) {
		snprintf(errbuf, errlen, "cannot read the database: %s", p->err);
		goto out;
	}
	nc = PQntuples(c);
	nk = PQntuples(k);
	out->clients = calloc(nc ? (size_t)nc : 1, sizeof(*out->clients));
	out->keys = calloc(nk ? (size_t)nk : 1, sizeof(*out->keys));
	if (out->clients == NULL || out->keys == NULL) {
		snprintf(errbuf, errlen, "%s", "out of memory");
		goto out;
	}
	for (int i = 0; i < nc; i++) {
		struct client_row *cr = &out->clients[i];

		if (PQgetlength(c, i, 1) >= (int)sizeof(cr->secret))
			goto bad;
		cr->id = (long)num(c, i, 0);
		snprintf(cr->secret, sizeof(cr->secret), "%s", PQgetvalue(c, i, 1));
		cr->active = flag(c, i, 2);
		cr->created = num(c, i, 3);
		out->nclients++;
	}
	for (int i = 0; i < nk; i++) {
		struct key_row *kr = &out->keys[i];

		if (PQgetlength(k, i, 0) > YK_PUBID_MAX ||
		    PQgetlength(k, i, 8) >= (int)sizeof(kr->nonce) ||
		    bytea(k, i, 1, kr->k.private_id, YK_UID_LEN) != 0 ||
		    (n = bytea_var(k, i, 2, blob, sizeof(blob))) < 0 ||
		    key_rec_set_stored(&kr->k, blob, (size_t)n) != 0)
			goto bad;
		snprintf(kr->k.public_id, sizeof(kr->k.public_id), "%s",
		    PQgetvalue(k, i, 0));
		kr->k.serial = (long)num(k, i, 3);
		kr->active = flag(k, i, 4);
		kr->counter = (long)num(k, i, 5);
		kr->use = (long)num(k, i, 6);
		kr->tstamp = num(k, i, 7);
		snprintf(kr->nonce, sizeof(kr->nonce), "%s", PQgetvalue(k, i, 8));
		kr->created = num(k, i, 9);
		kr->modified = num(k, i, 10);
		out->nkeys++;
	}
	r = 0;
	goto out;
bad:
	snprintf(errbuf, errlen, "%s", "a row does not fit the schema");
out:
	PQclear(c);
	PQclear(k);	/* AES keys: libpq frees without wiping */
	explicit_bzero(blob, sizeof(blob));
	rollback(p);
	if (r != 0)
		store_rows_free(out);
	return r;
}

static int
load_rows(struct pg_store *p, const struct store_rows *rows)
{
	char priv[2 + 2 * YK_UID_LEN + 1], aes[2 + 2 * STORE_SEALED_LEN + 1];
	const unsigned char *blob;
	size_t blen;
	struct numbuf b[8];
	PGresult *res;
	int r = -1;

	for (size_t i = 0; i < rows->nclients; i++) {
		const struct client_row *c = &rows->clients[i];
		const char *v[] = { numstr(&b[0], c->id), c->secret,
			c->active ? "true" : "false", numstr(&b[1], c->created) };

		res = run(p, false, "INSERT INTO clients (id, secret, active,"
		    " created) VALUES ($1, $2, $3, $4)", 4, v, PGRES_COMMAND_OK,
		    NULL);
		if (res == NULL)
			goto out;
		PQclear(res);
	}
	for (size_t i = 0; i < rows->nkeys; i++) {
		const struct key_row *k = &rows->keys[i];
		const char *v[] = { k->k.public_id, priv, aes,
			numstr(&b[0], k->k.serial), k->active ? "true" : "false",
			numstr(&b[1], k->counter), numstr(&b[2], k->use),
			numstr(&b[3], k->tstamp), k->nonce,
			numstr(&b[4], k->created), numstr(&b[5], k->modified) };

		hex(k->k.private_id, YK_UID_LEN, priv);
		blob = key_rec_stored(&k->k, &blen);
		hex(blob, blen, aes);
		res = run(p, false, "INSERT INTO keys (public_id, private_id,"
		    " aes_key, serial, active, counter, session_use, tstamp,"
		    " nonce, created, modified) VALUES ($1, $2, $3, $4, $5, $6,"
		    " $7, $8, $9, $10, $11)", 11, v, PGRES_COMMAND_OK, NULL);
		if (res == NULL)
			goto out;
		PQclear(res);
	}
	r = 0;
out:
	explicit_bzero(aes, sizeof(aes));
	return r;
}

static int
pg_load(struct store *st, const struct store_rows *rows, char *errbuf,
    size_t errlen)
{
	struct pg_store *p = PG(st);
	PGresult *res = NULL;
	int r = -1;

	if (begin(p) != 0 || cmd(p, "LOCK TABLE clients, keys IN EXCLUSIVE MODE") != 0 ||
	    (res = run(p, false, "SELECT (SELECT count(*) FROM clients) +"
	    " (SELECT count(*) FROM keys)", 0, NULL, PGRES_TUPLES_OK,
	    NULL)) == NULL) {
		snprintf(errbuf, errlen, "cannot write the database: %s", p->err);
		goto out;
	}
	if (num(res, 0, 0) != 0) {
		snprintf(errbuf, errlen, "%s", "the database is not empty");
		r = -2;
		goto out;
	}
	if (load_rows(p, rows) != 0 || cmd(p, "COMMIT") != 0) {
		snprintf(errbuf, errlen, "cannot write the database: %s", p->err);
		goto out;
	}
	r = 0;
out:
	PQclear(res);
	rollback(p);
	return r;
}

static int
pg_key_seal(struct store *st, const struct key_rec *k)
{
	char aes[2 + 2 * STORE_SEALED_LEN + 1];
	const char *v[] = { k->public_id, aes };

	if (!k->is_sealed)
		return -1;
	hex(k->sealed, STORE_SEALED_LEN, aes);
	return change_one(PG(st), "UPDATE keys SET aes_key = $2 WHERE"
	    " public_id = $1 AND length(aes_key) = 16", 2, v);
}

/*
 * An UPDATE leaves the old row version, the key in clear, in the table's
 * file until VACUUM FULL rewrites it (a plain VACUUM only marks the space
 * free).  It takes an exclusive lock on keys while it copies the rows:
 * verifications wait that long.  The WAL written before, base backups and
 * WAL archives still hold the old keys.
 */
static int
pg_purge_old_keys(struct store *st, char *errbuf, size_t errlen)
{
	struct pg_store *p = PG(st);

	if (ensure(p) == 0 && cmd(p, "VACUUM FULL keys") == 0)
		return 0;
	snprintf(errbuf, errlen, "the keys are sealed, but old row versions "
	    "still hold them in clear (run VACUUM FULL keys as the table's "
	    "owner): %s", p->err);
	return -1;
}

static int
pg_schema_version(struct store *st)
{
	return ensure(PG(st)) == 0 ? pg_version(PG(st)) : -1;
}

/*
 * Healthy: a fresh connection within timeout_ms reaches a primary (not a
 * read-only standby) whose schema is this ykvald's and whose tables read.
 */
static int
pg_check(const char *uri, int timeout_ms, char *errbuf, size_t errlen)
{
	struct pg_store p = { .uri = (char *)uri };
	PGresult *res = NULL;
	int r = -1;

	if ((p.conn = connect_within(uri, timeout_ms, errbuf, errlen)) == NULL)
		return -1;
	__atomic_add_fetch(&ok_gen, 1, __ATOMIC_RELAXED);
	/* One row of each table proves it reads; counting would scan both. */
	res = run(&p, false, "SELECT pg_is_in_recovery(), (SELECT version FROM"
	    " ykvald_schema), EXISTS (SELECT 1 FROM clients LIMIT 1),"
	    " EXISTS (SELECT 1 FROM keys LIMIT 1)", 0, NULL, PGRES_TUPLES_OK,
	    NULL);
	if (res == NULL || PQntuples(res) != 1) {
		snprintf(errbuf, errlen, "cannot read the database: %s", p.err);
		goto out;
	}
	if (flag(res, 0, 0)) {
		snprintf(errbuf, errlen, "%s", "the database is a read-only "
		    "standby");
		goto out;
	}
	if (num(res, 0, 1) != STORE_SCHEMA_VERSION) {
		snprintf(errbuf, errlen, "%s", "the database schema is not this "
		    "ykvald's");
		goto out;
	}
	r = 0;
out:
	PQclear(res);
	PQfinish(p.conn);
	return r;
}

const struct store_ops store_pg_ops = {
	.name = "PostgreSQL",
	.writers = PG_WRITERS,
	.confirms_client = true,
	.open = pg_open,
	.close = pg_close,
	.client_get = pg_client_get,
	.client_add = pg_client_add,
	.clients_foreach = pg_clients_foreach,
	.client_set_active = pg_client_set_active,
	.client_set_key = pg_client_set_key,
	.keys_add = pg_keys_add,
	.key_set_active = pg_key_set_active,
	.key_delete = pg_key_delete,
	.key_replace = pg_key_replace,
	.key_bump = pg_key_bump,
	.keys_foreach = pg_keys_foreach,
	.cas_batch = pg_cas_batch,
	.backup = NULL,
	.check = pg_check,
	.dump = pg_dump,
	.load = pg_load,
	.schema_version = pg_schema_version,
	.key_seal = pg_key_seal,
	.purge_old_keys = pg_purge_old_keys,
};
