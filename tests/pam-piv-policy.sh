#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# mode=piv certificate policy through a real PAM stack, with a hostile PKI
# made here (tests/piv-lib.sh pki_make_policy): weak keys and digests in the
# chain, keys that can never sign, planted anchors, issuer purpose, leaf
# role, UPN/email domains, unsafe or missing trust files, CRLs without
# nextUpdate, malformed certificates, options that do not apply.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
# shellcheck source=tests/piv-lib.sh
. "$top_srcdir/tests/piv-lib.sh"

piv_requirements
NSSW=$(wrapper nss_wrapper)
[ -n "$NSSW" ] || skip "libnss-wrapper is not installed"
[ "$(id -u)" = 0 ] || skip "needs root (the PKCS#11 module must be root's)"
printf 'alice:x:4242:4242:Alice:/nonexistent:/bin/sh\n' > "$T/passwd"
printf 'alice:x:4242:\n' > "$T/group"
NSS_WRAPPER_PASSWD=$T/passwd NSS_WRAPPER_GROUP=$T/group
export NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
PRELOAD=${SAN_PRELOAD:+$SAN_PRELOAD:}$NSSW

_t0=$(date +%s)
pki_make "$T/pki"
pki_make_policy
ok "PKI in $(($(date +%s) - _t0)) s"
fp() { openssl x509 -in "$PKI/$1.pem" -outform DER | sha256sum | cut -d' ' -f1; }

# cert_only TOKEN DER: only a certificate (as read, even if it does not
# parse) at 9a.
cert_only() {
	p11 --token-label "$1" --login --pin $USER_PIN --id 01 --label cert \
	    --type cert --write-object "$2" > "$T/p11.out" 2>&1 ||
		{ cat "$T/p11.out"; fail "pkcs11-tool: certificate into $1"; }
}
# cert NAME [-]: a token NAME with NAME's certificate and key at 9a (with
# -, the certificate alone: one refused before the PIN needs no key); its
# fingerprint on alice's line of the authfile.
cert() {
	token_init "$1"
	if [ "${2:-}" = - ]; then
		cert_only "$1" "$PKI/$1.der"
	else
		token_put "$1" "$PKI/$1.pem" "$PKI/$1.key" 01
	fi
	printf 'alice:sha256=%s\n' "$(fp "$1")" >> "$T/authfile"
}
: > "$T/authfile"
base="mode=piv pkcs11_module=$SOFTHSM_MODULE authfile=$T/authfile debug debug_file=$T/debug"
: > "$T/debug"; chmod 666 "$T/debug"

# try CODE SERVICE USER [ANSWER]...
try() {
	_want=$1; shift
	LD_PRELOAD=$PRELOAD "$PAMDRIVE" "$T/pam.d" "$@" > "$T/out" 2>&1 ||
		fail "pamdrive: $(cat "$T/out")"
	_got=$(sed -n 's/^result: //p' "$T/out")
	[ "$_got" = "$_want" ] ||
		{ cat "$T/out"; tail -n 5 "$T/debug"; fail "$*: $_got, want $_want"; }
	ok "$_want: $*"
}
logged() { grep -q -- "$1" "$T/debug" || { tail -n 5 "$T/debug"; fail "the log lacks '$1'"; }; }
no_prompt() { ! grep -q '^prompt' "$T/out" || fail "$1: asked for a PIN"; }
# refused NAME LOG [OPTIONS]: NAME's card is refused before the PIN, and
# the log says LOG.
refused() {
	_rn=$1 _rl=$2; shift 2
	service "r-$_rn" "auth required $MODULE $base piv_cafile=$PKI/chain.pem pkcs11_uri=pkcs11:token=$_rn $*"
	: > "$T/debug"
	try PAM_AUTH_ERR "r-$_rn" alice 123456
	no_prompt "$_rn"
	logged "$_rl"
}

# 1. Key strength and digests, in the whole chain (issue 10, item 1);
# keys that can never sign are refused before the PIN (item 6).
cert alice-intgood
service good "auth required $MODULE $base piv_cafile=$PKI/chain.pem pkcs11_uri=pkcs11:token=alice-intgood"
try PAM_SUCCESS good alice 123456
cert alice-rsa1024
refused alice-rsa1024 "RSA key has 1024 bits"
service rsa1024-ok "auth required $MODULE $base piv_cafile=$PKI/chain.pem pkcs11_uri=pkcs11:token=alice-rsa1024 piv_min_rsa_bits=1024"
try PAM_SUCCESS rsa1024-ok alice 123456
cert alice-ec112 -
refused alice-ec112 "secp112r1"
cert alice-ed25519 -
refused alice-ed25519 "ED25519, which can never sign"
cert alice-rsapss -
refused alice-rsapss "RSA-PSS only"
cert alice-int512
refused alice-int512 "depth 1 (/O=pam_yk test/CN=RSA-512 CA): its RSA key has 512 bits"
# piv_min_rsa_bits=1024 does not reach down to 512 bits
refused alice-int512 "RSA key has 512 bits" piv_min_rsa_bits=1024
cert alice-intp224
refused alice-intp224 "depth 1 (/O=pam_yk test/CN=P-224 CA): its EC key is on a 224-bit curve"
cert alice-intsha1
refused alice-intsha1 "depth 1 (/O=pam_yk test/CN=SHA-1 CA): it is signed with SHA1"
cert alice-intmd5
refused alice-intmd5 "depth 1 (/O=pam_yk test/CN=MD5 CA): it is signed with MD5"

