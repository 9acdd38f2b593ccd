#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# The per-user mapping file ~/.yubico/authorized_yubikeys: read as the user,
# refused when unsafe, privileges restored on every path.  Users come from
# nss_wrapper; as root the privilege drop is real, otherwise uid_wrapper
# simulates it.  The last part logs in with pamtester under pam_wrapper.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

NSSW=$(wrapper nss_wrapper)
UIDW=$(wrapper uid_wrapper)
[ -n "$NSSW" ] || skip "libnss-wrapper is not installed"
if [ "$(id -u)" = 0 ]; then
	AU=4242; AG=4242; preload=$NSSW
else
	[ -n "$UIDW" ] || skip "not root and libuid-wrapper is not installed"
	AU=$(id -u); AG=$(id -g); preload=$NSSW:$UIDW
	UID_WRAPPER=1 UID_WRAPPER_ROOT=1; export UID_WRAPPER UID_WRAPPER_ROOT
fi
chmod 755 "$T"
H=$T/home/alice
mkdir -p "$H/.yubico"
printf 'alice:x:%s:%s:Alice:%s:/bin/sh\nroot:x:0:0:root:/root:/bin/sh\n' \
	$AU $AG "$H" > "$T/passwd"
printf 'alice:x:%s:\nroot:x:0:\nwheel:x:4343:alice\n' $AG > "$T/group"
NSS_WRAPPER_PASSWD=$T/passwd NSS_WRAPPER_GROUP=$T/group
export NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
F=$H/.yubico/authorized_yubikeys

new_db "$T/db"
start_ykvald "$T/db"
: > "$T/debug"
chmod 666 "$T/debug"
service home "auth required $MODULE id=1 key=$CKEY urllist=$URL debug debug_file=$T/debug"
# pam_yk's PAM_IGNORE leaves the decision to pam_permit; its errors deny.
service homenull "auth required $MODULE id=1 key=$CKEY urllist=$URL nullok" \
	"auth required pam_permit.so"
own() { [ "$(id -u)" = 0 ] && chown -R "$1" "$H" || :; }

# drive CODE ANSWER: log in as alice with the wrappers; check privileges.
drive() {
	LD_PRELOAD=${SAN_PRELOAD:+$SAN_PRELOAD:}$preload "$PAMDRIVE" -p "$T/pam.d" \
		"${svc:-home}" alice "$2" > "$T/login.out" 2>&1 ||
		fail "pamdrive: $(cat "$T/login.out")"
	got=$(sed -n 's/^result: //p' "$T/login.out")
	ids=$(sed -n 's/^ids: //p' "$T/login.out")
	[ "$got" = "$1" ] || { cat "$T/login.out" "$T/debug" >&2; fail "$what: $got, want $1"; }
	case "$ids" in "0 0 "*) ;; *) fail "$what: privileges not restored: $ids" ;; esac
	ok "$what: $got, privileges restored ($ids)"
}
why() { grep -q "$1" "$T/debug" || { cat "$T/debug" >&2; fail "log lacks '$1'"; }; }
n=0
# fresh: the next OTP in $O (not a subshell, so the counter moves on)
fresh() { n=$((n + 1)); O=$(otp 1 $n); }

printf 'alice:%s\n' $PUB > "$F"; chmod 600 "$F"; own $AU:$AG
what="a good file"; fresh; drive PAM_SUCCESS "$O"
# A directory user in 1000 groups (more than the 256 of old): the drop to
# alice takes them all, and the caller's groups come back exactly.
cp "$T/group" "$T/group.few"
i=0; while [ $i -lt 1000 ]; do
	printf 'g%d:x:%d:alice\n' $i $((20000 + i)); i=$((i + 1))
done >> "$T/group"
what="alice in 1000 groups"; fresh; drive PAM_SUCCESS "$O"
had=$(sed -n 's/^Groups://p' /proc/self/status | wc -w)
[ "$(id -u)" != 0 ] || [ "${ids##* }" = "$had" ] ||
	fail "groups not restored: $ids, had $had"
