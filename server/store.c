/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * store.c - the storage interface: pick a backend by the form of --db,
 * dispatch to it, and the decisions every backend makes the same way.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "modhex.h"
#include "store.h"

/* ---- AES keys at rest -------------------------------------------------- */

#define GCM_IV	12
#define GCM_TAG	16

const unsigned char *
key_rec_stored(const struct key_rec *k, size_t *len)
{
	*len = k->is_sealed ? STORE_SEALED_LEN : YK_AES_LEN;
	return k->is_sealed ? k->sealed : k->aes;
}

int
key_rec_set_stored(struct key_rec *k, const void *b, size_t len)
{
	if (b == NULL || (len != YK_AES_LEN && len != STORE_SEALED_LEN))
		return -1;
	k->is_sealed = len == STORE_SEALED_LEN;
	memcpy(k->is_sealed ? k->sealed : k->aes, b, len);
	return 0;
}

/* AES-256-GCM of one AES key, its public ID as AAD: 0 or -1. */
static int
seal(const unsigned char *master, const char *public_id,
    const unsigned char aes[YK_AES_LEN], unsigned char out[STORE_SEALED_LEN])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n, r = -1;

	if (c == NULL || RAND_bytes(out, GCM_IV) != 1 ||
	    EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, master, out) != 1 ||
	    EVP_EncryptUpdate(c, NULL, &n, (const unsigned char *)public_id,
	    (int)strlen(public_id)) != 1 ||
	    EVP_EncryptUpdate(c, out + GCM_IV, &n, aes, YK_AES_LEN) != 1 ||
	    n != YK_AES_LEN ||
	    EVP_EncryptFinal_ex(c, out + GCM_IV + n, &n) != 1 || n != 0 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, GCM_TAG,
	    out + GCM_IV + YK_AES_LEN) != 1)
		goto out;
	r = 0;
out:
	EVP_CIPHER_CTX_free(c);
	return r;
}

/* The AES key of a sealed one; 0, or -1 (wrong master key, altered, or
 * another key's row). */
static int
unseal(const unsigned char *master, const char *public_id,
    const unsigned char in[STORE_SEALED_LEN], unsigned char aes[YK_AES_LEN])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	unsigned char tag[GCM_TAG];
	int n, r = -1;

	memcpy(tag, in + GCM_IV + YK_AES_LEN, GCM_TAG);
	if (c == NULL ||
	    EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, master, in) != 1 ||
	    EVP_DecryptUpdate(c, NULL, &n, (const unsigned char *)public_id,
	    (int)strlen(public_id)) != 1 ||
	    EVP_DecryptUpdate(c, aes, &n, in + GCM_IV, YK_AES_LEN) != 1 ||
	    n != YK_AES_LEN ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, GCM_TAG, tag) != 1 ||
	    EVP_DecryptFinal_ex(c, aes + n, &n) != 1)
		goto out;
	r = 0;
out:
	if (r != 0)
		explicit_bzero(aes, YK_AES_LEN);
	EVP_CIPHER_CTX_free(c);
	return r;
}

void
store_use_master(struct store *st, const unsigned char *master)
{
	memcpy(st->master, master, STORE_MASTER_LEN);
	st->has_master = true;
}

int
store_read_master(const char *path, unsigned char out[STORE_MASTER_LEN],
    char *errbuf, size_t errlen)
{
	char buf[2 * STORE_MASTER_LEN + 2];
	struct stat sb;
	ssize_t n;
	int fd, r = -1;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		snprintf(errbuf, errlen, "cannot open the key file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		snprintf(errbuf, errlen, "the key file %s is not a file", path);
		goto out;
	}
	if (sb.st_mode & S_IROTH) {
		snprintf(errbuf, errlen, "the key file %s is readable by every "
		    "user: chmod o-rwx it", path);
		goto out;
	}
	n = read(fd, buf, sizeof(buf));
	if (n == 2 * STORE_MASTER_LEN + 1 && buf[n - 1] == '\n')
		n--;
	if (n != 2 * STORE_MASTER_LEN ||
	    hex_decode(buf, STORE_MASTER_LEN, out) != 0) {
		snprintf(errbuf, errlen, "the key file %s does not hold 64 hex "
		    "digits (openssl rand -hex 32 makes one)", path);
		goto out;
	}
	r = 0;
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return r;
}

/* Open ks->stored into ks->aes: 0, or -1 (no master key, or it fails). */
static int
open_stored(const struct store *st, const char *public_id,
    struct key_state *ks)
{
	if (ks->storedlen == YK_AES_LEN) {
		memcpy(ks->aes, ks->stored, YK_AES_LEN);
		return 0;
	}
	if (ks->storedlen != STORE_SEALED_LEN || !st->has_master)
		return -1;
	return unseal(st->master, public_id, ks->stored, ks->aes);
}

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

unsigned
store_writers(const char *db)
{
	return store_backend(db)->writers;
}

