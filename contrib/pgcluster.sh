#!/usr/bin/env bash
# pgcluster.sh: a throwaway local PostgreSQL cluster for tests and demos —
# one primary on 127.0.0.1:PORT and two streaming replicas on PORT+1 and
# PORT+2, all under DIR (data dirs, unix sockets, logs). Not for production:
# fsync is off and every loopback user is trusted.
#
#   contrib/pgcluster.sh start DIR PORT   create if absent, start, wait for streaming
#   contrib/pgcluster.sh stop DIR         stop all three (fast, then immediate)
#   contrib/pgcluster.sh destroy DIR      stop and remove DIR
#
# Env: PG_BIN (default /usr/lib/postgresql/15/bin), PGCLUSTER_TIMEOUT
# (seconds to wait for start/streaming, default 90). Quiet on success.
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
TIMEOUT=${PGCLUSTER_TIMEOUT:-90}
MARKER=.pgcluster

die() { echo "pgcluster.sh: $*" >&2; exit 1; }

usage() {
	echo "usage: $0 start DIR PORT | stop DIR | destroy DIR" >&2
	exit 2
}

# Run a command as the postgres OS user when we are root, directly otherwise.
as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# Print the last lines of a log file to stderr, to explain a failure.
show_log() {
	if [ -f "$1" ]; then
		echo "---- last lines of $1 ----" >&2
		tail -n 30 "$1" >&2 || true
	fi
}

is_running() {
	[ -f "$DIR/$1/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$DIR/$1" status >/dev/null 2>&1
}

node_port() {
	case $1 in
	primary) echo "$PORT" ;;
	replica1) echo $((PORT + 1)) ;;
	replica2) echo $((PORT + 2)) ;;
	esac
}

# Settings owned by this script; rewritten on every start so a changed PORT
# or DIR takes effect. postgresql.conf includes this file at its end.
write_node_conf() {
	local node=$1 port
	port=$(node_port "$node")
	{
		echo "# written by contrib/pgcluster.sh on every start"
		echo "port = $port"
		echo "listen_addresses = '127.0.0.1'"
		echo "unix_socket_directories = '$DIR'"
		echo "cluster_name = '$node'"
		echo "fsync = off"
		echo "synchronous_commit = off"
		echo "full_page_writes = off"
		echo "shared_buffers = 16MB"
		echo "max_connections = 200"
		echo "wal_level = replica"
		echo "max_wal_senders = 10"
		echo "wal_keep_size = 128MB"
		echo "hot_standby = on"
		echo "hot_standby_feedback = on"
		echo "wal_receiver_status_interval = 1s"
		echo "log_min_messages = warning"
		echo "log_line_prefix = '%m [%p] %q%u@%d '"
		if [ "$node" != primary ]; then
			echo "primary_conninfo = 'host=127.0.0.1 port=$PORT user=postgres application_name=$node'"
		fi
	} | as_pg tee "$DIR/$node/pgcluster.conf" >/dev/null
}

write_hba() {
	as_pg tee "$DIR/primary/pg_hba.conf" >/dev/null <<-HBA
		# written by contrib/pgcluster.sh: trust everything local (test cluster)
		local   all          all                 trust
		local   replication  all                 trust
		host    all          all   127.0.0.1/32  trust
		host    replication  all   127.0.0.1/32  trust
	HBA
}

create_primary() {
	as_pg "$PG_BIN/initdb" -D "$DIR/primary" -U postgres -E UTF8 --locale=C \
		-A trust >"$DIR/initdb.log" 2>&1 || { show_log "$DIR/initdb.log"; die "initdb failed"; }
	echo "include_if_exists = 'pgcluster.conf'" | as_pg tee -a "$DIR/primary/postgresql.conf" >/dev/null
	write_hba
}

create_replica() {
	local node=$1
	as_pg "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PORT" -U postgres \
		-D "$DIR/$node" -X stream -c fast >"$DIR/basebackup-$node.log" 2>&1 ||
		{ show_log "$DIR/basebackup-$node.log"; as_pg rm -rf "$DIR/$node"; die "pg_basebackup for $node failed"; }
	as_pg touch "$DIR/$node/standby.signal"
}

