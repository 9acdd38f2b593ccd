#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# "ykpamcfg check" and the module agree.  For each setup of check.sh and
# of the pam-*.sh matrices that check can judge, the built tool predicts
# (check --json, "pam_code") what pam_sm_authenticate returns, and a real
# login through the built module (tests/pamdrive) must return exactly
# that.  Where check predicts no code (the outcome depends on what the
# user answers) and finds nothing wrong, the login with the right answer
# (a fresh OTP, the emulated key's response, the PIN) must succeed.
# YubiKeys are emulated at libykpers' boundary (fakeykpers.so), servers
# run on loopback, PIV uses SoftHSM tokens (as root, when installed).
# Not here: what check refuses beyond the module (an option that
# overrides conf=, id= and key= that no server confirms, a stack without
# the distribution's pam_nologin) is check's advice, not a prediction,
# and --no-network does not look at the servers; agree() fails on such a
# case rather than skip it.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

YKPAMCFG=$top_builddir/ykpamcfg
FAKEVAL=$top_builddir/tests/fakeval
NSSW=$(wrapper nss_wrapper)
UIDW=$(wrapper uid_wrapper)
[ -x "$YKPAMCFG" ] || fail "no $YKPAMCFG"
[ -f "$FAKEYK" ] || fail "no $FAKEYK"
[ -n "$NSSW" ] || skip "libnss-wrapper is not installed"
command -v sqlite3 >/dev/null || skip "sqlite3 is not installed"
ROOT=no
if [ "$(id -u)" = 0 ]; then
	ROOT=yes; AU=4242; AG=4242; preload=$NSSW
else
	[ -n "$UIDW" ] || skip "not root and libuid-wrapper is not installed"
	AU=$(id -u); AG=$(id -g); preload=$NSSW:$UIDW
	UID_WRAPPER=1 UID_WRAPPER_ROOT=1; export UID_WRAPPER UID_WRAPPER_ROOT
fi
PRELOAD=${SAN_PRELOAD:+$SAN_PRELOAD:}$FAKEYK:$preload
chmod 755 "$T"
S=$T/s; H=$S/home/alice; D=$H/.yubico
mkdir -p "$D" "$S/home/bob"
printf 'alice:x:%s:%s:Alice:%s:/bin/sh\nbob:x:%s:%s:Bob:%s/home/bob:/bin/sh\nroot:x:0:0:root:/root:/bin/sh\n' \
	"$AU" "$AG" "$H" "$AU" "$AG" "$S" > "$S/passwd"
printf 'alice:x:%s:\nroot:x:0:\n' "$AG" > "$S/group"
NSS_WRAPPER_PASSWD=$S/passwd NSS_WRAPPER_GROUP=$S/group
FAKEYK_KEYS="$CRSERIAL:$CRSECRET:$CRSECRET"
export NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP FAKEYK_KEYS
own() { [ $ROOT = no ] || chown -R "$AU:$AG" "$H"; }
AF=$D/authorized_yubikeys
echo "alice:$PUB" > "$AF"; chmod 600 "$AF"; own

# A fresh OTP each time: session counter 1.., use counter 0..255.
ctr=1 use=0
fresh() {
	use=$((use + 1))
	[ $use -le 255 ] || { ctr=$((ctr + 1)); use=0; }
	FRESH=$(otp $ctr $use)
}

