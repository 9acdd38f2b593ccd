#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# piv_map=ldap through a real PAM stack: SoftHSM tokens holding certificates
# of the test PKI (tests/piv-lib.sh), and slapd on loopback
# (tests/ldap-lib.sh) holding them in userCertificate;binary or their
# SHA-256 fingerprints in another attribute.  A card whose certificate is
# in the user's entry logs in; another user's card, a card in no entry, an
# entry twice, a malformed value and an escaping attack in the user name
# are refused before any PIN; one search per login; the directory down or
# stalled is PAM_AUTHINFO_UNAVAIL; ykpamcfg check shows the lookup.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
# shellcheck source=tests/piv-lib.sh
. "$top_srcdir/tests/piv-lib.sh"
# shellcheck source=tests/ldap-lib.sh
. "$top_srcdir/tests/ldap-lib.sh"

piv_requirements
NSSW=$(wrapper nss_wrapper)
[ -n "$NSSW" ] || skip "libnss-wrapper is not installed"
[ "$(id -u)" = 0 ] || skip "pam-piv-ldap.sh needs root (the PKCS#11 module must be root's)"
LHELPER=$top_builddir/pam_yk_ldap
YKPAMCFG=$top_builddir/ykpamcfg
fail() {
	for f in "$T/debug" "$T/slapd/slapd.log"; do
		[ -f "$f" ] && { echo "--- $f"; tail -n 20 "$f"; } >&2
	done
	echo "FAIL: $*" >&2
	exit 1
}

# Local accounts (a PIV login needs one), among them an attacker's name.
EVIL='alice)(uid=*'
n=4242
for u in alice bob carol dave erin frank zed "$EVIL" '*'; do
	printf '%s:x:%s:%s::/nonexistent:/bin/sh\n' "$u" $n $n
	n=$((n + 1))
done > "$T/passwd"
sed 's/^\([^:]*\):x:\([0-9]*\):.*/\1:x:\2:/' "$T/passwd" > "$T/group"
NSS_WRAPPER_PASSWD=$T/passwd NSS_WRAPPER_GROUP=$T/group
export NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
PRELOAD=${SAN_PRELOAD:+$SAN_PRELOAD:}$NSSW

pki_make "$T/pki"
b64() { base64 -w0 < "$PKI/$1.der"; }
hex() { sha256sum < "$PKI/$1.der" | cut -d' ' -f1; }
# "AB:CD:...", as openssl x509 -fingerprint writes it
colons() { hex "$1" | tr a-f A-F | sed 's/../&:/g; s/:$//'; }

# person OU UID [ATTR: VALUE]...
person() {
	printf 'dn: uid=%s,ou=%s,%s\nobjectClass: inetOrgPerson\n' "$2" "$1" \
	    "$LDAP_BASE"
	printf 'uid: %s\ncn: %s\nsn: %s\n' "$2" "$2" "$2"
	shift 2
	for _v in "$@"; do printf '%s\n' "$_v"; done
	echo
}
{
	for ou in people others; do
		printf 'dn: ou=%s,%s\nobjectClass: organizationalUnit\nou: %s\n\n' \
		    $ou "$LDAP_BASE" $ou
	done
	printf 'dn: cn=reader,%s\nobjectClass: organizationalRole\n' "$LDAP_BASE"
	printf 'objectClass: simpleSecurityObject\ncn: reader\nuserPassword: reader-pw\n\n'
	person people alice "userCertificate;binary:: $(b64 alice-p256)"
	person people bob "userCertificate;binary:: $(b64 bob-rsa)"
	person people carol "description: no certificate here"
	person people dave "description: $(colons alice-p384)"
	person people erin "description: sha256=$(hex alice-p384)" \
	    "description: not a fingerprint"
	person people frank "description: sha256=$(hex alice-p384)" \
	    "description: $(hex bob-rsa)"
	# a second alice elsewhere: a subtree search finds two entries
	person others alice "userCertificate;binary:: $(b64 alice-p256)"
} > "$T/people.ldif"
start_slapd "$T/people.ldif"

token_init alice; token_put alice "$PKI/alice-p256.pem" "$PKI/alice-p256.key" 01
token_init bob; token_put bob "$PKI/bob-rsa.pem" "$PKI/bob-rsa.key" 01
token_init p384; token_put p384 "$PKI/alice-p384.pem" "$PKI/alice-p384.key" 01

