#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Two-factor SSH with real OpenSSH: a real sshd on a loopback port, with the
# shipped examples/pam.d/sshd* as its PAM service and the shipped
# examples/sshd_config.d/* lines, and a real ssh client that answers the
# keyboard-interactive prompts through SSH_ASKPASS.  OTPs are checked by
# ykvald on loopback.  /etc/pam.d and the machine's users are not touched:
# sshd runs under pam_wrapper (service directory in $T) and nss_wrapper
# (users in $T).  Needs root (sshd must switch to the user).
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" = 0 ] || skip "sshd must run as root"
SSHD=$(command -v sshd || ls /usr/sbin/sshd 2>/dev/null || :)
[ -n "$SSHD" ] && command -v ssh >/dev/null && command -v ssh-keygen >/dev/null ||
	skip "openssh-server and openssh-client are not installed"
PAMW=$(wrapper pam_wrapper)
NSSW=$(wrapper nss_wrapper)
[ -n "$PAMW" ] && [ -n "$NSSW" ] || skip "libpam-wrapper or libnss-wrapper is not installed"
EX=$(cd "$top_srcdir/examples" && pwd)
FAKEVAL=$top_builddir/tests/fakeval

# sshd's privilege separation directory is compiled in (/run/sshd); make
# it only if it is missing, and remove only what we made.
PRIVSEP=/run/sshd
made_privsep=no
if [ ! -d $PRIVSEP ]; then
	mkdir -m 755 $PRIVSEP
	made_privsep=yes
fi
SSHD_PID=
stop_sshd() {
	[ -z "$SSHD_PID" ] || { kill -TERM "$SSHD_PID" 2>/dev/null || :; wait "$SSHD_PID" 2>/dev/null || :; }
	SSHD_PID=
}
trap 'stop_sshd; [ $made_privsep = no ] || rmdir $PRIVSEP 2>/dev/null; cleanup' EXIT

chmod 755 "$T"
# --- users: alice (mapped to the test key), bob (no key mapped)
PW=hunter2
HASH=$(openssl passwd -6 "$PW")
mkdir -p "$T/home/alice" "$T/home/bob"
chown 4242:4242 "$T/home/alice"; chown 4243:4243 "$T/home/bob"
cat > "$T/passwd" <<EOF
root:x:0:0:root:/root:/bin/sh
sshd:x:100:65534::$PRIVSEP:/usr/sbin/nologin
alice:$HASH:4242:4242:Alice:$T/home/alice:/bin/sh
bob:$HASH:4243:4243:Bob:$T/home/bob:/bin/sh
EOF
printf 'root:x:0:\nnogroup:x:65534:\nalice:x:4242:\nbob:x:4243:\n' > "$T/group"
printf 'alice:%s\n' $PUB > "$T/mappings"
chmod 644 "$T/mappings"

# --- the validation server and pam_yk's conf= file (root's, 0600)
new_db "$T/db"
start_ykvald "$T/db"
set_url() { printf 'id=1\nkey=%s\nurllist=%s\n%s\n' "$CKEY" "$1" "$VOPT" > "$T/pam_yk.conf"; chmod 600 "$T/pam_yk.conf"; }
set_url "$URL"

# --- PAM services: the shipped files, with only paths changed (and
# timeout=8 shortened to 3 to keep the test quick).  What they @include is
# named by absolute path: Linux-PAM 1.5.2 looks for a relative @include in
# /etc/pam.d even under pam_wrapper.  Minimal stand-ins for Debian's
# common-* files, so that the machine's own (pam_systemd, ...) play no part.
SERVICE_DIR=$T/services
mkdir -p "$SERVICE_DIR"
# Debian 12's common-auth, without pam_cap.
printf '%s\n' "auth [success=1 default=ignore] pam_unix.so nullok" \
	"auth requisite pam_deny.so" "auth required pam_permit.so" > "$SERVICE_DIR/common-auth"
echo "account required pam_unix.so" > "$SERVICE_DIR/common-account"
echo "session required pam_unix.so" > "$SERVICE_DIR/common-session"
echo "password required pam_unix.so" > "$SERVICE_DIR/common-password"
use_example() {	# use_example FILE: the shipped PAM file as service "sshd"
	sed -e "s|pam_yk\.so|$MODULE|" -e "s|/etc/pam_yk\.conf|$T/pam_yk.conf|" \
	    -e "s|/etc/yubikey_mappings|$T/mappings|" -e "s|timeout=8|timeout=3|" \
	    -e "s|^@include \([a-z-]*\)$|@include $SERVICE_DIR/\1|" \
	    "$EX/pam.d/$1" > "$SERVICE_DIR/sshd"
	grep -q "$MODULE" "$SERVICE_DIR/sshd" || fail "$1 does not use pam_yk.so"
	for _i in $(sed -n 's/^@include //p' "$SERVICE_DIR/sshd"); do
		[ -f "$_i" ] || fail "examples/pam.d/$1 includes $_i: missing"
	done
}

