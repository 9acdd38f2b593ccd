#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# methods.sh - method list benchmark, run by hand ("make bench-methods"),
# never by "make check": its figures depend on the machine.
#
# The login time of "mode=piv,otp" against the single-method line, in
# one run, through tests/pamdrive (pam_start_confdir) under nss_wrapper:
#
#   card user   mode=piv,otp     against  mode=piv
#               (piv decides: the card found while looking is the one
#               the login uses)
#   OTP user    mode=piv,otp     against  mode=client
#               - "no sha256=": piv_map=authfile and no fingerprint is
#                 mapped to the user, so no card is looked for;
#               - "other's card": piv_map=cn, so the card must be looked
#                 at: the PKCS#11 module is loaded, the card holds the
#                 card user's certificate, which is checked and found
#                 not to name the OTP user
#
# One SoftHSM token (alice-p256's certificate and key at CKA_ID 01) and
# ykvald on loopback.  Each login must succeed before anything is timed;
# the logins of each line are interleaved round by round, their order
# rotated each round.  Prints medians (ms) and list / single (goal 1.1).
#
# Environment (defaults in brackets):
#   top_srcdir [the directory above tests/], top_builddir [top_srcdir/build]
#   BENCH_LOGINS [20]   logins per line
#   BENCH_STRICT [0]    1: exit 1 when a goal is not met
# Needs root (the PKCS#11 module must be root's), openssl, softhsm2,
# opensc (pkcs11-tool), libnss-wrapper, and a built pam_yk.so, ykvald and
# tests/pamdrive.  Takes about 10-30 s.

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$here/../..}
top_builddir=${top_builddir:-$top_srcdir/build}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"	# sets -eu, $T, the clean-up trap
# shellcheck source=tests/piv-lib.sh
. "$top_srcdir/tests/piv-lib.sh"

N=${BENCH_LOGINS:-20}
STRICT=${BENCH_STRICT:-0}
GOAL=1.1

piv_requirements
[ "$(id -u)" = 0 ] || skip "methods.sh needs root (the PKCS#11 module must be root's)"
for p in "$MODULE" "$PAMDRIVE" "$YKVALD" "$OTPGEN"; do
	[ -e "$p" ] || fail "$p is not built (run make, make check)"
done
NSSW=$(wrapper nss_wrapper)
[ -n "$NSSW" ] || skip "libnss-wrapper is not installed"
chmod 755 "$T"
printf 'carduser:x:4242:4242::/nonexistent:/bin/sh\notpuser:x:4243:4243::/nonexistent:/bin/sh\n' > "$T/passwd"
printf 'carduser:x:4242:\notpuser:x:4243:\n' > "$T/group"
NSS_WRAPPER_PASSWD=$T/passwd NSS_WRAPPER_GROUP=$T/group
export NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
PRELOAD=${SAN_PRELOAD:+$SAN_PRELOAD:}$NSSW

# Only the CA and one certificate of pki_make's PKI.
PKI=$T/pki; mkdir -p "$PKI"; _serial=100
_pki_configs
_pki_root ca
_pki_issue alice-p256 p256 alice alice
token_init card1
token_put card1 "$PKI/alice-p256.pem" "$PKI/alice-p256.key" 01
FP=$(openssl x509 -in "$PKI/alice-p256.pem" -outform DER | sha256sum | cut -d' ' -f1)
printf 'carduser:sha256=%s\notpuser:%s\n' "$FP" $PUB > "$T/authfile"
chmod 600 "$T/authfile"

new_db "$T/db"
start_ykvald "$T/db"
otpargs="id=1 key=$CKEY urllist=$URL authfile=$T/authfile"
pivargs="pkcs11_module=$SOFTHSM_MODULE piv_cafile=$PKI/ca.pem"
service piv "auth required $MODULE mode=piv $pivargs authfile=$T/authfile pkcs11_uri=pkcs11:token=card1"
service listcard "auth required $MODULE mode=piv,otp $pivargs $otpargs pkcs11_uri=pkcs11:token=card1"
service otp "auth required $MODULE mode=client $otpargs"
service listnocard "auth required $MODULE mode=piv,otp $pivargs $otpargs pkcs11_uri=pkcs11:token=nosuchcard"
service listother "auth required $MODULE mode=piv,otp $pivargs $otpargs piv_map=cn pkcs11_uri=pkcs11:token=card1"

ctr=1 use=0
fresh() {
	use=$((use + 1))
	[ $use -le 255 ] || { ctr=$((ctr + 1)); use=0; }
	FRESH=$(otp $ctr $use)
}
# run SERVICE: one timed login, which must succeed.
run() {
	case $1 in
	piv|listcard) _u=carduser _a=$USER_PIN ;;
	*)	fresh; _u=otpuser _a=$FRESH ;;
	esac
	_t0=$(date +%s%N)
	LD_PRELOAD=$PRELOAD "$PAMDRIVE" "$T/pam.d" "$1" $_u "$_a" > "$T/out" 2>&1 ||
		fail "pamdrive $1: $(cat "$T/out")"
	_t1=$(date +%s%N)
	grep -qx 'result: PAM_SUCCESS' "$T/out" ||
		{ cat "$T/out" >&2; fail "$1: a login failed"; }
	echo $(((_t1 - _t0) / 1000)) >> "$T/t.$1"
}
SVCS="piv listcard otp listnocard listother"
for s in $SVCS; do : > "$T/t.$s"; run $s; : > "$T/t.$s"; done
ok "every line logs in"
i=0
while [ $i -lt "$N" ]; do
	set -- $SVCS
	_k=$((i % $#))
	while [ $_k -gt 0 ]; do _f=$1; shift; set -- "$@" "$_f"; _k=$((_k - 1)); done
	for s; do run "$s"; done
	i=$((i + 1))
done
stop_ykvald

median() {
	sort -n "$1" | awk '{ a[NR] = $1 } END {
	    m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
	    printf "%.2f", m / 1000 }'
}
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
m_piv=$(median "$T/t.piv") m_listcard=$(median "$T/t.listcard")
m_otp=$(median "$T/t.otp") m_listnocard=$(median "$T/t.listnocard")
m_listother=$(median "$T/t.listother")
r_card=$(calc %.3f "$m_listcard / $m_piv")
r_nocard=$(calc %.3f "$m_listnocard / $m_otp")
r_other=$(calc %.3f "$m_listother / $m_otp")
echo "mode=piv,otp against one method, $N logins each, medians (ms),"
echo "pamdrive + nss_wrapper, SoftHSM, ykvald on loopback:"
printf '  card user:  mode=piv %8s   mode=piv,otp %8s   ratio %s\n' "$m_piv" "$m_listcard" "$r_card"
printf '  OTP user:   mode=client %5s   no sha256=   %8s   ratio %s\n' "$m_otp" "$m_listnocard" "$r_nocard"
printf '              %18s other'"'"'s card %8s   ratio %s\n' "" "$m_listother" "$r_other"
echo "goal: each ratio <= $GOAL"
bad=0
for r in $r_card $r_nocard $r_other; do
	[ "$(calc %d "$r <= $GOAL")" = 1 ] || bad=1
done
[ $bad = 0 ] || [ "$STRICT" = 0 ] || fail "a ratio is above $GOAL"
