#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# ykvald as a service: the unit's ExecStart run as an unprivileged user
# (here nobody stands for ykvald, $T/lib for /var/lib), root refused,
# admin commands run by root keep the service's ownership, /health
# reads the database, log lines name the client, backups, SIGHUP.
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root, to act as a service user"
command -v setpriv >/dev/null || skip "setpriv is not installed"
command -v curl >/dev/null || skip "curl is not installed"
SVC=nobody
SVCGROUP=$(id -gn "$SVC")
owners() { stat -c %U "$@" | sort -u | tr '\n' ' '; }
health() { curl -s -o /dev/null -m 30 -w '%{http_code}' "http://$1/health"; }
chmod 711 "$T"

# ---- serve refuses root ---------------------------------------------------
if timeout 10 "$YKVALD" serve --db "$T/root.db" --listen 127.0.0.1:0 2>"$T/err"; then
	fail "serve ran as root without --allow-root"
fi
grep -q '^ykvald: serve: refusing to run as root.*--allow-root' "$T/err" ||
	fail "root refusal: $(cat "$T/err")"
[ ! -e "$T/root.db" ] || fail "the refused serve created a database"
ok "serve as root is refused: $(cat "$T/err")"

# ---- the unit's ExecStart, as the service user ---------------------------
unit=$top_builddir/server/ykvald.service
# shellcheck disable=SC2016 # systemd expands $MAINPID
for l in 'User=ykvald' 'DynamicUser=no' 'StateDirectory=ykvald' 'UMask=0077' \
	'ExecReload=/bin/kill -HUP $MAINPID' 'NoNewPrivileges=yes' \
	'ProtectSystem=strict' 'CapabilityBoundingSet='; do
	grep -qxF "$l" "$unit" || fail "the unit lacks $l"
done
# A node booted before its database exits 1 and is started again every
# 2 s with no start limit (systemd's default would give up after 5
# starts in 10 s and leave it down); a command-line mistake, status 2,
# is not retried.  The statuses are ykvald's own, checked below.
for l in 'Restart=on-failure' 'RestartSec=2s' 'RestartPreventExitStatus=2'; do
	sed -n '/^\[Service\]/,/^\[/p' "$unit" | grep -qxF "$l" ||
		fail "the unit's [Service] lacks $l"
done
sed -n '/^\[Unit\]/,/^\[/p' "$unit" | grep -qx 'StartLimitIntervalSec=0' ||
	fail "the unit's [Unit] lacks StartLimitIntervalSec=0"
st=0
setpriv --reuid "$SVC" --regid "$SVCGROUP" --clear-groups "$YKVALD" serve \
	--db "postgresql://ykvald@127.0.0.1:1/ykval?connect_timeout=5" \
	--listen 127.0.0.1:0 2>"$T/err" || st=$?
[ "$st" = 1 ] || fail "serve with its database down: status $st, want 1: $(cat "$T/err")"
st=0
"$YKVALD" serve --no-such-option 2>"$T/err" || st=$?
[ "$st" = 2 ] || fail "serve --no-such-option: status $st, want 2"
ok "the unit restarts a node whose database is down (status 1), not a usage error (2)"
# The database comes from YKVALD_DB: the unit's default, which
# /etc/default/ykvald (EnvironmentFile=, read after) may override.
db=$(sed -n 's/^Environment=YKVALD_DB=//p' "$unit")
[ "$db" = /var/lib/ykvald/ykvald.db ] || fail "the unit's YKVALD_DB: $db"
sed -n '/^Environment=YKVALD_DB=/,$p' "$unit" |
	grep -q '^EnvironmentFile=-.*/default/ykvald$' ||
	fail "no EnvironmentFile= after Environment=YKVALD_DB="
