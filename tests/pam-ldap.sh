#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# pam_yk.so's LDAP mapping through a real PAM stack: slapd on loopback
# (tests/ldap-lib.sh) holding the token IDs, ykvald validating the OTPs.
# Each option; escaping attacks; exact matching; the directory down,
# stalled and with a wrong CA; bind as the user without a password; a
# referral; a malformed value; one search per login.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
# shellcheck source=tests/ldap-lib.sh
. "${top_srcdir:-.}/tests/ldap-lib.sh"

LHELPER=$top_builddir/pam_yk_ldap
# On failure, what the module and slapd said.
fail() {
	for f in "$T"/debug*.log "$T/slapd/slapd.log"; do
		[ -f "$f" ] && { echo "--- $f"; tail -n 30 "$f"; } >&2
	done
	echo "FAIL: $*" >&2
	exit 1
}
: > "$T/debug0.log"
PUB2=vvccccbbbbbb
PRIV2=0a0b0c0d0e0f
AES2=00112233445566778899aabbccddeeff
otp2() { "$OTPGEN" $PUB2 $PRIV2 $AES2 "$1" "$2" 0x0f8d40; }

new_db "$T/db"
"$YKVALD" key add --db "$T/db" --public-id $PUB2 --private-id $PRIV2 \
	--aes-key $AES2 >/dev/null
start_ykvald "$T/db"

# person UID [yubiKeyId...] under ou=people (password UID-pw)
person() {
	_u=$1; shift
	printf 'dn: uid=%s,ou=%s,%s\nobjectClass: inetOrgPerson\n' "$_u" \
		"${OU:-people}" "$LDAP_BASE"
	printf 'objectClass: yubiKeyUser\nuid: %s\ncn: %s\nsn: %s\n' "$_u" "$_u" "$_u"
	printf 'userPassword: %s-pw\n' "$_u"
	for _v in "$@"; do printf 'yubiKeyId: %s\n' "$_v"; done
	echo
}
{
	printf 'dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n' "$LDAP_BASE"
	printf 'dn: ou=private,%s\nobjectClass: organizationalUnit\nou: private\n\n' "$LDAP_BASE"
	printf 'dn: cn=reader,%s\nobjectClass: organizationalRole\n' "$LDAP_BASE"
	printf 'objectClass: simpleSecurityObject\ncn: reader\nuserPassword: reader-pw\n\n'
	person alice $PUB
	person bob $PUB2
	person carol "yubikey:$PUB" "other:ffffffffffff"
	person dave "${PUB}cc"
	person erin $PUB "not a token!"
	person frank
	person daemon $PUB	# a list needs an account: daemon is in passwd
	OU=private person alice $PUB
	printf 'dn: uid=mallory,ou=people,%s\nobjectClass: referral\n' "$LDAP_BASE"
	printf 'objectClass: extensibleObject\nuid: mallory\n'
	printf 'ref: ldap://127.0.0.1:9/uid=mallory,ou=people,%s\n\n' "$LDAP_BASE"
} > "$T/people.ldif"
start_slapd "$T/people.ldif"

PEOPLE=ou=people,$LDAP_BASE
PRIVATE=ou=private,$LDAP_BASE
base="id=1 key=$CKEY urllist=$URL ldap_helper=$LHELPER"
map="ldap_uri=$LDAPS_URI ldap_cacertfile=$LDAP_CA yubi_attr=yubiKeyId"
svc() { _n=$1; shift; service "$_n" "auth required $MODULE $base $*"; }

# --- ldaps://, user_attr: a mapped OTP, an unmapped one, no tokens
svc dn "$map ldapdn=$PEOPLE user_attr=uid debug debug_file=$T/debug0.log"
s0=$(slapd_ops SRCH)
expect PAM_SUCCESS dn alice "$(otp 1 0)"
[ "$(slapd_ops SRCH)" = $((s0 + 1)) ] || fail "not exactly one search"
ok "one search for one login"
expect PAM_AUTH_ERR dn alice "$(otp2 1 0)"	# bob's token
expect PAM_AUTH_ERR dn bob "$(otp 1 1)"		# alice's token
expect PAM_USER_UNKNOWN dn frank "$(otp 1 2)"	# no yubiKeyId
expect PAM_USER_UNKNOWN dn zed "$(otp 1 3)"	# no entry
# nullok: PAM_IGNORE leaves the decision to the next module
service dnnull "auth required $MODULE $base $map ldapdn=$PEOPLE user_attr=uid nullok" \
	"auth required pam_permit.so"
