#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# pg.sh - ykvald on PostgreSQL, by "make bench-pg"; never by "make check".
#
# On one PostgreSQL server of its own (fsync on, synchronous_commit on):
# 1. baseline: pgbench's own single-row UPDATE rate at 16 and 64 clients,
#    on the same terms as the load: NKEYS rows, each client owning the
#    rows whose index is its number modulo the clients (so no two clients
#    wait on one row lock), one of them at random each time; prepared
#    statements;
# 2. ykvald: durable OK validations/s with 1, 2 and 3 nodes at 16 and 64
#    concurrent clients (tests/bench/load, closed loop, spread over the
#    nodes), and the ratio to the baseline at the same concurrency,
#    measured again right after each step (other load on the machine
#    comes and goes);
# 3. latency with one node at half its peak (paced).
# Each rate says how busy the machine's CPUs were meanwhile: the load,
# ykvald and PostgreSQL share them, so a figure near 100% means that the
# machine, not ykvald's design, sets the rate.
# Environment: BENCH_SECONDS [5], BENCH_WARMUP [1], BENCH_CONNS [16 64].

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$here/../..}
top_builddir=${top_builddir:-$top_srcdir/build}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"
# shellcheck source=tests/pg-lib.sh
. "$top_srcdir/tests/pg-lib.sh"

SECS=${BENCH_SECONDS:-5}
WARM=${BENCH_WARMUP:-1}
CONNS=${BENCH_CONNS:-16 64}
NKEYS=64
for c in $CONNS; do [ "$c" -le "$NKEYS" ] || NKEYS=$c; done
[ -x "$LOAD" ] || fail "$LOAD is not built (make bench-pg builds it)"
[ -x "$PGBIN/pgbench" ] || fail "no pgbench"

gen_keys "$NKEYS" > "$T/keys.csv"

pg_start "fsync = on" "synchronous_commit = on"
echo "bench-pg: $(nproc) CPUs; PostgreSQL $("$PGBIN/postgres" --version | awk '{ print $3 }')" \
	"at $PGDIR, fsync on, synchronous_commit on"

# ---- 1. pgbench baseline ------------------------------------------------
psql_at "$PGPORT" postgres "CREATE DATABASE pgb" >/dev/null
psql_at "$PGPORT" pgb "CREATE TABLE k (id integer PRIMARY KEY, c integer NOT NULL);
	INSERT INTO k SELECT g, 0 FROM generate_series(1, $NKEYS) g" >/dev/null
# CPU time so far, all CPUs, from /proc/stat: "busy stolen total" in
# clock ticks (busy: user, nice, system, irq, softirq; stolen: what the
# hypervisor gave to others, on a shared machine).
cpu_ticks() {
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $9,
		$2 + $3 + $4 + $5 + $6 + $7 + $8 + $9; exit }' /proc/stat
}
# busy_since "B S T": how busy the CPUs were since cpu_ticks said B S T,
# and how much was stolen when that is 1% or more.
busy_since() {
	# shellcheck disable=SC2046 # three numbers, split on purpose
	set -- $1 $(cpu_ticks)
	awk -v b="$(($4 - $1))" -v s="$(($5 - $2))" -v t="$(($6 - $3))" 'BEGIN {
		if (t <= 0) t = 1
		printf "%.0f%% busy", 100 * b / t
		if (100 * s / t >= 1) printf ", %.0f%% stolen", 100 * s / t }'
}
# pgbench_at C: the baseline at C clients, in $base (tps), and how busy
# the CPUs were meanwhile in $base_busy.
pgbench_at() {
	# client_id is 0-based; the client's rows are client_id + 1 + i * C
	printf '%s\n' "\\set id :client_id + 1 + random(0, $((NKEYS / $1 - 1))) * $1" \
		'UPDATE k SET c = c + 1 WHERE id = :id;' > "$T/update.sql"
	t0=$(cpu_ticks)
	pgb=$("$PGBIN/pgbench" -n -h 127.0.0.1 -p "$PGPORT" -U ykvald -c "$1" \
		-j 2 -M prepared -T "$SECS" -f "$T/update.sql" pgb 2>&1) ||
		fail "pgbench: $pgb"
	base_busy=$(busy_since "$t0")
	base=$(printf '%s\n' "$pgb" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -n 1)
}
for c in $CONNS; do
	pgbench_at "$c"
	echo "pgbench: single-row UPDATE, $c clients: $(printf %.0f "$base") tps" \
		"[CPUs $base_busy]"
done

# ---- 2. ykvald nodes --------------------------------------------------
psql_at "$PGPORT" postgres "CREATE DATABASE ykval" >/dev/null
DB=postgresql://ykvald@127.0.0.1:$PGPORT/ykval
"$YKVALD" key import --db "$DB" "$T/keys.csv" >/dev/null
ckey=$("$YKVALD" client add --db "$DB" --id 1 | sed -n 's/^key=//p')
urls=""
ctr=1
for n in 1 2 3; do
	start_ykvald "$DB"
	urls=${urls:+$urls,}$URL
	for c in $CONNS; do
		t0=$(cpu_ticks)
		out=$("$LOAD" -t "$c" -d "$SECS" -w "$WARM" -b "$ctr" "$urls" 1 \
			"$ckey" "$T/keys.csv") || fail "load: $out"
		ctr=$((ctr + 1024))
		r=$(val rate "$out")
		busy=$(busy_since "$t0")
		# The machine is shared: the baseline again, right after.
		pgbench_at "$c"
		echo "ykvald: $n node(s), $c clients: $(printf %.0f "$r") validations/s," \
			"pgbench $(printf %.0f "$base") tps, ratio" \
			"$(awk -v a="$r" -v b="$base" 'BEGIN { printf "%.2f", a / b }')" \
			"[p50 $(val p50_ms "$out") ms, p99 $(val p99_ms "$out") ms," \
			"CPUs $busy; pgbench's $base_busy]"
		if [ "$n" = 1 ]; then
			best1=$(awk -v a="$r" -v b="${best1:-0}" 'BEGIN { print (a > b ? a : b) }')
			[ "$r" != "$best1" ] || bestc=$c
		fi
	done
	[ "$n" != 1 ] || url1=$URL
done

# ---- 3. latency at half the one-node peak ---------------------------------
half=$(awk -v r="$best1" 'BEGIN { printf "%d", r / 2 }')
out=$("$LOAD" -t "$bestc" -r "$half" -d "$SECS" -w "$WARM" -b "$ctr" "$url1" 1 \
	"$ckey" "$T/keys.csv") || fail "load: $out"
echo "ykvald: 1 node paced at $half/s: p50 $(val p50_ms "$out") ms," \
	"p99 $(val p99_ms "$out") ms (achieved $(printf %.0f "$(val rate "$out")")/s)"
