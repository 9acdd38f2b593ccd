#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# ykvald's commands on a PostgreSQL database: db init and migrate, every
# client and key subcommand with a URI, db copy from a SQLite file (the
# counters come along: an OTP used before the move stays used), backup
# to a SQLite file, and no password in any message.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
# shellcheck source=tests/pg-lib.sh
. "${top_srcdir:-.}/tests/pg-lib.sh"
pg_start

mkdb() { psql_at "$PGPORT" postgres "CREATE DATABASE $1"; }
uri() { printf 'postgresql://ykvald@127.0.0.1:%s/%s' "$PGPORT" "$1"; }
mkdb a
A=$(uri a)

# A fresh database: the commands that only read or change refuse it.
if "$YKVALD" key list --db "$A" >/dev/null 2>"$T/err"; then
	fail "key list on a database without the schema"
fi
grep -q 'db init' "$T/err" || fail "no hint to run db init: $(cat "$T/err")"
"$YKVALD" db init --db "$A" | grep -q 'schema version 3' || fail "db init"
"$YKVALD" db init --db "$A" >/dev/null || fail "db init twice"
"$YKVALD" db migrate --db "$A" | grep -q 'schema version 3' || fail "db migrate"
[ "$(psql_at "$PGPORT" a 'SELECT version FROM ykvald_schema')" = 3 ] ||
	fail "schema version row"
ok "db init, db migrate"

# The schema refuses a private ID or AES key of the wrong length, from
# any writer (domains since version 3, not CHECK constraints).
psql_at "$PGPORT" a "INSERT INTO keys (public_id, private_id, aes_key,
	created) VALUES ('$PUB', '\\x$PRIV', '\\x$AES', 0)" >/dev/null ||
	fail "a key row of the right lengths"
for bad in "private_id = '\\x0102'" "aes_key = '\\x00112233'" \
	"aes_key = '\\x${AES}00'"; do
	if psql_at "$PGPORT" a "UPDATE keys SET $bad" >/dev/null 2>&1; then
		fail "stored: $bad"
	fi
done
if psql_at "$PGPORT" a "INSERT INTO keys (public_id, private_id, aes_key,
	created) VALUES ('${PUB%?}c', '\\x${PRIV}00', '\\x$AES', 0)" \
	>/dev/null 2>&1; then
	fail "a 7-byte private ID inserted"
fi
psql_at "$PGPORT" a "DELETE FROM keys" >/dev/null || fail "delete the row"
ok "lengths checked by the schema"

# Every subcommand takes the URI.
"$YKVALD" client add --db "$A" --id 7 | grep -q '^id=7$' || fail "client add"
"$YKVALD" client add --db "$A" | grep -q '^id=8$' || fail "client add, next id"
if "$YKVALD" client add --db "$A" --id 7 2>/dev/null; then fail "client 7 twice"; fi
"$YKVALD" client rotate-key --db "$A" 7 | grep -q '^key=' || fail "rotate-key"
"$YKVALD" client disable --db "$A" 8 >/dev/null || fail "client disable"
"$YKVALD" client list --db "$A" --json > "$T/cl"
grep -q '"active": false' "$T/cl" || fail "client list: $(cat "$T/cl")"
"$YKVALD" key add --db "$A" --public-id $PUB --private-id $PRIV --aes-key $AES \
	--serial 5 >/dev/null || fail "key add"
if "$YKVALD" key add --db "$A" --public-id $PUB --private-id $PRIV \
	--aes-key $AES 2>"$T/err"; then fail "key added twice"; fi
grep -q 'already in the database' "$T/err" || fail "duplicate: $(cat "$T/err")"
"$YKVALD" key bump --db "$A" --counter 9 --use 3 $PUB >/dev/null || fail "key bump"
"$YKVALD" key list --db "$A" | grep -q "^$PUB .* 9 *3$" || fail "key list"
"$YKVALD" key disable --db "$A" $PUB >/dev/null || fail "key disable"
"$YKVALD" key enable --db "$A" $PUB >/dev/null || fail "key enable"
"$YKVALD" key replace --db "$A" --public-id $PUB --private-id $PRIV \
	--aes-key $AES >/dev/null || fail "key replace"
