#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# mode=piv through a real PAM stack (pam_start_confdir), on SoftHSM tokens
# holding certificates from a test PKI made here with openssl, and through
# tests/fakep11.so for what SoftHSM cannot show (lock-out, removal, quirks).
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
# shellcheck source=tests/piv-lib.sh
. "$top_srcdir/tests/piv-lib.sh"

piv_requirements
fakep11_copy
NSSW=$(wrapper nss_wrapper)
[ -n "$NSSW" ] || skip "libnss-wrapper is not installed"
[ "$(id -u)" = 0 ] || skip "pam-piv.sh needs root (the PKCS#11 module must be root's)"
printf 'alice:x:4242:4242:Alice:/nonexistent:/bin/sh\nbob:x:4343:4343:Bob:/nonexistent:/bin/sh\n' > "$T/passwd"
printf 'alice:x:4242:\nbob:x:4343:\n' > "$T/group"
NSS_WRAPPER_PASSWD=$T/passwd NSS_WRAPPER_GROUP=$T/group
export NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
PRELOAD=${SAN_PRELOAD:+$SAN_PRELOAD:}$NSSW

pki_make "$T/pki"
fp() { openssl x509 -in "$PKI/$1.pem" -outform DER | sha256sum | cut -d' ' -f1; }
{
	printf 'alice:ccccccbbbbbb'
	for c in alice-rsa alice-p256 alice-p384 alice-expired alice-notyet \
	    alice-rogue alice-selfsigned alice-revoked alice-noclientauth \
	    alice-nodigsig alice-nulcn; do
		printf ':sha256=%s' "$(fp $c)"
	done
	printf '\nbob:sha256=%s\n' "$(fp bob-rsa)"
} > "$T/authfile"
base="mode=piv pkcs11_module=$SOFTHSM_MODULE piv_cafile=$PKI/ca.pem authfile=$T/authfile debug debug_file=$T/debug"
: > "$T/debug"; chmod 666 "$T/debug"

# card NAME CERT [KEY]: a token NAME holding CERT's certificate and key at
# 9a (CKA_ID 01); a service "piv-NAME" that uses exactly that token.
card() {
	token_init "$1"
	token_put "$1" "$PKI/$2.pem" "$PKI/${3:-$2}.key" 01
	service "piv-$1" "auth required $MODULE $base pkcs11_uri=pkcs11:token=$1"
}
# try CODE SERVICE USER [ANSWER]...: log in, check the code
try() {
	_want=$1; shift
	LD_PRELOAD=$PRELOAD "$PAMDRIVE" "$T/pam.d" "$@" > "$T/out" 2>&1 ||
		fail "pamdrive: $(cat "$T/out")"
	_got=$(sed -n 's/^result: //p' "$T/out")
	[ "$_got" = "$_want" ] || { cat "$T/out"; tail -n 5 "$T/debug"; fail "$*: $_got, want $_want"; }
	ok "$_want: $*"
}
logged() { grep -q "$1" "$T/debug" || { tail -n 5 "$T/debug"; fail "the log lacks '$1'"; }; }

for c in alice-expired alice-notyet alice-rogue alice-selfsigned \
    alice-noclientauth alice-nodigsig; do
	card $c $c
	: > "$T/debug"
	try PAM_AUTH_ERR piv-$c alice 123456
	grep -q '^prompt' "$T/out" && fail "$c: asked for a PIN before refusing the certificate"
done
# every slot is looked at: with only refused certificates, a denial...
service any "auth required $MODULE $base"
try PAM_AUTH_ERR any alice 123456
# ...and the good cards, made after six bad ones, are found
for c in alice-rsa alice-p256 alice-p384; do
	card $c $c
	try PAM_SUCCESS piv-$c alice 123456
	grep -q "^prompt-off: PIN for $c: " "$T/out" || fail "no PIN prompt: $(cat "$T/out")"
done
try PAM_SUCCESS any alice 123456
# revoked: the CRL denies; a stale CRL denies even a good certificate
card alice-revoked alice-revoked
service crl "auth required $MODULE $base piv_crlfile=$PKI/crl.pem pkcs11_uri=pkcs11:token=alice-revoked"
try PAM_SUCCESS piv-alice-revoked alice 123456	# no CRL configured
try PAM_AUTH_ERR crl alice 123456
service crlgood "auth required $MODULE $base piv_crlfile=$PKI/crl.pem pkcs11_uri=pkcs11:token=alice-p256"
try PAM_SUCCESS crlgood alice 123456
service crlpath "auth required $MODULE $base piv_crlpath=$PKI/crlpath pkcs11_uri=pkcs11:token=alice-p256"
try PAM_SUCCESS crlpath alice 123456
service stale "auth required $MODULE $base piv_crlfile=$PKI/crl-stale.pem pkcs11_uri=pkcs11:token=alice-p256"
: > "$T/debug"; try PAM_AUTH_ERR stale alice 123456; logged "CRL has expired"
mkdir "$T/nocrl"
service nocrl "auth required $MODULE $base piv_crlpath=$T/nocrl pkcs11_uri=pkcs11:token=alice-p256"
try PAM_AUTH_ERR nocrl alice 123456

# mapping: cn with a NUL in the CN; another user's certificate
card alice-nulcn alice-nulcn
service nulcn "auth required $MODULE $base piv_map=cn pkcs11_uri=pkcs11:token=alice-nulcn"
try PAM_AUTH_ERR nulcn alice 123456
for m in cn uid upn email; do
	service map-$m "auth required $MODULE $base piv_map=$m piv_domain=example.test pkcs11_uri=pkcs11:token=alice-p256"
	try PAM_SUCCESS map-$m alice 123456
	try PAM_AUTH_ERR map-$m bob 123456
