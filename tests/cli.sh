#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The ykvald command line: clear one-line errors, non-zero exits, and a
# database left untouched by bad input.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

db=$T/db
sum() { sha256sum "$db" | cut -d' ' -f1; }
# refuse WHAT CMD...: must exit non-zero with one line on stderr, no stdout
refuse() {
	what=$1; shift
	if "$@" > "$T/out" 2> "$T/err"; then fail "$what: accepted"; fi
	[ "$(wc -l < "$T/err")" -ge 1 ] || fail "$what: no error message"
	grep -q '^ykvald: \|^usage:' "$T/err" || fail "$what: unclear error: $(cat "$T/err")"
	[ ! -s "$T/out" ] || fail "$what: wrote to stdout"
	ok "$what: $(head -n 1 "$T/err")"
}

# client add
"$YKVALD" client add --db "$db" > "$T/c1"
grep -q '^id=1$' "$T/c1" || fail "first client id: $(cat "$T/c1")"
k=$(sed -n 's/^key=//p' "$T/c1")
[ "$(printf '%s' "$k" | base64 -d | wc -c)" = 20 ] || fail "key is not 20 bytes"
[ "$(stat -c %a "$db")" = 600 ] || fail "database mode $(stat -c %a "$db")"
"$YKVALD" client add --db "$db" --json > "$T/c2"
grep -q '"id": 2' "$T/c2" || fail "second client: $(cat "$T/c2")"
"$YKVALD" client add --db "$db" --id 40 | grep -q '^id=40$' || fail "--id 40"
ok "client add"
before=$(sum)
refuse "duplicate client id" "$YKVALD" client add --db "$db" --id 40
refuse "client id 0" "$YKVALD" client add --db "$db" --id 0
refuse "client id text" "$YKVALD" client add --db "$db" --id abc
refuse "unknown option" "$YKVALD" client add --db "$db" --frobnicate
refuse "stray argument" "$YKVALD" client add --db "$db" extra
[ "$(sum)" = "$before" ] || fail "a refused client add changed the database"

# key add
add() { "$YKVALD" key add --db "$db" "$@"; }
add --public-id $PUB --private-id $PRIV --aes-key $AES --serial 42 >/dev/null ||
	fail "key add"
before=$(sum)
refuse "duplicate key" add --public-id $PUB --private-id $PRIV --aes-key $AES
refuse "hex public id" add --public-id abcdef012345 --private-id $PRIV --aes-key $AES
refuse "short private id" add --public-id vvvvvvvvvvvv --private-id 0102 --aes-key $AES
refuse "bad AES key" add --public-id vvvvvvvvvvvv --private-id $PRIV --aes-key xyz
refuse "missing AES key" add --public-id vvvvvvvvvvvv --private-id $PRIV
refuse "comma in a value" add --public-id vvvvvvvvvvvv --private-id $PRIV,1 --aes-key $AES
refuse "bad serial" add --public-id vvvvvvvvvvvv --private-id $PRIV --aes-key $AES --serial -3
refuse "option twice" add --public-id vvvvvvvvvvvv --public-id vvvvvvvvvvvv --private-id $PRIV --aes-key $AES
[ "$(sum)" = "$before" ] || fail "a refused key add changed the database"
refuse "key add on a new path with bad input" \
	"$YKVALD" key add --db "$T/new.db" --public-id x --private-id 1 --aes-key 2
[ ! -e "$T/new.db" ] || fail "bad input created a database"

# key import: all or nothing
cat > "$T/good.csv" <<CSV
# ykksm 1
1001,vvcccccccccb,0102030405aa,000102030405060708090a0b0c0d0e0f,,2024-01-01T00:00:00,
,vvcccccccccd,0102030405bb,000102030405060708090a0b0c0d0e0f,,2024-01-01T00:00:00,
LOGGING START,12/15/2016 10:20
Yubico OTP,12/15/2016 10:20,1,vvccccccccce,0102030405cc,000102030405060708090a0b0c0d0e0f,,,0,0,0
OATH-HOTP,12/15/2016 10:20,2,,,3132333435363738393031323334353637383930,,
CSV
printf '\r\n' >> "$T/good.csv"
"$YKVALD" key import --db "$db" "$T/good.csv" > "$T/out" || fail "import"
grep -q 'imported 3 keys' "$T/out" || fail "import count: $(cat "$T/out")"
ok "$(cat "$T/out")"
before=$(sum)
printf '2001,vvcccccccccf,0102030405aa,000102030405060708090a0b0c0d0e0f\n2002,vvcccccccccg,01020304,000102030405060708090a0b0c0d0e0f\n' > "$T/bad.csv"
refuse "import with a bad line" "$YKVALD" key import --db "$db" "$T/bad.csv"
grep -q ':2: private ID' "$T/err" || fail "error does not name line 2: $(cat "$T/err")"
printf '2001,vvcccccccccf,0102030405aa,000102030405060708090a0b0c0d0e0f\n2001,vvcccccccccf,0102030405aa,000102030405060708090a0b0c0d0e0f\n' > "$T/dup.csv"
refuse "import with a duplicate" "$YKVALD" key import --db "$db" "$T/dup.csv"
printf '2001,vvcccccccccf,0102030405aa,000102030405060708090a0b0c0d0e0f\n1,%s,%s,%s\n' $PUB $PRIV $AES > "$T/clash.csv"
refuse "import clashing with the database" "$YKVALD" key import --db "$db" "$T/clash.csv"
printf '# nothing\n' > "$T/empty.csv"
refuse "import of no keys" "$YKVALD" key import --db "$db" "$T/empty.csv"
refuse "import of a missing file" "$YKVALD" key import --db "$db" "$T/nope.csv"
[ "$(sum)" = "$before" ] || fail "a refused import changed the database"

