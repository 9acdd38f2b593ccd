# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
# piv-lib.sh - test PKI and PKCS#11 tokens for the PIV tests.  Source it
# after tests/lib.sh (it needs $T, $top_builddir, fail and skip).  No key
# material is committed: every key and certificate is made by pki_make.
#
# Variables:
#   SOFTHSM_MODULE	the SoftHSM PKCS#11 module (found, or from the
#			environment)
#   FAKEP11		tests/.libs/fakep11.so, the fault-injecting wrapper
#			(tests/fakep11.c documents FAKEP11_*)
#   FAKEP11_MODULE	exported: the module under FAKEP11 ($SOFTHSM_MODULE
#			unless already set)
#   SO_PIN, USER_PIN	12345678 and 123456, for every token
#   PKI			the directory pki_make filled ("" before)
#   SOFTHSM2_CONF	exported by the first token_init:
#			$T/softhsm/softhsm2.conf, tokens in $T/softhsm/tokens
#
# Functions:
#   piv_requirements	skip (77) unless openssl, softhsm2-util, pkcs11-tool,
#			perl and the SoftHSM module are there
#   pki_make DIR	the test PKI in DIR (below); sets PKI
#   token_init NAME	a new SoftHSM token labelled NAME
#   token_put NAME CERT KEY ID [--always-auth] [--label L]
#			CERT and KEY (PEM or DER files, or - for none) into
#			token NAME with CKA_ID ID (hex: 01 = PIV 9a, 02 =
#			9c, 03 = 9d, 04 = 9e), label L (default: CERT's, else
#			KEY's, file name up to the first dot), and a public
#			key object with CERT's key (else KEY's); the private
#			key gets CKA_SIGN, and CKA_ALWAYS_AUTHENTICATE with
#			--always-auth (pkcs11-tool --always-auth)
#   token_forged NAME	a new token NAME as the CVE-2025-24032 attacker
#			makes it: alice-rsa's certificate and public key
#			object, but forged.key as the private key, all at
#			ID 01 with label alice-rsa (needs pki_make first)
#   p11 ARGS		pkcs11-tool on $SOFTHSM_MODULE
#   p11_fake ARGS	pkcs11-tool on $FAKEP11 (with $SAN_PRELOAD)
#   ecdsa_der RAW OUT	a PKCS#11 CKM_ECDSA signature (r||s) as DER, for
#			openssl dgst -verify / pkeyutl -verify
#
# The PKI directory holds, for each certificate NAME, NAME.pem (PEM cert),
# NAME.der (DER cert), NAME.key (PEM PKCS#8 key), NAME.key.der (DER
# PKCS#8 key) and NAME.pub.der (DER SubjectPublicKeyInfo):
#
#   ca			"pam_yk Test Root CA", EC P-256, CA:TRUE, critical
#			keyUsage keyCertSign,cRLSign (trust anchor)
#   rogue-ca		the same subject, and the same subjectKeyIdentifier,
#			with another key
#   alice-rsa, alice-p256, alice-p384	good: RSA-2048, P-256, P-384
#   bob-rsa		good, for bob (RSA-2048)
#   alice-expired	notAfter yesterday          (P-256, like those below)
#   alice-notyet	notBefore in 30 days
#   alice-rogue		signed by rogue-ca; its authorityKeyIdentifier
#			names the good CA's key, so only the signature
#			tells them apart
#   alice-selfsigned	self-signed, no CA
#   alice-revoked	good, but revoked (keyCompromise) in crl.pem and
#			crl-stale.pem
#   alice-noclientauth	extendedKeyUsage emailProtection only
#   alice-nodigsig	keyUsage keyEncipherment only
#   alice-nulcn		UID and CN are the 10 bytes "alice\0evil"; no
#			subjectAltName
#   forged		a key only (forged.key, .key.der, .pub.der), RSA-2048
#
# Good certificates: subject /O=pam_yk test/UID=U/CN=U, critical keyUsage
# digitalSignature, extendedKeyUsage clientAuth + MS smartcardLogon
# (1.3.6.1.4.1.311.20.2.2), subjectAltName email:U@example.test and UPN
# otherName U@EXAMPLE.TEST, ECDSA/RSA with SHA-256, valid from now for a
# year.  Also in DIR:
#   crl.pem		CA's CRL revoking alice-revoked, nextUpdate in 30 days
#   crl-stale.pem	the same, nextUpdate yesterday
#   capath/		ca.pem and its hash link (openssl rehash)
#   crlpath/		crl.pem and its hash link
#   ca.db/, *.cnf	openssl ca's database and configuration

# Set by tests/lib.sh, which comes first.
: "${top_srcdir:?}" "${top_builddir:?}"

