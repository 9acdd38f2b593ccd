#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Control flags: what a PAM stack makes of each pam_yk outcome.
#
# For each flag in {required, requisite, sufficient, [success=done
# new_authtok_reqd=done default=ignore]} and each outcome of pam_yk (good
# OTP, wrong OTP, replayed OTP, server down, user not mapped with and
# without nullok, a bad option) the stack
#
#	auth FLAG     pam_yk.so ...
#	auth optional pam_echo.so second module reached
#	auth required pam_permit.so   (or pam_deny.so)
#
# runs through tests/pamdrive, and its result, and whether the stack got
# past pam_yk (pam_echo returns PAM_IGNORE, so it changes no result; its
# message shows up as "info:"), are compared with a table written from
# pam.conf(5).  Then the invariant is checked on what was observed: when
# pam_yk's factor failed, a required or requisite stack never succeeds,
# and a sufficient (or success=done) stack only falls through to the next
# module: its result is that module's, never a success of its own.  The
# same for [success=ok authinfo_unavail=ignore default=die], where only
# an unreachable server falls through.
#
# Method lists and offline= (issue 16) add outcomes: a list whose first
# method the user is not enrolled in (otp decides), a user enrolled in
# none of the list (with and without nullok), a wrong OTP on a list, and
# offline=challenge-response with the server down for a user with a
# state file (the fallback succeeds), without one, and with a server
# that answers unsigned (no fallback).  They need a name service that
# knows the users (nss_wrapper) and the emulated YubiKey (fakeykpers),
# and root for root's chalresp_path; without root they are left out.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

FAKEVAL=$top_builddir/tests/fakeval
new_db "$T/db"
start_ykvald "$T/db"
printf 'alice:%s\ndave:%s\n' $PUB $PUB > "$T/authfile"
base="id=1 key=$CKEY authfile=$T/authfile"

# Lists: alice and dave have a token ID, dave also a state file in root's
# chalresp_path, carol has neither; the key is emulated.
LISTS=no
NSSW=$(wrapper nss_wrapper)
if [ "$(id -u)" = 0 ] && [ -n "$NSSW" ] && [ -f "$FAKEYK" ]; then
	LISTS=yes
	PRE=${SAN_PRELOAD:+$SAN_PRELOAD:}$FAKEYK:$NSSW
	chmod 755 "$T"
	printf 'alice:x:5001:5001::/nonexistent:/bin/sh\ncarol:x:5002:5002::/nonexistent:/bin/sh\ndave:x:5003:5003::/nonexistent:/bin/sh\nroot:x:0:0::/root:/bin/sh\n' > "$T/passwd"
	printf 'root:x:0:\n' > "$T/group"
	mkdir -m 700 "$T/cr"
	c=$(printf '%s5a' "$(head -c 62 /dev/urandom | xxd -p | tr -d '\n')")
	s=$(head -c 32 /dev/urandom | xxd -p | tr -d '\n')
	r=$(printf '%s' "$c" | xxd -r -p | openssl mac -digest SHA1 -macopt hexkey:$CRSECRET HMAC | tr A-F a-f)
	h=$(openssl kdf -keylen 20 -kdfopt digest:SHA1 -kdfopt pass:$r -kdfopt hexsalt:$s -kdfopt iter:1000 PBKDF2 | tr -d ':' | tr A-F a-f)
	echo "v2:$c:$h:$s:1000:2" > "$T/cr/dave-$CRSERIAL"
	chmod 600 "$T/cr/dave-$CRSERIAL"
	"$FAKEVAL" --mode ok --ready-file "$T/unsigned.ready" --lifetime 120 \
		>/dev/null 2>>"$T/fake.err" &
	_pids="$_pids $!"
	wait_for_file "$T/unsigned.ready" $! || fail "fakeval ok did not start"
	UNSIGNED=http://$(cat "$T/unsigned.ready")/wsapi/2.0/verify
fi
# pamdrive, with the name service and the key for the list outcomes
drive() {
	if [ $LISTS = yes ]; then
		LD_PRELOAD=$PRE NSS_WRAPPER_PASSWD=$T/passwd \
		    NSS_WRAPPER_GROUP=$T/group \
		    FAKEYK_KEYS="$CRSERIAL:$CRSECRET:$CRSECRET" \
		    "$PAMDRIVE" "$T/pam.d" "$@" > "$T/login.out" 2>>"$T/login.err" ||
			fail "pamdrive failed: $(cat "$T/login.out")"
		sed -n 's/^result: //p' "$T/login.out"
	else
		login "$@"
	fi
}

