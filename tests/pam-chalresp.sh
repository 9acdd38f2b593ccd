#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# mode=challenge-response through a real PAM stack, with YubiKeys emulated
# at libykpers' boundary (LD_PRELOAD of tests/fakeykpers.so), ykpamcfg, and
# Debian's pam_yubico reading what pam_yk writes.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

NSSW=$(wrapper nss_wrapper)
UIDW=$(wrapper uid_wrapper)
[ -f "$FAKEYK" ] || fail "no $FAKEYK"
[ -n "$NSSW" ] || skip "libnss-wrapper is not installed"
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
H=$T/home/alice; D=$H/.yubico
mkdir -p "$D"
printf 'alice:x:%s:%s:Alice:%s:/bin/sh\nroot:x:0:0:root:/root:/bin/sh\n' $AU $AG "$H" > "$T/passwd"
printf 'alice:x:%s:\nroot:x:0:\n' $AG > "$T/group"
NSS_WRAPPER_PASSWD=$T/passwd NSS_WRAPPER_GROUP=$T/group
FAKEYK_KEYS="$CRSERIAL:$CRSECRET:$CRSECRET"
FAKEYK_LOG=$T/yk.log
export NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP FAKEYK_KEYS FAKEYK_LOG
own() { [ $ROOT = yes ] && chown -R $AU:$AG "$H" || :; }
: > "$T/debug"; chmod 666 "$T/debug"
service cr "auth required $MODULE mode=challenge-response debug debug_file=$T/debug"
service crnull "auth required $MODULE mode=challenge-response nullok" "auth required pam_permit.so"
F=$D/challenge-$CRSERIAL

# drive CODE [pamdrive options]: log in as alice; privileges must be back.
drive() {
	_want=$1; shift
	LD_PRELOAD=$PRELOAD "$PAMDRIVE" -p "$@" "$T/pam.d" "${svc:-cr}" "${as:-alice}" \
		> "$T/out" 2>&1 || fail "pamdrive: $(cat "$T/out")"
	_got=$(sed -n 's/^result: //p' "$T/out")
	_ids=$(sed -n 's/^ids: //p' "$T/out")
	[ "$_got" = "$_want" ] || { cat "$T/out" "$T/debug" >&2; fail "$what: $_got, want $_want"; }
	case "$_ids" in "0 0 "*) ;; *) fail "$what: privileges not restored: $_ids" ;; esac
	ok "$what: $_got"
}
why() { grep -q "$1" "$T/debug" || { cat "$T/debug" >&2; fail "$what: log lacks '$1'"; }; }
valid() {	# valid FILE: a v2 state that the emulated key answers
	grep -Eqx 'v2:[0-9a-f]{126}:[0-9a-f]{40}:[0-9a-f]{64}:[0-9]+:[12]' "$1" ||
		fail "not a v2 state: $(cat "$1")"
}

# Independent of our code: HMAC and PBKDF2 by the openssl command line.
hmac() { printf '%s' "$2" | xxd -r -p | openssl mac -digest SHA1 -macopt hexkey:$1 HMAC | tr A-F a-f; }
pbkdf2() { openssl kdf -keylen 20 -kdfopt digest:SHA1 -kdfopt pass:$1 -kdfopt hexsalt:$2 -kdfopt iter:$3 PBKDF2 | tr -d ':' | tr A-F a-f; }
# challenge: 63 random bytes in hex, the last one not 0x00.  A YubiKey
# (and fakeykpers) drops a short challenge's trailing zero bytes before the
# HMAC, as pam_yubico's own files reflect; openssl below MACs all 63.
challenge() { printf '%s5a' "$(head -c 62 /dev/urandom | xxd -p | tr -d '\n')"; }
# v2_line SECRET SLOT ITER: a state file as pam_yubico's ykpamcfg writes it
v2_line() {
	_c=$(challenge)
	_s=$(head -c 32 /dev/urandom | xxd -p | tr -d '\n')
	_r=$(hmac $1 $_c)
	echo "v2:$_c:$(pbkdf2 $_r $_s $3):$_s:$3:$2"
}

