#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# ykpamcfg check: the built tool against good and broken setups made here,
# a real ykvald on loopback, YubiKeys emulated at libykpers' boundary
# (fakeykpers.so) and, when SoftHSM is there, a PIV token.  The tool must
# name each problem, exit 0 / 1 / 2 as documented, and change nothing.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

YKPAMCFG=$top_builddir/ykpamcfg
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
	# uid_wrapper lets the tool switch to alice (herself) as root would.
	[ -n "$UIDW" ] || skip "not root and libuid-wrapper is not installed"
	AU=$(id -u); AG=$(id -g); preload=$NSSW:$UIDW
	UID_WRAPPER=1 UID_WRAPPER_ROOT=1; export UID_WRAPPER UID_WRAPPER_ROOT
fi
PRELOAD=${SAN_PRELOAD:+$SAN_PRELOAD:}$FAKEYK:$preload

# Everything the tool may look at lives in $S; its output goes to $T.
chmod 755 "$T"
S=$T/s; H=$S/home/alice; D=$H/.yubico
mkdir -p "$D" "$S/pam.d" "$S/state"
printf 'alice:x:%s:%s:Alice:%s:/bin/sh\nbob:x:%s:%s:Bob:%s/home/bob:/bin/sh\nroot:x:0:0:root:/root:/bin/sh\n' \
	$AU $AG "$H" $AU $AG "$S" > "$S/passwd"
printf 'alice:x:%s:\nroot:x:0:\n' $AG > "$S/group"
NSS_WRAPPER_PASSWD=$S/passwd NSS_WRAPPER_GROUP=$S/group
FAKEYK_KEYS="$CRSERIAL:$CRSECRET:$CRSECRET"
export NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP FAKEYK_KEYS
own() { [ $ROOT = no ] || chown -R $AU:$AG "$H"; }
AF=$D/authorized_yubikeys
echo "alice:$PUB" > "$AF"; chmod 600 "$AF"; own

# What the tool may not change: every file it could look at (names,
# modes, owners, sizes, times, contents), and the key's counters in
# ykvald's database: compared around every run.
snapshot() {
	find "$S" -printf '%p %m %U %G %s %T@ %C@\n' | sort
	find "$S" -type f -exec sha256sum {} + | sort
	# SoftHSM itself rewrites a token's "generation" file (same bytes)
	# whenever the token is opened: its times are not compared.
	if [ -d "$T/softhsm" ]; then
		find "$T/softhsm" -printf '%p %m %U %G %s\n' | sort
		find "$T/softhsm" -type f -exec sha256sum {} + | sort
	fi
	sqlite3 "$T/db" "SELECT public_id, counter, session_use, nonce, modified FROM keys"
}

# ck CODE [ARG]...: run "ykpamcfg check ARG..." (output in $T/out), want
# exit CODE and no change; nothing on stderr (but for usage errors and
# $ERR_OK), never the API key.
ck() {
	_want=$1; shift
	_rc=0
	snapshot > "$T/before"
	LD_PRELOAD=$PRELOAD "$YKPAMCFG" check "$@" > "$T/out" 2> "$T/err" || _rc=$?
	snapshot > "$T/after"
	if [ "$_rc" != "$_want" ]; then
		cat "$T/out" "$T/err" >&2
		fail "$what: exit $_rc, want $_want"
	fi
	if grep -q 'Sanitizer\|runtime error' "$T/err"; then
		cat "$T/err" >&2; fail "$what: sanitizer report"
	fi
	[ "$_want" = 2 ] || [ -n "${ERR_OK:-}" ] || [ ! -s "$T/err" ] ||
		{ cat "$T/err" >&2; fail "$what: stderr"; }
	if grep -qF "$CKEY" "$T/out"; then fail "$what: the API key is shown"; fi
	diff "$T/before" "$T/after" >&2 || fail "$what: something changed"
	ok "$what: exit $_rc"
}
# has RE: a line of the last output matches RE
has() { grep -q -- "$1" "$T/out" || { cat "$T/out" >&2; fail "$what: no '$1'"; }; }

