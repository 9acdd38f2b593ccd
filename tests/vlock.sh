#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# A real screen locker over the shipped examples/pam.d/unlock: Debian's
# vlock (vlock-main, which drops to the user's ids and calls PAM as the
# user) on a pseudo-terminal driven by tests/ptydrive.py, as alice
# (uid_wrapper), the service "vlock" from a pam_wrapper service directory,
# pam_unix checking a password from the nss_wrapper passwd line, and
# YubiKeys emulated by tests/fakeykpers.so.  Home files first (the
# example as it stands), then root's chalresp_path files (its commented
# line) through the setuid helper, stood in for as in tests/unlock.sh: a
# root-owned 4755 script that runs the built helper with the ids a
# setuid-root exec by alice gives.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

VLOCK=/usr/sbin/vlock-main
HELPER=$top_builddir/pam_yk_chalresp
KEEPENV=$top_builddir/tests/.libs/keepenv.so
NSSW=$(wrapper nss_wrapper)
UIDW=$(wrapper uid_wrapper)
PAMW=$(wrapper pam_wrapper)
[ -x "$HELPER" ] || fail "no $HELPER"
[ -f "$FAKEYK" ] && [ -f "$KEEPENV" ] || fail "no $FAKEYK or $KEEPENV"
[ -x "$VLOCK" ] || skip "vlock is not installed (Debian package vlock)"
[ "$(id -u)" = 0 ] || skip "needs root: chalresp_path files must really be root's"
[ -n "$NSSW" ] && [ -n "$UIDW" ] && [ -n "$PAMW" ] ||
	skip "libpam-wrapper, libnss-wrapper or libuid-wrapper is not installed"
command -v python3 >/dev/null || skip "no python3 (for tests/ptydrive.py)"
command -v openssl >/dev/null || skip "no openssl command (for the password hash)"
san_real_program noleaks

chmod 755 "$T"
AU=4242 AG=4242
H=$T/home/alice S=$T/var-yubico
mkdir -p "$H/.yubico" "$T/bin" "$T/pam.d"
mkdir -m 700 "$S"
PW=$(openssl passwd -6 -salt vlocktest 'correct horse')
printf 'alice:%s:%s:%s:Alice:%s:/bin/sh\nroot:x:0:0:root:/root:/bin/sh\n' \
	"$PW" $AU $AG "$H" > "$T/passwd"
printf 'alice:x:%s:\nroot:x:0:\n' $AG > "$T/group"
NSS_WRAPPER_PASSWD=$T/passwd NSS_WRAPPER_GROUP=$T/group
FAKEYK_LOG=$T/yk.log
export NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP FAKEYK_LOG
GOOD="$CRSERIAL:$CRSECRET:$CRSECRET"
OTHER="$CRSERIAL:00112233445566778899aabbccddeeff00112233:00112233445566778899aabbccddeeff00112233"
keys() { printf '%s' "$1" > "$T/keys"; FAKEYK_KEYS=$1; export FAKEYK_KEYS; }
keys "$GOOD"
: > "$T/debug"; chmod 666 "$T/debug"

