#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Online mode under stalls: a DNS lookup that never answers, a TLS handshake
# that never completes, several at once.  Every login ends within timeout
# + 1 s, and as soon as one server says OK (issue 11, item 2).  The stalled
# lookup comes from tests/stallgai.c, preloaded into pam_yk_validate by a
# wrapper script: the module runs the helper with an empty environment, so
# nothing set here would reach it otherwise.  Network: loopback only.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

STALL=$top_builddir/tests/.libs/stallgai.so
FAKEVAL=$top_builddir/tests/fakeval
[ -f "$STALL" ] || skip "tests/stallgai.so is not built"
cat > "$T/validate" <<EOF2
#!/bin/sh
ASAN_OPTIONS=verify_asan_link_order=0 LD_PRELOAD=${SAN_PRELOAD:+$SAN_PRELOAD:}$STALL exec $VALIDATE
EOF2
chmod 755 "$T/validate"

new_db "$T/db"
start_ykvald "$T/db"
GOOD=$URL
printf 'alice:%s\n' $PUB > "$T/authfile"
_r=$T/hang.ready
"$FAKEVAL" --mode hang --key "$CKEY" --ready-file "$_r" --lifetime 120 \
	--log "$T/hang.log" >/dev/null 2>>"$T/fake.err" &
_pids="$_pids $!"
wait_for_file "$_r" $! || fail "fakeval hang did not start"
TLSHANG=https://$(cat "$_r")/wsapi/2.0/verify
DNS1=http://one.stall.test/wsapi/2.0/verify
DNS2=http://two.stall.test/wsapi/2.0/verify
: > "$T/debug"; chmod 666 "$T/debug"
n=0
# timed CODE MAX_MS URLLIST: log in with timeout=2 through the wrapper;
# the login must give CODE within MAX_MS, pamdrive's start and exit included.
timed() {
	n=$((n + 1))
	service "t$n" "auth required $MODULE id=1 key=$CKEY authfile=$T/authfile timeout=2 validate_helper=$T/validate debug debug_file=$T/debug urllist=$3"
	t0=$(now_ms)
	expect "$1" "t$n" alice "$(otp 1 $n)"
	took=$(($(now_ms) - t0))
	[ $took -le "$2" ] || { cat "$T/debug"; fail "$what: $took ms, want <= $2 ms"; }
	ok "$what: $1 in $took ms"
}
what="a stalled DNS lookup"; timed PAM_AUTHINFO_UNAVAIL 3000 "$DNS1"
what="a TLS handshake that never completes"; timed PAM_AUTHINFO_UNAVAIL 3000 "$TLSHANG"
what="three stalled servers"; timed PAM_AUTHINFO_UNAVAIL 3000 "$DNS1;$DNS2;$TLSHANG"
what="stalled DNS, then a good server"; timed PAM_SUCCESS 1000 "$DNS1;$GOOD"
what="three stalled, one good"; timed PAM_SUCCESS 1000 "$DNS1;$TLSHANG;$DNS2;$GOOD"
# The module's own clock: it gave up at its deadline, not later.
waited=$(sed -n 's/.*no verdict on the OTP .* after \([0-9]*\) ms.*/\1/p' "$T/debug" | sort -n | tail -n 1)
if [ -z "$waited" ] || [ "$waited" -gt 3000 ]; then
	fail "the module waited '$waited' ms"
fi
ok "the module waited at most $waited ms with timeout=2"
# Nothing of it is left behind: no helper of this test still running (other
# tests run pam_yk_validate at the same time; ours carry the stall shim).
for p in $(pgrep -f "$VALIDATE" || :); do
	tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qF "$STALL" &&
		fail "a pam_yk_validate is still running (pid $p)"
done
ok "no pam_yk_validate left running"
stop_ykvald