# list, disable, enable
"$YKVALD" key list --db "$db" > "$T/list"
[ "$(grep -c active "$T/list")" = 4 ] || fail "list: $(cat "$T/list")"
grep -q "^$PUB  *active  *42 " "$T/list" || fail "list row: $(cat "$T/list")"
! grep -qi "$AES\|$PRIV" "$T/list" || fail "list shows secrets"
"$YKVALD" key disable --db "$db" $PUB | grep -q "disabled $PUB" || fail "disable"
"$YKVALD" key list --db "$db" --json > "$T/json"
if command -v python3 >/dev/null; then
	python3 - "$T/json" "$PUB" <<'PY' || fail "JSON: $(cat "$T/json")"
import json, sys
keys = json.load(open(sys.argv[1]))
assert len(keys) == 4, keys
k = [k for k in keys if k["public_id"] == sys.argv[2]][0]
assert k["active"] is False and k["serial"] == 42 and k["counter"] == -1, k
assert set(k) == {"public_id", "serial", "active", "counter", "use", "created", "modified"}, k
PY
else
	grep -q '"active": false' "$T/json" || fail "JSON: $(cat "$T/json")"
fi
"$YKVALD" key enable --db "$db" $PUB >/dev/null || fail "enable"
"$YKVALD" key list --db "$db" --json | grep -q '"active": false' && fail "still disabled"
ok "list, disable, enable, --json"
refuse "disable an unknown key" "$YKVALD" key disable --db "$db" vvvvvvvvvvvv
refuse "list a missing database" "$YKVALD" key list --db "$T/missing.db"
[ ! -e "$T/missing.db" ] || fail "list created a database"
refuse "unknown command" "$YKVALD" frobnicate
refuse "bad listen address" "$YKVALD" serve $ALLOW_ROOT --db "$db" --listen nonsense
refuse "listen port out of range" "$YKVALD" serve $ALLOW_ROOT --db "$db" --listen 127.0.0.1:70000
"$YKVALD" --version | grep -q '^ykvald' || fail "--version"
"$YKVALD" --help | grep -q 'ykvald serve' || fail "--help"

# A database from a newer ykvald is refused, not damaged.
sqlite3 "$db" "PRAGMA user_version = 99"
before=$(sum)
refuse "newer schema" "$YKVALD" key list --db "$db"
grep -q 'newer' "$T/err" || fail "schema error: $(cat "$T/err")"
[ "$(sum)" = "$before" ] || fail "a newer database was changed"

# ---- the service's admin commands (issue 13) ------------------------------
db=$T/svc.db
"$YKVALD" client add --db "$db" >/dev/null
"$YKVALD" client add --db "$db" >/dev/null
"$YKVALD" client list --db "$db" > "$T/clist"
grep -q '^ *1 active ' "$T/clist" && grep -q '^ *2 active ' "$T/clist" ||
	fail "client list: $(cat "$T/clist")"
"$YKVALD" client disable --db "$db" 2 | grep -q '^disabled client 2$' || fail "client disable"
"$YKVALD" client list --db "$db" --json > "$T/cjson"
python3 - "$T/cjson" <<'PY' || fail "client list --json: $(cat "$T/cjson")"
import json, sys
c = json.load(open(sys.argv[1]))
assert [x["id"] for x in c] == [1, 2], c
assert c[0]["active"] is True and c[1]["active"] is False, c
assert all(set(x) == {"id", "active", "created"} for x in c), c
PY
"$YKVALD" client enable --db "$db" 2 >/dev/null || fail "client enable"
"$YKVALD" client list --db "$db" | grep -q '^ *2 active ' || fail "still disabled"
old=$(sqlite3 "$db" "SELECT secret FROM clients WHERE id=1")
"$YKVALD" client rotate-key --db "$db" --json 1 > "$T/rot"
new=$(sed -n 's/.*"key": "\([^"]*\)".*/\1/p' "$T/rot")
[ "$(sqlite3 "$db" "SELECT secret FROM clients WHERE id=1")" = "$new" ] &&
	[ "$new" != "$old" ] || fail "rotate-key: $(cat "$T/rot")"