expect PAM_SUCCESS dnnull frank "$(otp 1 4)"
grep -q '^prompt' "$T/login.out" && fail "prompted a user without tokens"
# always_prompt: the one search comes after the prompt
svc ap "$map ldapdn=$PEOPLE user_attr=uid always_prompt"
s0=$(slapd_ops SRCH)
expect PAM_USER_UNKNOWN ap frank "$(otp 1 4)"
grep -q '^prompt' "$T/login.out" || fail "always_prompt did not prompt"
expect PAM_SUCCESS ap alice "$(otp 1 5)"
[ "$(slapd_ops SRCH)" = $((s0 + 2)) ] || fail "not one search per login"
expect PAM_SUCCESS dn bob "$(otp2 1 1)"

# attack SERVICE USER: USER with a fresh OTP of alice's is refused, and
# no request reaches the validation server (the mapping said no).
n_att=40
attack() {
	n_att=$((n_att + 1))
	_n=$(grep -c 'verify client=' "$T/ykvald.log" || :)
	_got=$(login "$1" "$2" "$(otp 2 $n_att)")
	case $_got in
	PAM_USER_UNKNOWN|PAM_AUTH_ERR) ;;
	*) fail "user '$2' through $1: $_got" ;;
	esac
	[ "$(grep -c 'verify client=' "$T/ykvald.log" || :)" = "$_n" ] ||
		fail "user '$2' through $1: alice's OTP was sent for validation"
	ok "$_got: $1 '$2'"
}
# --- DN escaping: unescaped, most would name alice's entry
for u in 'alice ' ' alice' '\61lice' 'alice+cn=alice' 'alice,ou=people' \
    '#alice' 'alice\' 'alice"' 'alice;' 'alice<>' 'uid=alice' 'a	lice'; do
	attack dn "$u"
done

# --- ldap_filter with %u (subtree), and filter escaping
svc filter "$map ldapdn=$PEOPLE ldap_filter=(&(objectClass=yubiKeyUser)(uid=%u)) debug debug_file=$T/debug0.log"
expect PAM_SUCCESS filter alice "$(otp 1 6)"
for u in '*' 'ali*' 'alice)(uid=*' 'alice)(|(uid=*)' '*)(uid=alice' \
    'alice\2a' '\61lice' 'alice ' '(uid=alice)'; do
	attack filter "$u"
done

# --- StartTLS on ldap://, failover past a closed port, ldapserver=
closed=$(free_port)
svc tls "ldap_uri=$LDAP_URI ldap_starttls ldap_cacertfile=$LDAP_CA yubi_attr=yubiKeyId ldapdn=$PEOPLE user_attr=uid"
expect PAM_SUCCESS tls alice "$(otp 1 8)"
svc failover "ldap_uri=ldaps://127.0.0.1:$closed,$LDAPS_URI ldap_cacertfile=$LDAP_CA yubi_attr=yubiKeyId ldapdn=$PEOPLE user_attr=uid"
expect PAM_SUCCESS failover alice "$(otp 1 9)"
svc server "ldapserver=${LDAP_URI#ldap://} yubi_attr=yubiKeyId ldapdn=$PEOPLE user_attr=uid"
expect PAM_SUCCESS server alice "$(otp 1 10)"
svc clientcert "$map ldapdn=$PEOPLE user_attr=uid ldap_clientcertfile=$T/slapd/ldap-srv.pem ldap_clientkeyfile=$T/slapd/ldap-srv.key ldap_connection_timeout=2"
expect PAM_SUCCESS clientcert alice "$(otp 1 11)"

# --- yubi_attr_prefix=, and exact matching (pam_yubico: first N chars)
svc prefix "$map ldapdn=$PEOPLE user_attr=uid yubi_attr_prefix=yubikey:"
expect PAM_SUCCESS prefix carol "$(otp 1 12)"
expect PAM_USER_UNKNOWN prefix alice "$(otp 1 13)"	# no prefixed value
expect PAM_USER_UNKNOWN dn dave "$(otp 1 14)"	# ${PUB}cc is not $PUB
expect PAM_AUTH_ERR dn carol "$(otp 1 15)"		# malformed without prefix
# --- a malformed value denies, though another value matches
expect PAM_AUTH_ERR dn erin "$(otp 1 16)"
# --- a referral is not followed
expect PAM_AUTH_ERR dn mallory "$(otp 1 17)"
svc refilter "$map ldapdn=$PEOPLE ldap_filter=(uid=%u)"
expect PAM_AUTH_ERR refilter mallory "$(otp 1 18)"

