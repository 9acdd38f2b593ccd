/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_piv_ocsp.c - when the responder's answer is complete
 * (piv_ocsp_http_done); its judgement is tested end to end by
 * pam-piv-ocsp.sh and fuzzed by fuzz_ocsp.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "piv_ocsp.h"
#include "tap.h"

/* s as received: without the NUL after it, so a read past it shows. */
static bool
done(const char *s)
{
	size_t n = strlen(s);
	unsigned char buf[256];

	memcpy(buf, s, n);
	memset(buf + n, '7', sizeof(buf) - n);
	return piv_ocsp_http_done(buf, n);
}

int
main(void)
{
	static const char ok[] = "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n"
	    "\r\nabc";

	CHECK(done(ok), "Content-Length bytes of body: done");
	CHECK(!done("HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nab"),
	    "one byte short: not done");
	CHECK(done("HTTP/1.0 200 OK\r\nX: y\r\ncontent-length:\t0\r\n\r\n"),
	    "any case, tab, empty body, not the first header");
	CHECK(!done("HTTP/1.0 200 OK\r\nContent-Type: x\r\n\r\nabc"),
	    "no Content-Length: the end of the connection ends it");
	CHECK(!done("HTTP/1.0 200 OK\r\nContent-Length: 3\r\n"),
	    "the header has not ended");
	CHECK(!done("HTTP/1.0 200 OK\r\nContent-Length: -1\r\n\r\n"),
	    "a sign is not a length (it wrapped to 'done')");
	CHECK(!done("HTTP/1.0 200 OK\r\nContent-Length: "
	    "18446744073709551616\r\n\r\n"), "an overflowing length");
	CHECK(!done("HTTP/1.0 200 OK\r\nContent-Length: 99999999\r\n\r\n"),
	    "a length above PIV_OCSP_RESP_MAX is never complete");
	CHECK(!done("HTTP/1.0 200 OK\r\nContent-Length:\r\n0: x\r\n\r\n"),
	    "the digits of the next line are not the length");
	CHECK(!done("HTTP/1.0 200 OK\r\nContent-Length:\r\n\r\n0"),
	    "the digits of the body are not the length");
	CHECK(!done("HTTP/1.0 200 OK\r\nContent-Length: 3"),
	    "no end of header, digits to the end of the bytes");
	CHECK(!done("Content-Length: 0\r\n\r\n"),
	    "the status line is not a header");
	return tap_done("test_piv_ocsp");
}