PEOPLE=ou=people,$LDAP_BASE
base="mode=piv pkcs11_module=$SOFTHSM_MODULE piv_cafile=$PKI/ca.pem piv_map=ldap ldap_helper=$LHELPER debug debug_file=$T/debug"
dir="ldap_uri=$LDAPS_URI ldap_cacertfile=$LDAP_CA ldapdn=$PEOPLE"
: > "$T/debug"; chmod 666 "$T/debug"
svc() { _n=$1; shift; service "$_n" "auth required $MODULE $base $*"; }
for tok in alice bob p384; do
	svc dn-$tok "$dir user_attr=uid pkcs11_uri=pkcs11:token=$tok"
	svc fp-$tok "$dir user_attr=uid piv_ldap_fp_attr=description pkcs11_uri=pkcs11:token=$tok"
done

# try CODE SERVICE USER [ANSWER]...: log in, check the code
try() {
	_want=$1; shift
	: > "$T/debug"
	LD_PRELOAD=$PRELOAD "$PAMDRIVE" "$T/pam.d" "$@" > "$T/out" 2>&1 ||
		fail "pamdrive: $(cat "$T/out")"
	_got=$(sed -n 's/^result: //p' "$T/out")
	[ "$_got" = "$_want" ] || { cat "$T/out"; fail "$*: $_got, want $_want"; }
	ok "$_want: $*"
}
# refused CODE SERVICE USER: refused before any PIN was asked for
refused() {
	try "$@" 123456
	! grep -q '^prompt' "$T/out" || fail "$*: a PIN was asked for"
}
logged() { grep -q "$1" "$T/debug" || fail "the log lacks '$1'"; }

# --- userCertificate;binary: the DER certificate in the user's entry
s0=$(slapd_ops SRCH)
try PAM_SUCCESS dn-alice alice 123456
grep -q '^prompt-off: PIN for alice: ' "$T/out" || fail "no PIN prompt"
[ "$(slapd_ops SRCH)" = $((s0 + 1)) ] || fail "not exactly one search"
try PAM_SUCCESS dn-bob bob 123456
refused PAM_AUTH_ERR dn-bob alice		# bob's card, alice's entry
logged "the certificate is not in the user's directory entry"
refused PAM_AUTH_ERR dn-alice bob		# alice's card, bob's entry
refused PAM_AUTH_ERR dn-p384 alice		# a certificate in no entry
refused PAM_AUTH_ERR dn-alice carol		# an entry without certificates
logged "no userCertificate;binary value"
refused PAM_AUTH_ERR dn-alice zed		# no entry at all
logged "no entry for the user"
# every token is looked at, with one search: bob's and the p384 card are
# not alice's, hers is
svc any "$dir user_attr=uid"
s0=$(slapd_ops SRCH)
try PAM_SUCCESS any alice 123456
[ "$(slapd_ops SRCH)" = $((s0 + 1)) ] || fail "not one search for three tokens"
ok "three tokens, one search"
# more than one entry for the user: refused
svc dup "ldap_uri=$LDAPS_URI ldap_cacertfile=$LDAP_CA ldapdn=$LDAP_BASE ldap_filter=(uid=%u) pkcs11_uri=pkcs11:token=alice"
refused PAM_AUTH_ERR dup alice
logged "more than one entry"

# --- escaping: a name that would widen the filter or the DN
svc filt "$dir ldap_filter=(&(objectClass=inetOrgPerson)(uid=%u)) pkcs11_uri=pkcs11:token=alice"
try PAM_SUCCESS filt alice 123456
refused PAM_AUTH_ERR filt "$EVIL"	# (uid=alice)(uid=*) would be alice's
refused PAM_AUTH_ERR filt '*'
refused PAM_AUTH_ERR dn-alice "$EVIL"
refused PAM_AUTH_ERR dn-alice '*'

# --- fingerprints (piv_ldap_fp_attr=): "AB:CD:..." and "sha256=ab..."
try PAM_SUCCESS fp-p384 dave 123456
try PAM_SUCCESS fp-p384 frank 123456
try PAM_SUCCESS fp-bob frank 123456
refused PAM_AUTH_ERR fp-alice frank		# not among frank's
logged "fingerprint is not in the user's directory entry"
refused PAM_AUTH_ERR fp-p384 erin		# a malformed value denies
logged "is not a SHA-256 fingerprint"
refused PAM_AUTH_ERR fp-p384 carol

