#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Smart-card login with real login(1): the shipped examples/pam.d/smartcard
# as the "login" service (pam_wrapper's service directory, so /etc/pam.d is
# not touched), users from nss_wrapper, a SoftHSM2 token as the card, and
# tests/ptydrive.py as the terminal.  Needs root (login switches users).
# login(1) records the sessions in utmp/wtmp as any login does.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
# shellcheck source=tests/piv-lib.sh
. "$top_srcdir/tests/piv-lib.sh"

[ "$(id -u)" = 0 ] || skip "login(1) must run as root"
LOGIN=$(command -v login || ls /bin/login 2>/dev/null || :)
[ -n "$LOGIN" ] || skip "login(1) is not installed"
command -v python3 >/dev/null || skip "python3 is not installed"
piv_requirements
PAMW=$(wrapper pam_wrapper)
NSSW=$(wrapper nss_wrapper)
[ -n "$PAMW" ] && [ -n "$NSSW" ] || skip "libpam-wrapper or libnss-wrapper is not installed"
san_real_program
PRELOAD=${SAN_PRELOAD:+$SAN_PRELOAD:}$PAMW:$NSSW
PTY="python3 $top_srcdir/tests/ptydrive.py -t 20"

chmod 755 "$T"
mkdir -p "$T/home"
# "*", not "x": pam_unix's account check would ask shadow for an "x" entry,
# and nss_wrapper does not wrap shadow.
cat > "$T/passwd" <<EOF
root:x:0:0:root:/root:/bin/sh
alice:*:4242:4242:Alice:$T/home:/bin/sh
bob:*:4343:4343:Bob:$T/home:/bin/sh
EOF
printf 'root:x:0:\ntty:x:5:\nalice:x:4242:\nbob:x:4343:\n' > "$T/group"

pki_make "$T/pki"
fp() { openssl x509 -in "$PKI/$1.pem" -outform DER | sha256sum | cut -d' ' -f1; }
printf 'alice:sha256=%s\nbob:sha256=%s\n' "$(fp alice-p256)" "$(fp bob-rsa)" > "$T/mappings"

# The shipped file; paths changed, and SoftHSM named as the PKCS#11 module.
SERVICE_DIR=$T/services
mkdir -p "$SERVICE_DIR"
sed -e "s|pam_yk\.so mode=piv|$MODULE mode=piv pkcs11_module=$SOFTHSM_MODULE|" \
    -e "s|/etc/pam_yk/piv-ca\.pem|$PKI/ca.pem|" -e "s|/etc/yubikey_mappings|$T/mappings|" \
    "$top_srcdir/examples/pam.d/smartcard" > "$SERVICE_DIR/login"
grep -q "^auth.*$MODULE" "$SERVICE_DIR/login" || fail "the example has no pam_yk auth line"
# Linux-PAM 1.5.2 looks for a relative @include in /etc/pam.d even under
# pam_wrapper: name minimal stand-ins for Debian's common-* by path.
# Debian 12's common-auth (without pam_cap), and what login's stock file
# has for password changes.
printf '%s\n' "auth [success=1 default=ignore] pam_unix.so nullok" \
	"auth requisite pam_deny.so" "auth required pam_permit.so" > "$SERVICE_DIR/common-auth"
echo "password required pam_unix.so" > "$SERVICE_DIR/common-password"
echo "account required pam_unix.so" > "$SERVICE_DIR/common-account"
echo "session required pam_unix.so" > "$SERVICE_DIR/common-session"
sed -i "s|^@include \([a-z-]*\)$|@include $SERVICE_DIR/\1|" "$SERVICE_DIR/login"
for _i in $(sed -n 's/^@include //p' "$SERVICE_DIR/login"); do
	[ -f "$_i" ] || fail "examples/pam.d/smartcard includes $_i: missing"
done

# login USER [ptydrive steps]: run "login -p USER" (-p keeps the wrappers'
# environment); the transcript goes to $T/tty.  Sets RC.
run_login() {
	_u=$1; shift
	RC=0
	PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR=$SERVICE_DIR \
	NSS_WRAPPER_PASSWD=$T/passwd NSS_WRAPPER_GROUP=$T/group \
		$PTY "$@" -- env LD_PRELOAD="$PRELOAD" "$LOGIN" -p "$_u" \
		> "$T/tty" 2>&1 || RC=$?
}
# The module's debug log, for failures.
: > "$T/debug"; chmod 666 "$T/debug"
sed -i "s|mode=piv|mode=piv debug debug_file=$T/debug|" "$SERVICE_DIR/login"
shell_steps='echo logged-in-as-$(id -u); exit'
accepted() {	# accepted UID WHAT
	[ $RC = 0 ] && grep -q "^logged-in-as-$1" "$T/tty" || { cat "$T/tty" >&2; tail -n 5 "$T/debug" >&2; fail "$2: not logged in"; }
	ok "$2: logged in"
}
refused() {	# refused WHAT
	[ $RC = 0 ] && grep -q 'Login incorrect' "$T/tty" && ! grep -q '^logged-in-as' "$T/tty" ||
		{ cat "$T/tty" >&2; fail "$1: not refused"; }
	ok "$1: refused"
}
no_pin_prompt() { ! grep -q 'PIN for' "$T/tty" || { cat "$T/tty" >&2; fail "$1: a PIN was asked"; }; }

# --- alice's card (P-256 certificate at 9a) is in the reader
token_init card
token_put card "$PKI/alice-p256.pem" "$PKI/alice-p256.key" 01
run_login alice -x 'PIN for [^:]*: ' -s "$USER_PIN" -x '\$ ' -s "$shell_steps" -x 'logged-in-as-[0-9]+'
accepted 4242 "alice, her card and the right PIN"
run_login alice -x 'PIN for [^:]*: ' -s 654321 -x 'Login incorrect'
refused "alice, her card and a wrong PIN"
grep -q 'Wrong PIN' "$T/tty" || { cat "$T/tty" >&2; fail "the wrong PIN was not told"; }
run_login alice -x 'PIN for [^:]*: ' -s "$USER_PIN" -x '\$ ' -s "$shell_steps" -x 'logged-in-as-[0-9]+'
accepted 4242 "alice, the right PIN after a wrong one"
run_login bob -x 'Login incorrect'
refused "bob with alice's card"
no_pin_prompt "bob with alice's card"

# --- bob's card instead
softhsm2-util --delete-token --token card >/dev/null
token_init card
token_put card "$PKI/bob-rsa.pem" "$PKI/bob-rsa.key" 01
run_login alice -x 'Login incorrect'
refused "alice with bob's card"
no_pin_prompt "alice with bob's card"
run_login bob -x 'PIN for [^:]*: ' -s "$USER_PIN" -x '\$ ' -s "$shell_steps" -x 'logged-in-as-[0-9]+'
accepted 4343 "bob, his card and his PIN"

# --- no card at all: "required" turns PAM_AUTHINFO_UNAVAIL into a refusal
softhsm2-util --delete-token --token card >/dev/null
run_login alice -x 'Login incorrect'
refused "no card in the reader"
no_pin_prompt "no card"
