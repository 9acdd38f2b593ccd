/* SPDX-License-Identifier: BSD-2-Clause */
/* store.c - ykvald's SQLite storage: clients, keys and counters */
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

struct store {
	sqlite3		*db;
	sqlite3_stmt	*get_key;
	sqlite3_stmt	*cas;
};

/* migrations[v] brings a database from version v to v + 1. */
static const char *const migrations[STORE_SCHEMA_VERSION] = {
	"CREATE TABLE clients ("
	"  id INTEGER PRIMARY KEY CHECK (id > 0),"
	"  secret TEXT NOT NULL,"
	"  active INTEGER NOT NULL DEFAULT 1,"
	"  created INTEGER NOT NULL);"
	"CREATE TABLE keys ("
	"  public_id TEXT PRIMARY KEY,"
	"  private_id BLOB NOT NULL CHECK (length(private_id) = 6),"
	"  aes_key BLOB NOT NULL CHECK (length(aes_key) = 16),"
	"  serial INTEGER NOT NULL DEFAULT 0,"
	"  active INTEGER NOT NULL DEFAULT 1,"
	"  counter INTEGER NOT NULL DEFAULT -1,"
	"  session_use INTEGER NOT NULL DEFAULT -1,"
	"  tstamp INTEGER NOT NULL DEFAULT -1,"
	"  nonce TEXT NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL,"
	"  modified INTEGER NOT NULL DEFAULT -1"
	") WITHOUT ROWID;",
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

static int
schema_version(sqlite3 *db)
{
	sqlite3_stmt *s;
	int v = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
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

struct store *
store_open(const char *path, enum store_open_mode mode, char *errbuf,
    size_t errlen)
{
	struct store *st = calloc(1, sizeof(*st));

	if (st == NULL) {
		set_err(errbuf, errlen, "store_open", NULL);
		return NULL;
	}
	if (mode == STORE_CREATE && create_private(path, errbuf, errlen) != 0)
		goto fail;
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		snprintf(errbuf, errlen, "cannot open database %s: %s", path,
		    st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 5000);
	if (exec(st->db, "PRAGMA journal_mode = WAL") != 0 ||
	    exec(st->db, "PRAGMA synchronous = FULL") != 0) {
		set_err(errbuf, errlen, "cannot configure the database", st->db);
		goto fail;
	}
	if (migrate(st->db, errbuf, errlen) != 0)
		goto fail;
	if (sqlite3_prepare_v3(st->db, sql_get_key, -1, SQLITE_PREPARE_PERSISTENT,
	    &st->get_key, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(st->db, sql_cas, -1, SQLITE_PREPARE_PERSISTENT,
	    &st->cas, NULL) != SQLITE_OK) {
		set_err(errbuf, errlen, "cannot prepare statements", st->db);
		goto fail;
	}
	return st;
fail:
	store_close(st);
	return NULL;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	sqlite3_finalize(st->get_key);
	sqlite3_finalize(st->cas);
	sqlite3_close(st->db);
	free(st);
}

int
store_client_get(struct store *st, long id, struct client *out)
{
	sqlite3_stmt *s = NULL;
	const char *secret;
	int r = -1, rc, n;

	memset(out, 0, sizeof(*out));
	if (sqlite3_prepare_v2(st->db, "SELECT secret FROM clients"
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
	if ((n = b64_decode(secret, out->key, sizeof(out->key))) < 0)
		goto out;
	out->keylen = (size_t)n;
	out->id = id;
	out->active = true;
	r = 1;
out:
	sqlite3_finalize(s);
	return r;
}

int
store_client_add(struct store *st, long *id, const char *b64key)
{
	sqlite3_stmt *s = NULL;
	int r = -1, rc;

	if (sqlite3_prepare_v2(st->db, *id > 0 ?
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
	*id = (long)sqlite3_last_insert_rowid(st->db);
	r = 0;
out:
	sqlite3_finalize(s);
	return r;
}

int
store_clients_foreach(struct store *st,
    int (*cb)(const struct client_info *, void *), void *arg)
{
	sqlite3_stmt *s = NULL;
	struct client_info ci;
	int rc, r = -1;

	if (sqlite3_prepare_v2(st->db, "SELECT id, active, created FROM clients"
	    " ORDER BY id", -1, &s, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ci.id = (long)sqlite3_column_int64(s, 0);
		ci.active = sqlite3_column_int(s, 1) != 0;
		ci.created = sqlite3_column_int64(s, 2);
		if (cb(&ci, arg) != 0)
			goto out;
	}
	if (rc == SQLITE_DONE)
		r = 0;
out:
	sqlite3_finalize(s);
	return r;
}

/* Run an UPDATE or DELETE of one row: 0, -1 error, -2 no such row. */
static int
change_one(struct store *st, sqlite3_stmt *s)
{
	int r = -1;

	if (sqlite3_step(s) == SQLITE_DONE)
		r = sqlite3_changes(st->db) == 1 ? 0 : -2;
	sqlite3_finalize(s);
	return r;
}

int
store_client_set_active(struct store *st, long id, bool on)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(st->db, "UPDATE clients SET active = ?2"
	    " WHERE id = ?1", -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, on ? 1 : 0);
	return change_one(st, s);
}

int
store_client_set_key(struct store *st, long id, const char *b64key)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(st->db, "UPDATE clients SET secret = ?2"
	    " WHERE id = ?1", -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, b64key, -1, SQLITE_STATIC);
	return change_one(st, s);
}

int
store_keys_add(struct store *st, const struct key_rec *keys, size_t n,
    char *errbuf, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int r = -1, rc;

	if (exec(st->db, "BEGIN IMMEDIATE") != 0) {
		set_err(errbuf, errlen, "cannot lock the database", st->db);
		return -1;
	}
	if (sqlite3_prepare_v2(st->db, "INSERT INTO keys (public_id, private_id,"
	    " aes_key, serial, created) VALUES (?1, ?2, ?3, ?4, ?5)", -1, &s,
	    NULL) != SQLITE_OK) {
		set_err(errbuf, errlen, "cannot add keys", st->db);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		sqlite3_reset(s);
		sqlite3_bind_text(s, 1, keys[i].public_id, -1, SQLITE_STATIC);
		sqlite3_bind_blob(s, 2, keys[i].private_id, YK_UID_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(s, 3, keys[i].aes, YK_AES_LEN, SQLITE_STATIC);
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
			set_err(errbuf, errlen, "cannot add keys", st->db);
			goto out;
		}
	}
	if (exec(st->db, "COMMIT") != 0) {
		set_err(errbuf, errlen, "cannot commit", st->db);
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(s);
	if (r != 0)
		exec(st->db, "ROLLBACK");
	return r;
}

int
store_key_set_active(struct store *st, const char *public_id, bool on)
{
	sqlite3_stmt *s = NULL;
	int r = -1;

	if (sqlite3_prepare_v2(st->db, "UPDATE keys SET active = ?2"
	    " WHERE public_id = ?1", -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(s, 1, public_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, on ? 1 : 0);
	if (sqlite3_step(s) == SQLITE_DONE)
		r = sqlite3_changes(st->db) == 1 ? 0 : -2;
	sqlite3_finalize(s);
	return r;
}

int
store_key_delete(struct store *st, const char *public_id)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(st->db, "DELETE FROM keys WHERE public_id = ?1",
	    -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(s, 1, public_id, -1, SQLITE_STATIC);
	return change_one(st, s);
}

int
store_key_replace(struct store *st, const struct key_rec *k)
{
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(st->db, "UPDATE keys SET private_id = ?2,"
	    " aes_key = ?3, serial = ?4, counter = -1, session_use = -1,"
	    " tstamp = -1, nonce = '', modified = -1, created = ?5"
	    " WHERE public_id = ?1", -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(s, 1, k->public_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, k->private_id, YK_UID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, k->aes, YK_AES_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, k->serial);
	sqlite3_bind_int64(s, 5, (sqlite3_int64)time(NULL));
	return change_one(st, s);
}

int
store_key_bump(struct store *st, const char *public_id, long counter,
    long use)
{
	sqlite3_stmt *s = NULL;
	int r;

	if (exec(st->db, "BEGIN IMMEDIATE") != 0)
		return -1;
	/* The same order as the compare-and-set: (counter, use) pairs. */
	if (sqlite3_prepare_v2(st->db, "UPDATE keys SET counter = ?2,"
	    " session_use = ?3, nonce = '', modified = ?4 WHERE public_id = ?1"
	    " AND (counter < ?2 OR (counter = ?2 AND session_use < ?3))",
	    -1, &s, NULL) != SQLITE_OK) {
		exec(st->db, "ROLLBACK");
		return -1;
	}
	sqlite3_bind_text(s, 1, public_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, counter);
	sqlite3_bind_int64(s, 3, use);
	sqlite3_bind_int64(s, 4, (sqlite3_int64)time(NULL));
	r = change_one(st, s);
	if (r == -2) {
		/* Already that high is fine; an unknown key is not. */
		if (sqlite3_prepare_v2(st->db, "SELECT 1 FROM keys WHERE"
		    " public_id = ?1", -1, &s, NULL) != SQLITE_OK) {
			r = -1;
		} else {
			sqlite3_bind_text(s, 1, public_id, -1, SQLITE_STATIC);
			r = sqlite3_step(s) == SQLITE_ROW ? 0 : -2;
			sqlite3_finalize(s);
		}
	}
	if (r == 0 && exec(st->db, "COMMIT") == 0)
		return 0;
	exec(st->db, "ROLLBACK");
	return r == 0 ? -1 : r;
}

int
store_keys_foreach(struct store *st,
    int (*cb)(const struct key_info *, void *), void *arg)
{
	sqlite3_stmt *s = NULL;
	struct key_info ki;
	int rc, r = -1;

	if (sqlite3_prepare_v2(st->db, "SELECT public_id, serial, active,"
	    " counter, session_use, created, modified FROM keys"
	    " ORDER BY public_id", -1, &s, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		ki.public_id = (const char *)sqlite3_column_text(s, 0);
		ki.serial = (long)sqlite3_column_int64(s, 1);
		ki.active = sqlite3_column_int(s, 2) != 0;
		ki.counter = (long)sqlite3_column_int64(s, 3);
		ki.use = (long)sqlite3_column_int64(s, 4);
		ki.created = sqlite3_column_int64(s, 5);
		ki.modified = sqlite3_column_int64(s, 6);
		if (ki.public_id == NULL || cb(&ki, arg) != 0)
			goto out;
	}
	if (rc == SQLITE_DONE)
		r = 0;
out:
	sqlite3_finalize(s);
	return r;
}

/* The stored state of one key, as the CAS transaction sees it. */
struct key_state {
	unsigned char	uid[YK_UID_LEN];
	unsigned char	aes[YK_AES_LEN];
	bool		active;
	long		counter, use;
	char		nonce[64];
};

/* 1 found, 0 unknown, -1 error. */
static int
load_key(struct store *st, const char *public_id, struct key_state *ks)
{
	sqlite3_stmt *s = st->get_key;
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
	    sqlite3_column_bytes(s, 1) != YK_AES_LEN)
		goto out;
	memcpy(ks->uid, sqlite3_column_blob(s, 0), YK_UID_LEN);
	memcpy(ks->aes, sqlite3_column_blob(s, 1), YK_AES_LEN);
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

/*
 * Try one reading of the OTP: find its key, decrypt, check CRC and UID.
 * 1 decrypted, 0 not this reading, -1 backend error.
 */
static int
try_reading(struct store *st, const char *otp, size_t len,
    struct cas_item *it, struct key_state *ks)
{
	size_t idlen = otp_pubid_len(len);
	int r;

	memcpy(it->public_id, otp, idlen);
	it->public_id[idlen] = '\0';
	if ((r = load_key(st, it->public_id, ks)) <= 0)
		return r;
	if (otp_decrypt(otp + idlen, ks->aes, &it->tok) != 0)
		return 0;
	if (CRYPTO_memcmp(it->tok.uid, ks->uid, YK_UID_LEN) != 0)
		return 0;
	it->otp_used = otp;
	return 1;
}

static enum store_verdict
cas_one(struct store *st, struct cas_item *it)
{
	struct key_state ks;
	sqlite3_stmt *s = st->cas;
	long ctr, use;
	int r, rc;
	enum store_verdict v = SV_BACKEND_ERROR;

	r = try_reading(st, it->otp->otp, it->otp->len, it, &ks);
	if (r == 0 && it->otp->alt[0] != '\0')
		r = try_reading(st, it->otp->alt, it->otp->len, it, &ks);
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
	if (sqlite3_changes(st->db) == 1)
		v = SV_OK;
	else if (ks.counter == ctr && ks.use == use &&
	    strcmp(ks.nonce, it->nonce) == 0)
		v = SV_REPLAYED_REQUEST;
	else
		v = SV_REPLAYED_OTP;
out:
	explicit_bzero(&ks, sizeof(ks));
	return v;
}

void
store_cas_batch(struct store *st, struct cas_item **items, size_t n)
{
	if (exec(st->db, "BEGIN IMMEDIATE") != 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		items[i]->verdict = cas_one(st, items[i]);
		/* An I/O error may have rolled the transaction back. */
		if (sqlite3_get_autocommit(st->db))
			goto fail;
	}
	if (exec(st->db, "COMMIT") == 0)
		return;
	exec(st->db, "ROLLBACK");
fail:
	for (size_t i = 0; i < n; i++)
		items[i]->verdict = SV_BACKEND_ERROR;
}

int
store_backup(struct store *st, int fd, char *errbuf, size_t errlen)
{
	sqlite3_int64 size = 0;
	unsigned char *img;
	size_t off = 0;
	ssize_t n;
	int r = -1;

	/* One read transaction: a snapshot, while verifications go on. */
	if ((img = sqlite3_serialize(st->db, "main", &size, 0)) == NULL) {
		set_err(errbuf, errlen, "cannot read the database", st->db);
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

int
store_check(const char *path, int timeout_ms, char *errbuf, size_t errlen)
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
