/* SPDX-License-Identifier: BSD-2-Clause */
/* store_sqlite.c - ykvald's SQLite backend: one file, WAL, synchronous=FULL */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <sqlite3.h>

#include "modhex.h"
#include "store.h"

struct sqlite_store {
	struct store	base;
	sqlite3		*db;
	sqlite3_stmt	*get_key;
	sqlite3_stmt	*cas;
};

/* Here a struct store is always the start of a struct sqlite_store. */
#define SQ(st)	((struct sqlite_store *)(void *)(st))

/* The keys table, named name, whose aes_key has a length in lengths. */
#define KEYS_TABLE(name, lengths)					\
	"CREATE TABLE " name " ("					\
	"  public_id TEXT PRIMARY KEY,"					\
	"  private_id BLOB NOT NULL CHECK (length(private_id) = 6),"	\
	"  aes_key BLOB NOT NULL CHECK (length(aes_key) " lengths "),"	\
	"  serial INTEGER NOT NULL DEFAULT 0,"				\
	"  active INTEGER NOT NULL DEFAULT 1,"				\
	"  counter INTEGER NOT NULL DEFAULT -1,"			\
	"  session_use INTEGER NOT NULL DEFAULT -1,"			\
	"  tstamp INTEGER NOT NULL DEFAULT -1,"				\
	"  nonce TEXT NOT NULL DEFAULT '',"				\
	"  created INTEGER NOT NULL,"					\
	"  modified INTEGER NOT NULL DEFAULT -1"			\
	") WITHOUT ROWID;"

/* migrations[v] brings a database from version v to v + 1. */
static const char *const migrations[STORE_SCHEMA_VERSION] = {
	"CREATE TABLE clients ("
	"  id INTEGER PRIMARY KEY CHECK (id > 0),"
	"  secret TEXT NOT NULL,"
	"  active INTEGER NOT NULL DEFAULT 1,"
	"  created INTEGER NOT NULL);"
	KEYS_TABLE("keys", "= 16"),
	/* 2: an AES key may be sealed (--key-file) */
	KEYS_TABLE("keys2", "IN (16, 44)")
	"INSERT INTO keys2 SELECT * FROM keys;"
	"DROP TABLE keys;"
	"ALTER TABLE keys2 RENAME TO keys;",
	/* 3: nothing here (PostgreSQL's length checks became domains) */
	"",
};

static const char sql_get_key[] =
	"SELECT private_id, aes_key, active, counter, session_use, nonce"
	" FROM keys WHERE public_id = ?1";

/* The compare-and-set: it changes a row only for a strictly greater pair. */
static const char sql_cas[] =
	"UPDATE keys SET counter = ?2, session_use = ?3, tstamp = ?4,"
	" nonce = ?5, modified = ?6"
	" WHERE public_id = ?1 AND active = 1"
	" AND (counter < ?2 OR (counter = ?2 AND session_use < ?3))";

static void
set_err(char *buf, size_t len, const char *what, sqlite3 *db)
{
	snprintf(buf, len, "%s: %s", what, db ? sqlite3_errmsg(db) :
	    "out of memory");
}

static int
exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* The first row's integer of sql, or -1. */
static long long
query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	long long v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static int
schema_version(sqlite3 *db)
{
	return (int)query_int(db, "PRAGMA user_version");
}

static int
migrate(sqlite3 *db, char *errbuf, size_t errlen)
{
	char sql[64];
	int v;

	/* The common case takes no write lock. */
	if (schema_version(db) == STORE_SCHEMA_VERSION)
		return 0;
	if (exec(db, "BEGIN IMMEDIATE") != 0) {
		set_err(errbuf, errlen, "cannot lock the database", db);
		return -1;
	}
	if ((v = schema_version(db)) < 0) {
		set_err(errbuf, errlen, "cannot read the schema version", db);
		goto fail;
	}
	if (v > STORE_SCHEMA_VERSION) {
		snprintf(errbuf, errlen, "database schema version %d is newer "
		    "than this ykvald (%d)", v, STORE_SCHEMA_VERSION);
		goto fail;
	}
	for (; v < STORE_SCHEMA_VERSION; v++) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (exec(db, migrations[v]) != 0 || exec(db, sql) != 0) {
			set_err(errbuf, errlen, "schema migration failed", db);
			goto fail;
		}
	}
	if (exec(db, "COMMIT") == 0)
		return 0;
	set_err(errbuf, errlen, "schema migration failed", db);