# 3. Issuer purpose, leaf role.
cert alice-intserver
refused alice-intserver "CN=serverAuth CA): its extended key usage allows neither"
cert alice-ca
refused alice-ca "CA certificate"

# 10. A duplicate extension is named as such.
cert alice-dupext
refused alice-dupext "duplicate extension keyUsage"

# 2. A CRL directory is never a source of anchors: the attacker's root
# as <hash>.0 (and its CRL as <hash>.r0) in piv_crlpath.
cert alice-evil
mkdir "$T/crlpath"
cp "$PKI/crl.pem" "$PKI/evil-crl.pem" "$T/crlpath/"
cp "$PKI/evil-ca.pem" "$T/crlpath/$(openssl x509 -in "$PKI/evil-ca.pem" -noout -hash).0"
cp "$PKI/evil-crl.pem" "$T/crlpath/$(openssl crl -in "$PKI/evil-crl.pem" -noout -hash).r0"
ln -s crl.pem "$T/crlpath/$(openssl crl -in "$PKI/crl.pem" -noout -hash).r0"
refused alice-evil "unable to get local issuer" piv_crlpath=$T/crlpath
# ...while the CA's CRL there still counts (read through the link too)
cert alice-p256
service crlpath-p256 "auth required $MODULE $base piv_cafile=$PKI/ca.pem piv_crlpath=$T/crlpath pkcs11_uri=pkcs11:token=alice-p256"
try PAM_SUCCESS crlpath-p256 alice 123456
# ...and a CRL file holding a certificate gives no anchor either
cat "$PKI/crl.pem" "$PKI/evil-crl.pem" "$PKI/evil-ca.pem" > "$T/crlmix.pem"
refused alice-evil "unable to get local issuer" piv_crlfile=$T/crlmix.pem
# piv_capath: every file is read (no hash links needed), and a CRL there
# is no revocation list (only piv_crlfile/piv_crlpath are)
mkdir "$T/capath"
cp "$PKI/ca.pem" "$T/capath/"
cp "$PKI/crl.pem" "$T/capath/$(openssl crl -in "$PKI/crl.pem" -noout -hash).r0"
cert alice-revoked
service capath-revoked "auth required $MODULE $base piv_capath=$T/capath pkcs11_uri=pkcs11:token=alice-revoked"
try PAM_SUCCESS capath-revoked alice 123456

# 4. UPN and email mapping check the domain.
cert alice-upnevil
cert alice-upnempty
for m in upn email; do
	for c in alice-p256 alice-upnevil alice-upnempty; do
		service "$m-$c" "auth required $MODULE $base piv_cafile=$PKI/ca.pem piv_map=$m piv_domain=other.example,Example.Test pkcs11_uri=pkcs11:token=$c"
	done
	try PAM_SUCCESS "$m-alice-p256" alice 123456
	: > "$T/debug"; try PAM_AUTH_ERR "$m-alice-upnevil" alice 123456
	no_prompt "$m alice@EVIL.EXAMPLE"; logged "piv_domain= domain"
	try PAM_AUTH_ERR "$m-alice-upnempty" alice 123456
	no_prompt "$m alice@"
	service "$m-nodomain" "auth required $MODULE $base piv_cafile=$PKI/ca.pem piv_map=$m pkcs11_uri=pkcs11:token=alice-p256"
	# (the parser's reason goes to syslog: tests/test_cfg.c, check.sh)
	try PAM_SERVICE_ERR "$m-nodomain" alice 123456
done

# 10. Upper-case sha256= fingerprints match, as pam_yk-authfile(5) says.
printf 'alice:sha256=%s\n' "$(fp alice-p256 | tr a-f A-F)" > "$T/authfile.uc"
service uc "auth required $MODULE mode=piv pkcs11_module=$SOFTHSM_MODULE authfile=$T/authfile.uc piv_cafile=$PKI/ca.pem pkcs11_uri=pkcs11:token=alice-p256"
try PAM_SUCCESS uc alice 123456

