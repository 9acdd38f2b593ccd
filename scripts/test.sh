#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The whole test suite: dependencies, a warnings-as-errors build, make check,
# the same again under AddressSanitizer + UndefinedBehaviorSanitizer,
# make distcheck, and the Debian packages (tests/packages.sh, which installs
# and purges them).  The last line sums up every test that ran.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=$(nproc 2>/dev/null || echo 2)

bash scripts/deps.sh
[ -x configure ] && [ configure -nt configure.ac ] && [ Makefile.in -nt Makefile.am ] ||
	autoreconf -fi >/dev/null 2>&1

status=0
passed=0 failed=0 skipped=0
tally() {	# tally LOGFILE: add automake's counts
	local log=$1 n
	[ -f "$log" ] || { failed=$((failed + 1)); return; }
	n=$(sed -n 's/^# PASS: *//p' "$log"); passed=$((passed + ${n:-0}))
	n=$(sed -n 's/^# FAIL: *//p' "$log"); failed=$((failed + ${n:-0}))
	n=$(sed -n 's/^# ERROR: *//p' "$log"); failed=$((failed + ${n:-0}))
	n=$(sed -n 's/^# XPASS: *//p' "$log"); failed=$((failed + ${n:-0}))
	n=$(sed -n 's/^# SKIP: *//p' "$log"); skipped=$((skipped + ${n:-0}))
}

run_suite() {	# run_suite DIR CONFIGURE-ARGS...
	local dir=$1; shift
	echo "=== $dir: configure $*"
	mkdir -p "$dir"
	(cd "$dir" && "$root/configure" -q "$@" >/dev/null) || { status=1; return; }
	(cd "$dir" && make -s -j"$jobs" CFLAGS="-O2 -g -Werror" >/dev/null) ||
		{ echo "=== $dir: build failed"; status=1; failed=$((failed + 1)); return; }
	if ! (cd "$dir" && make -s -j"$jobs" check CFLAGS="-O2 -g -Werror"); then
		status=1
		for f in "$dir"/tests/*.log "$dir"/tests/fuzz/*.log; do
			grep -q '^FAIL\|^ERROR' "$f" 2>/dev/null &&
				{ echo "--- $f"; tail -n 30 "$f"; }
		done
	fi
	tally "$dir/test-suite.log"
}

run_suite build
# The sanitizers abort on the first error (-fno-sanitize-recover).
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run_suite build-san --enable-sanitizers CC=gcc

echo "=== make distcheck"
if (cd build && make -s -j"$jobs" distcheck >distcheck.log 2>&1); then
	passed=$((passed + 1))
	echo "distcheck: OK"
else
	tail -n 40 build/distcheck.log
	failed=$((failed + 1)); status=1
fi

# The Debian packages, built from a clean copy of the tree, installed next
# to libpam-yubico, logged in through, and purged (tests/packages.sh says
# what it checks; it installs and purges packages on this machine).
echo "=== Debian packages"
rc=0
top_builddir=$root/build bash tests/packages.sh >build/packages.log 2>&1 || rc=$?
case $rc in
0) passed=$((passed + 1)); echo "packages: OK" ;;
77) skipped=$((skipped + 1)); tail -n 1 build/packages.log ;;
*) tail -n 40 build/packages.log; failed=$((failed + 1)); status=1 ;;
esac

echo "tests: $passed passed, $failed failed, $skipped skipped"
exit $status
