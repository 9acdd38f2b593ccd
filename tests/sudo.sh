#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The real sudo over the shipped examples/pam.d/sudo and sudo-offline.
#
# sudo is setuid root, and a setuid program run by a real ordinary user
# ignores LD_PRELOAD; and root never authenticates in sudo.  So the test
# runs sudo as real root with uid_wrapper faking the ids of a setuid exec
# by the test user (tests/suidexec: real uid 4242, effective uid 0),
# nss_wrapper supplying that user (with a crypt hash in the passwd line,
# which pam_unix checks as it would a shadow entry) and pam_wrapper
# loading the PAM service "sudo" from $T: the example with only its paths
# changed.  The machine's /etc/pam.d is not read.
#
# sudo's policy needs a sudoers rule for the user.  In a private mount
# namespace (unshare -m) $T/sudoers is bind-mounted over /etc/sudoers for
# that one sudo process, so nothing outside $T changes.  Where that is
# not possible, the same rules go to /etc/sudoers.d/pamyk-test-XXXXXX
# (checked by visudo), removed at exit.  timestampdir= in $T and -k keep
# credentials from being cached between cases.  sudo runs PAM in the
# environment it made for the command (env_reset), so the rules keep the
# variables the YubiKey stand-in and the sanitizers read (env_keep).
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" = 0 ] ||
	skip "needs root: sudo runs as real root, with uid_wrapper faking the user's ids"
SUDO=$(command -v sudo) || skip "sudo is not installed"
VISUDO=$(command -v visudo || echo /usr/sbin/visudo)
[ -x "$VISUDO" ] || skip "visudo is not installed"
PAMW=$(wrapper pam_wrapper) NSSW=$(wrapper nss_wrapper) UIDW=$(wrapper uid_wrapper)
[ -n "$PAMW" ] && [ -n "$NSSW" ] && [ -n "$UIDW" ] ||
	skip "needs libpam-wrapper, libnss-wrapper and libuid-wrapper"
san_real_program noleaks	# sudo itself leaks at exit
command -v openssl >/dev/null || skip "openssl is not installed"
SUIDEXEC=$top_builddir/tests/suidexec
EX=$top_srcdir/examples/pam.d
FAKEVAL=$top_builddir/tests/fakeval
[ -f "$FAKEYK" ] || fail "no $FAKEYK"

chmod 755 "$T"
U=ykalice UID_=4242 PW='correct horse'
printf '%s:%s:%s:%s:Alice:%s:/bin/sh\nroot:x:0:0:root:/root:/bin/sh\n' \
	$U "$(openssl passwd -6 "$PW")" $UID_ $UID_ "$T" > "$T/passwd"
printf '%s:x:%s:\nroot:x:0:\n' $U $UID_ > "$T/group"

# --- the policy: sudoers for ykalice only
mkdir -m 700 "$T/ts"
# sudoers: write the rules (to the drop-in file too, once there is one).
sudoers() {
	cat > "$T/sudoers" <<EOF
Defaults:$U timestamp_timeout=0, timestampdir=$T/ts, passwd_tries=1
Defaults:$U !mail_badpass, !lecture, !use_pty
Defaults:$U env_keep += "FAKEYK_KEYS *_WRAPPER_DISABLE_DEEPBIND"
$U ALL=(root) ALL
EOF
	chmod 440 "$T/sudoers"
	"$VISUDO" -cqf "$T/sudoers" || fail "visudo refuses $T/sudoers"
	[ -z "${DROPIN:-}" ] || cat "$T/sudoers" > "$DROPIN"
}
sudoers
NS='' DROPIN=''
if [ -z "${PAMYK_TEST_NO_UNSHARE:-}" ] &&
    unshare -m sh -c 'mount --bind "$0" /etc/sudoers' "$T/sudoers" 2>/dev/null; then
	NS=yes
	echo "sudoers: bind-mounted over /etc/sudoers in a private mount namespace"
else
	[ -d /etc/sudoers.d ] && grep -q '^[@#]includedir /etc/sudoers.d' /etc/sudoers ||
		skip "no mount namespace and /etc/sudoers reads no /etc/sudoers.d"
	DROPIN=$(mktemp /etc/sudoers.d/pamyk-test-XXXXXX)
	trap 'rm -f "$DROPIN"; cleanup' EXIT
	chmod 440 "$DROPIN"
	sudoers
	"$VISUDO" -cq || fail "visudo refuses the sudoers with $DROPIN"
	echo "sudoers: $DROPIN (removed at exit)"
fi

