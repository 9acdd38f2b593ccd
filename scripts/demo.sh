#!/bin/bash
# The main job, sandboxed: build pam_yk, start ykvald on a loopback port in
# a throw-away directory, provision an API client and a (simulated)
# YubiKey, and show an OTP accepted, then rejected as replayed -- with
# plain HTTP, then through real PAM logins with pam_yk.so (and, for
# comparison, Debian's pam_yubico), run by pamtester under pam_wrapper and
# nss_wrapper: no system file and no real user is touched.  Last, an
# offline challenge-response login with ykpamcfg, on a simulated YubiKey.
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
run() { printf '$ %s\n' "$*"; "$@"; }
cd "$sandbox"
ykvald=$root/build/ykvald

say "1. ykvald starts on an embedded SQLite database, on a free loopback port"
"$ykvald" serve --db "$sandbox/ykvald.db" --listen 127.0.0.1:0 \
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
printf 'id=1\nkey=%s\nurllist=%s\n' "$key" "$url" > pam_yk.conf
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
export FAKEYK_KEYS="4711::$(openssl rand -hex 20)"
echo "login with a different key (wrong secret):"
crenv "$root/build/tests/pamdrive" "$sandbox/pam.d" demo-offline demo | sed 's/^/    /'

say "ykvald's log (one line per verification; no OTP token part, no nonce)"
sed 's/^/    /' ykvald.log
say "Done: the server is stopped and $sandbox is removed."
