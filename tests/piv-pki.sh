#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The PIV test infrastructure itself (tests/piv-lib.sh): the PKI made by
# pki_make is what its names say, according to openssl verify, and
# SoftHSM tokens made by token_init/token_put sign the way pam_yk will
# ask them to (CKM_ECDSA over a digest, r||s out; CKM_RSA_PKCS over a
# DigestInfo), checked with openssl.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
# shellcheck source=tests/piv-lib.sh
. "$top_srcdir/tests/piv-lib.sh"
piv_requirements

_t0=$(date +%s)
pki_make "$T/pki"
ok "pki_make in $(($(date +%s) - _t0)) s"
P=$T/pki

# vfy NAME [OPTIONS]: openssl verify of NAME.pem against ca.pem; prints
# the error number (0: verified).
vfy() {
	_n=$1; shift
	if openssl verify -CAfile "$P/ca.pem" "$@" "$P/$_n.pem" \
	    > "$T/vfy.out" 2>&1; then
		echo 0
	else
		sed -n 's/^error \([0-9]*\) at [0-9]* depth.*/\1/p' \
		    "$T/vfy.out" | head -n 1
	fi
}
# want CODE NAME [OPTIONS]
want() {
	_w=$1; shift
	_g=$(vfy "$@")
	[ "$_g" = "$_w" ] ||
		{ cat "$T/vfy.out" >&2; fail "verify $*: $_g, want $_w"; }
	ok "verify $(echo "$*" | sed "s|$P/||g"): $_w"
}

for c in alice-rsa alice-p256 alice-p384 bob-rsa; do
	want 0 $c -x509_strict -purpose sslclient
	want 0 $c -CApath "$P/capath" -crl_check -CRLfile "$P/crl.pem"
done
# Wrong only in what their names say.
want 0 alice-noclientauth -x509_strict
want 26 alice-noclientauth -purpose sslclient	# unsupported purpose
want 0 alice-nodigsig -x509_strict
want 26 alice-nodigsig -purpose sslclient
want 0 alice-nulcn -x509_strict -purpose sslclient
want 0 alice-revoked -x509_strict
want 10 alice-expired			# certificate has expired
want 9 alice-notyet			# not yet valid
want 7 alice-rogue			# signature failure
want 7 alice-rogue -x509_strict
want 18 alice-selfsigned		# self-signed certificate
want 23 alice-revoked -crl_check -CRLfile "$P/crl.pem"	# revoked
want 23 alice-revoked -crl_check -CApath "$P/crlpath"
want 12 alice-p256 -crl_check -CRLfile "$P/crl-stale.pem"	# CRL expired
want 3 alice-p256 -crl_check		# no CRL at all
openssl verify -CAfile "$P/rogue-ca.pem" "$P/alice-rogue.pem" >/dev/null 2>&1 ||
	fail "alice-rogue is not even good under rogue-ca"
ok "alice-rogue verifies under rogue-ca only"

# The rogue CA passes for the real one by name and key identifier.
for f in subject issuer "ext subjectKeyIdentifier"; do
	[ "$(openssl x509 -in "$P/ca.pem" -noout -$f)" = \
	  "$(openssl x509 -in "$P/rogue-ca.pem" -noout -$f)" ] ||
		fail "rogue-ca: $f differs"
done
cmp -s "$P/ca.pub.der" "$P/rogue-ca.pub.der" && fail "rogue-ca has the CA's key"
ok "rogue-ca: same subject and key identifier, another key"

# alice-nulcn's UID and CN are the 10 bytes alice NUL evil.
hex() { od -An -v -tx1 "$1" | tr -d ' \n'; }
_n=$(hex "$P/alice-nulcn.der" | grep -o 616c69636500657669 | wc -l)
[ "$_n" = 2 ] || fail "alice-nulcn: $_n names with alice NUL evil"
_subj=$(openssl x509 -in "$P/alice-nulcn.pem" -noout -subject -nameopt esc_ctrl)
case $_subj in
*'UID=alice\00evil, CN=alice\00evil') ;;
*) fail "alice-nulcn: $_subj" ;;
esac
ok "alice-nulcn holds a NUL in UID and CN"

