#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# HTTP framing per RFC 9112 (item 6 of issue 11): an ambiguous body length
# gets 400 and a closed connection; too many parameters get 413, never a
# silent close; a HEAD request is not a verify and does not spend the OTP.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"
RAW="python3 $top_srcdir/tests/rawhttp.py"

new_db "$T/db"
start_ykvald "$T/db"

# expect_raw WANT REQUEST [rawhttp options]: WANT is rawhttp's first line,
# or a prefix of it.
expect_raw() {
	want=$1 req=$2; shift 2
	got=$($RAW "$@" "$YKVALD_ADDR" "$req" | head -n 1)
	what=$(printf '%s' "$req" | cut -c1-70 | sed 's/[\\].*//')
	case $got in
	"$want"*) ok "$want: $what" ;;
	*) fail "$what: got '$got', want '$want'" ;;
	esac
}
V='/wsapi/2.0/verify'
F='Content-Type: application/x-www-form-urlencoded\r\n'
body="id=1&otp=$(otp 1 0)&nonce=abcdefghijklmnopq"
n=${#body}

# Ambiguous framing: 400, and the server closes.
expect_raw 'status=400 closed=yes' "POST $V HTTP/1.1\r\nHost: x\r\n${F}Content-Length: 5\r\nContent-Length: $n\r\n\r\n$body"
expect_raw 'status=400 closed=yes' "POST $V HTTP/1.1\r\nHost: x\r\n${F}Content-Length: $n\r\nContent-Length: 5\r\n\r\n$body"
expect_raw 'status=400 closed=yes' "POST $V HTTP/1.1\r\nHost: x\r\n${F}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nid=1&\r\n0\r\n\r\n"
expect_raw 'status=400 closed=yes' "POST $V HTTP/1.1\r\nHost: x\r\n${F}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nid=1&\r\n0\r\n\r\n"
expect_raw 'status=400 closed=yes' "POST $V HTTP/1.1\r\nHost: x\r\n${F}Transfer-Encoding: gzip, chunked\r\n\r\n5\r\nid=1&\r\n0\r\n\r\n"
expect_raw 'status=400 closed=yes' "POST $V HTTP/1.1\r\nHost: x\r\n${F}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
expect_raw 'status=400 closed=yes' "POST $V HTTP/1.0\r\n${F}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
expect_raw 'status=400 closed=yes' "GET $V?id=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 1\r\n\r\n"
# Whitespace before the colon (RFC 9112, 5.1), a folded line (5.2).
expect_raw 'status=400 closed=yes' "POST $V HTTP/1.1\r\nHost: x\r\n${F}Content-Length : $n\r\n\r\n$body"
expect_raw 'status=400 closed=yes' "POST $V HTTP/1.1\r\nHost: x\r\n${F}Content-Length: $n\r\n Transfer-Encoding: chunked\r\n\r\n$body"
# Unambiguous framing still works: the same length twice, chunked alone.
expect_raw 'status=200 closed=no' "POST $V HTTP/1.1\r\nHost: x\r\n${F}Content-Length: $n\r\nContent-Length: $n\r\n\r\n$body" -w 0.5
grep -q "public_id=$PUB status=OK" "$T/ykvald.log" || fail "POST with a repeated Content-Length was not verified"
body2="id=1&otp=$(otp 1 1)&nonce=abcdefghijklmnopq"
expect_raw 'status=200 closed=no' "POST $V HTTP/1.1\r\nHost: x\r\n${F}Transfer-Encoding: chunked\r\n\r\n$(printf '%x' ${#body2})\r\n$body2\r\n0\r\n\r\n" -w 0.5
[ "$(grep -c "public_id=$PUB status=OK" "$T/ykvald.log")" = 2 ] ||
	fail "chunked POST was not verified"

# Too many parameters: 413, whatever their shape.  Thousands of short ones
# used to exhaust libmicrohttpd's connection memory: a close, no answer.
many() { python3 -c "import sys; print(sys.argv[1].join([sys.argv[2]] * int(sys.argv[3])))" "$@"; }
expect_raw 'status=413' "GET $V?$(many '&' 'p=1' 33) HTTP/1.1\r\nHost: x\r\n\r\n" -w 0.5
expect_raw 'status=413' "GET $V?$(many '&' 'p=1' 3000) HTTP/1.1\r\nHost: x\r\n\r\n" -w 0.5
expect_raw 'status=413' "GET $V?$(many '&' 'a' 8000) HTTP/1.1\r\nHost: x\r\n\r\n" -w 0.5
expect_raw 'status=413' "GET $V?id=1$(many '' '&' 8000) HTTP/1.1\r\nHost: x\r\n\r\n" -w 0.5
expect_raw 'status=200' "GET /health?$(many '&' 'a' 8000) HTTP/1.1\r\nHost: x\r\n\r\n" -w 0.5
# A body announced over 8 KiB is refused before it is read.
expect_raw 'status=413 closed=yes' "POST $V HTTP/1.1\r\nHost: x\r\n${F}Content-Length: 1000000000\r\n\r\n" -w 1
expect_raw 'status=413 closed=yes' "POST $V HTTP/1.1\r\nHost: x\r\n${F}Content-Length: 99999999999999999999999\r\n\r\n" -w 1
p=$(many '&' 'p=1' 300)
expect_raw 'status=413' "POST $V HTTP/1.1\r\nHost: x\r\n${F}Content-Length: ${#p}\r\n\r\n$p" -w 0.5
# 32 parameters are still a request (it lacks an OTP: MISSING_PARAMETER).
expect_raw 'status=200' "GET $V?$(many '&' 'p=1' 31)&id=1 HTTP/1.1\r\nHost: x\r\n\r\n" -w 0.5

# HEAD is not a verify: 405 with Allow, and the OTP is still good after.
o=$(otp 2 0)
out=$($RAW -w 0.5 "$YKVALD_ADDR" "HEAD $V?id=1&otp=$o&nonce=abcdefghijklmnopq HTTP/1.1\r\nHost: x\r\n\r\n")
printf '%s\n' "$out" | grep -q '^status=405 ' || fail "HEAD verify: $out"
printf '%s\n' "$out" | grep -q '^allow=GET, POST$' || fail "HEAD verify: no Allow: $out"
out=$("$VCLIENT" -k "$CKEY" "$URL" 1 "$o")
[ "$(printf '%s\n' "$out" | field status)" = OK ] || fail "the OTP was spent by HEAD: $out"
ok "HEAD does not spend the OTP"
expect_raw 'status=200' "HEAD /health HTTP/1.1\r\nHost: x\r\n\r\n" -w 0.5

stop_ykvald
echo "server-framing: all passed"
