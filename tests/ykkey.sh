#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# pam_yk/cr_key.c against emulated YubiKeys: tests/test_ykkey runs under the
# LD_PRELOADed stand-in for libykpers (tests/fakeykpers.c, which documents
# the FAKEYK_* variables), one line per case.  The expected responses were
# not computed by the stand-in: two come from state files written by
# ykpamcfg (notes/chalresp-vectors.md), the rest from Python's hmac.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

FAKE=$top_builddir/tests/.libs/fakeykpers.so
DRIVER=$top_builddir/tests/test_ykkey
[ -f "$FAKE" ] || fail "no $FAKE: make check builds it"
[ -x "$DRIVER" ] || fail "no $DRIVER"
# An ASan test_ykkey must accept a preload ahead of its runtime (lib.sh
# does this too when SANITIZERS=yes).
case ${ASAN_OPTIONS:-} in
*verify_asan_link_order=0*) ;;
*) ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
   export ASAN_OPTIONS ;;
esac
for v in KEYS TOUCH TOUCH_MS NORESP_MS USBERR_AT BUSY INIT LOG; do
	unset "FAKEYK_$v"
done

# Every libykpers function the code calls is stood in for, or a test
# would reach the real library (and the USB bus).
NM=${NM:-nm}
if command -v "$NM" >/dev/null 2>&1; then
	"$NM" -D --defined-only "$FAKE" | awk '{ print $3 }' > "$T/have"
	for s in $("$NM" -D --undefined-only "$DRIVER" |
	    awk '{ sub(/@.*/, "", $2); print $2 }' | grep -E '^_?yk'); do
		grep -qx "$s" "$T/have" || fail "the stand-in lacks $s"
	done
	ok "the stand-in defines every libykpers symbol test_ykkey uses"
fi

K=0123456789abcdef0123456789abcdef01234567
K2=00112233445566778899aabbccddeeff00112233
# The two 63-byte challenges of chalresp-vectors.md and their responses.
C1=6b573b754a7f36a2ef4c31568dc7bbed6ca0e72a8b4c835fb84b4a065bdf4c6c
C1=${C1}bb2a466b72ecee8db075ef64ceaae9be579568f3fa76fde8208647b472cc64
R1=a9ee08203fc614b2fd6342671c0d39d4547de918
C2=f480e5d374cd0b83bdba50a240bdc35a254b66ed106a4641eb50e99cf9eb6262
C2=${C2}8e2ddab74bd0a28a7972f237f539fccf3715d664ddf93f7f5d7e0a831b7e7e
R2=f0be492722fdc0e918985bf51c54c6dfcb2530cd
# C1 under K2.
R1K2=0e5b5458544a475ce6890eca67875c399e62dc16
# C2 with its last two bytes 0x00 (63 bytes): HMAC_LT64 MACs the first 61.
CZ=f480e5d374cd0b83bdba50a240bdc35a254b66ed106a4641eb50e99cf9eb6262
CZ=${CZ}8e2ddab74bd0a28a7972f237f539fccf3715d664ddf93f7f5d7e0a831b0000
RZ=9d6e5bde818a2680780354c706c53f9761bf54b7
# Without HMAC_LT64 the key MACs all 64 bytes: C2 || 00, CZ || 00.
R2_64=ef31363835e60d3c529c4f1ce0a614d513ff8517
RZ_64=7d224d60f4157986dc55bd5a3bbf2563a3378543
# C2 || 7e (64 bytes ending 7e7e7e): HMAC_LT64 drops all three 7e.
C64=${C2}7e
R64_64=d8a1f3fa987b4fb5f8c8983e20474be6352cb76a

LOG=$T/fakeyk.log
# yk NAME "VAR=VALUE ..." WANT OPERATION...: run the operations under the
# stand-in with those variables; the output, lines joined by spaces, must
# be WANT.
yk() {
	_name=$1 _env=$2 _want=$3
	shift 3
	: > "$LOG"
	env $_env FAKEYK_LOG="$LOG" LD_PRELOAD="$FAKE" "$DRIVER" "$@" \
		> "$T/out" 2> "$T/err" || {
		cat "$T/out" "$T/err" >&2
		fail "$_name: test_ykkey failed"
	}
	_got=$(tr '\n' ' ' < "$T/out" | sed 's/ $//')
	[ "$_got" = "$_want" ] || {
		cat "$T/err" "$LOG" >&2
		fail "$_name: got \"$_got\", want \"$_want\""
	}
	ok "$_name"
}
# logged PATTERN COUNT: the last run logged COUNT lines matching PATTERN.
logged() {
	_n=$(grep -c -e "$1" "$LOG" || :)
	[ "$_n" = "$2" ] ||
		{ cat "$LOG" >&2; fail "log: $_n x \"$1\", want $2"; }
}

ONE="FAKEYK_KEYS=1234567:$K:$K"
TWO="FAKEYK_KEYS=1111111:$K2:;2222222::$K"
yk "bad arguments never reach the library" "" "args ok" args

yk "no key: empty list" "" "keys 0" list
yk "no key: hmac" "" "NO_KEY NO_KEY" \
	hmac 0 2 $C2 block  hmac 1234567 2 $C2 block
