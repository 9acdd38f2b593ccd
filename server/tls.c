/* SPDX-License-Identifier: BSD-2-Clause */
/* tls.c - ykvald's TLS certificate and key, re-read on SIGHUP */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "tls.h"

#define TLS_MAX_CHAIN	16
#define TLS_MAX_FILE	(1 << 20)

struct creds {
	gnutls_pcert_st		pcert[TLS_MAX_CHAIN];
	unsigned		npcert;
	gnutls_privkey_t	key;
	struct creds		*older;
};

/*
 * libmicrohttpd takes the certificate and key once, at start; instead it
 * asks this callback at each handshake, which hands out the current ones.
 * GnuTLS gives the callback no argument of ours, hence these globals.
 */
static pthread_mutex_t tls_lock = PTHREAD_MUTEX_INITIALIZER;
static struct creds *current;

int
tls_pick(gnutls_session_t sess, const gnutls_datum_t *req_ca, int nreq,
    const gnutls_pk_algorithm_t *algos, int nalgos, gnutls_pcert_st **pcert,
    unsigned int *npcert, gnutls_privkey_t *key)
{
	int r = -1;

	pthread_mutex_lock(&tls_lock);
	if (current != NULL) {
		*pcert = current->pcert;
		*npcert = current->npcert;
		*key = current->key;
		r = 0;
	}
	pthread_mutex_unlock(&tls_lock);
	return r;
}

/* The whole of a regular file, at most TLS_MAX_FILE bytes. */
static int
slurp(const char *path, gnutls_datum_t *d, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	ssize_t n;
	size_t off = 0;

	d->data = NULL;
	if (fd < 0 || fstat(fd, &st) != 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > TLS_MAX_FILE) {
		snprintf(err, errlen, "%s is not a regular file under 1 MiB",
		    path);
		goto fail;
	}
	if ((d->data = calloc(1, (size_t)st.st_size + 1)) == NULL) {
		snprintf(err, errlen, "%s", "out of memory");
		goto fail;
	}
	while (off < (size_t)st.st_size &&
	    (n = read(fd, d->data + off, (size_t)st.st_size - off)) > 0)
		off += (size_t)n;
	if (off != (size_t)st.st_size) {
		snprintf(err, errlen, "cannot read %s: short read", path);
		goto fail;
	}
	d->size = (unsigned)off;
	close(fd);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	free(d->data);
	d->data = NULL;
	return -1;
}

static void
creds_free(struct creds *c)
{
	while (c != NULL) {
		struct creds *o = c->older;

		for (unsigned i = 0; i < c->npcert; i++)
			gnutls_pcert_deinit(&c->pcert[i]);
		gnutls_privkey_deinit(c->key);
		free(c);
		c = o;
	}
}

/* Parse both, and have GnuTLS check that the key is the certificate's. */
static struct creds *
creds_parse(const gnutls_datum_t *cert, const gnutls_datum_t *key,
    char *err, size_t errlen)
{
	gnutls_certificate_credentials_t check = NULL;
	struct creds *c = calloc(1, sizeof(*c));
	int rc;

	if (c == NULL) {
		snprintf(err, errlen, "%s", "out of memory");
		return NULL;
	}
	if ((rc = gnutls_certificate_allocate_credentials(&check)) < 0 ||
	    (rc = gnutls_certificate_set_x509_key_mem2(check, cert, key,
	    GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		snprintf(err, errlen, "certificate and key: %s",
		    gnutls_strerror(rc));
		goto fail;
	}
	c->npcert = TLS_MAX_CHAIN;
	if ((rc = gnutls_pcert_list_import_x509_raw(c->pcert, &c->npcert,
	    cert, GNUTLS_X509_FMT_PEM, 0)) < 0) {
		c->npcert = 0;
		snprintf(err, errlen, "certificate: %s", gnutls_strerror(rc));
		goto fail;
	}
	if ((rc = gnutls_privkey_init(&c->key)) < 0 ||
	    (rc = gnutls_privkey_import_x509_raw(c->key, key,
	    GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		snprintf(err, errlen, "key: %s", gnutls_strerror(rc));
		goto fail;
	}
	gnutls_certificate_free_credentials(check);
	return c;
fail:
	if (check != NULL)
		gnutls_certificate_free_credentials(check);
	creds_free(c);
	return NULL;
}

int
tls_load(const char *cert, const char *key, char *err, size_t errlen)
{
	gnutls_datum_t dc = { NULL, 0 }, dk = { NULL, 0 };
	struct creds *c = NULL;
	int r = -1;

	if (slurp(cert, &dc, err, errlen) != 0 ||
	    slurp(key, &dk, err, errlen) != 0)
		goto out;
	if ((c = creds_parse(&dc, &dk, err, errlen)) == NULL)
		goto out;
	pthread_mutex_lock(&tls_lock);
	c->older = current;
	current = c;
	pthread_mutex_unlock(&tls_lock);
	r = 0;
out:
	free(dc.data);
	if (dk.data != NULL)
		explicit_bzero(dk.data, dk.size);
	free(dk.data);
	return r;
}

void
tls_free(void)
{
	pthread_mutex_lock(&tls_lock);
	creds_free(current);
	current = NULL;
	pthread_mutex_unlock(&tls_lock);
}