new_db "$T/db"
start_ykvald "$T/db"
GOOD=$URL
base="$VOPT id=1 key=$CKEY urllist=$GOOD"

# --- client mode ------------------------------------------------------------
what="good client setup"; ck 0 -u alice --args "$base"
has "^  ok: $GOOD: reachable in [0-9]* ms; its reply .* is signed with key=, so id=1 and key= are right"
has "^  ok: 1 token ID(s) mapped to alice: $PUB"
has "^  ok: $AF is safe to read"
has "^  => ok: "
has "^result: ok"
has "key=(hidden)"
has "^  ok: $VALIDATE makes the requests"
what="no pam_yk_validate"; ck 1 -u alice --args "validate_helper=$T/none id=1 key=$CKEY urllist=$GOOD"
has "^  deny: $T/none is not installed: every login fails (PAM_SERVICE_ERR)"

what="wrong key"; ck 1 -u alice --args "$VOPT id=1 key=AAmo8FMxuhumBlTinC4uYL0Mgwg= urllist=$GOOD"
has "^  deny: $GOOD: its reply .* does not verify with key=: key= is not the key of id=1"
has "^  => deny: .*PAM_AUTHINFO_UNAVAIL"

# ykvald signs with the client's key only when it knows the id, so a wrong
# id shows as an unconfirmed id (a YK-VAL server looks the same for any
# id).  Unconfirmed is a deny; --no-network skips the question.
what="unknown id"; ck 1 -u alice --args "$VOPT id=7 key=$CKEY urllist=$GOOD"
has "^  warn: $GOOD: reachable .*signed with an empty key, not key=: id=7 is not known there"
has "^  deny: no server confirms id=7 and key= "
has "^  => deny: .* this setup is refused: id= and key= are not confirmed by any server"
has "^result: deny"
what="unknown id, --no-network"; ck 0 -u alice --no-network --args "$VOPT id=7 key=$CKEY urllist=$GOOD"

# --- conf= and the PAM line: the line overrides the file, which check
# refuses (the module's own record, from cfg_parse).  conf= must be root's.
if [ $ROOT = yes ]; then
	CONF=$S/pam_yk.conf
	printf 'id=1\nkey=%s\nurllist=%s\n' "$CKEY" "$GOOD" > "$CONF"; chmod 600 "$CONF"
	what="conf= alone"; ck 0 -u alice --args "$VOPT conf=$CONF"
	has "^  ok: conf=$CONF is root's, private, and parses"
	has "^result: ok"
	what="id= on the line overrides conf="; ck 1 -u alice --args "$VOPT id=1 conf=$CONF"
	has "^  deny: id is set in conf=$CONF and again on the PAM line, which overrides the file"
	has "^  => deny: .* this setup is refused: an option on the PAM line overrides conf="
	what="url= on the line overrides conf='s urllist="
	ck 1 -u alice --args "$VOPT conf=$CONF url=$GOOD?id=%d&otp=%s"
	has "^  deny: urllist is set in conf=$CONF and again on the PAM line"
	what="an option conf= does not set"; ck 0 -u alice --args "$VOPT conf=$CONF timeout=5"
	grep -q "overrides" "$T/out" && fail "$what: $(cat "$T/out")"
fi

new_db "$T/db2"
start_ykvald "$T/db2"
DOWN=$URL
stop_ykvald
t0=$(now_ms)
what="server down"; ck 1 -u alice --args "$VOPT id=1 key=$CKEY urllist=$DOWN"
[ $(($(now_ms) - t0)) -lt 3000 ] || fail "server down: took $(($(now_ms) - t0)) ms"
has "^  deny: $DOWN: unreachable"
has "^  deny: no server would give a trusted answer"
what="one of two servers down"; ck 0 -u alice --args "$VOPT id=1 key=$CKEY urllist=$DOWN;$GOOD"
has "^  warn: $DOWN: unreachable"
has "^  ok: $GOOD: reachable"
what="a URL's password is not shown"
ck 1 -u alice --args "$VOPT id=1 urllist=http://u:s3cr3tpw@${DOWN#http://}"
has "^  deny: urllist: http://\*\*\*@.* is plain http://"
ck 0 -u alice --args "$VOPT id=1 key=$CKEY urllist=http://u:s3cr3tpw@${DOWN#http://};$GOOD"
has "^  warn: http://\*\*\*@.*: unreachable"
! grep -q s3cr3tpw "$T/out" "$T/err" || { cat "$T/out"; fail "$what"; }
what="--no-network"; ck 0 -u alice --no-network --args "$VOPT id=1 key=$CKEY urllist=$DOWN"
has "^  info: 1 server(s) not contacted (--no-network)"
what="timeout= bounds a server that never answers"
nc_pid=
if command -v python3 >/dev/null; then
	# A listener that accepts and says nothing: the probe waits timeout=.
	python3 -c 'import socket,sys,time
