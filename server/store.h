/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store.h - ykvald's storage: clients, keys and counters, behind one
 * interface (struct store_ops) with two backends: SQLite (a file, the
 * embedded default) and PostgreSQL (a libpq connection URI).
 */
#ifndef YKV_STORE_H
#define YKV_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otp.h"
#include "params.h"

#define STORE_SCHEMA_VERSION	3
#define STORE_MASTER_LEN	32	/* --key-file: AES-256 */
/* A sealed AES key: GCM nonce, ciphertext, tag (the public ID is AAD). */
#define STORE_SEALED_LEN	(12 + YK_AES_LEN + 16)
#define STORE_DEFAULT_PATH	"/var/lib/ykvald/ykvald.db"

struct store;
struct store_ops;
struct store_walk;

enum store_open_mode {
	STORE_EXISTING,		/* the database must exist */
	STORE_CREATE,		/* create it (mode 0600) when missing */
	STORE_MIGRATE,		/* create it, or bring its schema up to date */
};

/*
 * Is db a PostgreSQL connection URI (postgresql://... or postgres://...,
 * libpq's multi-host form included)?  Anything else names a SQLite file.
 */
bool store_is_uri(const char *db);

/*
 * How long any one PostgreSQL connect, statement or batch of
 * verifications may take (set before the stores are used).
 */
#define STORE_DEFAULT_TIMEOUT_MS	5000
void store_set_timeout(int ms);
int store_timeout(void);

/* The backend for db: PostgreSQL for a URI, else SQLite. */
const struct store_ops *store_backend(const char *db);

/*
 * How many handles "serve" commits batches on at once.  One for both
 * backends: SQLite has one writer at a time, and on PostgreSQL a single
 * writer a node makes larger batches and fewer commits, which measured
 * faster than several (make bench-pg).
 */
unsigned store_writers(const char *db);

/*
 * Does the backend's compare-and-set confirm the client it is given
 * (cas_item.client) against the database, in the same statement?  Then
 * a node may answer from a client it remembers (serve.c), since an OK is
 * never sent for a client the database no longer has.
 */
bool store_confirms_client(const char *db);

/*
 * Open the database.  SQLite: switch it to WAL with synchronous=FULL and
 * bring the schema to STORE_SCHEMA_VERSION (every mode).  PostgreSQL:
 * STORE_EXISTING needs the schema at STORE_SCHEMA_VERSION, STORE_CREATE
 * creates it in an empty database, STORE_MIGRATE also migrates an older
 * one.  Returns NULL with a one-line reason in errbuf (never a password).
 */
struct store *store_open(const char *path, enum store_open_mode mode,
    char *errbuf, size_t errlen);
void store_close(struct store *st);

/* Clients. */
#define STORE_DIGEST_LEN	32	/* SHA-256 */
struct client {
	long		id;
	unsigned char	key[YK_KEY_MAX];
	size_t		keylen;
	bool		active;
	/*
	 * SHA-256 of the secret as stored (its base64 text), from backends
	 * that confirm clients: a compare-and-set that is given the client
	 * checks that the database still holds this secret for an active
	 * client (see store_confirms_client).
	 */
	unsigned char	digest[STORE_DIGEST_LEN];
};

/* 1 found, 0 no such (active) client, -1 error. */
int store_client_get(struct store *st, long id, struct client *out);
/* Adds a client; *id 0 picks the next free id.  0, -1 error, -2 exists. */
int store_client_add(struct store *st, long *id, const char *b64key);

/* What "client list" shows: never the key. */
struct client_info {
	long		id;
	bool		active;
	long long	created;	/* Unix time */
};

/* Calls cb for each client in id order; 0, or -1 on an error. */
int store_clients_foreach(struct store *st,
    int (*cb)(const struct client_info *, void *), void *arg);
/* 0, -1 error, -2 no such client. */
int store_client_set_active(struct store *st, long id, bool on);
/* A new key for a client; 0, -1 error, -2 no such client. */
int store_client_set_key(struct store *st, long id, const char *b64key);

/* Keys. */
struct key_rec {
	char		public_id[YK_PUBID_MAX + 1];
	unsigned char	private_id[YK_UID_LEN];
	unsigned char	aes[YK_AES_LEN];	/* when !is_sealed */
	long		serial;		/* 0 when unknown */
	bool		is_sealed;	/* the key is in sealed[] instead */
	unsigned char	sealed[STORE_SEALED_LEN];
};

/* What the aes_key column holds for k: the plain or the sealed key. */
const unsigned char *key_rec_stored(const struct key_rec *k, size_t *len);
/* Set k's key from the aes_key column's bytes: 0, or -1 (a bad length). */
int key_rec_set_stored(struct key_rec *k, const void *b, size_t len);

