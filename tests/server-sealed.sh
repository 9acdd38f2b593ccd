#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# AES keys at rest (--key-file, AES-256-GCM, the public ID as AAD), on
# SQLite and PostgreSQL: db migrate seals the keys of an old database
# (PostgreSQL: schema version 1) and a dump then holds no AES key in
# clear; keys added with --key-file are sealed at once; ykvald verifies
# with the key file, and answers BACKEND_ERROR without it or with another
# one.  A key file others can read is refused.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
# shellcheck source=tests/pg-lib.sh
. "${top_srcdir:-.}/tests/pg-lib.sh"
pg_start

AES2=00112233445566778899aabbccddeeff
PUB2=vvvvvvvvvvvv
KF=$T/master.key
openssl rand -hex 32 > "$KF"; chmod 600 "$KF"
OTHER=$T/other.key
openssl rand -hex 32 > "$OTHER"; chmod 600 "$OTHER"

# clear DUMPFILE WHAT: fail when the dump holds either AES key in hex.
clear_of() {
	! grep -qi "$AES\|$AES2" "$1" || fail "$2: an AES key in clear"
}
# serve_status DB OTP NONCE [--key-file F]: the status one ykvald gives.
serve_status() {
	_db=$1 _o=$2 _n=$3; shift 3
	start_ykvald "$_db" "$@"
	"$VCLIENT" -k "$CKEY" -n "$_n" "$URL" 1 "$_o" | field status
	stop_ykvald
}

chmod 644 "$OTHER"
if "$YKVALD" db migrate --db "$T/x.db" --key-file "$OTHER" 2>"$T/err"; then
	fail "a key file every user can read"
fi
grep -q 'readable by every user' "$T/err" || fail "why: $(cat "$T/err")"
[ ! -e "$T/x.db" ] || fail "a refused key file created a database"
chmod 600 "$OTHER"
ok "a world-readable key file is refused"

# ---- SQLite ----------------------------------------------------------------
new_db "$T/db"
[ "$(serve_status "$T/db" "$(otp 1 0)" plainnonce0123456789)" = OK ] || fail "plain"
"$YKVALD" db migrate --db "$T/db" --key-file "$KF" > "$T/out" || fail "db migrate"
grep -q 'sealed 1 AES keys' "$T/out" || fail "migrate: $(cat "$T/out")"
"$YKVALD" key add --db "$T/db" --key-file "$KF" --public-id $PUB2 \
	--private-id 010203040506 --aes-key $AES2 >/dev/null || fail "key add"
sqlite3 "$T/db" .dump > "$T/dump.sql"
clear_of "$T/dump.sql" "sqlite3 .dump"
[ "$(sqlite3 "$T/db" 'SELECT count(*) FROM keys WHERE length(aes_key) = 44')" = 2 ] ||
	fail "not every key is sealed"
od -An -tx1 -v "$T/db" | tr -d ' \n' > "$T/raw"
clear_of "$T/raw" "the database file"
[ "$(serve_status "$T/db" "$(otp 1 1)" sealednonce0123456789 --key-file "$KF")" = OK ] ||
	fail "sealed, with the key file"
[ "$(serve_status "$T/db" "$(otp 1 2)" nokeyfile0123456789)" = BACKEND_ERROR ] ||
	fail "sealed, without a key file"
[ "$(serve_status "$T/db" "$(otp 1 3)" otherkey0123456789 --key-file "$OTHER")" = BACKEND_ERROR ] ||
	fail "sealed, with another key file"
# A sealed key moved to another public ID does not open (the AAD).
sqlite3 "$T/db" "UPDATE keys SET aes_key = (SELECT aes_key FROM keys WHERE public_id = '$PUB') WHERE public_id = '$PUB2'"
o2=$("$OTPGEN" $PUB2 010203040506 $AES 1 0)
[ "$(serve_status "$T/db" "$o2" swappednonce0123456789 --key-file "$KF")" = BACKEND_ERROR ] ||
	fail "a sealed key copied to another public ID"
ok "SQLite: migrate seals, the dump and file hold no AES key, verify needs the key file"

