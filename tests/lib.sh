# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
# lib.sh - shared shell test harness: temporary directory, ykvald on a
# loopback port chosen at run time, and clean-up of whatever was started.
# Source it; it sets -eu.  Every test gets $T, removed at exit.

set -eu
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
top_builddir=$(cd "$top_builddir" && pwd)
YKVALD=$top_builddir/ykvald
OTPGEN=$top_builddir/tests/otpgen
# shellcheck disable=SC2034 # read by the tests that source this
VCLIENT=$top_builddir/tests/vclient
# shellcheck disable=SC2034 # read by the tests that source this
BURST=$top_builddir/tests/burst
# shellcheck disable=SC2034 # read by the tests that source this
LOAD=$top_builddir/tests/bench/load
# ykvald serve refuses root unless told; the tests often run as root.
ALLOW_ROOT=
[ "$(id -u)" != 0 ] || ALLOW_ROOT=--allow-root

T=$(mktemp -d "${TMPDIR:-/tmp}/pamyk-test.XXXXXX")
_pids=""
_dirs=""	# more directories to remove at exit (outside $T)
cleanup() {
	for p in $_pids; do kill -9 "$p" 2>/dev/null || :; done
	for p in $_pids; do wait "$p" 2>/dev/null || :; done
	rm -rf "$T"
	for d in $_dirs; do rm -rf "$d"; done
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
# tmpfiles DIR: does DIR hold a dot file (a temporary state file)?
tmpfiles() { [ -n "$(find "$1" -mindepth 1 -maxdepth 1 -name '.*')" ]; }
skip() { echo "SKIP: $*"; exit 77; }

# The test key (YK-KSM selftest) and client (YK-VAL selftest).
PUB=idkfefrdhtru
PRIV=609963eae7b5
AES=c68c9df8cbfe7d2f994cb904046c7218
CKEY=EHmo8FMxuhumBlTinC4uYL0Mgwg=

# The test's database FILE: what --db gets for it, SQL run in it, and
# making it.  SQLite here; tests/pg-lib.sh redefines them for YK_DB=pg.
db_arg() { printf '%s' "$1"; }
db_sql() { sqlite3 "$1" "$2"; }
db_create() { :; }

# new_db FILE: a database with client 1 and the test key.
new_db() {
	db_create "$1"
	"$YKVALD" client add --db "$(db_arg "$1")" --id 1 >/dev/null
	db_sql "$1" "UPDATE clients SET secret='$CKEY' WHERE id=1"
	"$YKVALD" key add --db "$(db_arg "$1")" --public-id $PUB --private-id $PRIV \
		--aes-key $AES >/dev/null
}

# YK_DB=pg: the test's databases live in a PostgreSQL server of its own.
# shellcheck source=tests/pg-lib.sh
[ "${YK_DB:-sqlite}" != pg ] || . "$top_srcdir/tests/pg-lib.sh"

# otp CTR USE: a fresh OTP for the test key.
otp() { "$OTPGEN" $PUB $PRIV $AES "$1" "$2" "${3:-0x0f8d40}"; }

# wait_for_file FILE PID: wait until FILE exists, or fail if PID dies or
# 10 s pass.  This waits for readiness; it is not a fixed sleep.
wait_for_file() {
	_w=0
	while [ ! -s "$1" ]; do
		kill -0 "$2" 2>/dev/null || return 1
		_w=$((_w + 1))
		[ $_w -lt 1000 ] || return 1
		sleep 0.01
	done
}

# start_ykvald DB [extra serve args]: sets YKVALD_PID, YKVALD_ADDR and URL.
start_ykvald() {
	_db=$1; shift
	_ready=$T/ready.$$.$(date +%s%N)
	"$YKVALD" serve $ALLOW_ROOT --db "$(db_arg "$_db")" --listen 127.0.0.1:0 \
		--ready-file "$_ready" "$@" 2>>"$T/ykvald.log" &
	YKVALD_PID=$!
	_pids="$_pids $YKVALD_PID"
	wait_for_file "$_ready" "$YKVALD_PID" ||
		{ cat "$T/ykvald.log" >&2; fail "ykvald did not start"; }
	YKVALD_ADDR=$(head -n 1 "$_ready")
	# shellcheck disable=SC2034 # read by the tests that source this
	URL=http://$YKVALD_ADDR/wsapi/2.0/verify
}

# stop_ykvald: a clean stop must exit 0; under the sanitizers a leak or
# an error report makes that exit non-zero, and the test fails.
stop_ykvald() {
	kill -TERM "$YKVALD_PID" 2>/dev/null || :
	_rc=0
	wait "$YKVALD_PID" 2>/dev/null || _rc=$?
	if [ $_rc -ne 0 ] || grep -q 'Sanitizer\|runtime error' "$T/ykvald.log"; then
		cat "$T/ykvald.log" >&2
		fail "ykvald exited with status $_rc"
	fi
}

# val NAME LINE: the value of NAME= in a line of tests/bench/load or
# cas_baseline.
val() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# gen_keys N: N keys for tests/bench/load, as lines serial,public_id,
# private_id,aes_key.  The public ID is the key's number and random bytes,
# in modhex: 12 characters, all distinct.
gen_keys() {
	od -An -v -tx1 -N $(($1 * 26)) /dev/urandom | tr -d ' \n' |
	awk -v n="$1" '
	function modhex(h,  i, m) {
		for (i = 1; i <= length(h); i++)
			m = m substr("cbdefghijklnrtuv",
			    index("0123456789abcdef", substr(h, i, 1)), 1)
		return m
	}
	{
		for (i = 0; i < n; i++) {
			r = substr($0, i * 52 + 1, 52)
			printf "%d,%s,%s,%s\n", i + 1,
			    modhex(sprintf("%04x", i) substr(r, 1, 8)),
			    substr(r, 9, 12), substr(r, 21, 32)
		}
	}'
}

# field NAME: the value of NAME= in vclient's output on stdin.
field() { sed -n "s/^$1=//p" | head -n 1 | tr -d '\r'; }

# ---- PAM stacks ---------------------------------------------------------
MODULE=$top_builddir/.libs/pam_yk.so
PAMDRIVE=$top_builddir/tests/pamdrive
# The build tree's pam_yk_validate (online mode), not the installed one.
VALIDATE=$top_builddir/pam_yk_validate
VOPT=validate_helper=$VALIDATE
mkdir -p "$T/pam.d"
# service NAME LINE...: write $T/pam.d/NAME, one PAM line per argument;
# pam_yk's lines get $VOPT first (a validate_helper= of their own wins).
service() {
	_s=$1; shift
	: > "$T/pam.d/$_s"
	for _l in "$@"; do
		case "$_l" in
		*validate_helper=*) ;;
		*"$MODULE "*) _l=$(printf '%s' "$_l" | sed "s|$MODULE |$MODULE $VOPT |") ;;
		esac
		printf '%s\n' "$_l" >> "$T/pam.d/$_s"
	done
}
# login [-s] SERVICE USER [ANSWER]...: run the stack, print the PAM code.
login() {
	_f=
	[ "$1" = -s ] && { _f=-s; shift; }
	"$PAMDRIVE" $_f "$T/pam.d" "$@" > "$T/login.out" 2>>"$T/login.err" ||
		fail "pamdrive failed: $(cat "$T/login.out")"
	sed -n 's/^result: //p' "$T/login.out"
}
# expect CODE SERVICE USER [ANSWER]...
expect() {
	_want=$1; shift
	_got=$(login "$@")
	[ "$_got" = "$_want" ] || {
		cat "$T/login.out" "$T/login.err" >&2
		fail "login $*: $_got, want $_want"
	}
	ok "$_want: $*"
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# ---- preloading wrappers ------------------------------------------------
# wrapper NAME: the path of Debian's libNAME.so (pam_wrapper, nss_wrapper,
# uid_wrapper), or nothing.
wrapper() { ls /usr/lib/*/lib$1.so /usr/lib/lib$1.so 2>/dev/null | head -n 1; }
# An uninstrumented program (pamtester) that loads our sanitized module
# needs the sanitizer runtimes first in LD_PRELOAD.
SAN_PRELOAD=
if [ "${SANITIZERS:-no}" = yes ]; then
	SAN_PRELOAD=$(${CC:-gcc} -print-file-name=libasan.so):$(${CC:-gcc} -print-file-name=libubsan.so)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
	export ASAN_OPTIONS
fi

# san_real_program [noleaks]: a real program (sudo, su, login) is about to
# load our sanitized module under the wrappers.  ASan refuses the
# RTLD_DEEPBIND with which the wrappers open libc and libpam; they leave it
# out when LD_PRELOAD names libasan, but setuid-style programs drop LD_*
# from their environment (pam_wrapper 1.1.4 reads uid_wrapper's variable
# name).  ASan's crypt_r interceptor finds no crypt_r when libcrypt comes
# only later, with pam_unix: load it up front.  noleaks: the program itself
# leaks at exit, with our allocations above its frames, so leak checking
# is off in there (the pamdrive tests check the module's leaks); memory
# errors and undefined behaviour still abort.
san_real_program() {
	[ -n "$SAN_PRELOAD" ] || return 0
	NSS_WRAPPER_DISABLE_DEEPBIND=1 UID_WRAPPER_DISABLE_DEEPBIND=1
	PAM_WRAPPER_DISABLE_DEEPBIND=1
	export NSS_WRAPPER_DISABLE_DEEPBIND UID_WRAPPER_DISABLE_DEEPBIND \
		PAM_WRAPPER_DISABLE_DEEPBIND
	_c=$(ls /lib/*/libcrypt.so.1 /usr/lib/*/libcrypt.so.1 2>/dev/null | head -n 1)
	SAN_PRELOAD=$SAN_PRELOAD${_c:+:$_c}
	if [ "${1:-}" = noleaks ]; then
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
		export ASAN_OPTIONS
	fi
}

# ---- emulated YubiKeys ----------------------------------------------------
# The test-only stand-in for libykpers (tests/fakeykpers.c documents the
# FAKEYK_* variables).  Secrets and serial from chalresp-vectors.md.
# shellcheck disable=SC2034 # read by the tests that source this
FAKEYK=$top_builddir/tests/.libs/fakeykpers.so
# shellcheck disable=SC2034 # read by the tests that source this
CRSECRET=0123456789abcdef0123456789abcdef01234567
# shellcheck disable=SC2034 # read by the tests that source this
CRSERIAL=1234567

# pki NAME: in the current directory, a test CA (NAME-ca.key, NAME-ca.pem)
# and a server certificate for 127.0.0.1 signed by it (NAME-srv.key,
# NAME-srv.pem), P-256, valid two days.
pki() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$1-ca.key" -out "$1-ca.pem" -days 2 -subj "/CN=$1 test CA" \
		2>/dev/null || fail "openssl req (CA $1)"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$1-srv.key" -out "$1-srv.csr" -subj "/CN=127.0.0.1" \
		2>/dev/null || fail "openssl req (server $1)"
	printf 'subjectAltName=IP:127.0.0.1\n' > "$1.ext"
	openssl x509 -req -in "$1-srv.csr" -CA "$1-ca.pem" -CAkey "$1-ca.key" \
		-CAcreateserial -days 2 -extfile "$1.ext" -out "$1-srv.pem" \
		2>/dev/null || fail "openssl x509 (server $1)"
}
