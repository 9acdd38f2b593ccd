#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# login.sh - end-to-end PAM login benchmark, run by hand ("make
# bench-login"), never by "make check": its figures depend on the machine.
#
# Every login is one pamtester process under pam_wrapper + nss_wrapper,
# fed a FRESH OTP on stdin, against ykvald instances (and a never-answering
# fakeval) that this script starts on 127.0.0.1.  It compares, in one run:
#
#   permit   pam_permit.so: the cost of pamtester + the wrappers alone
#   healthy  one healthy server (ykvald)
#   3-hang   three servers, the first never answering, then two healthy
#            ykvald instances with separate databases
#   hang     the only server never answers: pam_yk with timeout=5,
#            pam_yubico killed after 30 s (reported as ">= 30000 (killed)")
#
# for pam_yk.so and Debian's pam_yubico.so, the cases interleaved round by
# round (their order rotated each round) so that a noisy machine hurts all
# of them alike.  Each login is checked: it must succeed (fail, in the
# hang case), or the script aborts.  It prints medians in ms, pam_yk /
# pam_yubico per scenario and pam_yk over the pam_permit baseline, and the
# goals: pam_yk <= 0.25 x pam_yubico on a healthy server, and pam_yk
# within its timeout where pam_yubico hangs.
#
# Environment (defaults in brackets):
#   top_srcdir [the directory above tests/], top_builddir [top_srcdir/build]
#   BENCH_LOGINS [15]     logins per module in the fast scenarios
#   BENCH_HANG_LOGINS [3] logins per module in the "hang" scenario
#   BENCH_STRICT [0]      1: exit 1 when a goal is not met
#   PAM_YUBICO [/lib/security/pam_yubico.so]
# Takes about 2 minutes, mostly pam_yubico hanging (3 x 30 s).

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$here/../..}
top_builddir=${top_builddir:-$top_srcdir/build}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"	# sets -eu, $T, the clean-up trap

N=${BENCH_LOGINS:-15}
NH=${BENCH_HANG_LOGINS:-3}
STRICT=${BENCH_STRICT:-0}
PAM_YUBICO=${PAM_YUBICO:-/lib/security/pam_yubico.so}
FAKEVAL=$top_builddir/tests/fakeval
YK_TIMEOUT=5		# pam_yk's timeout= in every service
KILL_AFTER=30		# pamtester is killed after this many seconds

for p in "$YKVALD" "$OTPGEN" "$MODULE"; do
	[ -e "$p" ] || fail "$p is not built (run make)"
done
[ -x "$FAKEVAL" ] || fail "$FAKEVAL is not built (make tests/fakeval)"
[ -f "$PAM_YUBICO" ] || fail "pam_yubico not found at $PAM_YUBICO (libpam-yubico)"
for c in pamtester timeout sqlite3; do
	command -v $c >/dev/null 2>&1 || fail "$c is not installed"
done
PWRAP=$(wrapper pam_wrapper)
NWRAP=$(wrapper nss_wrapper)
[ -n "$PWRAP" ] || fail "libpam_wrapper.so not found (libpam-wrapper)"
[ -n "$NWRAP" ] || fail "libnss_wrapper.so not found (libnss-wrapper)"

# ---- servers: two healthy ykvald on separate databases, one hanging ------
new_db "$T/db1"
start_ykvald "$T/db1"; GOOD1=$URL
new_db "$T/db2"
start_ykvald "$T/db2"; GOOD2=$URL
_r=$T/fake.hang.ready
"$FAKEVAL" --mode hang --key "$CKEY" --ready-file "$_r" --lifetime 900 \
	--log "$T/fake.hang.log" >/dev/null 2>>"$T/fake.err" &
_pids="$_pids $!"
wait_for_file "$_r" $! || fail "fakeval hang did not start"
HANG=http://$(cat "$_r")/wsapi/2.0/verify

# ---- users and PAM services ----------------------------------------------
mkdir -p "$T/home"
echo "alice:x:4242:4242:Alice:$T/home:/bin/sh" > "$T/passwd"
echo "alice:x:4242:" > "$T/group"
echo "alice:$PUB" > "$T/authfile"
service other "auth required pam_deny.so"	# keeps pam_wrapper quiet
service permit "auth required pam_permit.so"
yk() { service "$1" "auth required $MODULE id=1 key=$CKEY authfile=$T/authfile timeout=$YK_TIMEOUT urllist=$2"; }
yb() { service "$1" "auth required $PAM_YUBICO id=1 key=$CKEY authfile=$T/authfile urllist=$2"; }
yk yk-healthy "$GOOD1"
yb yb-healthy "$GOOD1"
yk yk-3hang "$HANG;$GOOD1;$GOOD2"
yb yb-3hang "$HANG;$GOOD1;$GOOD2"
yk yk-hang "$HANG"
yb yb-hang "$HANG"