SOFTHSM_MODULE=${SOFTHSM_MODULE:-}
if [ -z "$SOFTHSM_MODULE" ]; then
	for _m in /usr/lib/softhsm/libsofthsm2.so \
	    /usr/lib/*/softhsm/libsofthsm2.so /usr/lib64/pkcs11/libsofthsm2.so \
	    /usr/local/lib/softhsm/libsofthsm2.so; do
		[ -f "$_m" ] && { SOFTHSM_MODULE=$_m; break; }
	done
fi
FAKEP11=$top_builddir/tests/.libs/fakep11.so
# pam_yk loads a pkcs11_module= only when it and every directory above it
# are root's alone.  A checkout under /tmp (world-writable) or owned by
# another user is not, so the tests load a copy of fakep11.so from a
# private directory under /run, removed at exit: call fakep11_copy (not in
# a subshell) before using $FAKEP11.
fakep11_copy() {
	[ -f "$FAKEP11" ] && [ "$(id -u)" = 0 ] && [ -d /run ] || return 0
	_p11dir=$(mktemp -d /run/pamyk-p11.XXXXXX)
	_dirs="$_dirs $_p11dir"
	chmod 755 "$_p11dir"
	cp "$FAKEP11" "$_p11dir/fakep11.so"
	FAKEP11=$_p11dir/fakep11.so
}
FAKEP11_MODULE=${FAKEP11_MODULE:-$SOFTHSM_MODULE}
export FAKEP11_MODULE
SO_PIN=12345678
USER_PIN=123456
PKI=

piv_requirements() {
	for _c in openssl softhsm2-util pkcs11-tool perl; do
		command -v "$_c" >/dev/null 2>&1 ||
			skip "$_c is not installed (Debian packages:" \
			    "openssl, softhsm2, opensc, perl-base)"
	done
	[ -n "$SOFTHSM_MODULE" ] && [ -f "$SOFTHSM_MODULE" ] ||
		skip "no SoftHSM PKCS#11 module (Debian package softhsm2," \
		    "or set SOFTHSM_MODULE)"
}

# _utc SECONDS: now + SECONDS as YYYYMMDDHHMMSSZ (GNU date).
_utc() { date -u -d "@$(($(date +%s) + $1))" +%Y%m%d%H%M%SZ; }

# _ossl ARGS: openssl, quiet unless it fails.
_ossl() {
	openssl "$@" > "$T/openssl.out" 2>&1 ||
		{ cat "$T/openssl.out" >&2; fail "openssl $*"; }
}

# _pki_key NAME TYPE: NAME.key in $PKI, TYPE rsa, p256 or p384; and its
# DER forms.
_pki_key() {
	case $2 in
	rsa)	_ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
		    -out "$PKI/$1.key" ;;
	p256)	_ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		    -pkeyopt ec_param_enc:named_curve -out "$PKI/$1.key" ;;
	p384)	_ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 \
		    -pkeyopt ec_param_enc:named_curve -out "$PKI/$1.key" ;;
	rsa512|rsa1024)
		_ossl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${2#rsa}" \
		    -out "$PKI/$1.key" ;;
	ec:*)	_ossl genpkey -algorithm EC \
		    -pkeyopt "ec_paramgen_curve:${2#ec:}" \
		    -pkeyopt ec_param_enc:named_curve -out "$PKI/$1.key" ;;
	ed25519) _ossl genpkey -algorithm ED25519 -out "$PKI/$1.key" ;;
	rsapss)	_ossl genpkey -algorithm RSA-PSS \
		    -pkeyopt rsa_keygen_bits:2048 -out "$PKI/$1.key" ;;
	*)	fail "_pki_key: $2" ;;
	esac
	_ossl pkey -in "$PKI/$1.key" -outform DER -out "$PKI/$1.key.der"
	_ossl pkey -in "$PKI/$1.key" -pubout -outform DER -out "$PKI/$1.pub.der"
}

# _pki_der NAME: NAME.der from NAME.pem.
_pki_der() { _ossl x509 -in "$PKI/$1.pem" -outform DER -out "$PKI/$1.der"; }

# _pki_csr NAME SUBJECT
_pki_csr() {
	_ossl req -config "$PKI/req.cnf" -new -key "$PKI/$1.key" -subj "$2" \
	    -out "$T/$1.csr"
}

# _pki_issue NAME TYPE USER EXT [CA [DIGEST [SUBJECT]]]: key, request and
# certificate NAME for USER with extension section EXT, signed by CA
# (default ca) with DIGEST (default sha256).
_pki_issue() {
	_pki_key "$1" "$2"
	_pki_csr "$1" "${7:-/O=pam_yk test/UID=$3/CN=$3}"
	_serial=$((_serial + 1))
	_ossl x509 -req -in "$T/$1.csr" -CA "$PKI/${5:-ca}.pem" \
	    -CAkey "$PKI/${5:-ca}.key" -set_serial $_serial "-${6:-sha256}" \
	    -days 365 -extfile "$PKI/ext.cnf" -extensions "$4" \
	    -out "$PKI/$1.pem"
	_pki_der "$1"
}

# _pki_ca_issue NAME USER START END: through openssl ca, for chosen dates.
_pki_ca_issue() {
	_pki_key "$1" p256
	_pki_csr "$1" "/O=pam_yk test/UID=$2/CN=$2"
	_ossl ca -config "$PKI/ca.cnf" -batch -notext -preserveDN \
	    -startdate "$3" -enddate "$4" -extfile "$PKI/ext.cnf" \
	    -extensions "$2" -in "$T/$1.csr" -out "$PKI/$1.pem"
	_pki_der "$1"
}

# _pki_root NAME [SKI]: a self-signed "pam_yk Test Root CA".
_pki_root() {
	_pki_key "$1" p256
	_ossl req -config "$PKI/req.cnf" -x509 -new -key "$PKI/$1.key" \
	    -subj "/O=pam_yk test/CN=pam_yk Test Root CA" -days 3650 -sha256 \
	    -set_serial 1 -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" \
	    -addext "subjectKeyIdentifier=${2:-hash}" \
	    -addext "authorityKeyIdentifier=none" -out "$PKI/$1.pem"
	_pki_der "$1"
}

# _pki_ext SECTION USER [KU EKU SAN]: an extension section in ext.cnf,
# with the good values where KU, EKU or SAN is empty; SAN "none": no
# subjectAltName.
_pki_ext() {
	_upn="otherName:1.3.6.1.4.1.311.20.2.3;UTF8:$2@EXAMPLE.TEST"
	_san=${5:-email:$2@example.test,$_upn}
	{
		echo "[$1]"
		echo "basicConstraints = critical,CA:FALSE"
		echo "keyUsage = critical,${3:-digitalSignature}"
		# clientAuth and Microsoft smartcardLogon
		echo "extendedKeyUsage =" \
		    "${4:-clientAuth,1.3.6.1.4.1.311.20.2.2}"
		[ "$_san" = none ] || echo "subjectAltName = $_san"
		echo "subjectKeyIdentifier = hash"
		echo "authorityKeyIdentifier = keyid"
	} >> "$PKI/ext.cnf"
}

# _pki_configs: ext.cnf (a section per kind of certificate), req.cnf (the
# same, for req -x509), ca.cnf and the openssl ca database.
_pki_configs() {
	: > "$PKI/ext.cnf"
	_pki_ext alice alice
	_pki_ext bob bob
	_pki_ext noclientauth alice "" emailProtection
	_pki_ext nodigsig alice keyEncipherment
	_pki_ext nulcn alice "" "" none
	{
		printf '[req]\ndistinguished_name = dn\n[dn]\n'
		cat "$PKI/ext.cnf"
	} > "$PKI/req.cnf"

	mkdir -p "$PKI/ca.db/new"
	: > "$PKI/ca.db/index.txt"
	echo 1000 > "$PKI/ca.db/serial"
	echo 01 > "$PKI/ca.db/crlnumber"
	cat > "$PKI/ca.cnf" <<EOF
[ca]
default_ca = ca_default
[ca_default]
database = $PKI/ca.db/index.txt
new_certs_dir = $PKI/ca.db/new
serial = $PKI/ca.db/serial
crlnumber = $PKI/ca.db/crlnumber
certificate = $PKI/ca.pem
private_key = $PKI/ca.key
default_md = sha256
default_days = 365
default_crl_days = 30
crl_extensions = crl_ext
policy = policy_any
unique_subject = no
email_in_dn = no
[crl_ext]
authorityKeyIdentifier = keyid
[policy_any]
O = optional
UID = optional
CN = supplied
EOF
}

# _byte N...: the bytes N (decimal) on stdout.
_byte() { for _b; do printf "\\$(printf %03o "$_b")"; done; }

# _pki_nulcn: alice-nulcn, whose UID and CN hold a NUL byte.  No openssl
# command takes a NUL in a name, and x509 -req or ca refuse a request
# whose signature broke: so the CA signs a placeholder "aliceZevil", the
# placeholder's 'Z' becomes 0x00 (same length, so no DER length moves),
# and the patched TBSCertificate is signed again and wrapped by hand.
_pki_nulcn() {
	_pki_key alice-nulcn p256
	_pki_csr alice-nulcn "/O=pam_yk test/UID=aliceZevil/CN=aliceZevil"
	_serial=$((_serial + 1))
	_ossl x509 -req -in "$T/alice-nulcn.csr" -CA "$PKI/ca.pem" \
	    -CAkey "$PKI/ca.key" -set_serial $_serial -sha256 -days 365 \
	    -extfile "$PKI/ext.cnf" -extensions nulcn -outform DER \
	    -out "$T/nulcn.tmp"
	perl -0777 -pe 's/aliceZevil/alice\0evil/g' \
	    < "$T/nulcn.tmp" > "$T/nulcn.der"
	# The TBSCertificate: at offset 4, header and length from asn1parse.
	# shellcheck disable=SC2046 # two numbers, as two words
	set -- $(openssl asn1parse -inform DER -in "$T/nulcn.der" |
	    sed -n '2s/^ *4:d=1 *hl=\([0-9]*\) *l= *\([0-9]*\) cons.*/\1 \2/p')
	[ $# = 2 ] || fail "nulcn: no TBSCertificate"
	_tl=$(($1 + $2))
	dd if="$T/nulcn.der" of="$T/nulcn.tbs" bs=1 skip=4 count=$_tl \
	    2>/dev/null
	_ossl dgst -sha256 -sign "$PKI/ca.key" -out "$T/nulcn.sig" \
	    "$T/nulcn.tbs"
	_sl=$(wc -c < "$T/nulcn.sig")
	_len=$((_tl + 12 + 3 + _sl))	# TBS, AlgorithmIdentifier, BIT STRING
	[ $_len -ge 256 ] && [ $_len -lt 65536 ] && [ $_sl -lt 127 ] ||
		fail "nulcn: lengths $_len $_sl"
	{
		_byte 48 130 $((_len >> 8)) $((_len & 255))
		cat "$T/nulcn.tbs"
		# ecdsa-with-SHA256, as the CA (P-256) signs with -sha256
		_byte 48 10 6 8 42 134 72 206 61 4 3 2
		_byte 3 $((_sl + 1)) 0
		cat "$T/nulcn.sig"
	} > "$PKI/alice-nulcn.der"
	_ossl x509 -inform DER -in "$PKI/alice-nulcn.der" \
	    -out "$PKI/alice-nulcn.pem"
	_ossl verify -CAfile "$PKI/ca.pem" "$PKI/alice-nulcn.pem"
}

