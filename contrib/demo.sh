#!/usr/bin/env bash
# demo.sh: build pgsteer and run it in front of a local PostgreSQL 15 primary
# and two streaming replicas, all on loopback, in a directory of its own.
#
#   contrib/demo.sh          install what is missing, build, start, print how to connect
#   contrib/demo.sh stop     stop pgsteer and the cluster, remove the directory
#   contrib/demo.sh status   each node's role and replay position, and pgsteer's view
#   contrib/demo.sh failover stop the primary, promote a replica, point the other
#                            replica at it; say how long writes were refused
#
# Runs as root on Debian 12. Starting twice is harmless: what runs is kept.
# Environment: PGSTEER_DEMO_DIR (default /tmp/pgsteer-demo),
# PG_BIN (default /usr/lib/postgresql/15/bin), PGCLUSTER (cluster script,
# default contrib/pgcluster.sh).
set -euo pipefail

SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEMO_DIR=${PGSTEER_DEMO_DIR:-/tmp/pgsteer-demo}
BUILD_DIR=$SRCDIR/build
PGSTEER_BIN=$BUILD_DIR/src/pgsteer
PGCLUSTER=${PGCLUSTER:-$SRCDIR/contrib/pgcluster.sh}
export PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

CLUSTER_DIR=$DEMO_DIR/cluster
CONFIG=$DEMO_DIR/pgsteer.ini
PIDFILE=$DEMO_DIR/pgsteer.pid
LOGFILE=$DEMO_DIR/pgsteer.log
PORTS_FILE=$DEMO_DIR/ports.env

PACKAGES=(build-essential autoconf automake pkg-config libevent-dev libssl-dev
          libinih-dev libpcre2-dev libpq-dev postgresql-15 postgresql-client-15)

say() { printf 'demo: %s\n' "$*" >&2; }
die() { printf 'demo: error: %s\n' "$*" >&2; exit 1; }

# True when something accepts TCP connections on 127.0.0.1:$1.
port_in_use() {
    timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# True when ports $1 .. $1+$2-1 are all free.
ports_free() {
    local i
    for ((i = 0; i < $2; i++)); do
        if port_in_use $(($1 + i)); then return 1; fi
    done
}

# First port >= $1 such that it and the next $2-1 ports are all free.
free_port_block() {
    local p
    for ((p = $1; p < $1 + 1000; p += $2)); do
        if ports_free "$p" "$2"; then echo "$p"; return 0; fi
    done
    die "no free block of $2 ports from $1"
}

# Pid of the running demo pgsteer, or nothing (checks the pid really is pgsteer).
running_pid() {
    local pid
    [ -s "$PIDFILE" ] || return 0
    pid=$(cat "$PIDFILE")
    if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q pgsteer; then
        echo "$pid"
    fi
}

install_missing_packages() {
    local missing=() pkg
    for pkg in "${PACKAGES[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$pkg")
        fi
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}); run as root"
    say "installing ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# Out-of-tree build in build/; a configured tree only needs make.  Its
# output goes to build/demo-build.log, shown only when the build fails.
build_pgsteer() {
    local log=$BUILD_DIR/demo-build.log
    mkdir -p "$BUILD_DIR"
    if [ -f "$BUILD_DIR/Makefile" ]; then
        say "building pgsteer in $BUILD_DIR (log: $log)"
    else
        say "configuring and building pgsteer in $BUILD_DIR (log: $log)"
    fi
    if ! {
        if [ ! -f "$BUILD_DIR/Makefile" ]; then
            (cd "$SRCDIR" && autoreconf -fi) && (cd "$BUILD_DIR" && ../configure)
        fi && make -C "$BUILD_DIR" -j2
    } >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        die "the build failed; the whole log is $log"
    fi
    [ -x "$PGSTEER_BIN" ] || die "build finished but $PGSTEER_BIN is missing"
}

choose_ports() {
    if [ -s "$PORTS_FILE" ]; then
        # shellcheck source=/dev/null
        . "$PORTS_FILE"
        return 0
    fi
    PG_PORT=5432
    if ! ports_free 5432 3; then
        PG_PORT=$(free_port_block 15432 3)
        say "port 5432 (or 5433/5434) is taken; the demo cluster uses $PG_PORT-$((PG_PORT + 2))"
    fi
    PROXY_PORT=$(free_port_block 6432 1)
    [ "$PROXY_PORT" = 6432 ] || say "port 6432 is taken; pgsteer listens on $PROXY_PORT instead"
    STATS_PORT=$(free_port_block 9930 1)
    [ "$STATS_PORT" = 9930 ] || say "port 9930 is taken; the stats endpoint is set to $STATS_PORT"
    mkdir -p "$DEMO_DIR"
    chmod 755 "$DEMO_DIR"     # the postgres user keeps its data below it
    printf 'PG_PORT=%s\nPROXY_PORT=%s\nSTATS_PORT=%s\n' \
        "$PG_PORT" "$PROXY_PORT" "$STATS_PORT" > "$PORTS_FILE"
}