s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(5)
open(sys.argv[1],"w").write(str(s.getsockname()[1]))
c=[]
while True: c.append(s.accept())' "$T/mute.port" &
	nc_pid=$!; _pids="$_pids $nc_pid"
	wait_for_file "$T/mute.port" $nc_pid || fail "no mute listener"
	MUTE=http://127.0.0.1:$(cat "$T/mute.port")/wsapi/2.0/verify
	t0=$(now_ms)
	ck 1 -u alice --args "$VOPT id=1 key=$CKEY urllist=$MUTE timeout=1"
	el=$(($(now_ms) - t0))
	[ $el -ge 900 ] && [ $el -lt 3000 ] || fail "$what: $el ms"
	has "^  deny: $MUTE: .*timeout"
fi

# --- options: unknown, misspelt, insecure, refused by the module's parser
what="unknown option"; ck 1 -u alice --args "$base frobnicate=1"
has "^  deny: option 'frobnicate=1': unknown option"
has "PAM_SERVICE_ERR"
what="misspelt options"; ck 1 -u alice --args "$base urlist=$GOOD nullOK"
has "^  deny: option 'urlist=.*did you mean 'urllist='"
has "^  deny: option 'nullOK'.*did you mean 'nullok'"
what="insecure: plain http without key="; ck 1 -u alice --args "$VOPT id=1 urllist=$GOOD"
has "^  deny: urllist: $GOOD is plain http:// and no key= is set"
what="a bad key= is named, not shown"; ck 1 -u alice --args "$VOPT id=1 key=not-base64 urllist=$GOOD"
has "^  deny: option 'key=(hidden)'"
what="MySQL options"; ck 1 -u alice --args "$base mysql_server=db"
has "the MySQL mapping is not supported"
what="an incomplete LDAP mapping"; ck 1 -u alice --args "$base ldap_uri=ldaps://x"
has "yubi_attr: the LDAP mapping needs"
what="the LDAP lookup, not contacted"; ck 0 -u alice --no-network --args "$base ldap_uri=ldaps://ldap.example ldapdn=ou=people,dc=x user_attr=uid yubi_attr=yubiKeyId ldap_bind_user=cn=r,dc=x ldap_bind_password=S3cr3tBind"
has "lookup: ldaps://ldap.example, base 'uid=alice,ou=people,dc=x' (scope base), attribute yubiKeyId"
has "bind: cn=r,dc=x, password hidden"
if grep -q S3cr3tBind "$T/out"; then fail "$what: the bind password is shown"; fi
# hasnt RE: no line of the last output matches RE
hasnt() { if grep -q -- "$1" "$T/out"; then cat "$T/out" >&2; fail "$what: '$1'"; fi; }
# A known option with an empty value is a bad value, not an unknown option
# that is "nearest" to itself; a misspelt key= is hidden like key=.
what="an empty capath="; ck 1 -u alice --args "$base capath="
has "^  deny: option 'capath=': capath: expected a value, not an empty one$"
hasnt "unknown option\|did you mean"
what="a misspelt key= is hidden too"; ck 1 -u alice --args "$base kye=$CKEY"
has "^  deny: option 'kye=(hidden)': unknown option 'kye=' .*did you mean 'key='"
# Each option alone is judged without another mode's rules: a prompt the
# challenge-response helper would refuse is fine in client mode, as the
# module says.
what="a long prompt in client mode"
ck 0 -u alice --args "$base prompt=$(printf '%0300d' 0)"
has "^  ok: every option is known and valid"
hasnt "deny"
what="alwaysok and verbose_otp are warned about"; ck 0 -u alice --args "$base alwaysok verbose_otp"
has "^  warn: alwaysok"; has "^  warn: verbose_otp"
what="debug_file that does not exist"; ck 1 -u alice --args "$base debug_file=$S/nolog"
has "^  deny: debug_file does not exist"