# agree WHAT USER ARGS [ANSWER]...: check's prediction for USER on the
# line "auth required pam_yk.so ARGS" against a login with the ANSWERs.
agree() {
	what=$1 _u=$2 _a=$3; shift 3
	LD_PRELOAD=$PRELOAD "$YKPAMCFG" check --json -u "$_u" --args "$_a" \
		> "$T/ck.json" 2> "$T/ck.err" || :
	grep -q 'Sanitizer\|runtime error' "$T/ck.err" &&
		{ cat "$T/ck.err" >&2; fail "$what: sanitizer report from check"; }
	_code=$(sed -n 's/^ *"pam_code": "\(PAM_[A-Z_]*\)".*/\1/p' "$T/ck.json")
	_verdict=$(sed -n 's/^ *"verdict": "\([a-z]*\)".*/\1/p' "$T/ck.json")
	case "$_code:$_verdict" in
	PAM_*:*)	_want=$_code ;;
	:ok)		_want=PAM_SUCCESS ;;
	*)		cat "$T/ck.json" "$T/ck.err" >&2
			fail "$what: check gives no PAM code and verdict '$_verdict'" ;;
	esac
	service agree "auth required $MODULE $_a"
	LD_PRELOAD=$PRELOAD "$PAMDRIVE" "$T/pam.d" agree "$_u" "$@" \
		> "$T/login.out" 2>&1 || fail "$what: pamdrive: $(cat "$T/login.out")"
	_got=$(sed -n 's/^result: //p' "$T/login.out")
	# libpam fails a stack in which no module decided with PAM_PERM_DENIED,
	# a code pam_yk never returns: here, pam_yk stepped aside.
	[ "$_got" != PAM_PERM_DENIED ] || _got=PAM_IGNORE
	if [ "$_got" != "$_want" ]; then
		cat "$T/ck.json" "$T/login.out" >&2
		fail "$what: check predicts $_want, the module returns $_got"
	fi
	ok "$what: $_got"
}

# --- client mode (check.sh's and pam-otp.sh's setups) -----------------------
new_db "$T/db"
start_ykvald "$T/db"
GOOD=$URL
"$FAKEVAL" --mode refuse --ready-file "$T/refuse.ready" --lifetime 120 \
	>/dev/null 2>>"$T/fake.err" &
_pids="$_pids $!"
wait_for_file "$T/refuse.ready" $! || fail "fakeval refuse did not start"
DOWN=http://$(cat "$T/refuse.ready")/wsapi/2.0/verify
base="$VOPT id=1 key=$CKEY urllist=$GOOD"

fresh; agree "a good client setup" alice "$base" "$FRESH"
fresh; agree "no pam_yk_validate" alice "validate_helper=$T/none id=1 key=$CKEY urllist=$GOOD" "$FRESH"
fresh; agree "a wrong key=" alice "$VOPT id=1 key=AAmo8FMxuhumBlTinC4uYL0Mgwg= urllist=$GOOD" "$FRESH"
fresh; agree "the server down" alice "$VOPT id=1 key=$CKEY urllist=$DOWN timeout=2" "$FRESH"
fresh; agree "one of two servers down" alice "$VOPT id=1 key=$CKEY urllist=$DOWN;$GOOD timeout=2" "$FRESH"
fresh; agree "an unknown option" alice "$base frobnicate=1" "$FRESH"
fresh; agree "misspelt options" alice "$base urlist=$GOOD nullOK" "$FRESH"
fresh; agree "plain http without key=" alice "$VOPT id=1 urllist=$GOOD" "$FRESH"
fresh; agree "a bad key=" alice "$VOPT id=1 key=not-base64 urllist=$GOOD" "$FRESH"
fresh; agree "LDAP options" alice "$base ldap_uri=ldap://x" "$FRESH"
fresh; agree "capath= without a value" alice "$base capath=" "$FRESH"
fresh; agree "alwaysok and verbose_otp" alice "$base alwaysok verbose_otp" "$FRESH"
fresh; agree "alwaysok, a user without tokens" bob "$base alwaysok" "$FRESH"
fresh; agree "alwaysok does not pass a bad option" bob "$base alwaysok bogus" "$FRESH"
fresh; agree "alwaysok, the server down" alice "$VOPT id=1 key=$CKEY urllist=$DOWN timeout=2 alwaysok" "$FRESH"
fresh; agree "a debug_file that does not exist" alice "$base debug_file=$S/nolog" "$FRESH"
for opt in debgu nulok alwayok try_frist_pass always_promt mode=clinet id= \
    timeout=0 token_id_length=99; do
	fresh; agree "misspelt: $opt" alice "$base $opt" "$FRESH"
