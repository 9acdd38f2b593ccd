#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# make fuzz-run SECONDS=N [FUZZ_JOBS=J]: run each libFuzzer harness named
# on the command line for FUZZ_SECONDS seconds on a copy of its seed
# corpus, FUZZ_JOBS at a time (default 1), and fail when any reports (a
# crash, a sanitizer report, a leak, a timeout, running out of memory).
# Its work directory is tests/fuzz/run/NAME/ (corpus/, the log, crash-*
# and the like); the seeds in the source tree are never written.  One
# line per harness: executions, executions per second, coverage
# (libFuzzer's cov: and ft:).  What the code under test prints is dropped
# (-close_fd_mask=3); sanitizer and libFuzzer reports still reach the log.
set -eu
b=${top_builddir:-.}/tests/fuzz
c=${top_srcdir:-.}/tests/fuzz/corpus
secs=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-1}
for v in "$secs" "$jobs"; do
	case $v in
	'' | *[!0-9]* | 0) echo "run.sh: SECONDS and FUZZ_JOBS must be numbers" >&2
		exit 2 ;;
	esac
done

one() {	# one NAME: run it; its verdict line into run/NAME/result
	w=$b/run/$1
	rm -rf "$w"
	mkdir -p "$w/corpus" "$w/tmp"
	cp "$c/$1"/* "$w/corpus/"
	rc=0
	TMPDIR=$(cd "$w/tmp" && pwd) "$b/fuzz_$1" -max_total_time="$secs" \
		-timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
		-close_fd_mask=3 -artifact_prefix="$w/" "$w/corpus" \
		>"$w/log" 2>&1 || rc=$?
	rm -rf "$w/tmp"
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$w/log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$w/log")
	cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$w/log" | tail -n 1) || :
	if [ "$rc" = 0 ] && ! grep -q '^==[0-9]*==ERROR\|runtime error:' "$w/log"
	then
		echo "fuzz_$1: ok, ${execs:-?} execs, ${rate:-?}/s, ${cov:-no cov}"
	else
		echo "fuzz_$1: FAILED (exit $rc), see $w/log"
		grep -A 25 '^==[0-9]*==\|runtime error:\|^SUMMARY' "$w/log" |
			head -n 40
	fi >"$w/result"
}

status=0
set -- "$@" ""
while [ "$1" != "" ]; do
	batch=
	n=0
	while [ "$1" != "" ] && [ "$n" -lt "$jobs" ]; do
		one "$1" &
		batch="$batch $1"
		n=$((n + 1))
		shift
	done
	wait
	for name in $batch; do
		cat "$b/run/$name/result"
		grep -q '^fuzz_[a-z_0-9]*: ok' "$b/run/$name/result" || status=1
	done
done
exit $status
