#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The caller's environment steers nothing (issue 11, item 1).  su and sudo
# run PAM with the caller's environment; libcurl reads SSLKEYLOGFILE (and
# creates it, as root) and the *_proxy variables with plain getenv, OpenSSL
# reads OPENSSL_CONF, SSL_CERT_FILE and SSL_CERT_DIR.  A real setuid-root
# copy of pamdrive run by "nobody", and pamdrive run by root itself (no
# AT_SECURE: libraries trust the environment there), log in against ykvald
# over TLS and plain http with all of them pointing at the attacker's
# files, CA and proxy: no file is created, the proxy is never contacted,
# no other CA is trusted, and the login still works.  Loopback only.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (a setuid-root copy of pamdrive)"
command -v setpriv >/dev/null || skip "no setpriv"
command -v openssl >/dev/null || skip "no openssl"
command -v python3 >/dev/null || skip "no python3 (the proxy listener)"
if ! getent passwd nobody >/dev/null || ! getent group nogroup >/dev/null; then
	skip "no nobody/nogroup"
fi
chmod 755 "$T"
nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
nobody test -x "$PAMDRIVE" -a -r "$MODULE" -a -x "$VALIDATE" ||
	skip "nobody cannot reach the build tree"

# Certificates: the server's from the test CA; the attacker's own CA.
(cd "$T" && for ca in good evil; do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout $ca-ca.key -out $ca-ca.pem -days 2 -subj "/CN=$ca CA" 2>/dev/null
done
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout srv.key -out srv.csr -subj /CN=127.0.0.1 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' > srv.ext
openssl x509 -req -in srv.csr -CA good-ca.pem -CAkey good-ca.key \
	-CAcreateserial -days 2 -extfile srv.ext -out srv.pem 2>/dev/null)
mkdir "$T/cadir"; cp "$T/good-ca.pem" "$T/evil-ca.pem" "$T/cadir/"
openssl rehash "$T/cadir" 2>/dev/null || :
chmod 644 "$T"/*.pem

new_db "$T/db"
start_ykvald "$T/db"
PLAIN=$URL
start_ykvald "$T/db" --tls-cert "$T/srv.pem" --tls-key "$T/srv.key"
HTTPS=https://$YKVALD_ADDR/wsapi/2.0/verify

# A "proxy" that records every connection made to it.
python3 -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
__import__("os").rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    c, a = s.accept()
    with open(sys.argv[2], "a") as f: f.write("connection\n")
    c.close()
' "$T/proxy.port" "$T/proxy.log" 2>>"$T/proxy.err" &
_pids="$_pids $!"
wait_for_file "$T/proxy.port" $! || fail "the proxy listener did not start"
PROXY=http://127.0.0.1:$(cat "$T/proxy.port")
: > "$T/proxy.log"

printf 'alice:%s\n' $PUB > "$T/authfile"
chmod 644 "$T/authfile"
mkdir -m 755 "$T/out"
cat > "$T/evil.cnf" <<EOF2
openssl_conf = evil
[evil]
ssl_conf = evil_ssl
[evil_ssl]
system_default = evil_tls
[evil_tls]
MaxProtocol = TLSv1.1
EOF2
chmod 644 "$T/evil.cnf"
service tls "auth required $MODULE id=1 key=$CKEY authfile=$T/authfile urllist=$HTTPS cainfo=$T/good-ca.pem timeout=5"
service plain "auth required $MODULE id=1 key=$CKEY authfile=$T/authfile urllist=$PLAIN timeout=5"
# No cainfo=: only the system's CAs, which do not know the test CA.
service sysca "auth required $MODULE id=1 key=$CKEY authfile=$T/authfile urllist=$HTTPS timeout=5"
chmod 755 "$T/pam.d"; chmod 644 "$T/pam.d"/*

mkdir -m 755 "$T/bin"
cp "$PAMDRIVE" "$T/bin/pamdrive"
chmod 4755 "$T/bin/pamdrive"

# hostile CMD...: CMD with the attacker's environment and nothing else.
hostile() {
	env -i PATH=/usr/bin:/bin SSLKEYLOGFILE="$T/out/keylog" \
		http_proxy="$PROXY" HTTP_PROXY="$PROXY" https_proxy="$PROXY" \
		HTTPS_PROXY="$PROXY" ALL_PROXY="$PROXY" all_proxy="$PROXY" \
		NO_PROXY= no_proxy= CURL_CA_BUNDLE="$T/evil-ca.pem" \
		SSL_CERT_FILE="$T/good-ca.pem" SSL_CERT_DIR="$T/cadir" \
		OPENSSL_CONF="$T/evil.cnf" CURL_SSL_BACKEND=gnutls \
		CURL_HOME="$T/out" HOME="$T/out" "$@"
}
n=0
# as WHO CODE SERVICE: log alice in with a fresh OTP, as WHO (nobody runs
# the setuid-root copy, root runs pamdrive itself); want CODE.
as() {
	n=$((n + 1))
	o=$(otp 1 $n)
	if [ "$1" = nobody ]; then
		hostile setpriv --reuid=nobody --regid=nogroup --clear-groups \
			"$T/bin/pamdrive" -p "$T/pam.d" "$3" alice "$o" > "$T/login.out" 2>&1 || :
		grep -q '^ids: 0 ' "$T/login.out" ||
			{ cat "$T/login.out"; fail "the setuid copy did not run as root"; }
	else
		hostile "$PAMDRIVE" "$T/pam.d" "$3" alice "$o" > "$T/login.out" 2>&1 || :
	fi
	got=$(sed -n 's/^result: //p' "$T/login.out")
	[ "$got" = "$2" ] || { cat "$T/login.out"; fail "$1, $3: $got, want $2"; }
	[ ! -e "$T/out/keylog" ] || fail "$1, $3: SSLKEYLOGFILE was created"
	[ ! -s "$T/proxy.log" ] || fail "$1, $3: the proxy was contacted"
	ok "$1, $3: $got; no key log, no proxy"
}
for who in nobody root; do
	as $who PAM_SUCCESS tls
	as $who PAM_SUCCESS plain
	as $who PAM_AUTHINFO_UNAVAIL sysca
done
[ -z "$(ls -A "$T/out")" ] || fail "files were created: $(ls -A "$T/out")"
ok "nothing was created in the attacker's directory"
stop_ykvald
