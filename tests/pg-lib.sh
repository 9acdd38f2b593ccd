# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
# pg-lib.sh - PostgreSQL servers for the tests: initdb into a temporary
# directory, pg_ctl on 127.0.0.1 with a free port, as an unprivileged user
# (initdb refuses root), stopped by the test's clean-up.  Sourced by
# lib.sh when YK_DB=pg (the test's database is then a PostgreSQL
# database), or by a test after lib.sh.  Never the system's own cluster.

PGBIN=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
if [ ! -x "$PGBIN/initdb" ] || [ ! -x "$PGBIN/pg_ctl" ]; then
	skip "no PostgreSQL server binaries (Debian package postgresql)"
fi
_pgdirs=""	# data directories to stop at exit

# as_pg CMD...: run CMD as the unprivileged owner of the clusters.
as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u nobody -- "$@"
	else
		"$@"
	fi
}

pg_cleanup() {
	for _d in $_pgdirs; do
		as_pg "$PGBIN/pg_ctl" -D "$_d" -m immediate -w stop >/dev/null 2>&1 || :
	done
	cleanup
}
trap pg_cleanup EXIT

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# pg_init DIR: a new cluster in DIR (made here), not started; sets
# PGPORT_NEW to the port it will listen on.  Extra postgresql.conf lines
# may follow in further arguments.
pg_init() {
	_pd=$1; shift
	mkdir -p "$_pd"
	[ "$(id -u)" != 0 ] || chown nobody "$_pd"
	as_pg "$PGBIN/initdb" -D "$_pd/data" -U ykvald --auth=trust -E UTF8 \
		--no-sync >"$_pd/initdb.log" 2>&1 ||
		{ cat "$_pd/initdb.log" >&2; fail "initdb"; }
	PGPORT_NEW=$(free_port)
	{
		echo "listen_addresses = '127.0.0.1'"
		echo "port = $PGPORT_NEW"
		echo "unix_socket_directories = ''"
		echo "fsync = off"
		echo "full_page_writes = off"
		echo "max_connections = 200"
		echo "shared_buffers = 16MB"
		echo "log_min_messages = warning"
		for _l in "$@"; do echo "$_l"; done
	} >> "$_pd/data/postgresql.conf"
	_pgdirs="$_pgdirs $_pd/data"
}

# pg_up DIR: start the cluster in DIR and wait until it answers.
pg_up() {
	as_pg "$PGBIN/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 60 start \
		>/dev/null 2>&1 || { cat "$1/server.log" >&2; fail "pg_ctl start"; }
}

# pg_down DIR [MODE]: stop it (fast by default).
pg_down() {
	as_pg "$PGBIN/pg_ctl" -D "$1/data" -m "${2:-fast}" -w -t 60 stop \
		>/dev/null 2>&1 || fail "pg_ctl stop"
}

# pg_start [CONF-LINE]...: one cluster for the test; sets PGDIR and PGPORT.
# shellcheck disable=SC2120 # the extra lines are optional
pg_start() {
	PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/pamyk-pg.XXXXXX")
	_dirs="$_dirs $PGDIR"
	pg_init "$PGDIR" "$@"
	PGPORT=$PGPORT_NEW
	pg_up "$PGDIR"
}

# psql_at PORT DB SQL: run SQL as the cluster's superuser; rows on stdout.
psql_at() {
	"$PGBIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" \
		-U ykvald -d "$2" -c "$3"
}

# pg_name FILE: the database name a test's database file stands for.
pg_name() { basename "$1" | tr -c 'a-z0-9_\n' _; }

# YK_DB=pg: lib.sh's hooks make the test's database "$T/db" the database
# db of a server of its own.
if [ "${YK_DB:-sqlite}" = pg ]; then
	db_arg() {
		printf 'postgresql://ykvald@127.0.0.1:%s/%s' "$PGPORT" "$(pg_name "$1")"
	}
	db_sql() { psql_at "$PGPORT" "$(pg_name "$1")" "$2"; }
	db_create() { psql_at "$PGPORT" postgres "CREATE DATABASE $(pg_name "$1")"; }
	# shellcheck disable=SC2119 # no extra lines
	pg_start
fi