# ---- one login -------------------------------------------------------------
# One global counter: both modules share the databases, so every OTP is
# newer than all before it.
CTR=0
next_otp() { CTR=$((CTR + 1)); OTP=$(otp $CTR 0); }

# pam SERVICE OTP: one timed login; sets RC (pamtester's status, 124 when
# killed) and US (wall-clock microseconds of the login).
pam() {
	echo "=== $1 $2" >> "$T/pamtester.log"
	_t0=$(date +%s%N)
	RC=0
	echo "$2" | timeout $KILL_AFTER env LD_PRELOAD="$PWRAP:$NWRAP" \
	    PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$T/pam.d" \
	    NSS_WRAPPER_PASSWD="$T/passwd" NSS_WRAPPER_GROUP="$T/group" \
	    pamtester "$1" alice authenticate >> "$T/pamtester.log" 2>&1 || RC=$?
	_t1=$(date +%s%N)
	US=$(((_t1 - _t0) / 1000))
	echo "=== exit $RC, $US us" >> "$T/pamtester.log"
}
dump() {
	echo "--- pamtester (last 30 lines)" >&2; tail -n 30 "$T/pamtester.log" >&2
	echo "--- ykvald log (last 10 lines)" >&2; tail -n 10 "$T/ykvald.log" >&2
}
die() { dump; fail "$@"; }

# case CASE: one timed login of that case (a service, or "permit"),
# checked, its time appended to $T/t.CASE (microseconds, "killed" when
# pamtester was killed).
case_() {
	next_otp
	pam "$1" "$OTP"
	case $1 in
	*-hang)
		[ $RC -ne 0 ] || die "$1: a login through a hanging server succeeded"
		if [ $RC -eq 124 ]; then echo killed; else echo $US; fi >> "$T/t.$1"
		;;
	*)
		[ $RC -eq 0 ] || die "$1: login with fresh OTP $OTP failed (exit $RC)"
		echo $US >> "$T/t.$1"
		;;
	esac
}

