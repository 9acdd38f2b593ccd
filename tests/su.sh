#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The real su (util-linux) over the shipped examples/pam.d/login, which is
# meant for login and su alike: the password, then challenge-response
# with root-owned state files, nullok.
#
# login(1) is not driven here: it needs a terminal (tests/login-piv.sh
# drives one for the smart-card example) and records sessions in utmp,
# wtmp and lastlog, while su runs the file's auth lines just the same
# from a pipe and records only failures.
#
# As in tests/sudo.sh, su runs as real root under uid_wrapper, started by
# tests/suidexec with the ids of a setuid exec by the user ykbob (real uid
# 4243, effective uid 0); nss_wrapper supplies the users, pam_wrapper the
# PAM service "su" from $T (the example with only its paths changed; "su
# -l" reads su-l, which includes it) and tests/fakeykpers.so the YubiKey.
# su records failed attempts in /var/log/btmp: in a private mount
# namespace a file in $T is bind-mounted over it; without one, su is run
# as it is and the failures are recorded there.
#
# su -l clears the environment of the command it runs, so the command
# runs without the wrappers, as real root.  What shows that su switched
# to the target user is $USER, which su sets from the user it
# authenticated.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" = 0 ] ||
	skip "needs root: su runs as real root, with uid_wrapper faking the user's ids"
SU=$(command -v su) || skip "su is not installed"
su --version 2>/dev/null | grep -q util-linux || skip "su is not util-linux's"
PAMW=$(wrapper pam_wrapper) NSSW=$(wrapper nss_wrapper) UIDW=$(wrapper uid_wrapper)
[ -n "$PAMW" ] && [ -n "$NSSW" ] && [ -n "$UIDW" ] ||
	skip "needs libpam-wrapper, libnss-wrapper and libuid-wrapper"
san_real_program noleaks	# su itself leaks at exit
command -v openssl >/dev/null || skip "openssl is not installed"
SUIDEXEC=$top_builddir/tests/suidexec
[ -f "$FAKEYK" ] || fail "no $FAKEYK"

chmod 755 "$T"
PW='correct horse' HASH=$(openssl passwd -6 'correct horse')
{	printf 'ykalice:%s:4242:4242:Alice:%s:/bin/sh\n' "$HASH" "$T"
	printf 'ykcarol:%s:4244:4244:Carol:%s:/bin/sh\n' "$HASH" "$T"
	printf 'ykbob:%s:4243:4243:Bob:%s:/bin/sh\n' "$HASH" "$T"
	printf 'root:x:0:0:root:/root:/bin/sh\n'
} > "$T/passwd"
printf 'ykalice:x:4242:\nykbob:x:4243:\nykcarol:x:4244:\nroot:x:0:\n' > "$T/group"

# --- PAM: the shipped example as the service "su", only paths changed
S=$T/svc; mkdir "$S"
sed -e "s|pam_yk\.so|$MODULE|" -e "s|chalresp_path=/var/yubico|chalresp_path=$T/yubico|" \
	-e "s|^@include \([a-z-]*\)$|@include $S/\1|" \
	"$top_srcdir/examples/pam.d/login" > "$S/su"
# Minimal stand-ins for Debian's common-* files (the machine's own may
# name pam_systemd, which would register a session with logind).  The
# includes name them by absolute path: Linux-PAM 1.5.2 looks for a
# relative @include in /etc/pam.d even under pam_start_confdir().
# Debian 12's common-auth, without pam_cap.
printf '%s\n' "auth [success=1 default=ignore] pam_unix.so nullok" \
	"auth requisite pam_deny.so" "auth required pam_permit.so" > "$S/common-auth"
echo "account required pam_unix.so" > "$S/common-account"
echo "session required pam_unix.so" > "$S/common-session"
echo "password required pam_unix.so" > "$S/common-password"
printf '%s\n' "auth required pam_deny.so" "account required pam_deny.so" \
	"password required pam_deny.so" "session required pam_deny.so" > "$S/other"
# "su -l" uses the service su-l, which includes su, as Debian's does.
for t in auth account password session; do echo "$t include $S/su"; done > "$S/su-l"
grep -v '^#' "$S/su" | grep -q "pam_yk.*=\(/etc/\|/var/yubico\)\| pam_yk\.so\|^@include [^/]" &&
	fail "a path of examples/pam.d/login was left: $(cat "$S/su")"
grep -q "$MODULE" "$S/su" || fail "examples/pam.d/login has no pam_yk line"
for i in $(sed -n 's/^@include //p' "$S/su"); do
	[ -f "$i" ] || fail "examples/pam.d/login includes $i: missing"
done

NS=
: > "$T/btmp"
if [ -f /var/log/btmp ] && unshare -m sh -c 'mount --bind "$0" /var/log/btmp' "$T/btmp" 2>/dev/null; then
	NS=yes
	echo "btmp: $T/btmp bind-mounted over /var/log/btmp in a private mount namespace"
fi