# The SAN and the dates of the good certificates.
openssl x509 -in "$P/alice-p256.pem" -noout -ext subjectAltName |
	grep -F 'email:alice@example.test, othername: UPN::alice@EXAMPLE.TEST' \
	>/dev/null || fail "alice-p256: subjectAltName"
openssl x509 -in "$P/alice-p256.pem" -noout -checkend 86400 >/dev/null ||
	fail "alice-p256 expires today"
openssl crl -in "$P/crl.pem" -CAfile "$P/ca.pem" -noout 2>&1 |
	grep -q 'verify OK' || fail "crl.pem: bad signature"
ok "SAN, validity and CRL signature"

# OCSP (pki_make_ocsp): the responders' EKUs, the AIA, the index, and
# the canned answer without a nonce, according to openssl.
pki_make_ocsp http://127.0.0.1:9/ocsp
openssl x509 -in "$P/ocsp-resp.pem" -noout -ext extendedKeyUsage |
	grep -q 'OCSP Signing' || fail "ocsp-resp lacks OCSPSigning"
openssl x509 -in "$P/ocsp-noeku.pem" -noout -ext extendedKeyUsage |
	grep -q 'OCSP Signing' && fail "ocsp-noeku has OCSPSigning"
want 0 ocsp-resp -x509_strict
openssl x509 -in "$P/alice-aia.pem" -noout -ocsp_uri |
	grep -qx 'http://127.0.0.1:9/ocsp' || fail "alice-aia: no OCSP URL"
# ocsp_status NAME: what openssl ocsp makes of the index for NAME
ocsp_status() {
	# shellcheck disable=SC2046 # the responder's arguments: words
	openssl ocsp -issuer "$P/ca.pem" -cert "$P/$1.pem" -reqout "$T/q.der" \
	    > /dev/null 2>&1 &&
	    openssl ocsp -reqin "$T/q.der" -respout "$T/r.der" \
	    $(ocsp_ca_args ca) > /dev/null 2>&1 &&
	    openssl ocsp -respin "$T/r.der" -issuer "$P/ca.pem" \
	    -cert "$P/$1.pem" -CAfile "$P/ca.pem" -no_nonce 2>/dev/null |
	    sed -n "s|^$P/$1.pem: ||p"
}
for c in alice-p256:good alice-aia:good alice-revoked:revoked \
    alice-rsa:unknown; do
	[ "$(ocsp_status "${c%%:*}")" = "${c#*:}" ] ||
		fail "ocsp index: ${c%%:*} is $(ocsp_status "${c%%:*}")"
done
openssl ocsp -respin "$P/nononce.der" -issuer "$P/ca.pem" \
    -cert "$P/alice-p256.pem" -CAfile "$P/ca.pem" -no_nonce > "$T/nn.out" 2>&1 ||
	{ cat "$T/nn.out" >&2; fail "nononce.der does not verify"; }
grep -q 'alice-p256.pem: good' "$T/nn.out" || fail "nononce.der: not good"
openssl ocsp -respin "$P/nononce.der" -resp_text -noverify 2>/dev/null |
	grep -qi 'nonce' && fail "nononce.der has a nonce"
ok "OCSP: responders, AIA, index (good, revoked, unknown), nonce-less answer"

# ---- tokens --------------------------------------------------------------
head -c 100 /dev/urandom > "$T/data"
# verify_sig DIGEST PUBKEY-DER SIG: openssl dgst -verify on $T/data.
verify_sig() {
	openssl pkey -pubin -inform DER -in "$2" -out "$T/vpub.pem" \
	    2>/dev/null &&
	    openssl dgst "-$1" -verify "$T/vpub.pem" -signature "$3" "$T/data" \
	    >/dev/null 2>&1
}
# sign TOKEN ID MECH IN OUT
sign() {
	p11 --token-label "$1" --login --pin $USER_PIN --sign --id "$2" \
	    -m "$3" -i "$4" -o "$5" > "$T/sign.out" 2>&1 ||
		{ cat "$T/sign.out" >&2; fail "sign $*"; }
}