start_node() {
	local node=$1
	is_running "$node" && return 0
	write_node_conf "$node"
	if ! as_pg "$PG_BIN/pg_ctl" -D "$DIR/$node" -l "$DIR/$node.log" -w -t "$TIMEOUT" \
		start >/dev/null 2>&1; then
		show_log "$DIR/$node.log"
		die "$node (port $(node_port "$node")) failed to start"
	fi
}

psql_primary() {
	as_pg "$PG_BIN/psql" -X -q -A -t -h "$DIR" -p "$PORT" -U postgres -d postgres -c "$1" 2>/dev/null
}

wait_streaming() {
	local deadline=$((SECONDS + TIMEOUT)) n=""
	while [ $SECONDS -lt $deadline ]; do
		n=$(psql_primary "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'" || true)
		[ "$n" = 2 ] && return 0
		sleep 0.2
	done
	show_log "$DIR/replica1.log"
	show_log "$DIR/replica2.log"
	die "replicas not streaming after ${TIMEOUT}s (pg_stat_replication streaming rows: ${n:-none})"
}

cmd_start() {
	[ -x "$PG_BIN/initdb" ] || die "no PostgreSQL binaries in PG_BIN=$PG_BIN"
	case $PORT in '' | *[!0-9]*) die "bad PORT '$PORT'" ;; esac
	if [ "$PORT" -lt 1 ] || [ "$PORT" -gt 65533 ]; then die "bad PORT '$PORT'"; fi
	if [ "$(id -u)" -eq 0 ]; then
		id postgres >/dev/null 2>&1 || die "no 'postgres' OS user (install postgresql-15)"
	fi
	mkdir -p "$DIR"
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$DIR"
	fi
	chmod 0700 "$DIR"
	as_pg test -w "$DIR" -a -x "$DIR" ||
		die "$DIR is not usable by the postgres user (are its parent directories searchable?)"
	as_pg touch "$DIR/$MARKER"

	[ -f "$DIR/primary/PG_VERSION" ] || create_primary
	write_hba
	start_node primary
	for node in replica1 replica2; do
		[ -f "$DIR/$node/PG_VERSION" ] || create_replica "$node"
		start_node "$node"
	done
	wait_streaming
}

stop_node() {
	local node=$1
	[ -f "$DIR/$node/postmaster.pid" ] || return 0
	if ! as_pg "$PG_BIN/pg_ctl" -D "$DIR/$node" -m fast -w -t 30 stop >/dev/null 2>&1; then
		if [ -f "$DIR/$node/postmaster.pid" ]; then
			as_pg "$PG_BIN/pg_ctl" -D "$DIR/$node" -m immediate -w -t 30 stop >/dev/null 2>&1 ||
				{ is_running "$node" && die "could not stop $node"; }
		fi
	fi
	return 0
}

cmd_stop() {
	[ -d "$DIR" ] || return 0
	for node in replica2 replica1 primary; do
		stop_node "$node"
	done
}

cmd_destroy() {
	[ -e "$DIR" ] || return 0
	# Refuse to delete something this script did not create.
	if [ ! -f "$DIR/$MARKER" ] && [ -n "$(ls -A "$DIR" 2>/dev/null)" ]; then
		die "$DIR was not created by pgcluster.sh (no $MARKER); not removing it"
	fi
	cmd_stop
	rm -rf "$DIR"
}

[ $# -ge 2 ] || usage
CMD=$1
DIR=$2
PORT=${3:-}
[ -n "$DIR" ] || usage
case $DIR in /*) ;; *) DIR=$(pwd)/$DIR ;; esac
DIR=${DIR%/}
[ -n "$DIR" ] || die "refusing to use / as DIR"

case $CMD in
start) [ $# -eq 3 ] || usage; cmd_start ;;
stop) cmd_stop ;;
destroy) cmd_destroy ;;
*) usage ;;
esac
