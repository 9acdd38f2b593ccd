#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# pam_yubico-client.sh - interoperability with a real, independent client:
# Debian's pam_yubico (which validates through libykclient), driven by
# pamtester under pam_wrapper and nss_wrapper, against ykvald on loopback.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

PAM_YUBICO=${PAM_YUBICO:-/lib/security/pam_yubico.so}

# find_wrapper NAME: the path of libNAME.so (pam_wrapper, nss_wrapper).
find_wrapper() {
	if command -v pkg-config >/dev/null 2>&1; then
		d=$(pkg-config --variable=libdir "$1" 2>/dev/null || :)
		if [ -n "$d" ] && [ -f "$d/lib$1.so" ]; then
			echo "$d/lib$1.so"
			return 0
		fi
		for w in $(pkg-config --libs "$1" 2>/dev/null || :); do
			case $w in
			*/lib"$1".so*) [ -f "$w" ] && { echo "$w"; return 0; } ;;
			esac
		done
	fi
	for f in /usr/lib/*/lib"$1".so /usr/lib/lib"$1".so \
	    /usr/lib64/lib"$1".so /usr/lib/*/lib"$1".so.0 /usr/lib/lib"$1".so.0 \
	    /usr/lib64/lib"$1".so.0; do
		[ -f "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}

[ -f "$PAM_YUBICO" ] ||
	skip "pam_yubico not found at $PAM_YUBICO (install libpam-yubico)"
command -v pamtester >/dev/null 2>&1 || skip "pamtester not installed"
PAM_WRAPPER_LIB=$(find_wrapper pam_wrapper) ||
	skip "libpam_wrapper.so not found (install libpam-wrapper)"
NSS_WRAPPER_LIB=$(find_wrapper nss_wrapper) ||
	skip "libnss_wrapper.so not found (install libnss-wrapper)"
command -v sqlite3 >/dev/null 2>&1 || skip "sqlite3 not installed"

# A second key the server knows but alice's authfile line does not list.
PUB2=vvccccbbbbbb
PRIV2=0a0b0c0d0e0f
AES2=00112233445566778899aabbccddeeff
# A valid base64 20-byte key that is not client 1's.
WRONGKEY=d3Jvbmcta2V5LTAxMjM0NTY3ODk=

new_db "$T/db"
"$YKVALD" key add --db "$T/db" --public-id $PUB2 --private-id $PRIV2 \
	--aes-key $AES2 >/dev/null
start_ykvald "$T/db"

mkdir -p "$T/pam.d" "$T/home/alice"
echo "alice:x:4242:4242:Alice:$T/home/alice:/bin/sh" >"$T/passwd"
echo "alice:x:4242:" >"$T/group"
echo "alice:$PUB" >"$T/authfile"
: >"$T/debug"	# pam_yubico writes debug_file only when it already exists
svc() {
	echo "auth required $PAM_YUBICO id=1 key=$1 urllist=$URL" \
	    "authfile=$T/authfile debug debug_file=$T/debug" >"$T/pam.d/$2"
}
svc "$CKEY" yk
svc "$WRONGKEY" yk-wrongkey

# Everything pam_yubico and pamtester said, for the test's .log on failure.
dump() {
	echo "--- pamtester output" >&2; cat "$T/pamtester.log" >&2
	echo "--- pam_yubico debug" >&2; cat "$T/alldebug" >&2
	echo "--- ykvald log" >&2; cat "$T/ykvald.log" >&2
}
die() { dump; fail "$@"; }

# pam SERVICE OTP: authenticate alice through SERVICE with OTP typed on
# stdin; pamtester's exit status.  $T/debug then holds this run's debug.
pam() {
	: >"$T/debug"
	echo "=== pamtester $1 alice <<< $2" >>"$T/pamtester.log"
	r=0
	echo "$2" | env LD_PRELOAD="$PAM_WRAPPER_LIB:$NSS_WRAPPER_LIB" \
	    PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$T/pam.d" \
	    NSS_WRAPPER_PASSWD="$T/passwd" NSS_WRAPPER_GROUP="$T/group" \
	    pamtester -v "$1" alice authenticate >>"$T/pamtester.log" 2>&1 ||
	    r=$?
	echo "=== exit $r" >>"$T/pamtester.log"
	{ echo "=== $1 $2"; cat "$T/debug"; } >>"$T/alldebug"
	return $r
}
: >"$T/pamtester.log"
: >"$T/alldebug"

# nlog STATUS [PUBID]: ykvald log lines with that status (and public ID).
nlog() {
	grep -c "^ykvald: verify client=1 public_id=${2:-$PUB} status=$1 " \
	    "$T/ykvald.log" || :
}
nreq() { grep -c '^ykvald: verify ' "$T/ykvald.log" || :; }

# (a) a fresh OTP from our generator authenticates.
o1=$(otp 1 0)
pam yk "$o1" || die "(a) fresh OTP $o1 was refused"
grep -q "pam_yubico version" "$T/debug" ||
	die "(a) no pam_yubico debug output: is the module really loaded?"
[ "$(nlog OK)" -eq 1 ] || die "(a) ykvald did not log one OK"
ok "(a) fresh otpgen OTP authenticates alice through pam_yubico"
url=$(sed -n 's/.*ykclient url used: //p' "$T/debug" | head -n 1)
[ -n "$url" ] && echo "note: pam_yubico/ykclient request: $url"

# (b) the same OTP again is refused as a replay.
if pam yk "$o1"; then die "(b) replayed OTP $o1 was accepted"; fi
[ "$(nlog REPLAYED_OTP)" -eq 1 ] || die "(b) ykvald did not log REPLAYED_OTP"
grep -q REPLAYED_OTP "$T/debug" ||
	die "(b) pam_yubico did not see REPLAYED_OTP from ykclient"
ok "(b) replayed OTP refused (REPLAYED_OTP)"

# (c) an OTP made independently by libyubikey's ykgenerate authenticates.
# Arguments are hex: key, uid, counter (16 bit), timestamp low (16 bit),
# timestamp high (8 bit), use (8 bit); it prints the 32-character token.
if command -v ykgenerate >/dev/null 2>&1; then
	tok=$(ykgenerate $AES $PRIV 0002 1234 00 00 | tr -d '\r\n ')
	case $tok in
	????????????????????????????????) ;;
	*) die "(c) unexpected ykgenerate output '$tok'" ;;
	esac
	o2=$PUB$tok
	pam yk "$o2" || die "(c) ykgenerate OTP $o2 was refused"
	[ "$(nlog OK)" -eq 2 ] || die "(c) ykvald did not log a second OK"
	ok "(c) ykgenerate OTP (counter 2) authenticates"
	# And an older session counter from ykgenerate is refused.
	tok=$(ykgenerate $AES $PRIV 0001 ffff 00 05 | tr -d '\r\n ')
	if pam yk "$PUB$tok"; then
		die "(c) ykgenerate OTP with an old counter was accepted"
	fi
	[ "$(nlog REPLAYED_OTP)" -eq 2 ] ||
		die "(c) old counter not logged as REPLAYED_OTP"
	ok "(c) ykgenerate OTP with an older counter refused (REPLAYED_OTP)"