# 10. A CRL without nextUpdate is refused (a configuration error).
service nonext "auth required $MODULE $base piv_cafile=$PKI/ca.pem piv_crlfile=$PKI/crl-nonext.pem pkcs11_uri=pkcs11:token=alice-p256"
: > "$T/debug"; try PAM_SERVICE_ERR nonext alice 123456; logged "without nextUpdate"
mkdir "$T/crlpath-nonext"; cp "$PKI/crl-nonext.pem" "$T/crlpath-nonext/"
service nonext-dir "auth required $MODULE $base piv_cafile=$PKI/ca.pem piv_crlpath=$T/crlpath-nonext pkcs11_uri=pkcs11:token=alice-p256"
try PAM_SERVICE_ERR nonext-dir alice 123456

# 10. A certificate that does not parse: a denial, even with nullok.
token_init unparsable
{ cat "$PKI/alice-p256.der"; printf 'x'; } > "$T/unparsable.der"
cert_only unparsable "$T/unparsable.der"
service unparsable "auth required $MODULE $base piv_cafile=$PKI/ca.pem pkcs11_uri=pkcs11:token=unparsable nullok" "auth required pam_permit.so"
: > "$T/debug"; try PAM_AUTH_ERR unparsable alice 123456
no_prompt unparsable; logged "cannot parse the certificate"

# 10. use_first_pass / try_first_pass do not apply to mode=piv.
for o in use_first_pass try_first_pass; do
	service "$o" "auth required $MODULE $base piv_cafile=$PKI/ca.pem $o"
	try PAM_SERVICE_ERR "$o" alice 123456
done

# 9. Trust and CRL files: missing, unsafe -> PAM_SERVICE_ERR naming them,
# never AUTHINFO_UNAVAIL (which nullok turns into a pass).
# conf NAME OPTIONS...: a nullok service that must give PAM_SERVICE_ERR.
conf() {
	_n=$1; shift
	service "c-$_n" "auth required $MODULE $base nullok $* pkcs11_uri=pkcs11:token=alice-p256" "auth required pam_permit.so"
	: > "$T/debug"; try PAM_SERVICE_ERR "c-$_n" alice 123456
}
conf crlpath-missing piv_cafile=$PKI/ca.pem piv_crlpath=$T/nonexistent
logged "piv_crlpath=$T/nonexistent does not exist"
conf crlfile-missing piv_cafile=$PKI/ca.pem piv_crlfile=$T/nonexistent.pem
logged "piv_crlfile=$T/nonexistent.pem does not exist"
conf cafile-missing piv_cafile=$T/nonexistent.pem
logged "piv_cafile=$T/nonexistent.pem does not exist"
cp "$PKI/ca.pem" "$T/ca-ww.pem"; chmod 666 "$T/ca-ww.pem"
conf cafile-ww piv_cafile=$T/ca-ww.pem
logged "piv_cafile=$T/ca-ww.pem is writable by group or others"
cp "$PKI/ca.pem" "$T/ca-nobody.pem"; chown nobody "$T/ca-nobody.pem"
conf cafile-owner piv_cafile=$T/ca-nobody.pem
logged "piv_cafile=$T/ca-nobody.pem has the wrong owner"
ln -s "$PKI/ca.pem" "$T/ca-link.pem"
conf cafile-link piv_cafile=$T/ca-link.pem
logged "is a symbolic link"
cp "$PKI/crl.pem" "$T/crl-gw.pem"; chmod 664 "$T/crl-gw.pem"
conf crlfile-gw piv_cafile=$PKI/ca.pem piv_crlfile=$T/crl-gw.pem
logged "piv_crlfile=$T/crl-gw.pem is writable by group or others"
mkdir "$T/crlpath-ww"; cp "$PKI/crl.pem" "$T/crlpath-ww/"; chmod 777 "$T/crlpath-ww"
conf crlpath-ww piv_cafile=$PKI/ca.pem piv_crlpath=$T/crlpath-ww
logged "piv_crlpath=$T/crlpath-ww is writable by group or others"
mkdir "$T/crlpath-file"; cp "$PKI/crl.pem" "$T/crlpath-file/"
chmod 666 "$T/crlpath-file/crl.pem"
conf crlpath-file piv_cafile=$PKI/ca.pem piv_crlpath=$T/crlpath-file
logged "crl.pem is writable by group or others"
cat "$PKI/ca.pem" "$PKI/alice-dupext.pem" > "$T/ca-dupext.pem"
conf cafile-dupext piv_cafile=$T/ca-dupext.pem
logged "is malformed (duplicate extension keyUsage)"
printf 'not a certificate\n' > "$T/ca-empty.pem"
conf cafile-empty piv_cafile=$T/ca-empty.pem
logged "holds no PEM certificate"

ok "total $(($(date +%s) - _t0)) s"
