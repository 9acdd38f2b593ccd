#!/bin/sh
# The ykvald command line: clear one-line errors, non-zero exits, and a
# database left untouched by bad input.
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