# --- mapping files -------------------------------------------------------------
what="user not mapped"; ck 1 -u bob --args "$base"
has "^  deny: no token ID is mapped to bob"
has "PAM_USER_UNKNOWN"
what="user not mapped, nullok"; ck 0 -u bob --args "$base nullok"
has "^  warn: no token ID is mapped to bob: nullok"
has "^  => warn: pam_yk steps aside for bob"
chmod 620 "$AF"
what="group-writable authfile"; ck 1 -u alice --args "$base"
has "^  deny: $AF is writable by group or others"
chmod 600 "$AF"
what="unknown user"; ck 1 -u nosuchuser --args "$base"
has "^  deny: no such user nosuchuser"
if [ $ROOT = yes ]; then
	echo "alice:$PUB" > "$S/authfile"; chmod 600 "$S/authfile"
	what="system authfile"; ck 0 -u alice --args "$base authfile=$S/authfile"
	has "^  ok: $S/authfile is safe to read"
	chown 4343 "$S/authfile"
	what="system authfile with the wrong owner"; ck 1 -u alice --args "$base authfile=$S/authfile"
	has "^  deny: $S/authfile has the wrong owner"
	chown 0 "$S/authfile"
	chown 4343 "$AF"; chmod 644 "$AF"
	what="per-user authfile with the wrong owner"; ck 1 -u alice --args "$base"
	has "^  deny: $AF has the wrong owner"
	chmod 600 "$AF"; own
else
	echo "SKIP: owner checks need root (chown)"
fi

# --- challenge-response ----------------------------------------------------------
cr="mode=challenge-response"
what="challenge-response without state"; ck 1 -u alice --args "$cr"
has "^  deny: alice has no challenge-response state"
what="challenge-response without state, nullok"; ck 0 -u alice --args "$cr nullok"
has "^  warn: alice has no challenge-response state: nullok"
F=$D/challenge-$CRSERIAL
printf 'v2:f480e5d374cd0b83bdba50a240bdc35a254b66ed106a4641eb50e99cf9eb62628e2ddab74bd0a28a7972f237f539fccf3715d664ddf93f7f5d7e0a831b7e7e:0c78170e6024b63de153ac8af75f7457c448d018:b8c6d50e3771626e0bae77a7de4915fca8742442908d4205e161245a93f2a129:10000:2\n' > "$F"
chmod 600 "$F"; own
: > "$T/yk.log"
what="challenge-response with a state file"
( FAKEYK_LOG=$T/yk.log; export FAKEYK_LOG; ck 0 -u alice --args "$cr" )
has "^  ok: $F: v2, slot 2, 10000 iterations; owner and mode are safe"
has "^  info: YubiKey connected: serial $CRSERIAL"
has "^  ok: a login with the YubiKey of serial $CRSERIAL would use $F and ask slot 2"
if grep -q '^chal' "$T/yk.log"; then fail "$what: a challenge was sent"; fi
chmod 620 "$F"
what="state file writable by group"; ck 1 -u alice --args "$cr"
has "^  deny: a login .* would use $F, which is writable by group or others"
chmod 644 "$F"
what="state file readable by others"; ck 1 -u alice --args "$cr"
has "^  deny: a login .* would use $F, which is readable by group or others.*chmod 600"
chmod 600 "$F"
what="a chalresp_path the helper would refuse"; ck 1 -u alice --args "$cr chalresp_path=/var//yubico"
has "chalresp_path: expected an absolute path without ., .. or //"
what="a prompt the helper would refuse"
long=$(printf '%0300d' 0)
ck 1 -u alice --args "$cr prompt=$long"
has "prompt: in challenge-response mode, expected 1 to 255 bytes"
what="no key connected"
( FAKEYK_KEYS=; export FAKEYK_KEYS; ck 0 -u alice --args "$cr" )
has "^  warn: no YubiKey is connected now"
what="another key connected"
( FAKEYK_KEYS="7654321:$CRSECRET:$CRSECRET"; export FAKEYK_KEYS; ck 1 -u alice --args "$cr" )
has "^  deny: no state file for the connected YubiKey"
cp "$F" "$T/good-state"
printf 'v2:junk\n' > "$F"
what="a state file that does not parse"; ck 1 -u alice --args "$cr"
has "^  deny: .* would use $F, which"
cp "$T/good-state" "$F"
if [ $ROOT = yes ]; then
	mkdir -p "$S/crpath"; chmod 700 "$S/crpath"
	cp "$F" "$S/crpath/alice-$CRSERIAL"; chmod 600 "$S/crpath/alice-$CRSERIAL"
	what="chalresp_path"; ck 0 -u alice --args "$cr chalresp_path=$S/crpath"
	has "would use $S/crpath/alice-$CRSERIAL"
	chown $AU "$S/crpath/alice-$CRSERIAL"
	what="chalresp_path file not root's"; ck 1 -u alice --args "$cr chalresp_path=$S/crpath"
	has "which has the wrong owner"
	chown 0 "$S/crpath/alice-$CRSERIAL"
	printf 'alice-%s:x:4244:4242:A:/nonexistent:/bin/sh\n' $CRSERIAL >> "$NSS_WRAPPER_PASSWD"
	what="alice-SERIAL and alice's file"
	ck 1 -u alice-$CRSERIAL --args "$cr chalresp_path=$S/crpath"
	has "alice-$CRSERIAL, which is named like another account's file"
