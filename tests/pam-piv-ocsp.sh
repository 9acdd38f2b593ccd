#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# piv_ocsp= through a real PAM stack: SoftHSM cards from the test PKI,
# OCSP responders on 127.0.0.1 (tests/ocspstub.py answering with
# `openssl ocsp`) started and stopped here.  Good, revoked and unknown;
# answers signed by the wrong key or by a responder without OCSPSigning;
# stale answers and answers without our nonce; responders down or
# stalled under try and require; the cache across logins.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
# shellcheck source=tests/piv-lib.sh
. "$top_srcdir/tests/piv-lib.sh"

piv_requirements
command -v python3 >/dev/null 2>&1 || skip "python3 is not installed"
NSSW=$(wrapper nss_wrapper)
[ -n "$NSSW" ] || skip "libnss-wrapper is not installed"
[ "$(id -u)" = 0 ] || skip "pam-piv-ocsp.sh needs root (the PKCS#11 module must be root's)"
printf 'alice:x:4242:4242:Alice:/nonexistent:/bin/sh\n' > "$T/passwd"
printf 'alice:x:4242:\n' > "$T/group"
NSS_WRAPPER_PASSWD=$T/passwd NSS_WRAPPER_GROUP=$T/group
export NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
PRELOAD=${SAN_PRELOAD:+$SAN_PRELOAD:}$NSSW

pki_make "$T/pki"
# shellcheck disable=SC2046 # the responder's arguments: words
ocsp_start ca openssl 0 $(ocsp_ca_args ca)
CA=http://127.0.0.1:$OCSP_PORT/
pki_make_ocsp "$CA"
# shellcheck disable=SC2046
ocsp_start deleg openssl 0 $(ocsp_ca_args ocsp-resp)
DELEG=http://127.0.0.1:$OCSP_PORT/
# shellcheck disable=SC2046
ocsp_start noeku openssl 0 $(ocsp_ca_args ocsp-noeku)
NOEKU=http://127.0.0.1:$OCSP_PORT/
# shellcheck disable=SC2046
ocsp_start rogue openssl 0 $(ocsp_ca_args rogue-ca)
ROGUE=http://127.0.0.1:$OCSP_PORT/
# shellcheck disable=SC2046
ocsp_start slow openssl 2 $(ocsp_ca_args ca)
SLOW=http://127.0.0.1:$OCSP_PORT/
ocsp_start nononce canned "$PKI/nononce.der"
NONONCE=http://127.0.0.1:$OCSP_PORT/
ocsp_start stall stall
STALL=http://127.0.0.1:$OCSP_PORT/
# a port nobody listens on: bound, then closed
DOWN=http://127.0.0.1:$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')/

fp() { openssl x509 -in "$PKI/$1.pem" -outform DER | sha256sum | cut -d' ' -f1; }
{
	printf 'alice'
	for c in alice-p256 alice-rsa alice-revoked alice-aia; do
		printf ':sha256=%s' "$(fp $c)"
	done
	printf '\n'
} > "$T/authfile"
base="mode=piv pkcs11_module=$SOFTHSM_MODULE piv_cafile=$PKI/ca.pem authfile=$T/authfile debug debug_file=$T/debug"
: > "$T/debug"; chmod 666 "$T/debug"
for c in alice-p256 alice-rsa alice-revoked alice-aia; do
	token_init "$c"
	token_put "$c" "$PKI/$c.pem" "$PKI/$c.key" 01
done

# svc NAME CARD OPTIONS...: a service using exactly that card
svc() {
	_n=$1 _c=$2; shift 2
	service "$_n" "auth required $MODULE $base pkcs11_uri=pkcs11:token=$_c $*"
}
# try CODE SERVICE: log in as alice with the right PIN, check the code
try() {
	_want=$1; shift
	LD_PRELOAD=$PRELOAD "$PAMDRIVE" "$T/pam.d" "$1" alice 123456 \
	    > "$T/out" 2>&1 || fail "pamdrive: $(cat "$T/out")"
	_got=$(sed -n 's/^result: //p' "$T/out")
	[ "$_got" = "$_want" ] ||
		{ cat "$T/out"; tail -n 3 "$T/debug"; fail "$*: $_got, want $_want"; }
	ok "$_want: $*"
}
logged() { grep -q "$1" "$T/debug" || { tail -n 3 "$T/debug"; fail "the log lacks '$1'"; }; }
no_pin() { grep -q '^prompt' "$T/out" && fail "$1: a PIN was asked for" || :; }
requests() { wc -l < "$T/ocsp-$1.port.log" 2>/dev/null || echo 0; }

