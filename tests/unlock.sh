#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Offline screen unlock as the user, the way a screen locker runs it:
# tests/pamdrive over the shipped examples/pam.d/unlock (paths substituted,
# pam_unix checking a password from the nss_wrapper passwd line), as alice
# (uid_wrapper), with YubiKeys emulated by tests/fakeykpers.so.
#
# Home files need no helper.  For root's chalresp_path files pam_yk runs the
# setuid helper pam_yk_chalresp.  A real setuid exec drops LD_PRELOAD, so
# most cases run the built helper through $T/bin/helper, a root-owned mode
# 4755 script (the kernel ignores the bit on scripts; pam_yk's check wants
# it) that execs the helper under uid_wrapper with the ids a setuid-root
# exec by alice gives (real uid alice, effective and saved uid 0) and the
# stand-ins preloaded.  The processes stay real root for the kernel, so the
# state files are really root's.  tests/keepenv.so keeps the helper's
# clearenv() from wiping the stand-ins' variables and records the call.
# The last part runs a real setuid-root copy of the helper as "nobody"
# (no stand-ins: real NSS, real clearenv, the real libykpers finds no key).
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

HELPER=$top_builddir/pam_yk_chalresp
KEEPENV=$top_builddir/tests/.libs/keepenv.so
NSSW=$(wrapper nss_wrapper)
UIDW=$(wrapper uid_wrapper)
[ -x "$HELPER" ] || fail "no $HELPER"
[ -f "$FAKEYK" ] && [ -f "$KEEPENV" ] || fail "no $FAKEYK or $KEEPENV"
[ "$(id -u)" = 0 ] || skip "needs root: chalresp_path files must really be root's, and the helper must really read them as root"
[ -n "$NSSW" ] && [ -n "$UIDW" ] || skip "libnss-wrapper or libuid-wrapper is not installed"
command -v openssl >/dev/null || skip "no openssl command (for the password hash)"

chmod 755 "$T"
AU=4242 AG=4242 BU=4243
H=$T/home/alice S=$T/var-yubico
mkdir -p "$H/.yubico" "$T/bin" "$T/home/bob"
mkdir -m 700 "$S"
PW=$(openssl passwd -6 -salt unlocktest 'correct horse')
printf 'alice:%s:%s:%s:Alice:%s:/bin/sh\nbob:%s:%s:%s:Bob:%s:/bin/sh\nroot:x:0:0:root:/root:/bin/sh\n' \
	"$PW" $AU $AG "$H" "$PW" $BU $BU "$T/home/bob" > "$T/passwd"
printf 'alice:x:%s:\nbob:x:%s:\nroot:x:0:\n' $AG $BU > "$T/group"
NSS_WRAPPER_PASSWD=$T/passwd NSS_WRAPPER_GROUP=$T/group
FAKEYK_LOG=$T/yk.log
export NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP FAKEYK_LOG
GOOD="$CRSERIAL:$CRSECRET:$CRSECRET"
OTHER="$CRSERIAL:00112233445566778899aabbccddeeff00112233:00112233445566778899aabbccddeeff00112233"
keys() { printf '%s' "$1" > "$T/keys"; FAKEYK_KEYS=$1; export FAKEYK_KEYS; }
keys "$GOOD"
SANLIBS=${SAN_PRELOAD:+$SAN_PRELOAD:}
# ASan's crypt_r interceptor finds no crypt_r when libcrypt comes only
# later, with pam_unix: load it up front.
CRYPTLIB=
if [ -n "$SAN_PRELOAD" ]; then
	CRYPTLIB=$(ls /lib/*/libcrypt.so.1 /usr/lib/*/libcrypt.so.1 2>/dev/null | head -n 1)
	CRYPTLIB=${CRYPTLIB:+$CRYPTLIB:}
fi
: > "$T/debug"; chmod 666 "$T/debug"