# ---- the helper, as a setuid-root exec by alice would start it ----------
cat > "$T/bin/helper" <<EOF
#!/bin/sh
echo "\$\$ \$*" >> "$T/helper.runs"
exec env -i LD_PRELOAD="${SAN_PRELOAD:+$SAN_PRELOAD:}$KEEPENV:$FAKEYK:$NSSW:$UIDW" \\
	${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} \\
	${UBSAN_OPTIONS:+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \\
	KEEPENV_LOG="$T/keepenv.log" UID_WRAPPER=1 \\
	UID_WRAPPER_INITIAL_RUID=$AU UID_WRAPPER_INITIAL_EUID=0 \\
	UID_WRAPPER_INITIAL_SUID=0 UID_WRAPPER_INITIAL_RGID=$AG \\
	UID_WRAPPER_INITIAL_EGID=$AG UID_WRAPPER_INITIAL_SGID=$AG \\
	UID_WRAPPER_INITIAL_GROUPS=$AG UID_WRAPPER_INITIAL_GROUPS_COUNT=1 \\
	NSS_WRAPPER_PASSWD="$T/passwd" NSS_WRAPPER_GROUP="$T/group" \\
	FAKEYK_KEYS="\$(cat "$T/keys")" FAKEYK_LOG="$T/yk.log" \\
	"$HELPER" "\$@"
EOF
chmod 4755 "$T/bin/helper"

# ---- the service "vlock": the shipped example, paths substituted --------
# home: the file as it stands; sys: its commented pam_yk line (root's
# chalresp_path) instead of the active one.  @include by absolute path
# (Linux-PAM 1.5.2 looks for a relative one in /etc/pam.d even under
# pam_wrapper): Debian 12's common-auth without pam_cap, pam_unix for the
# rest; pam_deny for "other".
EX=$top_srcdir/examples/pam.d/unlock
OPTS="debug debug_file=$T/debug chalresp_helper=$T/bin/helper"
printf '%s\n' "auth [success=1 default=ignore] pam_unix.so nullok" \
	"auth requisite pam_deny.so" "auth required pam_permit.so" > "$T/pam.d/common-auth"
for t in account password session; do
	echo "$t required pam_unix.so" > "$T/pam.d/common-$t"
	echo "$t required pam_deny.so"
done > "$T/pam.d/other"
echo "auth required pam_deny.so" >> "$T/pam.d/other"
sed -e "s|^@include \([a-z-]*\)\$|@include $T/pam.d/\1|" \
    -e "s|pam_yk\.so\(.*\)\$|$MODULE\1 $OPTS|" "$EX" > "$T/svc-home"
sed -e '/^auth.*pam_yk/d' -e "s|^#auth |auth |; s|/var/yubico|$S|" "$T/svc-home" > "$T/svc-sys"
[ "$(grep -c "^auth.*$MODULE" "$T/svc-home")" = 1 ] && ! grep -q "^auth.*chalresp_path" "$T/svc-home" &&
	[ "$(grep -c "^auth.*$MODULE.*chalresp_path=$S " "$T/svc-sys")" = 1 ] ||
	fail "the example's lines: $(cat "$T/svc-home" "$T/svc-sys")"
use() { cp "$T/svc-$1" "$T/pam.d/vlock"; }

# vlock PASSWORD [WANT]: lock, press Enter, answer alice's password.
# WANT=unlocked: vlock exits 0; WANT=refused: it says "Authentication
# failure" and stays locked (ptydrive kills it).  Transcript in $T/tty.
vlock() {
	: > "$T/helper.runs"; : > "$T/debug"
	_end='vlock-exit=0'
	[ "${2:-unlocked}" = refused ] && _end='Authentication failure'
	_rc=0
	PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR=$T/pam.d USER=alice \
	UID_WRAPPER=1 UID_WRAPPER_INITIAL_RUID=$AU UID_WRAPPER_INITIAL_EUID=$AU \
	UID_WRAPPER_INITIAL_SUID=$AU UID_WRAPPER_INITIAL_RGID=$AG \
	UID_WRAPPER_INITIAL_EGID=$AG UID_WRAPPER_INITIAL_SGID=$AG \
	UID_WRAPPER_INITIAL_GROUPS=$AG UID_WRAPPER_INITIAL_GROUPS_COUNT=1 \
	VLOCK_MESSAGE='Locked. Press [ENTER] to unlock.' \
		python3 "$top_srcdir/tests/ptydrive.py" -t 20 -w 0.3 \
		-x 'Press \[ENTER\]' -s '' -x "alice's Password: " -s "$1" \
		-x "$_end" -- sh -c 'env LD_PRELOAD="$1" "$2"; echo "vlock-exit=$?"' sh \
		"${SAN_PRELOAD:+$SAN_PRELOAD:}$PAMW:$FAKEYK:$NSSW:$UIDW" "$VLOCK" \
		> "$T/tty" 2>&1 || _rc=$?
	if [ $_rc != 0 ]; then
		cat "$T/tty" >&2; tail -n 5 "$T/debug" "$FAKEYK_LOG" >&2
		fail "$what: want ${2:-unlocked}"
	fi
	grep -q 'Sanitizer\|runtime error' "$T/tty" && { cat "$T/tty" >&2; fail "$what: sanitizer report"; }
	ok "$what: ${2:-unlocked}"
}
state() { stat -c '%u:%g %a' "$1"; }
# why TEXT: the module's log of the last run says TEXT
why() { grep -q -- "$1" "$T/debug" || { cat "$T/debug" >&2; fail "$what: log lacks '$1'"; }; }
ykp() { LD_PRELOAD=${SAN_PRELOAD:+$SAN_PRELOAD:}$FAKEYK:$NSSW "$top_builddir/ykpamcfg" "$@"; }

# ===== 1. home files (the example as it stands): as alice, no helper =====
use home
chown -R $AU:$AG "$H"
ykp -2 -u alice > /dev/null || fail "ykpamcfg -2 -u alice"
HF=$H/.yubico/challenge-$CRSERIAL
cp "$HF" "$T/old"
what="home file, the right key"; vlock 'correct horse'
cmp -s "$HF" "$T/old" && fail "$what: the state was not rotated"
[ "$(stat -c %a "$HF")" = 600 ] || fail "$what: the rotated file is $(state "$HF")"
[ -s "$T/helper.runs" ] && fail "$what: the helper ran for a home file"
why "challenge-response login of alice with $HF"
# The processes are real root under uid_wrapper, so the new file is
# root's for the kernel: give it back to alice, as a real unlock leaves it.
chown $AU:$AG "$HF"
cp "$HF" "$T/old"
keys "$OTHER"
what="home file, another key"; vlock 'correct horse' refused
why "does not match"
cmp -s "$HF" "$T/old" || fail "$what: a refused unlock changed the state"
keys ""
what="home file, no key plugged in"; vlock 'correct horse' refused
why "no YubiKey is connected"
cmp -s "$HF" "$T/old" || fail "$what: a refused unlock changed the state"
keys "$GOOD"
what="home file, the right key, a wrong password"; vlock 'wrong horse' refused
# common-auth ends the stack at the wrong password: pam_yk does not run.
[ -s "$T/debug" ] && fail "$what: pam_yk ran: $(cat "$T/debug")"
cmp -s "$HF" "$T/old" || fail "$what: a refused unlock changed the state"
what="home file, the right key again"; vlock 'correct horse'
cmp -s "$HF" "$T/old" && fail "$what: the state was not rotated"

# ===== 2. root's chalresp_path files, through the setuid helper ==========
use sys
ykp -2 -u alice -p "$S" > /dev/null || fail "ykpamcfg -2 -u alice -p"
F=$S/alice-$CRSERIAL
[ "$(state "$F")" = "0:0 600" ] || fail "ykpamcfg's file: $(state "$F")"
cp "$F" "$T/old"
what="chalresp_path, the right key"; vlock 'correct horse'
[ "$(wc -l < "$T/helper.runs")" = 1 ] || fail "$what: the helper ran $(wc -l < "$T/helper.runs") times"
grep -q "^[0-9]* alice $S " "$T/helper.runs" || fail "$what: the helper's arguments: $(cat "$T/helper.runs")"
cmp -s "$F" "$T/old" && fail "$what: the state was not rotated"
[ "$(state "$F")" = "0:0 600" ] || fail "$what: the rotated file is $(state "$F")"
[ -n "$(find "$S" -mindepth 1 -maxdepth 1 -name '.*')" ] && fail "$what: a temporary file was left: $(ls -a "$S")"
cp "$F" "$T/old"
keys "$OTHER"
what="chalresp_path, another key"; vlock 'correct horse' refused
why "does not match"
cmp -s "$F" "$T/old" || fail "$what: a refused unlock changed the state"
keys ""
what="chalresp_path, no key plugged in"; vlock 'correct horse' refused
why "no YubiKey is connected"
cmp -s "$F" "$T/old" || fail "$what: a refused unlock changed the state"
keys "$GOOD"
chmod 755 "$T/bin/helper"
what="chalresp_path, the helper not setuid"; vlock 'correct horse' refused
why "$T/bin/helper"
[ -s "$T/helper.runs" ] && fail "$what: a helper that is not setuid ran"
cmp -s "$F" "$T/old" || fail "$what: a refused unlock changed the state"
chmod 4755 "$T/bin/helper"
what="chalresp_path, the right key again"; vlock 'correct horse'
if cmp -s "$F" "$T/old"; then fail "$what: the state was not rotated"; fi