logged '^chal' 0

yk "one key: listed" "$ONE" "keys 1 key 1234567 5.4.3" list
yk "one key: the chalresp-vectors responses" "$ONE" "OK $R2 OK $R1" \
	hmac 1234567 2 $C2 noblock  hmac 0 1 $C1 block
logged '^chal serial=1234567 slot=2 may_block=0 touch=0 result=ok$' 1
logged '^chal serial=1234567 slot=1 may_block=1 touch=0 result=ok$' 1
yk "one key: another serial" "$ONE" "NO_KEY" hmac 7654321 2 $C2 block

yk "two keys: both listed" "$TWO" \
	"keys 2 key 1111111 5.4.3 key 2222222 5.4.3" list
yk "two keys: picked by serial" "$TWO" "OK $R2 OK $R1K2" \
	hmac 2222222 2 $C2 block  hmac 1111111 1 $C1 block
yk "two keys: serial 0 is the first key" "$TWO" "NOT_CONFIGURED OK $R1K2" \
	hmac 0 2 $C2 block  hmac 0 1 $C1 block
yk "two keys: the second busy" "$TWO FAKEYK_BUSY=2222222" \
	"IO OK $R1K2 IO" \
	list  hmac 1111111 1 $C1 block  hmac 2222222 2 $C2 block

yk "hidden serial" "FAKEYK_KEYS=0:$K:" "keys 1 key 0 5.4.3 OK $R1 NO_KEY" \
	list  hmac 0 1 $C1 block  hmac 1234567 1 $C1 block

TOUCH="FAKEYK_KEYS=1234567:$K:$K:touch2"
yk "touch: non-blocking" "$TOUCH" "NEEDS_TOUCH" hmac 0 2 $C2 noblock
logged '^chal serial=1234567 slot=2 may_block=0 touch=1 result=ewouldblock$' 1
logged '^cancel serial=1234567$' 1
logged '^abandoned' 0
yk "touch: blocking, touched" "$TOUCH FAKEYK_TOUCH=ok" "OK $R2" \
	hmac 0 2 $C2 block
logged '^chal serial=1234567 slot=2 may_block=1 touch=1 result=ok$' 1
t0=$(now_ms)
yk "touch: blocking, no touch" \
	"$TOUCH FAKEYK_TOUCH=timeout FAKEYK_TOUCH_MS=300" "TIMEOUT" \
	hmac 0 2 $C2 block
[ $(($(now_ms) - t0)) -ge 300 ] || fail "touch timeout did not wait"
yk "touch: blocking, key would block" "$TOUCH FAKEYK_TOUCH=none" \
	"NEEDS_TOUCH" hmac 0 2 $C2 block
logged '^cancel' 1
logged '^abandoned' 0
yk "touch: the other slot needs none" "$TOUCH FAKEYK_TOUCH=timeout" \
	"OK $R1" hmac 0 1 $C1 noblock

yk "USB error in the middle of the 2nd exchange" "$ONE FAKEYK_USBERR_AT=2" \
	"OK $R2 IO OK $R2" \
	hmac 0 2 $C2 block  hmac 0 2 $C2 block  hmac 0 2 $C2 block
logged 'result=eusberr$' 1
grep -q 'hmac: IO: yk_challenge_response: LIBUSB_ERROR_IO' "$T/err" ||
	fail "USB error: reason $(cat "$T/err")"

yk "firmware 2.1" "FAKEYK_KEYS=1234567:$K:$K:fw=2.1" \
	"keys 1 key 1234567 2.1.0 FIRMWARE" list  hmac 0 2 $C2 block
logged '^chal' 0
yk "firmware 2.2.3" "FAKEYK_KEYS=1234567:$K:$K:fw=2.2.3" "OK $R2" \
	hmac 0 2 $C2 block

yk "empty slot" "FAKEYK_KEYS=1234567:$K:" "NOT_CONFIGURED NOT_CONFIGURED" \
	hmac 0 2 $C2 noblock  hmac 0 2 $C2 block
logged '^chal' 0
yk "slot programmed, not for HMAC" "FAKEYK_KEYS=1234567:otp:$K" \
	"TIMEOUT TIMEOUT" hmac 0 1 $C1 noblock  hmac 0 1 $C1 block
logged 'result=etimeout$' 2

yk "HMAC_LT64: trailing 0x00 bytes are not MACed" "$ONE" "OK $RZ" \
	hmac 0 1 $CZ block
yk "HMAC_LT64: a 64-byte challenge loses its trailing run" "$ONE" "OK $RZ" \
	hmac 0 1 $C64 block
NOLT="FAKEYK_KEYS=1234567:$K:$K:nolt64"
yk "no HMAC_LT64: all 64 bytes" "$NOLT" "OK $R2_64 OK $RZ_64 OK $R64_64" \
	hmac 0 2 $C2 block  hmac 0 2 $CZ block  hmac 0 2 $C64 block

yk "yk_init fails" "$ONE FAKEYK_INIT=fail" "IO IO" list hmac 0 2 $C2 block
grep -q 'yk_init: LIBUSB_ERROR_NO_MEM' "$T/err" || fail "init: reason"
logged violation 0
