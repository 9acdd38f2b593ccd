#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# offline=challenge-response (issue 16) through a real PAM stack: a user
# with a token ID and a challenge-response state file, on the line
#
#	auth required pam_yk.so mode=otp,challenge-response offline=...
#
# falls back to challenge-response when no validation server can be
# reached -- refused, hanging, failing TLS -- and is told so; a replayed,
# rejected (BAD_OTP), forged or unsigned answer never falls back, nor
# does a server that is down next to one that answers unsigned.  Without
# offline=, or without a state file, nothing falls back.  Servers are
# tests/fakeval and ykvald on loopback; the YubiKey is emulated at
# libykpers' boundary (fakeykpers.so).
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

NSSW=$(wrapper nss_wrapper)
FAKEVAL=$top_builddir/tests/fakeval
[ -n "$NSSW" ] || skip "libnss-wrapper is not installed"
[ -f "$FAKEYK" ] || fail "no $FAKEYK"
[ "$(id -u)" = 0 ] || skip "pam-offline.sh needs root (root's chalresp_path)"
PRELOAD=${SAN_PRELOAD:+$SAN_PRELOAD:}$FAKEYK:$NSSW
chmod 755 "$T"
printf 'both:x:5001:5001::/nonexistent:/bin/sh\notp:x:5002:5002::/nonexistent:/bin/sh\nroot:x:0:0::/root:/bin/sh\n' > "$T/passwd"
printf 'both:x:5001:\notp:x:5002:\nroot:x:0:\n' > "$T/group"
NSS_WRAPPER_PASSWD=$T/passwd NSS_WRAPPER_GROUP=$T/group
FAKEYK_KEYS="$CRSERIAL:$CRSECRET:$CRSECRET"
export NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP FAKEYK_KEYS
printf 'both:%s\notp:%s\n' $PUB $PUB > "$T/authfile"
chmod 600 "$T/authfile"

# A state file for "both" (the emulated key answers it).
hmac() { printf '%s' "$2" | xxd -r -p | openssl mac -digest SHA1 -macopt hexkey:$1 HMAC | tr A-F a-f; }
pbkdf2() { openssl kdf -keylen 20 -kdfopt digest:SHA1 -kdfopt pass:$1 -kdfopt hexsalt:$2 -kdfopt iter:$3 PBKDF2 | tr -d ':' | tr A-F a-f; }
c=$(printf '%s5a' "$(head -c 62 /dev/urandom | xxd -p | tr -d '\n')")
s=$(head -c 32 /dev/urandom | xxd -p | tr -d '\n')
mkdir -m 700 "$T/cr"
echo "v2:$c:$(pbkdf2 "$(hmac $CRSECRET $c)" $s 1000):$s:1000:2" > "$T/cr/both-$CRSERIAL"
chmod 600 "$T/cr/both-$CRSERIAL"

# fake NAME MODE [fakeval options]: a stand-in server; sets its URL in $u.
fake() {
	_n=$1 _m=$2; shift 2
	"$FAKEVAL" --mode "$_m" --ready-file "$T/$_n.ready" --lifetime 120 "$@" \
		>/dev/null 2>>"$T/fake.err" &
	_pids="$_pids $!"
	wait_for_file "$T/$_n.ready" $! || fail "fakeval $_m did not start"
	u=http://$(cat "$T/$_n.ready")/wsapi/2.0/verify
}
fake down refuse; DOWN=$u
fake hang hang; HANG=$u
fake replayed replayed --key "$CKEY"; REPLAYED=$u
fake badotp bad-otp --key "$CKEY"; BADOTP=$u
fake forge forge --key "$CKEY"; FORGE=$u
fake unsigned ok; UNSIGNED=$u
fake goodfake ok --key "$CKEY"; GOODFAKE=$u
# TLS that fails: ykvald over https with a certificate of a CA the module
# does not trust.
new_db "$T/db"
(cd "$T" && pki good && pki other)
start_ykvald "$T/db" --tls-cert "$T/good-srv.pem" --tls-key "$T/good-srv.key"
TLS=https://$YKVALD_ADDR/wsapi/2.0/verify

ctr=1 use=0
fresh() {
	use=$((use + 1))
	[ $use -le 255 ] || { ctr=$((ctr + 1)); use=0; }
	FRESH=$(otp $ctr $use)
}
: > "$T/debug"; chmod 666 "$T/debug"
base="mode=otp,challenge-response id=1 key=$CKEY authfile=$T/authfile chalresp_path=$T/cr debug debug_file=$T/debug"
F=$T/cr/both-$CRSERIAL
TOLD="info: The validation servers cannot be reached: using challenge-response."

