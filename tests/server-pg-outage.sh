#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# ykvald nodes on PostgreSQL when things fail.
#  - PostgreSQL restarted (as after a crash) under load: every OTP is sent
#    to two nodes at once; none gets two OKs, and every OK survives (the
#    OTP is a replay afterwards).
#  - PostgreSQL down: verifications answer BACKEND_ERROR at once, never
#    OK, and /health says 503; once it is back every node answers OK
#    again by itself.
#  - PostgreSQL stalled, or slow while a node opens a connection: no
#    verification is held much past --db-timeout.
#  - One node killed under load: the others answer, and pam_yk with the
#    three nodes in urllist= logs in with one down, as fast as with all up.
#  - The schema changed under a running node (another node migrated it):
#    the node's new connections refuse it.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
# shellcheck source=tests/pg-lib.sh
. "${top_srcdir:-.}/tests/pg-lib.sh"
pg_start

psql_at "$PGPORT" postgres "CREATE DATABASE outage" || fail "createdb"
DB=postgresql://ykvald@127.0.0.1:$PGPORT/outage
"$YKVALD" client add --db "$DB" --id 1 >/dev/null || fail "client add"
psql_at "$PGPORT" outage "UPDATE clients SET secret = '$CKEY'" >/dev/null
"$YKVALD" key add --db "$DB" --public-id $PUB --private-id $PRIV \
	--aes-key $AES >/dev/null || fail "key add"

# node N [SERVE-ARGS]: start node N.
node() {
	_n=$1; shift
	start_ykvald "$DB" "$@"
	set -- "$_n"
	eval "URL_$1=\$URL PID_$1=\$YKVALD_PID ADDR_$1=\$YKVALD_ADDR"
}
node 1; node 2; node 3
url() { eval "printf '%s' \"\$URL_$1\""; }
addr() { eval "printf '%s' \"\$ADDR_$1\""; }
verify() { "$VCLIENT" -k "$CKEY" -n "$2" "$(url "$1")" 1 "$3" | field status; }
health() { curl -s -o /dev/null -w '%{http_code}' "http://$(addr "$1")/health"; }

# ---- restart under load ----------------------------------------------
: > "$T/oks"
( sleep 0.5; pg_down "$PGDIR" immediate; pg_up "$PGDIR" ) &
restarter=$!
k=1 errors=0
while [ $k -le 120 ]; do
	a=$((k % 3 + 1)) b=$(((k + 1) % 3 + 1))
	o=$(otp 30 "$k")
	"$BURST" "$(url $a),$(url $b)" 1 "$CKEY" "$o" 2 > "$T/tally"
	grep -qx 'OK 2' "$T/tally" && fail "OTP $k: two OKs"
	if grep -q '^OK 1$' "$T/tally"; then
		echo "$o" >> "$T/oks"
	fi
	# BACKEND_ERROR is signed with the empty key when the client's key
	# could not be read: the client sees a reply it cannot trust.
	grep -v '^OK \|^REPLAYED_OTP \|^BACKEND_ERROR \|^FORGED ' "$T/tally" &&
		fail "OTP $k: $(tr '\n' ' ' < "$T/tally")"
	grep -q '^BACKEND_ERROR\|^FORGED' "$T/tally" && errors=$((errors + 1))
	k=$((k + 1))
done
wait $restarter || fail "restart"
n=0
while read -r o; do
	s=$(verify $((n % 3 + 1)) "again${n}nonce0123456789" "$o")
	[ "$s" = REPLAYED_OTP ] || fail "an OTP accepted before the restart: $s"
	n=$((n + 1))
done < "$T/oks"
[ "$n" -gt 0 ] || fail "no OK at all"
ok "PostgreSQL restarted under load: $n OKs, each once and kept; $errors OTPs met an error"

# ---- PostgreSQL down ---------------------------------------------------
pg_down "$PGDIR"
for n in 1 2 3; do
	t0=$(now_ms)
	s=$(verify $n "down${n}nonce0123456789" "$(otp 31 "$n")")
	[ "$s" = BACKEND_ERROR ] || fail "node $n with the database down: $s"
	[ $(($(now_ms) - t0)) -lt 6000 ] || fail "node $n held a verification $(($(now_ms) - t0)) ms"
	[ "$(health $n)" = 503 ] || fail "node $n: /health with the database down"
done
grep -q 'health .*status=UNAVAILABLE reason=cannot connect to PostgreSQL' "$T/ykvald.log" ||
	fail "no health line: $(tail -n 3 "$T/ykvald.log")"
ok "database down: BACKEND_ERROR at once, /health 503"
pg_up "$PGDIR"
for n in 1 2 3; do
	w=0
	until [ "$(verify $n "up${n}x${w}nonce0123456789" "$(otp 32 $((n * 20 + w)))")" = OK ]; do
		w=$((w + 1))
		[ $w -lt 100 ] || fail "node $n did not come back"
		sleep 0.1
	done
	[ "$(health $n)" = 200 ] || fail "node $n: /health after the restart"
done
ok "database back: every node answers OK again, /health 200"