/* Inserts keys atomically: all or none.  0, -1 error, -2 a duplicate. */
int store_keys_add(struct store *st, const struct key_rec *keys, size_t n,
    char *errbuf, size_t errlen);
/* 0, -1 error, -2 no such key. */
int store_key_set_active(struct store *st, const char *public_id, bool on);
/* 0, -1 error, -2 no such key. */
int store_key_delete(struct store *st, const char *public_id);
/*
 * A reprogrammed YubiKey keeps its public ID: new private ID, AES key and
 * serial, and its counters start again.  0, -1 error, -2 no such key.
 */
int store_key_replace(struct store *st, const struct key_rec *k);
/*
 * Raise a key's counters to at least (counter, use), never lower them;
 * OTPs at or below the pair are replays from then on.
 * 0, -1 error, -2 no such key.
 */
int store_key_bump(struct store *st, const char *public_id, long counter,
    long use);
/* What "key list" shows: never the AES key or the private ID. */
struct key_info {
	const char	*public_id;
	long		serial;
	bool		active;
	long		counter;	/* -1 before the first OTP */
	long		use;
	long long	created;	/* Unix time */
	long long	modified;	/* -1 before the first OTP */
};

/* Calls cb for each key in public ID order; 0, or -1 on an error. */
int store_keys_foreach(struct store *st,
    int (*cb)(const struct key_info *, void *), void *arg);

/*
 * A consistent copy of the whole database (one read transaction),
 * written to fd and synced.  0, or -1 with a reason in errbuf.
 */
int store_backup(struct store *st, int fd, char *errbuf, size_t errlen);

/*
 * Is the database at path usable?  Opens it afresh (no cached pages),
 * checks the schema version and reads both tables: SQLite counts every
 * row, waiting at most timeout_ms for a lock; PostgreSQL reads one row
 * of each, connecting within timeout_ms, and refuses a read-only
 * standby.  0, or -1 with a reason in errbuf.
 */
int store_check(const char *path, int timeout_ms, char *errbuf,
    size_t errlen);

/* One verification waiting for the counter compare-and-set. */
enum store_verdict {
	SV_OK,
	SV_BAD_OTP,		/* unknown or disabled key, bad CRC or UID */
	SV_REPLAYED_OTP,
	SV_REPLAYED_REQUEST,
	SV_BACKEND_ERROR,
	SV_CLIENT_CHANGED,	/* cas_item.client is not the database's */
};

struct cas_item {
	/* in */
	const struct yk_otp	*otp;
	const char		*nonce;
	/* NULL, or the client asking: store_confirms_client() */
	const struct client	*client;
	/* out */
	enum store_verdict	verdict;
	/* the database checked .client in this decision (PostgreSQL) */
	bool			client_confirmed;
	const char		*otp_used;	/* the reading that decrypted */
	char			public_id[YK_PUBID_MAX + 1];
	struct yk_token		tok;
};

/*
 * Decide a batch of verifications in one transaction: each item is
 * decrypted, checked and then accepted only if a single compare-and-set
 * UPDATE changes exactly one row.  The transaction is committed (durably)
 * before this returns; if the commit fails every item becomes
 * SV_BACKEND_ERROR.
 */
void store_cas_batch(struct store *st, struct cas_item **items, size_t n);

/* Whole rows, secrets and counters included, for "db copy" and backups. */
struct client_row {
	long		id;
	char		secret[96];	/* base64, as stored */
	bool		active;
	long long	created;
};

struct key_row {
	struct key_rec	k;
	bool		active;
	long		counter, use;
	long long	tstamp;
	char		nonce[64];
	long long	created, modified;
};

struct store_rows {
	struct client_row	*clients;
	size_t			nclients;
	struct key_row		*keys;
	size_t			nkeys;
};

/* Read every row in one read transaction.  0, or -1 with errbuf. */
int store_dump(struct store *st, struct store_rows *out, char *errbuf,
    size_t errlen);
/*
 * Write rows into a database that holds no client and no key, in one
 * transaction: all or none; with a master key (store_use_master) the
 * keys in clear are sealed first.  0, -1 error, -2 the database is not
 * empty.
 */
int store_load(struct store *st, const struct store_rows *rows,
    char *errbuf, size_t errlen);
/* Wipe and free what store_dump gave. */
void store_rows_free(struct store_rows *rows);

/*
 * AES keys at rest: from now on st seals the AES keys it writes with
 * master (AES-256-GCM, the public ID as associated data) and opens the
 * sealed keys it reads, only inside a verification.  Without a master
 * key a sealed key cannot be used (BACKEND_ERROR); plain keys still can.
 */
void store_use_master(struct store *st, const unsigned char *master);
/*
 * Read a master key file: 64 hex digits (and a newline), not readable
 * by others.  0, or -1 with a reason in errbuf.
 */
