/* SPDX-License-Identifier: BSD-2-Clause */
/* serve.h - the ykvald HTTP daemon */
#ifndef YKV_SERVE_H
#define YKV_SERVE_H

#include <stddef.h>

#define SERVE_MAX_LISTEN	8

struct serve_opts {
	const char	*db;
	const unsigned char *master;	/* --key-file, or NULL */
	const char	*listen[SERVE_MAX_LISTEN];
	size_t		nlisten;
	const char	*tls_cert;
	const char	*tls_key;
	const char	*ready_file;	/* written once every address is bound */
	unsigned	max_conns;		/* on each address */
	unsigned	max_conns_per_ip;	/* on each address */
	unsigned	request_timeout;	/* seconds to send a request */
	unsigned	rate_limit;	/* verifications a second per client, 0 off */
};

#define SERVE_DEFAULT_MAX_CONNS		512
#define SERVE_DEFAULT_MAX_CONNS_PER_IP	64
#define SERVE_DEFAULT_REQUEST_TIMEOUT	10

/* Runs until SIGINT or SIGTERM.  Returns a process exit code. */
int serve(const struct serve_opts *o);

#endif
