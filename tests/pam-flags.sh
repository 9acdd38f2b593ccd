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
. "${top_srcdir:-.}/tests/lib.sh"

FAKEVAL=$top_builddir/tests/fakeval
new_db "$T/db"
start_ykvald "$T/db"
printf 'alice:%s\n' $PUB > "$T/authfile"
base="id=1 key=$CKEY authfile=$T/authfile"

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
	*)		fail "unknown outcome $1" ;;
	esac
}
OUTCOMES="good wrong replayed down unmapped unmapped-nullok badopt"
# pam_yk's own code for each outcome, and whether it is a failed factor
# (nullok's PAM_IGNORE is not: it says "nothing to check", on purpose).
OWN="good:PAM_SUCCESS wrong:PAM_AUTH_ERR replayed:PAM_AUTH_ERR
down:PAM_AUTHINFO_UNAVAIL unmapped:PAM_USER_UNKNOWN
unmapped-nullok:PAM_IGNORE badopt:PAM_SERVICE_ERR"

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
	got=$(login alone $WHO "$ANSWER")
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

# run FLAG OUTCOME SECOND: sets RES to the stack's result and "+" or "-".
# (Not in $(...): fresh() must keep its counters.)
run() {
	outcome $2
	service flags "auth $(flag $1) $MODULE $ARGS" \
		"auth optional pam_echo.so second module reached" \
		"auth required $3"
	RES=$(login flags $WHO "$ANSWER")
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
	printf '%-10s %-15s %-22s %-22s%s\n' $f $o $gp $gd "$mark" >> "$T/observed"
done < "$T/expected"

echo
echo "pam_yk's outcome under each control flag, followed by pam_permit or"
echo "pam_deny (+ = the stack went on past pam_yk, - = it stopped there;"
echo "done = [success=done new_authtok_reqd=done default=ignore],"
echo "unavail = [success=ok authinfo_unavail=ignore default=die]):"
echo
printf '%-10s %-15s %-22s %-22s\n' flag outcome "then pam_permit" "then pam_deny"
cat "$T/observed"
echo
[ $bad = 0 ] || fail "$bad rows differ from pam.conf(5)'s semantics"
ok "all $(wc -l < "$T/expected") rows as pam.conf(5) says"

# --- the invariant, on what was observed
while read -r f o gp gd _; do
	own=$(printf '%s\n' $OWN | sed -n "s/^$o://p")
	case $own in PAM_SUCCESS|PAM_IGNORE) continue ;; esac
	case $f:$o in
	sufficient:*|done:*|unavail:down)
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
