#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The fault-injecting PKCS#11 wrapper (tests/fakep11.c, which documents
# FAKEP11_*): it passes SoftHSM through untouched, and each fault shows
# the way the comment there says, through pkcs11-tool (one call per
# process) and tests/p11drive (several calls in one process).
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
# shellcheck source=tests/piv-lib.sh
. "$top_srcdir/tests/piv-lib.sh"
piv_requirements
DRIVE=$top_builddir/tests/p11drive
[ -f "$FAKEP11" ] || fail "no $FAKEP11: make check builds it"
[ -x "$DRIVE" ] || fail "no $DRIVE"
for v in MODULE TOKEN PIN REMOVE_AT HUGE_VALUE BUFFER_QUIRK LOG HANG \
    LOGGED_IN LOGIN_LIE SIGN_LEN ATTR_GROW KEY_TYPE NO_SIGN NO_MECH YUBIKEY; do
	unset "FAKEP11_$v"
done
FAKEP11_MODULE=$SOFTHSM_MODULE
export FAKEP11_MODULE

NM=${NM:-nm}
if command -v "$NM" >/dev/null 2>&1; then
	_s=$("$NM" -D --defined-only "$FAKEP11" | awk '{ print $3 }' |
	    grep -v '^_' | tr '\n' ' ')
	[ "$_s" = "C_GetFunctionList " ] || fail "fakep11.so exports: $_s"
	ok "fakep11.so exports C_GetFunctionList only"
fi

# Two tokens (SoftHSM adds a third slot, with an uninitialized token),
# each with a P-256 key and a self-signed certificate at ID 01.
for t in card1 card2; do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/$t.key" -subj "/CN=$t" -days 1 -out "$T/$t.pem" \
	    2>/dev/null || fail "openssl req $t"
	openssl pkey -in "$T/$t.key" -pubout -out "$T/$t.pub" 2>/dev/null
	token_init $t
	token_put $t "$T/$t.pem" "$T/$t.key" 01
done
head -c 100 /dev/urandom > "$T/data"
openssl dgst -sha256 -binary "$T/data" > "$T/digest"
# verify KEY RAW: the r||s signature RAW over $T/data under KEY.pub.
verify() {
	ecdsa_der "$2" "$T/sig.der"
	openssl dgst -sha256 -verify "$T/$1.pub" -signature "$T/sig.der" \
	    "$T/data" >/dev/null 2>&1
}

# fake [VAR=VALUE...] -- PKCS11-TOOL-ARGS: pkcs11-tool through the
# wrapper; output in $T/out, status in $rc.
fake() {
	_e=
	while [ "$1" != -- ]; do _e="$_e $1"; shift; done
	shift
	rc=0
	(
		# shellcheck disable=SC2163 # $_e: the VAR=VALUE words to export
		[ -z "$_e" ] || export $_e
		FAKEP11_LOG=$T/log; export FAKEP11_LOG
		p11_fake "$@"
	) > "$T/out" 2>&1 || rc=$?
}
SIGN="--token-label card1 --login --pin $USER_PIN --sign --id 01 -m ECDSA \
-i $T/digest -o $T/sig"
# drive [VAR=VALUE...] -- STEPS: tests/p11drive through the wrapper;
# output in $T/out.
drive() {
	_e=
	while [ "$1" != -- ]; do _e="$_e $1"; shift; done
	shift
	env $_e FAKEP11_LOG="$T/log" "$DRIVE" "$FAKEP11" "$@" > "$T/out" 2>&1 ||
		{ cat "$T/out" >&2; fail "p11drive $*"; }
}
# want_out TEXT: $T/out must hold these lines (one per line of TEXT).
want_out() {
	printf '%s\n' "$1" > "$T/want"
	diff "$T/want" "$T/out" >&2 || fail "unexpected output: $(cat "$T/out")"
}

# ---- pass-through ------------------------------------------------------
: > "$T/log"
fake -- -L
[ $rc = 0 ] || { cat "$T/out" >&2; fail "pkcs11-tool -L through fakep11"; }
grep -q 'token label *: card1$' "$T/out" &&
	grep -q 'token label *: card2$' "$T/out" ||
	fail "pkcs11-tool -L: $(cat "$T/out")"
ok "pkcs11-tool -L lists both tokens through the wrapper"
fake -- $SIGN
[ $rc = 0 ] || { cat "$T/out" >&2; fail "pkcs11-tool --sign through fakep11"; }
verify card1 "$T/sig" || fail "pass-through signature does not verify"
grep -q "^C_Login token=card1 user=CKU_USER pin_len=6 rv=CKR_OK$" "$T/log" ||
	fail "log: no C_Login line: $(cat "$T/log")"
