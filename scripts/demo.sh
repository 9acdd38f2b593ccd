#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The main job, sandboxed: build pam_yk, start ykvald on a loopback port in
# a throw-away directory, provision an API client and a (simulated)
# YubiKey, and show an OTP accepted, then rejected as replayed -- with
# plain HTTP, then through real PAM logins with pam_yk.so (and, for
# comparison, Debian's pam_yubico), run by pamtester under pam_wrapper and
# nss_wrapper: no system file and no real user is touched.  Then an
# offline challenge-response login with ykpamcfg on a simulated YubiKey,
# and a PIV certificate login on a software (SoftHSM2) token; ykpamcfg
# check explains a good and a broken setup.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

bash scripts/deps.sh
[ -x configure ] || autoreconf -fi >/dev/null 2>&1
mkdir -p build
[ -f build/Makefile ] || (cd build && ../configure -q >/dev/null)
make -s -C build -j"$(nproc)" all tests/fakeykpers.la tests/pamdrive >/dev/null

sandbox=$(mktemp -d /tmp/pam_yk-demo.XXXXXX)
pid=
finish() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$sandbox"
}
trap finish EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# shq ARG...: the words as one line that a shell reads back unchanged (a
# URL with '&', a space, a quote), so that a printed command can be pasted.
shq() {
	local a out=
	for a in "$@"; do
		case $a in
		'' | *[!A-Za-z0-9_./:=@%+,-]*) a="'${a//\'/\'\\\'\'}'" ;;
		esac
		out="$out${out:+ }$a"
	done
	printf '%s' "$out"
}
run() { printf '$ %s\n' "$(shq "$@")"; "$@"; }
cd "$sandbox"
ykvald=$root/build/ykvald

say "1. ykvald starts on an embedded SQLite database, on a free loopback port"
# A service runs as its own user; this sandboxed demo may run as root.
allow_root=
[ "$(id -u)" != 0 ] || allow_root=--allow-root
"$ykvald" serve $allow_root --db "$sandbox/ykvald.db" --listen 127.0.0.1:0 \
	--ready-file "$sandbox/ready" 2>"$sandbox/ykvald.log" &
pid=$!
for _ in $(seq 500); do [ -s ready ] && break; sleep 0.01; done
[ -s ready ] || { cat ykvald.log; exit 1; }
addr=$(cat ready)
url=http://$addr/wsapi/2.0/verify
cat ykvald.log

say "2. Provision an API client and a YubiKey (this key is SIMULATED)"
run "$ykvald" client add --db ykvald.db | tee client.txt
key=$(sed -n 's/^key=//p' client.txt)
pub=vvccccbkdrtu
priv=$(openssl rand -hex 6)
aes=$(openssl rand -hex 16)
run "$ykvald" key add --db ykvald.db --public-id $pub --private-id "$priv" --aes-key "$aes"
run "$ykvald" key list --db ykvald.db

# A touch of the simulated key: Debian's ykgenerate (libyubikey) encrypts
# the next counter values with the key's AES key.
press() {	# press USAGE SESSION
	printf '%s%s' $pub "$(ykgenerate "$aes" "$priv" "$(printf %04x "$1")" \
		"$(printf %04x $((RANDOM)))" 00 "$(printf %02x "$2")")"
}

say "3. A fresh OTP is accepted"
otp=$(press 1 0)
echo "OTP typed by the key: $otp"
run curl -sS "$url?id=1&otp=$otp&nonce=demononce$(openssl rand -hex 8)&timestamp=1"

say "4. The same OTP again is rejected as replayed"
run curl -sS "$url?id=1&otp=$otp&nonce=demononce$(openssl rand -hex 8)"

say "5. Real PAM logins with pam_yk.so, run by pamtester (pam_wrapper, nss_wrapper)"
lib=$(dirname "$(ls /usr/lib/*/libpam_wrapper.so /usr/lib/libpam_wrapper.so 2>/dev/null | head -n 1)")
mkdir -p pam.d home
echo "demo:x:$(id -u):$(id -g):demo user:$sandbox/home:/bin/sh" > passwd
echo "demo:x:$(id -g):" > group
echo "demo:$pub" > authfile
echo "auth required pam_deny.so" > pam.d/other
printf 'id=1\nkey=%s\nurllist=%s\nvalidate_helper=%s\n' "$key" "$url" "$root/build/pam_yk_validate" > pam_yk.conf
chmod 600 pam_yk.conf
echo "auth required $root/build/.libs/pam_yk.so conf=$sandbox/pam_yk.conf authfile=$sandbox/authfile timeout=5" > pam.d/demo-login
echo "auth required /lib/security/pam_yubico.so id=1 key=$key urllist=$url authfile=$sandbox/authfile" > pam.d/demo-yubico
echo "    /etc/pam.d-style service file (in the sandbox):"
sed 's/^/        /' pam.d/demo-login
login() {	# login SERVICE OTP
	echo "$2" | env LD_PRELOAD="$lib/libpam_wrapper.so:$lib/libnss_wrapper.so" \
		PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$sandbox/pam.d" \
		NSS_WRAPPER_PASSWD="$sandbox/passwd" NSS_WRAPPER_GROUP="$sandbox/group" \
		pamtester "$1" demo authenticate 2>&1 | sed 's/^/    /'
}
otp=$(press 2 0)
echo "pamtester demo-login demo authenticate   (the key types $otp)"
login demo-login "$otp" || :
echo "the same OTP again:"
login demo-login "$otp" || :
otp=$(press 2 1)
echo "a fresh OTP through Debian's pam_yubico, against the same server:"
login demo-yubico "$otp" || :