fi

# --- piv -------------------------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-subj "/CN=check test CA" -keyout "$T/ca.key" -out "$S/ca.pem" \
	-days 2 2>/dev/null || fail "openssl req"
what="piv: no PKCS#11 module"
ck 1 -u alice --args "mode=piv piv_cafile=$S/ca.pem pkcs11_module=$S/none.so piv_map=cn"
has "^  deny: $S/none.so: the PKCS#11 module does not exist"
has "PAM_SERVICE_ERR"
what="piv: no trust anchors"; ck 1 -u alice --args "mode=piv pkcs11_module=$S/none.so"
has "piv_cafile or piv_capath"
what="piv: unreadable trust anchors"; ck 1 -u alice --args "mode=piv piv_cafile=$S/passwd piv_map=cn"
has "^  deny: piv_cafile=$S/passwd holds no PEM certificate"
cp "$S/ca.pem" "$S/ca-ww.pem"; chmod 666 "$S/ca-ww.pem"
what="piv: world-writable trust anchors"
ck 1 -u alice --args "mode=piv piv_cafile=$S/ca-ww.pem piv_map=cn"
has "^  deny: piv_cafile=$S/ca-ww.pem is writable by group or others"
what="piv: no crlpath"
ck 1 -u alice --args "mode=piv piv_cafile=$S/ca.pem piv_crlpath=$S/nonexistent piv_map=cn"
has "^  deny: piv_crlpath=$S/nonexistent does not exist"
what="piv: piv_min_rsa_bits=1024 is risky"
ck 1 -u alice --args "mode=piv piv_cafile=$S/ca.pem pkcs11_module=$S/none.so piv_map=cn piv_min_rsa_bits=1024"
has "piv_min_rsa_bits=1024: RSA keys under 2048 bits are accepted"
what="piv: upn without piv_domain"
ck 1 -u alice --args "mode=piv piv_cafile=$S/ca.pem piv_map=upn"
has "piv_domain: piv_map=upn needs the domain"

# --- a service file with several pam_yk lines ---------------------------------
mkdir -p "$S/pam.d"
cat > "$S/pam.d/multi" <<EOF
# pam_yk.so id=1 in a comment is no line
auth	required	pam_env.so
auth	[success=done default=ignore]	$top_builddir/.libs/pam_yk.so $cr nullok
auth sufficient pam_yk.so $VOPT id=1 key=$CKEY \\
	urllist=$GOOD