done
fresh; agree "a user not mapped" bob "$base" "$FRESH"
fresh; agree "a user not mapped, nullok" bob "$base nullok" "$FRESH"
fresh; agree "a user not mapped, always_prompt" bob "$base always_prompt" "$FRESH"
fresh; agree "an unknown user" nosuchuser "$base" "$FRESH"
# A name service that folds case (SSSD case_sensitive=false): ALICE is the
# account alice, whose mapping line says alice.
FOLD=$top_builddir/tests/.libs/foldcase.so
[ -f "$FOLD" ] || fail "no $FOLD"
fresh
( PRELOAD=${SAN_PRELOAD:+$SAN_PRELOAD:}$FAKEYK:$FOLD:$preload
  agree "ALICE, folded to alice" ALICE "$base" "$FRESH" )
chmod 620 "$AF"
fresh; agree "a group-writable mapping file" alice "$base" "$FRESH"
chmod 602 "$AF"
fresh; agree "a world-writable mapping file, nullok" alice "$base nullok" "$FRESH"
chmod 600 "$AF"
mv "$AF" "$AF.real"; ln -s authorized_yubikeys.real "$AF"
fresh; agree "a symlinked mapping file" alice "$base" "$FRESH"
rm "$AF"; mv "$AF.real" "$AF"
printf 'alice:idkfefrdhtr:sha256=00\n' > "$AF"
fresh; agree "no token ID of the right form" alice "$base" "$FRESH"
fresh; agree "no token ID of the right form, nullok" alice "$base nullok" "$FRESH"
echo "alice:$PUB" > "$AF"
if [ $ROOT = yes ]; then
	echo "alice:$PUB" > "$S/authfile"; chmod 600 "$S/authfile"
	fresh; agree "a system authfile" alice "$base authfile=$S/authfile" "$FRESH"
	fresh; agree "a system authfile, a user it does not name" bob "$base authfile=$S/authfile" "$FRESH"
	chown 4343 "$S/authfile"
	fresh; agree "a system authfile with the wrong owner" alice "$base authfile=$S/authfile" "$FRESH"
	chown 0 "$S/authfile"
	chown 4343 "$AF"; chmod 644 "$AF"
	fresh; agree "a mapping file with the wrong owner" alice "$base" "$FRESH"
	chmod 600 "$AF"; own
	chmod 000 "$D"
	fresh; agree "an unreadable ~/.yubico, nullok" alice "$base nullok" "$FRESH"
	chmod 755 "$D"
	CONF=$S/pam_yk.conf
	printf 'id=1\nkey=%s\nurllist=%s\n' "$CKEY" "$GOOD" > "$CONF"; chmod 600 "$CONF"
	fresh; agree "conf= alone" alice "$VOPT conf=$CONF" "$FRESH"
	fresh; agree "conf= and an option it does not set" alice "$VOPT conf=$CONF timeout=5" "$FRESH"
	chmod 644 "$CONF"
	fresh; agree "a conf= others can read" alice "$VOPT conf=$CONF" "$FRESH"
fi

# --- challenge-response (check.sh's and pam-chalresp.sh's setups) -------------
cr="mode=challenge-response"
F=$D/challenge-$CRSERIAL
agree "no state directory" bob "$cr"
agree "no state directory, nullok" bob "$cr nullok"
agree "no state file" alice "$cr"
agree "no state file, nullok" alice "$cr nullok"
agree "no state file, alwaysok" alice "$cr alwaysok"
GOODSTATE='v2:f480e5d374cd0b83bdba50a240bdc35a254b66ed106a4641eb50e99cf9eb62628e2ddab74bd0a28a7972f237f539fccf3715d664ddf93f7f5d7e0a831b7e7e:0c78170e6024b63de153ac8af75f7457c448d018:b8c6d50e3771626e0bae77a7de4915fca8742442908d4205e161245a93f2a129:10000:2'
state() { printf '%s' "$1" > "$F"; chmod 600 "$F"; own; }
state "$GOODSTATE
"
agree "a state file (pam_yubico's)" alice "$cr"
agree "the rotated state, nullok" alice "$cr nullok"
for m in 620 644 640 604; do
	chmod $m "$F"
	agree "a state file of mode $m" alice "$cr"
