#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# High availability is PostgreSQL's: a primary and a synchronous
# streaming standby (synchronous_commit=on, synchronous_standby_names),
# two ykvald nodes on both through the multi-host URI with
# target_session_attrs=read-write.  The primary stops, the standby is
# promoted: verifications continue within a bounded time, and no OTP
# accepted before the switch is accepted after it.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
# shellcheck source=tests/pg-lib.sh
. "${top_srcdir:-.}/tests/pg-lib.sh"
[ -x "$PGBIN/pg_basebackup" ] || skip "no pg_basebackup"

PRI=$(mktemp -d "${TMPDIR:-/tmp}/pamyk-pg.XXXXXX"); _dirs="$_dirs $PRI"
SBY=$(mktemp -d "${TMPDIR:-/tmp}/pamyk-pg.XXXXXX"); _dirs="$_dirs $SBY"
pg_init "$PRI" "wal_level = replica" "max_wal_senders = 4" \
	"synchronous_commit = on" "hot_standby = on"
PP=$PGPORT_NEW
pg_up "$PRI"

psql_at "$PP" postgres "CREATE DATABASE ha" || fail "createdb"
"$YKVALD" db init --db "postgresql://ykvald@127.0.0.1:$PP/ha" >/dev/null ||
	fail "db init"

# The standby: a base backup of the primary, streaming as standby1.
[ "$(id -u)" != 0 ] || chown nobody "$SBY"
as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PP" -U ykvald -D "$SBY/data" \
	-R -X stream -c fast >"$SBY/basebackup.log" 2>&1 ||
	{ cat "$SBY/basebackup.log" >&2; fail "pg_basebackup"; }
SP=$(free_port)
# After the primary_conninfo that -R wrote, which it replaces.
{
	echo "port = $SP"
	echo "primary_conninfo = 'host=127.0.0.1 port=$PP user=ykvald application_name=standby1'"
} >> "$SBY/data/postgresql.auto.conf"
_pgdirs="$_pgdirs $SBY/data"
pg_up "$SBY"
# Synchronous from now on: a commit waits for the standby.
psql_at "$PP" postgres "ALTER SYSTEM SET synchronous_standby_names = 'standby1'" >/dev/null
psql_at "$PP" postgres "SELECT pg_reload_conf()" >/dev/null
w=0
until [ "$(psql_at "$PP" postgres "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'")" = sync ]; do
	w=$((w + 1)); [ $w -lt 300 ] || fail "the standby is not synchronous"
	sleep 0.1
done
ok "primary on $PP, synchronous standby on $SP"

DB="postgresql://ykvald@127.0.0.1:$PP,127.0.0.1:$SP/ha?target_session_attrs=read-write"
"$YKVALD" client add --db "$DB" --id 1 >/dev/null || fail "client add"
psql_at "$PP" ha "UPDATE clients SET secret = '$CKEY'" >/dev/null
"$YKVALD" key add --db "$DB" --public-id $PUB --private-id $PRIV \
	--aes-key $AES >/dev/null || fail "key add"

node() {
	start_ykvald "$DB"
	eval "URL_$1=\$URL PID_$1=\$YKVALD_PID ADDR_$1=\$YKVALD_ADDR"
}
node 1; node 2
url() { eval "printf '%s' \"\$URL_$1\""; }
verify() { "$VCLIENT" -k "$CKEY" -n "$2" "$(url "$1")" 1 "$3" | field status; }

# Accepted before the switch: every one on the standby too (synchronous).
: > "$T/accepted"
k=1
while [ $k -le 20 ]; do
	o=$(otp 40 "$k")
	[ "$(verify $((k % 2 + 1)) "before${k}nonce0123456789" "$o")" = OK ] ||
		fail "OTP $k before the switch"
	echo "$o" >> "$T/accepted"
	k=$((k + 1))
done
# One more, in flight while the primary stops.
"$BURST" "$URL_1,$URL_2" 1 "$CKEY" "$(otp 41 0)" 20 > "$T/tally" &
burst=$!
pg_down "$PRI" immediate
wait $burst || :
[ "$(sed -n 's/^OK //p' "$T/tally")" != 1 ] || otp 41 0 >> "$T/accepted"
sed -n 's/^OK //p' "$T/tally" | grep -qv '^1$' && fail "two OKs at the switch: $(cat "$T/tally")"
t0=$(now_ms)
as_pg "$PGBIN/pg_ctl" -D "$SBY/data" -w -t 60 promote >/dev/null 2>&1 ||
	fail "promote"

# Both nodes verify again, each by itself, within a bounded time.
for n in 1 2; do
	w=0
	until [ "$(verify $n "after${n}x${w}nonce0123456789" "$(otp 42 $((n * 50 + w)))")" = OK ]; do
		w=$((w + 1))
		[ $w -lt 200 ] || fail "node $n does not verify after the promotion"
		sleep 0.1
	done
done
took=$(($(now_ms) - t0))
[ $took -lt 20000 ] || fail "verifications resumed only after $took ms"
ok "the standby promoted: both nodes verify again after $took ms"

n=0
while read -r o; do
	s=$(verify $((n % 2 + 1)) "replay${n}nonce0123456789" "$o")
	[ "$s" = REPLAYED_OTP ] || fail "an OTP accepted before the switch: $s after it"
	n=$((n + 1))
done < "$T/accepted"
ok "$n OTPs accepted before the switch are replays after it"
for n in 1 2; do
	eval "YKVALD_PID=\$PID_$n"
	stop_ykvald
done
echo "server-pg-failover: all passed"