line=$(sed -n 's/^ExecStart=//p' "$unit")
case "$line" in
*/ykvald\ serve\ --db\ \$\{YKVALD_DB\}\ \$YKVALD_OPTS) ;;
*) fail "ExecStart: $line" ;;
esac
dflt=$top_srcdir/server/ykvald.default
opts=$(sed -n 's/^YKVALD_OPTS="\(.*\)"$/\1/p' "$dflt")
[ "$opts" = "--listen 127.0.0.1:8000" ] || fail "ykvald.default: $opts"
! grep -q '^YKVALD_DB=' "$dflt" || fail "ykvald.default sets YKVALD_DB"
# Its PostgreSQL sample keeps the password out of the command line.
uri=$(sed -n 's/^#YKVALD_DB="\(.*\)"$/\1/p' "$dflt")
case "$uri" in
postgresql://*:*@*) fail "the sample URI carries a password: $uri" ;;
postgresql://*passfile=/etc/ykvald/*) ;;
*) fail "ykvald.default: no PostgreSQL sample with a passfile: $uri" ;;
esac
# The installed paths become the build tree's; port 0, not 8000, which
# may be taken; a ready file to wait on.
mkdir "$T/lib" && chown "$SVC:$SVCGROUP" "$T/lib"
S=$T/lib/ykvald
opts="$(printf '%s' "$opts" | sed 's/:8000$/:0/') --ready-file $T/lib/ready"
cmd=$(printf '%s' "$line" | sed -e "s|^[^ ]*/ykvald |$YKVALD |" \
	-e "s|\\\${YKVALD_DB}|$db|" -e "s|/var/lib/ykvald|$S|" \
	-e "s|\\\$YKVALD_OPTS|$opts|")
# shellcheck disable=SC2086 # the unit's words, split as systemd does
setpriv --reuid "$SVC" --regid "$SVCGROUP" --clear-groups $cmd 2>"$T/svc.log" &
SPID=$!
_pids="$_pids $SPID"
wait_for_file "$T/lib/ready" $SPID || { cat "$T/svc.log"; fail "the unit's ExecStart did not start"; }
A=$(cat "$T/lib/ready")
[ "$(stat -c '%U %a' "$S")" = "$SVC 700" ] || fail "state directory: $(stat -c '%U %a' "$S")"
[ "$(owners "$S/ykvald.db")" = "$SVC " ] || fail "db owner: $(owners "$S/ykvald.db")"
ok "ExecStart runs as $SVC and creates $S (0700)"

# ---- admin commands as root act as the owner -----------------------------
"$YKVALD" client add --db "$S/ykvald.db" --json > "$T/c.json"
key=$(sed -n 's/.*"key": "\([^"]*\)".*/\1/p' "$T/c.json")
"$YKVALD" key add --db "$S/ykvald.db" --public-id "$PUB" --private-id "$PRIV" \
	--aes-key "$AES" >/dev/null
[ "$(owners "$S"/ykvald.db*)" = "$SVC " ] ||
	fail "after root's admin commands: $(ls -l "$S")"
ok "root's client add / key add leave $(cd "$S" && echo ./*) owned by $SVC"
# A database in a directory the service user owns, created by root.
mkdir "$T/lib/fresh" && chown "$SVC:$SVCGROUP" "$T/lib/fresh"
"$YKVALD" client add --db "$T/lib/fresh/new.db" >/dev/null
[ "$(owners "$T/lib/fresh/new.db")" = "$SVC " ] || fail "new db owned by root"
ok "a new database in $SVC's directory is $SVC's"
# Another unprivileged user is told whom to run as.
if setpriv --reuid daemon --regid daemon --clear-groups \
	"$YKVALD" key list --db "$T/lib/fresh/new.db" >/dev/null 2>"$T/err"; then
	fail "another user used $SVC's database"
fi
grep -q "owned by $SVC.*runuser -u $SVC" "$T/err" || fail "other user: $(cat "$T/err")"
ok "another user: $(cat "$T/err")"

# ---- verify, log address, health ---------------------------------------
URL=http://$A/wsapi/2.0/verify
s=$("$VCLIENT" -k "$key" "$URL" 1 "$(otp 1 0)" | field status)
[ "$s" = OK ] || fail "verify through the service: $s"
grep -q "verify client=1 public_id=$PUB status=OK latency_ms=[0-9.]* addr=127.0.0.1$" \
	"$T/svc.log" || fail "no addr= in: $(grep verify "$T/svc.log")"
ok "verify OK, logged with addr=127.0.0.1"
[ "$(health "$A")" = 200 ] || fail "/health on a good database"

