#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Online mode inside a real setuid-root program run by an ordinary user
# with low resource limits, as su and sudo inherit them: a small
# RLIMIT_AS must not make pam_yk_validate's name lookup fail (libcurl's
# resolver thread cannot start) and so turn the check into
# PAM_AUTHINFO_UNAVAIL, which the documented [authinfo_unavail=ignore]
# stack passes over.  A setuid copy of tests/pamdrive is run as nobody.
# And a limit no helper can lift must give an error, not that verdict.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" = 0 ] || skip "otp-limits.sh needs root (a setuid-root program)"
command -v setpriv >/dev/null 2>&1 || skip "setpriv is not installed"
getent passwd daemon >/dev/null || skip "no user daemon"
# A name for 127.0.0.1 that libcurl looks up (it answers localhost itself).
NAME=$(awk '$1 == "127.0.0.1" { for (i = 2; i <= NF; i++)
    if ($i != "localhost" && $i !~ /\.localhost$/) { print $i; exit } }' /etc/hosts)
[ -n "$NAME" ] || skip "/etc/hosts names 127.0.0.1 only as localhost"
NOBODY=65534

new_db "$T/db"
start_ykvald "$T/db"
chmod 711 "$T"
mkdir -m 755 "$T/suid"
cp "$PAMDRIVE" "$T/suid/pamdrive"
chmod 4755 "$T/suid/pamdrive"
printf 'daemon:%s\n' "$PUB" > "$T/authfile"
: > "$T/debug"; chmod 644 "$T/debug"
service yk "auth required $MODULE id=1 key=$CKEY authfile=$T/authfile urllist=$(printf '%s' "$URL" | sed "s/127\.0\.0\.1/$NAME/") timeout=4 debug debug_file=$T/debug"
chmod -R a+rX "$T/pam.d"

# Limits no helper can lift (a cgroup's pids.max, as TasksMax= gives a
# user's scope; here RLIMIT_NPROC for an otherwise unused uid): when the
# resolver thread cannot start, that is a local error, not "no server
# answered".  The login runs as that uid, not setuid: pamdrive and the
# helper are its two processes, the thread would be the third.
UID2=64999
chmod 644 "$T/authfile"; chmod 666 "$T/debug"
command -v prlimit >/dev/null 2>&1 || skip "prlimit is not installed"
setpriv --reuid=$UID2 --regid=$UID2 --clear-groups prlimit --nproc=2 \
    "$PAMDRIVE" "$T/pam.d" yk daemon "$(otp 2 0)" > "$T/out" 2>&1 ||
	fail "pamdrive: $(cat "$T/out")"
got=$(sed -n 's/^result: //p' "$T/out")
[ "$got" = PAM_SYSTEM_ERR ] || { cat "$T/out"; cat "$T/debug"; fail "no thread for the resolver: $got, want PAM_SYSTEM_ERR"; }
ok "no thread for the resolver: $got"

if [ -n "${SAN_PRELOAD:-}" ]; then
	echo "a setuid program drops the sanitizer preload: ulimit -v in a setuid program not tried"
	exit 0
fi
# try OPTION VALUE: the login as nobody, with ulimit -S OPTION VALUE
i=0
# shellcheck disable=SC2016 # expanded by the inner sh
try() {
	i=$((i + 1))
	setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups sh -c \
	    'ulimit -S "$1" "$2" && exec "$3" "$4" yk daemon "$5"' _ "$1" "$2" \
	    "$T/suid/pamdrive" "$T/pam.d" "$(otp 3 $i)" > "$T/out" 2>&1 ||
		fail "pamdrive: $(cat "$T/out")"
	got=$(sed -n 's/^result: //p' "$T/out")
	[ "$got" = PAM_SUCCESS ] || { cat "$T/out"; tail -n 2 "$T/debug"; fail "ulimit -S $1 $2: $got, want PAM_SUCCESS"; }
	ok "ulimit -S $1 $2: $got"
}
try -v unlimited
try -v 25000