done
chmod 600 "$F"
agree "a chalresp_path the helper would refuse" alice "$cr chalresp_path=/var//yubico"
agree "a prompt the helper would refuse" alice "$cr prompt=$(printf '%0300d' 0)"
( FAKEYK_KEYS=; export FAKEYK_KEYS
  agree "no key connected" alice "$cr"
  agree "no key connected, nullok" alice "$cr nullok" )
( FAKEYK_KEYS="7654321:$CRSECRET:$CRSECRET"; export FAKEYK_KEYS
  agree "another key connected" alice "$cr" )
( FAKEYK_KEYS="7654321:00112233445566778899aabbccddeeff00112233:00112233445566778899aabbccddeeff00112233;$CRSERIAL:$CRSECRET:$CRSECRET"
  export FAKEYK_KEYS
  agree "two keys, one with a state file" alice "$cr" )
cp "$F" "$T/good-state"
good=$(cat "$F")
state "$(printf '%s' "$good" | cut -c1-100)"; agree "a truncated state" alice "$cr"
state "$(printf '%s' "$good" | sed 's/:10000:/:0:/')"; agree "zero iterations" alice "$cr"
state "$(printf '%s' "$good" | sed 's/:2$/:3/')"; agree "slot 3" alice "$cr"
state "$good junk"; agree "trailing garbage" alice "$cr"
state "$good
$good"; agree "two lines" alice "$cr nullok"
state "v2:junk
"; agree "a state that does not parse" alice "$cr"
mv "$F" "$D/real"; ln -s real "$F"
agree "a symlinked state file" alice "$cr"
rm "$F"; mkfifo "$F"; own
agree "a FIFO for a state file" alice "$cr"
rm "$F"; mv "$D/real" "$F"; cp "$T/good-state" "$F"
# the serial-less file, used with whichever key
mv "$F" "$D/challenge"
agree "a serial-less state file" alice "$cr"
mv "$D/challenge" "$F"

# --- mode=A,B,... and offline= (methods_choose decides for both) ------------
# alice: a token ID and a state file; bob: neither.
oc="mode=otp,challenge-response"
fresh; agree "list: otp decides" alice "$base $oc" "$FRESH"
agree "list: challenge-response decides" alice "$base mode=challenge-response,otp"
fresh; agree "list: enrolled in none" bob "$base $oc" "$FRESH"
fresh; agree "list: enrolled in none, nullok" bob "$base $oc nullok" "$FRESH"
fresh; agree "list: enrolled in none, always_prompt" bob "$base $oc always_prompt" "$FRESH"
mv "$AF" "$AF.x"
fresh; agree "list: otp skipped, challenge-response decides" alice "$base $oc" "$FRESH"
mv "$AF.x" "$AF"
fresh; agree "list: a repeated method" alice "$base mode=otp,client" "$FRESH"
fresh; agree "list: an unknown method" alice "$base mode=otp,sms" "$FRESH"
fresh; agree "list: offline= without challenge-response" alice "$base offline=challenge-response" "$FRESH"
off="$oc offline=challenge-response"
fresh; agree "offline: the server up" alice "$base $off" "$FRESH"
fresh; agree "offline: the server down, a state file" alice "$VOPT id=1 key=$CKEY urllist=$DOWN timeout=2 $off" "$FRESH"
mv "$F" "$T/F.x"
fresh; agree "offline: the server down, no state file" alice "$VOPT id=1 key=$CKEY urllist=$DOWN timeout=2 $off" "$FRESH"
mv "$T/F.x" "$F"
fresh; agree "no offline=: the server down" alice "$VOPT id=1 key=$CKEY urllist=$DOWN timeout=2 $oc" "$FRESH"
if [ $ROOT = yes ]; then
	chown 4343 "$F"
	agree "someone else's state file" alice "$cr"
	chown "$AU:$AG" "$F"
	chmod 000 "$D"
	agree "an unreadable state directory, nullok" alice "$cr nullok"
	chmod 755 "$D"
	chmod 777 "$D"
	agree "a world-writable state directory" alice "$cr"
	chmod 755 "$D"
	P=$S/crpath; mkdir -m 700 "$P"
	cp "$F" "$P/alice-$CRSERIAL"; chmod 600 "$P/alice-$CRSERIAL"
	agree "chalresp_path" alice "$cr chalresp_path=$P"
	chown "$AU" "$P/alice-$CRSERIAL"
	agree "a chalresp_path file not root's" alice "$cr chalresp_path=$P"
	chown 0 "$P/alice-$CRSERIAL"
	chmod 777 "$P"
	agree "a world-writable chalresp_path" alice "$cr chalresp_path=$P"
	chmod 700 "$P"
	agree "chalresp_path, no file for bob" bob "$cr chalresp_path=$P nullok"
	printf 'alice-%s:x:4244:4242:A:/nonexistent:/bin/sh\n' "$CRSERIAL" >> "$S/passwd"
	( FAKEYK_KEYS="7654321:$CRSECRET:$CRSECRET"; export FAKEYK_KEYS
	  agree "alice-SERIAL and alice's file" "alice-$CRSERIAL" "$cr chalresp_path=$P nullok" )
	agree "alice still uses alice-SERIAL" alice "$cr chalresp_path=$P"