done
card bob-rsa bob-rsa
try PAM_AUTH_ERR piv-bob-rsa alice 123456	# bob's card, alice's login
try PAM_SUCCESS piv-bob-rsa bob 123456

# a key with CKA_ALWAYS_AUTHENTICATE (like PIV 9c): a context-specific login
token_init always
token_put always "$PKI/alice-p384.pem" "$PKI/alice-p384.key" 01 --always-auth
service piv-always "auth required $MODULE $base pkcs11_uri=pkcs11:token=always"
try PAM_SUCCESS piv-always alice 123456

# the forged token: alice's certificate, the attacker's key (CVE-2025-24032)
token_forged forged
service piv-forged "auth required $MODULE $base pkcs11_uri=pkcs11:token=forged"
: > "$T/debug"; try PAM_AUTH_ERR piv-forged alice 123456; logged "not the certificate's"

# PINs: wrong (and told), right after wrong, wrong length never sent
: > "$T/debug"; try PAM_AUTH_ERR piv-alice-p256 alice 654321
grep -q '^error: Wrong PIN' "$T/out" || fail "no wrong-PIN message: $(cat "$T/out")"
try PAM_SUCCESS piv-alice-p256 alice 123456
try PAM_AUTH_ERR piv-alice-p256 alice 12345
grep -q '6 to 8' "$T/out" || fail "no PIN-length message"
try PAM_CONV_ERR piv-alice-p256 alice

# no card at all: AUTHINFO_UNAVAIL, or IGNORE with nullok
mkdir -p "$T/empty/tokens"
printf 'directories.tokendir = %s/empty/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" > "$T/empty.conf"
service nocard "auth required $MODULE $base"
SOFTHSM2_CONF=$T/empty.conf try PAM_AUTHINFO_UNAVAIL nocard alice
service nocardnull "auth required $MODULE $base nullok" "auth required pam_permit.so"
SOFTHSM2_CONF=$T/empty.conf try PAM_SUCCESS nocardnull alice

# configuration: no trust anchors, a module not owned by root
service noca "auth required $MODULE mode=piv pkcs11_module=$SOFTHSM_MODULE authfile=$T/authfile"
try PAM_SERVICE_ERR noca alice 123456
cp "$SOFTHSM_MODULE" "$T/module.so"; chmod 666 "$T/module.so"
service badmod "auth required $MODULE mode=piv pkcs11_module=$T/module.so piv_cafile=$PKI/ca.pem authfile=$T/authfile"
try PAM_SERVICE_ERR badmod alice 123456

# --- through the fault-injecting wrapper
if [ -f "$FAKEP11" ]; then
	FAKEP11_MODULE=$SOFTHSM_MODULE FAKEP11_LOG=$T/p11.log
	export FAKEP11_MODULE FAKEP11_LOG
	fbase="mode=piv pkcs11_module=$FAKEP11 piv_cafile=$PKI/ca.pem authfile=$T/authfile pkcs11_uri=pkcs11:token=alice-p256 debug debug_file=$T/debug"
	service fake "auth required $MODULE $fbase"
	try PAM_SUCCESS fake alice 123456
	( FAKEP11_PIN=locked; export FAKEP11_PIN; : > "$T/p11.log"
	  try PAM_AUTH_ERR fake alice 123456
	  grep -q 'PIN blocked: unblock it with the PUK' "$T/out" || fail "no PUK message"
	  grep -q '^prompt' "$T/out" && fail "prompted for a blocked PIN"
	  grep -q 'C_Login' "$T/p11.log" && fail "C_Login with a blocked PIN" || : )
	( FAKEP11_PIN=final; export FAKEP11_PIN
	  try PAM_SUCCESS fake alice 123456
	  grep -q 'last PIN attempt' "$T/out" || fail "no last-attempt warning" )
	# The card pulled: after the PIN, a denial that says so; before the
	# certificate was read, simply no card.
	for at in login sign session; do
		( FAKEP11_REMOVE_AT=$at; export FAKEP11_REMOVE_AT; : > "$T/debug"
		  try PAM_AUTH_ERR fake alice 123456 )
		grep -q "removed" "$T/debug" || fail "removal at $at: $(tail -n 2 "$T/debug")"
	done
	( FAKEP11_REMOVE_AT='find'; export FAKEP11_REMOVE_AT
	  try PAM_AUTHINFO_UNAVAIL fake alice 123456 )
	# A certificate that is there but too large (or misreported) is a
	# refusal, never "no card" (which nullok would pass).
	( FAKEP11_HUGE_VALUE=1; export FAKEP11_HUGE_VALUE
	  try PAM_AUTH_ERR fake alice 123456 )
	( FAKEP11_BUFFER_QUIRK=1; export FAKEP11_BUFFER_QUIRK
	  try PAM_SUCCESS fake alice 123456 )
	# An earlier module's PAM_AUTHTOK never reaches the card...
	SETI=$(ls /usr/lib/*/pam_wrapper/pam_set_items.so 2>/dev/null | head -n 1)
	if [ -n "$SETI" ]; then
		service tok "auth required $SETI" "auth required $MODULE $fbase"
		: > "$T/p11.log"
		PAM_AUTHTOK=999999 try PAM_CONV_ERR tok alice
		grep -q 'C_Login' "$T/p11.log" && fail "PAM_AUTHTOK reached the token"
		PAM_AUTHTOK=999999 try PAM_SUCCESS tok alice 123456
		ok "an earlier module's PAM_AUTHTOK never reaches the token"
		# ...unless use_authtok_as_pin says so
		service tokpin "auth required $SETI" "auth required $MODULE $fbase use_authtok_as_pin"
		PAM_AUTHTOK=123456 try PAM_SUCCESS tokpin alice
	fi
fi
