#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# A request that must wait for the database goes on in a thread of its
# own; when none can start (here: RLIMIT_NPROC reached), it gets 503 at
# once and the polling thread goes on serving the others, rather than
# wait itself.  ykvald runs as an unprivileged uid, since the limit does
# not hold for root.
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root to run ykvald as another uid"; exit 77; }
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
U=64123
mkdir "$T/u"
new_db "$T/u/db"
chown -R "$U:$U" "$T/u"
chmod 711 "$T"
# run_as [LIMIT]: ykvald as uid U, with RLIMIT_NPROC LIMIT if given (set
# by the process itself: root here may lack CAP_SYS_RESOURCE to set
# another uid's limits).
run_as() {
	rm -f "$T/u/ready"
	setpriv --reuid=$U --regid=$U --clear-groups \
		${1:+prlimit --nproc="$1"} "$YKVALD" serve --db "$T/u/db" \
		--listen 127.0.0.1:0 --ready-file "$T/u/ready" 2>>"$T/ykvald.log" &
	YKVALD_PID=$!; _pids="$_pids $YKVALD_PID"
	wait_for_file "$T/u/ready" $YKVALD_PID ||
		fail "ykvald did not start: $(cat "$T/ykvald.log")"
	addr=$(head -n 1 "$T/u/ready")
	url="http://$addr/wsapi/2.0/verify"
}

# How many threads ykvald starts with; then exactly that many allowed,
# so that the first verification (no database reader open yet) has no
# thread to go on in.
run_as
n=$(ls "/proc/$YKVALD_PID/task" | wc -l)
kill -TERM "$YKVALD_PID"
wait "$YKVALD_PID" || fail "ykvald exited with $?"
run_as "$n"
[ "$(ls "/proc/$YKVALD_PID/task" | wc -l)" = "$n" ] ||
	fail "ykvald started with another number of threads than $n"
code=$(curl -sS -m 5 -o "$T/out" -w '%{http_code}' \
	"$url?id=1&otp=$(otp 1 0)&nonce=abcdefghijklmnopq") ||
	fail "no answer without a thread"
[ "$code" = 503 ] || fail "without a thread: HTTP $code $(cat "$T/out")"
grep -q 'cannot start a thread' "$T/ykvald.log" ||
	fail "no reason logged: $(cat "$T/ykvald.log")"
ok "no thread for a request that must wait: 503 at once"
code=$(curl -sS -m 5 -o /dev/null -w '%{http_code}' "http://$addr/metrics") ||
	fail "the polling thread stopped answering"
[ "$code" = 200 ] || fail "/metrics without a thread: HTTP $code"
ok "the polling thread goes on"

kill -TERM "$YKVALD_PID"
wait "$YKVALD_PID" || fail "ykvald exited with $?"
run_as
out=$(curl -sS -m 5 "$url?id=1&otp=$(otp 1 0)&nonce=abcdefghijklmnopq")
printf '%s\n' "$out" | grep -q '^status=OK' || fail "with threads again: $out"
ok "the same OTP is OK once a thread can start (it was not spent)"
kill -TERM "$YKVALD_PID"
wait "$YKVALD_PID" || fail "ykvald exited with $?"
echo "server-nothread: all passed"