# --- PAM: the shipped example, only paths changed, and what it includes
S=$T/svc; mkdir "$S"
# example FILE: install examples/pam.d/FILE as the service "sudo".
example() {
	sed -e "s|pam_yk\.so|$MODULE|" \
	    -e "s|conf=/etc/pam_yk\.conf|conf=$T/pam_yk.conf|" \
	    -e "s|authfile=/etc/yubikey_mappings|authfile=$T/authfile|" \
	    -e "s|chalresp_path=/var/yubico|chalresp_path=$T/yubico|" \
	    -e "s|^@include \([a-z-]*\)$|@include $S/\1|" \
	    "$EX/$1" > "$S/sudo"
	grep -v '^#' "$S/sudo" | grep -q "pam_yk.*=\(/etc/\|/var/yubico\)\| pam_yk\.so\|^@include [^/]" &&
		fail "a path of examples/pam.d/$1 was left: $(cat "$S/sudo")"
	for _i in $(sed -n 's/^@include //p' "$S/sudo"); do
		[ -f "$_i" ] || fail "examples/pam.d/$1 includes $_i: missing"
	done
	grep -q "$MODULE" "$S/sudo" || fail "examples/pam.d/$1 has no pam_yk line"
}
# Minimal stand-ins for Debian's common-* files: the machine's own may
# name modules (pam_systemd, sss, krb5) that have no business here.  The
# includes name them by absolute path: Linux-PAM 1.5.2 looks for a
# relative @include in /etc/pam.d even under pam_start_confdir().
# Debian 12's common-auth, without pam_cap.
printf '%s\n' "auth [success=1 default=ignore] pam_unix.so nullok" \
	"auth requisite pam_deny.so" "auth required pam_permit.so" > "$S/common-auth"
echo "account required pam_unix.so" > "$S/common-account"
echo "session required pam_unix.so" > "$S/common-session-noninteractive"
printf '%s\n' "auth required pam_deny.so" "account required pam_deny.so" \
	"password required pam_deny.so" "session required pam_deny.so" > "$S/other"

# sudo_as ANSWER...: run "sudo -S -k CMD" as ykalice, the answers on its
# stdin, one a line.  CMD prints what sudo told it and touches $T/ran.
# Sets RC; the output goes to $T/out, prompts and messages to $T/err.
sudo_as() {
	printf '%s\n' "$@" > "$T/in"
	rm -f "$T/ran"
	_pre=${SAN_PRELOAD:+$SAN_PRELOAD:}${YKPRE:-}$UIDW:$NSSW:$PAMW
	set -- env LD_PRELOAD="$_pre" UID_WRAPPER=1 UID_WRAPPER_ROOT=1 \
		NSS_WRAPPER_PASSWD="$T/passwd" NSS_WRAPPER_GROUP="$T/group" \
		PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$S" \
		"$SUIDEXEC" $UID_ $UID_ "$SUDO" -S -k /bin/sh -c \
		"echo \"sudo ran for \$SUDO_USER \$SUDO_UID\"; touch '$T/ran'"
	[ -n "$NS" ] && set -- unshare -m sh -c \
		'mount --bind "$0" /etc/sudoers && exec "$@"' "$T/sudoers" "$@"
	RC=0
	timeout -s KILL 30 "$@" < "$T/in" > "$T/out" 2> "$T/err" || RC=$?
}
show() { echo "--- rc $RC, stdout:"; cat "$T/out"; echo "--- stderr:"; cat "$T/err"; }
allowed() {
	[ $RC = 0 ] && [ -f "$T/ran" ] || { show >&2; fail "$1: refused"; }
	[ "$(cat "$T/out")" = "sudo ran for $U $UID_" ] ||
		{ show >&2; fail "$1: sudo saw the wrong user"; }
	ok "$1: sudo ran the command"
}
refused() {
	[ $RC = 1 ] && [ ! -e "$T/ran" ] && [ ! -s "$T/out" ] ||
		{ show >&2; fail "$1: not refused"; }
	ok "$1: refused, command not run"
}
said() {	# said TEXT: sudo's stderr holds TEXT
	grep -qF "$1" "$T/err" || { show >&2; fail "sudo did not show '$1'"; }
}

# ==== OTP: examples/pam.d/sudo against ykvald ==============================
new_db "$T/db"
# A client 16 with the test key; id= and key= are in conf=, as the
# example says.
"$YKVALD" client add --db "$T/db" --id 16 >/dev/null
sqlite3 "$T/db" "UPDATE clients SET secret='$CKEY' WHERE id=16"
start_ykvald "$T/db"
printf '%s:%s\n' $U $PUB > "$T/authfile"
conf() { printf 'id=16\nkey=%s\nurllist=%s\n%s\n' $CKEY "$1" "$VOPT" > "$T/pam_yk.conf"; chmod 600 "$T/pam_yk.conf"; }
conf "$URL"
example sudo

