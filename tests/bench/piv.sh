#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# piv.sh - PIV login benchmark, run by hand, never by "make check": its
# figures depend on the machine.
#
# pam_yk (mode=piv) against Debian's pam_pkcs11 (libpam-pkcs11), both on
# the SAME SoftHSM token (alice-rsa: RSA-2048 certificate and key at
# CKA_ID 01, PIV 9a, from tests/piv-lib.sh), both driven through
# tests/pamdrive (pam_start_confdir) under nss_wrapper, in one run:
#
#   pam_yk      mode=piv, piv_cafile=ca.pem, authfile alice:sha256=<cert>
#   pam_pkcs11  cert_policy=ca,signature (the chain from a hashed ca_dir,
#               and the card signs a random challenge), digest mapper
#               (sha256 of the certificate -> alice)
#   pam_permit  the cost of pamdrive + nss_wrapper alone
#
# Both do the same work: find the certificate, check it against the CA,
# map it to alice, log in with the PIN, have the card sign, verify the
# signature with the certificate's key.  Each login must succeed (and a
# wrong PIN must fail) before anything is timed.  The N logins of each
# are interleaved round by round, their order rotated each round.  Prints
# medians (ms), pam_yk / pam_pkcs11 (goal <= 0.8) and each over pam_permit.
#
# Environment (defaults in brackets):
#   top_srcdir [the directory above tests/], top_builddir [top_srcdir/build]
#   BENCH_LOGINS [20]   logins per module
#   BENCH_STRICT [0]    1: exit 1 when the goal is not met
#   PAM_PKCS11 [found in /lib/*/security, /lib/security, /usr/lib/...]
#   SOFTHSM_MODULE [found by piv-lib.sh]
# Needs root (a PKCS#11 module and configuration must be root's), openssl,
# softhsm2, opensc (pkcs11-tool), libnss-wrapper, libpam-pkcs11, and a
# built pam_yk.so and tests/pamdrive.  Takes about 5-15 s.
#
# The two "load+unload only" rows run a stack where pam_permit.so,
# sufficient, comes first: libpam still loads the module (and its
# libraries) at pam_start and unloads it at pam_end, but never calls it.
# Over pam_permit they are the cost of the module's libraries; a login
# minus its load-only row is the module's own work.
#
# pam_pkcs11 configuration pitfalls (0.6.12), all handled below:
#  - the PAM argument is config_file=FILE.  pam_pkcs11(8) documents
#    configfile=, which it does not recognise (it carries on):
#    pam_pkcs11 then reads /etc/pam_pkcs11/pam_pkcs11.conf and, without
#    one, answers PAM_AUTHINFO_UNAVAIL without a word to the user;
#  - ca_dir must be a hashed directory (openssl rehash: $PKI/capath), not
#    a CA file;
#  - the digest mapper's mapfile lines are "AA:BB:..:FF -> alice"
#    (upper-case hex, colons: as openssl x509 -fingerprint prints them),
#    and algorithm = "sha256" must be said (the default is sha1: a sha256
#    mapfile then matches nothing);
#  - an untrusted or unmapped certificate is PAM_CRED_INSUFFICIENT (after
#    the PIN was asked for), a wrong PIN PAM_AUTH_ERR;
#  - it sends two infos ("Smart card found.", "Welcome <token label>!"),
#    then ONE prompt, "<token_type> PIN: " (here "Smart card PIN: "), echo
#    off, then infos "verifying certificate", "Checking signature".

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$here/../..}
top_builddir=${top_builddir:-$top_srcdir/build}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"	# sets -eu, $T, the clean-up trap
# shellcheck source=tests/piv-lib.sh
. "$top_srcdir/tests/piv-lib.sh"

N=${BENCH_LOGINS:-20}
STRICT=${BENCH_STRICT:-0}
GOAL=0.8

piv_requirements
[ "$(id -u)" = 0 ] || skip "piv.sh needs root (the PKCS#11 module must be root's)"
for p in "$MODULE" "$PAMDRIVE"; do
	[ -e "$p" ] || fail "$p is not built (run make, make check)"
done
NSSW=$(wrapper nss_wrapper)
[ -n "$NSSW" ] || skip "libnss-wrapper is not installed"
PAM_PKCS11=${PAM_PKCS11:-$(ls /lib/*/security/pam_pkcs11.so \
    /usr/lib/*/security/pam_pkcs11.so /lib/security/pam_pkcs11.so \
    /lib64/security/pam_pkcs11.so 2>/dev/null | head -n 1)}
[ -n "$PAM_PKCS11" ] && [ -f "$PAM_PKCS11" ] ||
	skip "pam_pkcs11.so not found (Debian package libpam-pkcs11)"

