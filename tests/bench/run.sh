#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# run.sh - ykvald benchmark, run by hand or by "make bench"; never by
# "make check": its figures depend on the machine and it takes ~35 s.
#
# 1. baseline: durable compare-and-set commits/s straight through the
#    store (cas_baseline: one CAS per WAL commit, single-threaded), run
#    before and after the server and the better figure kept;
# 2. ykvald: OK validations/s over keep-alive HTTP from CONNS concurrent
#    clients (load, closed loop), each step on the same database;
# 3. the ratio of the two; with group commit it should be above 1;
# 4. latency at half the best rate of step 2, paced (open loop).
#
# Environment (defaults in brackets):
#   top_srcdir [the directory above tests/], top_builddir [top_srcdir/build]
#   BENCH_SECONDS [5]   measured seconds of each step
#   BENCH_WARMUP [1]    seconds of load before each measurement
#   BENCH_CONNS [16 32 64] client connections to try; the best one is kept
#   BENCH_KEYS [max(64, BENCH_CONNS)] keys in the database
# Exits 1 when any request was not answered OK, or when the database
# does not hold the last run's counters afterwards.

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$here/../..}
top_builddir=${top_builddir:-$top_srcdir/build}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"	# sets -eu, $T, the clean-up trap

BASELINE=$top_builddir/tests/bench/cas_baseline
SECS=${BENCH_SECONDS:-5}
WARM=${BENCH_WARMUP:-1}
CONNS=${BENCH_CONNS:-16 32 64}
NKEYS=${BENCH_KEYS:-$(echo 64 $CONNS | tr ' ' '\n' | sort -n | tail -n 1)}
for p in "$YKVALD" "$BASELINE" "$LOAD"; do
	[ -x "$p" ] || fail "$p is not built (make bench builds it)"
done

gen_keys "$NKEYS" >"$T/keys.csv"
[ "$(wc -l <"$T/keys.csv")" -eq "$NKEYS" ] || fail "cannot make $NKEYS keys"

echo "bench: $(nproc) CPUs; $(df -PT "$T" | awk 'NR == 2 { print $2 }') at $T;" \
	"SQLite $(sqlite3 --version 2>/dev/null | cut -d' ' -f1)"

# ---- 1. baseline ------------------------------------------------------
# baseline N: one run on a new database; sets $out.  It runs before and
# after the server, since fsync times drift, and the better one is used.
baseline() {
	echo "bench: baseline $1, one durable CAS per commit, ${SECS}s ..."
	out=$("$BASELINE" "$T/baseline$1.db" "$T/keys.csv" "$SECS") ||
		fail "cas_baseline: $out"
	echo "  $out"
}
baseline 1
base1=$(val rate "$out")

# ---- 2. peak through HTTP --------------------------------------------
"$YKVALD" key import --db "$T/server.db" "$T/keys.csv" >/dev/null
ckey=$("$YKVALD" client add --db "$T/server.db" --id 1 | sed -n 's/^key=//p')
start_ykvald "$T/server.db"
errors=0
ctr=1		# each run starts its keys' counters above the last run's
best=0
bestc=0
for c in $CONNS; do
	echo "bench: ykvald, $c connections, closed loop, ${WARM}s + ${SECS}s ..."
	out=$("$LOAD" -t "$c" -d "$SECS" -w "$WARM" -b "$ctr" "$URL" 1 \
		"$ckey" "$T/keys.csv") || errors=$((errors + 1))
	echo "  $out"
	ctr=$((ctr + 1024))
	r=$(val rate "$out")
	if awk -v a="$r" -v b="$best" 'BEGIN { exit !(a > b) }'; then
		best=$r
		bestc=$c
		peak=$out
	fi
done
[ "$bestc" -gt 0 ] || fail "no load run succeeded"

# ---- 4. latency at half the peak, paced ------------------------------
half=$(awk -v r="$best" 'BEGIN { printf "%d", r / 2 }')
echo "bench: ykvald, paced at $half req/s on $bestc connections," \
	"${WARM}s + ${SECS}s ..."
out=$("$LOAD" -t "$bestc" -r "$half" -d "$SECS" -w "$WARM" -b "$ctr" \
	"$URL" 1 "$ckey" "$T/keys.csv") || errors=$((errors + 1))
echo "  $out"
paced=$out
stop_ykvald
# Sanity: the last run's OTPs are in the database, for every key.
stale=$("$YKVALD" key list --db "$T/server.db" |
	awk -v c="$ctr" '$4 ~ /^-?[0-9]+$/ && $4 < c' | wc -l)
if [ "$stale" -ne 0 ]; then
	echo "bench: $stale keys do not hold the paced run's counters" >&2
	errors=$((errors + 1))
fi

baseline 2
base2=$(val rate "$out")
base=$(awk -v a="$base1" -v b="$base2" 'BEGIN { print (a > b ? a : b) }')

# ---- 3. summary -------------------------------------------------------
ratio=$(awk -v m="$best" -v n="$base" 'BEGIN { printf "%.2f", m / n }')
echo
echo "baseline: raw SQLite CAS commits/s: $(printf %.0f "$base")" \
	"(best of $(printf %.0f "$base1") before, $(printf %.0f "$base2") after)"
echo "ykvald: durable validations/s at $bestc connections:" \
	"$(printf %.0f "$best") (ratio M/N = $ratio)" \
	"[p50 $(val p50_ms "$peak") ms, p99 $(val p99_ms "$peak") ms]"
echo "ykvald at half peak ($half req/s): p50 $(val p50_ms "$paced") ms," \
	"p99 $(val p99_ms "$paced") ms" \
	"(achieved $(printf %.0f "$(val rate "$paced")") req/s)"
if [ "$errors" -gt 0 ]; then
	echo "bench: $errors check(s) failed: see the errors above" >&2
	exit 1
fi
