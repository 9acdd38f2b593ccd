#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Online mode inside a real setuid-root program run by an ordinary user,
# as su and sudo are: the caller must not be able to stop pam_yk_validate
# (SIGSTOP until timeout=) and so turn the check into
# PAM_AUTHINFO_UNAVAIL, which the documented [authinfo_unavail=ignore]
# stack passes over.  A setuid copy of tests/pamdrive is run as nobody.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" = 0 ] || skip "otp-signal.sh needs root (a setuid-root program)"
command -v setpriv >/dev/null 2>&1 || skip "setpriv is not installed"
getent passwd daemon >/dev/null || skip "no user daemon"
NOBODY=65534

new_db "$T/db"
start_ykvald "$T/db"
chmod 711 "$T"
mkdir -m 755 "$T/suid"
printf 'daemon:%s\n' "$PUB" > "$T/authfile"
: > "$T/debug"; chmod 644 "$T/debug"

# A helper stopped some other way (a frozen cgroup of the caller's, a
# debugger) has not said that no server answered: an error, not
# PAM_AUTHINFO_UNAVAIL, and within timeout + 1 s.
printf '#!/bin/sh\nkill -STOP $$\nexec %s\n' "$VALIDATE" > "$T/suid/stopped-helper"
chmod 755 "$T/suid/stopped-helper"
service stopped "auth [success=ok authinfo_unavail=ignore default=die] $MODULE validate_helper=$T/suid/stopped-helper id=1 key=$CKEY authfile=$T/authfile urllist=$URL timeout=2 debug debug_file=$T/debug" \
    "auth required pam_permit.so"
t0=$(now_ms)
expect PAM_SYSTEM_ERR stopped daemon "$(otp 1 1)"
t=$(($(now_ms) - t0))
[ "$t" -le 3000 ] || fail "a stopped helper held the login $t ms (timeout=2)"
grep -q 'did not finish within timeout=' "$T/debug" || { cat "$T/debug"; fail "the log does not say why"; }
ok "a stopped helper is an error ($t ms), not an unreachable server"

if [ -n "${SAN_PRELOAD:-}" ]; then
	echo "a setuid program drops the sanitizer preload: the SIGSTOP by the caller not tried"
	exit 0
fi
cp "$PAMDRIVE" "$T/suid/pamdrive"
chmod 4755 "$T/suid/pamdrive"
# A slow start, so that the caller has time to find the helper.
printf '#!/bin/sh\n/bin/sleep 1\nexec %s\n' "$VALIDATE" > "$T/suid/slow-helper"
chmod 755 "$T/suid/slow-helper"
service yk "auth required $MODULE validate_helper=$T/suid/slow-helper id=1 key=$CKEY authfile=$T/authfile urllist=$URL timeout=4 debug debug_file=$T/debug"
chmod -R a+rX "$T/pam.d"

# As nobody: start the setuid program, SIGSTOP its helper when it shows.
cat > "$T/suid/attack.sh" <<'ATTACK'
"$1" "$2" yk daemon "$3" > "$4/out" 2>&1 &
pd=$!
i=0
while [ $i -lt 200 ]; do
	h=$(pgrep -P "$pd" || :)
	[ -n "$h" ] && break
	sleep 0.01; i=$((i + 1))
done
if [ -n "$h" ] && kill -STOP "$h" 2>/dev/null; then
	echo stopped > "$4/kill"
else
	echo refused > "$4/kill"
fi
wait "$pd"
ATTACK
chmod 755 "$T/suid/attack.sh"
chmod 777 "$T/suid"	# for out and kill, written by nobody
setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
    sh "$T/suid/attack.sh" "$T/suid/pamdrive" "$T/pam.d" "$(otp 1 0)" "$T/suid" ||
	fail "the attack script failed: $(cat "$T/suid/out")"
chmod 755 "$T/suid"
got=$(sed -n 's/^result: //p' "$T/suid/out")
echo "kill -STOP as the caller: $(cat "$T/suid/kill"); result $got"
[ "$(cat "$T/suid/kill")" = refused ] ||
	fail "the caller could stop pam_yk_validate (result $got)"
[ "$got" = PAM_SUCCESS ] || { cat "$T/suid/out" "$T/debug"; fail "result $got, want PAM_SUCCESS"; }
ok "the caller cannot signal pam_yk_validate; the OTP is checked"