# --- pam_yubico's own files (chalresp-vectors.md) are accepted and rotated
printf 'v2:f480e5d374cd0b83bdba50a240bdc35a254b66ed106a4641eb50e99cf9eb62628e2ddab74bd0a28a7972f237f539fccf3715d664ddf93f7f5d7e0a831b7e7e:0c78170e6024b63de153ac8af75f7457c448d018:b8c6d50e3771626e0bae77a7de4915fca8742442908d4205e161245a93f2a129:10000:2\n' > "$F"
chmod 600 "$F"; own
cp "$F" "$T/old"
what="ykpamcfg 2.26's v2 file (slot 2)"; drive PAM_SUCCESS
valid "$F"; cmp -s "$F" "$T/old" && fail "the state was not rotated"
grep -q ':10000:2$' "$F" || fail "iterations or slot changed: $(cat "$F")"
what="the rotated state"; drive PAM_SUCCESS
what="v2, slot 1, 1000 iterations, made by openssl"; v2_line $CRSECRET 1 1000 > "$F"; drive PAM_SUCCESS
grep -q ':1000:1$' "$F" || fail "iterations or slot changed"
c=$(challenge)
printf 'v1:%s:%s:2\n' "$c" "$(hmac "$CRSECRET" "$c")" > "$F"
what="a v1 file is accepted and upgraded"; drive PAM_SUCCESS
grep -q ':10000:2$' "$F" && valid "$F" || fail "v1 not upgraded: $(cat "$F")"

# --- a wrong secret: denied, the file byte for byte unchanged
v2_line 00112233445566778899aabbccddeeff00112233 2 1000 > "$F"; cp "$F" "$T/old"
what="another key's state"; : > "$T/debug"; drive PAM_AUTH_ERR; why "does not match"
cmp -s "$F" "$T/old" || fail "a failed login changed the state"

# --- files that must be refused
bad() {	# bad WHAT CONTENT
	printf '%s' "$2" > "$F"; chmod 600 "$F"; own
	what=$1; : > "$T/debug"; drive PAM_AUTH_ERR
}
good=$(v2_line $CRSECRET 2 1000)
bad "a truncated file" "$(printf '%s' "$good" | cut -c1-100)"
bad "an odd-length digest" "$(printf '%s' "$good" | sed 's/:\([0-9a-f]\{40\}\):/:\1f:/')"
bad "zero iterations" "$(printf '%s' "$good" | sed 's/:1000:/:0:/')"
bad "slot 3" "$(printf '%s' "$good" | sed 's/:2$/:3/')"
bad "trailing garbage" "$good junk"
bad "two lines" "$good
$good"
printf '%s\n' "$good" > "$F"; own; chmod 620 "$F"
what="a group-writable file"; : > "$T/debug"; drive PAM_AUTH_ERR; why "writable by group"
for m in 644 640 604; do
	chmod $m "$F"
	what="a file others can read (and flock): $m"; : > "$T/debug"
	drive PAM_AUTH_ERR; why "readable by group or others.*chmod 600"
done
chmod 600 "$F"
if [ $ROOT = yes ]; then
	chown 4343 "$F"; chmod 644 "$F"
	what="someone else's file"; : > "$T/debug"; drive PAM_AUTH_ERR; why "wrong owner"
	chown $AU:$AG "$F"; chmod 600 "$F"
fi
mv "$F" "$D/real"; ln -s real "$F"
what="a symlink"; : > "$T/debug"; drive PAM_AUTH_ERR; why "symbolic link"
rm "$F"; mkfifo "$F"; own
# A writer blocks until someone opens the FIFO: it must still be waiting.
( : > "$F" ) 2>/dev/null & wpid=$!
sleep 0.2
what="a FIFO"; : > "$T/debug"; drive PAM_AUTH_ERR; why "not a regular file"
kill -0 $wpid 2>/dev/null || fail "the module opened the FIFO"
kill $wpid; wait $wpid 2>/dev/null || :
rm "$F"; mv "$D/real" "$F"
what="back to a good file"; drive PAM_SUCCESS
# A directory user in 1000 groups (more than the 256 of old): the drop to
# alice takes them all.
cp "$T/group" "$T/group.few"
i=0; while [ $i -lt 1000 ]; do
	printf 'g%d:x:%d:alice\n' $i $((20000 + i)); i=$((i + 1))