# ---- the helper, as a setuid exec by alice would start it --------------
# fakehelper NAME EUID: $T/bin/NAME runs the built helper with that euid.
fakehelper() {
	cat > "$T/bin/$1" <<EOF
#!/bin/sh
echo "\$\$ \$*" >> "$T/helper.runs"
exec env -i LD_PRELOAD="$SANLIBS$KEEPENV:$FAKEYK:$NSSW:$UIDW" \\
	${ASAN_OPTIONS:+ASAN_OPTIONS="$ASAN_OPTIONS"} \\
	${UBSAN_OPTIONS:+UBSAN_OPTIONS="$UBSAN_OPTIONS"} \\
	KEEPENV_LOG="$T/keepenv.log" UID_WRAPPER=1 \\
	UID_WRAPPER_INITIAL_RUID=$AU UID_WRAPPER_INITIAL_EUID=$2 \\
	UID_WRAPPER_INITIAL_SUID=$2 UID_WRAPPER_INITIAL_RGID=$AG \\
	UID_WRAPPER_INITIAL_EGID=$AG UID_WRAPPER_INITIAL_SGID=$AG \\
	UID_WRAPPER_INITIAL_GROUPS=$AG UID_WRAPPER_INITIAL_GROUPS_COUNT=1 \\
	NSS_WRAPPER_PASSWD="$T/passwd" NSS_WRAPPER_GROUP="$T/group" \\
	FAKEYK_KEYS="\$(cat "$T/keys")" FAKEYK_LOG="$T/yk.log" \\
	FAKEYK_TOUCH_MS=50 "$HELPER" "\$@"
EOF
	chmod 4755 "$T/bin/$1"
}
fakehelper helper 0
fakehelper notroot $AU
# stub NAME BODY: a misbehaving helper, root's and mode 4755.
stub() {
	printf '#!/bin/sh\necho "$$" > "%s/stub.pid"\n%s\n' "$T" "$2" > "$T/bin/$1"
	chmod 4755 "$T/bin/$1"
}
stub hang 'exec sleep 100'
stub garbage 'echo "result: PAM_SUCCESS"; exit 0'
stub broken 'printf "cue Touch"; exit 0'
stub chatty 'yes "cue Touch your YubiKey." | head -c 200000; exit 0'
stub exit42 'exit 42'
stub suicide 'kill -9 $$'
cp "$HELPER" "$T/bin/plain"; chmod 755 "$T/bin/plain"
# pam_exec runs this in the application: the states of the application's
# children (a zombie is Z; this script itself is one of them), and its
# ignored signals.
cat > "$T/bin/children" <<EOF
#!/bin/sh
for c in \$(cat /proc/\$PPID/task/*/children); do
	sed 's/.*) \\(.\\) .*/state \\1/' /proc/\$c/stat
done > "$T/children"
grep SigIgn /proc/\$PPID/status >> "$T/children"
EOF
chmod 755 "$T/bin/children"

# ---- the shipped example, paths substituted ------------------------------
EX=$top_srcdir/examples/pam.d/unlock
OPTS="debug debug_file=$T/debug chalresp_helper=$T/bin/helper"
# home: the file as it is; sys: its commented pam_yk line instead of the
# active one.  What it @includes is named by absolute path (Linux-PAM
# 1.5.2 looks for a relative @include in /etc/pam.d even under
# pam_start_confdir): Debian 12's common-auth without pam_cap, and
# pam_unix for the rest.
printf '%s\n' "auth [success=1 default=ignore] pam_unix.so nullok" \
	"auth requisite pam_deny.so" "auth required pam_permit.so" > "$T/pam.d/common-auth"
for t in account password session; do
	echo "$t required pam_unix.so" > "$T/pam.d/common-$t"
done
sed -e "s|^@include \([a-z-]*\)\$|@include $T/pam.d/\1|" \
    -e "s|pam_yk\.so\(.*\)\$|$MODULE\1 $OPTS|" "$EX" > "$T/pam.d/example"
sed -e '/^auth.*pam_yk/d' -e "s|^#auth |auth |; s|/var/yubico|$S|" "$T/pam.d/example" > "$T/pam.d/sys"
grep -v '^#' "$T/pam.d/example" > "$T/pam.d/home"
for i in $(sed -n 's/^@include //p' "$T/pam.d/home"); do
	[ -f "$i" ] || fail "examples/pam.d/unlock includes $i: missing"
done
[ "$(grep -c "^auth.*$MODULE" "$T/pam.d/home")" = 1 ] && ! grep -q chalresp_path "$T/pam.d/home" &&
	[ "$(grep -c "^auth.*$MODULE.*chalresp_path=$S " "$T/pam.d/sys")" = 1 ] &&
	[ "$(grep -c "^auth.*$MODULE" "$T/pam.d/sys")" = 1 ] ||
	fail "the example's lines: $(cat "$T/pam.d/home" "$T/pam.d/sys")"
# pam_unix delays every failure by 2 s, so the cases about pam_yk alone
# use only its line: the service yk.  sysopt NAME OPTIONS...: yk with
# other options.
grep "^auth.*$MODULE" "$T/pam.d/sys" > "$T/pam.d/yk"
sysopt() {
	_n=$1; shift
	sed "s|chalresp_helper=[^ ]*|$*|" "$T/pam.d/yk" > "$T/pam.d/$_n"
}

# drive CODE [pamdrive options] [SERVICE USER [ANSWER]...]: as alice.
AS_ALICE="UID_WRAPPER=1 UID_WRAPPER_INITIAL_RUID=$AU UID_WRAPPER_INITIAL_EUID=$AU
UID_WRAPPER_INITIAL_SUID=$AU UID_WRAPPER_INITIAL_RGID=$AG UID_WRAPPER_INITIAL_EGID=$AG
UID_WRAPPER_INITIAL_SGID=$AG UID_WRAPPER_INITIAL_GROUPS=$AG UID_WRAPPER_INITIAL_GROUPS_COUNT=1"
PRELOAD=$SANLIBS$CRYPTLIB$FAKEYK:$NSSW:$UIDW
drive() {
	_want=$1; shift
	: > "$T/helper.runs"
	_o=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do _o="$_o $1"; shift; done
	[ $# -gt 0 ] && shift || set -- "${svc:-sys}" alice 'correct horse'
	${pre:-} env $AS_ALICE LD_PRELOAD=$PRELOAD "$PAMDRIVE" -p $_o "$T/pam.d" "$@" \
		> "$T/out" 2>&1 || fail "$what: pamdrive: $(cat "$T/out")"
	_got=$(sed -n 's/^result: //p' "$T/out")
	[ "$_got" = "$_want" ] || { cat "$T/out" "$T/debug" >&2; fail "$what: $_got, want $_want"; }
	grep -q "^ids: $AU $AG " "$T/out" || fail "$what: not run as alice: $(grep ids "$T/out")"
	ok "$what: $_got"
}
why() { grep -q -- "$1" "$T/debug" || { cat "$T/out" "$T/debug" >&2; fail "$what: log lacks '$1'"; }; }
said() { grep -q -- "$1" "$T/out" || { cat "$T/out" >&2; fail "$what: the user was not told '$1'"; }; }
ran() {	# ran N: the helper ran N times
	[ "$(wc -l < "$T/helper.runs")" = "$1" ] ||
		fail "$what: the helper ran $(wc -l < "$T/helper.runs") times, want $1"
}
state() { stat -c '%u:%g %a' "$1"; }
ykp() { LD_PRELOAD=$SANLIBS$FAKEYK:$NSSW "$top_builddir/ykpamcfg" "$@"; }

# ===== 1. home files: as the user, no helper =============================
chown -R $AU:$AG "$H"
ykp -2 -u alice > /dev/null || fail "ykpamcfg -u alice"
HF=$H/.yubico/challenge-$CRSERIAL
[ "$(state "$HF")" = "$AU:$AG 600" ] || fail "home file: $(state "$HF")"
svc=home
what="home file, as alice"; drive PAM_SUCCESS; ran 0
what="home file, wrong password"; drive PAM_AUTH_ERR -- home alice wrong; ran 0
svc=

# ===== 2. chalresp_path as the user, through the helper ====================
ykp -2 -u alice -p "$S" > /dev/null || fail "ykpamcfg -p"
ykp -2 -u bob -p "$S" > /dev/null || fail "ykpamcfg -u bob -p"
F=$S/alice-$CRSERIAL
[ "$(state "$F")" = "0:0 600" ] || fail "ykpamcfg's file: $(state "$F")"
cp "$F" "$T/old"; : > "$T/keepenv.log"; : > "$T/debug"
what="chalresp_path as alice"; drive PAM_SUCCESS; ran 1
why "helper: challenge-response login of alice with $F"
cmp -s "$F" "$T/old" && fail "the state was not rotated"
[ "$(state "$F")" = "0:0 600" ] || fail "the rotated file: $(state "$F")"
grep -q '^clearenv$' "$T/keepenv.log" || fail "the helper did not clear its environment"
grep -q "^[0-9]* alice $S 10 Touch your YubiKey to unlock\.\$" "$T/helper.runs" ||
	fail "the helper's arguments: $(cat "$T/helper.runs")"
tmpfiles "$S" && fail "a temporary file was left: $(ls -A "$S")"
what="and again"; drive PAM_SUCCESS
# A name service that folds case: ALICE is alice, and the helper is asked
# for alice (the account's pw_name), not for ALICE.
FOLD=$top_builddir/tests/.libs/foldcase.so
[ -f "$FOLD" ] || fail "no $FOLD"
( PRELOAD=$SANLIBS$CRYPTLIB$FAKEYK:$FOLD:$NSSW:$UIDW
  what="ALICE, folded to alice"; drive PAM_SUCCESS -- yk ALICE; ran 1
  grep -q "^[0-9]* alice $S " "$T/helper.runs" ||
	fail "$what: the helper's arguments: $(cat "$T/helper.runs")" )
what="wrong password, right key"; drive PAM_AUTH_ERR -- sys alice wrong

cp "$F" "$T/old"
keys "$OTHER"
what="another key"; : > "$T/debug"; drive PAM_AUTH_ERR; why "does not match"
cmp -s "$F" "$T/old" || fail "a failed unlock changed the state"
keys "$GOOD:touch2"
: > "$FAKEYK_LOG"
what="a touch slot: two cues through the conversation"; drive PAM_SUCCESS
[ "$(grep -c '^info: Touch your YubiKey to unlock\.$' "$T/out")" = 1 ] &&
	[ "$(grep -c '^info: Touch your YubiKey again' "$T/out")" = 1 ] ||
	fail "expected the two cues: $(cat "$T/out")"
[ "$(grep -c 'touch=1 result=ok' "$FAKEYK_LOG")" = 2 ] || fail "two touches: $(cat "$FAKEYK_LOG")"
what="PAM_SILENT: no cue"; drive PAM_SUCCESS -s
grep -q '^info:' "$T/out" && fail "PAM_SILENT showed a cue" || :
svc=yk
sed -i 's/FAKEYK_TOUCH_MS=50/FAKEYK_TOUCH=timeout FAKEYK_TOUCH_MS=50/' "$T/bin/helper"
cp "$F" "$T/old"
what="a touch that does not come"; drive PAM_AUTH_ERR
cmp -s "$F" "$T/old" || fail "the state changed"
sed -i 's/FAKEYK_TOUCH=timeout //' "$T/bin/helper"
keys ""
what="no key"; : > "$T/debug"; drive PAM_AUTH_ERR; why "no YubiKey"
keys "$GOOD"

# nullok: only "no state file at all" is PAM_IGNORE (pam_permit decides).
mv "$F" "$T/saved"
printf 'auth required %s mode=challenge-response chalresp_path=%s nullok chalresp_helper=%s\nauth required pam_permit.so\n' \
	"$MODULE" "$S" "$T/bin/helper" > "$T/pam.d/null"
what="nullok, no state file"; drive PAM_SUCCESS -- null alice
what="no state file without nullok"; drive PAM_USER_UNKNOWN
mv "$T/saved" "$F"

# ===== 3. the helper refuses what it must ==================================
BF=$S/bob-$CRSERIAL; cp "$BF" "$T/oldbob"
what="alice's process asks for bob"; : > "$T/debug"; drive PAM_AUTH_ERR -- sys bob 'correct horse'
said "the helper $T/bin/helper acts only for the calling user (uid $AU)"
why "bob is not the calling user"
cmp -s "$BF" "$T/oldbob" || fail "bob's state changed"

chown $AU "$F"
what="a state file owned by the user"; : > "$T/debug"; drive PAM_AUTH_ERR; why "$F has the wrong owner"
chown 0 "$F"; chmod 640 "$F"; chgrp $AG "$F"; chmod 660 "$F"
what="a group-writable state file"; : > "$T/debug"; drive PAM_AUTH_ERR; why "writable by group"
chown 0:0 "$F"; chmod 600 "$F"; mv "$F" "$S/real"; ln -s real "$F"
what="a symbolic link"; : > "$T/debug"; drive PAM_AUTH_ERR; why "symbolic link"
rm "$F"; mv "$S/real" "$F"
chmod 770 "$S"
what="a group-writable chalresp_path"; : > "$T/debug"; drive PAM_AUTH_ERR; why "writable by group"
chmod 700 "$S"
chmod 644 "$F"
what="a state file others can read (and flock)"; : > "$T/debug"; drive PAM_AUTH_ERR
why "readable by group or others.*chmod 600"
chmod 600 "$F"
what="back to good"; drive PAM_SUCCESS

# The caller's RLIMIT_FSIZE=0 (no log files, so that only the save can
# meet it): the helper lifts it, saves, and leaves nothing behind.  With
# the hard limit 0 too it needs CAP_SYS_RESOURCE (a container may lack
# it): then it must refuse before touching any file.
fakehelper fsize 0
sed -i 's/^exec env -i /ulimit -S -f 0\nexec env -i /; s/KEEPENV_LOG="[^"]*" //; s/FAKEYK_LOG="[^"]*" //' "$T/bin/fsize"
grep -q '^ulimit -S -f 0$' "$T/bin/fsize" || fail "the fsize helper: $(cat "$T/bin/fsize")"
sysopt fsize "chalresp_helper=$T/bin/fsize"
cp "$F" "$T/old"
what="the helper under a soft RLIMIT_FSIZE=0"; drive PAM_SUCCESS -- fsize alice
cmp -s "$F" "$T/old" && fail "$what: the state was not rotated"
tmpfiles "$S" && fail "$what left a temporary file: $(ls -A "$S")"
sed -i 's/^ulimit -S -f 0$/ulimit -f 0/' "$T/bin/fsize"
cp "$F" "$T/old"; : > "$T/debug"
what="the helper under a hard RLIMIT_FSIZE=0"
if grep -q '^CapEff:.*' /proc/self/status && [ $(( 0x$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status) >> 24 & 1 )) = 1 ]; then
	drive PAM_SUCCESS -- fsize alice
else
	drive PAM_AUTH_ERR -- fsize alice; why "hard RLIMIT_FSIZE is too low"
	cmp -s "$F" "$T/old" || fail "$what: the state changed"
fi
tmpfiles "$S" && fail "$what left a temporary file: $(ls -A "$S")"

# ===== 4. a missing or broken helper denies, with a message ===============
cp "$F" "$T/old"
bad() {	# bad NAME MESSAGE
	sysopt "$1" "chalresp_helper=$T/bin/$1"
	what="helper $1"; : > "$T/debug"; drive PAM_AUTH_ERR -- "$1" alice
	said "^error: pam_yk: cannot read $S/alice-\\* as alice: the helper $T/bin/$1 $2"
	why "cannot read $S/alice-\\* as alice: the helper $T/bin/$1 $2"
	cmp -s "$F" "$T/old" || fail "$what changed the state"
}
bad missing "is not installed\$"
bad plain "is not installed setuid root\$"
bad notroot "does not run as root"
bad garbage "sent an unexpected reply"
bad broken "sent a broken reply"
bad chatty "sent too much"
bad exit42 "exited with the unknown status 42"
bad suicide "was killed by signal 9"
sysopt quiet "chalresp_helper=$T/bin/missing"
what="helper missing, PAM_SILENT"; drive PAM_AUTH_ERR -s -- quiet alice
grep -q '^error:' "$T/out" && fail "PAM_SILENT showed an error"
grep -q "the helper $T/bin/missing is not installed" "$T/debug" || fail "not logged"

# A helper that hangs is killed after timeout= + 10 s and reaped: no zombie.
sysopt hang "chalresp_helper=$T/bin/hang timeout=1"
printf 'auth optional pam_exec.so %s\n' "$T/bin/children" >> "$T/pam.d/hang"
t0=$(now_ms)
what="a helper that hangs"; : > "$T/debug"; drive PAM_AUTH_ERR -- hang alice
t=$(($(now_ms) - t0))
said "the helper $T/bin/hang did not finish in time and was killed"
[ $t -ge 10500 ] && [ $t -lt 20000 ] || fail "killed after $t ms, want 11 s"
grep -q '^state [RS]' "$T/children" || fail "pam_exec saw no children: $(cat "$T/children")"
grep -q '^state Z' "$T/children" && fail "a zombie was left: $(cat "$T/children")"
kill -0 "$(cat "$T/stub.pid")" 2>/dev/null && fail "the hanging helper still runs"
ok "killed after $t ms, reaped"

# An application that ignores SIGCHLD: its children are reaped by the
# kernel, unless pam_yk puts SIGCHLD to default while it waits.
sysopt sigchld "chalresp_helper=$T/bin/helper"
printf 'auth optional pam_exec.so %s\n' "$T/bin/children" >> "$T/pam.d/sigchld"
what="SIGCHLD ignored by the application"
pre="perl -e \$SIG{CHLD}=q(IGNORE);system(@ARGV);exit(0)" drive PAM_SUCCESS -- sigchld alice
sig=$(sed -n 's/^SigIgn:[[:space:]]*//p' "$T/children")
[ $(( 0x$sig & 0x10000 )) != 0 ] || fail "SIGCHLD no longer ignored afterwards: $sig"

# ===== 5. as root the module reads the files itself ======================
what="as root: no helper"
: > "$T/helper.runs"
LD_PRELOAD=$PRELOAD "$PAMDRIVE" "$T/pam.d" sys alice 'correct horse' > "$T/out" 2>&1
grep -q '^result: PAM_SUCCESS$' "$T/out" || fail "$what: $(cat "$T/out")"
ran 0; ok "$what"

# ===== 6. a real setuid-root helper, run by nobody ========================
real_setuid() {
	R=$T/real; mkdir -m 755 "$R"
	cp "$HELPER" "$R/pam_yk_chalresp"; chmod 4755 "$R/pam_yk_chalresp"
	nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
	rc=0; nobody "$R/pam_yk_chalresp" nobody /nonexistent 10 >/dev/null 2>&1 || rc=$?
	[ $rc = 65 ] && { echo "SKIP (part): $R is on a nosuid mount"; return; }
	nobody test -r "$MODULE" -a -x "$PAMDRIVE" ||
		{ echo "SKIP (part): nobody cannot read the build tree"; return; }
	RS=$R/state; mkdir -m 700 "$RS"
	sed -n 1p "$F" > "$RS/nobody-$CRSERIAL"; chmod 600 "$RS/nobody-$CRSERIAL"
	cp "$RS/nobody-$CRSERIAL" "$T/oldn"
	# The caller's environment is cleared: libusb would print its debug.
	rc=0
	nobody env LIBUSB_DEBUG=4 "$R/pam_yk_chalresp" nobody "$RS" 10 \
		> "$T/rout" 2> "$T/rerr" || rc=$?
	grep -q 'libusb' "$T/rerr" "$T/rout" && fail "the helper kept LIBUSB_DEBUG: $(head -3 "$T/rerr")"
	case $rc in 3|5) ;; *) fail "real setuid helper: exit $rc: $(cat "$T/rout" "$T/rerr")" ;; esac
	grep -q 'challenge-response for nobody denied' "$T/rout" || fail "real: $(cat "$T/rout")"
	ok "real setuid: clean environment, no key found, exit $rc"
	rc=0; nobody "$R/pam_yk_chalresp" daemon "$RS" 10 > "$T/rout" 2>&1 || rc=$?
	[ $rc = 66 ] && grep -q 'daemon is not the calling user' "$T/rout" ||
		fail "real setuid helper for daemon: exit $rc: $(cat "$T/rout")"
	ok "real setuid: refuses another user"
	mkdir -m 700 "$R/closed"; mkdir -m 700 "$R/closed/state"
	rc=0; nobody "$R/pam_yk_chalresp" nobody "$R/closed/state" 10 > "$T/rout" 2>&1 || rc=$?
	[ $rc = 4 ] && grep -q 'cannot reach' "$T/rout" ||
		fail "real setuid helper, a directory nobody cannot reach: exit $rc: $(cat "$T/rout")"
	ok "real setuid: resolves DIR with the caller's rights"
	printf 'auth required %s mode=challenge-response chalresp_path=%s chalresp_helper=%s debug debug_file=%s\n' \
		"$MODULE" "$RS" "$R/pam_yk_chalresp" "$T/debug" > "$T/pam.d/real"
	: > "$T/debug"
	nobody "$PAMDRIVE" "$T/pam.d" real nobody > "$T/out" 2>&1 || fail "pamdrive as nobody: $(cat "$T/out")"
	grep -q '^result: PAM_AUTH_ERR$\|^result: PAM_SYSTEM_ERR$' "$T/out" &&
		grep -q 'helper: challenge-response for nobody denied' "$T/debug" ||
		fail "pam_yk as nobody: $(cat "$T/out" "$T/debug")"
	cmp -s "$RS/nobody-$CRSERIAL" "$T/oldn" || fail "the state changed"
	ok "real setuid: pam_yk as nobody ran it: $(sed -n 's/^result: //p' "$T/out")"
	nobody "$PAMDRIVE" "$T/pam.d" real daemon > "$T/out" 2>&1 || fail "pamdrive: $(cat "$T/out")"
	grep -q '^result: PAM_AUTH_ERR$' "$T/out" && grep -q 'acts only for the calling user' "$T/out" ||
		fail "pam_yk as nobody for daemon: $(cat "$T/out")"
	ok "real setuid: pam_yk as nobody cannot check daemon"
}
if command -v setpriv >/dev/null && getent passwd nobody >/dev/null &&
    getent passwd daemon >/dev/null && getent group nogroup >/dev/null; then
	real_setuid
else
	echo "SKIP (part): no setpriv, nobody, daemon or nogroup"
fi
