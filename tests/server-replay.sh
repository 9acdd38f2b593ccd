#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Replay decided atomically: 50 requests carrying one OTP, sent at the same
# moment with different nonces, get exactly one OK.  Repeated for several
# OTPs so that batches of different shapes are exercised.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

new_db "$T/db"
start_ykvald "$T/db"
for round in 1 2 3 4 5 6 7 8; do
	o=$(otp 10 "$round")
	"$BURST" "$URL" 1 "$CKEY" "$o" 50 > "$T/tally"
	sort "$T/tally" | tr '\n' ' '; echo
	[ "$(cat "$T/tally" | wc -l)" = 2 ] || fail "round $round: $(cat "$T/tally")"
	grep -qx 'OK 1' "$T/tally" || fail "round $round: not exactly one OK"
	grep -qx 'REPLAYED_OTP 49' "$T/tally" || fail "round $round: not 49 replays"
done
ok "8 rounds of 50 parallel requests: one OK each"
# Fresh OTPs interleaved with replays of old ones, all at once.
o=$(otp 11 0)
"$BURST" "$URL" 1 "$CKEY" "$(otp 10 1)" 50 > "$T/tally"
grep -qx 'REPLAYED_OTP 50' "$T/tally" || fail "an old OTP: $(cat "$T/tally")"
ok "an accepted OTP stays replayed under load"
stop_ykvald
