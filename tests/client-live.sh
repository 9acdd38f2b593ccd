#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The online client (vc_verify, through tests/vcheck) against the real
# ykvald and against fakeval's misbehaving servers: verdicts, per-server
# notes, and how long it takes when servers hang or die.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

FAKEVAL=$top_builddir/tests/fakeval
VCHECK=$top_builddir/tests/vcheck
WRONG_KEY=AAECAwQFBgcICQoLDA0ODxAREhM=

# start_fake MODE [fakeval args]: sets FAKE_URL, FAKE_LOG and FAKE_PID.
_nfake=0
start_fake() {
	_nfake=$((_nfake + 1)) _mode=$1
	shift
	FAKE_LOG=$T/fake.$_nfake.log
	: > "$FAKE_LOG"
	"$FAKEVAL" --mode "$_mode" --ready-file "$T/fake.$_nfake.ready" \
		--log "$FAKE_LOG" --key "$CKEY" "$@" 2>>"$T/fakeval.err" &
	FAKE_PID=$!
	_pids="$_pids $FAKE_PID"
	wait_for_file "$T/fake.$_nfake.ready" "$FAKE_PID" ||
		fail "fakeval --mode $_mode did not start"
	FAKE_URL=http://$(head -n 1 "$T/fake.$_nfake.ready")/wsapi/2.0/verify
}

# check RC WHAT VCHECK-ARGS...: vcheck must exit RC; sets OUT and ELAPSED.
check() {
	_want=$1 _what=$2
	shift 2
	_rc=0
	OUT=$("$VCHECK" "$@" 2>&1) || _rc=$?
	case $OUT in *Sanitizer*|*"runtime error"*)
		printf '%s\n' "$OUT" >&2
		fail "$_what: a sanitizer report"
	esac
	if [ "$_rc" -ne "$_want" ]; then
		printf '%s\n' "$OUT" >&2
		fail "$_what: vcheck exited $_rc, want $_want"
	fi
	ELAPSED=$(printf '%s\n' "$OUT" | field elapsed_ms)
	ok "$_what ($(printf '%s\n' "$OUT" | field verdict), $ELAPSED ms)"
}

# note_has TEXT: some server's note contains TEXT.
note_has() {
	printf '%s\n' "$OUT" | grep -q "^note=.*$1" ||
		{ printf '%s\n' "$OUT" >&2; fail "no note with '$1'"; }
}

# faster MS: the last check took less than MS milliseconds.
faster() {
	[ "$ELAPSED" -lt "$1" ] || fail "took $ELAPSED ms, want < $1 ms"
}

# requests N: the last fakeval received N requests.
requests() {
	_n=$(wc -l < "$FAKE_LOG")
	[ "$_n" -eq "$1" ] ||
		{ cat "$FAKE_LOG" >&2; fail "$_n requests, want $1"; }
}

new_db "$T/a.db"
new_db "$T/b.db"
start_ykvald "$T/a.db"
A_URL=$URL A_PID=$YKVALD_PID
start_ykvald "$T/b.db"
B_URL=$URL B_PID=$YKVALD_PID

# ---- against ykvald ----
O=$(otp 1 0)
check 0 "ykvald: OK" -k "$CKEY" "$A_URL" -- "$O"
note_has ": OK$"
check 1 "ykvald: the same OTP again is REJECTED" -k "$CKEY" "$A_URL" -- "$O"
note_has REPLAYED_OTP
check 2 "ykvald: a wrong key is no verdict" -k "$WRONG_KEY" "$A_URL" \
	-- "$(otp 1 1)"
note_has BAD_SIGNATURE
check 0 "ykvald: unsigned mode, OK on the echoes" "$A_URL" -- "$(otp 1 2)"
start_fake ok
check 3 "a bad client id is a local error" -i 0 -k "$CKEY" "$FAKE_URL" \
	-- "$(otp 1 3)"
requests 0
check 0 "fakeval ok" -k "$CKEY" "$FAKE_URL" -- "$(otp 1 3)"
requests 1
grep -q " h=ok$" "$FAKE_LOG" || fail "the request's h did not verify"

# ---- misbehaving servers: no verdict, and no waiting for the deadline ----
for m in forge wrong-nonce wrong-otp backend-error http500 garbage huge \
	close; do
	start_fake $m
	check 2 "fakeval $m is no verdict" -t 15000 -k "$CKEY" "$FAKE_URL" \
		-- "$(otp 2 0)"
	faster 5000
	requests 1
