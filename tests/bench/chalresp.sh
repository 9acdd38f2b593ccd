#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Benchmark (not a test): challenge-response login time, pam_yk against
# Debian's pam_yubico, both driving the same emulated YubiKey (the
# LD_PRELOADed libykpers stand-in) through pam_start_confdir, each with its
# own chalresp_path state file (10000 PBKDF2 iterations), interleaved, in
# one run.  Prints medians and the ratio.  Needs root (chalresp_path files
# are root's) and make check's tests/.libs/fakeykpers.so.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"

N=${BENCH_LOGINS:-25}
[ "$(id -u)" = 0 ] || skip "chalresp.sh needs root"
[ -f /lib/security/pam_yubico.so ] || skip "libpam-yubico is not installed"
[ -f "$FAKEYK" ] || fail "build the stand-in first: make check (or make tests/fakeykpers.la)"
NSSW=$(wrapper nss_wrapper)
printf 'alice:x:4242:4242:Alice:/nonexistent:/bin/sh\n' > "$T/passwd"
printf 'alice:x:4242:\n' > "$T/group"
NSS_WRAPPER_PASSWD=$T/passwd NSS_WRAPPER_GROUP=$T/group
FAKEYK_KEYS="$CRSERIAL:$CRSECRET:$CRSECRET"
export NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP FAKEYK_KEYS
PRELOAD=$FAKEYK:$NSSW
mkdir -m 700 "$T/yk" "$T/yb"
for d in yk yb; do
	LD_PRELOAD=$PRELOAD "$top_builddir/ykpamcfg" -2 -u alice -p "$T/$d" >/dev/null ||
		fail "ykpamcfg"
done
service yk "auth required $MODULE mode=challenge-response chalresp_path=$T/yk"
service yb "auth required /lib/security/pam_yubico.so mode=challenge-response chalresp_path=$T/yb"
service permit "auth required pam_permit.so"

run() {	# run SERVICE: one login, its time in microseconds on stdout
	_t0=$(date +%s%N)
	LD_PRELOAD=$PRELOAD "$PAMDRIVE" "$T/pam.d" "$1" alice > "$T/out" 2>&1
	_t1=$(date +%s%N)
	grep -qx 'result: PAM_SUCCESS' "$T/out" || { cat "$T/out"; fail "$1 login failed"; }
	echo $(((_t1 - _t0) / 1000))
}
i=0
while [ $i -lt $N ]; do
	run yk >> "$T/t.yk"; run yb >> "$T/t.yb"; run permit >> "$T/t.permit"
	i=$((i + 1))
done
median() { sort -n "$1" | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.2f", m / 1000 }'; }
yk=$(median "$T/t.yk"); yb=$(median "$T/t.yb"); pp=$(median "$T/t.permit")
echo "challenge-response login, median of $N (ms): pam_yk $yk, pam_yubico $yb, pam_permit $pp"
echo "pam_yk / pam_yubico = $(echo "$yk $yb" | awk '{ printf "%.3f", $1 / $2 }') (goal <= 1.0)"
echo "over pam_permit: pam_yk +$(echo "$yk $pp" | awk '{ printf "%.2f", $1 - $2 }') ms, pam_yubico +$(echo "$yb $pp" | awk '{ printf "%.2f", $1 - $2 }') ms"