printf 'alice:x:4242:4242:Alice:/nonexistent:/bin/sh\n' > "$T/passwd"
printf 'alice:x:4242:\n' > "$T/group"
NSS_WRAPPER_PASSWD=$T/passwd NSS_WRAPPER_GROUP=$T/group
export NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
PRELOAD=${SAN_PRELOAD:+$SAN_PRELOAD:}$NSSW

# --- the PKI and the one token both modules use
pki_make "$T/pki"
token_init alice-rsa
token_put alice-rsa "$PKI/alice-rsa.pem" "$PKI/alice-rsa.key" 01

# --- pam_yk
printf 'alice:sha256=%s\n' "$(openssl x509 -in "$PKI/alice-rsa.pem" \
    -outform DER | sha256sum | cut -d' ' -f1)" > "$T/authfile"
service yk "auth required $MODULE mode=piv pkcs11_module=$SOFTHSM_MODULE piv_cafile=$PKI/ca.pem authfile=$T/authfile"

# --- pam_pkcs11
mkdir -p "$T/crls"
openssl x509 -in "$PKI/alice-rsa.pem" -noout -fingerprint -sha256 |
    sed 's/^[^=]*=\(.*\)$/\1 -> alice/' > "$T/digest_mapping"
grep -q '^[0-9A-F:]* -> alice$' "$T/digest_mapping" ||
	fail "digest mapping: $(cat "$T/digest_mapping")"
cat > "$T/pam_pkcs11.conf" <<EOF
pam_pkcs11 {
  nullok = false;
  debug = false;
  use_first_pass = false;
  try_first_pass = false;
  use_authtok = false;
  card_only = false;
  wait_for_card = false;
  use_pkcs11_module = softhsm;
  pkcs11_module softhsm {
    module = $SOFTHSM_MODULE;
    description = "SoftHSM";
    slot_num = 0;
    support_threads = false;
    ca_dir = $PKI/capath;
    crl_dir = $T/crls;
    cert_policy = ca,signature;
    token_type = "Smart card";
  }
  use_mappers = digest;
  mapper digest {
    debug = false;
    module = internal;
    algorithm = "sha256";
    mapfile = file://$T/digest_mapping;
  }
}
EOF
service p11 "auth required $PAM_PKCS11 config_file=$T/pam_pkcs11.conf"

service permit "auth required pam_permit.so"
# Load only: libpam loads (dlopen) every module of the stack at
# pam_start and unloads it at pam_end, but pam_permit.so, sufficient,
# ends the stack before the module runs.  Over pam_permit: the module's
# load and unload cost (its own libraries); the rest of a login is its work.
service ykload "auth sufficient pam_permit.so" "$(sed -n 1p "$T/pam.d/yk")"
service p11load "auth sufficient pam_permit.so" "$(sed -n 1p "$T/pam.d/p11")"

# drive SERVICE [ANSWER]...: one login; the output in $T/out
drive() {
	_s=$1; shift
	LD_PRELOAD=$PRELOAD "$PAMDRIVE" "$T/pam.d" "$_s" alice "$@" > "$T/out" 2>&1
}
# check CODE SERVICE ANSWER...: a login that must end with CODE
check() {
	_want=$1; shift
	_svc=$1; shift
	drive "$_svc" "$@" || fail "pamdrive $_svc: $(cat "$T/out")"
	grep -qx "result: $_want" "$T/out" ||
		{ cat "$T/out" >&2; fail "$_svc $*: want $_want"; }
	ok "$_want: $_svc${*:+ $*}"
}
# denied SERVICE ANSWER...: a login that must not succeed
denied() {
	_svc=$1; shift
	drive "$_svc" "$@" || fail "pamdrive $_svc: $(cat "$T/out")"
	grep -q '^result: PAM_' "$T/out" && ! grep -qx 'result: PAM_SUCCESS' "$T/out" ||
		{ cat "$T/out" >&2; fail "$_svc $*: not denied"; }
	ok "denied ($(sed -n 's/^result: //p' "$T/out")): $_svc $*"
}

# --- sanity: each module really logs alice in, and really checks
check PAM_SUCCESS yk 123456
grep -q '^prompt-off: PIN for alice-rsa: $' "$T/out" ||
	fail "pam_yk: no PIN prompt: $(cat "$T/out")"
check PAM_SUCCESS p11 123456
grep -q '^prompt-off: Smart card PIN: $' "$T/out" ||
	fail "pam_pkcs11: no PIN prompt: $(cat "$T/out")"
grep -q '^info: Checking signature$' "$T/out" ||
	fail "pam_pkcs11 did not make the card sign: $(cat "$T/out")"