else
	echo "SKIP (part c only): ykgenerate not installed (libyubikey-dev)"
	pam yk "$(otp 2 0)" || die "(c) fresh OTP was refused"
fi

# (d) the wrong client key: ykclient signs the request with it, ykvald
# answers BAD_SIGNATURE (signed with the real key), pam_yubico refuses.
o3=$(otp 3 0)
nbad=$(nlog BAD_SIGNATURE)
if pam yk-wrongkey "$o3"; then die "(d) accepted with the wrong key="; fi
[ "$(nlog BAD_SIGNATURE)" -eq $((nbad + 1)) ] ||
	die "(d) ykvald did not log BAD_SIGNATURE"
ykrc=$(sed -n 's/.*ykclient return value //p' "$T/debug" | head -n 1)
echo "note: with the wrong key ykclient returned: $ykrc"
ok "(d) wrong key= refused (server: BAD_SIGNATURE)"
# The OTP was not consumed: with the right key it still authenticates,
# so the refusal above was the key's doing.
pam yk "$o3" || die "(d) OTP $o3 refused with the right key after BAD_SIGNATURE"
ok "(d) the same OTP then authenticates with the right key"

# (e) an OTP of a token ID not listed for alice is refused, although the
# server knows that key.
o4=$("$OTPGEN" $PUB2 $PRIV2 $AES2 1 0)
n=$(nreq)
if pam yk "$o4"; then die "(e) OTP of unlisted token $PUB2 was accepted"; fi
if [ "$(nreq)" -eq "$n" ]; then
	echo "note: pam_yubico refused $PUB2 from the authfile alone (no request)"
else
	echo "note: pam_yubico asked the server about unlisted $PUB2 first"
fi
ok "(e) OTP of a token not in the authfile refused"
# Control: listing the token for alice makes a fresh OTP of it work.
echo "alice:$PUB:$PUB2" >"$T/authfile"
pam yk "$("$OTPGEN" $PUB2 $PRIV2 $AES2 2 0)" ||
	die "(e) $PUB2 still refused after adding it to the authfile"
[ "$(nlog OK $PUB2)" -eq 1 ] || die "(e) ykvald did not log OK for $PUB2"
ok "(e) control: once listed in the authfile, $PUB2 authenticates"

# Negative controls that pam_yubico is really in the loop: a garbage OTP,
# and (last) a fresh OTP while the server is down, are refused.
if pam yk "${PUB}cccccccccccccccccccccccccccccccc"; then
	die "a garbage OTP was accepted"
fi
ok "control: garbage OTP refused"

# (f) the server saw pam_yubico's requests and answered OK to the valid
# ones: (a), (c), (d) after fixing the key, and the control in (e).
nok=$(grep -c '^ykvald: verify client=1 public_id=[a-z]* status=OK ' \
    "$T/ykvald.log" || :)
[ "$nok" -eq 4 ] || die "(f) ykvald logged $nok OK replies, want 4"
ok "(f) ykvald log shows $nok requests from pam_yubico with status=OK"

stop_ykvald
if pam yk "$(otp 10 0)"; then die "accepted with the server stopped"; fi
ok "control: with ykvald stopped, a fresh OTP is refused"
