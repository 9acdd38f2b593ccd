#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Protocol 2.0 over real HTTP: every status, GET and POST, the reply's
# format and signature, and the HTTP edges (health, 404, 405, 413).
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

new_db "$T/db"
start_ykvald "$T/db"

# check WANT_STATUS WANT_SIG WANT_ECHO vclient-args...
check() {
	want=$1 sig=$2 echo_=$3; shift 3
	out=$("$VCLIENT" "$@") || fail "vclient $*: transport error"
	got=$(printf '%s\n' "$out" | field status)
	gsig=$(printf '%s\n' "$out" | field signature)
	gecho=$(printf '%s\n' "$out" | field echo)
	[ "$got" = "$want" ] || fail "$*: status $got, want $want"
	[ "$gsig" = "$sig" ] || fail "$*: signature $gsig, want $sig"
	[ "$gecho" = "$echo_" ] || fail "$*: echo $gecho, want $echo_"
	ok "$want ($*)"
}

o1=$(otp 1 0)
check OK ok ok -k "$CKEY" -n kakakakakakakakakakakaka "$URL" 1 "$o1"
check REPLAYED_REQUEST ok ok -k "$CKEY" -n kakakakakakakakakakakaka "$URL" 1 "$o1"
check REPLAYED_OTP ok ok -k "$CKEY" -n bakabakabakabaka "$URL" 1 "$o1"
check OK ok ok -k "$CKEY" -P "$URL" 1 "$(otp 1 1)"
check REPLAYED_OTP ok ok -k "$CKEY" -P -n othernonce0123456 "$URL" 1 "$(otp 1 1)"
check OK ok ok -k "$CKEY" -U "$URL" 1 "$(otp 1 2)"	# unsigned requests are allowed
check BAD_SIGNATURE ok none -k "$CKEY" -h AAAAAAAAAAAAAAAAAAAAAAAAAAA= "$URL" 1 "$(otp 1 3)"
check NO_SUCH_CLIENT ok none "$URL" 2 "$(otp 1 3)"	# empty key signs it
check MISSING_PARAMETER ok none -k "$CKEY" -n short "$URL" 1 "$(otp 1 3)"
check MISSING_PARAMETER ok none -k "$CKEY" -x sl=abc "$URL" 1 "$(otp 1 3)"
check BAD_OTP ok none -k "$CKEY" "$URL" 1 notanotpnotanotpnotanotpnotanotp
check BAD_OTP ok none -k "$CKEY" "$URL" 1 cccccccccccctjduvtcjbfeuvhehdvjjlbchtlenfgku

# Timestamp fields.
out=$("$VCLIENT" -k "$CKEY" -t "$URL" 1 "$(otp 2 0 0x0a0b0c)")
[ "$(printf '%s\n' "$out" | field sessioncounter)" = 2 ] || fail "sessioncounter: $out"
[ "$(printf '%s\n' "$out" | field sessionuse)" = 0 ] || fail "sessionuse: $out"
[ "$(printf '%s\n' "$out" | field timestamp)" = $((0x0a0b0c)) ] || fail "timestamp: $out"
[ "$(printf '%s\n' "$out" | field sl)" = 0 ] || fail "sl: $out"
ok "timestamp=1 fields"

# Upper case and Dvorak input are accepted; the echo is the modhex OTP.
o=$(otp 3 0)
up=$(printf '%s' "$o" | tr a-z A-Z)
out=$("$VCLIENT" -k "$CKEY" "$URL" 1 "$up")
[ "$(printf '%s\n' "$out" | field status)" = OK ] || fail "upper case: $out"
[ "$(printf '%s\n' "$out" | field otp)" = "$o" ] || fail "upper-case echo: $out"
o=$(otp 3 1)
dv=$(printf '%s' "$o" | tr cbdefghijklnrtuv 'jxe.uidchtnbpygk')
out=$("$VCLIENT" -k "$CKEY" "$URL" 1 "$dv")
[ "$(printf '%s\n' "$out" | field status)" = OK ] || fail "Dvorak: $out"
[ "$(printf '%s\n' "$out" | field otp)" = "$o" ] || fail "Dvorak echo: $out"
ok "upper case and Dvorak"

# The reply's exact shape: h first, CRLF lines, a blank line, text/plain.
o=$(otp 4 0)
curl -sS -D "$T/hdr" -o "$T/body" "$URL?id=1&otp=$o&nonce=abcdefghijklmnopq"
head -c 2 "$T/body" | grep -q '^h=' || fail "h is not first"
[ "$(tail -c 4 "$T/body" | od -An -c | tr -d ' ')" = '\r\n\r\n' ] ||
	fail "reply does not end in CRLF CRLF"
[ "$(grep -c "$(printf '\r$')" "$T/body")" = "$(wc -l < "$T/body")" ] ||
	fail "a line without CR"
grep -qi '^content-type: text/plain' "$T/hdr" || fail "content type"
grep -q "^t=20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]Z0[0-9][0-9][0-9]" "$T/body" ||
	fail "t format: $(cat "$T/body")"
sed -n 2p "$T/body" | grep -q '^t=' || fail "t is not second"
tail -n 2 "$T/body" | head -n 1 | grep -q '^status=OK' || fail "status is not last"
ok "reply format"

# HTTP edges.
base=http://$YKVALD_ADDR
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
[ "$(code "$base/health")" = 200 ] || fail "/health"
[ "$(code "$base/wsapi/2.0/nope")" = 404 ] || fail "404"
[ "$(code -X PUT "$URL")" = 405 ] || fail "405"
head -c 20000 /dev/zero | tr '\0' a > "$T/big"
[ "$(code --data-binary @"$T/big" "$URL")" = 413 ] || fail "413 for a big body"
c=$(code "$URL?id=1&pad=$(head -c 40000 /dev/zero | tr '\0' a)")
[ "$c" -ge 400 ] || fail "a 40 kB URL gave $c"
params=$(i=0; while [ $i -lt 40 ]; do printf 'p%d=1&' $i; i=$((i + 1)); done)
[ "$(code "$URL?${params}id=1")" = 413 ] || fail "413 for too many parameters"
ok "HTTP edges"

# The log: one line per verification, never the token part or the nonce.
grep -q "verify client=1 public_id=$PUB status=OK latency_ms=" "$T/ykvald.log" ||
	fail "no log line"
token=$(printf '%s' "$o1" | cut -c13-)
! grep -q "$token" "$T/ykvald.log" || fail "the OTP's token part reached the log"
! grep -q kakakakakakakakakakakaka "$T/ykvald.log" || fail "a nonce reached the log"
ok "log lines"

# A storage failure answers BACKEND_ERROR (and never OK).
db_sql "$T/db" "DROP TABLE keys"
check BACKEND_ERROR ok none -k "$CKEY" "$URL" 1 "$(otp 9 0)"

# IPv6 loopback, when the machine has it.
if [ -n "$(ip -6 addr show lo 2>/dev/null | grep ::1)" ]; then
	new_db "$T/db6"
	"$YKVALD" serve $ALLOW_ROOT --db "$(db_arg "$T/db6")" --listen '[::1]:0' --ready-file "$T/r6" \
		2>>"$T/ykvald.log" &
	p6=$!; _pids="$_pids $p6"
	wait_for_file "$T/r6" $p6 || fail "no IPv6 listener"
	check OK ok ok -k "$CKEY" "http://$(cat "$T/r6")/wsapi/2.0/verify" 1 "$(otp 1 0)"
fi
stop_ykvald
echo "server-protocol: all passed"