# --- keys
ssh-keygen -q -t ed25519 -N '' -C host -f "$T/hostkey"
ssh-keygen -q -t ed25519 -N '' -C alice -f "$T/alicekey"
ssh-keygen -q -t ed25519 -N '' -C mallory -f "$T/otherkey"
cp "$T/alicekey.pub" "$T/authorized_keys"
chmod 644 "$T/authorized_keys"

# Under the sanitizers every sshd process carries ASan, including the
# preauth child in its seccomp sandbox, where LeakSanitizer's exit-time scan
# (ptrace, clone) is a forbidden system call: sshd would see the child die
# of SIGSYS.  The other tests check the module for leaks.
SSHD_ASAN=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0

# start_sshd SNIPPET: a fresh sshd whose config includes the shipped
# sshd_config.d snippet.  Its port is chosen at run time; sshd stops by
# itself after 5 minutes at the latest.
start_sshd() {
	stop_sshd
	_try=0
	while :; do
		_try=$((_try + 1))
		PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
		cat > "$T/sshd_config" <<EOF
Include $EX/sshd_config.d/$1
ListenAddress 127.0.0.1:$PORT
HostKey $T/hostkey
PidFile none
AuthorizedKeysFile $T/authorized_keys
# \$T lies under the world-writable /tmp, which StrictModes refuses.
StrictModes no
MaxAuthTries 3
LoginGraceTime 60
LogLevel VERBOSE
EOF
		cat "$T/sshd.log" >> "$T/sshd.all.log" 2>/dev/null || :
		: > "$T/sshd.log"
		ASAN_OPTIONS=$SSHD_ASAN LD_PRELOAD=${SAN_PRELOAD:+$SAN_PRELOAD:}$PAMW:$NSSW PAM_WRAPPER=1 \
		PAM_WRAPPER_SERVICE_DIR=$SERVICE_DIR NSS_WRAPPER_PASSWD=$T/passwd \
		NSS_WRAPPER_GROUP=$T/group \
			timeout -s TERM 300 "$SSHD" -D -e -f "$T/sshd_config" \
			2>>"$T/sshd.log" &
		SSHD_PID=$!
		_w=0
		while ! grep -q 'Server listening' "$T/sshd.log"; do
			kill -0 $SSHD_PID 2>/dev/null || break
			_w=$((_w + 1)); [ $_w -lt 1000 ] || break
			sleep 0.01
		done
		grep -q 'Server listening' "$T/sshd.log" && return 0
		stop_sshd
		[ $_try -lt 3 ] || { cat "$T/sshd.log" >&2; fail "sshd did not start"; }
	done
}

# The client answers each prompt from $T/answer and logs it to $T/prompts.
cat > "$T/askpass" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >> "$T/prompts"
cat "$T/answer"
EOF
chmod 755 "$T/askpass"
: > "$T/known_hosts"
# ssh_as USER ANSWER [ssh options]: log in and run a command; sets RC,
# OUT (what the command printed) and MS (wall-clock milliseconds).
ssh_as() {
	_u=$1; printf '%s\n' "$2" > "$T/answer"; shift 2
	: > "$T/prompts"
	_t0=$(now_ms)
	RC=0
	SSH_ASKPASS=$T/askpass SSH_ASKPASS_REQUIRE=force DISPLAY='' \
	timeout 60 ssh -F /dev/null -p "$PORT" -o BatchMode=no \
		-o UserKnownHostsFile="$T/known_hosts" -o StrictHostKeyChecking=accept-new \
		-o NumberOfPasswordPrompts=1 -o ConnectTimeout=10 \
		-o IdentitiesOnly=yes -o IdentityFile=none -o LogLevel=ERROR "$@" \
		"$_u@127.0.0.1" 'echo logged-in-as-$(id -u)' \
		< /dev/null > "$T/ssh.out" 2> "$T/ssh.err" || RC=$?
	MS=$(($(now_ms) - _t0))
	OUT=$(cat "$T/ssh.out")
}
# tamper OTP: the OTP with its last character changed
tamper() { case $1 in *c) echo "${1%?}b" ;; *) echo "${1%?}c" ;; esac; }
diag() { cat "$T/prompts" "$T/ssh.out" "$T/ssh.err" >&2; tail -n 30 "$T/sshd.log" >&2; }
accepted() {	# accepted UID WHAT
	[ "$RC" = 0 ] && [ "$OUT" = "logged-in-as-$1" ] || { diag; fail "$2: refused (rc $RC)"; }
	ok "$2: accepted ($MS ms)"
}
refused() {	# refused WHAT
	[ "$RC" != 0 ] && [ -z "$OUT" ] || { diag; fail "$1: let in"; }
	ok "$1: refused ($MS ms)"
}
prompted() {	# prompted TEXT: the client was asked TEXT
	grep -q "$1" "$T/prompts" || { diag; fail "no prompt '$1'"; }
}