# good, revoked, unknown; revoked and unknown refused before the PIN,
# under require and try alike
svc good alice-p256 piv_ocsp=require piv_ocsp_url=$CA
try PAM_SUCCESS good
grep -q '^prompt-off: PIN' "$T/out" || fail "good: no PIN prompt"
for m in require try; do
	svc revoked-$m alice-revoked piv_ocsp=$m piv_ocsp_url=$CA
	: > "$T/debug"; try PAM_AUTH_ERR revoked-$m; no_pin revoked
	logged "OCSP (piv_ocsp=$m): the certificate is revoked (keyCompromise)"
	svc unknown-$m alice-rsa piv_ocsp=$m piv_ocsp_url=$CA
	: > "$T/debug"; try PAM_AUTH_ERR unknown-$m; no_pin unknown
	logged "status unknown"
done
[ "$(grep -c 'denied' "$T/debug")" = 1 ] || fail "not one line for a denial"
# without piv_ocsp, the revoked card logs in (no CRL): OCSP is what refused
svc off alice-revoked
try PAM_SUCCESS off

# the responder from the certificate's AIA; none at all is a denial
svc aia alice-aia piv_ocsp=require
try PAM_SUCCESS aia
svc noaia alice-p256 piv_ocsp=try
: > "$T/debug"; try PAM_AUTH_ERR noaia; logged "names no OCSP responder"

# signed by the issuer's look-alike (same name and key identifier, other
# key); by a delegated responder without OCSPSigning; with it
for m in require try; do
	svc rogue-$m alice-p256 piv_ocsp=$m piv_ocsp_url=$ROGUE
	: > "$T/debug"; try PAM_AUTH_ERR rogue-$m; no_pin rogue
	logged "signature does not verify"
	svc noeku-$m alice-p256 piv_ocsp=$m piv_ocsp_url=$NOEKU
	: > "$T/debug"; try PAM_AUTH_ERR noeku-$m
	logged "signature does not verify"
done
svc deleg alice-p256 piv_ocsp=require piv_ocsp_url=$DELEG
try PAM_SUCCESS deleg

# an answer without our nonce (a replay of a good one)
for m in require try; do
	svc nononce-$m alice-p256 piv_ocsp=$m piv_ocsp_url=$NONONCE
	: > "$T/debug"; try PAM_AUTH_ERR nononce-$m; logged "nonce"
done

# an answer too large, and one that is not OCSP: bad answers, never
# "unreachable" (which try would let through)
head -c 70000 /dev/urandom > "$T/big.der"
ocsp_start big canned "$T/big.der"
svc big alice-p256 piv_ocsp=try piv_ocsp_url=http://127.0.0.1:$OCSP_PORT/
: > "$T/debug"; try PAM_AUTH_ERR big; logged "larger than 65536 bytes"
head -c 300 /dev/urandom > "$T/junk.der"
ocsp_start junk canned "$T/junk.der"
svc junk alice-p256 piv_ocsp=try piv_ocsp_url=http://127.0.0.1:$OCSP_PORT/
: > "$T/debug"; try PAM_AUTH_ERR junk; logged "not an OCSP response"

# stale: answered 2 s after it was made, with piv_ocsp_max_age=1
svc stale alice-p256 piv_ocsp=try piv_ocsp_url=$SLOW piv_ocsp_max_age=1
: > "$T/debug"; try PAM_AUTH_ERR stale; logged "the answer is stale"
svc fresh alice-p256 piv_ocsp=require piv_ocsp_url=$SLOW piv_ocsp_max_age=60
try PAM_SUCCESS fresh

