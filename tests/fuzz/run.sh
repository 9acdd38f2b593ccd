#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# make fuzz-run SECONDS=N: run each libFuzzer harness named on the command
# line for FUZZ_SECONDS seconds on a copy of its seed corpus, one after the
# other, and fail when any reports (a crash, a sanitizer report, a leak, a
# timeout, running out of memory).  Its work directory is
# tests/fuzz/run/NAME/ (corpus/, the log, crash-* and the like); the seeds
# in the source tree are never written.  One line per harness: executions,
# executions per second, coverage (libFuzzer's cov: and ft:).  What the
# code under test prints is dropped (-close_fd_mask=3); sanitizer and
# libFuzzer reports still reach the log.
set -eu
b=${top_builddir:-.}/tests/fuzz
c=${top_srcdir:-.}/tests/fuzz/corpus
secs=${FUZZ_SECONDS:-60}
case $secs in
'' | *[!0-9]* | 0) echo "run.sh: SECONDS must be a number of seconds" >&2; exit 2 ;;
esac
status=0
for name in "$@"; do
	w=$b/run/$name
	rm -rf "$w"
	mkdir -p "$w/corpus" "$w/tmp"
	cp "$c/$name"/* "$w/corpus/"
	rc=0
	TMPDIR=$(cd "$w/tmp" && pwd) "$b/fuzz_$name" -max_total_time="$secs" \
		-timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
		-close_fd_mask=3 \
		-artifact_prefix="$w/" "$w/corpus" >"$w/log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$w/log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$w/log")
	cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$w/log" | tail -n 1)
	if [ "$rc" = 0 ] && ! grep -q '^==[0-9]*==ERROR\|runtime error:' "$w/log"; then
		echo "fuzz_$name: ok, ${execs:-?} execs, ${rate:-?}/s, ${cov:-no cov}"
	else
		echo "fuzz_$name: FAILED (exit $rc), see $w/log"
		grep -A 25 '^==[0-9]*==\|runtime error:\|^SUMMARY' "$w/log" | head -n 40
		status=1
	fi
	rm -rf "$w/tmp"
done
exit $status