# pki_make DIR
pki_make() {
	PKI=$1
	mkdir -p "$PKI" "$PKI/capath" "$PKI/crlpath"
	PKI=$(cd "$PKI" && pwd)
	_serial=100
	_pki_configs
	_pki_root ca
	# The rogue root copies the subject and the key identifier.
	_ski=$(openssl x509 -in "$PKI/ca.pem" -noout -ext subjectKeyIdentifier |
	    sed -n 's/^ *\([0-9A-F:]*\) *$/\1/p' | tr -d :)
	[ -n "$_ski" ] || fail "no subjectKeyIdentifier in ca.pem"
	_pki_root rogue-ca "$_ski"

	_pki_issue alice-rsa rsa alice alice
	_pki_issue alice-p256 p256 alice alice
	_pki_issue alice-p384 p384 alice alice
	_pki_issue bob-rsa rsa bob bob
	_pki_issue alice-rogue p256 alice alice rogue-ca
	_pki_issue alice-revoked p256 alice alice
	_pki_issue alice-noclientauth p256 alice noclientauth
	_pki_issue alice-nodigsig p256 alice nodigsig
	_pki_ca_issue alice-expired alice "$(_utc -63072000)" "$(_utc -86400)"
	_pki_ca_issue alice-notyet alice "$(_utc 2592000)" "$(_utc 34128000)"
	_pki_nulcn

	_pki_key alice-selfsigned p256
	_ossl req -config "$PKI/req.cnf" -x509 -new \
	    -key "$PKI/alice-selfsigned.key" \
	    -subj "/O=pam_yk test/UID=alice/CN=alice" -days 365 -sha256 \
	    -extensions alice -out "$PKI/alice-selfsigned.pem"
	_pki_der alice-selfsigned

	_pki_key forged rsa

	_ossl ca -config "$PKI/ca.cnf" -revoke "$PKI/alice-revoked.pem" \
	    -crl_reason keyCompromise
	_ossl ca -config "$PKI/ca.cnf" -gencrl -crldays 30 -out "$PKI/crl.pem"
	_ossl ca -config "$PKI/ca.cnf" -gencrl \
	    -crl_lastupdate "$(_utc -172800)" -crl_nextupdate "$(_utc -86400)" \
	    -out "$PKI/crl-stale.pem"

	cp "$PKI/ca.pem" "$PKI/capath/ca.pem"
	cp "$PKI/crl.pem" "$PKI/crlpath/crl.pem"
	_ossl rehash "$PKI/capath" "$PKI/crlpath"
}