bool
store_confirms_client(const char *db)
{
	return store_backend(db)->confirms_client;
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
	if (st == NULL)
		return;
	explicit_bzero(st->master, sizeof(st->master));
	st->ops->close(st);
}

int
store_client_get(struct store *st, long id, struct client *out)
{
	return st->ops->client_get(st, id, out);
}

int
store_client_found(struct client *out, long id, const char *secret)
{
	int n;

	if ((n = b64_decode(secret, out->key, sizeof(out->key))) < 0)
		return -1;
	out->keylen = (size_t)n;
	out->id = id;
	out->active = true;
	return 1;
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
	return st->ops->clients_foreach(st,
	    &(struct store_walk){ .cb.client = cb, .arg = arg });
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

/* A copy of keys, sealed when st has a master key; NULL on an error. */
static struct key_rec *
sealed_copy(struct store *st, const struct key_rec *keys, size_t n)
{
	struct key_rec *c = calloc(n ? n : 1, sizeof(*c));

	if (c == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		c[i] = keys[i];
		if (!st->has_master || c[i].is_sealed)
			continue;
		if (seal(st->master, c[i].public_id, c[i].aes, c[i].sealed) != 0) {
			explicit_bzero(c, n * sizeof(*c));
			free(c);
			return NULL;
		}
		c[i].is_sealed = true;
		explicit_bzero(c[i].aes, sizeof(c[i].aes));
	}
	return c;
}

int
store_keys_add(struct store *st, const struct key_rec *keys, size_t n,
    char *errbuf, size_t errlen)
{
	struct key_rec *c = sealed_copy(st, keys, n);
	int r;

	if (c == NULL) {
		snprintf(errbuf, errlen, "%s", "cannot seal the AES keys");
		return -1;
	}
	r = st->ops->keys_add(st, c, n, errbuf, errlen);
	explicit_bzero(c, n * sizeof(*c));
	free(c);
	return r;
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
	struct key_rec *c = sealed_copy(st, k, 1);
	int r;

	if (c == NULL)
		return -1;
	r = st->ops->key_replace(st, c);
	explicit_bzero(c, sizeof(*c));
	free(c);
	return r;
}

int
store_seal_all(struct store *st, size_t *n, char *errbuf, size_t errlen)
{
	struct store_rows rows;
	struct key_rec k;
	int r = -1;

	*n = 0;
	if (!st->has_master) {
		snprintf(errbuf, errlen, "%s", "no key file");
		return -1;
	}
	if (store_dump(st, &rows, errbuf, errlen) != 0)
		return -1;
	for (size_t i = 0; i < rows.nkeys; i++) {
		k = rows.keys[i].k;
		if (k.is_sealed)
			continue;
		if (seal(st->master, k.public_id, k.aes, k.sealed) != 0) {
			snprintf(errbuf, errlen, "%s", "cannot seal an AES key");
			goto out;
		}
		k.is_sealed = true;
		/* -2: deleted or sealed meanwhile */
		if (st->ops->key_seal(st, &k) == -1) {
			snprintf(errbuf, errlen, "cannot write the sealed key "
			    "of %s", k.public_id);
			goto out;
		}
		(*n)++;
	}
	if (*n > 0 && st->ops->purge_old_keys != NULL &&
	    st->ops->purge_old_keys(st, errbuf, errlen) != 0)
		goto out;
	r = 0;
out:
	explicit_bzero(&k, sizeof(k));
	store_rows_free(&rows);
	return r;
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
	return st->ops->keys_foreach(st,
	    &(struct store_walk){ .cb.key = cb, .arg = arg });
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
	struct store_rows sealed = *rows;
	struct key_row *k;
	int r;

	if (!st->has_master || rows->nkeys == 0)
		return st->ops->load(st, rows, errbuf, errlen);
	/* With a master key, no key reaches this database in clear. */
	if ((k = calloc(rows->nkeys, sizeof(*k))) == NULL) {
		snprintf(errbuf, errlen, "%s", "out of memory");
		return -1;
	}
	for (size_t i = 0; i < rows->nkeys; i++) {
		k[i] = rows->keys[i];
		if (k[i].k.is_sealed)
			continue;
		if (seal(st->master, k[i].k.public_id, k[i].k.aes,
		    k[i].k.sealed) != 0) {
			snprintf(errbuf, errlen, "%s", "cannot seal an AES key");
			r = -1;
			goto out;
		}
		k[i].k.is_sealed = true;
		explicit_bzero(k[i].k.aes, sizeof(k[i].k.aes));
	}
	sealed.keys = k;
	r = st->ops->load(st, &sealed, errbuf, errlen);
out:
	explicit_bzero(k, rows->nkeys * sizeof(*k));
	free(k);
	return r;
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

/*
 * One reading of the OTP: 1 decrypted, 0 not this reading, -1 storage
 * error, -2 its AES key is sealed and cannot be opened.
 */
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
	/* The only place a sealed AES key is opened. */
	if (open_stored(st, it->public_id, ks) != 0)
		return -2;
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