grep -q "^C_Sign in=32 out=[0-9]* rv=CKR_OK len=64$" "$T/log" ||
	fail "log: no C_Sign line"
sed 's/slot=[0-9]*//' "$T/log" | grep -q "$USER_PIN" &&
	fail "the PIN is in the log"
grep -q '^fault' "$T/log" && fail "a fault without FAKEP11_*"
ok "pass-through signing verifies; the log has the PIN's length, not the PIN"
drive -- open card1 login $USER_PIN sign 01 "$T/digest" "$T/sig" value 01 close
want_out "open CKR_OK
login CKR_OK
sign CKR_OK len=64 tries=1
value CKR_OK len=$(openssl x509 -in "$T/card1.pem" -outform DER | wc -c)
value CKR_OK len=$(openssl x509 -in "$T/card1.pem" -outform DER | wc -c)
close CKR_OK
finalize CKR_OK"
verify card1 "$T/sig" || fail "p11drive signature does not verify"
ok "p11drive: login, sign, certificate through the wrapper"

# ---- the PIN -------------------------------------------------------------
: > "$T/log"
fake FAKEP11_PIN=locked -- $SIGN
[ $rc != 0 ] && grep -q CKR_PIN_LOCKED "$T/out" ||
	fail "FAKEP11_PIN=locked: $(cat "$T/out")"
grep -q '^C_GetTokenInfo .*token=card1 .* USER_PIN_LOCKED$' "$T/log" ||
	fail "FAKEP11_PIN=locked: no LOCKED flag"
ok "FAKEP11_PIN=locked: CKF_USER_PIN_LOCKED, C_Login gives CKR_PIN_LOCKED"
fake FAKEP11_PIN=final FAKEP11_TOKEN=card2 -- -L
grep -q 'user PIN count low, final user PIN try' "$T/out" ||
	fail "FAKEP11_PIN=final: $(cat "$T/out")"
[ "$(grep -c 'final user PIN try' "$T/out")" = 1 ] ||
	fail "FAKEP11_TOKEN=card2: other tokens have the flag too"
ok "FAKEP11_PIN=final: COUNT_LOW and FINAL_TRY, on FAKEP11_TOKEN only"
drive FAKEP11_PIN=final -- flags card1 open card1 login 999999 flags card1 \
	login $USER_PIN flags card1
want_out "flags card1 COUNT_LOW FINAL_TRY
open CKR_OK
login CKR_PIN_INCORRECT
flags card1 LOCKED
login CKR_PIN_LOCKED
flags card1 LOCKED
finalize CKR_OK"
ok "FAKEP11_PIN=final: a wrong PIN locks it"
drive FAKEP11_PIN=low -- open card1 login 999999 flags card1 \
	login $USER_PIN flags card1
want_out "open CKR_OK
login CKR_PIN_INCORRECT
flags card1 COUNT_LOW FINAL_TRY
login CKR_OK
flags card1
finalize CKR_OK"
ok "FAKEP11_PIN=low: a wrong PIN makes it the last try, a right one clears it"
: > "$T/log"
drive FAKEP11_PIN=locked FAKEP11_TOKEN=card1 -- open card2 login $USER_PIN \
	open card1 login $USER_PIN
want_out "open CKR_OK
login CKR_OK
open CKR_OK
login CKR_PIN_LOCKED
finalize CKR_OK"
[ "$(grep -c '^C_Login ' "$T/log")" = 2 ] || fail "C_Login lines"
ok "FAKEP11_TOKEN=card1 locks card1 only"

# ---- the card goes away ------------------------------------------------
fake FAKEP11_REMOVE_AT=sign -- $SIGN
[ $rc != 0 ] && grep -q CKR_DEVICE_REMOVED "$T/out" ||
	fail "FAKEP11_REMOVE_AT=sign: $(cat "$T/out")"
ok "FAKEP11_REMOVE_AT=sign: pkcs11-tool --sign fails with CKR_DEVICE_REMOVED"
drive FAKEP11_REMOVE_AT=sign FAKEP11_TOKEN=card1 -- slots open card1 \
	login $USER_PIN sign 01 "$T/digest" "$T/sig" slots flags card1 \
	open card1 close open card2 login $USER_PIN sign 01 "$T/digest" "$T/sig"