# round CASE...: every case once, the order rotated by the round number.
rounds() {
	_n=$1; shift
	_i=0
	while [ $_i -lt "$_n" ]; do
		_k=$((_i % $#)); _j=0
		for _c in "$@"; do [ $_j -ge $_k ] && case_ "$_c"; _j=$((_j + 1)); done
		_j=0
		for _c in "$@"; do [ $_j -lt $_k ] && case_ "$_c"; _j=$((_j + 1)); done
		_i=$((_i + 1))
		printf '.' >&2
	done
}

# ---- controls (untimed; they also warm the caches) ------------------------
# Each module must accept a fresh OTP and then refuse it replayed: that
# shows it really is in the loop, checking against ykvald.
for s in yk-healthy yb-healthy; do
	next_otp
	pam $s "$OTP"
	[ $RC -eq 0 ] || die "control: $s refused the fresh OTP $OTP (exit $RC)"
	pam $s "$OTP"
	[ $RC -ne 0 ] || die "control: $s accepted the replayed OTP $OTP"
	ok "control: $s accepts a fresh OTP and refuses it replayed"
done
pam permit "$OTP"; [ $RC -eq 0 ] || die "control: pam_permit refused"
nok0=$(grep -c 'status=OK ' "$T/ykvald.log" || :)

# ---- the measurements ------------------------------------------------------
printf 'timing: %d rounds of 5 fast cases' "$N" >&2
rounds "$N" yk-healthy yb-healthy permit yk-3hang yb-3hang
echo >&2
printf 'timing: %d rounds of the hanging server (yk %d s, yubico up to %d s)' \
	"$NH" $YK_TIMEOUT $KILL_AFTER >&2
rounds "$NH" yk-hang yb-hang
echo >&2
# Every successful module login was one OK from ykvald at least.
nok=$(($(grep -c 'status=OK ' "$T/ykvald.log" || :) - nok0))
[ $nok -ge $((4 * N)) ] || die "ykvald logged $nok OK answers for $((4 * N)) logins"

# ---- the report ------------------------------------------------------------
# med CASE: the median in ms (2 decimals), or "killed" when at least half
# of the logins were killed.
med() {
	sort -n "$T/t.$1" | awk '
		/killed/ { k++; next } { v[n++] = $1 }
		END {
			if (k * 2 >= n + k) { print "killed"; exit }
			# killed logins sort after every finished one
			t = n + k; m = int((t - 1) / 2)
			x = (t % 2) ? v[m] : (v[m] + v[m + 1]) / 2
			printf "%.2f\n", x / 1000
		}'
}
range() {
	sort -n "$T/t.$1" | awk '/killed/ { k = 1; next } { v[n++] = $1 }
		END { if (n == 0) { printf "all killed"; exit }
		    printf "%.0f..%s", v[0] / 1000,
		    k ? "killed" : sprintf("%.0f", v[n - 1] / 1000) }'
}
show() {	# show CASE MEDIAN
	if [ "$2" = killed ]; then echo ">= $((KILL_AFTER * 1000)) (killed)"
	else echo "$2 ($(range "$1"))"; fi
}
ratio() {
	if [ "$2" = killed ]; then
		awk -v a="$1" -v b=$((KILL_AFTER * 1000)) 'BEGIN { printf "<= %.3f\n", a / b }'
	else
		awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", a / b }'
	fi
}

P=$(med permit)
YKH=$(med yk-healthy); YBH=$(med yb-healthy)
YK3=$(med yk-3hang); YB3=$(med yb-3hang)
YKX=$(med yk-hang); YBX=$(med yb-hang)
[ "$YKX" != killed ] || die "pam_yk was killed at $KILL_AFTER s with timeout=$YK_TIMEOUT"

echo
echo "End-to-end login time: pamtester + pam_wrapper + nss_wrapper, one"
echo "process per login, fresh OTP each; median ms (min..max ms)"
printf '%-28s %-22s %-32s %s\n' scenario pam_yk pam_yubico pam_yk/pam_yubico
printf '%-28s %-22s %-32s %s\n' "baseline pam_permit (N=$N)" "$P ($(range permit))" - -
printf '%-28s %-22s %-32s %s\n' "1 healthy server (N=$N)" \
	"$YKH ($(range yk-healthy))" "$YBH ($(range yb-healthy))" "$(ratio "$YKH" "$YBH")"
printf '%-28s %-22s %-32s %s\n' "3 servers, 1st hangs (N=$N)" \
	"$YK3 ($(range yk-3hang))" "$YB3 ($(range yb-3hang))" "$(ratio "$YK3" "$YB3")"
printf '%-28s %-22s %-32s %s\n' "only server hangs (N=$NH)" \
	"$YKX ($(range yk-hang))" "$(show yb-hang "$YBX")" "$(ratio "$YKX" "$YBX")"
echo "(pam_yk: timeout=$YK_TIMEOUT; pam_yubico has no timeout and is killed at $KILL_AFTER s)"
echo
echo "over the pam_permit baseline ($P ms):"
over2() {
	awk -v n="$1" -v s="$2" -v a="$3" -v p="$P" 'BEGIN {
		printf "  %-12s %-22s +%8.2f ms  x%.2f\n", n, s, a - p, a / p }'
}
over2 pam_yk "1 healthy server" "$YKH"
over2 pam_yubico "1 healthy server" "$YBH"
over2 pam_yk "3 servers, 1 hangs" "$YK3"
over2 pam_yubico "3 servers, 1 hangs" "$YB3"
awk -v a="$YKH" -v b="$YBH" -v p="$P" 'BEGIN {
	if (b - p > 0) printf "module cost alone (minus baseline), healthy: pam_yk/pam_yubico = %.3f\n", (a - p) / (b - p) }'

echo
met=0
g1=$(awk -v a="$YKH" -v b="$YBH" 'BEGIN { print (a <= 0.25 * b) ? "MET" : "NOT MET" }')
echo "goal 1: pam_yk <= 0.25 x pam_yubico on a healthy server: $g1 ($(ratio "$YKH" "$YBH"))"
[ "$g1" = MET ] || met=1
g2=$(awk -v a="$YKX" -v t=$YK_TIMEOUT 'BEGIN { print (a <= t * 1000 + 500) ? "MET" : "NOT MET" }')
echo "goal 2: pam_yk within its timeout ($YK_TIMEOUT s) where pam_yubico hangs: $g2 ($YKX ms; pam_yubico $(show yb-hang "$YBX"))"
[ "$g2" = MET ] || met=1
[ "$STRICT" != 1 ] || exit $met
exit 0