# A server that is down: the port is held, nobody listens.
"$FAKEVAL" --mode refuse --ready-file "$T/refuse.ready" --lifetime 120 \
	>/dev/null 2>>"$T/fake.err" &
_pids="$_pids $!"
wait_for_file "$T/refuse.ready" $! || fail "fakeval refuse did not start"
DOWN=http://$(cat "$T/refuse.ready")/wsapi/2.0/verify

# A fresh OTP each time: session counter 1.., use counter 0..255.
ctr=1 use=0
fresh() {
	use=$((use + 1))
	[ $use -le 255 ] || { ctr=$((ctr + 1)); use=0; }
	FRESH=$(otp $ctr $use)
}
# An OTP of the right token ID whose ciphertext is not the key's: the
# server answers BAD_OTP.
WRONG=$PUB$("$OTPGEN" $PUB $PRIV 00112233445566778899aabbccddeeff 1 1 | cut -c13-)

# outcome NAME: sets ARGS (pam_yk's options), WHO (the user), ANSWER.
outcome() {
	ARGS="$base urllist=$URL" WHO=alice
	case $1 in
	good)		fresh; ANSWER=$FRESH ;;
	wrong)		ANSWER=$WRONG ;;
	replayed)	fresh; ANSWER=$FRESH
			service spend "auth required $MODULE $ARGS"
			[ "$(login spend alice "$ANSWER")" = PAM_SUCCESS ] ||
				fail "could not spend an OTP"
			;;
	down)		fresh; ANSWER=$FRESH ARGS="$base urllist=$DOWN timeout=5" ;;
	unmapped)	fresh; ANSWER=$FRESH WHO=carol ;;
	unmapped-nullok) fresh; ANSWER=$FRESH WHO=carol ARGS="$ARGS nullok" ;;
	badopt)		fresh; ANSWER=$FRESH ARGS="$ARGS no_such_option=1" ;;
	list-good)	fresh; ANSWER=$FRESH ARGS="$ARGS $CRL" ;;
	list-wrong)	ANSWER=$WRONG ARGS="$ARGS $CRL" ;;
	list-none)	fresh; ANSWER=$FRESH WHO=carol ARGS="$ARGS $CRL" ;;
	list-none-nullok) fresh; ANSWER=$FRESH WHO=carol ARGS="$ARGS $CRL nullok" ;;
	offline-down)	fresh; ANSWER=$FRESH WHO=dave
			ARGS="$base urllist=$DOWN timeout=5 $OFF" ;;
	offline-nostate) fresh; ANSWER=$FRESH
			ARGS="$base urllist=$DOWN timeout=5 $OFF" ;;
	offline-unsigned) fresh; ANSWER=$FRESH WHO=dave
			ARGS="$base urllist=$UNSIGNED $OFF" ;;
	*)		fail "unknown outcome $1" ;;
	esac
}
CRL="mode=challenge-response,otp chalresp_path=$T/cr"
OFF="mode=otp,challenge-response chalresp_path=$T/cr offline=challenge-response"
OUTCOMES="good wrong replayed down unmapped unmapped-nullok badopt"
[ $LISTS = no ] || OUTCOMES="$OUTCOMES list-good list-wrong list-none
list-none-nullok offline-down offline-nostate offline-unsigned"
# pam_yk's own code for each outcome, and whether it is a failed factor
# (nullok's PAM_IGNORE is not: it says "nothing to check", on purpose).
OWN="good:PAM_SUCCESS wrong:PAM_AUTH_ERR replayed:PAM_AUTH_ERR
down:PAM_AUTHINFO_UNAVAIL unmapped:PAM_USER_UNKNOWN
unmapped-nullok:PAM_IGNORE badopt:PAM_SERVICE_ERR
list-good:PAM_SUCCESS list-wrong:PAM_AUTH_ERR list-none:PAM_USER_UNKNOWN
list-none-nullok:PAM_IGNORE offline-down:PAM_SUCCESS
offline-nostate:PAM_AUTHINFO_UNAVAIL offline-unsigned:PAM_AUTHINFO_UNAVAIL"