write_config() {
    cat > "$CONFIG" <<EOF
; pgsteer demo configuration, written by contrib/demo.sh
[pgsteer]
listen_addr = 127.0.0.1
listen_port = $PROXY_PORT
auth_type = trust            ; the demo cluster trusts loopback too
pool_mode = transaction
default_pool_size = 20
admin_users = admin          ; with trust, any user name logs in

[stats]
listen = 127.0.0.1:$STATS_PORT

[cluster.main]

[node.main1]                 ; the primary (detected, not configured)
cluster = main
host = 127.0.0.1
port = $PG_PORT

[node.main2]
cluster = main
host = 127.0.0.1
port = $((PG_PORT + 1))

[node.main3]
cluster = main
host = 127.0.0.1
port = $((PG_PORT + 2))
EOF
}

start_pgsteer() {
    local pid i
    pid=$(running_pid)
    if [ -n "$pid" ]; then
        say "pgsteer already running (pid $pid)"
        return 0
    fi
    local out
    if ! out=$("$PGSTEER_BIN" --check-config -c "$CONFIG" 2>&1); then
        printf '%s\n' "$out" >&2
        die "pgsteer rejected $CONFIG"
    fi
    # setsid: own session, so closing the terminal or Ctrl-C there leaves it running.
    setsid "$PGSTEER_BIN" -c "$CONFIG" >>"$LOGFILE" 2>&1 </dev/null &
    pid=$!
    echo "$pid" > "$PIDFILE"
    for ((i = 0; i < 100; i++)); do
        if port_in_use "$PROXY_PORT"; then
            say "pgsteer started (pid $pid), listening on 127.0.0.1:$PROXY_PORT"
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$PIDFILE"
            tail -n 20 "$LOGFILE" >&2 || true
            die "pgsteer exited during startup; log: $LOGFILE"
        fi
        sleep 0.1
    done
    die "pgsteer (pid $pid) does not accept connections on port $PROXY_PORT after 10 s; log: $LOGFILE"
}

print_usage_hints() {
    cat <<EOF

pgsteer demo is running in $DEMO_DIR
  primary   127.0.0.1:$PG_PORT, replicas 127.0.0.1:$((PG_PORT + 1)) and 127.0.0.1:$((PG_PORT + 2))
  pgsteer   127.0.0.1:$PROXY_PORT (config $CONFIG, log $LOGFILE)

Connect through pgsteer:
  psql "host=127.0.0.1 port=$PROXY_PORT user=postgres dbname=postgres"
Admin console:
  psql -h 127.0.0.1 -p $PROXY_PORT -U admin pgsteer
Metrics:
  curl http://127.0.0.1:$STATS_PORT/metrics
Stop everything and remove $DEMO_DIR:
  $(stop_command)
EOF
}

# The stop command for this demo: with its PGSTEER_DEMO_DIR when not the default,
# so that running it as printed stops this demo and no other.
stop_command() {
    if [ -n "${PGSTEER_DEMO_DIR:-}" ]; then
        printf 'PGSTEER_DEMO_DIR=%q %s/contrib/demo.sh stop' "$DEMO_DIR" "$SRCDIR"
    else
        printf '%s/contrib/demo.sh stop' "$SRCDIR"
    fi
}

stop_pgsteer() {
    local pid i
    pid=$(running_pid)
    if [ -z "$pid" ]; then
        rm -f "$PIDFILE"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "pgsteer (pid $pid) ignored SIGTERM for 10 s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$PIDFILE"
    say "pgsteer stopped"
}

cmd_start() {
    [ "$(id -u)" = 0 ] || die "run as root (installs packages, runs PostgreSQL as the postgres user)"
    install_missing_packages
    [ -x "$PGCLUSTER" ] || die "$PGCLUSTER not found"
    build_pgsteer
    choose_ports
    say "starting primary + 2 replicas in $CLUSTER_DIR"
    "$PGCLUSTER" start "$CLUSTER_DIR" "$PG_PORT"
    write_config
    start_pgsteer
    print_usage_hints
}

cmd_stop() {
    stop_pgsteer
    if [ -d "$CLUSTER_DIR" ]; then
        "$PGCLUSTER" stop "$CLUSTER_DIR" || say "warning: stopping the cluster failed"
        "$PGCLUSTER" destroy "$CLUSTER_DIR"
    fi
    rm -rf "$DEMO_DIR"
    say "demo stopped; $DEMO_DIR removed"
}

# The three nodes: pgsteer's name, data directory under $CLUSTER_DIR, port offset.
NODES=("main1 primary 0" "main2 replica1 1" "main3 replica2 2")

# Run a PostgreSQL tool as the postgres user (servers refuse root).
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# One value from the node on port $1 (empty when it does not answer).
node_sql() {
    "$PG_BIN/psql" -h 127.0.0.1 -p "$1" -U postgres -d postgres -AtqX -c "$2" 2>/dev/null || true
}

