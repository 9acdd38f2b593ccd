#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# On PostgreSQL a node remembers the clients and keys it has read: once
# warm, a verification reads neither table, and a batch of one commits
# its compare-and-set alone, without BEGIN and COMMIT (statements counted
# by pg_stat_statements).  The database still decides: a client or key
# changed by another process is refused by the very next request
# (tests/server-pg-changes.sh covers every change).
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
# shellcheck source=tests/pg-lib.sh
. "${top_srcdir:-.}/tests/pg-lib.sh"
pg_start "shared_preload_libraries = 'pg_stat_statements'"

psql_at "$PGPORT" postgres "CREATE DATABASE reads" || fail "createdb"
psql_at "$PGPORT" reads "CREATE EXTENSION pg_stat_statements" || fail "extension"
DB=postgresql://ykvald@127.0.0.1:$PGPORT/reads
"$YKVALD" client add --db "$DB" --id 1 >/dev/null || fail "client add"
psql_at "$PGPORT" reads "UPDATE clients SET secret = '$CKEY'" >/dev/null
"$YKVALD" key add --db "$DB" --public-id "$PUB" --private-id "$PRIV" \
	--aes-key "$AES" >/dev/null || fail "key add"
start_ykvald "$DB"

# status OTP: what ykvald answers for OTP.
status() { "$VCLIENT" -k "$CKEY" "$URL" 1 "$1" | field status; }
# count REGEX: statements run whose text matches REGEX (not this query).
count() {
	psql_at "$PGPORT" reads "SELECT coalesce(sum(calls), 0)
		FROM pg_stat_statements WHERE query ~* '$1'
		AND query !~ 'pg_stat_statements'"
}

# One request first: the node reads the client and the key.
[ "$(status "$(otp 30 0)")" = OK ] || fail "the first OTP"
psql_at "$PGPORT" reads "SELECT pg_stat_statements_reset()" >/dev/null
N=10
i=1
while [ $i -le $N ]; do
	s=$(status "$(otp 30 $i)")
	[ "$s" = OK ] || fail "OTP $i: $s"
	i=$((i + 1))
done
reads=$(count '^\s*(SELECT|WITH).*\m(clients|keys)\M')
echo "reads of clients and keys for $N verifications: $reads"
[ "$reads" = 0 ] || fail "$reads reads for $N verifications of a warm node"
ok "a warm node reads no client and no key"
# One at a time, each batch holds one verification.
txn=$(count '^\s*(BEGIN|COMMIT)')
[ "$txn" = 0 ] || fail "$txn BEGIN or COMMIT for $N batches of one"
cas=$(count '^\s*UPDATE keys')
[ "$cas" = $N ] || fail "$cas compare-and-sets for $N verifications"
ok "a batch of one is one statement"

# What the node remembers stays out of core dumps: the client's secret
# (the decoded API key) and the key's AES key are in mappings the kernel
# does not dump (VmFlags dd), as root reads them through /proc.
python3 - "$YKVALD_PID" "$CKEY" "$AES" > "$T/dd" <<'PY' ||
import base64, re, sys
pid = sys.argv[1]
want = {"client secret": base64.b64decode(sys.argv[2]),
        "AES key": bytes.fromhex(sys.argv[3])}
found = set()
with open(f"/proc/{pid}/smaps") as sm, open(f"/proc/{pid}/mem", "rb") as mem:
    lo = hi = 0
    for line in sm:
        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) ", line)
        if m:
            lo, hi = int(m[1], 16), int(m[2], 16)
        elif (line.startswith("VmFlags:") and " dd" in line and
              hi - lo <= 1 << 24):	# not a sanitizer's shadow
            try:
                mem.seek(lo)
                data = mem.read(hi - lo)
            except OSError:	# [vvar] and the like cannot be read
                continue
            found |= {k for k, v in want.items() if v in data}
missing = sorted(set(want) - found)
print("not in memory left out of core dumps: " + ", ".join(missing)
      if missing else "both in memory left out of core dumps")
sys.exit(1 if missing else 0)
PY
	fail "$(cat "$T/dd")"
ok "the remembered client secret and AES key: $(cat "$T/dd")"

# A replay: the compare-and-set changes nothing, one state read says why.
s=$(status "$(otp 30 5)")
[ "$s" = REPLAYED_OTP ] || fail "a replay: $s"
"$YKVALD" client disable --db "$DB" 1 >/dev/null || fail "client disable"
s=$(status "$(otp 31 0)")
[ "$s" = NO_SUCH_CLIENT ] || fail "a disabled client: $s"
"$YKVALD" client enable --db "$DB" 1 >/dev/null || fail "client enable"
"$YKVALD" key disable --db "$DB" "$PUB" >/dev/null || fail "key disable"
s=$(status "$(otp 31 1)")
[ "$s" = BAD_OTP ] || fail "a disabled key: $s"
"$YKVALD" key enable --db "$DB" "$PUB" >/dev/null || fail "key enable"
s=$(status "$(otp 31 2)")
[ "$s" = OK ] || fail "enabled again: $s"
ok "a client or key disabled elsewhere is refused at once"
stop_ykvald

# Keys sealed under a running node: the key it remembers still opens the
# OTP, but is no longer the database's; the OTP is opened again with the
# sealed key as read, and gets OK.
KF=$T/master.key
openssl rand -hex 32 > "$KF"; chmod 600 "$KF"
start_ykvald "$DB" --key-file "$KF"
s=$(status "$(otp 32 0)")
[ "$s" = OK ] || fail "a plain key, node with a key file: $s"
"$YKVALD" db migrate --db "$DB" --key-file "$KF" >/dev/null || fail "db migrate"
s=$(status "$(otp 32 1)")
[ "$s" = OK ] || fail "the key sealed under the node: $s"
s=$(status "$(otp 32 1)")
[ "$s" = REPLAYED_REQUEST ] || fail "the same request again: $s"
ok "a key sealed under a running node is read again, not refused"
stop_ykvald
echo "server-pg-reads: all passed"