fail:
	exec(db, "ROLLBACK");
	return -1;
}

/* SQLite would create the file 0644; a key store must be 0600. */
static int
create_private(const char *path, char *errbuf, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno == EEXIST)
		return 0;
	snprintf(errbuf, errlen, "cannot create %s: %s", path, strerror(errno));
	return -1;
}

static void sq_close(struct store *st);

static struct store *
sq_open(const char *path, enum store_open_mode mode, char *errbuf,
    size_t errlen)
{
	struct sqlite_store *sq = calloc(1, sizeof(*sq));
	struct store *st;

	if (sq == NULL) {
		set_err(errbuf, errlen, "store_open", NULL);
		return NULL;
	}
	st = &sq->base;
	st->ops = &store_sqlite_ops;
	if (mode != STORE_EXISTING && create_private(path, errbuf, errlen) != 0)
		goto fail;
	if (sqlite3_open_v2(path, &sq->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		snprintf(errbuf, errlen, "cannot open database %s: %s", path,
		    sq->db ? sqlite3_errmsg(sq->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(sq->db, 5000);
	if (exec(sq->db, "PRAGMA journal_mode = WAL") != 0 ||
	    exec(sq->db, "PRAGMA synchronous = FULL") != 0) {
		set_err(errbuf, errlen, "cannot configure the database", sq->db);
		goto fail;
	}
	if (migrate(sq->db, errbuf, errlen) != 0)
		goto fail;
	if (sqlite3_prepare_v3(sq->db, sql_get_key, -1, SQLITE_PREPARE_PERSISTENT,
	    &sq->get_key, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(sq->db, sql_cas, -1, SQLITE_PREPARE_PERSISTENT,
	    &sq->cas, NULL) != SQLITE_OK) {
		set_err(errbuf, errlen, "cannot prepare statements", sq->db);
		goto fail;
	}
	return st;
fail:
	sq_close(st);
	return NULL;
}

static void
sq_close(struct store *st)
{
	if (st == NULL)
		return;
	sqlite3_finalize(SQ(st)->get_key);
	sqlite3_finalize(SQ(st)->cas);
	sqlite3_close(SQ(st)->db);
	free(SQ(st));
}

static int
sq_client_get(struct store *st, long id, struct client *out)
{
	sqlite3_stmt *s = NULL;
	const char *secret;
	int r = -1, rc;

	memset(out, 0, sizeof(*out));
	if (sqlite3_prepare_v2(SQ(st)->db, "SELECT secret FROM clients"
	    " WHERE id = ?1 AND active = 1", -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		r = 0;
		goto out;
	}
	if (rc != SQLITE_ROW || (secret = (const char *)sqlite3_column_text(s, 0)) == NULL)
		goto out;
	r = store_client_found(out, id, secret);
out:
	sqlite3_finalize(s);
	return r;
}

static int
sq_client_add(struct store *st, long *id, const char *b64key)
{
	sqlite3_stmt *s = NULL;
	int r = -1, rc;

	if (sqlite3_prepare_v2(SQ(st)->db, *id > 0 ?
	    "INSERT INTO clients (id, secret, created) VALUES (?1, ?2, ?3)" :
	    "INSERT INTO clients (id, secret, created) VALUES"
	    " ((SELECT coalesce(max(id), 0) + 1 FROM clients), ?2, ?3)",
	    -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (*id > 0)
		sqlite3_bind_int64(s, 1, *id);
	sqlite3_bind_text(s, 2, b64key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)time(NULL));
	rc = sqlite3_step(s);
	if (rc == SQLITE_CONSTRAINT) {
		r = -2;
		goto out;
	}
	if (rc != SQLITE_DONE)
		goto out;
	*id = (long)sqlite3_last_insert_rowid(SQ(st)->db);
	r = 0;
out:
	sqlite3_finalize(s);
	return r;
}

/*
 * Run the query sql, calling row(s, arg) on each row until it returns
 * nonzero.  0 when every row was taken, else -1.
 */
static int
each_row(sqlite3 *db, const char *sql, int (*row)(sqlite3_stmt *, void *),
    void *arg)
{
	sqlite3_stmt *s = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (row(s, arg) != 0)
			break;
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int
client_info_row(sqlite3_stmt *s, void *arg)
{
	const struct store_walk *w = arg;
	const struct client_info ci = {
		.id = (long)sqlite3_column_int64(s, 0),
		.active = sqlite3_column_int(s, 1) != 0,
		.created = sqlite3_column_int64(s, 2),
	};

	return w->cb.client(&ci, w->arg);
}

static int
sq_clients_foreach(struct store *st, struct store_walk *w)
{
	return each_row(SQ(st)->db, "SELECT id, active, created FROM clients"
	    " ORDER BY id", client_info_row, w);
}

/* Run an UPDATE or DELETE of one row: 0, -1 error, -2 no such row. */
static int
change_one(struct store *st, sqlite3_stmt *s)
{
	int r = -1;

	if (sqlite3_step(s) == SQLITE_DONE)
		r = sqlite3_changes(SQ(st)->db) == 1 ? 0 : -2;
	sqlite3_finalize(s);
	return r;
}

static int
sq_client_set_active(struct store *st, long id, bool on)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(SQ(st)->db, "UPDATE clients SET active = ?2"
	    " WHERE id = ?1", -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, on ? 1 : 0);
	return change_one(st, s);
}

static int
sq_client_set_key(struct store *st, long id, const char *b64key)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(SQ(st)->db, "UPDATE clients SET secret = ?2"
	    " WHERE id = ?1", -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, b64key, -1, SQLITE_STATIC);
	return change_one(st, s);
}

static int
sq_keys_add(struct store *st, const struct key_rec *keys, size_t n,
    char *errbuf, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	const unsigned char *aes;
	size_t aeslen;
	int r = -1, rc;

	if (exec(SQ(st)->db, "BEGIN IMMEDIATE") != 0) {
		set_err(errbuf, errlen, "cannot lock the database", SQ(st)->db);
		return -1;
	}
	if (sqlite3_prepare_v2(SQ(st)->db, "INSERT INTO keys (public_id, private_id,"
	    " aes_key, serial, created) VALUES (?1, ?2, ?3, ?4, ?5)", -1, &s,
	    NULL) != SQLITE_OK) {
		set_err(errbuf, errlen, "cannot add keys", SQ(st)->db);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(s);
		sqlite3_bind_text(s, 1, keys[i].public_id, -1, SQLITE_STATIC);
		sqlite3_bind_blob(s, 2, keys[i].private_id, YK_UID_LEN, SQLITE_STATIC);
		aes = key_rec_stored(&keys[i], &aeslen);
		sqlite3_bind_blob(s, 3, aes, (int)aeslen, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, keys[i].serial);
		sqlite3_bind_int64(s, 5, (sqlite3_int64)time(NULL));
		rc = sqlite3_step(s);
		if (rc == SQLITE_CONSTRAINT) {
			snprintf(errbuf, errlen, "public ID %s is already in "
			    "the database", keys[i].public_id);
			r = -2;
			goto out;
		}
		if (rc != SQLITE_DONE) {
			set_err(errbuf, errlen, "cannot add keys", SQ(st)->db);
			goto out;
		}
	}
	if (exec(SQ(st)->db, "COMMIT") != 0) {
		set_err(errbuf, errlen, "cannot commit", SQ(st)->db);
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(s);
	if (r != 0)
		exec(SQ(st)->db, "ROLLBACK");
	return r;
}

static int
sq_key_set_active(struct store *st, const char *public_id, bool on)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(SQ(st)->db, "UPDATE keys SET active = ?2"
	    " WHERE public_id = ?1", -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(s, 1, public_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, on ? 1 : 0);
	return change_one(st, s);
}

static int
sq_key_delete(struct store *st, const char *public_id)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(SQ(st)->db, "DELETE FROM keys WHERE public_id = ?1",
	    -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(s, 1, public_id, -1, SQLITE_STATIC);
	return change_one(st, s);
}

static int
sq_key_replace(struct store *st, const struct key_rec *k)
{
	sqlite3_stmt *s = NULL;
	const unsigned char *aes;
	size_t aeslen;

	if (sqlite3_prepare_v2(SQ(st)->db, "UPDATE keys SET private_id = ?2,"
	    " aes_key = ?3, serial = ?4, counter = -1, session_use = -1,"
	    " tstamp = -1, nonce = '', modified = -1, created = ?5"
	    " WHERE public_id = ?1", -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(s, 1, k->public_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, k->private_id, YK_UID_LEN, SQLITE_STATIC);
	aes = key_rec_stored(k, &aeslen);
	sqlite3_bind_blob(s, 3, aes, (int)aeslen, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, k->serial);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)time(NULL));
	return change_one(st, s);
}

static int
sq_key_bump(struct store *st, const char *public_id, long counter,
    long use)
{
	sqlite3_stmt *s = NULL;
	int r;

	if (exec(SQ(st)->db, "BEGIN IMMEDIATE") != 0)
		return -1;
	/* The same order as the compare-and-set: (counter, use) pairs. */
	if (sqlite3_prepare_v2(SQ(st)->db, "UPDATE keys SET counter = ?2,"
	    " session_use = ?3, nonce = '', modified = ?4 WHERE public_id = ?1"
	    " AND (counter < ?2 OR (counter = ?2 AND session_use < ?3))",
	    -1, &s, NULL) != SQLITE_OK) {
		exec(SQ(st)->db, "ROLLBACK");
		return -1;
	}
	sqlite3_bind_text(s, 1, public_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, counter);
	sqlite3_bind_int64(s, 3, use);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)time(NULL));
	r = change_one(st, s);
	if (r == -2) {
		/* Already that high is fine; an unknown key is not. */
		if (sqlite3_prepare_v2(SQ(st)->db, "SELECT 1 FROM keys WHERE"
		    " public_id = ?1", -1, &s, NULL) != SQLITE_OK) {
			r = -1;
		} else {
			sqlite3_bind_text(s, 1, public_id, -1, SQLITE_STATIC);
			r = sqlite3_step(s) == SQLITE_ROW ? 0 : -2;
			sqlite3_finalize(s);
		}
	}
	if (r == 0 && exec(SQ(st)->db, "COMMIT") == 0)
		return 0;
	exec(SQ(st)->db, "ROLLBACK");
	return r == 0 ? -1 : r;
}

static int
key_info_row(sqlite3_stmt *s, void *arg)
{
	const struct store_walk *w = arg;
	struct key_info ki;

	ki.public_id = (const char *)sqlite3_column_text(s, 0);
	ki.serial = (long)sqlite3_column_int64(s, 1);
	ki.active = sqlite3_column_int(s, 2) != 0;
	ki.counter = (long)sqlite3_column_int64(s, 3);
	ki.use = (long)sqlite3_column_int64(s, 4);
	ki.created = sqlite3_column_int64(s, 5);
	ki.modified = sqlite3_column_int64(s, 6);
	return ki.public_id == NULL || w->cb.key(&ki, w->arg) != 0;
}

static int
sq_keys_foreach(struct store *st, struct store_walk *w)
{
	return each_row(SQ(st)->db, "SELECT public_id, serial, active, counter,"
	    " session_use, created, modified FROM keys ORDER BY public_id",
	    key_info_row, w);
}

/* 1 found, 0 unknown, -1 error. */
static int
load_key(struct store *st, const char *public_id, struct key_state *ks)
{
	sqlite3_stmt *s = SQ(st)->get_key;
	const char *nonce;
	int rc, r = -1;

	memset(ks, 0, sizeof(*ks));
	sqlite3_reset(s);
	sqlite3_bind_text(s, 1, public_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE)
		r = 0;
	if (rc != SQLITE_ROW)
		goto out;
	if (sqlite3_column_bytes(s, 0) != YK_UID_LEN ||
	    sqlite3_column_bytes(s, 1) < 1 ||
	    sqlite3_column_bytes(s, 1) > STORE_SEALED_LEN)
		goto out;
	memcpy(ks->uid, sqlite3_column_blob(s, 0), YK_UID_LEN);
	ks->storedlen = (size_t)sqlite3_column_bytes(s, 1);
	memcpy(ks->stored, sqlite3_column_blob(s, 1), ks->storedlen);
	ks->active = sqlite3_column_int(s, 2) != 0;
	ks->counter = (long)sqlite3_column_int64(s, 3);
	ks->use = (long)sqlite3_column_int64(s, 4);
	nonce = (const char *)sqlite3_column_text(s, 5);
	snprintf(ks->nonce, sizeof(ks->nonce), "%s", nonce ? nonce : "");
	r = 1;
out:
	sqlite3_reset(s);
	return r;
}

static enum store_verdict
cas_one(struct store *st, struct cas_item *it)
{
	struct key_state ks;
	sqlite3_stmt *s = SQ(st)->cas;
	long ctr, use;
	int r, rc;
	enum store_verdict v = SV_BACKEND_ERROR;

	r = store_identify(st, load_key, it, &ks);
	if (r <= 0) {
		v = r == 0 ? SV_BAD_OTP : SV_BACKEND_ERROR;
		goto out;
	}
	if (!ks.active) {
		v = SV_BAD_OTP;
		goto out;
	}
	ctr = it->tok.ctr & 0x7fff;
	use = it->tok.use;
	sqlite3_reset(s);
	sqlite3_bind_text(s, 1, it->public_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, ctr);
	sqlite3_bind_int64(s, 3, use);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)otp_timestamp(&it->tok));
	sqlite3_bind_text(s, 5, it->nonce, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)time(NULL));
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		goto out;
	if (sqlite3_changes(SQ(st)->db) == 1)
		v = SV_OK;
	else
		v = store_not_newer(&ks, ctr, use, it->nonce);
out:
	explicit_bzero(&ks, sizeof(ks));
	return v;
}

static void
sq_cas_batch(struct store *st, struct cas_item **items, size_t n)
{
	if (exec(SQ(st)->db, "BEGIN IMMEDIATE") != 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		items[i]->verdict = cas_one(st, items[i]);
		/* An I/O error may have rolled the transaction back. */
		if (sqlite3_get_autocommit(SQ(st)->db))
			goto fail;
	}
	if (exec(SQ(st)->db, "COMMIT") == 0)
		return;
	exec(SQ(st)->db, "ROLLBACK");
fail:
	for (size_t i = 0; i < n; i++)
		items[i]->verdict = SV_BACKEND_ERROR;
}

static int
sq_backup(struct store *st, int fd, char *errbuf, size_t errlen)
{
	sqlite3_int64 size = 0;
	unsigned char *img;
	size_t off = 0;
	ssize_t n;
	int r = -1;

	/* One read transaction: a snapshot, while verifications go on. */
	if ((img = sqlite3_serialize(SQ(st)->db, "main", &size, 0)) == NULL) {
		set_err(errbuf, errlen, "cannot read the database", SQ(st)->db);
		return -1;
	}
	while (off < (size_t)size) {
		n = write(fd, img + off, (size_t)size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(errbuf, errlen, "write: %s",
			    strerror(n < 0 ? errno : EIO));
			goto out;
		}
		off += (size_t)n;
	}
	if (fsync(fd) != 0) {
		snprintf(errbuf, errlen, "fsync: %s", strerror(errno));
		goto out;
	}
	r = 0;
out:
	explicit_bzero(img, (size_t)size);	/* AES keys */
	sqlite3_free(img);
	return r;
}

static int
sq_check(const char *path, int timeout_ms, char *errbuf, size_t errlen)
{
	sqlite3 *db = NULL;
	int r = -1;

	/* SQLite reuses a descriptor this process holds on the same file. */
	if (access(path, R_OK | W_OK) != 0) {
		snprintf(errbuf, errlen, "cannot open the database: %s",
		    strerror(errno));
		goto out;
	}
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		set_err(errbuf, errlen, "cannot open the database", db);
		goto out;
	}
	sqlite3_busy_timeout(db, timeout_ms);
	if (exec(db, "BEGIN") != 0 ||
	    query_int(db, "PRAGMA user_version") != STORE_SCHEMA_VERSION ||
	    query_int(db, "SELECT count(*) FROM clients") < 0 ||
	    query_int(db, "SELECT count(*) FROM keys") < 0) {
		set_err(errbuf, errlen, "cannot read the database", db);
		goto out;
	}
	r = 0;
out:
	sqlite3_close(db);	/* rolls the read transaction back */
	return r;
}

/* Append a row to a growing array; 0 or -1. */
static int
grow(void **arr, size_t n, size_t size)
{
	void *p;

	if (n % 256 != 0)
		return 0;
	if ((p = realloc(*arr, (n + 256) * size)) == NULL)
		return -1;
	*arr = p;
	return 0;
}

/* One row of clients into out: 0, or -1. */
static int
dump_client(sqlite3_stmt *s, void *arg)
{
	struct store_rows *out = arg;
	struct client_row *c;
	const char *secret;

	if (grow((void **)&out->clients, out->nclients, sizeof(*c)) != 0)
		return -1;
	c = &out->clients[out->nclients];
	memset(c, 0, sizeof(*c));
	secret = (const char *)sqlite3_column_text(s, 1);
	if (secret == NULL || strlen(secret) >= sizeof(c->secret))
		return -1;
	c->id = (long)sqlite3_column_int64(s, 0);
	snprintf(c->secret, sizeof(c->secret), "%s", secret);
	c->active = sqlite3_column_int(s, 2) != 0;
	c->created = sqlite3_column_int64(s, 3);
	out->nclients++;
	return 0;
}

/* One row of keys into out: 0, or -1. */
static int
dump_key(sqlite3_stmt *s, void *arg)
{
	struct store_rows *out = arg;
	struct key_row *k;
	const char *pub, *nonce;

	if (grow((void **)&out->keys, out->nkeys, sizeof(*k)) != 0)
		return -1;
	k = &out->keys[out->nkeys];
	memset(k, 0, sizeof(*k));
	pub = (const char *)sqlite3_column_text(s, 0);
	nonce = (const char *)sqlite3_column_text(s, 8);
	if (pub == NULL || strlen(pub) > YK_PUBID_MAX ||
	    sqlite3_column_bytes(s, 1) != YK_UID_LEN ||
	    key_rec_set_stored(&k->k, sqlite3_column_blob(s, 2),
	    (size_t)sqlite3_column_bytes(s, 2)) != 0 ||
	    (nonce != NULL && strlen(nonce) >= sizeof(k->nonce)))
		return -1;
	snprintf(k->k.public_id, sizeof(k->k.public_id), "%s", pub);
	memcpy(k->k.private_id, sqlite3_column_blob(s, 1), YK_UID_LEN);
	k->k.serial = (long)sqlite3_column_int64(s, 3);
	k->active = sqlite3_column_int(s, 4) != 0;
	k->counter = (long)sqlite3_column_int64(s, 5);
	k->use = (long)sqlite3_column_int64(s, 6);
	k->tstamp = sqlite3_column_int64(s, 7);
	snprintf(k->nonce, sizeof(k->nonce), "%s", nonce ? nonce : "");
	k->created = sqlite3_column_int64(s, 9);
	k->modified = sqlite3_column_int64(s, 10);
	out->nkeys++;
	return 0;
}

static int
sq_dump(struct store *st, struct store_rows *out, char *errbuf, size_t errlen)
{
	sqlite3 *db = SQ(st)->db;
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (exec(db, "BEGIN") != 0 ||
	    each_row(db, "SELECT id, secret, active, created FROM clients"
	    " ORDER BY id", dump_client, out) != 0 ||
	    each_row(db, "SELECT public_id, private_id, aes_key, serial, active,"
	    " counter, session_use, tstamp, nonce, created, modified FROM keys"
	    " ORDER BY public_id", dump_key, out) != 0) {
		set_err(errbuf, errlen, "cannot read the database", db);
		goto out;
	}
	r = 0;
out:
	exec(db, "ROLLBACK");
	if (r != 0)
		store_rows_free(out);
	return r;
}

static int
load_rows(sqlite3 *db, const struct store_rows *rows)
{
	sqlite3_stmt *c = NULL, *k = NULL;
	const unsigned char *aes;
	size_t aeslen;
	int r = -1;

	if (sqlite3_prepare_v2(db, "INSERT INTO clients (id, secret, active,"
	    " created) VALUES (?1, ?2, ?3, ?4)", -1, &c, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO keys (public_id, private_id,"
	    " aes_key, serial, active, counter, session_use, tstamp, nonce,"
	    " created, modified) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
	    " ?10, ?11)", -1, &k, NULL) != SQLITE_OK)
		goto out;
	for (size_t i = 0; i < rows->nclients; i++) {
		const struct client_row *cr = &rows->clients[i];

		sqlite3_reset(c);
		sqlite3_bind_int64(c, 1, cr->id);
		sqlite3_bind_text(c, 2, cr->secret, -1, SQLITE_STATIC);
		sqlite3_bind_int(c, 3, cr->active ? 1 : 0);
		sqlite3_bind_int64(c, 4, cr->created);
		if (sqlite3_step(c) != SQLITE_DONE)
			goto out;
	}
	for (size_t i = 0; i < rows->nkeys; i++) {
		const struct key_row *kr = &rows->keys[i];

		sqlite3_reset(k);
		sqlite3_bind_text(k, 1, kr->k.public_id, -1, SQLITE_STATIC);
		sqlite3_bind_blob(k, 2, kr->k.private_id, YK_UID_LEN, SQLITE_STATIC);
		aes = key_rec_stored(&kr->k, &aeslen);
		sqlite3_bind_blob(k, 3, aes, (int)aeslen, SQLITE_STATIC);
		sqlite3_bind_int64(k, 4, kr->k.serial);
		sqlite3_bind_int(k, 5, kr->active ? 1 : 0);
		sqlite3_bind_int64(k, 6, kr->counter);
		sqlite3_bind_int64(k, 7, kr->use);
		sqlite3_bind_int64(k, 8, kr->tstamp);
		sqlite3_bind_text(k, 9, kr->nonce, -1, SQLITE_STATIC);
		sqlite3_bind_int64(k, 10, kr->created);
		sqlite3_bind_int64(k, 11, kr->modified);
		if (sqlite3_step(k) != SQLITE_DONE)
			goto out;
	}
	r = 0;
out:
	sqlite3_finalize(c);
	sqlite3_finalize(k);
	return r;
}

static int
sq_load(struct store *st, const struct store_rows *rows, char *errbuf,
    size_t errlen)
{
	sqlite3 *db = SQ(st)->db;
	int r = -1;

	if (exec(db, "BEGIN IMMEDIATE") != 0) {
		set_err(errbuf, errlen, "cannot lock the database", db);
		return -1;
	}
	if (query_int(db, "SELECT (SELECT count(*) FROM clients) +"
	    " (SELECT count(*) FROM keys)") != 0) {
		snprintf(errbuf, errlen, "%s", "the database is not empty");
		r = -2;
		goto out;
	}
	if (load_rows(db, rows) != 0 || exec(db, "COMMIT") != 0) {
		set_err(errbuf, errlen, "cannot write the database", db);
		goto out;
	}
	r = 0;
out:
	if (r != 0)
		exec(db, "ROLLBACK");
	return r;
}

/*
 * The plain key's bytes are overwritten (secure_delete); the WAL is
 * written back into the file, and removed, when the last user closes it.
 */
static int
sq_key_seal(struct store *st, const struct key_rec *k)
{
	sqlite3 *db = SQ(st)->db;
	sqlite3_stmt *s = NULL;
	int r = -1;

	if (!k->is_sealed || exec(db, "PRAGMA secure_delete = ON") != 0)
		return -1;
	if (sqlite3_prepare_v2(db, "UPDATE keys SET aes_key = ?2 WHERE"
	    " public_id = ?1 AND length(aes_key) = 16", -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_text(s, 1, k->public_id, -1, SQLITE_STATIC);
		sqlite3_bind_blob(s, 2, k->sealed, STORE_SEALED_LEN, SQLITE_STATIC);
		r = change_one(st, s);
	}
	exec(db, "PRAGMA secure_delete = OFF");
	return r;
}

static int
sq_schema_version(struct store *st)
{
	return schema_version(SQ(st)->db);
}

const struct store_ops store_sqlite_ops = {
	.name = "SQLite",
	.writers = 1,
	.open = sq_open,
	.close = sq_close,
	.client_get = sq_client_get,
	.client_add = sq_client_add,
	.clients_foreach = sq_clients_foreach,
	.client_set_active = sq_client_set_active,
	.client_set_key = sq_client_set_key,
	.keys_add = sq_keys_add,
	.key_set_active = sq_key_set_active,
	.key_delete = sq_key_delete,
	.key_replace = sq_key_replace,
	.key_bump = sq_key_bump,
	.keys_foreach = sq_keys_foreach,
	.cas_batch = sq_cas_batch,
	.backup = sq_backup,
	.check = sq_check,
	.dump = sq_dump,
	.load = sq_load,
	.schema_version = sq_schema_version,
	.key_seal = sq_key_seal,
};
