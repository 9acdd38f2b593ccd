#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# mode=piv and the caller's environment: su and sudo run PAM with it, and
# PKCS#11 modules read their own variables with getenv.  OpenSC's
# OPENSC_CONF would make the login create its debug_file= as root (and
# dlopen a card_driver module= of the caller's); a login with such a
# variable set is refused before the module is loaded.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

OPENSC=
for _m in /usr/lib/*/opensc-pkcs11.so /usr/lib/opensc-pkcs11.so; do
	[ -f "$_m" ] && { OPENSC=$_m; break; }
done
[ -n "$OPENSC" ] || skip "no OpenSC PKCS#11 module (Debian package opensc-pkcs11)"
command -v openssl >/dev/null 2>&1 || skip "openssl is not installed"
NSSW=$(wrapper nss_wrapper)
[ -n "$NSSW" ] || skip "libnss-wrapper is not installed"
[ "$(id -u)" = 0 ] || skip "piv-env.sh needs root (the PKCS#11 module must be root's)"
printf 'alice:x:4242:4242:Alice:/nonexistent:/bin/sh\n' > "$T/passwd"
printf 'alice:x:4242:\n' > "$T/group"
NSS_WRAPPER_PASSWD=$T/passwd NSS_WRAPPER_GROUP=$T/group
export NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
PRELOAD=${SAN_PRELOAD:+$SAN_PRELOAD:}$NSSW

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/ca.key" -out "$T/ca.pem" -subj /CN=env-test-ca -days 2 \
    > "$T/openssl.out" 2>&1 || { cat "$T/openssl.out"; fail "openssl req"; }
printf 'alice:sha256=%064d\n' 0 > "$T/authfile"
: > "$T/debug"; chmod 666 "$T/debug"
service piv "auth required $MODULE mode=piv pkcs11_module=$OPENSC piv_cafile=$T/ca.pem authfile=$T/authfile timeout=5 debug debug_file=$T/debug"
# nullok and a pam_permit after it: a refusal must not become a pass
service pivnull "auth sufficient $MODULE mode=piv nullok pkcs11_module=$OPENSC piv_cafile=$T/ca.pem authfile=$T/authfile timeout=5 debug debug_file=$T/debug" \
    "auth required pam_deny.so"

cat > "$T/opensc.conf" <<CONF
app default {
	debug = 9;
	debug_file = $T/made-as-root;
}
CONF

# try CODE SERVICE: log in as alice with the environment given before it
try() {
	LD_PRELOAD=$PRELOAD "$PAMDRIVE" "$T/pam.d" "$2" alice 123456 \
	    > "$T/out" 2>&1 || fail "pamdrive: $(cat "$T/out")"
	_got=$(sed -n 's/^result: //p' "$T/out")
	[ "$_got" = "$1" ] || { cat "$T/out"; tail -n 3 "$T/debug"; fail "$2: $_got, want $1"; }
}

# The module does run without these variables (no reader here: no card).
try PAM_AUTHINFO_UNAVAIL piv
[ ! -e "$T/made-as-root" ] || fail "OpenSC wrote a debug file with no OPENSC_CONF"
ok "OpenSC loads, no card"

for v in OPENSC_CONF OPENSC_DRIVER OPENSC_DEBUG PIV_9A_KEY PCSCLITE_CSOCK_NAME YKCS11_DBG; do
	: > "$T/debug"
	for s in piv pivnull; do
		eval "$v=\$T/opensc.conf; export $v"
		try PAM_AUTH_ERR "$s"
		unset "$v"
	done
	[ ! -e "$T/made-as-root" ] || fail "$v: OpenSC created its debug_file as root"
	grep -q "the environment sets $v, which the PKCS#11 module would obey" "$T/debug" ||
		{ cat "$T/debug"; fail "$v: the log does not say why"; }
	ok "$v is refused before the module is loaded"
done
grep -q "$T/opensc.conf" "$T/debug" && fail "the log carries the variable's value"
ok "the log names the variable, not its value"

# In a real setuid program run by nobody (AT_SECURE), SoftHSM's
# SOFTHSM2_CONF is refused too: it would pick the caller's tokens.
HSM=
for _m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so; do
	[ -f "$_m" ] && { HSM=$_m; break; }
done
if [ -z "$HSM" ] || ! command -v softhsm2-util >/dev/null 2>&1 ||
    ! command -v setpriv >/dev/null 2>&1 || [ -n "${SAN_PRELOAD:-}" ] ||
    ! getent passwd daemon >/dev/null; then
	echo "SoftHSM, setpriv or user daemon missing, or a sanitizer build:" \
	    "SOFTHSM2_CONF in a setuid program not tried"
	exit 0
fi
chmod 711 "$T"
mkdir -m 755 "$T/suid" "$T/suid/tokens"
printf '%s\n' "directories.tokendir = $T/suid/tokens" \
    "objectstore.backend = file" "log.level = ERROR" > "$T/suid/hsm.conf"
SOFTHSM2_CONF=$T/suid/hsm.conf softhsm2-util --init-token --free \
    --label callers --so-pin 12345678 --pin 123456 > "$T/hsm.out" 2>&1 ||
	fail "softhsm2-util: $(cat "$T/hsm.out")"
cp "$PAMDRIVE" "$T/suid/pamdrive"
chmod 4755 "$T/suid/pamdrive"
printf 'daemon:sha256=%064d\n' 0 > "$T/authfile"
service hsm "auth required $MODULE mode=piv pkcs11_module=$HSM piv_cafile=$T/ca.pem authfile=$T/authfile timeout=5 debug debug_file=$T/debug"
chmod -R a+rX "$T/pam.d" "$T/ca.pem"
: > "$T/debug"
SOFTHSM2_CONF=$T/suid/hsm.conf setpriv --reuid=65534 --regid=65534 \
    --clear-groups "$T/suid/pamdrive" "$T/pam.d" hsm daemon 123456 \
    > "$T/out" 2>&1 || fail "pamdrive: $(cat "$T/out")"
got=$(sed -n 's/^result: //p' "$T/out")
[ "$got" = PAM_AUTH_ERR ] || { cat "$T/out" "$T/debug"; fail "SOFTHSM2_CONF in a setuid program: $got, want PAM_AUTH_ERR"; }
grep -q "the environment sets SOFTHSM2_CONF" "$T/debug" || { cat "$T/debug"; fail "SOFTHSM2_CONF: the log does not say why"; }
ok "SOFTHSM2_CONF is refused in a setuid program"
exit 0
