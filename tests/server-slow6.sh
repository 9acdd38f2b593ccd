#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Slow clients from many IPv6 addresses of one /64 (item 5 of issue 11):
# an IPv6 host has a /64 of addresses, so the per-address connection
# limit applies to the /64.  2,000 slow connections from 256 addresses
# of fd00:1::/64 must not keep fd00:2::1 from verifying.  The addresses
# live in a network namespace of the test's own (root, unshare -n).
if [ "${YK_NETNS:-}" != 1 ]; then
	{ command -v unshare && command -v ip; } >/dev/null 2>&1 ||
		{ echo "SKIP: no unshare or ip"; exit 77; }
	unshare -n true 2>/dev/null ||
		{ echo "SKIP: cannot make a network namespace"; exit 77; }
	YK_NETNS=1 exec unshare -n sh "$0" "$@"
fi
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
SLOW="python3 $top_srcdir/tests/slowloris.py"

ip link set lo up
i=1
while [ $i -le 256 ]; do
	printf 'address add fd00:1::%x/128 dev lo nodad\n' $i
	i=$((i + 1))
done > "$T/addrs"
echo 'address add fd00:2::1/128 dev lo nodad' >> "$T/addrs"
ip -6 -batch "$T/addrs" || fail "cannot add the test addresses"

new_db "$T/db"
"$YKVALD" serve $ALLOW_ROOT --db "$T/db" --listen '[::1]:0' --ready-file "$T/r6" \
	2>>"$T/ykvald.log" &
YKVALD_PID=$!; _pids="$_pids $YKVALD_PID"
wait_for_file "$T/r6" $YKVALD_PID || fail "ykvald did not start"
addr=$(cat "$T/r6")
url="http://$addr/wsapi/2.0/verify"

$SLOW hold -s fd00:1:: -m 256 -n 2000 -t 120 -r "$T/held" "$addr" \
	> "$T/hold.out" 2>&1 &
hp=$!; _pids="$_pids $hp"
wait_for_file "$T/held" $hp || fail "the slow clients did not start"
sleep 1
i=0
while [ $i -lt 5 ]; do
	start=$(now_ms)
	out=$(curl -sS -m 5 --interface fd00:2::1 -g \
		"$url?id=1&otp=$(otp 4 $i)&nonce=abcdefghijklmnopq") ||
		fail "verify $i from fd00:2::1 under load: no answer in 5 s"
	printf '%s\n' "$out" | grep -q '^status=OK' ||
		fail "verify $i from fd00:2::1 under load: $out"
	ok "verify $i from fd00:2::1 under load: OK in $(($(now_ms) - start)) ms"
	i=$((i + 1))
	sleep 0.3
done
# The /64 holds at most its 64 connections (the other ones are cut at
# once): ykvald tracks 64, plus this request and one being cut or answered.
held=$(curl -sS -m 5 --interface fd00:2::1 -g "http://$addr/metrics" |
	sed -n 's/^ykvald_http_connections \([0-9]*\)$/\1/p')
[ -n "$held" ] && [ "$held" -le 66 ] ||
	fail "${held:-no} connections open with one /64 over its limit of 64"
ok "$held connections open while one /64 holds its 64"
kill -TERM $hp
wait $hp || fail "the slow clients failed: $(cat "$T/hold.out")"
ok "2,000 slow connections from one /64: $(cat "$T/hold.out")"
grep -q 'refused [0-9]* connections over 64 from one IPv6 /64' "$T/ykvald.log" ||
	fail "no log line for the refused connections"
stop_ykvald
echo "server-slow6: all passed"