want_out "slots 3
open CKR_OK
login CKR_OK
sign CKR_DEVICE_REMOVED len=0 tries=1
slots 2
flags card1 CKR_TOKEN_NOT_PRESENT
open CKR_TOKEN_NOT_PRESENT
close CKR_OK
open CKR_OK
login CKR_OK
sign CKR_OK len=64 tries=1
finalize CKR_OK"
verify card2 "$T/sig" || fail "card2's signature after card1 left"
ok "FAKEP11_REMOVE_AT=sign: card1 is gone, card2 still signs"
: > "$T/log"
drive FAKEP11_REMOVE_AT=login -- open card1 login $USER_PIN open card1
want_out "open CKR_OK
login CKR_DEVICE_REMOVED
open CKR_TOKEN_NOT_PRESENT
finalize CKR_OK"
grep -q '^fault: token card1 removed at C_Login$' "$T/log" ||
	fail "log: no removal"
ok "FAKEP11_REMOVE_AT=login"
fake FAKEP11_REMOVE_AT=find -- $SIGN
[ $rc != 0 ] && grep -q CKR_TOKEN_NOT_PRESENT "$T/out" ||
	fail "FAKEP11_REMOVE_AT=find: $(cat "$T/out")"
ok "FAKEP11_REMOVE_AT=find: C_FindObjects gives CKR_TOKEN_NOT_PRESENT"
drive FAKEP11_REMOVE_AT=session -- open card1 login $USER_PIN \
	sign 01 "$T/digest" "$T/sig" close open card1 login $USER_PIN \
	sign 01 "$T/digest" "$T/sig" close
want_out "open CKR_OK
login CKR_OK
sign CKR_SESSION_HANDLE_INVALID len=0 tries=0
close CKR_SESSION_HANDLE_INVALID
open CKR_OK
login CKR_OK
sign CKR_OK len=64 tries=1
close CKR_OK
finalize CKR_OK"
grep -q '^C_FindObjectsInit class=.* rv=CKR_SESSION_HANDLE_INVALID$' "$T/log" ||
	fail "log: the lost session was not refused"
ok "FAKEP11_REMOVE_AT=session: the session is lost, a new one works"

# ---- lengths -------------------------------------------------------------
drive FAKEP11_BUFFER_QUIRK=1 -- open card1 login $USER_PIN \
	sign 01 "$T/digest" "$T/sig" sign 01 "$T/digest" "$T/sig"
want_out "open CKR_OK
login CKR_OK
sign CKR_OK len=64 tries=2
sign CKR_OK len=64 tries=2
finalize CKR_OK"
verify card1 "$T/sig" || fail "FAKEP11_BUFFER_QUIRK: signature does not verify"
: > "$T/log"
fake FAKEP11_BUFFER_QUIRK=1 -- $SIGN
[ $rc != 0 ] && grep -q '^fault: CKR_BUFFER_TOO_SMALL once$' "$T/log" ||
	fail "FAKEP11_BUFFER_QUIRK: pkcs11-tool did not fail: $(cat "$T/out")"
ok "FAKEP11_BUFFER_QUIRK: a careful caller retries, pkcs11-tool gives up"
drive FAKEP11_HUGE_VALUE=1 -- open card1 value 01
want_out "open CKR_OK
value CKR_OK len=2147483647
value CKR_BUFFER_TOO_SMALL len=unavailable
finalize CKR_OK"
drive FAKEP11_HUGE_VALUE=max -- open card1 value 01
want_out "open CKR_OK
value CKR_OK len=$(printf '%u' -2)
value CKR_BUFFER_TOO_SMALL len=unavailable
finalize CKR_OK"
ok "FAKEP11_HUGE_VALUE: a huge CKA_VALUE length, then CKR_BUFFER_TOO_SMALL"

# ---- mistakes ------------------------------------------------------------
fake FAKEP11_PIN=lockd -- -L
[ $rc != 0 ] && grep -q 'FAKEP11_PIN=lockd: expected' "$T/out" ||
	fail "a bad FAKEP11_PIN was accepted"
for bad in HANG=sgn ATTR_GROW=value KEY_TYPE=dsa NO_MECH=pss SIGN_LEN=x \
    LOGIN_LIE=2 YUBIKEY=yes; do
	fake "FAKEP11_$bad" -- -L
	[ $rc != 0 ] && grep -q "FAKEP11_$bad: expected" "$T/out" ||
		fail "a bad FAKEP11_$bad was accepted"
done
rc=0
env FAKEP11_MODULE=/nonexistent "$DRIVE" "$FAKEP11" slots > "$T/out" 2>&1 ||
	rc=$?
[ $rc != 0 ] && grep -q '/nonexistent' "$T/out" ||
	fail "FAKEP11_MODULE=/nonexistent"
ok "a misspelt fault or a missing module fails loudly"