# ---- PostgreSQL: a version 1 database -------------------------------------
psql_at "$PGPORT" postgres "CREATE DATABASE old" >/dev/null
DB=postgresql://ykvald@127.0.0.1:$PGPORT/old
psql_at "$PGPORT" old "
CREATE TABLE ykvald_schema (version integer NOT NULL);
INSERT INTO ykvald_schema VALUES (1);
CREATE TABLE clients (id bigint PRIMARY KEY CHECK (id > 0),
  secret text NOT NULL, active boolean NOT NULL DEFAULT true,
  created bigint NOT NULL);
CREATE TABLE keys (public_id text PRIMARY KEY,
  private_id bytea NOT NULL CHECK (length(private_id) = 6),
  aes_key bytea NOT NULL CHECK (length(aes_key) = 16),
  serial bigint NOT NULL DEFAULT 0, active boolean NOT NULL DEFAULT true,
  counter integer NOT NULL DEFAULT -1, session_use integer NOT NULL DEFAULT -1,
  tstamp bigint NOT NULL DEFAULT -1, nonce text NOT NULL DEFAULT '',
  created bigint NOT NULL, modified bigint NOT NULL DEFAULT -1);
INSERT INTO clients VALUES (1, '$CKEY', true, 0);
INSERT INTO keys (public_id, private_id, aes_key, created)
  VALUES ('$PUB', '\\x$PRIV', '\\x$AES', 0);" >/dev/null || fail "a version 1 schema"
if "$YKVALD" key list --db "$DB" >/dev/null 2>"$T/err"; then
	fail "a version 1 database used without db migrate"
fi
grep -q 'db migrate' "$T/err" || fail "no hint to migrate: $(cat "$T/err")"
"$YKVALD" db migrate --db "$DB" --key-file "$KF" > "$T/out" || fail "db migrate (pg)"
if ! grep -q 'schema version 3' "$T/out" || ! grep -q 'sealed 1 AES keys' "$T/out"; then
	fail "migrate (pg): $(cat "$T/out")"
fi
# The table's file on disk: sealing left no old row version with the key.
psql_at "$PGPORT" old "CHECKPOINT" >/dev/null
f=$PGDIR/data/$(psql_at "$PGPORT" old "SELECT pg_relation_filepath('keys')")
[ -s "$f" ] || fail "no file for the keys table: $f"
od -An -tx1 -v "$f" | tr -d ' \n' > "$T/pgraw"
clear_of "$T/pgraw" "the keys table's file after db migrate (pg)"
"$YKVALD" key add --db "$DB" --key-file "$KF" --public-id $PUB2 \
	--private-id 010203040506 --aes-key $AES2 >/dev/null || fail "key add (pg)"
"$PGBIN/pg_dump" -h 127.0.0.1 -p "$PGPORT" -U ykvald old > "$T/pgdump.sql" ||
	fail "pg_dump"
grep -q "$PUB2" "$T/pgdump.sql" || fail "pg_dump holds no keys at all"
clear_of "$T/pgdump.sql" "pg_dump"
[ "$(serve_status "$DB" "$(otp 1 0)" pgsealed0123456789 --key-file "$KF")" = OK ] ||
	fail "sealed (pg), with the key file"
[ "$(serve_status "$DB" "$(otp 1 1)" pgnokey0123456789)" = BACKEND_ERROR ] ||
	fail "sealed (pg), without a key file"
ok "PostgreSQL: migrate from version 1 seals, pg_dump and the table's file hold no AES key"

# db copy --key-file: a SQLite site in clear moves to PostgreSQL sealed.
new_db "$T/plain.db"
psql_at "$PGPORT" postgres "CREATE DATABASE moved" >/dev/null
"$YKVALD" db copy --from "$T/plain.db" --to "postgresql://ykvald@127.0.0.1:$PGPORT/moved" \
	--key-file "$KF" >/dev/null || fail "db copy --key-file"
"$PGBIN/pg_dump" -h 127.0.0.1 -p "$PGPORT" -U ykvald moved > "$T/moved.sql" ||
	fail "pg_dump moved"
grep -q "$PUB" "$T/moved.sql" || fail "the copy holds no key"
clear_of "$T/moved.sql" "pg_dump after db copy --key-file"
ok "db copy --key-file seals the keys it moves"
echo "server-sealed: all passed"
