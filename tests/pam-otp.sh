#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# pam_yk.so in client mode through a real PAM stack (pam_start_confdir with
# service files in $T), against ykvald and misbehaving servers on loopback.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

FAKEVAL=$top_builddir/tests/fakeval
new_db "$T/db"
start_ykvald "$T/db"
GOOD=$URL
printf 'alice:%s\nbob:vvvvvvvvvvvv\n' $PUB > "$T/authfile"
base="id=1 key=$CKEY authfile=$T/authfile"
service yk "auth required $MODULE $base urllist=$GOOD"
requests() { grep -c 'verify client=' "$T/ykvald.log" || :; }

# fake MODE: start fakeval (in this shell, not a subshell, so that it is
# cleaned up and nothing waits on its output); its URL goes to $FAKE_URL.
fake() {
	_r=$T/fake.$1.ready
	"$FAKEVAL" --mode "$1" --key "$CKEY" --ready-file "$_r" --lifetime 120 \
		--log "$T/fake.$1.log" >/dev/null 2>>"$T/fake.err" &
	_pids="$_pids $!"
	wait_for_file "$_r" $! || fail "fakeval $1 did not start"
	FAKE_URL=http://$(cat "$_r")/wsapi/2.0/verify
}
# served MODE: how many requests that fakeval received
served() { wc -l < "$T/fake.$1.log" | tr -d ' '; }

# --- the basics
expect PAM_SUCCESS yk alice "$(otp 1 0)"
expect PAM_AUTH_ERR yk alice "$(otp 1 0)"		# replayed
expect PAM_AUTH_ERR yk alice "$(otp 0 5)"		# older
expect PAM_USER_UNKNOWN yk carol "$(otp 1 1)"		# no tokens at all
n=$(requests)
expect PAM_AUTH_ERR yk bob "$(otp 1 2)"			# not bob's token
[ "$(requests)" = "$n" ] || fail "an unmapped OTP reached the server"
ok "no request for an unmapped token ID"
expect PAM_AUTH_ERR yk alice "notanotpatallnotanotpatallnotanotpatall12345"
expect PAM_AUTH_ERR yk alice "short"
[ "$(requests)" = "$n" ] || fail "malformed input reached the server"
expect PAM_CONV_ERR yk alice				# no answer
expect PAM_SUCCESS yk alice "$(otp 2 0 | tr a-z A-Z)"	# caps lock
expect PAM_SUCCESS yk alice "$(otp 2 1 | tr cbdefghijklnrtuv 'jxe.uidchtnbpygk')"
expect PAM_SUCCESS yk alice "  $(otp 2 2)
"

# --- the log holds nothing the user typed, and no password of a URL
: > "$T/typed.log"; chmod 666 "$T/typed.log"
service typed "auth required $MODULE $base urllist=http://u:s3cr3tpw@${GOOD#http://} debug debug_file=$T/typed.log"
expect PAM_AUTH_ERR typed alice "hunter2kkkkkkkkkkkkcbdefghijklnrtuvcbdefghijklnrtuv"
expect PAM_SUCCESS typed alice "$(otp 2 3)"
grep -q 'not mapped to alice (51 characters typed)' "$T/typed.log" ||
	{ cat "$T/typed.log"; fail "no line about the unmapped token"; }
grep -q '\*\*\*@127' "$T/typed.log" || { cat "$T/typed.log"; fail "no server line"; }
! grep -q 'kkkkkk\|s3cr3tpw' "$T/typed.log" ||
	{ cat "$T/typed.log"; fail "the log holds what was typed, or a URL's password"; }
ok "the log holds neither the typed text nor the URL's password"

# --- a wrong API key: the server's signed answer does not verify
service wrongkey "auth required $MODULE id=1 key=d3Jvbmcta2V5LTAxMjM0NTY3ODk= authfile=$T/authfile urllist=$GOOD"
expect PAM_AUTHINFO_UNAVAIL wrongkey alice "$(otp 3 0)"
expect PAM_SUCCESS yk alice "$(otp 3 0)"		# the OTP was not spent
service wrongid "auth required $MODULE id=2 key=$CKEY authfile=$T/authfile urllist=$GOOD"
expect PAM_AUTHINFO_UNAVAIL wrongid alice "$(otp 3 1)"