fi

# --- piv: setups refused before any card (check.sh's) ---------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-subj "/CN=agree test CA" -keyout "$T/ca.key" -out "$S/ca.pem" \
	-days 2 2>/dev/null || fail "openssl req"
cp "$S/ca.pem" "$S/ca-ww.pem"; chmod 666 "$S/ca-ww.pem"
agree "piv: no PKCS#11 module" alice "mode=piv piv_cafile=$S/ca.pem pkcs11_module=$S/none.so piv_map=cn" 123456
agree "piv: no trust anchors" alice "mode=piv pkcs11_module=$S/none.so" 123456
agree "piv: unreadable trust anchors" alice "mode=piv piv_cafile=$S/passwd piv_map=cn" 123456
agree "piv: world-writable trust anchors" alice "mode=piv piv_cafile=$S/ca-ww.pem piv_map=cn" 123456
agree "piv: no crlpath" alice "mode=piv piv_cafile=$S/ca.pem piv_crlpath=$S/nonexistent piv_map=cn" 123456
agree "piv: upn without piv_domain" alice "mode=piv piv_cafile=$S/ca.pem piv_map=upn" 123456
agree "piv: no PKCS#11 module, nullok" alice "mode=piv piv_cafile=$S/ca.pem pkcs11_module=$S/none.so piv_map=cn nullok" 123456