"$YKVALD" key list --db "$A" --json | grep -q '"counter": -1' || fail "replace resets"
"$YKVALD" key delete --db "$A" $PUB >/dev/null || fail "key delete"
if "$YKVALD" key delete --db "$A" $PUB 2>/dev/null; then fail "deleted twice"; fi
ok "client and key subcommands on PostgreSQL"

# db copy: a SQLite site whose key has been used moves to PostgreSQL.
new_db "$T/site.db"
start_ykvald "$T/site.db"
used=$(otp 4 2)
"$VCLIENT" -k "$CKEY" "$URL" 1 "$used" | grep -q '^status=OK' || fail "OTP on SQLite"
stop_ykvald
mkdb b
B=$(uri b)
"$YKVALD" db copy --from "$T/site.db" --to "$B" | grep -q 'copied 1 clients and 1 keys' ||
	fail "db copy"
if "$YKVALD" db copy --from "$T/site.db" --to "$B" 2>"$T/err"; then
	fail "db copy into a database that is not empty"
fi
grep -q 'not empty' "$T/err" || fail "copy twice: $(cat "$T/err")"
[ "$(psql_at "$PGPORT" b 'SELECT count(*) FROM keys')" = 1 ] ||
	fail "a refused copy changed the database"
"$YKVALD" serve $ALLOW_ROOT --db "$B" --listen 127.0.0.1:0 \
	--ready-file "$T/rb" 2>>"$T/ykvald.log" &
YKVALD_PID=$!; _pids="$_pids $YKVALD_PID"
wait_for_file "$T/rb" $YKVALD_PID || { cat "$T/ykvald.log" >&2; fail "serve on B"; }
URL=http://$(cat "$T/rb")/wsapi/2.0/verify
"$VCLIENT" -k "$CKEY" "$URL" 1 "$used" | grep -q '^status=REPLAYED_REQUEST' ||
	fail "the same request after the copy (its nonce came along)"
"$VCLIENT" -k "$CKEY" -n othernonce0123456 "$URL" 1 "$used" |
	grep -q '^status=REPLAYED_OTP' ||
	fail "an OTP used before the copy was accepted after it"
"$VCLIENT" -k "$CKEY" -n othernonce0123456 "$URL" 1 "$(otp 4 1)" |
	grep -q '^status=REPLAYED_OTP' ||
	fail "a lower counter was accepted after the copy"
"$VCLIENT" -k "$CKEY" "$URL" 1 "$(otp 4 3)" | grep -q '^status=OK' ||
	fail "a fresh OTP after the copy"
stop_ykvald
ok "db copy keeps the counters"

# backup of a PostgreSQL database: a SQLite file, which copies back.
"$YKVALD" backup --db "$B" "$T/b.bak" | grep -q 'backed up the PostgreSQL database' ||
	fail "backup"
[ "$(stat -c %a "$T/b.bak")" = 600 ] || fail "backup mode"
[ "$(sqlite3 "$T/b.bak" "SELECT counter || '/' || session_use FROM keys")" = 4/3 ] ||
	fail "backup holds $(sqlite3 "$T/b.bak" 'SELECT counter, session_use FROM keys')"
mkdb c
"$YKVALD" db copy --from "$T/b.bak" --to "$(uri c)" >/dev/null || fail "restore"
[ "$(psql_at "$PGPORT" c 'SELECT counter FROM keys')" = 4 ] || fail "restored counter"
ok "backup to SQLite and back"

# A password in the URI never reaches a message.
P="postgresql://ykvald:hunter2secret@127.0.0.1:$PGPORT/nosuchdb"
"$YKVALD" key list --db "$P" >"$T/out" 2>"$T/err" && fail "key list on no database"
"$YKVALD" backup --db "$P" "$T/nope.bak" >>"$T/out" 2>>"$T/err" && fail "backup"
"$YKVALD" serve $ALLOW_ROOT --db "$P" --listen 127.0.0.1:0 >>"$T/out" 2>>"$T/err" &&
	fail "serve on no database"
! grep -q hunter2secret "$T/out" "$T/err" || fail "the password reached a message"
grep -q 'nosuchdb' "$T/err" || fail "errors say nothing: $(cat "$T/err")"
ok "no password in messages: $(head -n 1 "$T/err")"
echo "server-pg-db: all passed"
