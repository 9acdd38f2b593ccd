#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Three ykvald nodes on one PostgreSQL database: the database alone
# decides replays.  50 requests carrying one OTP, sent at once to all
# three nodes by three client ids, get exactly one OK, in 20 rounds;
# fresh OTPs sent to alternating nodes are all OK, and a lower counter
# is a replay on every node.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
# shellcheck source=tests/pg-lib.sh
. "${top_srcdir:-.}/tests/pg-lib.sh"
pg_start

psql_at "$PGPORT" postgres "CREATE DATABASE nodes" || fail "createdb"
DB=postgresql://ykvald@127.0.0.1:$PGPORT/nodes
for id in 1 2 3; do
	"$YKVALD" client add --db "$DB" --id $id >/dev/null || fail "client $id"
done
psql_at "$PGPORT" nodes "UPDATE clients SET secret = '$CKEY'" >/dev/null
"$YKVALD" key add --db "$DB" --public-id $PUB --private-id $PRIV \
	--aes-key $AES >/dev/null || fail "key add"

# node N: start node N; its URL is in URL_N, its pid in PID_N.
node() {
	start_ykvald "$DB"
	eval "URL_$1=\$URL PID_$1=\$YKVALD_PID"
}
node 1; node 2; node 3
ALL=$URL_1,$URL_2,$URL_3

round=1
while [ $round -le 20 ]; do
	"$BURST" "$ALL" 1,2,3 "$CKEY" "$(otp 20 "$round")" 50 > "$T/tally"
	if [ "$(wc -l < "$T/tally")" != 2 ] || ! grep -qx 'OK 1' "$T/tally" ||
		! grep -qx 'REPLAYED_OTP 49' "$T/tally"; then
		fail "round $round: $(tr '\n' ' ' < "$T/tally")"
	fi
	round=$((round + 1))
done
ok "20 rounds of 50 requests over 3 nodes and 3 clients: one OK each"

# A client asking every node at once, with one nonce (pam_yk, ykclient):
# one OK, and the others must say REPLAYED_REQUEST (keep waiting), never
# REPLAYED_OTP (a verdict: the login would fail).
round=1
while [ $round -le 20 ]; do
	"$BURST" "$ALL" 1 "$CKEY" "$(otp 21 "$round")" 3 "fanout${round}nonce0123456789" \
		> "$T/tally"
	if ! grep -qx 'OK 1' "$T/tally" || ! grep -qx 'REPLAYED_REQUEST 2' "$T/tally"; then
		fail "fan-out round $round: $(tr '\n' ' ' < "$T/tally")"
	fi
	round=$((round + 1))
done
ok "one request to 3 nodes at once: OK once, REPLAYED_REQUEST twice, 20 rounds"

# verify N ID NONCE OTP: the status node N gives.
verify() {
	"$VCLIENT" -k "$CKEY" -n "$3" "$(eval "printf '%s' \"\$URL_$1\"")" "$2" "$4" |
		field status
}
i=1
while [ $i -le 12 ]; do
	n=$((i % 3 + 1)) next=$(((i + 1) % 3 + 1))
	[ "$(verify $n $((i % 3 + 1)) "fresh${i}nonce0123456789" "$(otp 25 "$i")")" = OK ] ||
		fail "fresh OTP $i on node $n"
	[ "$(verify $next 1 "lower${i}nonce0123456789" "$(otp 25 $((i - 1)))")" = REPLAYED_OTP ] ||
		fail "lower use $((i - 1)) on node $next after $i on node $n"
	i=$((i + 1))
done
for n in 1 2 3; do
	[ "$(verify $n 2 "oldctr${n}nonce0123456789" "$(otp 24 99)")" = REPLAYED_OTP ] ||
		fail "a lower counter on node $n"
done
ok "fresh OTPs on alternating nodes: all OK; lower ones: replayed everywhere"

for n in 1 2 3; do
	eval "YKVALD_PID=\$PID_$n"
	stop_ykvald
done
echo "server-pg-nodes: all passed"
