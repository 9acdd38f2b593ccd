/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * http.c - the libcurl transport of the validation client: one easy
 * handle per URL in one multi handle, driven with curl_multi_poll until
 * the deadline.  The only file that touches libcurl.  pam_yk.so never
 * links it: pam_yk_validate (pam_yk/pam_yk_validate.c) and ykpamcfg do.
 *
 * libcurl is loaded with dlopen() the first time a validation runs, not
 * linked: its ~40 dependent libraries cost ~11 ms per login, which the PIV
 * and challenge-response modes, loaded by the same pam_yk.so, never need.
 */
#include "config.h"

#include <dlfcn.h>

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define CURL_DISABLE_TYPECHECK	/* the calls go through pointers below */
#include <curl/curl.h>

#include "client.h"
#include "mono.h"

struct xfer {
	CURL	*easy;
	size_t	idx;
	bool	too_big;
	size_t	len;
	char	err[CURL_ERROR_SIZE];
	char	body[VC_REPLY_MAX];
};

struct http {
	CURLM		*multi;
	struct xfer	x[VC_MAX_URLS];
	size_t		n;
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

/* The libcurl functions this file calls, from the dlopen()ed library. */
static struct {
	CURLcode	(*global_init)(long);
	CURL		*(*easy_init)(void);
	CURLcode	(*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode	(*easy_getinfo)(CURL *, CURLINFO, ...);
	void		(*easy_cleanup)(CURL *);
	const char	*(*easy_strerror)(CURLcode);
	CURLM		*(*multi_init)(void);
	CURLMcode	(*multi_add_handle)(CURLM *, CURL *);
	CURLMcode	(*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode	(*multi_perform)(CURLM *, int *);
	CURLMcode	(*multi_poll)(CURLM *, struct curl_waitfd *, unsigned int,
			    int, int *);
	CURLMsg		*(*multi_info_read)(CURLM *, int *);
	CURLMcode	(*multi_cleanup)(CURLM *);
} cf;

#undef curl_easy_setopt	/* curl.h's own pass-through macros */
#undef curl_easy_getinfo
#define curl_global_init	cf.global_init
#define curl_easy_init		cf.easy_init
#define curl_easy_setopt	cf.easy_setopt
#define curl_easy_getinfo	cf.easy_getinfo
#define curl_easy_cleanup	cf.easy_cleanup
#define curl_easy_strerror	cf.easy_strerror
#define curl_multi_init		cf.multi_init
#define curl_multi_add_handle	cf.multi_add_handle
#define curl_multi_remove_handle cf.multi_remove_handle
#define curl_multi_perform	cf.multi_perform
#define curl_multi_poll		cf.multi_poll
#define curl_multi_info_read	cf.multi_info_read
#define curl_multi_cleanup	cf.multi_cleanup

static int
load_curl(void)
{
	void *dl = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	int ok = dl != NULL;

#define LOAD(field, name) \
	(ok = ok && (*(void **)&cf.field = dlsym(dl, name)) != NULL)
	LOAD(global_init, "curl_global_init");
	LOAD(easy_init, "curl_easy_init");
	LOAD(easy_setopt, "curl_easy_setopt");
	LOAD(easy_getinfo, "curl_easy_getinfo");
	LOAD(easy_cleanup, "curl_easy_cleanup");
	LOAD(easy_strerror, "curl_easy_strerror");
	LOAD(multi_init, "curl_multi_init");
	LOAD(multi_add_handle, "curl_multi_add_handle");
	LOAD(multi_remove_handle, "curl_multi_remove_handle");
	LOAD(multi_perform, "curl_multi_perform");
	LOAD(multi_poll, "curl_multi_poll");
	LOAD(multi_info_read, "curl_multi_info_read");
	LOAD(multi_cleanup, "curl_multi_cleanup");
#undef LOAD
	return ok ? 0 : -1;	/* on failure dl stays open: harmless, rare */
}

/*
 * Once per process: load libcurl and initialise it.  It is never unloaded
 * and never curl_global_cleanup()ed: the host may use curl too.
 */
static void
global_init(void)
{
	if (load_curl() == 0)
		global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t
sink(char *p, size_t sz, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = sz * n;

	if (len > sizeof(x->body) - x->len) {
		x->too_big = true;
		return 0;	/* fails the transfer with CURLE_WRITE_ERROR */
	}
	memcpy(x->body + x->len, p, len);
	x->len += len;
	return len;
}

static int
easy_setup(struct xfer *x, const struct vc_cfg *cfg, const char *url,
    long timeout_ms)
{
	CURL *e = x->easy;
	long connect_ms = cfg->connect_timeout_ms ? cfg->connect_timeout_ms :
	    cfg->timeout_ms;

	if (connect_ms > timeout_ms)
		connect_ms = timeout_ms;
	if (curl_easy_setopt(e, CURLOPT_URL, url) != CURLE_OK ||
#if LIBCURL_VERSION_NUM >= 0x075500
	    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK ||
#else
	    curl_easy_setopt(e, CURLOPT_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS,
	    (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS)) != CURLE_OK ||
#endif
	    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_SSLVERSION,
	    (long)CURL_SSLVERSION_TLSv1_2) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, connect_ms) !=
	    CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_MAXFILESIZE, (long)VC_REPLY_MAX) !=
	    CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_USERAGENT, PACKAGE "/" VERSION) !=
	    CURLE_OK ||
	    /*
	     * "" and "*": no proxy, and none from http_proxy, ALL_PROXY &
	     * co., whatever environment we are run with.
	     */
	    curl_easy_setopt(e, CURLOPT_PROXY, cfg->proxy ? cfg->proxy : "") !=
	    CURLE_OK ||
	    (cfg->proxy == NULL &&
	    curl_easy_setopt(e, CURLOPT_NOPROXY, "*") != CURLE_OK) ||
	    (cfg->cainfo != NULL &&
	    curl_easy_setopt(e, CURLOPT_CAINFO, cfg->cainfo) != CURLE_OK) ||
	    (cfg->capath != NULL &&
	    curl_easy_setopt(e, CURLOPT_CAPATH, cfg->capath) != CURLE_OK) ||
	    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_WRITEDATA, x) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->err) != CURLE_OK ||
	    curl_easy_setopt(e, CURLOPT_PRIVATE, x) != CURLE_OK)
		return -1;