# --- password and OTP in one prompt: the password is handed on as
# PAM_AUTHTOK (pam_wrapper's pam_get_items.so copies the item out), and
# use_first_pass/try_first_pass read the item that pam_set_items.so set
# from the PAM_AUTHTOK environment variable.
SETI=$(ls /usr/lib/*/pam_wrapper/pam_set_items.so 2>/dev/null | head -n 1)
GETI=$(ls /usr/lib/*/pam_wrapper/pam_get_items.so 2>/dev/null | head -n 1)
if [ -n "$SETI" ] && [ -n "$GETI" ]; then
	service split "auth required $MODULE $base urllist=$GOOD" "auth optional $GETI"
	"$PAMDRIVE" -E PAM_AUTHTOK "$T/pam.d" split alice "secret pass$(otp 4 0)" > "$T/login.out"
	grep -qx 'result: PAM_SUCCESS' "$T/login.out" || fail "password+OTP: $(cat "$T/login.out")"
	grep -qx 'env: PAM_AUTHTOK=secret pass' "$T/login.out" ||
		fail "the password was not handed on: $(cat "$T/login.out")"
	ok "password+OTP: the OTP checked, 'secret pass' handed on as PAM_AUTHTOK"
	"$PAMDRIVE" -E PAM_AUTHTOK "$T/pam.d" split alice "$(otp 4 1)" > "$T/login.out"
	grep -qx 'env: PAM_AUTHTOK=(unset)' "$T/login.out" ||
		fail "an OTP alone set PAM_AUTHTOK: $(cat "$T/login.out")"
	ok "an OTP alone leaves PAM_AUTHTOK unset"
	service ufp "auth required $SETI" "auth required $MODULE $base urllist=$GOOD use_first_pass"
	env PAM_AUTHTOK="$(otp 5 0)" "$PAMDRIVE" "$T/pam.d" ufp alice > "$T/login.out"
	grep -qx 'result: PAM_SUCCESS' "$T/login.out" || fail "use_first_pass: $(cat "$T/login.out")"
	grep -q '^prompt' "$T/login.out" && fail "use_first_pass prompted"
	ok "use_first_pass: the earlier module's OTP, no prompt"
	"$PAMDRIVE" "$T/pam.d" ufp alice "$(otp 5 1)" > "$T/login.out"
	grep -qx 'result: PAM_AUTH_ERR' "$T/login.out" || fail "use_first_pass without a token"
	ok "use_first_pass without an earlier password: PAM_AUTH_ERR"
	service tfp "auth required $SETI" "auth required $MODULE $base urllist=$GOOD try_first_pass"
	env PAM_AUTHTOK="$(otp 5 2)" "$PAMDRIVE" "$T/pam.d" tfp alice > "$T/login.out"
	grep -qx 'result: PAM_SUCCESS' "$T/login.out" && ! grep -q '^prompt' "$T/login.out" ||
		fail "try_first_pass with an OTP: $(cat "$T/login.out")"
	env PAM_AUTHTOK="my unix password" "$PAMDRIVE" "$T/pam.d" tfp alice "$(otp 5 3)" > "$T/login.out"
	grep -qx 'result: PAM_SUCCESS' "$T/login.out" && grep -q '^prompt' "$T/login.out" ||
		fail "try_first_pass with a password: $(cat "$T/login.out")"
	ok "try_first_pass: uses an earlier OTP, prompts after an earlier password"
else
	echo "note: pam_set_items.so/pam_get_items.so (libpam-wrapper) missing: skipped"
fi

# --- nullok, always_prompt, prompt=, verbose_otp, token_id_length
# PAM_IGNORE leaves the decision to the next module; errors still deny.
service nullok "auth required $MODULE $base urllist=$GOOD nullok" \
	"auth required pam_permit.so"