token_init piv-ec
token_put piv-ec "$P/alice-p256.pem" "$P/alice-p256.key" 01
token_put piv-ec "$P/alice-p384.pem" "$P/alice-p384.key" 02 --always-auth
token_init piv-rsa
token_put piv-rsa "$P/alice-rsa.pem" "$P/alice-rsa.key" 01
token_forged forged
p11 -L > "$T/slots"
for t in piv-ec piv-rsa forged; do
	grep -q "token label *: $t\$" "$T/slots" || fail "no token $t"
done
p11 --token-label piv-ec --login --pin $USER_PIN -O > "$T/objs" 2>&1
grep -q 'always authenticate' "$T/objs" || fail "no CKA_ALWAYS_AUTHENTICATE"
[ "$(grep -c '^Private Key Object' "$T/objs")" = 2 ] || fail "piv-ec: keys"
ok "tokens piv-ec, piv-rsa, forged"

# CKM_ECDSA over a SHA-256 digest: 64 bytes r||s.
openssl dgst -sha256 -binary "$T/data" > "$T/data.sha256"
sign piv-ec 01 ECDSA "$T/data.sha256" "$T/sig.raw"
[ "$(wc -c < "$T/sig.raw")" = 64 ] || fail "P-256 signature: not 64 bytes"
ecdsa_der "$T/sig.raw" "$T/sig.der"
verify_sig sha256 "$P/alice-p256.pub.der" "$T/sig.der" ||
	fail "P-256 signature does not verify"
verify_sig sha256 "$P/alice-p384.pub.der" "$T/sig.der" &&
	fail "P-256 signature verifies under another key"
ok "CKM_ECDSA P-256 through SoftHSM, raw r||s, verified by openssl"

# P-384, a CKA_ALWAYS_AUTHENTICATE key (pkcs11-tool logs in again as
# CKU_CONTEXT_SPECIFIC): 96 bytes.
openssl dgst -sha384 -binary "$T/data" > "$T/data.sha384"
sign piv-ec 02 ECDSA "$T/data.sha384" "$T/sig.raw"
[ "$(wc -c < "$T/sig.raw")" = 96 ] || fail "P-384 signature: not 96 bytes"
ecdsa_der "$T/sig.raw" "$T/sig.der"
verify_sig sha384 "$P/alice-p384.pub.der" "$T/sig.der" ||
	fail "P-384 signature does not verify"
ok "CKM_ECDSA P-384 with an always-authenticate key"

# RSA: CKM_SHA256_RSA_PKCS, and CKM_RSA_PKCS over a DigestInfo built here.
sign piv-rsa 01 SHA256-RSA-PKCS "$T/data" "$T/sig"
verify_sig sha256 "$P/alice-rsa.pub.der" "$T/sig" ||
	fail "SHA256-RSA-PKCS signature does not verify"
# DigestInfo for SHA-256: 30 31 30 0d 06 09 <sha256 OID> 05 00 04 20 <hash>
{
	printf '\060\061\060\015\006\011'
	printf '\140\206\110\001\145\003\004\002\001\005\000\004\040'
	cat "$T/data.sha256"
} > "$T/data.di"
sign piv-rsa 01 RSA-PKCS "$T/data.di" "$T/sig2"
verify_sig sha256 "$P/alice-rsa.pub.der" "$T/sig2" ||
	fail "RSA-PKCS over a DigestInfo does not verify"
cmp -s "$T/sig" "$T/sig2" || fail "RSA-PKCS and SHA256-RSA-PKCS differ"
ok "RSA-2048: SHA256-RSA-PKCS = RSA-PKCS over DigestInfo, verified"

# The forged token signs, but not with the key its certificate names.
p11 --token-label forged --read-object --type cert --id 01 -o "$T/forged.der" \
	>/dev/null 2>&1 || fail "forged: no certificate"
cmp -s "$T/forged.der" "$P/alice-rsa.der" || fail "forged: not alice-rsa's cert"
sign forged 01 SHA256-RSA-PKCS "$T/data" "$T/sig"
verify_sig sha256 "$P/alice-rsa.pub.der" "$T/sig" &&
	fail "the forged token's signature verifies with alice's key"
verify_sig sha256 "$P/forged.pub.der" "$T/sig" ||
	fail "the forged token does not sign with forged.key"
ok "forged token: alice-rsa's certificate, another key"
ok "total $(($(date +%s) - _t0)) s"