# ---- SoftHSM tokens ------------------------------------------------------

# p11 ARGS: pkcs11-tool on the SoftHSM module.
p11() { pkcs11-tool --module "$SOFTHSM_MODULE" "$@"; }

# p11_fake ARGS: pkcs11-tool on the fault-injecting wrapper
# (tests/fakep11.c documents FAKEP11_*); an ASan-built wrapper in the
# uninstrumented pkcs11-tool needs the sanitizer runtimes preloaded.
p11_fake() {
	_pre=${SAN_PRELOAD}${SAN_PRELOAD:+${LD_PRELOAD:+:}}${LD_PRELOAD:-}
	LD_PRELOAD=$_pre pkcs11-tool --module "$FAKEP11" "$@"
}

# _p11q WHAT ARGS: p11, quiet unless it fails.
_p11q() {
	_what=$1; shift
	p11 "$@" > "$T/p11.out" 2>&1 ||
		{ cat "$T/p11.out" >&2; fail "pkcs11-tool: $_what"; }
}

# token_init NAME
token_init() {
	if [ "${SOFTHSM2_CONF:-}" != "$T/softhsm/softhsm2.conf" ]; then
		mkdir -p "$T/softhsm/tokens"
		printf '%s\n' "directories.tokendir = $T/softhsm/tokens" \
		    "objectstore.backend = file" "log.level = ERROR" \
		    "slots.removable = false" > "$T/softhsm/softhsm2.conf"
		SOFTHSM2_CONF=$T/softhsm/softhsm2.conf
		export SOFTHSM2_CONF
	fi
	softhsm2-util --init-token --free --label "$1" --so-pin $SO_PIN \
	    --pin $USER_PIN > "$T/softhsm.out" 2>&1 ||
		{ cat "$T/softhsm.out" >&2; fail "softhsm2-util: token $1"; }
}