# try CODE fell|kept USER URLS [OPTIONS]: log in with a fresh OTP; the
# result, and whether challenge-response was used (the user told, the
# state rotated, the log line) or not at all.
try() {
	_want=$1 _fb=$2 _u=$3 _urls=$4; shift 4
	service o "auth required $MODULE $base urllist=$_urls $*"
	cp "$F" "$T/before"
	: > "$T/debug"
	fresh
	_t0=$(now_ms)
	LD_PRELOAD=$PRELOAD "$PAMDRIVE" "$T/pam.d" o "$_u" "$FRESH" "$FRESH" \
		> "$T/out" 2>&1 || fail "pamdrive: $(cat "$T/out")"
	_ms=$(($(now_ms) - _t0))
	_got=$(sed -n 's/^result: //p' "$T/out")
	[ "$_got" = "$_want" ] || { cat "$T/out" "$T/debug" >&2; fail "$what: $_got, want $_want"; }
	[ "$(grep -c '^prompt-' "$T/out")" = 1 ] ||
		{ cat "$T/out" >&2; fail "$what: not exactly one question"; }
	if [ "$_fb" = fell ]; then
		grep -qxF "$TOLD" "$T/out" || { cat "$T/out" >&2; fail "$what: the user was not told"; }
		grep -q "no validation server reachable for $_u: offline=challenge-response" "$T/debug" ||
			{ cat "$T/debug" >&2; fail "$what: the fallback is not logged"; }
		cmp -s "$T/before" "$F" && fail "$what: the state was not rotated"
	else
		grep -qF "$TOLD" "$T/out" && { cat "$T/out" >&2; fail "$what: fell back"; }
		cmp -s "$T/before" "$F" || fail "$what: the state changed"
	fi
	ok "$what: $_got, $_fb ($_ms ms)"
}
OFF=offline=challenge-response

# --- unreachable: every server refused, hanging or failing TLS
what="refused"; try PAM_SUCCESS fell both "$DOWN" $OFF
what="hanging"; try PAM_SUCCESS fell both "$HANG" $OFF timeout=2
[ $_ms -lt 9000 ] || fail "hanging: $_ms ms, want under timeout + 7 s"
what="TLS, untrusted certificate"; try PAM_SUCCESS fell both "$TLS" $OFF cainfo=$T/other-ca.pem
what="refused and hanging"; try PAM_SUCCESS fell both "$DOWN;$HANG" $OFF timeout=2
what="refused and TLS"; try PAM_SUCCESS fell both "$DOWN;$TLS" $OFF cainfo=$T/other-ca.pem
# (the same https server, trusted: no need to fall back)
what="TLS, trusted"; try PAM_SUCCESS kept both "$TLS" $OFF cainfo=$T/good-ca.pem

# --- reachable: an answer, however bad, never falls back
what="replayed"; try PAM_AUTH_ERR kept both "$REPLAYED" $OFF
what="rejected (BAD_OTP)"; try PAM_AUTH_ERR kept both "$BADOTP" $OFF
what="forged signature"; try PAM_AUTHINFO_UNAVAIL kept both "$FORGE" $OFF
what="unsigned"; try PAM_AUTHINFO_UNAVAIL kept both "$UNSIGNED" $OFF
what="refused and unsigned"; try PAM_AUTHINFO_UNAVAIL kept both "$DOWN;$UNSIGNED" $OFF
what="refused and BAD_OTP"; try PAM_AUTH_ERR kept both "$DOWN;$BADOTP" $OFF
what="refused and OK"; try PAM_SUCCESS kept both "$DOWN;$GOODFAKE" $OFF

# --- no offline=, or no state file: nothing falls back
what="refused, without offline="; try PAM_AUTHINFO_UNAVAIL kept both "$DOWN"
what="refused, no state file"; try PAM_AUTHINFO_UNAVAIL kept otp "$DOWN" $OFF
grep -q "no fallback: no challenge-response state file" "$T/debug" ||
	{ cat "$T/debug" >&2; fail "$what: not logged"; }

# --- a wrong answer after the fallback is the end of it
what="refused, then the wrong key"
FAKEYK_KEYS="$CRSERIAL:$CRSECRET:0000000000000000000000000000000000000000"
cp "$F" "$T/before"
service o "auth required $MODULE $base urllist=$DOWN $OFF"
fresh
LD_PRELOAD=$PRELOAD "$PAMDRIVE" "$T/pam.d" o both "$FRESH" "$FRESH" > "$T/out" 2>&1 ||
	fail "pamdrive: $(cat "$T/out")"
[ "$(sed -n 's/^result: //p' "$T/out")" = PAM_AUTH_ERR ] && grep -qxF "$TOLD" "$T/out" &&
	[ "$(grep -c '^prompt-' "$T/out")" = 1 ] || { cat "$T/out" >&2; fail "$what"; }
cmp -s "$T/before" "$F" || fail "$what: the state changed"
ok "$what: PAM_AUTH_ERR"
stop_ykvald