say "5b. ykpamcfg check explains a setup (it only reads: no OTP, no change)"
check() {
	env LD_PRELOAD="$lib/libnss_wrapper.so" NSS_WRAPPER_PASSWD="$sandbox/passwd" \
		NSS_WRAPPER_GROUP="$sandbox/group" "$root/build/ykpamcfg" check -u demo "$@" 2>&1 |
		sed 's/^/    /'
}
echo "\$ ykpamcfg check -u demo --service pam.d/demo-login"
check --service pam.d/demo-login || :
sed 's/ authfile=/ authfle=/' pam.d/demo-login > pam.d/demo-typo
echo "the same line with a typo (authfle=):"
check --service pam.d/demo-typo || :

say "6. Offline challenge-response (the YubiKey is SIMULATED: a test stand-in for libykpers)"
# tests/fakeykpers.so answers like a key whose slot 2 holds this HMAC secret.
cr_secret=$(openssl rand -hex 20)
export FAKEYK_KEYS="4711:$cr_secret:$cr_secret"
mkdir -m 700 "$sandbox/chalresp"
crenv() {
	env LD_PRELOAD="$root/build/tests/.libs/fakeykpers.so:$lib/libnss_wrapper.so" \
		NSS_WRAPPER_PASSWD="$sandbox/passwd" NSS_WRAPPER_GROUP="$sandbox/group" "$@"
}
echo "$ ykpamcfg -2 -u demo -p $sandbox/chalresp"
crenv "$root/build/ykpamcfg" -2 -u demo -p "$sandbox/chalresp" | sed 's/^/    /'
echo "    state file: $(cut -c1-40 "$sandbox/chalresp/demo-4711")... (v2, the format pam_yubico uses)"
echo "auth required $root/build/.libs/pam_yk.so mode=challenge-response chalresp_path=$sandbox/chalresp" > pam.d/demo-offline
for n in 1 2; do
	echo "login $n (pam_start_confdir, no network):"
	crenv "$root/build/tests/pamdrive" "$sandbox/pam.d" demo-offline demo | sed 's/^/    /'
	echo "    next challenge stored: $(cut -c1-40 "$sandbox/chalresp/demo-4711")..."
done
FAKEYK_KEYS="4711::$(openssl rand -hex 20)"
export FAKEYK_KEYS
echo "login with a different key (wrong secret):"
crenv "$root/build/tests/pamdrive" "$sandbox/pam.d" demo-offline demo | sed 's/^/    /'

say "7. PIV certificate login (the card is SOFTWARE: a SoftHSM2 token, not a YubiKey)"
unset FAKEYK_KEYS
p="$sandbox/piv"; mkdir -p "$p/tokens"
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$p" > "$p/softhsm2.conf"
export SOFTHSM2_CONF="$p/softhsm2.conf"
hsm=$(ls /usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so 2>/dev/null | head -n 1)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$p/ca.key" \
	-out "$p/ca.pem" -days 2 -subj "/O=pam_yk demo/CN=pam_yk Demo CA" \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$p/demo.key" \
	-out "$p/demo.csr" -subj "/O=pam_yk demo/UID=demo/CN=demo" 2>/dev/null
printf 'keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' > "$p/ext"
openssl x509 -req -in "$p/demo.csr" -CA "$p/ca.pem" -CAkey "$p/ca.key" -CAcreateserial \
	-days 2 -sha256 -extfile "$p/ext" -out "$p/demo.pem" 2>/dev/null
softhsm2-util --init-token --free --label demo-card --so-pin 12345678 --pin 123456 >/dev/null
openssl pkey -in "$p/demo.key" -outform DER -out "$p/demo.key.der"
openssl x509 -in "$p/demo.pem" -outform DER -out "$p/demo.der"
for t in "privkey $p/demo.key.der" "cert $p/demo.der"; do
	set -- $t
	pkcs11-tool --module "$hsm" --token-label demo-card --login --pin 123456 \
		--write-object "$2" --type "$1" --id 01 --label demo >/dev/null 2>&1
done
echo "demo:sha256=$(sha256sum < "$p/demo.der" | cut -d' ' -f1)" > "$p/mappings"
echo "    a test CA, a certificate for demo in slot 9a (CKA_ID 01) of the software token,"
echo "    and the mapping line: $(cut -c1-30 "$p/mappings")..."
echo "auth required $root/build/.libs/pam_yk.so mode=piv pkcs11_module=$hsm piv_cafile=$p/ca.pem authfile=$p/mappings" > pam.d/demo-piv
piv() {
	env LD_PRELOAD="$lib/libnss_wrapper.so" NSS_WRAPPER_PASSWD="$sandbox/passwd" \
		NSS_WRAPPER_GROUP="$sandbox/group" "$root/build/tests/pamdrive" \
		"$sandbox/pam.d" demo-piv demo "$@" | sed 's/^/    /'
}
echo "login with the right PIN (123456):"; piv 123456
echo "login with a wrong PIN:"; piv 654321

say "ykvald's log (one line per verification; no OTP token part, no nonce)"
sed 's/^/    /' ykvald.log
say "What was real and what was simulated"
cat <<'EOF'
    real: ykvald and its SQLite database, HTTP on loopback, libpam with
          pam_yk.so, pam_yubico.so, pamtester, ykpamcfg, OpenSSL, the PKCS#11
          calls into SoftHSM2
    simulated: the YubiKey that types OTPs (ykgenerate computes them from its
          AES key), the challenge-response YubiKey (a test stand-in for
          libykpers, loaded with LD_PRELOAD), the PIV card (a SoftHSM2
          software token), and the demo user (nss_wrapper)
EOF
say "Done: the server is stopped and $sandbox is removed."
