#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Two ykvald nodes on one PostgreSQL database: a change made with the
# admin commands (client add, disable, enable, rotate-key; key add,
# disable, enable, replace, delete, import) holds on both nodes at once,
# on the very next request, however warm the node was.  Each case first
# has both nodes verify with the client and key concerned, then changes
# the row, then asks both nodes again with no pause, signed and unsigned.
# Nodes remember clients and keys; one that answered from that memory
# without the database's word (a stale key, client, or "not found")
# fails here.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
# shellcheck source=tests/pg-lib.sh
. "${top_srcdir:-.}/tests/pg-lib.sh"
pg_start

psql_at "$PGPORT" postgres "CREATE DATABASE changes" || fail "createdb"
DB=postgresql://ykvald@127.0.0.1:$PGPORT/changes

# client N: add client N; its key in SECRET_N.
client() {
	"$YKVALD" client add --db "$DB" --id "$1" > "$T/client" || fail "client add $1"
	eval "SECRET_$1=\$(field key < \"\$T/client\")"
}
client 1; client 2; client 3; client 4

# Keys: public ID, private ID, AES key.  KEY is lib.sh's test key.
KEY="$PUB $PRIV $AES"
K3="vvcccccccccb 0102030405b3 000102030405060708090a0b0c0d0eb3"
K4="vvcccccccccd 0102030405b4 000102030405060708090a0b0c0d0eb4"
K4NEW="vvcccccccccd a1a2a3a4a5b4 f0e0d0c0b0a090807060504030201004"
K5="vvccccccccce 0102030405b5 000102030405060708090a0b0c0d0eb5"
K5NEW="vvccccccccce 0102030405b5 f0e0d0c0b0a090807060504030201005"
K6="vvcccccccccf 0102030405b6 000102030405060708090a0b0c0d0eb6"
K6NEW="vvcccccccccf c1c2c3c4c5b6 f0e0d0c0b0a090807060504030201006"
K8="vvcccccccccg 0102030405b8 000102030405060708090a0b0c0d0eb8"
# A well-formed OTP of the test key's public ID that does not decrypt.
WRONG="$PUB $PRIV 00000000000000000000000000000000"
addkey() {
	"$YKVALD" key add --db "$DB" --public-id "$1" --private-id "$2" \
		--aes-key "$3" >/dev/null || fail "key add $1"
}
# shellcheck disable=SC2086 # a key is three words
{ addkey $KEY; addkey $K3; addkey $K4; addkey $K5; addkey $K6; }

# node N: start node N; its URL is in URL_N, its pid in PID_N.
node() {
	start_ykvald "$DB"
	eval "URL_$1=\$URL PID_$1=\$YKVALD_PID"
}
node 1; node 2

# A wrong answer is reported and the test goes on, so that one run names
# every case that fails; it fails at the end.
failed=""	# the cases that failed
missed=0	# wrong answers in the current case
miss() { echo "FAIL: $*" >&2; missed=$((missed + 1)); }
# done_case MESSAGE: the case is over.
done_case() {
	if [ $missed = 0 ]; then
		ok "$1"
	else
		failed="$failed ${what%%.*}"
		missed=0
	fi
}

ctr=0	# every OTP made gets a counter above every one made before
nreq=0	# every request its own nonce
# mk PUBLIC PRIVATE AES: O becomes a fresh OTP of that key.
mk() {
	ctr=$((ctr + 1))
	O=$("$OTPGEN" "$1" "$2" "$3" $ctr 0) || fail "otpgen"
}

# want STATUS NODE ID SECRET OTP [vclient option]: node NODE answers
# STATUS (or anything but X for !X) to client ID signing with SECRET
# (-U: unsigned); a known client's answer is signed with SECRET.
want() {
	_want=$1 _n=$2 _id=$3 _key=$4 _otp=$5; shift 5
	nreq=$((nreq + 1))
	_url=$(eval "printf '%s' \"\$URL_$_n\"")
	"$VCLIENT" -k "$_key" -n "req${nreq}nonce0123456789" "$@" "$_url" "$_id" \
		"$_otp" > "$T/reply" || fail "$what: node $_n: no answer"
	_got=$(field status < "$T/reply")
	_how=signed; [ "${1:-}" != -U ] || _how=unsigned
	case $_want in
	!*)	[ "$_got" != "${_want#!}" ] ||
			miss "$what: node $_n, $_how: $_got, want anything else" ;;
	*)	[ "$_got" = "$_want" ] ||
			miss "$what: node $_n, $_how: $_got, want $_want" ;;
	esac
	case $_got in
	NO_SUCH_CLIENT|BAD_SIGNATURE) ;;
	*)	[ "$(field signature < "$T/reply")" = ok ] ||
			miss "$what: node $_n, $_how: reply not signed with the client's key" ;;
	esac
}

# both STATUS ID SECRET PUBLIC PRIVATE AES: on each node, a fresh OTP of
# the key, signed, and another, unsigned, both answered STATUS.
both() {
	_s=$1 _id=$2 _key=$3; shift 3
	for _n in 1 2; do
		mk "$@"; want "$_s" "$_n" "$_id" "$_key" "$O"
		mk "$@"; want "$_s" "$_n" "$_id" "$_key" "$O" -U
	done
}

