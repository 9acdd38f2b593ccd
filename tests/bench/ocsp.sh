#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# ocsp.sh - PIV login with piv_ocsp=require, uncached and cached, against
# the same login without OCSP, in one run; by hand (make bench-ocsp, as
# root), never by "make check": its figures depend on the machine.
#
# One SoftHSM token (alice-p256: P-256 certificate and key at CKA_ID 01,
# from tests/piv-lib.sh), driven through tests/pamdrive under
# nss_wrapper; the responder is tests/ocspstub.py on 127.0.0.1, which has
# `openssl ocsp -reqin` make each answer (signed by the CA):
#
#   off        mode=piv, no OCSP
#   uncached   piv_ocsp=require piv_ocsp_url=<stub>: one request per login
#   cached     the same with piv_ocsp_cache= (filled before timing): no
#              request at all (checked: the stub's request count)
#
# Each login must succeed before anything is timed; the N logins of each
# are interleaved round by round, their order rotated each round.  Prints
# medians (ms), each over "off", and the stub's own time per answer (an
# openssl process: most of the uncached cost is the responder's).
#
# Environment: top_srcdir, top_builddir, BENCH_LOGINS [20],
# SOFTHSM_MODULE [found by piv-lib.sh].  Takes about 10-30 s.

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$here/../..}
top_builddir=${top_builddir:-$top_srcdir/build}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"	# sets -eu, $T, the clean-up trap
# shellcheck source=tests/piv-lib.sh
. "$top_srcdir/tests/piv-lib.sh"

N=${BENCH_LOGINS:-20}

piv_requirements
[ "$(id -u)" = 0 ] || skip "ocsp.sh needs root (the PKCS#11 module must be root's)"
for p in "$MODULE" "$PAMDRIVE"; do
	[ -e "$p" ] || fail "$p is not built (run make, make check)"
done
NSSW=$(wrapper nss_wrapper)
[ -n "$NSSW" ] || skip "libnss-wrapper is not installed"
printf 'alice:x:4242:4242:Alice:/nonexistent:/bin/sh\n' > "$T/passwd"
printf 'alice:x:4242:\n' > "$T/group"
NSS_WRAPPER_PASSWD=$T/passwd NSS_WRAPPER_GROUP=$T/group
export NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
PRELOAD=${SAN_PRELOAD:+$SAN_PRELOAD:}$NSSW

pki_make "$T/pki"
pki_make_ocsp http://127.0.0.1:9/
# shellcheck disable=SC2046 # the responder's arguments: words
ocsp_start ca openssl 0 $(ocsp_ca_args ca)
URL=http://127.0.0.1:$OCSP_PORT/
token_init alice-p256
token_put alice-p256 "$PKI/alice-p256.pem" "$PKI/alice-p256.key" 01
printf 'alice:sha256=%s\n' "$(openssl x509 -in "$PKI/alice-p256.pem" \
    -outform DER | sha256sum | cut -d' ' -f1)" > "$T/authfile"
base="mode=piv pkcs11_module=$SOFTHSM_MODULE piv_cafile=$PKI/ca.pem authfile=$T/authfile"
mkdir -m 755 "$T/cache"
service off "auth required $MODULE $base"
service uncached "auth required $MODULE $base piv_ocsp=require piv_ocsp_url=$URL"
service cached "auth required $MODULE $base piv_ocsp=require piv_ocsp_url=$URL piv_ocsp_cache=$T/cache"

# run SERVICE: one login, which must succeed; its time in microseconds
# appended to $T/t.SERVICE
run() {
	_t0=$(date +%s%N)
	LD_PRELOAD=$PRELOAD "$PAMDRIVE" "$T/pam.d" "$1" alice "$USER_PIN" \
	    > "$T/out" 2>&1 || fail "pamdrive $1: $(cat "$T/out")"
	_t1=$(date +%s%N)
	grep -qx 'result: PAM_SUCCESS' "$T/out" ||
		{ cat "$T/out" >&2; fail "$1: a login failed"; }
	echo $(((_t1 - _t0) / 1000)) >> "$T/t.$1"
}
requests() { wc -l < "$T/ocsp-ca.port.log"; }

SVCS="off uncached cached"
for s in $SVCS; do run "$s"; done	# sanity, and the cache filled
[ "$(requests)" = 2 ] || fail "warm-up: $(requests) requests, want 2"
for s in $SVCS; do : > "$T/t.$s"; done
: > "$T/ocsp-ca.port.log"
i=0
while [ $i -lt "$N" ]; do
	# shellcheck disable=SC2086 # the services: words
	set -- $SVCS
	_k=$((i % $#))
	while [ $_k -gt 0 ]; do _f=$1; shift; set -- "$@" "$_f"; _k=$((_k - 1)); done
	for s; do run "$s"; done
	i=$((i + 1))
done
[ "$(requests)" = "$N" ] ||
	fail "$(requests) requests for $N uncached logins: the cache was not used"

median() {
	sort -n "$1" | awk '{ a[NR] = $1 } END {
	    m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
	    printf "%.2f", m / 1000 }'
}
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
m_off='' m_uncached='' m_cached=''
for s in $SVCS; do eval "m_$s=\$(median \"\$T/t.$s\")"; done
sed -n 's/^request \([0-9.]*\) ms$/\1/p' "$T/ocsp-ca.port.log" |
	awk '{ print $1 * 1000 }' > "$T/t.responder"
m_resp=$(median "$T/t.responder")
echo "PIV login, P-256 on SoftHSM, pamdrive + nss_wrapper; $N logins each,"
echo "interleaved (medians, ms):"
printf '  %-40s %8.2f\n' "off (no OCSP)" "$m_off"
printf '  %-40s %8.2f  x%.3f of off\n' "piv_ocsp=require, uncached" \
    "$m_uncached" "$(calc %.3f "$m_uncached / $m_off")"
printf '  %-40s %8.2f  x%.3f of off\n' "piv_ocsp=require, cached" \
    "$m_cached" "$(calc %.3f "$m_cached / $m_off")"
printf '  %-40s %8.2f\n' "the responder making one answer" "$m_resp"
echo "uncached - off: $(calc %.2f "$m_uncached - $m_off") ms" \
    "(of which the responder $m_resp ms); cached - off:" \
    "$(calc %.2f "$m_cached - $m_off") ms"