done >> "$T/group"
what="alice in 1000 groups"; drive PAM_SUCCESS
cp "$T/group.few" "$T/group"

# --- keys: none, two, touch, timeout, USB error
cp "$F" "$T/old"
( FAKEYK_KEYS=; export FAKEYK_KEYS
  what="no YubiKey"; : > "$T/debug"; drive PAM_AUTH_ERR; why "no YubiKey" )
( FAKEYK_KEYS="7654321:$CRSECRET:$CRSECRET"; export FAKEYK_KEYS
  what="another key only"; : > "$T/debug"; drive PAM_AUTH_ERR
  why "no state file for the connected" )
( FAKEYK_KEYS="7654321:00112233445566778899aabbccddeeff00112233:00112233445566778899aabbccddeeff00112233;$CRSERIAL:$CRSECRET:$CRSECRET"
  export FAKEYK_KEYS; what="two keys: the one with a state file"; drive PAM_SUCCESS )
: > "$FAKEYK_LOG"
( FAKEYK_KEYS="$CRSERIAL:$CRSECRET:$CRSECRET:touch2"; export FAKEYK_KEYS
  what="a touch slot: the cue, two touches"; drive PAM_SUCCESS
  [ "$(grep -c '^prompt\|^info: Touch your YubiKey' "$T/out")" = 2 ] ||
	fail "expected two touch cues: $(cat "$T/out")"
  drive PAM_SUCCESS -s; grep -q '^info:' "$T/out" && fail "PAM_SILENT showed a cue" || :
  cp "$F" "$T/old"
  FAKEYK_TOUCH=timeout; export FAKEYK_TOUCH
  what="a touch that does not come"; drive PAM_AUTH_ERR
  cmp -s "$F" "$T/old" || fail "a timed-out login changed the state" )
cp "$F" "$T/old"
for n in 1 2; do
	( FAKEYK_USBERR_AT=$n; export FAKEYK_USBERR_AT
	  what="a USB error on challenge $n of 2"; : > "$T/debug"; drive PAM_AUTH_ERR
	  why "USB\|usb\|I/O\|Input/output" )
	cmp -s "$F" "$T/old" || fail "a USB error changed the state"
done
what="the old state still works"; drive PAM_SUCCESS

# --- rotation failing on a read-only directory denies; the old state works
cp "$F" "$T/old"; chmod 555 "$D"
what="read-only directory"; : > "$T/debug"; drive PAM_AUTH_ERR; why "temporary file"
grep -q '^error: Your YubiKey answered, but the next challenge could not be saved' "$T/out" ||
	fail "the user was not told why: $(cat "$T/out")"
chmod 755 "$D"
cmp -s "$F" "$T/old" || fail "the state changed"
what="after the directory is writable again"; drive PAM_SUCCESS
[ -z "$(find "$D" -maxdepth 1 -name '.challenge*')" ] ||
	fail "a temporary file was left behind"

# --- a file size limit (RLIMIT_FSIZE=0): denied before any file is made
cp "$F" "$T/old"
# (no debug_file or FAKEYK_LOG: appending to them would meet the limit)
service crquiet "auth required $MODULE mode=challenge-response"
prlimit --fsize=0 env -u FAKEYK_LOG LD_PRELOAD=$PRELOAD "$PAMDRIVE" -p "$T/pam.d" crquiet alice 2>&1 | cat > "$T/out"
grep -q '^result: PAM_AUTH_ERR' "$T/out" || fail "RLIMIT_FSIZE=0: $(cat "$T/out")"
tmpfiles "$D" && fail "RLIMIT_FSIZE=0 left a temporary file"
cmp -s "$F" "$T/old" || fail "RLIMIT_FSIZE=0 changed the state"
ok "RLIMIT_FSIZE=0: denied, nothing left behind"
what="a stale temporary file is replaced"; printf 'junk' > "$D/.challenge-$CRSERIAL.tmp"; own
drive PAM_SUCCESS
tmpfiles "$D" && fail "the stale temporary file is still there"

# --- nullok: only a missing file is 'nothing to check'
svc=crnull
rm "$F"
what="nullok, no state file (ignored)"; drive PAM_SUCCESS
if [ $ROOT = yes ]; then
	chmod 000 "$D"
	what="nullok, unreadable directory (denied)"; drive PAM_AUTH_ERR
	chmod 755 "$D"
