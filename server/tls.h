/* SPDX-License-Identifier: BSD-2-Clause */
/* tls.h - ykvald's TLS certificate and key, re-read on SIGHUP */
#ifndef YKV_TLS_H
#define YKV_TLS_H

#include <stddef.h>

#include <gnutls/abstract.h>

/*
 * Load cert (a PEM chain) and key (PEM) and make them the ones every new
 * handshake uses.  On an error (unreadable, not PEM, a key that does not
 * match the certificate) the ones in use stay, and err says why.  The
 * credentials replaced are kept until tls_free(): a session that began
 * with them may still refer to them.  0 or -1.
 */
int tls_load(const char *cert, const char *key, char *err, size_t errlen);

/* The callback for MHD_OPTION_HTTPS_CERT_CALLBACK: the current ones. */
gnutls_certificate_retrieve_function2 tls_pick;

/* Free every credential loaded; only once no daemon runs. */
void tls_free(void);

#endif
