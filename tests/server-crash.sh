#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Durability: an OTP that got OK is never OK again, also after kill -9.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

new_db "$T/db"
status() { "$VCLIENT" -k "$CKEY" -n "$2" "$URL" 1 "$1" | field status; }

# 1. Accept, kill -9 at once, restart: the OTP is replayed.
for i in 1 2 3 4 5; do
	start_ykvald "$T/db"
	o=$(otp 20 "$i")
	[ "$(status "$o" nonceaaaaaaaaaaaaaaa)" = OK ] || fail "round $i: not OK"
	kill -9 "$YKVALD_PID"; wait "$YKVALD_PID" 2>/dev/null || :
	start_ykvald "$T/db"
	[ "$(status "$o" noncebbbbbbbbbbbbbbb)" = REPLAYED_OTP ] ||
		fail "round $i: OK was lost by kill -9"
	stop_ykvald
done
ok "5 rounds: accept, kill -9, restart, replayed"

# 2. kill -9 in the middle of a stream of verifications: every OTP that
# was answered OK before the kill is REPLAYED_OTP afterwards.
start_ykvald "$T/db"
(
	i=0
	while [ $i -lt 400 ]; do
		o=$(otp 30 $((i % 256)) $((i + 1)))
		[ $i -ge 256 ] && o=$(otp 31 $((i - 256)) $((i + 1)))
		s=$("$VCLIENT" -k "$CKEY" "$URL" 1 "$o" 2>/dev/null | field status) || s=
		[ "$s" = OK ] && echo "$o" >> "$T/accepted"
		[ -n "$s" ] || break
		i=$((i + 1))
	done
) &
loader=$!
_pids="$_pids $loader"
# Wait until some OTPs were accepted, then pull the plug.
n=0
while [ "$(cat "$T/accepted" 2>/dev/null | wc -l)" -lt 30 ]; do
	n=$((n + 1)); [ $n -lt 2000 ] || fail "the stream never got going"
	sleep 0.01
done
kill -9 "$YKVALD_PID"
wait "$loader" 2>/dev/null || :
wait "$YKVALD_PID" 2>/dev/null || :
start_ykvald "$T/db"
count=0
while read -r o; do
	[ "$(status "$o" noncecccccccccccccccc)" = REPLAYED_OTP ] ||
		fail "accepted OTP $o is not replayed after kill -9"
	count=$((count + 1))
done < "$T/accepted"
ok "$count OTPs accepted before kill -9 mid-stream all stay replayed"
sqlite3 "$T/db" "PRAGMA integrity_check" | grep -qx ok || fail "integrity"
stop_ykvald