fi
svc=
what="no state file without nullok"; drive PAM_USER_UNKNOWN

# --- ykpamcfg, then a login
ykp() { LD_PRELOAD=$PRELOAD "$top_builddir/ykpamcfg" "$@"; }
if [ $ROOT = yes ]; then
	ykp -2 -u alice > "$T/ykp.out" || fail "ykpamcfg -u alice: $(cat "$T/ykp.out")"
else
	UID_WRAPPER_ROOT='' ykp -2 > "$T/ykp.out" 2>&1 ||
		LD_PRELOAD=$PRELOAD "$top_builddir/ykpamcfg" -2 -u alice > "$T/ykp.out" ||
		fail "ykpamcfg: $(cat "$T/ykp.out")"
fi
grep -q "Stored initial challenge and expected response in '$F'" "$T/ykp.out" ||
	fail "ykpamcfg said: $(cat "$T/ykp.out")"
[ "$(stat -c %a "$F")" = 600 ] && [ "$(stat -c %u "$F")" = $AU ] ||
	fail "ykpamcfg's file: $(stat -c '%a %u' "$F")"
what="ykpamcfg, then a login"; drive PAM_SUCCESS
cp "$F" "$T/old"
ykp -2 -u alice > "$T/ykp.out" 2>&1 && fail "ykpamcfg overwrote a file without --force"
cmp -s "$F" "$T/old" || fail "the refused ykpamcfg changed the file"
tmpfiles "$D" && fail "the refused ykpamcfg left a temporary file"
ykp -1 -u alice --force --json > "$T/ykp.json" || fail "--force"
grep -q '"slot": 1' "$T/ykp.json" && grep -q "\"serial\": $CRSERIAL" "$T/ykp.json" ||
	fail "--json: $(cat "$T/ykp.json")"
what="after ykpamcfg --force on slot 1"; drive PAM_SUCCESS
# ykpamcfg's file survives a crash: after the rename (--force) or the
# link (a new file), the directory is fsynced too (seen with strace;
# LeakSanitizer cannot run under ptrace, the other sanitizers can).
if command -v strace >/dev/null; then
	for force in --force new; do
		[ $force = --force ] || rm -f "$F"
		strace -qq -e trace=openat,fsync -E LD_PRELOAD="$PRELOAD" \
			-E ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" -o "$T/strace" \
			"$top_builddir/ykpamcfg" -2 -u alice ${force#new} > "$T/ykp.out" 2>&1 ||
			fail "ykpamcfg ($force) under strace: $(cat "$T/ykp.out")"
		dfd=$(sed -n "s|^openat(AT_FDCWD, \"$D\", [^)]*O_DIRECTORY[^)]*) *= \([0-9][0-9]*\)\$|\1|p" "$T/strace" | tail -n 1)
		[ -n "$dfd" ] && grep -q "^fsync($dfd) *= 0" "$T/strace" ||
			{ cat "$T/strace" >&2; fail "ykpamcfg ($force) did not fsync $D"; }
		ok "ykpamcfg ($force) fsyncs the directory"
	done
	what="after ykpamcfg under strace"; drive PAM_SUCCESS
else
	echo "SKIP (part): no strace: the directory fsync of ykpamcfg is not checked"
fi
# ykpamcfg --force takes the lock that a login holds while it rotates the
# file (the two share the temporary name): it waits for the holder.
if command -v flock >/dev/null; then
	rm -f "$T/locked" "$T/released"
	flock "$F" sh -c 'echo x > "$1"; sleep 1; echo x > "$2"' sh \
		"$T/locked" "$T/released" &
	fpid=$!; _pids="$_pids $fpid"
	wait_for_file "$T/locked" $fpid || fail "flock did not take the lock"
	ykp -2 -u alice --force > "$T/ykp.out" 2>&1 ||
		fail "ykpamcfg --force under a lock: $(cat "$T/ykp.out")"
	[ -s "$T/released" ] || fail "ykpamcfg --force did not wait for the lock"
	wait $fpid
	ok "ykpamcfg --force waits for a login's lock"
	what="after ykpamcfg --force waited"; drive PAM_SUCCESS
