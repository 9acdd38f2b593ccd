#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# HTTPS: --tls-cert/--tls-key serve TLS; a client trusting the test CA
# verifies; one trusting another CA refuses.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

command -v openssl >/dev/null || skip "openssl is not installed"
cd "$T"
pki good
pki rogue
new_db "$T/db"
start_ykvald "$T/db" --tls-cert good-srv.pem --tls-key good-srv.key
grep -q "listening on https://" "$T/ykvald.log" || fail "not https"
HURL=https://$YKVALD_ADDR/wsapi/2.0/verify
s=$(VCLIENT_CAINFO=good-ca.pem "$VCLIENT" -k "$CKEY" "$HURL" 1 "$(otp 1 0)" | field status)
[ "$s" = OK ] || fail "https with the right CA: $s"
ok "https with the test CA"
if VCLIENT_CAINFO=rogue-ca.pem "$VCLIENT" -k "$CKEY" "$HURL" 1 "$(otp 1 1)" 2>/dev/null; then
	fail "a client trusting another CA got an answer"
fi
ok "https with the wrong CA is refused"
stop_ykvald
if "$YKVALD" serve $ALLOW_ROOT --db "$T/db" --listen 127.0.0.1:0 --tls-cert good-srv.pem 2>/dev/null; then
	fail "--tls-cert without --tls-key started"
fi
ok "--tls-cert needs --tls-key"
