/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store.c - the storage interface: pick a backend by the form of --db,
 * dispatch to it, and the decisions every backend makes the same way.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "store.h"

bool
store_is_uri(const char *db)
{
	return strncmp(db, "postgresql://", 13) == 0 ||
	    strncmp(db, "postgres://", 11) == 0;
}

const struct store_ops *
store_backend(const char *db)
{
	return store_is_uri(db) ? &store_pg_ops : &store_sqlite_ops;
}

struct store *
store_open(const char *db, enum store_open_mode mode, char *errbuf,
    size_t errlen)
{
	return store_backend(db)->open(db, mode, errbuf, errlen);
}

void
store_close(struct store *st)
{
	if (st != NULL)
		st->ops->close(st);
}

int
store_client_get(struct store *st, long id, struct client *out)
{
	return st->ops->client_get(st, id, out);
}

int
store_client_add(struct store *st, long *id, const char *b64key)
{
	return st->ops->client_add(st, id, b64key);
}

int
store_clients_foreach(struct store *st,
    int (*cb)(const struct client_info *, void *), void *arg)
{
	return st->ops->clients_foreach(st, cb, arg);
}

int
store_client_set_active(struct store *st, long id, bool on)
{
	return st->ops->client_set_active(st, id, on);
}

int
store_client_set_key(struct store *st, long id, const char *b64key)
{
	return st->ops->client_set_key(st, id, b64key);
}

int
store_keys_add(struct store *st, const struct key_rec *keys, size_t n,
    char *errbuf, size_t errlen)
{
	return st->ops->keys_add(st, keys, n, errbuf, errlen);
}

int
store_key_set_active(struct store *st, const char *public_id, bool on)
{
	return st->ops->key_set_active(st, public_id, on);
}

int
store_key_delete(struct store *st, const char *public_id)
{
	return st->ops->key_delete(st, public_id);
}

int
store_key_replace(struct store *st, const struct key_rec *k)
{
	return st->ops->key_replace(st, k);
}

int
store_key_bump(struct store *st, const char *public_id, long counter,
    long use)
{
	return st->ops->key_bump(st, public_id, counter, use);
}

int
store_keys_foreach(struct store *st,
    int (*cb)(const struct key_info *, void *), void *arg)
{
	return st->ops->keys_foreach(st, cb, arg);
}

void
store_cas_batch(struct store *st, struct cas_item **items, size_t n)
{
	st->ops->cas_batch(st, items, n);
}

int
store_backup(struct store *st, int fd, char *errbuf, size_t errlen)
{
	if (st->ops->backup == NULL) {
		snprintf(errbuf, errlen, "a %s database has no file image",
		    st->ops->name);
		return -1;
	}
	return st->ops->backup(st, fd, errbuf, errlen);
}

int
store_check(const char *db, int timeout_ms, char *errbuf, size_t errlen)
{
	return store_backend(db)->check(db, timeout_ms, errbuf, errlen);
}

int
store_dump(struct store *st, struct store_rows *out, char *errbuf,
    size_t errlen)
{
	return st->ops->dump(st, out, errbuf, errlen);
}

int
store_load(struct store *st, const struct store_rows *rows, char *errbuf,
    size_t errlen)
{
	return st->ops->load(st, rows, errbuf, errlen);
}

void
store_rows_free(struct store_rows *rows)
{
	if (rows->clients != NULL)
		explicit_bzero(rows->clients, rows->nclients *
		    sizeof(*rows->clients));
	if (rows->keys != NULL)
		explicit_bzero(rows->keys, rows->nkeys * sizeof(*rows->keys));
	free(rows->clients);
	free(rows->keys);
	memset(rows, 0, sizeof(*rows));
}

int
store_schema_version(struct store *st)
{
	return st->ops->schema_version(st);
}

/* One reading of the OTP: 1 decrypted, 0 not this reading, -1 error. */
static int
try_reading(struct store *st, int (*load)(struct store *, const char *,
    struct key_state *), const char *otp, size_t len, struct cas_item *it,
    struct key_state *ks)
{
	size_t idlen = otp_pubid_len(len);
	int r;

	memcpy(it->public_id, otp, idlen);
	it->public_id[idlen] = '\0';
	if ((r = load(st, it->public_id, ks)) <= 0)
		return r;
	if (otp_decrypt(otp + idlen, ks->aes, &it->tok) != 0)
		return 0;
	if (CRYPTO_memcmp(it->tok.uid, ks->uid, YK_UID_LEN) != 0)
		return 0;
	it->otp_used = otp;
	return 1;
}

int
store_identify(struct store *st, int (*load)(struct store *, const char *,
    struct key_state *), struct cas_item *it, struct key_state *ks)
{
	int r = try_reading(st, load, it->otp->otp, it->otp->len, it, ks);

	if (r == 0 && it->otp->alt[0] != '\0')
		r = try_reading(st, load, it->otp->alt, it->otp->len, it, ks);
	return r;
}

enum store_verdict
store_not_newer(const struct key_state *ks, long ctr, long use,
    const char *nonce)
{
	if (ks->counter == ctr && ks->use == use && strcmp(ks->nonce, nonce) == 0)
		return SV_REPLAYED_REQUEST;
	return SV_REPLAYED_OTP;
}
