#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# mode=piv against a PKCS#11 module that is not trusted (issue 10): one
# that hangs, lies about lengths or about the login state, shows a key
# that cannot sign, lacks the mechanism, or is not a PKCS#11 module, or
# sits where others can write.  Through a real PAM stack on SoftHSM tokens
# behind tests/fakep11.so.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
# shellcheck source=tests/piv-lib.sh
. "$top_srcdir/tests/piv-lib.sh"

piv_requirements
fakep11_copy
NSSW=$(wrapper nss_wrapper)
[ -n "$NSSW" ] || skip "libnss-wrapper is not installed"
[ "$(id -u)" = 0 ] || skip "piv-card.sh needs root (the PKCS#11 module must be root's)"
[ -f "$FAKEP11" ] || fail "no $FAKEP11: make check builds it"
printf 'alice:x:4242:4242:Alice:/nonexistent:/bin/sh\n' > "$T/passwd"
printf 'alice:x:4242:\n' > "$T/group"
NSS_WRAPPER_PASSWD=$T/passwd NSS_WRAPPER_GROUP=$T/group
export NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
PRELOAD=${SAN_PRELOAD:+$SAN_PRELOAD:}$NSSW
for v in TOKEN PIN REMOVE_AT HUGE_VALUE BUFFER_QUIRK HANG LOGGED_IN \
    LOGIN_LIE SIGN_LEN ATTR_GROW KEY_TYPE NO_SIGN NO_MECH YUBIKEY; do
	unset "FAKEP11_$v"
done
FAKEP11_MODULE=$SOFTHSM_MODULE FAKEP11_LOG=$T/p11.log
export FAKEP11_MODULE FAKEP11_LOG

pki_make "$T/pki"
fp() { openssl x509 -in "$PKI/$1.pem" -outform DER | sha256sum | cut -d' ' -f1; }
printf 'alice:sha256=%s:sha256=%s\n' "$(fp alice-p256)" "$(fp alice-rsa)" \
	> "$T/authfile"
for c in alice-p256 alice-rsa; do
	token_init $c
	token_put $c "$PKI/$c.pem" "$PKI/$c.key" 01
done
: > "$T/debug"; chmod 666 "$T/debug"
common="piv_cafile=$PKI/ca.pem authfile=$T/authfile debug debug_file=$T/debug"
fbase="mode=piv pkcs11_module=$FAKEP11 $common"
service p256 "auth required $MODULE $fbase pkcs11_uri=pkcs11:token=alice-p256"
service rsa "auth required $MODULE $fbase pkcs11_uri=pkcs11:token=alice-rsa"
service quick "auth required $MODULE $fbase timeout=2 pkcs11_uri=pkcs11:token=alice-p256"
service quicknull "auth required $MODULE $fbase timeout=2 nullok pkcs11_uri=pkcs11:token=alice-p256" \
	"auth required pam_permit.so"

# try CODE SERVICE USER [ANSWER]...: log in (fault variables from the
# environment), check the code; the time it took in $ms.
try() {
	_want=$1; shift
	: > "$T/p11.log"; : > "$T/debug"
	_t0=$(now_ms)
	LD_PRELOAD=$PRELOAD "$PAMDRIVE" "$T/pam.d" "$@" > "$T/out" 2>&1 ||
		fail "pamdrive: $(cat "$T/out")"
	ms=$(($(now_ms) - _t0))
	_got=$(sed -n 's/^result: //p' "$T/out")
	[ "$_got" = "$_want" ] || { cat "$T/out"; tail -n 5 "$T/debug"; fail "$*: $_got, want $_want"; }
}
logged() { grep -q "$1" "$T/debug" || { tail -n 5 "$T/debug"; fail "the log lacks '$1'"; }; }
no_prompt() { ! grep -q '^prompt' "$T/out" || fail "$1: asked for the PIN"; }
not_signed() {
	! grep -q '^C_SignInit' "$T/p11.log" || fail "$1: the card was asked to sign"
}