# flag NAME: the control field for a short name.
flag() {
	case $1 in
	done)	echo "[success=done new_authtok_reqd=done default=ignore]" ;;
	unavail) echo "[success=ok authinfo_unavail=ignore default=die]" ;;
	*)	echo "$1" ;;
	esac
}

# --- pam_yk alone: each outcome gives the code pam_code() maps it to.
# A stack of one "required" module returns that module's code, except
# PAM_IGNORE: when no module decided, libpam returns PAM_PERM_DENIED.
for o in $OUTCOMES; do
	outcome $o
	service alone "auth required $MODULE $ARGS"
	want=$(printf '%s\n' $OWN | sed -n "s/^$o://p")
	[ $want = PAM_IGNORE ] && want=PAM_PERM_DENIED
	got=$(drive alone $WHO "$ANSWER")
	[ "$got" = "$want" ] || { cat "$T/login.out" >&2; fail "$o: pam_yk returned $got, want $want"; }
	ok "outcome $o: a stack of pam_yk alone returns $got"
done

# --- the expected table, from pam.conf(5):
#   required   success=ok ignore=ignore default=bad  (the stack goes on; its
#              result is the first failure's code)
#   requisite  success=ok ignore=ignore default=die  (returns at once)
#   sufficient [success=done new_authtok_reqd=done default=ignore] (done:
#              returns success at once when nothing before failed;
#              ignore: the module does not count)
#   "done" below is that bracket written out, and behaves the same.
#   "unavail" is [success=ok authinfo_unavail=ignore default=die], the
#   "password alone while the servers are down" variant that
#   examples/pam.d/sshd and sudo describe: only PAM_AUTHINFO_UNAVAIL falls
#   through.  PAM_IGNORE (nullok) is not listed there, so default=die
#   applies, and a stack that dies on PAM_IGNORE returns PAM_PERM_DENIED.
# Columns: flag, outcome, result with pam_permit second, with pam_deny
# second; "+" = the stack got past pam_yk, "-" = it stopped at pam_yk.
cat > "$T/expected" <<'EOF'
required   good            PAM_SUCCESS+           PAM_AUTH_ERR+
required   wrong           PAM_AUTH_ERR+          PAM_AUTH_ERR+
required   replayed        PAM_AUTH_ERR+          PAM_AUTH_ERR+
required   down            PAM_AUTHINFO_UNAVAIL+  PAM_AUTHINFO_UNAVAIL+
required   unmapped        PAM_USER_UNKNOWN+      PAM_USER_UNKNOWN+
required   unmapped-nullok PAM_SUCCESS+           PAM_AUTH_ERR+
required   badopt          PAM_SERVICE_ERR+       PAM_SERVICE_ERR+
requisite  good            PAM_SUCCESS+           PAM_AUTH_ERR+
requisite  wrong           PAM_AUTH_ERR-          PAM_AUTH_ERR-
requisite  replayed        PAM_AUTH_ERR-          PAM_AUTH_ERR-
requisite  down            PAM_AUTHINFO_UNAVAIL-  PAM_AUTHINFO_UNAVAIL-
requisite  unmapped        PAM_USER_UNKNOWN-      PAM_USER_UNKNOWN-
requisite  unmapped-nullok PAM_SUCCESS+           PAM_AUTH_ERR+
requisite  badopt          PAM_SERVICE_ERR-       PAM_SERVICE_ERR-
sufficient good            PAM_SUCCESS-           PAM_SUCCESS-
sufficient wrong           PAM_SUCCESS+           PAM_AUTH_ERR+
sufficient replayed        PAM_SUCCESS+           PAM_AUTH_ERR+
sufficient down            PAM_SUCCESS+           PAM_AUTH_ERR+
sufficient unmapped        PAM_SUCCESS+           PAM_AUTH_ERR+
sufficient unmapped-nullok PAM_SUCCESS+           PAM_AUTH_ERR+
sufficient badopt          PAM_SUCCESS+           PAM_AUTH_ERR+
done       good            PAM_SUCCESS-           PAM_SUCCESS-
done       wrong           PAM_SUCCESS+           PAM_AUTH_ERR+
done       replayed        PAM_SUCCESS+           PAM_AUTH_ERR+
done       down            PAM_SUCCESS+           PAM_AUTH_ERR+
done       unmapped        PAM_SUCCESS+           PAM_AUTH_ERR+
done       unmapped-nullok PAM_SUCCESS+           PAM_AUTH_ERR+
done       badopt          PAM_SUCCESS+           PAM_AUTH_ERR+
unavail    good            PAM_SUCCESS+           PAM_AUTH_ERR+
unavail    wrong           PAM_AUTH_ERR-          PAM_AUTH_ERR-
unavail    replayed        PAM_AUTH_ERR-          PAM_AUTH_ERR-
unavail    down            PAM_SUCCESS+           PAM_AUTH_ERR+
unavail    unmapped        PAM_USER_UNKNOWN-      PAM_USER_UNKNOWN-
unavail    unmapped-nullok PAM_PERM_DENIED-       PAM_PERM_DENIED-
unavail    badopt          PAM_SERVICE_ERR-       PAM_SERVICE_ERR-
EOF
# The list outcomes behave as the single-method outcome they come to:
# the method that decides is the only one, and offline='s fallback is
# a success of pam_yk itself.
if [ $LISTS = yes ]; then
	for pair in good:list-good wrong:list-wrong unmapped:list-none \
	    unmapped-nullok:list-none-nullok good:offline-down \
	    down:offline-nostate down:offline-unsigned; do
		awk -v from="${pair%%:*}" -v to="${pair#*:}" \
		    '$2 == from { $2 = to; print }' "$T/expected"
	done > "$T/expected.lists"
	cat "$T/expected.lists" >> "$T/expected"