expect PAM_SUCCESS nullok carol "$(otp 6 0)"
grep -q '^prompt' "$T/login.out" && fail "prompted a user without tokens"
expect PAM_AUTH_ERR nullok bob "$(otp 6 0)"		# has tokens: no ignore
service ap "auth required $MODULE $base urllist=$GOOD always_prompt"
expect PAM_USER_UNKNOWN ap carol "$(otp 6 1)"
grep -q '^prompt' "$T/login.out" || fail "always_prompt did not prompt"
service pr "auth required $MODULE $base urllist=$GOOD [prompt=Touch it: ] verbose_otp"
expect PAM_SUCCESS pr alice "$(otp 6 2)"
grep -qx 'prompt-on: Touch it: ' "$T/login.out" || fail "prompt=/verbose_otp: $(cat "$T/login.out")"
"$YKVALD" key add --db "$T/db" --public-id vvccccccbbbbbbbb --private-id $PRIV --aes-key $AES >/dev/null
printf 'dave:vvccccccbbbbbbbb\n' >> "$T/authfile"
service t16 "auth required $MODULE $base urllist=$GOOD token_id_length=16"
o16=vvccccccbbbbbbbb$(otp 1 0 | cut -c13-)
expect PAM_SUCCESS t16 dave "$o16"
expect PAM_USER_UNKNOWN yk dave "$o16"	# no 12-character token ID

# --- alwaysok: pam_yubico's "presentation mode", logged
service aok "auth required $MODULE $base urllist=$GOOD alwaysok"
expect PAM_SUCCESS aok alice "$(otp 1 0)"

# --- servers that fail
# A server that is down: the port is held but nobody listens (a port that
# is merely free could be taken by another test's server meanwhile).
fake refuse; DOWN=$FAKE_URL
service down "auth required $MODULE $base urllist=$DOWN timeout=5"
expect PAM_AUTHINFO_UNAVAIL down alice "$(otp 7 0)"
grep -q '^error: The YubiKey validation service cannot be reached' "$T/login.out" ||
	fail "no message about the unreachable service"
expect PAM_AUTHINFO_UNAVAIL -s down alice "$(otp 7 0)"
grep -q '^error:\|^info:' "$T/login.out" && fail "PAM_SILENT: a message was shown"
ok "the user is told the service is unreachable, except with PAM_SILENT"
for mode in forge wrong-nonce wrong-otp backend-error http500 garbage huge close; do
	fake $mode
	service "f-$mode" "auth required $MODULE $base urllist=$FAKE_URL timeout=3"
	expect PAM_AUTHINFO_UNAVAIL "f-$mode" alice "$(otp 7 1)"
	[ "$(served $mode)" = 1 ] || fail "fakeval $mode was not asked"
	[ $mode = forge ] && FORGE=$FAKE_URL
done
fake replayed
service f-replayed "auth required $MODULE $base urllist=$FAKE_URL timeout=3"
expect PAM_AUTH_ERR f-replayed alice "$(otp 7 1)"
[ "$(served replayed)" = 1 ] || fail "fakeval replayed was not asked"
expect PAM_SUCCESS yk alice "$(otp 7 1)"	# none of those spent it

# A server that accepts and never answers: AUTHINFO_UNAVAIL within timeout.
fake hang; HANG=$FAKE_URL
: > "$T/hang.log"; chmod 666 "$T/hang.log"
service hang "auth required $MODULE $base urllist=$HANG timeout=2 debug debug_file=$T/hang.log"
# The module's own clock: it gives up at the deadline...
o=$(otp 8 0)
t0=$(now_ms)
expect PAM_AUTHINFO_UNAVAIL hang alice "$o"
wall=$(($(now_ms) - t0))
waited=$(sed -n 's/.*no verdict on the OTP .* after \([0-9]*\) ms.*/\1/p' "$T/hang.log")
[ -n "$waited" ] && [ "$waited" -ge 1950 ] && [ "$waited" -le 2500 ] ||
	fail "the module waited '$waited' ms for a hanging server, want 2000..2500"
# ...and the whole login, process start and exit included, stays close
# (the sanitizers and a loaded machine make start-up slow; allow for it).
[ $wall -le 4000 ] || fail "the login took $wall ms with timeout=2"
ok "a hanging server costs the timeout: the module waited $waited ms ($wall ms in all)"