# --- StartTLS, and a bind DN
svc tls "ldap_uri=$LDAP_URI ldap_starttls ldap_cacertfile=$LDAP_CA ldapdn=$PEOPLE user_attr=uid ldap_bind_user=cn=reader,$LDAP_BASE ldap_bind_password=reader-pw pkcs11_uri=pkcs11:token=alice"
try PAM_SUCCESS tls alice 123456
! grep -q reader-pw "$T/debug" || fail "the bind password was logged"

# --- configuration mistakes
svc nouri "ldapdn=$PEOPLE user_attr=uid"
try PAM_SERVICE_ERR nouri alice 123456
service nomap "auth required $MODULE mode=piv pkcs11_module=$SOFTHSM_MODULE piv_cafile=$PKI/ca.pem $dir user_attr=uid"
try PAM_SERVICE_ERR nomap alice 123456

# --- ykpamcfg check: the lookup, the bind password hidden, the answer
chk() {
	_want=$1; shift
	_rc=0
	LD_PRELOAD=$PRELOAD "$YKPAMCFG" check "$@" > "$T/ck" 2>&1 || _rc=$?
	[ $_rc = "$_want" ] || { cat "$T/ck"; fail "ykpamcfg check $*: exit $_rc, want $_want"; }
}
has() { grep -q -e "$1" "$T/ck" || { cat "$T/ck"; fail "check lacks '$1'"; }; }
bound="$base $dir ldap_bind_user=cn=reader,$LDAP_BASE ldap_bind_password=reader-pw user_attr=uid pkcs11_uri=pkcs11:token=alice"
s0=$(slapd_ops SRCH)
chk 0 -u alice --args "$bound"
[ "$(slapd_ops SRCH)" = $((s0 + 1)) ] || fail "check: not exactly one search"
has "lookup: $LDAPS_URI, base 'uid=alice,$PEOPLE' (scope base), attribute userCertificate;binary"
has "bind: cn=reader,$LDAP_BASE, password hidden"
has "the directory answered in"
has "holds 1 certificate(s): .*CN=alice"
has "the certificate .* is in the directory entry of alice"
! grep -q reader-pw "$T/ck" || fail "check shows the bind password"
chk 0 -u alice --no-network --args "$bound"
[ "$(slapd_ops SRCH)" = $((s0 + 1)) ] || fail "check --no-network asked the directory"
has "the directory is not contacted (--no-network)"
has "not matched against the directory (--no-network)"
chk 0 -u dave --args "$base $dir user_attr=uid piv_ldap_fp_attr=description pkcs11_uri=pkcs11:token=p384"
has "holds 1 fingerprint(s): sha256=$(hex alice-p384)"
chk 1 -u erin --args "$base $dir user_attr=uid piv_ldap_fp_attr=description pkcs11_uri=pkcs11:token=p384"
has "is not a SHA-256 fingerprint"
ok "ykpamcfg check shows the lookup and the entry"

# --- the directory stalled, then down: PAM_AUTHINFO_UNAVAIL, in time
start_staller
svc stall "ldap_uri=$STALL_URI ldapdn=$PEOPLE user_attr=uid timeout=2 pkcs11_uri=pkcs11:token=alice"
t0=$(now_ms)
refused PAM_AUTHINFO_UNAVAIL stall alice
[ $(($(now_ms) - t0)) -lt 6000 ] || fail "a stalled directory took $(($(now_ms) - t0)) ms (timeout=2)"
stop_slapd
refused PAM_AUTHINFO_UNAVAIL dn-alice alice
grep -q '^error: The directory of certificates cannot be reached' "$T/out" ||
	fail "the user is not told: $(cat "$T/out")"
# nullok steps aside without a card, never for a directory that is down
service nullok "auth required $MODULE $base $dir user_attr=uid pkcs11_uri=pkcs11:token=alice nullok" \
    "auth required pam_permit.so"
refused PAM_AUTHINFO_UNAVAIL nullok alice
chk 1 -u alice --args "$base $dir user_attr=uid pkcs11_uri=pkcs11:token=alice"
has "the directory gave no answer"