account	required	pam_yk.so bogus
-auth	required	pam_yk.so [prompt=Your key: ] bogus_option
auth	include	common
EOF
cat > "$S/pam.d/common" <<EOF
auth	requisite	pam_yk.so $cr chalresp_path=relative
EOF
what="a service file with four pam_yk auth lines"
ck 1 -u alice --service "$S/pam.d/multi" --json
python3 - "$T/out" "$S/pam.d" <<'EOF' || fail "$what: JSON: $(cat "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))
where = [(l["file"].replace(sys.argv[2] + "/", ""), l["line"]) for l in d["lines"]]
assert where == [("multi", 3), ("multi", 4), ("multi", 7), ("common", 1)], where
assert d["result"] == "deny" and d["user"] == "alice"
ctl = [l["control"] for l in d["lines"]]
assert ctl == ["[success=done default=ignore]", "sufficient", "required", "requisite"], ctl
assert [l["verdict"] for l in d["lines"]] == ["ok", "ok", "deny", "deny"], d
assert d["lines"][2]["type"] == "-auth"
assert d["lines"][2]["args"] == ["[prompt=Your key: ]", "bogus_option"], d["lines"][2]["args"]
assert d["lines"][1]["mode"] == "client" and d["lines"][2]["mode"] is None
assert "key=(hidden)" in d["lines"][1]["args"]
srv = [f for f in d["lines"][1]["findings"] if f["topic"] == "server"]
assert srv and srv[0]["level"] == "ok", srv
for l in d["lines"]:
    for f in l["findings"]:
        assert f["level"] in ("ok", "info", "warn", "deny") and f["text"], f
    assert l["outcome"] in (None, "PAM_SERVICE_ERR"), l
EOF
ok "$what: JSON"
ck 1 -u alice --service "$S/pam.d/multi"
[ "$(grep -c '^/.*pam_yk.so' "$T/out")" = 4 ] || { cat "$T/out"; fail "$what: not four lines"; }
has "^  deny: option 'bogus_option': unknown option"
has "^  deny: option 'chalresp_path=relative'"
cat > "$S/pam.d/none" <<EOF
auth required pam_unix.so
EOF
what="a service file without pam_yk"; ck 1 -u alice --service "$S/pam.d/none"
has "^deny: no auth line of .* uses pam_yk.so"