done
# Which of two servers answers first is up to the scheduler, unless one
# of them is a fakeval with --delay.
start_fake forge
F_URL=$FAKE_URL
start_fake ok --delay 500
check 0 "a forged OK first is skipped, a later OK counts" -t 15000 \
	-k "$CKEY" "$F_URL" "$FAKE_URL" -- "$(otp 3 0)"
note_has "bad signature"
check 0 "forged OK + ykvald: OK" -t 15000 -k "$CKEY" "$F_URL" "$A_URL" \
	-- "$(otp 3 0)"
start_fake wrong-nonce
N_URL=$FAKE_URL
start_fake ok --delay 500
check 0 "a wrong nonce first is skipped, a later OK counts" -t 15000 \
	-k "$CKEY" "$N_URL" "$FAKE_URL" -- "$(otp 3 1)"
note_has "nonce mismatch"
check 0 "wrong nonce + ykvald: OK" -t 15000 -k "$CKEY" "$N_URL" "$B_URL" \
	-- "$(otp 3 1)"
start_fake replayed
R_URL=$FAKE_URL
check 1 "fakeval replayed is REJECTED" -k "$CKEY" "$R_URL" -- "$(otp 4 0)"
start_fake ok --delay 2000
check 1 "REPLAYED_OTP rejects without waiting for a slow OK" -t 15000 \
	-k "$CKEY" "$R_URL" "$FAKE_URL" -- "$(otp 4 0)"
faster 1500
note_has cancelled
start_fake bad-otp
check 1 "fakeval bad-otp alone is REJECTED" -k "$CKEY" "$FAKE_URL" \
	-- "$(otp 4 0)"
B_OTP=$FAKE_URL
start_fake ok --delay 500
check 0 "bad-otp first, then a later OK" -t 15000 -k "$CKEY" "$B_OTP" \
	"$FAKE_URL" -- "$(otp 4 1)"
note_has BAD_OTP
start_fake backend-error --delay 500
check 1 "bad-otp first, then an error: REJECTED" -t 15000 -k "$CKEY" \
	"$B_OTP" "$FAKE_URL" -- "$(otp 4 1)"
note_has BACKEND_ERROR
faster 5000

# ---- dead and hanging servers ----
start_fake refuse	# holds the port, so no other test's server gets it
check 2 "nothing listening is UNAVAILABLE" -t 15000 -k "$CKEY" "$FAKE_URL" \
	-- "$(otp 5 0)"
faster 5000
start_fake hang
H_URL=$FAKE_URL
check 2 "a hanging server is UNAVAILABLE at the deadline" -t 2000 -k "$CKEY" \
	"$H_URL" -- "$(otp 5 0)"
note_has timeout
faster 2500
[ "$ELAPSED" -ge 1900 ] || fail "gave up after $ELAPSED ms, before the deadline"
requests 1
check 0 "hang + two ykvald: OK without waiting" -t 15000 -k "$CKEY" \
	"$H_URL" "$A_URL" "$B_URL" -- "$(otp 6 0)"
faster 5000
note_has cancelled
check 0 "hang + ykvald: OK without waiting" -t 15000 -k "$CKEY" \
	"$H_URL" "$B_URL" -- "$(otp 7 0)"
faster 5000

# ---- HTTPS ----
if command -v openssl >/dev/null; then
	cd "$T"
	pki good
	pki rogue
	new_db "$T/tls.db"
	start_ykvald "$T/tls.db" --tls-cert good-srv.pem --tls-key good-srv.key
	S_URL=https://$YKVALD_ADDR/wsapi/2.0/verify
	check 0 "https with the test CA" -k "$CKEY" --cainfo good-ca.pem \
		"$S_URL" -- "$(otp 1 0)"
	check 2 "https with another CA is UNAVAILABLE" -t 15000 -k "$CKEY" \
		--cainfo rogue-ca.pem "$S_URL" -- "$(otp 1 1)"
	note_has "certificate"
	faster 5000
	check 0 "https, unsigned mode" --cainfo good-ca.pem "$S_URL" \
		-- "$(otp 1 2)"
	stop_ykvald
	cd - >/dev/null
else
	echo "SKIP: https (openssl is not installed)"
fi

YKVALD_PID=$A_PID
stop_ykvald
YKVALD_PID=$B_PID
stop_ykvald
