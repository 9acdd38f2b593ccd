#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# GET /metrics (Prometheus text): verifications by status, the latency
# and batch-size histograms, database errors, open connections; and
# --rate-limit: a client id over its rate gets 429 (no verdict), other
# clients do not.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

new_db "$T/db"
start_ykvald "$T/db" --rate-limit 5
base=http://$YKVALD_ADDR
metric() { curl -s "$base/metrics" | sed -n "s/^$1 //p"; }

o=$(otp 1 0)
"$VCLIENT" -k "$CKEY" -n metricsnonce01234567 "$URL" 1 "$o" | grep -q '^status=OK' ||
	fail "OK"
"$VCLIENT" -k "$CKEY" -n metricsnonce76543210 "$URL" 1 "$o" |
	grep -q '^status=REPLAYED_OTP' || fail "REPLAYED_OTP"
curl -s "$base/metrics" > "$T/m"
grep -q '^# TYPE ykvald_verifications_total counter$' "$T/m" || fail "no TYPE line"
[ "$(metric 'ykvald_verifications_total{status="OK"}')" = 1 ] || fail "OK count: $(cat "$T/m")"
[ "$(metric 'ykvald_verifications_total{status="REPLAYED_OTP"}')" = 1 ] || fail "REPLAYED_OTP count"
[ "$(metric 'ykvald_verification_seconds_count')" = 2 ] || fail "latency count"
[ "$(metric 'ykvald_verification_seconds_bucket{le="+Inf"}')" = 2 ] || fail "latency +Inf"
[ "$(metric 'ykvald_batch_size_count')" -ge 1 ] || fail "batch count"
[ "$(metric 'ykvald_database_errors_total')" = 0 ] || fail "database errors"
[ "$(metric 'ykvald_http_connections')" -ge 1 ] || fail "http connections"
[ "$(metric 'ykvald_database_connections')" -ge 1 ] || fail "database connections"
ok "/metrics counts verifications, latency, batches and connections"

# 15 requests of client 1 in a row: the bucket (5, less the 2 above, plus
# 5 a second) runs dry.
i=0
while [ $i -lt 15 ]; do
	curl -s -o /dev/null -w '%{http_code}\n' \
		"$URL?id=1&otp=$(otp 2 $i)&nonce=ratelimit${i}nonce012345"
	i=$((i + 1))
done > "$T/codes"
passed=$(grep -c '^200$' "$T/codes" || :)
limited=$(grep -c '^429$' "$T/codes" || :)
if [ "$limited" -lt 1 ] || [ "$passed" -lt 3 ] || [ $((passed + limited)) != 15 ]; then
	fail "rate limit: $passed passed, $limited limited"
fi
[ "$(curl -s -o /dev/null -w '%{http_code}' "$URL?id=2&otp=$(otp 3 0)&nonce=otherclient01234567")" = 200 ] ||
	fail "another client was limited"
[ "$(metric 'ykvald_rate_limited_total')" = "$limited" ] || fail "rate_limited_total"
grep -q 'verify client=1 status=RATE_LIMITED' "$T/ykvald.log" || fail "no log line"
ok "--rate-limit 5: $passed passed, $limited got 429, another client passed"
stop_ykvald

# Without --rate-limit nothing is refused.
start_ykvald "$T/db"
i=0
while [ $i -lt 15 ]; do
	curl -s -o /dev/null -w '%{http_code}\n' \
		"$URL?id=1&otp=$(otp 4 $i)&nonce=nolimit${i}nonce0123456"
	i=$((i + 1))
done > "$T/codes"
[ "$(grep -c '^200$' "$T/codes")" = 15 ] || fail "limited without --rate-limit"
ok "no limit by default"
stop_ykvald