# --- pam_nologin where the distribution's file has it (the service is the
# file's name; its stock file is /etc/pam.d/NAME as the package shipped it)
stock_md5() {	# stock_md5 PACKAGE FILE: dpkg's md5 of the conffile, if FILE has it
	_m=$(dpkg-query -W -f='${Conffiles}\n' "$1" 2>/dev/null | awk -v p="$2" '$1 == p { print $2 }')
	[ -n "$_m" ] && [ "$(md5sum < "$2" | cut -d' ' -f1)" = "$_m" ]
}
mkdir -p "$S/svc"
if command -v dpkg-query >/dev/null && stock_md5 openssh-server /etc/pam.d/sshd &&
    grep -q '^account.*pam_nologin.so' /etc/pam.d/sshd; then
	printf 'auth required pam_yk.so %s\naccount required pam_unix.so\n' "$base" > "$S/svc/sshd"
	what="sshd without pam_nologin"; ck 1 -u alice --service "$S/svc/sshd"
	has "^  deny: the stack has no pam_nologin.so, which /etc/pam.d/sshd (openssh-server) has"
	has "^  => deny: .* this setup is refused: the stack drops pam_nologin.so"
	echo "account required pam_nologin.so" >> "$S/svc/sshd"
	what="sshd with pam_nologin"; ck 0 -u alice --service "$S/svc/sshd"
	has "^  ok: the stack keeps pam_nologin.so, as /etc/pam.d/sshd (openssh-server) has it"
	# through an include, as Debian's login has it in common files of its own
	sed -i '/pam_nologin/d' "$S/svc/sshd"
	echo "@include nologin-inc" >> "$S/svc/sshd"
	echo "account requisite pam_nologin.so" > "$S/svc/nologin-inc"
	what="sshd with pam_nologin in an included file"; ck 0 -u alice --service "$S/svc/sshd"
	# /etc/pam.d/sshd itself replaced (bind-mounted over it in a private
	# mount namespace): the package's own copy comes from its .deb in
	# apt's cache (here a stand-in .deb with the stock file, bind-mounted
	# over the cache), checked against dpkg's md5.
	if command -v unshare >/dev/null && command -v dpkg-deb >/dev/null &&
	    unshare -m true 2>/dev/null; then
		printf 'auth required pam_yk.so %s\n' "$base" > "$T/edited"
		mkdir -p "$T/deb/DEBIAN" "$T/deb/etc/pam.d" "$T/archives" "$T/noarchives"
		cp /etc/pam.d/sshd "$T/deb/etc/pam.d/sshd"
		v=$(dpkg-query -W -f='${Version}' openssh-server)
		printf 'Package: openssh-server\nVersion: %s\nArchitecture: all\nMaintainer: t <t@t>\nDescription: t\n' \
			"$v" > "$T/deb/DEBIAN/control"
		dpkg-deb -b "$T/deb" "$T/archives/openssh-server_$(echo "$v" | sed 's/:/%3a/')_all.deb" >/dev/null
		inns() {	# inns ARCHIVES: check /etc/pam.d/sshd replaced by $T/edited
			PRELOAD=$PRELOAD unshare -m sh -c 'mount --bind "$1" /etc/pam.d/sshd &&
				mount --bind "$2" /var/cache/apt/archives && shift 2 &&
				exec env LD_PRELOAD="$PRELOAD" "$@"' sh "$T/edited" "$1" \
				"$YKPAMCFG" check -u alice --service /etc/pam.d/sshd > "$T/out" 2>&1 || :
		}
		what="an edited /etc/pam.d/sshd without pam_nologin, the .deb cached"
		inns "$T/archives"
		has "^  deny: the stack has no pam_nologin.so, which /etc/pam.d/sshd (openssh-server $v, read from its .deb) has"
		has "^result: deny"
		ok "$what"
		what="an edited /etc/pam.d/sshd, no .deb cached"
		inns "$T/noarchives"
		has "^  info: cannot compare .*: /etc/pam.d/sshd was changed since openssh-server installed it"
		grep -q "nologin" "$T/out" && fail "$what: $(cat "$T/out")"
		ok "$what"
		what="an edited /etc/pam.d/sshd, a .deb with another file"
		echo "# not the stock file" >> "$T/deb/etc/pam.d/sshd"
		dpkg-deb -b "$T/deb" "$T/archives/openssh-server_$(echo "$v" | sed 's/:/%3a/')_all.deb" >/dev/null
		inns "$T/archives"
		has "^  info: cannot compare .*: /etc/pam.d/sshd was changed since openssh-server installed it"
		ok "$what"
		ls /tmp/ykpamcfg-stock.* >/dev/null 2>&1 && fail "a temporary file was left in /tmp"
	fi
else
	echo "SKIP: pam_nologin cases: no pristine /etc/pam.d/sshd of openssh-server"
fi
if command -v dpkg-query >/dev/null && stock_md5 sudo /etc/pam.d/sudo &&
    ! grep -q pam_nologin /etc/pam.d/sudo; then
	printf 'auth required pam_yk.so %s\n' "$base" > "$S/svc/sudo"
	what="sudo needs no pam_nologin"; ck 0 -u alice --service "$S/svc/sudo"
	has "^  info: /etc/pam.d/sudo (sudo) has no pam_nologin.so"
fi
printf 'auth required pam_yk.so %s\n' "$base" > "$S/svc/no-such-service"
what="a service no package ships"; ck 0 -u alice --service "$S/svc/no-such-service"
has "^  info: cannot compare with the distribution's file for the service no-such-service: no installed package ships /etc/pam.d/no-such-service"
what="--json of a good line"; ck 0 -u alice --json --args "$base"
python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
l = d["lines"][0]
assert d["result"] == "ok" and d["service"] is None and l["verdict"] == "ok", d
assert l["mode"] == "client" and l["outcome"] is None
assert {"options", "mode", "mapping", "tokens", "server"} <= {f["topic"] for f in l["findings"]}' "$T/out" ||
	fail "$what: $(cat "$T/out")"