# ---- PostgreSQL stalled (stopped, its sockets open) -----------------------
# Node 4 has --db-timeout 1: a stalled database holds no verification
# past that deadline (a statement, then one more connection attempt).
node 4 --db-timeout 1
[ "$(verify 4 "stall0nonce0123456789" "$(otp 34 0)")" = OK ] || fail "node 4"
pm=$(head -n 1 "$PGDIR/data/postmaster.pid")
pgprocs="$pm $(pgrep -P "$pm" | tr '\n' ' ')"
# shellcheck disable=SC2086 # the pids
kill -STOP $pgprocs
t0=$(now_ms)
s=$(verify 4 "stall1nonce0123456789" "$(otp 34 1)")
took=$(($(now_ms) - t0))
# shellcheck disable=SC2086 # the pids
kill -CONT $pgprocs
[ "$s" = BACKEND_ERROR ] || fail "node 4 with the database stalled: $s"
[ $took -lt 4000 ] || fail "node 4 held a verification $took ms (--db-timeout 1)"
ok "database stalled: BACKEND_ERROR after $took ms (--db-timeout 1)"
YKVALD_PID=$PID_4
stop_ykvald

# ---- a reader opened while the database is slow ------------------------
# Node 5 (--db-timeout 2) has not read client 1 yet, so the verification
# opens a reader: its schema check waits 1.8 s for ykvald_schema, then
# preparing waits for keys (locked 4.5 s).  The open as a whole has one
# timeout: BACKEND_ERROR at about 2 s, not at each step's own 2 s.
node 5 --db-timeout 2
psql_at "$PGPORT" outage "BEGIN; LOCK TABLE ykvald_schema IN ACCESS EXCLUSIVE MODE;
	SELECT pg_sleep(1.8); COMMIT" >/dev/null &
lock_a=$!
psql_at "$PGPORT" outage "BEGIN; LOCK TABLE keys IN ACCESS EXCLUSIVE MODE;
	SELECT pg_sleep(4.5); COMMIT" >/dev/null &
lock_b=$!
w=0
until [ "$(psql_at "$PGPORT" outage "SELECT count(*) FROM pg_locks l JOIN
	pg_class c ON c.oid = l.relation WHERE l.granted AND
	l.mode = 'AccessExclusiveLock' AND c.relname IN ('ykvald_schema', 'keys')")" = 2 ]; do
	w=$((w + 1))
	[ $w -lt 100 ] || fail "the locks were not taken"
	sleep 0.01
done
t0=$(now_ms)
s=$(verify 5 "slow0nonce0123456789" "$(otp 35 0)")
took=$(($(now_ms) - t0))
wait $lock_a || fail "lock session A"
wait $lock_b || fail "lock session B"
[ "$s" = BACKEND_ERROR ] || fail "node 5, reader opened on a slow database: $s"
[ $took -lt 3000 ] || fail "node 5 held a verification $took ms opening a reader (--db-timeout 2)"
ok "a reader opened on a slow database: BACKEND_ERROR after $took ms (--db-timeout 2)"
YKVALD_PID=$PID_5
stop_ykvald

# ---- one node killed under load ----------------------------------------
printf 'alice:%s\n' $PUB > "$T/authfile"
service three "auth required $MODULE id=1 key=$CKEY authfile=$T/authfile urllist=$URL_1;$URL_2;$URL_3"
t0=$(now_ms)
expect PAM_SUCCESS three alice "$(otp 36 0)"
up_ms=$(($(now_ms) - t0))
"$BURST" "$URL_1,$URL_2,$URL_3" 1 "$CKEY" "$(otp 36 1)" 60 > "$T/tally" &
load=$!
kill -9 "$PID_1"
wait "$load" || :
[ "$(sed -n 's/^OK //p' "$T/tally")" = 1 ] ||
	fail "not one OK under load with a node killed: $(tr '\n' ' ' < "$T/tally")"
for n in 2 3; do
	[ "$(verify $n "alive${n}nonce0123456789" "$(otp 36 $((n + 1)))")" = OK ] ||
		fail "node $n after node 1 died"
done
t0=$(now_ms)
expect PAM_SUCCESS three alice "$(otp 36 9)"
down_ms=$(($(now_ms) - t0))
[ $down_ms -lt $((up_ms + 2000)) ] ||
	fail "a login with one node down took $down_ms ms, $up_ms with all up"
ok "node 1 killed: the others answer; a login took $down_ms ms ($up_ms with all up)"

# ---- the schema changed under a running node ---------------------------
# As if another node's ykvald db migrate went to a version node 2 does
# not know: once its connections are lost it refuses the database
# (BACKEND_ERROR, never OK) rather than run statements prepared for the
# old schema; once the schema is one it knows again, it answers OK.
psql_at "$PGPORT" outage "UPDATE ykvald_schema SET version = version + 1"
psql_at "$PGPORT" outage "SELECT count(pg_terminate_backend(pid)) FROM
	pg_stat_activity WHERE datname = 'outage' AND pid <> pg_backend_pid()" >/dev/null
s=$(verify 2 "newer0nonce0123456789" "$(otp 37 0)")
[ "$s" = BACKEND_ERROR ] || fail "node 2 on a schema it does not know: $s"
[ "$(health 2)" = 503 ] || fail "node 2: /health on a schema it does not know"
psql_at "$PGPORT" outage "UPDATE ykvald_schema SET version = version - 1"
w=0
until [ "$(verify 2 "newer${w}x1nonce0123456789" "$(otp 37 $((w + 1)))")" = OK ]; do
	w=$((w + 1))
	[ $w -lt 100 ] || fail "node 2 did not come back to its schema"
	sleep 0.1
done
ok "a schema newer than the node's, seen on reconnecting: BACKEND_ERROR, then OK again"

for n in 2 3; do
	eval "YKVALD_PID=\$PID_$n"
	stop_ykvald
done
echo "server-pg-outage: all passed"
