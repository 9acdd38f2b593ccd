#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# ldap.sh - LDAP-mapped OTP login benchmark, run by hand ("make
# bench-ldap"), never by "make check": its figures depend on the machine.
#
# Every login is one pamtester process under pam_wrapper + nss_wrapper,
# fed a FRESH OTP, through the SAME PAM line for pam_yk.so and Debian's
# pam_yubico.so, against the same slapd (tests/ldap-lib.sh) and ykvald,
# both started here on 127.0.0.1.  Scenarios: ldaps:// and StartTLS, and
# pam_permit.so for the cost of pamtester and the wrappers alone.  The
# cases are interleaved round by round (order rotated) so that a noisy
# machine hurts them alike; each login must succeed, or the script aborts.
# It prints the median ms per case, pam_yk / pam_yubico per scenario, the
# searches each makes per login, and the goal: pam_yk <= 0.5 x pam_yubico.
#
# Environment: BENCH_LOGINS [20] logins per case; BENCH_STRICT [0] 1: exit
# 1 when the goal is missed; PAM_YUBICO [/lib/security/pam_yubico.so].

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$here/../..}
top_builddir=${top_builddir:-$top_srcdir/build}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"
# shellcheck source=tests/ldap-lib.sh
. "$top_srcdir/tests/ldap-lib.sh"

N=${BENCH_LOGINS:-20}
STRICT=${BENCH_STRICT:-0}
PAM_YUBICO=${PAM_YUBICO:-/lib/security/pam_yubico.so}
for p in "$YKVALD" "$OTPGEN" "$MODULE" "$top_builddir/pam_yk_ldap"; do
	[ -e "$p" ] || fail "$p is not built (run make)"
done
[ -f "$PAM_YUBICO" ] || fail "pam_yubico not found at $PAM_YUBICO (libpam-yubico)"
command -v pamtester >/dev/null 2>&1 || fail "pamtester is not installed"
PWRAP=$(wrapper pam_wrapper)
NWRAP=$(wrapper nss_wrapper)
[ -n "$PWRAP" ] && [ -n "$NWRAP" ] || fail "pam_wrapper or nss_wrapper missing"

new_db "$T/db"
start_ykvald "$T/db"
{ printf 'dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n' "$LDAP_BASE"
  printf 'dn: uid=alice,ou=people,%s\nobjectClass: inetOrgPerson\n' "$LDAP_BASE"
  printf 'objectClass: yubiKeyUser\nuid: alice\ncn: alice\nsn: alice\n'
  printf 'yubiKeyId: %s\n\n' "$PUB"; } > "$T/people.ldif"
start_slapd "$T/people.ldif"
echo "alice:x:4242:4242:Alice:$T:/bin/sh" > "$T/passwd"
echo "alice:x:4242:" > "$T/group"

common="id=1 key=$CKEY urllist=$URL yubi_attr=yubiKeyId ldapdn=ou=people,$LDAP_BASE user_attr=uid ldap_cacertfile=$LDAP_CA validate_helper=$VALIDATE ldap_helper=$top_builddir/pam_yk_ldap"
svc() { printf 'auth required %s %s\n' "$2" "$3" > "$T/pam.d/$1"; }
svc yk-ldaps "$MODULE" "$common ldap_uri=$LDAPS_URI"
svc yb-ldaps "$PAM_YUBICO" "$common ldap_uri=$LDAPS_URI"
svc yk-starttls "$MODULE" "$common ldap_uri=$LDAP_URI ldap_starttls"
svc yb-starttls "$PAM_YUBICO" "$common ldap_uri=$LDAP_URI ldap_starttls"
svc permit pam_permit.so ""
svc other pam_deny.so ""

CTR=0
# case_ CASE: one timed login, checked; its microseconds to $T/t.CASE and
# the searches slapd saw to $T/s.CASE.
case_() {
	CTR=$((CTR + 1))
	_otp=$(otp $CTR 0)
	_s0=$(slapd_ops SRCH)
	_t0=$(date +%s%N)
	_rc=0
	echo "$_otp" | env LD_PRELOAD="$PWRAP:$NWRAP" PAM_WRAPPER=1 \
	    PAM_WRAPPER_SERVICE_DIR="$T/pam.d" NSS_WRAPPER_PASSWD="$T/passwd" \
	    NSS_WRAPPER_GROUP="$T/group" pamtester "$1" alice authenticate \
	    >> "$T/pamtester.log" 2>&1 || _rc=$?
	_t1=$(date +%s%N)
	[ $_rc -eq 0 ] || { tail -n 20 "$T/pamtester.log" >&2; fail "$1: login failed"; }
	echo $(((_t1 - _t0) / 1000)) >> "$T/t.$1"
	echo $(($(slapd_ops SRCH) - _s0)) >> "$T/s.$1"
}
cases="yk-ldaps yb-ldaps yk-starttls yb-starttls permit"
for c in $cases; do case_ "$c"; done		# warm up, checked
for c in $cases; do : > "$T/t.$c"; : > "$T/s.$c"; done
i=0
printf 'timing: %d rounds of %s' "$N" "$cases" >&2
while [ $i -lt "$N" ]; do
	k=$((i % 5)); j=0
	for c in $cases; do [ $j -ge $k ] && case_ "$c"; j=$((j + 1)); done
	j=0
	for c in $cases; do [ $j -lt $k ] && case_ "$c"; j=$((j + 1)); done
	i=$((i + 1))
	printf '.' >&2
done
echo >&2

med() { sort -n "$T/t.$1" | awk '{ v[n++] = $1 } END { m = int((n - 1) / 2)
	printf "%.2f\n", ((n % 2) ? v[m] : (v[m] + v[m + 1]) / 2) / 1000 }'; }
avg() { awk '{ s += $1; n++ } END { printf "%.1f\n", s / n }' "$T/s.$1"; }
base=$(med permit)
echo "median login time, ms ($N logins each; pamtester + wrappers alone: $base)"
printf '%-10s %10s %10s %8s %14s\n' scenario pam_yk pam_yubico ratio "searches yk/yb"
worst=0
for s in ldaps starttls; do
	a=$(med yk-$s); b=$(med yb-$s)
	r=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", a / b }')
	printf '%-10s %10s %10s %8s %8s/%s\n' $s "$a" "$b" "$r" "$(avg yk-$s)" "$(avg yb-$s)"
	worst=$(awk -v w="$worst" -v r="$r" 'BEGIN { print (r > w) ? r : w }')
done
if awk -v w="$worst" 'BEGIN { exit !(w <= 0.5) }'; then
	echo "goal pam_yk <= 0.5 x pam_yubico: met (worst ratio $worst)"
else
	echo "goal pam_yk <= 0.5 x pam_yubico: MISSED (worst ratio $worst)"
	[ "$STRICT" = 0 ] || exit 1
fi