! grep -q "$old\|$new" "$T/clist" || fail "client list shows a key"
ok "client list, disable, enable, rotate-key, --json"
before=$(sum)
refuse "disable an unknown client" "$YKVALD" client disable --db "$db" 9
refuse "rotate an unknown client" "$YKVALD" client rotate-key --db "$db" 9
refuse "client id text" "$YKVALD" client enable --db "$db" one
refuse "client disable without an id" "$YKVALD" client disable --db "$db"
[ "$(sum)" = "$before" ] || fail "a refused client command changed the database"

"$YKVALD" key add --db "$db" --public-id $PUB --private-id $PRIV --aes-key $AES >/dev/null
sqlite3 "$db" "UPDATE keys SET counter = 7, session_use = 3 WHERE public_id = '$PUB'"
"$YKVALD" key bump --db "$db" --counter 5 --use 0 $PUB >/dev/null || fail "key bump lower"
[ "$(sqlite3 "$db" "SELECT counter, session_use FROM keys")" = "7|3" ] ||
	fail "key bump lowered a counter"
"$YKVALD" key bump --db "$db" --counter 9 --use 2 $PUB >/dev/null || fail "key bump"
[ "$(sqlite3 "$db" "SELECT counter, session_use FROM keys")" = "9|2" ] ||
	fail "key bump did not raise: $(sqlite3 "$db" "SELECT counter FROM keys")"
"$YKVALD" key replace --db "$db" --public-id $PUB --private-id 0102030405aa \
	--aes-key 000102030405060708090a0b0c0d0e0f --serial 7 | grep -q "^replaced $PUB$" ||
	fail "key replace"
[ "$(sqlite3 "$db" "SELECT hex(private_id), serial, counter FROM keys")" = "0102030405AA|7|-1" ] ||
	fail "key replace: $(sqlite3 "$db" "SELECT hex(private_id), serial, counter FROM keys")"
ok "key bump (never lowers), key replace (counters start again)"
before=$(sum)
refuse "replace an unknown key" "$YKVALD" key replace --db "$db" --public-id vvvvvvvvvvvv \
	--private-id $PRIV --aes-key $AES
refuse "replace with a bad key" "$YKVALD" key replace --db "$db" --public-id $PUB \
	--private-id $PRIV --aes-key xyz
refuse "bump an unknown key" "$YKVALD" key bump --db "$db" --counter 3 vvvvvvvvvvvv
refuse "bump without --counter" "$YKVALD" key bump --db "$db" $PUB
refuse "bump --use 256" "$YKVALD" key bump --db "$db" --counter 3 --use 256 $PUB
refuse "delete an unknown key" "$YKVALD" key delete --db "$db" vvvvvvvvvvvv
[ "$(sum)" = "$before" ] || fail "a refused key command changed the database"
"$YKVALD" key delete --db "$db" $PUB | grep -q "^deleted $PUB$" || fail "key delete"
[ "$(sqlite3 "$db" "SELECT count(*) FROM keys")" = 0 ] || fail "key delete left the key"
ok "key delete"

# Unknown commands name themselves.
for c in "frobnicate" "client frob" "key frob"; do
	# shellcheck disable=SC2086 # the words of the command
	refuse "unknown command '$c'" "$YKVALD" $c
	grep -q "^ykvald: unknown command '$c'" "$T/err" || fail "$c: $(cat "$T/err")"
done

# The database's directory is created (0700), or what is missing named.
"$YKVALD" client add --db "$T/state/new.db" >/dev/null || fail "no directory made"
[ "$(stat -c %a "$T/state")" = 700 ] || fail "directory mode $(stat -c %a "$T/state")"
refuse "a missing parent" "$YKVALD" client add --db "$T/no/such/new.db"
grep -q "$T/no does not exist" "$T/err" || fail "missing parent: $(cat "$T/err")"
refuse "list in a missing directory" "$YKVALD" key list --db "$T/gone/x.db"
[ ! -e "$T/gone" ] || fail "key list created a directory"
ok "the database directory is created when a command creates the database"

# backup: 0600 whatever the umask, never over a file.
(umask 0; "$YKVALD" backup --db "$db" "$T/copy.db" >/dev/null) || fail "backup"
[ "$(stat -c %a "$T/copy.db")" = 600 ] || fail "backup mode $(stat -c %a "$T/copy.db")"
[ "$(sqlite3 "$T/copy.db" "SELECT count(*) FROM clients")" = 2 ] || fail "backup content"
refuse "backup over a file" "$YKVALD" backup --db "$db" "$T/copy.db"
refuse "backup of a missing database" "$YKVALD" backup --db "$T/missing.db" "$T/c2.db"
[ ! -e "$T/c2.db" ] || fail "a failed backup left its file"
ok "backup"