# ---- backup while verifications go on -----------------------------------
( i=2; while [ $i -lt 200 ]; do
	"$VCLIENT" -k "$key" "$URL" 1 "$(otp $i 0)" >/dev/null 2>&1 || :
	i=$((i + 1))
done ) &
vp=$!
_pids="$_pids $vp"
sleep 0.3
(umask 000; "$YKVALD" backup --db "$S/ykvald.db" "$T/b1.db" >/dev/null) ||
	fail "backup"
kill "$vp" 2>/dev/null || :
[ "$(stat -c '%a %U' "$T/b1.db")" = "600 root" ] || fail "backup mode: $(stat -c '%a %U' "$T/b1.db")"
[ "$(sqlite3 "$T/b1.db" 'PRAGMA integrity_check')" = ok ] || fail "backup is not intact"
n=$(sqlite3 "$T/b1.db" "SELECT count(*) FROM keys WHERE counter >= 1")
[ "$n" = 1 ] || fail "backup: $n keys with counters"
[ "$(owners "$S"/ykvald.db*)" = "$SVC " ] || fail "backup changed ownership"
ok "backup during verifications: intact, 0600, counter $(sqlite3 "$T/b1.db" 'SELECT counter FROM keys')"
before=$(sha256sum < "$T/b1.db")
if "$YKVALD" backup --db "$S/ykvald.db" "$T/b1.db" 2>"$T/err"; then
	fail "backup overwrote a file"
fi
[ "$(sha256sum < "$T/b1.db")" = "$before" ] || fail "the existing file changed"
ln -s "$T/target" "$T/link"
if "$YKVALD" backup --db "$S/ykvald.db" "$T/link" 2>"$T/err"; then
	fail "backup followed a symbolic link"
fi
[ ! -e "$T/target" ] || fail "backup wrote through a symbolic link"
ok "backup refuses an existing file and a symbolic link"

# ---- SIGHUP without TLS does not stop it --------------------------------
kill -HUP $SPID
sleep 0.2
kill -0 $SPID 2>/dev/null || fail "SIGHUP killed ykvald"
grep -q 'SIGHUP: no TLS certificate' "$T/svc.log" || fail "SIGHUP not logged"
[ "$(health "$A")" = 200 ] || fail "/health after SIGHUP"
ok "SIGHUP does not stop it"

# ---- /health fails when the database does ----------------------------------
chmod 000 "$S/ykvald.db"
[ "$(health "$A")" = 503 ] || fail "/health with an unreadable database"
chmod 600 "$S/ykvald.db"
[ "$(health "$A")" = 200 ] || fail "/health once readable again"
ok "/health: 503 while the database is unreadable"
# Every lock of the WAL index (bytes 120-127 of -shm) held by another
# process: no reader gets in; SQLite would take about 10 s to give up,
# /health answers within its 2 s.
python3 - "$S/ykvald.db-shm" "$T/locked" <<'PY' &
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 8, 120)
open(sys.argv[2], "w").write("1")
time.sleep(60)
PY
lp=$!
_pids="$_pids $lp"
wait_for_file "$T/locked" $lp || fail "could not lock the WAL index"
t0=$(now_ms)
[ "$(health "$A")" = 503 ] || fail "/health with a locked database"
t=$(($(now_ms) - t0))
[ $t -lt 6000 ] || fail "/health took $t ms on a locked database"
[ "$(health "$A")" = 503 ] || fail "/health while a check hangs"
kill "$lp"
# The check still running ends; then the database is fine again.
w=0
until [ "$(health "$A")" = 200 ]; do
	w=$((w + 1)); [ $w -lt 20 ] || fail "/health once unlocked"; sleep 0.5
done
grep -q 'health addr=127.0.0.1 status=UNAVAILABLE' "$T/svc.log" || fail "health failure not logged"
ok "/health: 503 within $t ms while the database is locked"
# Garbage over the pages after the first (the tables), once they are
# all in the database file rather than in the WAL.
setpriv --reuid "$SVC" --regid "$SVCGROUP" --clear-groups \
	sqlite3 "$S/ykvald.db" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
dd if=/dev/urandom of="$T/junk" bs=4096 count=2 2>/dev/null
dd if="$T/junk" of="$S/ykvald.db" bs=4096 seek=1 conv=notrunc 2>/dev/null
[ "$(health "$A")" = 503 ] || fail "/health with a corrupt database"
grep -q 'reason=.*malformed' "$T/svc.log" || fail "corruption not logged"
ok "/health: 503 on a corrupt database"