fi
(FAKEYK_KEYS="$CRSERIAL:$CRSECRET:"; export FAKEYK_KEYS
 ! ykp -2 -u alice --force > "$T/ykp.out" 2>&1) || fail "ykpamcfg accepted an unconfigured slot"
grep -qi 'slot 2' "$T/ykp.out" || fail "unclear error: $(cat "$T/ykp.out")"
(FAKEYK_KEYS=; export FAKEYK_KEYS
 ! ykp -2 -u alice --force > "$T/ykp.out" 2>&1) || fail "no key accepted"
grep -q 'no YubiKey' "$T/ykp.out" || fail "unclear error: $(cat "$T/ykp.out")"
rc=0; ykp --bogus > /dev/null 2>&1 || rc=$?
[ $rc = 2 ] || fail "a wrong option must exit 2, not $rc"
ykp -i 1000001 > /dev/null 2>&1 && fail "-i 1000001 accepted"
ok "ykpamcfg: --force, --json, errors"

# --- 20 logins in parallel for one user: they take turns, none is lost
i=0; while [ $i -lt 20 ]; do
	LD_PRELOAD=$PRELOAD "$PAMDRIVE" "$T/pam.d" cr alice > "$T/par.$i" 2>&1 &
	i=$((i + 1))
done
wait
n=$(cat "$T"/par.* | grep -c '^result: PAM_SUCCESS')
[ "$n" = 20 ] || fail "only $n of 20 parallel logins succeeded: $(cat "$T"/par.* | sort | uniq -c)"
valid "$F"
what="after 20 parallel logins"; drive PAM_SUCCESS

# --- kill -9 in the middle of rotation: the old or the new state, never less
FAKEYK_KEYS="$CRSERIAL:$CRSECRET:$CRSECRET:touch1"; FAKEYK_TOUCH_MS=40
export FAKEYK_KEYS FAKEYK_TOUCH_MS
k=0; while [ $k -lt 12 ]; do
	LD_PRELOAD=$PRELOAD "$PAMDRIVE" "$T/pam.d" cr alice > /dev/null 2>&1 &
	p=$!
	sleep 0.0$((k % 10 + 1))
	kill -9 $p 2>/dev/null || :
	wait $p 2>/dev/null || :
	valid "$F"
	k=$((k + 1))
done
[ "$(find "$D" -maxdepth 1 -name '.challenge*' | wc -l)" -le 1 ] || fail "kills left several temporary files"
what="after 12 logins killed at random points"; drive PAM_SUCCESS
tmpfiles "$D" && fail "a temporary file was left behind"