# shellcheck disable=SC2086 # $KEY, $K3...: a key is three words
{
what="1. client disabled"
both OK 2 "$SECRET_2" $KEY
"$YKVALD" client disable --db "$DB" 2 >/dev/null || fail "client disable"
both NO_SUCH_CLIENT 2 "$SECRET_2" $KEY
what="1. client enabled again"
"$YKVALD" client enable --db "$DB" 2 >/dev/null || fail "client enable"
both OK 2 "$SECRET_2" $KEY
done_case "client disable, enable: NO_SUCH_CLIENT, then OK, on both nodes"

what="2. client key rotated"
both OK 3 "$SECRET_3" $KEY
"$YKVALD" client rotate-key --db "$DB" 3 > "$T/rot" || fail "rotate-key"
NEW_3=$(field key < "$T/rot")
if [ -z "$NEW_3" ] || [ "$NEW_3" = "$SECRET_3" ]; then
	fail "rotate-key: no new key"
fi
for n in 1 2; do
	mk $KEY; want BAD_SIGNATURE $n 3 "$SECRET_3" "$O"
	mk $KEY; want OK $n 3 "$NEW_3" "$O"
	# unsigned: OK, and the reply is signed with the new key
	mk $KEY; want OK $n 3 "$NEW_3" "$O" -U
	mk $KEY; want BAD_SIGNATURE $n 3 "$SECRET_3" "$O"
done
done_case "client rotate-key: old key BAD_SIGNATURE, new OK, signs replies"

what="3. key disabled"
both OK 1 "$SECRET_1" $K3
"$YKVALD" key disable --db "$DB" ${K3%% *} >/dev/null || fail "key disable"
both BAD_OTP 1 "$SECRET_1" $K3
what="3. key enabled again"
"$YKVALD" key enable --db "$DB" ${K3%% *} >/dev/null || fail "key enable"
both OK 1 "$SECRET_1" $K3
done_case "key disable/enable: BAD_OTP, then OK, at once on both nodes"

# replace "PUBLIC PRIVATE AES": key replace gives the key these IDs and AES
# key, and starts its counters again.  The old key's OTPs made after that
# still have higher counters than any seen.
replace() {
	set -- $1
	"$YKVALD" key replace --db "$DB" --public-id "$1" --private-id "$2" \
		--aes-key "$3" >/dev/null || fail "key replace"
}
what="4. key replaced (new private ID and AES key)"
both OK 1 "$SECRET_1" $K4
replace "$K4NEW"
both BAD_OTP 1 "$SECRET_1" $K4
both OK 1 "$SECRET_1" $K4NEW
both BAD_OTP 1 "$SECRET_1" $K4
done_case "key replace: the old AES key refused, the new one OK, on both nodes"

what="5. key replaced (same private ID, new AES key)"
both OK 1 "$SECRET_1" $K5
replace "$K5NEW"
both BAD_OTP 1 "$SECRET_1" $K5
both OK 1 "$SECRET_1" $K5NEW
both BAD_OTP 1 "$SECRET_1" $K5
done_case "key replace, same private ID: old AES key refused, new one OK"

what="6. key deleted"
both OK 1 "$SECRET_1" $K6
"$YKVALD" key delete --db "$DB" ${K6%% *} >/dev/null || fail "key delete"
both BAD_OTP 1 "$SECRET_1" $K6
what="6. key imported again"
set -- $K6NEW
printf ',%s,%s,%s,,2024-01-01T00:00:00,\n' "$1" "$2" "$3" > "$T/import.csv"
"$YKVALD" key import --db "$DB" "$T/import.csv" >/dev/null || fail "key import"
both OK 1 "$SECRET_1" $K6NEW
both BAD_OTP 1 "$SECRET_1" $K6
done_case "key delete, import: BAD_OTP, then the new key OK, the old refused"

what="7. disabled client, bad or replayed OTP"
both OK 4 "$SECRET_4" $KEY
used=$O
mk $WRONG; bad=$O
for n in 1 2; do
	want BAD_OTP $n 4 "$SECRET_4" "$bad"
	want REPLAYED_OTP $n 4 "$SECRET_4" "$used"
done
"$YKVALD" client disable --db "$DB" 4 >/dev/null || fail "client disable"
for n in 1 2; do
	for u in "" -U; do
		want NO_SUCH_CLIENT $n 4 "$SECRET_4" "$bad" $u
		want NO_SUCH_CLIENT $n 4 "$SECRET_4" "$used" $u
	done
done
what="7. client enabled again"
"$YKVALD" client enable --db "$DB" 4 >/dev/null || fail "client enable"
for n in 1 2; do
	want BAD_OTP $n 4 "$SECRET_4" "$bad"
	want REPLAYED_OTP $n 4 "$SECRET_4" "$used" -U
done
done_case "a disabled client: NO_SUCH_CLIENT before any verdict on its OTP"

what="8. client and key unknown, then added"
both NO_SUCH_CLIENT 5 "$SECRET_1" $KEY
both BAD_OTP 1 "$SECRET_1" $K8
client 5
addkey $K8
both OK 5 "$SECRET_5" $KEY
both OK 1 "$SECRET_1" $K8
done_case "client add, key add: OK at once on both nodes after a miss"
}

[ -z "$failed" ] || fail "cases$failed"
for n in 1 2; do
	eval "YKVALD_PID=\$PID_$n"
	stop_ykvald
done
echo "server-pg-changes: all passed ($nreq requests)"