fi

# run FLAG OUTCOME SECOND: sets RES to the stack's result and "+" or "-".
# (Not in $(...): fresh() must keep its counters.)
run() {
	outcome $2
	service flags "auth $(flag $1) $MODULE $ARGS" \
		"auth optional pam_echo.so second module reached" \
		"auth required $3"
	RES=$(drive flags $WHO "$ANSWER")
	if grep -qx 'info: second module reached' "$T/login.out"; then
		RES=$RES+
	else
		RES=$RES-
	fi
}

: > "$T/observed"
bad=0
while read -r f o permit deny; do
	run $f $o pam_permit.so; gp=$RES
	run $f $o pam_deny.so; gd=$RES
	mark=
	[ "$gp" = "$permit" ] || mark="$mark  <-- want $permit with pam_permit"
	[ "$gd" = "$deny" ] || mark="$mark  <-- want $deny with pam_deny"
	[ -z "$mark" ] || bad=$((bad + 1))
	printf '%-10s %-17s %-22s %-22s%s\n' $f $o $gp $gd "$mark" >> "$T/observed"
done < "$T/expected"

echo
echo "pam_yk's outcome under each control flag, followed by pam_permit or"
echo "pam_deny (+ = the stack went on past pam_yk, - = it stopped there;"
echo "done = [success=done new_authtok_reqd=done default=ignore],"
echo "unavail = [success=ok authinfo_unavail=ignore default=die]):"
echo
printf '%-10s %-17s %-22s %-22s\n' flag outcome "then pam_permit" "then pam_deny"
cat "$T/observed"
echo
[ $bad = 0 ] || fail "$bad rows differ from pam.conf(5)'s semantics"
ok "all $(wc -l < "$T/expected") rows as pam.conf(5) says"

# --- the invariant, on what was observed
while read -r f o gp gd _; do
	own=$(printf '%s\n' $OWN | sed -n "s/^$o://p")
	case $own in PAM_SUCCESS|PAM_IGNORE) continue ;; esac
	case $f:$o in
	sufficient:*|done:*|unavail:down|unavail:offline-nostate|unavail:offline-unsigned)
		# falls through: the next module runs and decides alone
		[ "$gp" = PAM_SUCCESS+ ] && [ "$gd" = PAM_AUTH_ERR+ ] ||
			fail "$f, $o: not a plain fall-through ($gp, $gd)"
		;;
	*)	# required, requisite, unavail: a failure is never a success
		[ "${gp%[+-]}" != PAM_SUCCESS ] && [ "${gd%[+-]}" != PAM_SUCCESS ] ||
			fail "$f, $o: the stack succeeded although pam_yk failed"
		;;
	esac
done < "$T/observed"
ok "invariant: a failed pam_yk never makes a stack succeed by itself"
stop_ykvald