# su_as USER ANSWER...: ykbob runs "su -l -c CMD USER", the answers on
# stdin.  CMD prints $USER and touches $T/ran.  Sets RC; output in
# $T/out, prompts and messages in $T/err.  -l: su clears the environment
# for the shell, so the shell runs without the wrappers.  (With them,
# dash would leave a /tmp/pam.? directory behind -- it exits by _exit(),
# skipping pam_wrapper's clean-up -- and bash under the sanitizers aborts
# on uid_wrapper with pam_wrapper.)
su_as() {
	_u=$1; shift
	printf '%s\n' "$@" > "$T/in"
	rm -f "$T/ran"
	set -- env LD_PRELOAD="${SAN_PRELOAD:+$SAN_PRELOAD:}$FAKEYK:$UIDW:$NSSW:$PAMW" \
		UID_WRAPPER=1 UID_WRAPPER_ROOT=1 \
		NSS_WRAPPER_PASSWD="$T/passwd" NSS_WRAPPER_GROUP="$T/group" \
		PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$S" \
		"$SUIDEXEC" 4243 4243 "$SU" -l \
		-c "echo \"su ran as \$USER\"; touch '$T/ran'" $_u
	[ -n "$NS" ] && set -- unshare -m sh -c \
		'mount --bind "$0" /var/log/btmp && exec "$@"' "$T/btmp" "$@"
	RC=0
	timeout -s KILL 30 "$@" < "$T/in" > "$T/out" 2> "$T/err" || RC=$?
}
show() { echo "--- rc $RC, stdout:"; cat "$T/out"; echo "--- stderr:"; cat "$T/err"; }
allowed() {	# allowed USER WHAT
	[ $RC = 0 ] && [ -f "$T/ran" ] || { show >&2; fail "$2: refused"; }
	grep -qx "su ran as $1" "$T/out" || { show >&2; fail "$2: not $1"; }
	ok "$2: su ran the command as $1"
}
refused() {
	[ $RC = 1 ] && [ ! -e "$T/ran" ] && [ ! -s "$T/out" ] ||
		{ show >&2; fail "$1: not refused"; }
	grep -q 'Authentication failure' "$T/err" || { show >&2; fail "$1: su did not say why"; }
	ok "$1: refused, command not run"
}

# --- the state file, as the example's set-up says (ykpamcfg -p, as root)
mkdir -m 700 "$T/yubico"
FAKEYK_KEYS="$CRSERIAL:$CRSECRET:$CRSECRET"; export FAKEYK_KEYS
LD_PRELOAD=${SAN_PRELOAD:+$SAN_PRELOAD:}$FAKEYK:$NSSW \
	NSS_WRAPPER_PASSWD="$T/passwd" NSS_WRAPPER_GROUP="$T/group" \
	"$top_builddir/ykpamcfg" -2 -u ykalice -p "$T/yubico" > "$T/ykp.out" ||
	fail "ykpamcfg: $(cat "$T/ykp.out")"
F=$T/yubico/ykalice-$CRSERIAL
[ -f "$F" ] || fail "ykpamcfg wrote no $F: $(cat "$T/ykp.out")"

cp "$F" "$T/old"
su_as ykalice "$PW"
allowed ykalice "password and the right key"
grep -Eqx 'v2:[0-9a-f]{126}:[0-9a-f]{40}:[0-9a-f]{64}:[0-9]+:2' "$F" ||
	fail "not a v2 state: $(cat "$F")"
cmp -s "$F" "$T/old" && fail "the state file was not rotated"
ok "the state file was rotated"

cp "$F" "$T/old"
FAKEYK_KEYS="$CRSERIAL:00112233445566778899aabbccddeeff00112233:00112233445566778899aabbccddeeff00112233"
su_as ykalice "$PW"
refused "a key with another secret"
FAKEYK_KEYS=
su_as ykalice "$PW"
refused "no key plugged in (a state file exists: nullok does not apply)"
cmp -s "$F" "$T/old" || fail "a refused su changed the state file"
ok "the state file is unchanged after both"
# Debian's common-auth ends the stack at a wrong password (requisite
# pam_deny.so), so pam_yk does not run and the state stays as it was.
FAKEYK_KEYS="$CRSERIAL:$CRSECRET:$CRSECRET"
su_as ykalice "not the password"
refused "the right key, a wrong password"
cmp -s "$F" "$T/old" || fail "pam_yk ran (the state moved on) after a wrong password"
su_as ykalice "$PW"
allowed ykalice "the right key again"

# --- nullok: no state file, the password alone; a broken one denies
su_as ykcarol "$PW"
allowed ykcarol "a user without a state file, nullok: the password alone"
su_as ykcarol "not the password"
refused "a user without a state file, a wrong password"
printf 'v2:garbage\n' > "$T/yubico/ykcarol-$CRSERIAL"; chmod 600 "$T/yubico/ykcarol-$CRSERIAL"
su_as ykcarol "$PW"
refused "a broken state file (nullok does not cover it)"
if [ -n "$NS" ]; then
	[ -s "$T/btmp" ] || fail "su recorded no failure in the bind-mounted btmp"
	ok "su's failed attempts went to $T/btmp"
fi