# --- piv on SoftHSM tokens (check.sh's, pam-piv.sh's policy matrix) -------------
piv_ok=yes
# shellcheck source=tests/piv-lib.sh
( . "$top_srcdir/tests/piv-lib.sh"; piv_requirements ) >/dev/null 2>&1 || piv_ok=no
[ $ROOT = yes ] || piv_ok=no	# the PKCS#11 module must be root's
if [ $piv_ok = yes ]; then
	# shellcheck source=tests/piv-lib.sh
	. "$top_srcdir/tests/piv-lib.sh"
	fakep11_copy
	pki_make "$T/pki" >/dev/null
	mkdir -p "$T/softhsm"
	card() { token_init "$1" >/dev/null; token_put "$1" "$PKI/$2.pem" "$PKI/$2.key" 01 >/dev/null; }
	fp() { openssl x509 -in "$PKI/$1.pem" -outform DER | sha256sum | cut -d' ' -f1; }
	piv="mode=piv pkcs11_module=$SOFTHSM_MODULE piv_cafile=$PKI/ca.pem"
	card card alice-p256
	agree "piv: a certificate that names alice" alice "$piv pkcs11_uri=pkcs11:token=card piv_map=cn" 123456
	agree "piv: it does not name bob" bob "$piv pkcs11_uri=pkcs11:token=card piv_map=cn" 123456
	agree "piv: no token matches" alice "$piv pkcs11_uri=pkcs11:token=other piv_map=cn" 123456
	agree "piv: no token matches, nullok" alice "$piv pkcs11_uri=pkcs11:token=other piv_map=cn nullok" 123456
	echo "alice:$PUB:sha256=$(fp alice-p256)" > "$AF"; own
	agree "piv: a mapped fingerprint" alice "$piv pkcs11_uri=pkcs11:token=card" 123456
	echo "alice:$PUB" > "$AF"; own
	agree "piv: no fingerprint mapped" alice "$piv pkcs11_uri=pkcs11:token=card" 123456
	echo "alice:$PUB:sha256=00:sha256=$(fp alice-p256)0" > "$AF"; own
	agree "piv: entries that are no fingerprints" alice "$piv pkcs11_uri=pkcs11:token=card" 123456
	echo "alice:$PUB" > "$AF"; own
	# card, else otp: methods_choose looks at the card for both
	po="mode=piv,otp pkcs11_module=$SOFTHSM_MODULE piv_cafile=$PKI/ca.pem piv_map=cn $base"
	agree "list: the card decides" alice "$po pkcs11_uri=pkcs11:token=card" 123456
	fresh; agree "list: no card, otp decides" alice "$po pkcs11_uri=pkcs11:token=other" "$FRESH"
	fresh; agree "list: bob, alice's card, no token" bob "$po pkcs11_uri=pkcs11:token=card" "$FRESH"
	fresh; agree "list: bob, alice's card, nullok" bob "$po pkcs11_uri=pkcs11:token=card nullok" "$FRESH"
	for c in alice-expired alice-notyet alice-rogue alice-selfsigned \
	    alice-noclientauth alice-nodigsig; do
		card $c $c
		agree "piv: $c" alice "$piv pkcs11_uri=pkcs11:token=$c piv_map=cn" 123456
	done
	card alice-revoked alice-revoked
	agree "piv: revoked, no CRL" alice "$piv pkcs11_uri=pkcs11:token=alice-revoked piv_map=cn" 123456
	agree "piv: revoked, the CRL" alice "$piv piv_crlfile=$PKI/crl.pem pkcs11_uri=pkcs11:token=alice-revoked piv_map=cn" 123456
	agree "piv: a stale CRL" alice "$piv piv_crlfile=$PKI/crl-stale.pem pkcs11_uri=pkcs11:token=card piv_map=cn" 123456
	mkdir -p "$T/empty/tokens"
	printf 'directories.tokendir = %s/empty/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" > "$T/empty.conf"
	( SOFTHSM2_CONF=$T/empty.conf; export SOFTHSM2_CONF
	  agree "piv: no card at all" alice "$piv piv_map=cn" 123456
	  agree "piv: no card at all, nullok" alice "$piv piv_map=cn nullok" 123456 )
	cp "$SOFTHSM_MODULE" "$T/module.so"; chmod 666 "$T/module.so"
	agree "piv: a module others can write" alice "mode=piv pkcs11_module=$T/module.so piv_cafile=$PKI/ca.pem piv_map=cn" 123456
	if [ -f "$FAKEP11" ]; then
		FAKEP11_MODULE=$SOFTHSM_MODULE; export FAKEP11_MODULE
		fpiv="mode=piv pkcs11_module=$FAKEP11 piv_cafile=$PKI/ca.pem pkcs11_uri=pkcs11:token=card piv_map=cn"
		( FAKEP11_NO_MECH=ecdsa; export FAKEP11_NO_MECH
		  agree "piv: no CKM_ECDSA on the token" alice "$fpiv" 123456 )
		( FAKEP11_HUGE_VALUE=1; export FAKEP11_HUGE_VALUE
		  agree "piv: a certificate too large" alice "$fpiv" 123456 )
	fi
