#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Slow clients (item 5 of issue 11): one address holding 2,000 slow
# connections, half-open or trickling, must not keep others from
# verifying; a request trickled a byte at a time is cut at its deadline,
# headers and body alike; limits that do not fit RLIMIT_NOFILE are refused;
# open connections hold no thread each.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
SLOW="python3 $top_srcdir/tests/slowloris.py"

new_db "$T/db"

# Connection limits that cannot fit under the hard RLIMIT_NOFILE: refused
# at start, in one line, rather than failing accept() under load.
rc=0
prlimit --nofile=400:400 "$YKVALD" serve $ALLOW_ROOT --db "$T/db" \
	--listen 127.0.0.1:0 --max-connections 512 2>"$T/nofile.err" || rc=$?
[ $rc = 1 ] || fail "512 connections under a 400-file limit: exit $rc"
grep -q 'needs .* open files, the limit is 400' "$T/nofile.err" ||
	fail "no reason given: $(cat "$T/nofile.err")"
ok "limits above RLIMIT_NOFILE are refused"
# ... and a soft limit below what is needed is raised up to the hard one.
prlimit --nofile=100: "$YKVALD" serve $ALLOW_ROOT --db "$T/db" --listen 127.0.0.1:0 \
	--ready-file "$T/r100" 2>>"$T/ykvald.log" &
p=$!; _pids="$_pids $p"
wait_for_file "$T/r100" $p || fail "ykvald did not start under a low soft limit"
soft=$(sed -n 's/^Max open files *\([0-9]*\) .*/\1/p' "/proc/$p/limits")
[ "$soft" -ge 512 ] || fail "the soft RLIMIT_NOFILE stayed at $soft"
kill -TERM $p; wait $p || fail "ykvald exited with $?"
ok "a low soft RLIMIT_NOFILE is raised"

start_ykvald "$T/db" --request-timeout 2

# A trickled request is cut at the deadline (2 s), unanswered: headers
# a byte every 0.25 s, or whole headers and then the body.  Bounds are
# generous: the sweep runs every 0.25 s and the machine may be loaded.
for what in header body; do
	out=$($SLOW once $what -t 10 "$YKVALD_ADDR")
	after=$(printf '%s\n' "$out" | sed -n 's/^closed_after=//p')
	[ "$after" != never ] || fail "a trickled $what was never cut"
	awk -v t="$after" 'BEGIN { exit !(t >= 1.5 && t < 5) }' ||
		fail "a trickled $what was cut after $after s, want about 2"
	printf '%s\n' "$out" | grep -q '^answered=no' ||
		fail "a trickled $what got an answer"
	ok "a trickled $what is cut after $after s"
done
grep -q 'closed [0-9]* connections that had not sent a whole request within 2 s' \
	"$T/ykvald.log" || fail "no log line for the cut connections"

# 2,000 slow connections from 127.0.0.1 (the tool opens each one again
# once the server closes it); meanwhile, verifications from 127.0.0.2
# (another loopback address) are answered OK, each within 5 s (half the
# module's default timeout=).  The load runs until they are done.
$SLOW hold -s 127.0.0.1 -n 2000 -t 120 -r "$T/held" "$YKVALD_ADDR" \
	> "$T/hold.out" 2>&1 &
hp=$!; _pids="$_pids $hp"
wait_for_file "$T/held" $hp || fail "the slow clients did not start"
sleep 1		# every half-open connection is in, every trickle began
i=0
while [ $i -lt 5 ]; do
	start=$(now_ms)
	out=$(curl -sS -m 5 --interface 127.0.0.2 \
		"$URL?id=1&otp=$(otp 4 $i)&nonce=abcdefghijklmnopq") ||
		fail "verify $i from 127.0.0.2 under load: no answer in 5 s"
	printf '%s\n' "$out" | grep -q '^status=OK' ||
		fail "verify $i from 127.0.0.2 under load: $out"
	ok "verify $i from 127.0.0.2 under load: OK in $(($(now_ms) - start)) ms"
	i=$((i + 1))
	sleep 0.3
done
# A connection holds no thread of its own: 64 of them open (the most one
# address gets) leave ykvald with a few threads, not one each.
threads=$(ls "/proc/$YKVALD_PID/task" | wc -l)
[ "$threads" -lt 32 ] || fail "$threads threads for 64 open connections"
ok "$threads threads with 64 slow connections open"
kill -TERM $hp
wait $hp || fail "the slow clients failed: $(cat "$T/hold.out")"
held=$(sed -n 's/.*open_at_end=//p' "$T/hold.out")
[ "${held:-0}" -gt 0 ] || fail "the load was not on: $(cat "$T/hold.out")"
ok "2,000 slow connections from one address: $(cat "$T/hold.out")"
# The refusals did not flood the log: 20 lines a second, then a count.
lines=$(wc -l < "$T/ykvald.log")
[ "$lines" -lt 1000 ] || fail "$lines log lines for the slow clients"
grep -q 'more libmicrohttpd messages not logged' "$T/ykvald.log" ||
	fail "no count of the messages left out"
ok "$lines log lines"
kill -0 "$YKVALD_PID" || fail "ykvald died"
stop_ykvald
echo "server-slow: all passed"
