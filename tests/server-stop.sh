#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# SIGTERM under load: ykvald exits 0, and every OK it decided reached its
# client (a verification waiting for its commit is answered before the
# connection closes); requests that come in while it stops get 503 or a
# closed connection, never a verdict that was not logged.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

gen_keys 32 > "$T/keys.csv"
new_db "$T/db"
"$YKVALD" key import --db "$(db_arg "$T/db")" "$T/keys.csv" >/dev/null
ctr=1
for round in 1 2 3; do
	: > "$T/ykvald.log"
	start_ykvald "$T/db"
	# 32 connections as fast as answers come; SIGTERM half-way.
	"$LOAD" -t 32 -d 2 -w 0 -b "$ctr" "$URL" 1 "$CKEY" "$T/keys.csv" \
		> "$T/load.out" 2> "$T/load.err" &
	lp=$!
	_pids="$_pids $lp"
	sleep 1
	stop_ykvald
	wait $lp || :	# the requests after the stop are errors
	ctr=$((ctr + 256))
	got=$(val ok "$(cat "$T/load.out")")
	logged=$(grep -c 'verify .*status=OK' "$T/ykvald.log") || :
	[ "${got:-0}" -gt 0 ] || fail "round $round: no OK before the stop: $(cat "$T/load.out" "$T/load.err")"
	[ "$got" = "$logged" ] ||
		fail "round $round: $logged OK decided, $got reached the client"
	ok "round $round: $got OK decided before SIGTERM, all answered"
done
echo "server-stop: all passed"