#if LIBCURL_VERSION_NUM >= 0x075700
	/* Do not join a stalled resolver thread on cleanup (7.87+; older
	 * libraries refuse it, which changes nothing else). */
	(void)curl_easy_setopt(e, CURLOPT_QUICK_EXIT, 1L);
#endif
	return 0;
}

static void
http_stop(void *state)
{
	struct http *h = state;

	if (h == NULL)
		return;
	for (size_t i = 0; i < h->n; i++) {
		if (h->x[i].easy != NULL) {
			curl_multi_remove_handle(h->multi, h->x[i].easy);
			curl_easy_cleanup(h->x[i].easy);
		}
	}
	if (h->multi != NULL)
		curl_multi_cleanup(h->multi);
	explicit_bzero(h, sizeof(*h));
	free(h);
}

static int
http_start(void *arg, const struct vc_cfg *cfg, char *const *urls, size_t n,
    const struct timespec *deadline, void **state)
{
	struct http *h = NULL;
	long ms = mono_ms_left(deadline);
	int r = -1;

	*state = NULL;
	if (pthread_once(&once, global_init) != 0 || global_rc != CURLE_OK ||
	    n > VC_MAX_URLS || (h = calloc(1, sizeof(*h))) == NULL ||
	    (h->multi = curl_multi_init()) == NULL)
		goto out;
	for (; h->n < n; h->n++) {
		struct xfer *x = &h->x[h->n];

		x->idx = h->n;
		if ((x->easy = curl_easy_init()) == NULL ||
		    easy_setup(x, cfg, urls[h->n], ms > 0 ? ms : 1) != 0 ||
		    curl_multi_add_handle(h->multi, x->easy) != CURLM_OK)
			goto out;
	}
	*state = h;
	h = NULL;
	r = 0;
out:
	if (h != NULL && h->n < n && h->x[h->n].easy != NULL)
		h->n++;		/* so that http_stop frees the half-made one */
	http_stop(h);
	return r;
}

/*
 * Did this transfer fail here rather than at the server or on the way?
 * No memory, or no thread for the name lookup (libcurl then says
 * "Couldn't resolve host name"): a caller's cgroup (pids.max) or limits
 * can cause those, and they must not read as "the server is unreachable".
 */
static bool
local_failure(CURLcode rc, const char *err)
{
	return rc == CURLE_OUT_OF_MEMORY || rc == CURLE_FAILED_INIT ||
	    (rc == CURLE_COULDNT_RESOLVE_HOST &&
	    strstr(err, "thread failed to start") != NULL);
}

/*
 * Did this transfer fail before the server could answer: no name, no
 * connection, no answer in time, a TLS handshake or certificate check
 * that failed?  Everything else (a reply too long, a connection closed
 * mid-reply, a malformed reply) means a server answered, badly.
 */
static bool
unreachable(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
		return true;
	default:
		return false;
	}
}

/*
 * Hand over a finished transfer and forget its handle.  -1 (nothing handed
 * over) for a local failure.
 */
static int
finish(struct http *h, CURL *e, CURLcode rc, struct vc_reply *out)
{
	bool local = false;
	struct xfer *x = NULL;
	char *priv = NULL;

	curl_easy_getinfo(e, CURLINFO_PRIVATE, &priv);
	x = (struct xfer *)(void *)priv;
	memset(out, 0, sizeof(*out));
	out->idx = x->idx;
	if (rc != CURLE_OK && local_failure(rc, x->err)) {
		local = true;
	} else if (rc != CURLE_OK) {
		out->error = x->too_big || rc == CURLE_FILESIZE_EXCEEDED ?
		    "reply too long" : rc == CURLE_OPERATION_TIMEDOUT ?
		    "timeout" : curl_easy_strerror(rc);
		out->unreachable = !x->too_big && unreachable(rc);
	} else {
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &out->http);
		memcpy(out->body, x->body, x->len);
		out->len = x->len;
	}
	curl_multi_remove_handle(h->multi, e);
	curl_easy_cleanup(e);
	x->easy = NULL;
	explicit_bzero(x->body, sizeof(x->body));
	return local ? -1 : 0;
}

static int
http_next(void *state, const struct timespec *deadline, struct vc_reply *out)
{
	struct http *h = state;
	int running, left;
	CURLMsg *m;
	long ms;

	for (;;) {
		if (curl_multi_perform(h->multi, &running) != CURLM_OK)
			return -1;
		while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
			if (m->msg == CURLMSG_DONE) {
				return finish(h, m->easy_handle, m->data.result,
				    out) == 0 ? 1 : -1;
			}
		}
		if (running == 0 || (ms = mono_ms_left(deadline)) == 0)
			return 0;
		if (curl_multi_poll(h->multi, NULL, 0, (int)ms, NULL) !=
		    CURLM_OK)
			return -1;
	}
}

const struct vc_transport vc_http_transport = {
	http_start, http_next, http_stop, NULL,
};

int
vc_verify(const struct vc_cfg *cfg, const char *otp, struct vc_result *res)
{
	return vc_verify_with(cfg, otp, &vc_http_transport, res);
}