cp "$T/group.few" "$T/group"
what="replayed"; fresh; drive PAM_SUCCESS "$O"; drive PAM_AUTH_ERR "$O"
printf 'alice:vvvvvvvvvvvv\r\n# c\r\nalice:%s\r\n' $PUB > "$F"
what="CRLF and duplicate lines"; fresh; drive PAM_SUCCESS "$O"
{ printf 'alice'; i=0; while [ $i -lt 180 ]; do printf ':%s' vvvvvvvvvvvv; i=$((i+1)); done
  printf ':%s\n' $PUB; } > "$F"
[ "$(wc -c < "$F")" -gt 2300 ] || fail "long line"
{ printf '#'; head -c 10000 /dev/zero | tr '\0' x; printf '\nalice:%s\n' $PUB; } >> "$F"
what="a 10 kB line"; fresh; drive PAM_SUCCESS "$O"
chmod 620 "$F"
what="group-writable"; : > "$T/debug"; fresh; drive PAM_AUTH_ERR "$O"; why "writable by group"
chmod 602 "$F"
what="world-writable"; : > "$T/debug"; fresh; drive PAM_AUTH_ERR "$O"; why "writable by group or others"
chmod 600 "$F"
mv "$F" "$F.real"; ln -s authorized_yubikeys.real "$F"
what="a symlink"; : > "$T/debug"; fresh; drive PAM_AUTH_ERR "$O"; why "symbolic link"
rm "$F"; mkfifo "$F"; own $AU:$AG
what="a FIFO (no hang)"; : > "$T/debug"; t0=$(now_ms); fresh; drive PAM_AUTH_ERR "$O"
why "not a regular file"; [ $(($(now_ms) - t0)) -lt 3000 ] || fail "FIFO took too long"
rm "$F"; mv "$F.real" "$F"
if [ "$(id -u)" = 0 ]; then
	chown 4343 "$F"; chmod 644 "$F"
	what="someone else's file"; : > "$T/debug"; fresh; drive PAM_AUTH_ERR "$O"; why "wrong owner"
	chown 0:0 "$F"; chmod 644 "$F"
	what="root's file"; fresh; drive PAM_SUCCESS "$O"
	chown $AU:$AG "$F"; chmod 600 "$F"
	chmod 000 "$H/.yubico"
	what="an unreadable directory"; : > "$T/debug"; fresh; drive PAM_AUTH_ERR "$O"
	why "permission denied"
	svc=homenull what="unreadable directory with nullok is not 'no file'"
	fresh; drive PAM_AUTH_ERR "$O"; svc=
	chmod 700 "$H/.yubico"
fi
rm "$F"
what="no file"; fresh; drive PAM_USER_UNKNOWN "$O"
svc=homenull what="no file, nullok (ignored)"; fresh; drive PAM_SUCCESS "$O"; svc=
printf 'bob:%s\n' $PUB > "$F"; chmod 600 "$F"; own $AU:$AG
svc=homenull what="alice not listed, nullok (ignored)"; fresh; drive PAM_SUCCESS "$O"; svc=
printf 'alice:%s\n' $PUB > "$F"

# pamtester, under pam_wrapper as well.
PAMW=$(wrapper pam_wrapper)
if command -v pamtester >/dev/null && [ -n "$PAMW" ]; then
	cp "$T/pam.d/home" "$T/pam.d/pamtester-yk"
	echo "auth required pam_deny.so" > "$T/pam.d/other"
	pt() {
		echo "$1" | env LD_PRELOAD=${SAN_PRELOAD:+$SAN_PRELOAD:}$PAMW:$preload \
			PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR="$T/pam.d" \
			pamtester pamtester-yk alice authenticate >"$T/pt.out" 2>&1
	}
	fresh; o=$O
	pt "$o" || { cat "$T/pt.out"; fail "pamtester: a good OTP"; }
	ok "pamtester: a good OTP"
	! pt "$o" || fail "pamtester: a replayed OTP was accepted"
	ok "pamtester: a replayed OTP is refused"
else
	echo "note: pamtester or pam_wrapper missing: pamtester part skipped"
fi
stop_ykvald