else
	echo "SKIP: the SoftHSM PIV cases (root and tests/piv-lib.sh piv_requirements)"
fi
# --- the LDAP mapping, against a slapd of our own (tests/ldap-lib.sh) -------
if [ -x "${SLAPD:-/usr/sbin/slapd}" ] && command -v ldapsearch >/dev/null 2>&1; then
	# shellcheck source=tests/ldap-lib.sh
	. "${top_srcdir:-.}/tests/ldap-lib.sh"
	{ printf 'dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n' "$LDAP_BASE"
	  for p in "alice $PUB" "bob" "erin not-a-token!"; do
		set -- $p
		printf 'dn: uid=%s,ou=people,%s\nobjectClass: inetOrgPerson\n' "$1" "$LDAP_BASE"
		printf 'objectClass: yubiKeyUser\nuid: %s\ncn: %s\nsn: %s\n' "$1" "$1" "$1"
		[ $# -lt 2 ] || printf 'yubiKeyId: %s\n' "$2"
		# piv_map=ldap: alice's entry holds the card's certificate
		[ $1 != alice ] || [ $piv_ok != yes ] || printf \
		    'userCertificate;binary:: %s\n' "$(base64 -w0 < "$PKI/alice-p256.der")"
		echo
	  done; } > "$T/people.ldif"
	start_slapd "$T/people.ldif"
	lmap="ldap_helper=$top_builddir/pam_yk_ldap ldap_cacertfile=$LDAP_CA yubi_attr=yubiKeyId ldapdn=ou=people,$LDAP_BASE user_attr=uid"
	fresh; agree "ldap: a mapped token" alice "$base ldap_uri=$LDAPS_URI $lmap" "$FRESH"
	fresh; agree "ldap: StartTLS" alice "$base ldap_uri=$LDAP_URI ldap_starttls $lmap" "$FRESH"
	fresh; agree "ldap: no token" bob "$base ldap_uri=$LDAPS_URI $lmap" "$FRESH"
	fresh; agree "ldap: no entry" carol "$base ldap_uri=$LDAPS_URI $lmap" "$FRESH"
	fresh; agree "ldap: no entry, nullok" carol "$base ldap_uri=$LDAPS_URI $lmap nullok" "$FRESH"
	fresh; agree "ldap: a malformed value" erin "$base ldap_uri=$LDAPS_URI $lmap" "$FRESH"
	fresh; agree "ldap: a wrong CA" alice "$base ldap_uri=$LDAPS_URI $lmap ldap_cacertfile=$S/passwd" "$FRESH"
	fresh; agree "ldap: no helper" alice "$base ldap_uri=$LDAPS_URI $lmap ldap_helper=$T/none" "$FRESH"
	fresh; agree "ldap: no ldapdn" alice "$base ldap_uri=$LDAPS_URI yubi_attr=yubiKeyId user_attr=uid" "$FRESH"
	pmap="$piv pkcs11_uri=pkcs11:token=card piv_map=ldap ldap_uri=$LDAPS_URI ldap_helper=$top_builddir/pam_yk_ldap ldap_cacertfile=$LDAP_CA ldapdn=ou=people,$LDAP_BASE user_attr=uid"
	if [ $piv_ok = yes ]; then
		agree "ldap piv: the card in the entry" alice "$pmap" 123456
		agree "ldap piv: an entry without certificates" bob "$pmap" 123456
		agree "ldap piv: a value that is no fingerprint" alice "$pmap piv_ldap_fp_attr=cn" 123456
	fi
	stop_slapd
	fresh; agree "ldap: the directory down" alice "$base ldap_uri=$LDAPS_URI $lmap" "$FRESH"
	if [ $piv_ok = yes ]; then
		agree "ldap piv: the directory down" alice "$pmap" 123456
		agree "ldap piv: the directory down, nullok" alice "$pmap nullok" 123456
	fi
else
	echo "SKIP: the LDAP cases (no slapd or ldap-utils)"
fi
stop_ykvald
