#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The whole test suite: dependencies, a warnings-as-errors build, make check,
# the same again under AddressSanitizer + UndefinedBehaviorSanitizer, the
# gates (a clang -Werror build with the unit tests, scan-build, a check of
# every shell script, a short fuzz run), make distcheck, and the Debian
# packages (tests/packages.sh, which installs and purges them).  The last
# line sums up every test that ran; each gate counts as one.
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

# ---- the gates: each counts as one test, and says how long it took ------
gate() {	# gate NAME FUNCTION: 0 passed, 77 skipped (its last line says why)
	local name=$1 log=$root/build/gate-$1.log t0 rc=0
	echo "=== gate: $name"
	t0=$(date +%s)
	mkdir -p "$root/build"
	(cd "$root" && "$2") >"$log" 2>&1 || rc=$?
	t0=$(($(date +%s) - t0))
	case $rc in
	0) passed=$((passed + 1)); echo "$name: OK (${t0} s)" ;;
	77) skipped=$((skipped + 1)); echo "$name: SKIPPED (${t0} s): $(tail -n 1 "$log")" ;;
	*) tail -n 40 "$log"; echo "$name: FAILED (${t0} s)"
	   failed=$((failed + 1)); status=1 ;;
	esac
}

# clang, warnings as errors (WARN_CFLAGS has -Wconversion), and the unit
# tests: what gcc lets through, clang may not.
gate_clang() {
	mkdir -p build-clang && cd build-clang &&
	"$root/configure" -q CC=clang >/dev/null &&
	make -s -j"$jobs" CFLAGS="-O2 -g -Werror" || return 1
	# make expands $(UNIT_TESTS), the list tests/tests.am keeps
	# shellcheck disable=SC2016
	make -s -j"$jobs" check CFLAGS="-O2 -g -Werror" TESTS='$(UNIT_TESTS)'
}

# The clang static analyser over a fresh build: any report fails.
gate_scan_build() {
	rm -rf build-scan && mkdir build-scan && cd build-scan &&
	scan-build --status-bugs -o reports "$root/configure" -q >/dev/null &&
	scan-build --status-bugs -o reports make -s -j"$jobs"
}

# Every shell script: the tests, scripts/, .ci/ and debian's maintainer
# scripts, at -S warning.  -x follows what a script sources: the tests
# name their libraries with "# shellcheck source=tests/...", resolved from
# the top of the tree, where this runs.
gate_shellcheck() {
	local f files=()
	while IFS= read -r -d '' f; do
		case $f in
		*.sh | ./.ci/run | ./debian/*.postinst | ./debian/*.prerm | \
		./debian/*.postrm | ./debian/*.preinst) files+=("$f") ;;
		*) head -n 1 "$f" | grep -qE '^#!.*/(env )?(ba|da)?sh' &&
			files+=("$f") ;;
		esac
	done < <(find ./tests ./scripts ./.ci ./debian -path ./tests/fuzz/corpus \
		-prune -o -path ./debian/.debhelper -prune -o -type f -print0)
	echo "shellcheck -x -S warning: ${#files[@]} scripts"
	shellcheck -x -S warning "${files[@]}"
}

# A short fuzz run of every harness (issue 17: configure --enable-fuzzing,
# make fuzz-run SECONDS=N).  Skipped, saying so, while the target is not
# there yet.
gate_fuzz() {
	mkdir -p build-fuzz && cd build-fuzz &&
	"$root/configure" -q CC=clang --enable-fuzzing >/dev/null || return 1
	if ! grep -qE '^fuzz-run *:' Makefile; then
		echo "no make fuzz-run target yet: fuzz run skipped"
		return 77
	fi
	make -s -j"$jobs" fuzz-run SECONDS=60 FUZZ_JOBS="$jobs"
}

gate clang gate_clang
gate scan-build gate_scan_build
gate shellcheck gate_shellcheck
gate fuzz gate_fuzz

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
