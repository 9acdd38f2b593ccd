/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzzp11.h - a PKCS#11 module whose every answer comes from fuzz input
 * (tests/fuzz/fuzzp11.c, built as tests/fuzz/.libs/fuzzp11.so, never
 * installed).  The harness dlopens it, hands it the input with
 * fuzzp11_feed, and has pam_yk load it as pkcs11_module=.
 */
#ifndef FUZZP11_H
#define FUZZP11_H

#include <stddef.h>
#include <stdint.h>

/* What an honest card holding the harness's test key would answer. */
struct fuzzp11_card {
	const unsigned char	*cert;		/* the certificate's DER */
	size_t			certlen;
	const unsigned char	*ec_point;	/* CKA_EC_POINT of its key */
	size_t			ec_pointlen;
	/* sign with the key (CKM_ECDSA, r || s); 0 or -1 */
	int	(*sign)(const unsigned char *data, size_t len,
		    unsigned char *sig, size_t *siglen);
	/* set by the module: its last C_Sign gave the key's signature */
	int			signed_honestly;
};

typedef void (*fuzzp11_feed_fn)(const uint8_t *data, size_t size,
    struct fuzzp11_card *card);

#endif