# One of three never answering: as fast as one healthy server.
service three "auth required $MODULE $base urllist=$HANG;$FORGE;$GOOD timeout=8"
t0=$(now_ms); expect PAM_SUCCESS yk alice "$(otp 9 0)"; one=$(($(now_ms) - t0))
t0=$(now_ms); expect PAM_SUCCESS three alice "$(otp 9 1)"; three=$(($(now_ms) - t0))
[ $three -le $((one + 500)) ] || fail "3 servers (1 hanging): $three ms vs $one ms"
ok "one healthy server: $one ms; hang+forge+healthy: $three ms"

# --- every option misspelt is a configuration error, never a default
for bad in debgu nulok alwayok try_frist_pass use_first_pas always_promt \
    verbose-otp mode=clinet id= ide=1 kye=$CKEY urllst=$GOOD url=$GOOD \
    capth=/etc cainf=/x prxy=http://p authfle=$T/authfile \
    token_id_lenght=12 timout=5 promt=x chalresp_pth=/x debug_fil=/x \
    conff=/x ldap_uri=ldap://x timeout=0 token_id_length=99; do
	service misspelt "auth required $MODULE $base urllist=$GOOD $bad"
	expect PAM_SERVICE_ERR misspelt alice "$(otp 10 0)"
done
service insecure "auth required $MODULE id=1 authfile=$T/authfile urllist=$GOOD"
expect PAM_SERVICE_ERR insecure alice "$(otp 10 0)"
ok "misspelt options and http:// without key= are refused"
# No pam_yk_validate: a configuration error, which authinfo_unavail=ignore
# cannot turn into a pass.
service nohelper "auth [success=ok authinfo_unavail=ignore default=die] $MODULE $base urllist=$GOOD validate_helper=$T/none" \
	"auth required pam_permit.so"
expect PAM_SERVICE_ERR nohelper alice "$(otp 10 0)"
# A helper that lies or dies is a local failure, said in one line; the
# reply it forges is never taken for a server's.
printf '#!/bin/sh\ncat >/dev/null; printf "reply 0 200 9999 \\n"\n' > "$T/liar"
printf '#!/bin/sh\nkill -SEGV $$\n' > "$T/crash"
chmod 755 "$T/liar" "$T/crash"
for h in liar crash; do
	: > "$T/$h.log"; chmod 666 "$T/$h.log"
	service "$h" "auth [success=ok authinfo_unavail=ignore default=die] $MODULE $base urllist=$GOOD validate_helper=$T/$h debug debug_file=$T/$h.log" \
		"auth required pam_permit.so"
	expect PAM_SYSTEM_ERR "$h" alice "$(otp 10 0)"
done
grep -q "$T/liar sent a broken reply" "$T/liar.log" ||
	{ cat "$T/liar.log"; fail "no reason for the broken reply"; }
grep -q "$T/crash was killed by signal 11" "$T/crash.log" ||
	{ cat "$T/crash.log"; fail "no reason for the crash"; }
ok "a lying or crashing helper: PAM_SYSTEM_ERR, with the reason"