try PAM_SUCCESS p256 alice 123456
grep -q 'Touch your YubiKey' "$T/out" && fail "a touch cue for a SoftHSM token"
ok "a SoftHSM token logs in, with no touch cue"
( FAKEP11_YUBIKEY=1; export FAKEP11_YUBIKEY
  try PAM_SUCCESS p256 alice 123456
  grep -q '^info: Touch your YubiKey' "$T/out" || fail "no touch cue: $(cat "$T/out")" )
ok "a token that says it is a YubiKey gets the touch cue"

# ---- item 5: the login state is the card's, not the module's word ------
( FAKEP11_LOGGED_IN=$USER_PIN; export FAKEP11_LOGGED_IN
  try PAM_AUTH_ERR p256 alice 654321
  grep -q '^fault: token alice-p256 logged in before the caller: CKR_OK' "$T/p11.log" ||
	fail "the fault did not log the token in: $(cat "$T/p11.log")"
  grep -q '^error: Wrong PIN' "$T/out" || fail "no wrong-PIN message"
  not_signed "already logged in, wrong PIN"
  try PAM_SUCCESS p256 alice 123456 )
ok "a token already logged in in the process: a wrong PIN is denied, a right one works"
( FAKEP11_LOGGED_IN=$USER_PIN FAKEP11_LOGIN_LIE=1
  export FAKEP11_LOGGED_IN FAKEP11_LOGIN_LIE
  try PAM_AUTH_ERR p256 alice 654321
  not_signed "CKR_USER_ALREADY_LOGGED_IN"
  logged "already logged in" )
ok "CKR_USER_ALREADY_LOGGED_IN from C_Login is a denial, no signature"

# ---- item 6: what can fail is checked before the PIN --------------------
( FAKEP11_KEY_TYPE=rsa; export FAKEP11_KEY_TYPE
  try PAM_AUTH_ERR p256 alice 123456; no_prompt "wrong key type"
  logged "not of the certificate's type" )
( FAKEP11_NO_MECH=ecdsa; export FAKEP11_NO_MECH
  try PAM_AUTH_ERR p256 alice 123456; no_prompt "no CKM_ECDSA"
  logged "cannot make ECDSA signatures"
  try PAM_SUCCESS rsa alice 123456 )
( FAKEP11_NO_MECH=rsa; export FAKEP11_NO_MECH
  try PAM_AUTH_ERR rsa alice 123456; no_prompt "no CKM_RSA_PKCS"
  try PAM_SUCCESS p256 alice 123456 )
ok "a key of the wrong type or a missing mechanism: denied before the PIN"
( FAKEP11_NO_SIGN=1; export FAKEP11_NO_SIGN
  try PAM_AUTH_ERR p256 alice 123456; not_signed "CKA_SIGN false"
  logged "may not sign" )
ok "a private key without CKA_SIGN is never asked to sign"

# ---- item 7: every card call has a deadline -----------------------------
for at in initialize slots find login sign; do
	( FAKEP11_HANG=$at; export FAKEP11_HANG
	  try PAM_AUTH_ERR quicknull alice 123456
	  grep -q "^fault: .* hangs" "$T/p11.log" || fail "$at: no hang"
	  [ "$ms" -lt 4500 ] || fail "$at: the login took $ms ms with timeout=2"
	  logged "did not answer within timeout=2 s" )
	ok "FAKEP11_HANG=$at: denied (even with nullok) within timeout + 1 s"
done
# A module left hanging is not called again in the process: the second
# pam_yk of the same stack (same process) is denied at once.
service twice "auth optional $MODULE $fbase timeout=2 pkcs11_uri=pkcs11:token=alice-p256" \
	"auth required $MODULE $fbase timeout=2 pkcs11_uri=pkcs11:token=alice-p256"
( FAKEP11_HANG=sign; export FAKEP11_HANG
  try PAM_SYSTEM_ERR twice alice 123456
  [ "$(grep -c '^prompt' "$T/out")" = 1 ] || fail "twice: $(cat "$T/out")"
  [ "$ms" -lt 4500 ] || fail "twice: the logins took $ms ms with timeout=2"
  logged "never returned in this process" )