# --- usage errors ------------------------------------------------------------------
what="no --service or --args"; ck 2 -u alice
what="both --service and --args"; ck 2 --service "$S/pam.d/none" --args id=1
what="an unknown flag"; ck 2 --frob --args id=1
what="an unreadable service file"; ERR_OK=1; ck 1 --service "$S/pam.d/nonexistent"; ERR_OK=
has_err() { grep -q -- "$1" "$T/err" || { cat "$T/err" >&2; fail "$what: no '$1'"; }; }
has_err "^ykpamcfg check: cannot read $S/pam.d/nonexistent"

# --- PIV on a SoftHSM token (when SoftHSM and friends are there) -------------------
piv_ok=yes
# shellcheck source=tests/piv-lib.sh
( . "$top_srcdir/tests/piv-lib.sh"; piv_requirements ) >/dev/null 2>&1 || piv_ok=no
if [ $piv_ok = yes ]; then
	# shellcheck source=tests/piv-lib.sh
	. "$top_srcdir/tests/piv-lib.sh"
	fakep11_copy
	pki_make "$T/pki" >/dev/null
	mkdir -p "$T/softhsm"
	token_init card >/dev/null
	token_put card "$PKI/alice-p256.pem" "$PKI/alice-p256.key" 01 >/dev/null
	piv="mode=piv pkcs11_module=$SOFTHSM_MODULE piv_cafile=$PKI/ca.pem pkcs11_uri=pkcs11:token=card"
	what="piv: a token whose certificate names alice"; ck 0 -u alice --args "$piv piv_map=cn"
	has "^  ok: $SOFTHSM_MODULE loads"
	has "^  ok: token 'card': the certificate .*alice.* names alice; a login would ask for the PIN next"
	what="piv: a certificate that does not name bob"; ck 1 -u bob --args "$piv piv_map=cn"
	has "^  deny: the certificate does not name the user"
	what="piv: no token matches"; ck 0 -u alice --args "$piv piv_map=cn pkcs11_uri=pkcs11:token=other"
	has "^  warn: no token holds a certificate"
	fp=$(openssl x509 -in "$PKI/alice-p256.pem" -outform DER | sha256sum | cut -d' ' -f1)
	echo "alice:$PUB:sha256=$fp" > "$AF"; own
	what="piv: a mapped fingerprint"; ck 0 -u alice --args "$piv"
	has "^  ok: 1 certificate fingerprint(s) (sha256=) mapped to alice"
	echo "alice:$PUB" > "$AF"; own
	what="piv: no fingerprint mapped"; ck 1 -u alice --args "$piv"
	has "^  deny: no certificate fingerprint (sha256=) is mapped to alice"
	echo "alice:$PUB" > "$AF"; chmod 600 "$AF"; own
	# the checks made before the PIN, through the fault-injecting wrapper
	if [ -f "$FAKEP11" ]; then
		fpiv="mode=piv pkcs11_module=$FAKEP11 piv_cafile=$PKI/ca.pem pkcs11_uri=pkcs11:token=card piv_map=cn"
		what="piv: no CKM_ECDSA on the token"
		FAKEP11_NO_MECH=ecdsa ck 1 -u alice --args "$fpiv"
		has "^  deny: the token cannot make ECDSA signatures"
		what="piv: C_FindObjects hangs"
		FAKEP11_HANG='find' ck 1 -u alice --args "$fpiv timeout=1"
		has "did not answer within timeout=1 s"
	fi
	cp "$FAKEP11" "$S/p11.so"
	what="piv: a module below /tmp"; ck 1 -u alice --args "$piv piv_map=cn pkcs11_module=$S/p11.so"
	has "^  deny: $S/p11.so: .* is writable by group or others"
else
	echo "SKIP: the SoftHSM PIV cases (see tests/piv-lib.sh piv_requirements)"
fi

ok "no run changed a file or consumed an OTP"