# ===== password+OTP in one prompt (examples/pam.d/sshd) =====
use_example sshd
start_sshd pam_yk-password-otp.conf

ssh_as alice "$PW$(otp 1 0)"
accepted 4242 "password+OTP"
prompted "YubiKey for \`alice'"
[ "$(grep -c . "$T/prompts")" = 1 ] || { diag; fail "more than one prompt"; }

O=$(otp 2 0)
ssh_as alice "$PW$O"
accepted 4242 "password+another OTP"
ssh_as alice "$PW$O"
refused "the same OTP again (replayed)"
ssh_as alice "$PW$(otp 2 0)"
refused "an old OTP (counter already seen)"
ssh_as alice "wrong$(otp 3 0)"
refused "wrong password + good OTP"
ssh_as alice "$PW$(tamper "$(otp 3 1)")"
refused "password + an OTP with a changed character"
ssh_as alice "$PW"
refused "password alone"
ssh_as bob "$PW$(otp 3 2)"
refused "a user with no YubiKey mapped, with alice's OTP"
ssh_as alice "$PW$(otp 4 0)" -o PreferredAuthentications=password
refused "plain password authentication (not offered)"
ssh_as alice "$PW$(otp 4 1)"
accepted 4242 "password+OTP after the failures"
grep -q 'Accepted keyboard-interactive/pam for alice' "$T/sshd.log" ||
	fail "sshd did not log the keyboard-interactive login"

# --- validation server down: refused, and quickly
stop_ykvald
ssh_as alice "$PW$(otp 5 0)"
refused "validation server stopped (connection refused)"
[ "$MS" -lt 8000 ] || fail "refused after $MS ms with the server stopped"
FAKE_R=$T/fake.ready
"$FAKEVAL" --mode hang --key "$CKEY" --ready-file "$FAKE_R" --lifetime 120 \
	>/dev/null 2>>"$T/fake.err" &
_pids="$_pids $!"
wait_for_file "$FAKE_R" $! || fail "fakeval did not start"
set_url "http://$(cat "$FAKE_R")/wsapi/2.0/verify"
ssh_as alice "$PW$(otp 5 1)"
refused "validation server hanging, timeout=3"
# timeout=3, plus Linux-PAM's failure delay (pam_unix asks for 2 s +-25%)
# and ssh's own start-up: well under the 60 s of LoginGraceTime.
[ "$MS" -ge 3000 ] && [ "$MS" -lt 9000 ] ||
	{ diag; fail "hanging server: refused after $MS ms, want 3-9 s"; }
ok "hanging server: the login ended after $MS ms"

# ===== publickey, then OTP (examples/pam.d/sshd-publickey) =====
start_ykvald "$T/db"
set_url "$URL"
use_example sshd-publickey
start_sshd pam_yk-publickey-otp.conf

ssh_as alice "$(otp 6 0)" -o IdentityFile="$T/alicekey"
accepted 4242 "publickey + OTP"
prompted "YubiKey for \`alice'"
grep -q 'Partial publickey for alice' "$T/sshd.log" ||
	{ diag; fail "sshd did not log the publickey step"; }
grep -q 'Accepted keyboard-interactive/pam for alice' "$T/sshd.log" ||
	{ diag; fail "sshd did not log the keyboard-interactive step"; }
ssh_as alice "$(otp 6 0)" -o IdentityFile="$T/alicekey"
refused "publickey + replayed OTP"
O=$(otp 7 0)
ssh_as alice "vvvvvvvvvvvv${O#????????????}" -o IdentityFile="$T/alicekey"
refused "publickey + OTP of another token ID"
ssh_as alice "$(otp 7 1)" -o IdentityFile="$T/otherkey"
refused "an unknown SSH key + good OTP"
[ ! -s "$T/prompts" ] || { diag; fail "OTP asked before the key was accepted"; }
ssh_as alice "$(otp 7 2)"
refused "no SSH key + good OTP"
# One AuthorizedKeysFile for everybody: alice's key opens bob's account.
ssh_as bob "$(otp 7 3)" -o IdentityFile="$T/alicekey"
refused "a user with a good SSH key but no YubiKey mapped"
grep -q 'Partial publickey for bob' "$T/sshd.log" ||
	{ diag; fail "bob's key was not accepted, so the case proves nothing"; }
ssh_as alice "$(otp 8 0)" -o IdentityFile="$T/alicekey"
accepted 4242 "publickey + OTP after the failures"
stop_sshd
cat "$T/sshd.log" >> "$T/sshd.all.log"
! grep -q 'Sanitizer\|runtime error' "$T/sshd.all.log" ||
	{ grep -A20 'Sanitizer\|runtime error' "$T/sshd.all.log" >&2; fail "a sanitizer report in sshd's log"; }