# stale by its nextUpdate (made two days ago, with our nonce): no openssl
# option backdates an answer, python3-cryptography does
if python3 -c 'from cryptography.x509 import ocsp' 2>/dev/null; then
	ocsp_start old backdated "$PKI/alice-p256.pem" "$PKI/ca.pem" "$PKI/ca.key"
	OLD=http://127.0.0.1:$OCSP_PORT/
	svc old alice-p256 piv_ocsp=try piv_ocsp_url=$OLD
	: > "$T/debug"; try PAM_AUTH_ERR old; logged "the answer is stale"
	python3 "$top_srcdir/tests/ocspstub.py" - backdated \
	    "$PKI/alice-p256.pem" "$PKI/ca.pem" "$PKI/ca.key" > "$T/old.der" ||
		fail "no backdated answer"
	HAVE_BACKDATED=1
else
	echo "note: python3-cryptography is missing: no backdated answers"
	HAVE_BACKDATED=0
fi

# down (refused) and stalled: try allows, require denies, within timeout
for r in down stall; do
	url=$DOWN; [ $r = down ] || url=$STALL
	svc "$r-require" alice-p256 piv_ocsp=require piv_ocsp_url=$url timeout=2
	svc "$r-try" alice-p256 piv_ocsp=try piv_ocsp_url=$url timeout=2
	_t0=$(date +%s)
	: > "$T/debug"; try PAM_AUTH_ERR "$r-require"; logged "OCSP (piv_ocsp=require)"
	try PAM_SUCCESS "$r-try"; logged "allowed by piv_ocsp=try"
	_dt=$(($(date +%s) - _t0))
	[ $_dt -le 8 ] || fail "$r: two logins took $_dt s with timeout=2"