ok "after a hang, later PIV logins in the process are refused at once"
( FAKEP11_HANG=finalize; export FAKEP11_HANG
  try PAM_SUCCESS quick alice 123456
  [ "$ms" -lt 4500 ] || fail "finalize: the login took $ms ms with timeout=2" )
ok "C_Finalize hangs after a good signature: the login still ends in time"

# ---- item 8: lengths from the module ------------------------------------
( FAKEP11_SIGN_LEN=1048576; export FAKEP11_SIGN_LEN
  try PAM_AUTH_ERR p256 alice 123456; logged "longer than the buffer"
  try PAM_AUTH_ERR rsa alice 123456 )
ok "a 1 MiB signature length is denied, not read"
( FAKEP11_ATTR_GROW=ec_point:1; export FAKEP11_ATTR_GROW
  try PAM_AUTH_ERR p256 alice 123456; not_signed "a lying CKA_EC_POINT" )
( FAKEP11_ATTR_GROW=modulus:2; export FAKEP11_ATTR_GROW
  try PAM_AUTH_ERR rsa alice 123456; not_signed "a lying CKA_MODULUS" )
( FAKEP11_ATTR_GROW=value:2; export FAKEP11_ATTR_GROW
  try PAM_AUTH_ERR p256 alice 123456; no_prompt "a lying CKA_VALUE" )
ok "attribute lengths longer than the buffer given are errors"

# ---- item 9: the module path is a configuration matter ------------------
for LIBZ in /usr/lib/*/libz.so.1 /usr/lib64/libz.so.1 /lib/*/libz.so.1; do
	[ -f "$LIBZ" ] && break
done
[ -f "$LIBZ" ] || fail "no libz.so.1 to stand for a library that is not PKCS#11"
service notp11 "auth required $MODULE mode=piv pkcs11_module=$LIBZ $common nullok" \
	"auth required pam_permit.so"
try PAM_SERVICE_ERR notp11 alice 123456
logged "configuration error: pkcs11_module=.*not a PKCS#11 module"
ok "a library without C_GetFunctionList: PAM_SERVICE_ERR even with nullok"
( FAKEP11_NULL_SIGN=1; export FAKEP11_NULL_SIGN
  try PAM_SERVICE_ERR quicknull alice 123456 )
logged "configuration error: pkcs11_module=.*functions missing from its list"
ok "a function list with a NULL C_Sign: PAM_SERVICE_ERR even with nullok, no crash"
# A directory that is root's alone (fakep11_copy's under /run, else the
# build tree's): $T is below /tmp, which others can write, so a module
# there is always refused.
D=${_p11dir:-$top_builddir/tests}/piv-card.d
trap 'rm -rf "$D"; cleanup' EXIT
rm -rf "$D"; mkdir -p "$D/lib"; chmod 755 "$D" "$D/lib"
cp "$FAKEP11" "$D/lib/fakep11.so"; chmod 644 "$D/lib/fakep11.so"
service moddir "auth required $MODULE mode=piv pkcs11_module=$D/lib/fakep11.so $common nullok pkcs11_uri=pkcs11:token=alice-p256" \
	"auth required pam_permit.so"
try PAM_SUCCESS moddir alice 123456
chmod 775 "$D/lib"
try PAM_SERVICE_ERR moddir alice 123456
logged "pkcs11_module=$D/lib/fakep11.so: $D/lib is writable by group or others"
chmod 755 "$D/lib"; chmod 757 "$D"
try PAM_SERVICE_ERR moddir alice 123456
chmod 755 "$D"; ln -s "$D/lib/fakep11.so" "$D/link.so"; chmod 777 "$D/lib"
service modlink "auth required $MODULE mode=piv pkcs11_module=$D/link.so $common nullok pkcs11_uri=pkcs11:token=alice-p256" \
	"auth required pam_permit.so"
try PAM_SERVICE_ERR modlink alice 123456
rm -rf "$D"
ok "a module below a group- or world-writable directory: PAM_SERVICE_ERR even with nullok"