# token_put NAME CERT KEY ID [--always-auth] [--label LABEL]
# CERT and KEY are PEM or DER files, or - for none.  The label defaults to
# CERT's (else KEY's) file name without its extension.  The public key
# object holds CERT's key when there is a CERT, else KEY's.  The private
# key gets CKA_SIGN (and CKA_ALWAYS_AUTHENTICATE with --always-auth).
token_put() {
	_tok=$1 _cert=$2 _key=$3 _id=$4
	shift 4
	_aa='' _label=''
	while [ $# -gt 0 ]; do
		case $1 in
		--always-auth)	_aa=--always-auth ;;
		--label)	_label=$2; shift ;;
		*)		fail "token_put: $1" ;;
		esac
		shift
	done
	[ "$_cert$_key" != -- ] || fail "token_put: neither CERT nor KEY"
	if [ -z "$_label" ]; then
		_label=$_cert
		[ "$_label" != - ] || _label=$_key
		_label=$(basename "$_label"); _label=${_label%%.*}
	fi
	set -- --token-label "$_tok" --login --pin $USER_PIN --id "$_id" \
	    --label "$_label"
	if [ "$_key" != - ]; then
		_ossl pkey -in "$_key" -outform DER -out "$T/put.key.der"
		_p11q "privkey $_key into $_tok" "$@" --type privkey \
		    --write-object "$T/put.key.der" --usage-sign $_aa
		rm -f "$T/put.key.der"
		_ossl pkey -in "$_key" -pubout -outform DER \
		    -out "$T/put.pub.der"
	fi
	if [ "$_cert" != - ]; then
		_ossl x509 -in "$_cert" -outform DER -out "$T/put.der"
		_p11q "cert $_cert into $_tok" "$@" --type cert \
		    --write-object "$T/put.der"
		_ossl x509 -in "$_cert" -noout -pubkey -out "$T/put.pub.pem"
		_ossl pkey -pubin -in "$T/put.pub.pem" -outform DER \
		    -out "$T/put.pub.der"
	fi
	_p11q "pubkey into $_tok" "$@" --type pubkey \
	    --write-object "$T/put.pub.der"
}

# token_forged NAME: the CVE-2025-24032 token: alice-rsa's (public)
# certificate and public key object, with the attacker's own private key
# (forged.key) under the same CKA_ID 01 and label "alice-rsa".
token_forged() {
	[ -n "$PKI" ] || fail "token_forged: run pki_make first"
	token_init "$1"
	token_put "$1" "$PKI/alice-rsa.pem" "$PKI/forged.key" 01
}