int store_read_master(const char *path, unsigned char out[STORE_MASTER_LEN],
    char *errbuf, size_t errlen);
/*
 * Seal every plain AES key of the database, then leave no old copy of
 * them in the database's files (PostgreSQL: VACUUM FULL keys); *n counts
 * them.  0 or -1.
 */
int store_seal_all(struct store *st, size_t *n, char *errbuf, size_t errlen);

/* The schema version of an open database, or -1. */
int store_schema_version(struct store *st);

/*
 * The interface every backend implements; the functions above dispatch
 * to it.  A backend's struct store starts with a struct store.
 */
struct store_ops {
	const char	*name;
	unsigned	writers;	/* store_writers() */
	bool		confirms_client;	/* store_confirms_client() */
	struct store	*(*open)(const char *db, enum store_open_mode mode,
			    char *errbuf, size_t errlen);
	void		(*close)(struct store *st);
	int		(*client_get)(struct store *st, long id,
			    struct client *out);
	int		(*client_add)(struct store *st, long *id,
			    const char *b64key);
	int		(*clients_foreach)(struct store *st,
			    struct store_walk *w);
	int		(*client_set_active)(struct store *st, long id, bool on);
	int		(*client_set_key)(struct store *st, long id,
			    const char *b64key);
	int		(*keys_add)(struct store *st, const struct key_rec *keys,
			    size_t n, char *errbuf, size_t errlen);
	int		(*key_set_active)(struct store *st,
			    const char *public_id, bool on);
	int		(*key_delete)(struct store *st, const char *public_id);
	int		(*key_replace)(struct store *st,
			    const struct key_rec *k);
	int		(*key_bump)(struct store *st, const char *public_id,
			    long counter, long use);
	int		(*keys_foreach)(struct store *st,
			    struct store_walk *w);
	void		(*cas_batch)(struct store *st, struct cas_item **items,
			    size_t n);
	/* NULL: the backend has no image of its own (see store_backup) */
	int		(*backup)(struct store *st, int fd, char *errbuf,
			    size_t errlen);
	int		(*check)(const char *db, int timeout_ms, char *errbuf,
			    size_t errlen);
	int		(*dump)(struct store *st, struct store_rows *out,
			    char *errbuf, size_t errlen);
	int		(*load)(struct store *st, const struct store_rows *rows,
			    char *errbuf, size_t errlen);
	int		(*schema_version)(struct store *st);
	/* Replace a plain key by its sealed form: 0, -1, -2 no such plain key */
	int		(*key_seal)(struct store *st, const struct key_rec *k);
	/*
	 * After key_seal: rewrite the keys so that no old row version keeps
	 * a key in clear; 0 or -1.  NULL: key_seal overwrote them already.
	 */
	int		(*purge_old_keys)(struct store *st, char *errbuf,
			    size_t errlen);
};

struct store {
	const struct store_ops	*ops;
	bool			has_master;
	unsigned char		master[STORE_MASTER_LEN];
};

extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_pg_ops;

/* ---- for the backends: what every backend decides the same way ---- */

/* The stored state of one key, as the CAS transaction sees it. */
struct key_state {
	unsigned char	uid[YK_UID_LEN];
	unsigned char	aes[YK_AES_LEN];	/* store_identify opens it */
	unsigned char	stored[STORE_SEALED_LEN];	/* the aes_key column */
	size_t		storedlen;
	bool		active;
	long		counter, use;
	char		nonce[64];
};

/*
 * A client_get that found its row: out is the active client id, its key
 * the base64 secret.  1, or -1 (the secret is not base64).
 */
int store_client_found(struct client *out, long id, const char *secret);

/* A *_foreach's callback and its argument, as the backends get them. */
struct store_walk {
	union {
		int	(*client)(const struct client_info *, void *);
		int	(*key)(const struct key_info *, void *);
	} cb;
	void	*arg;
};

/*
 * Find the key of it->otp and decrypt it, trying both readings of the
 * OTP (QWERTY, then the alternative keyboard layout): load(st, public_id,
 * ks) gives the key's stored state (1 found, 0 unknown, -1 error).  On
 * 1, it->public_id, it->tok and it->otp_used are set and ks holds the
 * key; 0: no reading decrypts under a known key (a bad OTP); -1: a
 * storage error; -2: the key is sealed and this store cannot open it.
 * ks is left holding the AES key: the caller wipes it.
 */
int store_identify(struct store *st, int (*load)(struct store *,
    const char *, struct key_state *), struct cas_item *it,
    struct key_state *ks);

/*
 * The verdict when the compare-and-set changed no row, from the key's
 * counters and nonce at that moment: the same request again, or a replay.
 */
enum store_verdict store_not_newer(const struct key_state *ks, long ctr,
    long use, const char *nonce);

#endif