done
[ "$(requests stall)" -ge 2 ] || fail "the stalled responder was not asked"
# a name to resolve while the environment steers the resolver: refused,
# never "unreachable" (which try would let through)
_dport=${DOWN#http://127.0.0.1:}
svc steer alice-p256 piv_ocsp=try piv_ocsp_url=http://localhost:$_dport timeout=2
try PAM_SUCCESS steer
: > "$T/debug"
HOSTALIASES=/dev/null try PAM_AUTH_ERR steer; logged "HOSTALIASES"

# ykpamcfg check shows the status, judged by the module's own rule
# ckocsp CARD CODE PATTERN OPTIONS...
ckocsp() {
	_c=$1 _want=$2 _pat=$3; shift 3
	_rc=0
	LD_PRELOAD=$PRELOAD "$top_builddir/ykpamcfg" check -u alice --args \
	    "$base pkcs11_uri=pkcs11:token=$_c $*" > "$T/ck.out" 2>&1 || _rc=$?
	grep -q -- "$_pat" "$T/ck.out" && [ $_rc = "$_want" ] ||
		{ cat "$T/ck.out"; fail "check $_c $*: exit $_rc, no '$_pat'"; }
	ok "check $_c $*: $_pat"
}
ckocsp alice-p256 0 "ok: OCSP good" piv_ocsp=require piv_ocsp_url=$CA
ckocsp alice-revoked 1 "deny: OCSP revoked: .*(keyCompromise)" piv_ocsp=try piv_ocsp_url=$CA
ckocsp alice-rsa 1 "deny: OCSP unknown" piv_ocsp=require piv_ocsp_url=$CA
ckocsp alice-p256 1 "deny: OCSP no trustworthy answer: .*nonce" piv_ocsp=require piv_ocsp_url=$NONONCE
ckocsp alice-p256 0 "warn: OCSP responder unreachable: .*allowed by piv_ocsp=try" piv_ocsp=try piv_ocsp_url=$DOWN
ckocsp alice-p256 1 "deny: OCSP responder unreachable" piv_ocsp=require piv_ocsp_url=$DOWN
_rc=0
LD_PRELOAD=$PRELOAD "$top_builddir/ykpamcfg" check --no-network -u alice --args \
    "$base pkcs11_uri=pkcs11:token=alice-revoked piv_ocsp=require piv_ocsp_url=$CA" \
    > "$T/ck.out" 2>&1 || _rc=$?
grep -q "info: OCSP not asked (--no-network)" "$T/ck.out" && [ $_rc = 0 ] ||
	{ cat "$T/ck.out"; fail "check --no-network asked the responder"; }
ok "check --no-network: OCSP not asked"
# ...and writes no cache entry
mkdir -m 755 "$T/ckcache"
ckocsp alice-p256 0 "ok: OCSP good" piv_ocsp=require piv_ocsp_url=$CA piv_ocsp_cache=$T/ckcache
[ -z "$(ls -A "$T/ckcache")" ] || fail "ykpamcfg check wrote the cache"

# the cache: the second login asks no responder (it is stopped)
mkdir -m 755 "$T/cache"
# shellcheck disable=SC2046
ocsp_start cache openssl 0 $(ocsp_ca_args ca)
CACHEURL=http://127.0.0.1:$OCSP_PORT/
svc cached alice-p256 piv_ocsp=require piv_ocsp_url=$CACHEURL piv_ocsp_cache=$T/cache
try PAM_SUCCESS cached
[ "$(requests cache)" = 1 ] || fail "first login: $(requests cache) requests"
set -- "$T"/cache/*.der
[ $# = 1 ] && [ -f "$1" ] || fail "no cache entry: $(ls -a "$T/cache")"
for f in "$T"/cache/.tmp*; do [ -e "$f" ] && fail "left behind: $f"; done
eval "kill \$OCSP_PID_cache"
try PAM_SUCCESS cached
try PAM_SUCCESS cached
[ "$(requests cache)" = 1 ] || fail "cached logins asked the responder"
ok "the cache answers while the responder is down"
# ...a revoked answer is cached as well, and still refused
svc cached-rev alice-revoked piv_ocsp=require piv_ocsp_url=$CA piv_ocsp_cache=$T/cache
try PAM_AUTH_ERR cached-rev
svc cached-rev2 alice-revoked piv_ocsp=try piv_ocsp_url=$DOWN piv_ocsp_cache=$T/cache
: > "$T/debug"; try PAM_AUTH_ERR cached-rev2; logged "revoked.*(cached)"
# ...an entry older than piv_ocsp_max_age is not used
sleep 2
svc cached-old alice-p256 piv_ocsp=require piv_ocsp_url=$DOWN piv_ocsp_cache=$T/cache piv_ocsp_max_age=1
try PAM_AUTH_ERR cached-old
# ...an entry past its nextUpdate is not used
if [ $HAVE_BACKDATED = 1 ]; then
	set -- "$T"/cache/*.der
	for f; do cp "$f" "$f.keep"; cp "$T/old.der" "$f"; done
	: > "$T/debug"; try PAM_AUTH_ERR cached; logged "cannot connect"
	for f; do mv "$f.keep" "$f"; done
	try PAM_SUCCESS cached
fi
# ...a corrupt entry is ignored, not trusted
# (every entry: their names come from this run's PKI, so which one is
# alice-p256's is not known here)
for f in "$T"/cache/*.der; do head -c 300 "$f" > "$f.cut"; mv "$f.cut" "$f"; done
: > "$T/debug"; try PAM_AUTH_ERR cached; logged "cannot connect"
# ...another certificate's answer under this one's name is not used, and
# a cached answer needs no nonce (nononce.der: alice-p256's, good)
set -- "$T"/cache/*.der
[ $# = 2 ] || fail "cache: $# entries"
for f; do cp "$PKI/nononce.der" "$f"; done
svc cached-rev3 alice-revoked piv_ocsp=require piv_ocsp_url=$DOWN piv_ocsp_cache=$T/cache
try PAM_AUTH_ERR cached-rev3
try PAM_SUCCESS cached
# the cache directory must be root's and not writable by others
chmod 777 "$T/cache"
try PAM_SERVICE_ERR cached
chmod 755 "$T/cache"; chown 4242 "$T/cache"
try PAM_SERVICE_ERR cached
svc nocache alice-p256 piv_ocsp=require piv_ocsp_url=$CA piv_ocsp_cache=$T/nonexistent
try PAM_SERVICE_ERR nocache

# configuration
svc badmode alice-p256 piv_ocsp=maybe
try PAM_SERVICE_ERR badmode
svc urlonly alice-p256 piv_ocsp_url=$CA
try PAM_SERVICE_ERR urlonly
svc https alice-p256 piv_ocsp=require piv_ocsp_url=https://127.0.0.1/
try PAM_SERVICE_ERR https
service client "auth required $MODULE id=1 piv_ocsp=require"
try PAM_SERVICE_ERR client