[ "$(grep -c '^prompt' "$T/out")" = 1 ] || fail "pam_pkcs11: not one prompt"
check PAM_SUCCESS permit
check PAM_SUCCESS ykload
check PAM_SUCCESS p11load
check PAM_AUTH_ERR yk 654321
check PAM_AUTH_ERR p11 654321
# pam_pkcs11's chain check and mapping are in effect: an empty ca_dir, or
# a mapfile naming another digest, denies.  (Wrong PINs above were
# counted: the right one resets SoftHSM's counter.)
mkdir "$T/noca"
sed "s|ca_dir = .*|ca_dir = $T/noca;|" "$T/pam_pkcs11.conf" > "$T/noca.conf"
service p11-noca "auth required $PAM_PKCS11 config_file=$T/noca.conf"
denied p11-noca 123456
sed 's/^[0-9A-F][0-9A-F]/00/' "$T/digest_mapping" > "$T/other_mapping"
sed "s|digest_mapping;|other_mapping;|" "$T/pam_pkcs11.conf" > "$T/nomap.conf"
service p11-nomap "auth required $PAM_PKCS11 config_file=$T/nomap.conf"
denied p11-nomap 123456
check PAM_SUCCESS yk 123456
check PAM_SUCCESS p11 123456

# --- timing
# run SERVICE: one login, which must succeed; its time in microseconds
# appended to $T/t.SERVICE
run() {
	case $1 in yk|p11) set -- "$1" "$USER_PIN" ;; esac
	_t0=$(date +%s%N)
	drive "$@" || fail "pamdrive $1: $(cat "$T/out")"
	_t1=$(date +%s%N)
	grep -qx 'result: PAM_SUCCESS' "$T/out" ||
		{ cat "$T/out" >&2; fail "$1: a timed login failed"; }
	echo $(((_t1 - _t0) / 1000)) >> "$T/t.$1"
}
SVCS="yk p11 permit ykload p11load"
for s in $SVCS; do : > "$T/t.$s"; done
i=0
while [ $i -lt $N ]; do
	# this round's order: SVCS rotated by i
	set -- $SVCS
	_k=$((i % $#))
	while [ $_k -gt 0 ]; do _f=$1; shift; set -- "$@" "$_f"; _k=$((_k - 1)); done
	for s; do run "$s"; done
	i=$((i + 1))
done

# median FILE, minimum FILE: of FILE's microseconds, in ms
median() {
	sort -n "$1" | awk '{ a[NR] = $1 } END {
	    m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
	    printf "%.2f", m / 1000 }'
}
minimum() { sort -n "$1" | awk 'NR == 1 { printf "%.2f", $1 / 1000 }'; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
m_yk=$(median "$T/t.yk") n_yk=$(minimum "$T/t.yk")
m_p11=$(median "$T/t.p11") n_p11=$(minimum "$T/t.p11")
m_permit=$(median "$T/t.permit") n_permit=$(minimum "$T/t.permit")
m_ykload=$(median "$T/t.ykload") n_ykload=$(minimum "$T/t.ykload")
m_p11load=$(median "$T/t.p11load") n_p11load=$(minimum "$T/t.p11load")
ratio=$(calc %.3f "$m_yk / $m_p11")
echo "PIV login, RSA-2048 on one SoftHSM token, pamdrive + nss_wrapper;"
echo "$N logins each, interleaved (ms):       median      min  over pam_permit"
row() { printf '  %-34s %8.2f %8.2f %+9.2f\n' "$1" "$2" "$3" "$(calc %.2f "$2 - $m_permit")"; }
row "pam_yk      (mode=piv)" "$m_yk" "$n_yk"
row "pam_pkcs11  (ca,signature; digest)" "$m_p11" "$n_p11"
row "pam_permit  (baseline)" "$m_permit" "$n_permit"
row "pam_yk      load+unload only" "$m_ykload" "$n_ykload"
row "pam_pkcs11  load+unload only" "$m_p11load" "$n_p11load"
echo "authentication work alone (login - load only): pam_yk" \
    "$(calc %.2f "$m_yk - $m_ykload") ms, pam_pkcs11 $(calc %.2f "$m_p11 - $m_p11load") ms"
echo "over pam_permit: pam_yk +$(calc %.2f "$m_yk - $m_permit") ms," \
    "pam_pkcs11 +$(calc %.2f "$m_p11 - $m_permit") ms" \
    "(ratio $(calc %.3f "($m_yk - $m_permit) / ($m_p11 - $m_permit)"))"
met=$(calc %s "($ratio <= $GOAL) ? \"met\" : \"NOT met\"")
echo "pam_yk / pam_pkcs11 = $ratio (medians; goal <= $GOAL: $met)"
[ "$met" = met ] || [ "$STRICT" != 1 ] || exit 1