# ecdsa_der RAW OUT: a PKCS#11 ECDSA signature (r||s, each half the
# length) as the DER Ecdsa-Sig-Value OpenSSL verifies.
ecdsa_der() {
	_h=$(od -An -v -tx1 "$1" | tr -d ' \n')
	_n=$((${#_h} / 2))
	[ $_n -gt 0 ] && [ $((_n % 2)) = 0 ] || fail "ecdsa_der: $_n bytes"
	_r=$(printf %s "$_h" | cut -c1-$_n)
	_s=$(printf %s "$_h" | cut -c$((_n + 1))-)
	printf 'asn1=SEQUENCE:sig\n[sig]\nr=INTEGER:0x%s\ns=INTEGER:0x%s\n' \
	    "$_r" "$_s" > "$T/ecdsa.cnf"
	_ossl asn1parse -genconf "$T/ecdsa.cnf" -noout -out "$2"
}

# ---- the hostile PKI of tests/pam-piv-policy.sh ----------------------------
#
# pki_make_policy (after pki_make) adds to $PKI, each for alice unless said:
#   alice-rsa1024	RSA-1024 leaf
#   alice-ec112		EC leaf on secp112r1
#   alice-ed25519, alice-rsapss	keys that can never sign for pam_yk
#   alice-ca		leaf with basicConstraints CA:TRUE
#   alice-dupext	leaf holding keyUsage twice (re-signed by the CA)
#   alice-upnevil	UPN and email alice@EVIL.EXAMPLE
#   alice-upnempty	UPN and email "alice@"
#   int-rsa512		intermediate with an RSA-512 key; alice-int512 under it
#   int-sha1		intermediate signed with ecdsa-with-SHA1; alice-intsha1
#   int-rsa		good RSA-2048 intermediate; int-md5 under it signed
#			with md5WithRSAEncryption; alice-intmd5 under int-md5
#   int-server		intermediate with extendedKeyUsage serverAuth only;
#			alice-intserver under it
#   int-p224		intermediate on P-224 (OpenSSL's level 2 lets it
#			pass); alice-intp224 under it
#   good-int		good P-256 intermediate; alice-intgood under it
#   chain.pem		ca.pem and every intermediate above (piv_cafile)
#   evil-ca		a self-signed root of the attacker's; alice-evil under it
#   evil-crl.pem	evil-ca's (empty) CRL
#   crl-nonext.pem	the CA's CRL without nextUpdate (re-signed)

# _der_len N: a DER length.
_der_len() {
	if [ "$1" -lt 128 ]; then _byte "$1"
	elif [ "$1" -lt 256 ]; then _byte 129 "$1"
	else _byte 130 $(($1 >> 8)) $(($1 & 255)); fi
}

# _pki_resign TBS OUT: the DER TBS (certificate or CRL) signed by ca (P-256,
# ecdsa-with-SHA256) and wrapped into OUT (DER).
_pki_resign() {
	_ossl dgst -sha256 -sign "$PKI/ca.key" -out "$T/resign.sig" "$1"
	_sl=$(wc -c < "$T/resign.sig")
	_len=$(($(wc -c < "$1") + 12 + 2 + 1 + _sl))
	{
		_byte 48; _der_len $_len
		cat "$1"
		_byte 48 10 6 8 42 134 72 206 61 4 3 2
		_byte 3 $((_sl + 1)) 0
		cat "$T/resign.sig"
	} > "$2"
}

# _pki_tbs DER OUT: the first inner element (TBSCertificate/TBSCertList).
_pki_tbs() {
	# shellcheck disable=SC2046 # offset, header and length: three words
	set -- "$1" "$2" $(openssl asn1parse -inform DER -in "$1" |
	    sed -n '2s/^ *\([0-9]*\):d=1 *hl=\([0-9]*\) *l= *\([0-9]*\) cons.*/\1 \2 \3/p')
	[ $# = 5 ] || fail "_pki_tbs $1: no TBS"
	dd if="$1" of="$2" bs=1 skip="$3" count=$(($4 + $5)) 2>/dev/null
}

pki_make_policy() {
	[ -n "$PKI" ] || fail "pki_make_policy: run pki_make first"
	cat >> "$PKI/ext.cnf" <<'CNF'
[ica]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ica_server]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leafca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,digitalSignature,keyCertSign
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[dupext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
1.2.3.4 = DER:03:02:07:80
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
	_pki_ext upnevil alice "" "" \
	    "email:alice@EVIL.EXAMPLE,otherName:1.3.6.1.4.1.311.20.2.3;UTF8:alice@EVIL.EXAMPLE"
	_pki_ext upnempty alice "" "" \
	    "email:alice@,otherName:1.3.6.1.4.1.311.20.2.3;UTF8:alice@"

	_pki_issue alice-rsa1024 rsa1024 alice alice
	_pki_issue alice-ec112 ec:secp112r1 alice alice
	_pki_issue alice-ed25519 ed25519 alice alice
	_pki_issue alice-rsapss rsapss alice alice
	_pki_issue alice-ca p256 alice leafca
	_pki_issue alice-upnevil p256 alice upnevil
	_pki_issue alice-upnempty p256 alice upnempty

	# keyUsage twice: 1.2.3.4 (06 03 2a 03 04) becomes 2.5.29.15
	_pki_issue alice-dupext p256 alice dupext
	perl -0777 -pe 's/\x06\x03\x2a\x03\x04/\x06\x03\x55\x1d\x0f/' \
	    < "$PKI/alice-dupext.der" > "$T/dupext.der"
	_pki_tbs "$T/dupext.der" "$T/dupext.tbs"
	_pki_resign "$T/dupext.tbs" "$PKI/alice-dupext.der"
	_ossl x509 -inform DER -in "$PKI/alice-dupext.der" \
	    -out "$PKI/alice-dupext.pem"

	_pki_issue int-rsa512 rsa512 - ica ca sha256 "/O=pam_yk test/CN=RSA-512 CA"
	_pki_issue alice-int512 p256 alice alice int-rsa512
	_pki_issue int-sha1 p256 - ica ca sha1 "/O=pam_yk test/CN=SHA-1 CA"
	_pki_issue alice-intsha1 p256 alice alice int-sha1
	_pki_issue int-rsa rsa - ica ca sha256 "/O=pam_yk test/CN=RSA CA"
	_pki_issue int-md5 p256 - ica int-rsa md5 "/O=pam_yk test/CN=MD5 CA"
	_pki_issue alice-intmd5 p256 alice alice int-md5
	_pki_issue int-server p256 - ica_server ca sha256 \
	    "/O=pam_yk test/CN=serverAuth CA"
	_pki_issue alice-intserver p256 alice alice int-server
	_pki_issue int-p224 ec:secp224r1 - ica ca sha256 \
	    "/O=pam_yk test/CN=P-224 CA"
	_pki_issue alice-intp224 p256 alice alice int-p224
	_pki_issue good-int p256 - ica ca sha256 "/O=pam_yk test/CN=Good CA"
	_pki_issue alice-intgood p256 alice alice good-int
	cat "$PKI/ca.pem" "$PKI/int-rsa512.pem" "$PKI/int-sha1.pem" \
	    "$PKI/int-rsa.pem" "$PKI/int-md5.pem" "$PKI/int-server.pem" \
	    "$PKI/int-p224.pem" "$PKI/good-int.pem" > "$PKI/chain.pem"

	# The attacker's root, and its CRL (for piv_crlpath's CRL check).
	_pki_key evil-ca p256
	_ossl req -config "$PKI/req.cnf" -x509 -new -key "$PKI/evil-ca.key" \
	    -subj "/O=evil/CN=Evil Root" -days 3650 -sha256 -set_serial 1 \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$PKI/evil-ca.pem"
	_pki_issue alice-evil p256 alice alice evil-ca
	sed -e "s|/ca\.db/|/evil.db/|g" -e "s|/ca\.pem|/evil-ca.pem|" \
	    -e "s|/ca\.key|/evil-ca.key|" "$PKI/ca.cnf" > "$PKI/evil.cnf"
	mkdir -p "$PKI/evil.db/new"
	: > "$PKI/evil.db/index.txt"; echo 01 > "$PKI/evil.db/crlnumber"
	_ossl ca -config "$PKI/evil.cnf" -gencrl -crldays 30 \
	    -out "$PKI/evil-crl.pem"

	# The CA's CRL without nextUpdate: the second UTCTime of the TBS goes.
	_ossl crl -in "$PKI/crl.pem" -outform DER -out "$T/crl.der"
	_pki_tbs "$T/crl.der" "$T/crl.tbs"
	# shellcheck disable=SC2046 # one word, the offset
	set -- $(openssl asn1parse -inform DER -in "$T/crl.tbs" |
	    awk '/d=1/ && /UTCTIME/ { n++; if (n == 2) { sub(":", " "); print $1 } }')
	[ $# = 1 ] || fail "crl-nonext: no nextUpdate"
	_hl=$(openssl asn1parse -inform DER -in "$T/crl.tbs" | sed -n 1p |
	    sed 's/.*hl=\([0-9]*\).*/\1/')
	perl -0777 -e '
		my ($hl, $at) = @ARGV; local $/; my $d = <STDIN>;
		my $body = substr($d, $hl);
		substr($body, $at - $hl, 15) = "";	# 17 0d + 13 bytes
		my $n = length $body;
		my $len = $n < 128 ? chr($n) : $n < 256 ? "\x81" . chr($n) :
		    "\x82" . pack("n", $n);
		print "\x30", $len, $body;' "$_hl" "$1" \
	    < "$T/crl.tbs" > "$T/crl-nonext.tbs"
	_pki_resign "$T/crl-nonext.tbs" "$T/crl-nonext.der"
	_ossl crl -inform DER -in "$T/crl-nonext.der" -out "$PKI/crl-nonext.pem"
	openssl crl -in "$PKI/crl-nonext.pem" -noout -nextupdate |
	    grep -q 'NONE' || fail "crl-nonext has a nextUpdate"
	openssl crl -in "$PKI/crl-nonext.pem" -CAfile "$PKI/ca.pem" -noout \
	    2>&1 | grep -q 'verify OK' || fail "crl-nonext: bad signature"
}

# ---- OCSP (tests/pam-piv-ocsp.sh) -------------------------------------------
#
# pki_make_ocsp URL (after pki_make) adds to $PKI:
#   ocsp-resp		a delegated responder of the CA: extendedKeyUsage
#			OCSPSigning (P-256)
#   ocsp-noeku		the same without OCSPSigning (clientAuth only)
#   alice-aia		good, for alice, whose AIA names the responder URL
#   ocsp-index.txt	openssl ca's index: alice-p256 and alice-aia valid,
#			alice-revoked revoked (keyCompromise); alice-rsa is
#			not in it (the responder says "unknown")
#   nononce.der		the CA's answer "good" for alice-p256 to a request
#			without a nonce (valid for an hour)
#
# ocsp_start NAME MODE ARGS...: tests/ocspstub.py on 127.0.0.1 (MODE
# openssl, canned or stall: see there), stopped at exit; waits until it
# listens and sets OCSP_PORT.  Its requests are counted in
# $T/ocsp-NAME.port.log.
# ocsp_ca_args SIGNER: the openssl ocsp arguments of a responder on the
# CA's index signing with SIGNER.pem/.key, answers valid for an hour.

pki_make_ocsp() {
	[ -n "$PKI" ] || fail "pki_make_ocsp: run pki_make first"
	cat >> "$PKI/ext.cnf" <<CNF
[ocspsign]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = OCSPSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ocspnoeku]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
	_pki_ext aia alice
	echo "authorityInfoAccess = OCSP;URI:$1" >> "$PKI/ext.cnf"
	_pki_issue ocsp-resp p256 - ocspsign ca sha256 \
	    "/O=pam_yk test/CN=OCSP responder"
	_pki_issue ocsp-noeku p256 - ocspnoeku ca sha256 \
	    "/O=pam_yk test/CN=OCSP responder without OCSPSigning"
	_pki_issue alice-aia p256 alice aia
	cp "$PKI/ca.db/index.txt" "$PKI/ca.db/index.keep"
	for _c in alice-p256 alice-aia; do
		_ossl ca -config "$PKI/ca.cnf" -valid "$PKI/$_c.pem"
	done
	cp "$PKI/ca.db/index.txt" "$PKI/ocsp-index.txt"
	echo "unique_subject = no" > "$PKI/ocsp-index.txt.attr"
	mv "$PKI/ca.db/index.keep" "$PKI/ca.db/index.txt"
	_ossl ocsp -issuer "$PKI/ca.pem" -cert "$PKI/alice-p256.pem" -no_nonce \
	    -reqout "$T/nononce.req"
	# shellcheck disable=SC2046 # the responder's arguments: words
	_ossl ocsp -reqin "$T/nononce.req" -respout "$PKI/nononce.der" \
	    $(ocsp_ca_args ca)
}

ocsp_ca_args() {
	echo "-index $PKI/ocsp-index.txt -CA $PKI/ca.pem -rsigner $PKI/$1.pem" \
	    "-rkey $PKI/$1.key -nmin 60"
}

ocsp_start() {
	_name=$1; shift
	_pf=$T/ocsp-$_name.port
	rm -f "$_pf"
	python3 "$top_srcdir/tests/ocspstub.py" "$_pf" "$@" \
	    2> "$T/ocsp-$_name.err" &
	_pids="$_pids $!"
	eval "OCSP_PID_$_name=$!"
	_i=0
	while [ ! -s "$_pf" ]; do
		_i=$((_i + 1))
		[ $_i -lt 100 ] || fail "ocsp responder $_name did not start:" \
		    "$(cat "$T/ocsp-$_name.err")"
		sleep 0.1
	done
	# shellcheck disable=SC2034 # read by the tests that source this
	OCSP_PORT=$(cat "$_pf")
}