# --- control flags: what the stack makes of each pam_yk outcome
# flags CONTROL: the stack "pam_yk CONTROL; pam_permit required" (or for
# sufficient: pam_deny after), run with a good, a replayed and an
# unmapped OTP and with the server down.
DOWNSVC="urllist=$DOWN timeout=2"
stack() {	# stack NAME CONTROL ARGS NEXT
	service "$1" "auth $2 $MODULE $base $3" "auth required $4"
}
o=$(otp 11 0)
stack req required "urllist=$GOOD" pam_permit.so
expect PAM_SUCCESS req alice "$o"
expect PAM_AUTH_ERR req alice "$o"
expect PAM_USER_UNKNOWN req carol "$o"
stack reqdown required "$DOWNSVC" pam_permit.so
expect PAM_AUTHINFO_UNAVAIL reqdown alice "$(otp 11 1)"
stack rqs requisite "urllist=$GOOD" pam_permit.so
expect PAM_AUTH_ERR rqs alice "$o"
stack suf sufficient "urllist=$GOOD" pam_deny.so
expect PAM_SUCCESS suf alice "$(otp 11 1)"
expect PAM_AUTH_ERR suf alice "$(otp 11 1)"		# replay falls to pam_deny
stack sufdown sufficient "$DOWNSVC" pam_deny.so
expect PAM_AUTH_ERR sufdown alice "$(otp 11 2)"
stack 'done' "[success=done new_authtok_reqd=done default=ignore]" "urllist=$GOOD" pam_deny.so
expect PAM_SUCCESS 'done' alice "$(otp 11 2)"
expect PAM_AUTH_ERR 'done' alice "$(otp 11 2)"		# ignored, pam_deny decides
stack unavail "[success=ok authinfo_unavail=ignore default=die]" "$DOWNSVC" pam_permit.so
expect PAM_SUCCESS unavail alice "$(otp 11 3)"	# server down: ignored by choice
printf 'alice:%s\n' $PUB > "$T/authfile.gw"; chmod 664 "$T/authfile.gw"
service unavailgw "auth [success=ok authinfo_unavail=ignore default=die] $MODULE id=1 key=$CKEY authfile=$T/authfile.gw $DOWNSVC" \
	"auth required pam_permit.so"
expect PAM_AUTH_ERR unavailgw alice "$(otp 11 3)"	# a broken file is not 'unavailable'
ok "control flags"

# --- a name service that folds case (SSSD case_sensitive=false): ALICE is
# the account alice, and the mapping goes by alice, not by ALICE.
NSSW=$(wrapper nss_wrapper)
FOLD=$top_builddir/tests/.libs/foldcase.so
if [ -n "$NSSW" ] && [ -f "$FOLD" ]; then
	printf 'alice:x:4242:4242:Alice:/nonexistent:/bin/sh\n' > "$T/passwd"
	printf 'alice:x:4242:\n' > "$T/group"
	# Preloaded into pamdrive only (not into sed and the like).
	printf '#!/bin/sh\nLD_PRELOAD="%s" exec "%s" "$@"\n' \
		"${SAN_PRELOAD:+$SAN_PRELOAD:}$FOLD:$NSSW" "$PAMDRIVE" > "$T/folddrive"
	chmod 755 "$T/folddrive"
	( PAMDRIVE=$T/folddrive
	  NSS_WRAPPER_PASSWD=$T/passwd NSS_WRAPPER_GROUP=$T/group
	  export NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
	  expect PAM_AUTH_ERR nullok ALICE "short"	# alice's tokens: no ignore
	  expect PAM_SUCCESS yk ALICE "$(otp 11 4)" )
else
	echo "SKIP (part): no nss_wrapper or $FOLD"
fi

# --- HTTPS: the test CA in cainfo= verifies; another CA does not
if command -v openssl >/dev/null; then
	(cd "$T" && for ca in good rogue; do
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout $ca-ca.key -out $ca-ca.pem -days 2 -subj "/CN=$ca CA" 2>/dev/null
	done
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout srv.key -out srv.csr -subj /CN=127.0.0.1 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1\n' > srv.ext
	openssl x509 -req -in srv.csr -CA good-ca.pem -CAkey good-ca.key \
		-CAcreateserial -days 2 -extfile srv.ext -out srv.pem 2>/dev/null)
	stop_ykvald
	start_ykvald "$T/db" --tls-cert "$T/srv.pem" --tls-key "$T/srv.key"
	HTTPS=https://$YKVALD_ADDR/wsapi/2.0/verify
	service tls "auth required $MODULE $base urllist=$HTTPS cainfo=$T/good-ca.pem"
	expect PAM_SUCCESS tls alice "$(otp 12 0)"
	service tlsrogue "auth required $MODULE $base urllist=$HTTPS cainfo=$T/rogue-ca.pem"
	expect PAM_AUTHINFO_UNAVAIL tlsrogue alice "$(otp 12 1)"
	service tlsnokey "auth required $MODULE id=1 authfile=$T/authfile urllist=$HTTPS cainfo=$T/good-ca.pem"
	expect PAM_SUCCESS tlsnokey alice "$(otp 12 2)"	# https without key= is allowed
fi
stop_ykvald