kill -TERM $SPID
wait $SPID || fail "the service did not stop cleanly: $(cat "$T/svc.log")"
grep -q 'Terminated, stopping' "$T/svc.log" || fail "SIGTERM not logged"
ok "SIGTERM stops it cleanly"

# ---- SIGHUP re-reads the TLS certificate and key -------------------------
command -v openssl >/dev/null || { echo "server-service: TLS part skipped"; exit 0; }
cd "$T" || exit 1
pki one
pki two
cp one-srv.pem cert.pem
cp one-srv.key key.pem
new_db "$T/tls.db"
start_ykvald "$T/tls.db" --tls-cert cert.pem --tls-key key.pem
ca() { curl -s -o /dev/null -m 10 -w '%{http_code}' --cacert "$1" "https://$YKVALD_ADDR/health" || :; }
[ "$(ca one-ca.pem)" = 200 ] || fail "TLS with the first certificate"
# A kept-alive connection made before the reload is still answered after.
python3 - "$YKVALD_ADDR" one-ca.pem "$T/r1" "$T/go" > "$T/kept.out" 2>&1 <<'PY' &
import http.client, os, ssl, sys, time
host, port = sys.argv[1].rsplit(":", 1)
ctx = ssl.create_default_context(cafile=sys.argv[2])
c = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=10)
c.request("GET", "/health"); r = c.getresponse(); r.read()
sock = c.sock
open(sys.argv[3], "w").write("1")
for _ in range(1000):
    if os.path.exists(sys.argv[4]):
        break
    time.sleep(0.01)
c.request("GET", "/health"); r = c.getresponse(); r.read()
assert c.sock is sock and r.status == 200, (r.status, c.sock, sock)
print("same connection", r.status)
PY
kp=$!
wait_for_file "$T/r1" $kp || fail "no first request: $(cat "$T/kept.out")"
cp two-srv.pem cert.pem
cp two-srv.key key.pem
kill -HUP "$YKVALD_PID"
w=0
until grep -q 'SIGHUP: re-read the TLS' "$T/ykvald.log"; do
	w=$((w + 1)); [ $w -lt 500 ] || fail "no reload: $(cat "$T/ykvald.log")"; sleep 0.01
done
: > "$T/go"
wait $kp || fail "the kept-alive connection: $(cat "$T/kept.out")"
ok "a connection from before the reload is still served: $(cat "$T/kept.out")"
[ "$(ca two-ca.pem)" = 200 ] || fail "the new certificate is not served"
[ "$(ca one-ca.pem)" = 000 ] || fail "the old certificate is still served"
ok "SIGHUP: a TLS client sees the new certificate"
# A failed reload (a key that is not the certificate's, then garbage)
# keeps the certificate in use.
kept() {	# kept N: wait for the Nth "keeping" line
	w=0
	until [ "$(grep -c 'SIGHUP: keeping the TLS certificate' "$T/ykvald.log")" = "$1" ]; do
		w=$((w + 1))
		[ $w -lt 500 ] || fail "no failed reload: $(cat "$T/ykvald.log")"
		sleep 0.01
	done
}
cp one-srv.key key.pem
kill -HUP "$YKVALD_PID"
kept 1
grep -q 'keeping.*: certificate and key: .*match' "$T/ykvald.log" ||
	fail "key mismatch: $(grep keeping "$T/ykvald.log")"
printf 'not a certificate\n' > cert.pem
kill -HUP "$YKVALD_PID"
kept 2
kill -0 "$YKVALD_PID" || fail "a failed reload stopped ykvald"
[ "$(ca two-ca.pem)" = 200 ] || fail "a failed reload stopped TLS"
s=$(VCLIENT_CAINFO=two-ca.pem "$VCLIENT" -k "$CKEY" "https://$YKVALD_ADDR/wsapi/2.0/verify" 1 "$(otp 1 0)" | field status)
[ "$s" = OK ] || fail "verify after a failed reload: $s"
ok "failed reloads keep serving: $(grep 'keeping' "$T/ykvald.log" | tr '\n' '|')"
stop_ykvald
echo "server-service: all passed"