# --- chalresp_path: root's files, read as root; pam_yubico reads ours
if [ $ROOT = yes ]; then
	S=$T/var-yubico; mkdir -m 700 "$S"
	service sys "auth required $MODULE mode=challenge-response chalresp_path=$S"
	FAKEYK_KEYS="$CRSERIAL:$CRSECRET:$CRSECRET"; export FAKEYK_KEYS
	ykp -2 -u alice -p "$S" > /dev/null || fail "ykpamcfg -p"
	[ "$(stat -c %u "$S/alice-$CRSERIAL")" = 0 ] || fail "-p file not root's"
	svc=sys what="chalresp_path"; drive PAM_SUCCESS
	chown $AU "$S/alice-$CRSERIAL"
	svc=sys what="chalresp_path file owned by the user"; drive PAM_AUTH_ERR
	chown 0 "$S/alice-$CRSERIAL"
	chmod 777 "$S"
	svc=sys what="a world-writable chalresp_path"; drive PAM_AUTH_ERR
	chmod 700 "$S"

	# A name service that folds case (SSSD case_sensitive=false): ALICE
	# is alice, and must find alice's file (nullok must not pass her).
	FOLD=$top_builddir/tests/.libs/foldcase.so
	[ -f "$FOLD" ] || fail "no $FOLD"
	service sysnull "auth required $MODULE mode=challenge-response chalresp_path=$S nullok debug debug_file=$T/debug" "auth required pam_permit.so"
	( PRELOAD=${SAN_PRELOAD:+$SAN_PRELOAD:}$FAKEYK:$FOLD:$preload
	  FAKEYK_KEYS=; export FAKEYK_KEYS
	  svc=sysnull as=ALICE what="ALICE, folded to alice, without a key"
	  : > "$T/debug"; drive PAM_AUTH_ERR; why "no YubiKey"
	  svc=sysnull as=ALICE what="ALICE, folded to alice, with alice's key"
	  FAKEYK_KEYS="$CRSERIAL:$CRSECRET:$CRSECRET"; drive PAM_SUCCESS )

	# The account alice-SERIAL must not take alice's file for that key
	# as its own serial-less file, whichever key it brings.
	printf 'alice-%s:x:4244:4242:A:%s:/bin/sh\n' $CRSERIAL "$H" >> "$T/passwd"
	( FAKEYK_KEYS="7654321:$CRSECRET:$CRSECRET"; export FAKEYK_KEYS
	  svc=sysnull as=alice-$CRSERIAL what="alice-$CRSERIAL and alice's file"
	  : > "$T/debug"; drive PAM_AUTH_ERR; why "named like another account" )
	svc=sys what="alice still uses alice-$CRSERIAL"; drive PAM_SUCCESS

	# ykpamcfg writes only where the module reads.
	mkdir -m 1777 "$T/sticky"; mkdir -m 700 "$T/bobs"; chown 4343 "$T/bobs"
	mkdir -m 770 "$T/grp"
	for d in "$T/sticky" "$T/bobs" "$T/grp"; do
		ykp -2 -u alice -p "$d" > "$T/ykp.out" 2>&1 &&
			fail "ykpamcfg -p $d: $(cat "$T/ykp.out")"
		grep -q "pam_yk would refuse it" "$T/ykp.out" || fail "ykpamcfg -p $d: $(cat "$T/ykp.out")"
		[ -z "$(ls -A "$d")" ] || fail "ykpamcfg wrote into $d"
	done
	ykp -2 -u alice -p '' > "$T/ykp.out" 2>&1 && fail "ykpamcfg -p '' accepted"
	[ -e "/alice-$CRSERIAL" ] && { rm -f "/alice-$CRSERIAL"; fail "ykpamcfg -p '' wrote into /"; }
	ykp -2 -u alice -p "$S//" > "$T/ykp.out" 2>&1 && fail "ykpamcfg -p DIR// accepted"
	ykp -2 -u alice-$CRSERIAL -p "$S" > "$T/ykp.out" 2>&1 || fail "ykpamcfg for alice-$CRSERIAL: $(cat "$T/ykp.out")"
	cp "$S/alice-$CRSERIAL" "$T/old"
	( FAKEYK_KEYS="0:$CRSECRET:$CRSECRET"; export FAKEYK_KEYS
	  ! ykp -2 -u alice-$CRSERIAL -p "$S" --force > "$T/ykp.out" 2>&1 ) ||
		fail "ykpamcfg made a serial-less file for alice-$CRSERIAL"
	grep -q "serial-api-visible" "$T/ykp.out" || fail "unclear: $(cat "$T/ykp.out")"
	cmp -s "$S/alice-$CRSERIAL" "$T/old" || fail "ykpamcfg overwrote alice's file"
	[ -e "$S/alice-$CRSERIAL-$CRSERIAL" ] || fail "ykpamcfg did not write alice-$CRSERIAL-$CRSERIAL"
	ykp -2 -u alice -p "$S" --force > "$T/ykp.out" 2>&1 || fail "ykpamcfg --force -p: $(cat "$T/ykp.out")"
	tmpfiles "$S" && fail "ykpamcfg --force left a temporary file"
	ok "ykpamcfg -p: only into a directory pam_yk reads"
	svc=sys what="after ykpamcfg --force -p"; drive PAM_SUCCESS
	if [ -f /lib/security/pam_yubico.so ]; then
		service yubico "auth required /lib/security/pam_yubico.so mode=challenge-response chalresp_path=$S"
		svc=yubico what="pam_yubico reads the state pam_yk wrote"; drive PAM_SUCCESS
		svc=sys what="pam_yk reads the state pam_yubico wrote"; drive PAM_SUCCESS
		svc=yubico what="and back again"; drive PAM_SUCCESS
	fi
	svc=
fi