load_ports() {
    [ -s "$PORTS_FILE" ] || die "no demo in $DEMO_DIR (start it first: contrib/demo.sh)"
    # shellcheck source=/dev/null
    . "$PORTS_FILE"
}

cmd_status() {
    local pid n name dir off port rec role
    pid=$(running_pid)
    if [ ! -s "$PORTS_FILE" ]; then
        if [ -n "$pid" ]; then echo "pgsteer: running (pid $pid)"; else echo "pgsteer: not running"; fi
        echo "cluster: not set up"
        return 0
    fi
    load_ports
    if [ -n "$pid" ]; then echo "pgsteer: running (pid $pid), 127.0.0.1:$PROXY_PORT"; else echo "pgsteer: not running"; fi
    echo "nodes (as PostgreSQL reports them):"
    for n in "${NODES[@]}"; do
        read -r name dir off <<<"$n"
        port=$((PG_PORT + off))
        rec=$(node_sql "$port" "SELECT pg_is_in_recovery()")
        case $rec in
        f) role="primary, wal $(node_sql "$port" "SELECT pg_current_wal_lsn()")" ;;
        t) role="replica, replayed $(node_sql "$port" "SELECT pg_last_wal_replay_lsn()"), following port $(node_sql "$port" "SELECT sender_port FROM pg_stat_wal_receiver")" ;;
        *) role="not answering" ;;
        esac
        printf '  %s  127.0.0.1:%s  data %s/%s  %s\n' "$name" "$port" "$CLUSTER_DIR" "$dir" "$role"
    done
    if [ -n "$pid" ]; then
        echo "pgsteer's view (SHOW NODES):"
        "$PG_BIN/psql" -h 127.0.0.1 -p "$PROXY_PORT" -U admin -d pgsteer -X -c \
            'SHOW NODES' 2>&1 | cut -c 1-160 | sed 's/^/  /' || true
    fi
}

# Stop the primary, promote a replica, point the other replica at it, and
# show how long writes through pgsteer were refused.
cmd_failover() {
    local n name dir off port primary="" new="" other=() t0 t1 i tries=0 got oname odir oport
    [ "$(id -u)" = 0 ] || die "run as root (pg_ctl runs as the postgres user)"
    load_ports
    [ -n "$(running_pid)" ] || die "pgsteer is not running (contrib/demo.sh starts it)"
    for n in "${NODES[@]}"; do
        read -r name dir off <<<"$n"
        port=$((PG_PORT + off))
        case $(node_sql "$port" "SELECT pg_is_in_recovery()") in
        f) primary="$name $dir $port" ;;
        t) if [ -z "$new" ]; then new="$name $dir $port"; else other+=("$name $dir $port"); fi ;;
        esac
    done
    [ -n "$primary" ] || die "no primary answers: nothing to fail over from"
    [ -n "$new" ] || die "no replica answers: nothing to promote"
    read -r name dir port <<<"$primary"
    node_sql "$PROXY_PORT" "CREATE TABLE IF NOT EXISTS demo_failover (at timestamptz DEFAULT now(), port int)" >/dev/null
    say "stopping the primary $name (127.0.0.1:$port, data $CLUSTER_DIR/$dir)"
    t0=$(date +%s.%N)
    as_pg "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/$dir" -m fast -w stop >/dev/null
    read -r name dir port <<<"$new"
    say "promoting $name (127.0.0.1:$port)"
    as_pg "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/$dir" -w promote >/dev/null
    for i in "${other[@]}"; do
        read -r oname odir oport <<<"$i"
        say "pointing $oname (127.0.0.1:$oport) at the new primary"
        node_sql "$oport" "ALTER SYSTEM SET primary_conninfo = 'host=127.0.0.1 port=$port user=postgres application_name=$odir'" >/dev/null
        node_sql "$oport" "SELECT pg_reload_conf()" >/dev/null
    done
    # writes through pgsteer until one lands on the new primary
    while :; do
        got=$(node_sql "$PROXY_PORT" "INSERT INTO demo_failover (port) VALUES (inet_server_port()) RETURNING port")
        tries=$((tries + 1))
        [ "$got" = "$port" ] && break
        [ "$tries" -lt 600 ] || die "writes did not reach the new primary after $tries tries"
        sleep 0.05
    done
    t1=$(date +%s.%N)
    say "$(awk -v a="$t0" -v b="$t1" -v n="$tries" 'BEGIN { printf "writes through pgsteer land on the new primary %.2f s after the old one was stopped (%d tries)", b - a, n }')"
    say "pgsteer's log says:"
    grep -E "primary changed|down:|refused" "$LOGFILE" | tail -n 5 | sed 's/^/demo:   /' >&2 || true
    cmd_status
}

case ${1:-start} in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
failover) cmd_failover ;;
-h | --help | help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0" ;;
*) die "usage: $0 [start|stop|status|failover]" ;;
esac