# --- bind as a reader; the private subtree is not readable anonymously
svc anon "$map ldapdn=$PRIVATE user_attr=uid"
expect PAM_USER_UNKNOWN anon alice "$(otp 1 19)"
svc reader "$map ldapdn=$PRIVATE user_attr=uid ldap_bind_user=cn=reader,$LDAP_BASE ldap_bind_password=reader-pw debug debug_file=$T/debug.log"
: > "$T/debug.log"
expect PAM_SUCCESS reader alice "$(otp 1 20)"
svc badreader "$map ldapdn=$PRIVATE user_attr=uid ldap_bind_user=cn=reader,$LDAP_BASE ldap_bind_password=wrong-pw"
expect PAM_AUTH_ERR badreader alice "$(otp 1 21)"
# the bind password from conf= (root's, mode 600)
printf 'ldap_bind_user=cn=reader,%s\nldap_bind_password=reader-pw\n' \
	"$LDAP_BASE" > "$T/ldap.conf"
chmod 600 "$T/ldap.conf"
if [ "$(id -u)" = 0 ]; then
	svc conf "$map ldapdn=$PRIVATE user_attr=uid conf=$T/ldap.conf"
	expect PAM_SUCCESS conf alice "$(otp 1 22)"
fi

# --- bind as the user: with the password typed before the OTP; never
# with an empty one (that would be an anonymous bind)
svc asuser "$map ldapdn=$PRIVATE user_attr=uid ldap_bind_as_user debug debug_file=$T/debug.log"
b0=$(slapd_ops BIND)
expect PAM_SUCCESS asuser alice "alice-pw$(otp 1 23)"
expect PAM_AUTH_ERR asuser alice "wrong-pw$(otp 1 24)"
b1=$(slapd_ops BIND)
expect PAM_AUTH_ERR asuser alice "$(otp 1 25)"
[ "$(slapd_ops BIND)" = "$b1" ] || fail "a bind was made with no password"
[ "$b1" = $((b0 + 2)) ] || { grep " BIND " "$T/slapd/slapd.log" >&2; fail "not one bind per login ($b0 -> $b1)"; }
grep -q 'no password to bind' "$T/debug.log" || fail "no line about the empty password"
ok "no bind without a password"
# an earlier module's password (PAM_AUTHTOK, set by pam_wrapper's
# pam_set_items.so from the environment); an empty one never binds
SETI=$(ls /usr/lib/*/pam_wrapper/pam_set_items.so 2>/dev/null | head -n 1)
if [ -n "$SETI" ]; then
	service stacked "auth required $SETI" \
		"auth required $MODULE $base $map ldapdn=$PRIVATE user_attr=uid ldap_bind_as_user"
	env PAM_AUTHTOK=alice-pw "$PAMDRIVE" "$T/pam.d" stacked alice \
		"$(otp 1 35)" > "$T/login.out"
	grep -qx 'result: PAM_SUCCESS' "$T/login.out" ||
		fail "bind with PAM_AUTHTOK: $(cat "$T/login.out")"
	ok "ldap_bind_as_user with an earlier module's password"
	b1=$(slapd_ops BIND)
	env PAM_AUTHTOK= "$PAMDRIVE" "$T/pam.d" stacked alice \
		"$(otp 1 36)" > "$T/login.out"
	grep -qx 'result: PAM_AUTH_ERR' "$T/login.out" ||
		fail "bind with an empty PAM_AUTHTOK: $(cat "$T/login.out")"
	[ "$(slapd_ops BIND)" = "$b1" ] || fail "a bind was made with an empty password"
	ok "ldap_bind_as_user with an empty PAM_AUTHTOK: no bind, PAM_AUTH_ERR"
else
	echo "note: pam_set_items.so (libpam-wrapper) missing: skipped"
fi
! grep -q 'reader-pw\|alice-pw\|wrong-pw' "$T/debug.log" ||
	fail "the debug log holds a password"
ok "no password in the debug log"

# --- ykpamcfg check shows the lookup and what the directory returns
"$top_builddir/ykpamcfg" check -u alice --args "$base $map ldapdn=$PEOPLE user_attr=uid ldap_bind_user=cn=reader,$LDAP_BASE ldap_bind_password=reader-pw" \
	> "$T/check.out" 2>&1 || :
for l in "lookup: $LDAPS_URI, base 'uid=alice,$PEOPLE' (scope base), attribute yubiKeyId" \
    "bind: cn=reader,$LDAP_BASE, password hidden; CA: $LDAP_CA" \
    "the directory answered in [0-9]* ms: 1 value(s) of yubiKeyId" \
    "1 token ID(s) mapped to alice: $PUB"; do
	grep -q "$l" "$T/check.out" || { cat "$T/check.out" >&2; fail "check: no '$l'"; }
done
! grep -q reader-pw "$T/check.out" || fail "check shows the bind password"
ok "ykpamcfg check shows the lookup and its answer"

# --- the directory stalled, with a wrong CA, then down
start_staller
svc stall "ldap_uri=$STALL_URI yubi_attr=yubiKeyId ldapdn=$PEOPLE user_attr=uid timeout=2"
t0=$(now_ms)
expect PAM_AUTHINFO_UNAVAIL stall alice "$(otp 1 26)"
t=$(($(now_ms) - t0))
[ $t -lt 4000 ] || fail "a stalled directory held the login $t ms (timeout=2)"
ok "stalled directory: $t ms"
(cd "$T" && pki other)
svc wrongca "ldap_uri=$LDAPS_URI ldap_cacertfile=$T/other-ca.pem yubi_attr=yubiKeyId ldapdn=$PEOPLE user_attr=uid"
expect PAM_AUTHINFO_UNAVAIL wrongca alice "$(otp 1 27)"
grep -q '^error: The directory of YubiKeys cannot be reached' "$T/login.out" ||
	fail "no message about the directory: $(cat "$T/login.out")"
svc wrongcatls "ldap_uri=$LDAP_URI ldap_starttls ldap_cacertfile=$T/other-ca.pem yubi_attr=yubiKeyId ldapdn=$PEOPLE user_attr=uid"
expect PAM_AUTHINFO_UNAVAIL wrongcatls alice "$(otp 1 28)"
# a CA file that cannot be loaded is a mistake, never "unavailable"
svc noca "ldap_uri=$LDAPS_URI ldap_cacertfile=$T/nonesuch.pem yubi_attr=yubiKeyId ldapdn=$PEOPLE user_attr=uid"
expect PAM_AUTH_ERR noca alice "$(otp 1 37)"
# (a file without a certificate trusts nothing: like a wrong CA)
svc notpem "ldap_uri=$LDAPS_URI ldap_cacertfile=$T/people.ldif yubi_attr=yubiKeyId ldapdn=$PEOPLE user_attr=uid"
expect PAM_AUTHINFO_UNAVAIL notpem alice "$(otp 1 38)"
# --- a method list: the lookup that finds the user enrolled is the login's
svc list "$map ldapdn=$PEOPLE user_attr=uid mode=otp,challenge-response"
s0=$(slapd_ops SRCH)
expect PAM_SUCCESS list daemon "$(otp 1 39)"
[ "$(slapd_ops SRCH)" = $((s0 + 1)) ] || fail "a method list searched twice"
ok "one search for one login in a method list"
# ... and ldap_bind_as_user has no password before anything is asked
svc listbind "$map ldapdn=$PEOPLE user_attr=uid mode=otp,challenge-response ldap_bind_as_user"
expect PAM_SERVICE_ERR listbind daemon "$(otp 1 40)"
svc systemca "ldap_uri=$LDAPS_URI yubi_attr=yubiKeyId ldapdn=$PEOPLE user_attr=uid"
expect PAM_AUTHINFO_UNAVAIL systemca alice "$(otp 1 29)"	# not in the system store
stop_slapd
t0=$(now_ms)
expect PAM_AUTHINFO_UNAVAIL dn alice "$(otp 1 30)"
ok "directory down: $(($(now_ms) - t0)) ms"

# --- no helper: a configuration error
svc nohelper "$map ldapdn=$PEOPLE user_attr=uid ldap_helper=$T/nonesuch"
expect PAM_SERVICE_ERR nohelper alice "$(otp 1 31)"
# --- configuration mistakes
svc badcfg "$map user_attr=uid"
expect PAM_SERVICE_ERR badcfg alice "$(otp 1 32)"
svc badcfg2 "$map ldapdn=$PEOPLE user_attr=uid ldapserver=127.0.0.1"
expect PAM_SERVICE_ERR badcfg2 alice "$(otp 1 33)"
svc badcfg3 "$map ldapdn=$PEOPLE user_attr=uid ldap_connection_timeout=0"
expect PAM_SERVICE_ERR badcfg3 alice "$(otp 1 34)"