o=$(otp 1 0)
sudo_as "$PW" "$o"
allowed "password and a good OTP"
said "[sudo] password for $U:"; said "YubiKey for \`$U': "
grep -q 'verify client=16 ' "$T/ykvald.log" || fail "ykvald was not asked as client 16"

sudo_as "$PW" "$o"
refused "the same OTP again (replayed)"
sudo_as "$PW" "$PUB$("$OTPGEN" $PUB $PRIV 00112233445566778899aabbccddeeff 2 0 | cut -c13-)"
refused "a wrong OTP"
said "incorrect password attempt"
sudo_as "not the password" "$(otp 2 1)"
refused "a wrong password with a good OTP"
# Debian's common-auth ends the stack at a wrong password (requisite
# pam_deny.so): the OTP is not asked.
grep -q 'YubiKey for' "$T/err" && { show >&2; fail "the OTP was asked after a wrong password"; }
sudo_as "$PW"
refused "no OTP at all (end of input)"

# The validation server down: the port is held, nobody listens.
"$FAKEVAL" --mode refuse --ready-file "$T/refuse.ready" --lifetime 120 \
	>/dev/null 2>>"$T/fake.err" &
_pids="$_pids $!"
wait_for_file "$T/refuse.ready" $! || fail "fakeval refuse did not start"
conf "http://$(cat "$T/refuse.ready")/wsapi/2.0/verify"
sudo_as "$PW" "$(otp 2 2)"
refused "validation server down (PAM_AUTHINFO_UNAVAIL)"
# sudo (1.9.13) shows none of pam_yk's messages: "cannot be reached" goes
# to syslog only.  That the refusal was no verdict on the OTP shows here:
# the server is back, and the same OTP is still good.
conf "$URL"
sudo_as "$PW" "$(otp 2 2)"
allowed "server back, the same OTP (it was never spent)"
stop_ykvald

# ==== challenge-response: examples/pam.d/sudo-offline, emulated key =========
mkdir -m 700 "$T/yubico"
example sudo-offline
FAKEYK_KEYS="$CRSERIAL:$CRSECRET:$CRSECRET"; export FAKEYK_KEYS
YKPRE=$FAKEYK:
LD_PRELOAD=${SAN_PRELOAD:+$SAN_PRELOAD:}$FAKEYK:$NSSW \
	NSS_WRAPPER_PASSWD="$T/passwd" NSS_WRAPPER_GROUP="$T/group" \
	"$top_builddir/ykpamcfg" -2 -u $U -p "$T/yubico" > "$T/ykp.out" ||
	fail "ykpamcfg: $(cat "$T/ykp.out")"
F=$T/yubico/$U-$CRSERIAL
[ -f "$F" ] || fail "ykpamcfg wrote no $F: $(cat "$T/ykp.out")"
v2() { grep -Eqx 'v2:[0-9a-f]{126}:[0-9a-f]{40}:[0-9a-f]{64}:[0-9]+:2' "$F" ||
	fail "not a v2 state: $(cat "$F")"; }

cp "$F" "$T/old"
sudo_as "$PW"
allowed "challenge-response, the right key"
grep -q 'YubiKey for' "$T/err" && fail "challenge-response asked for an OTP"
v2; cmp -s "$F" "$T/old" && fail "the state file was not rotated"
ok "the state file was rotated"

cp "$F" "$T/old"
FAKEYK_KEYS="$CRSERIAL:00112233445566778899aabbccddeeff00112233:00112233445566778899aabbccddeeff00112233"
sudo_as "$PW"
refused "challenge-response, a key with another secret"
cmp -s "$F" "$T/old" || fail "a refused sudo changed the state file"
FAKEYK_KEYS=
sudo_as "$PW"
refused "challenge-response, no key plugged in"
cmp -s "$F" "$T/old" || fail "a refused sudo changed the state file"
ok "the state file is unchanged after both"

FAKEYK_KEYS="$CRSERIAL:$CRSECRET:$CRSECRET"
sudo_as "not the password"
refused "challenge-response, the right key, a wrong password"
sudo_as "$PW"
allowed "challenge-response, the right key again"
mv "$F" "$T/saved"
sudo_as "$PW"
refused "challenge-response, no state file (no nullok)"
