#!/usr/bin/env bash
# bench.sh: pgsteer side by side with direct PostgreSQL, PgBouncer and
# Pgpool-II, in one run (issue #8's benchmark).
#
#   contrib/bench.sh [--write-doc[=FILE]] [--causal-only]
#
# Starts a throwaway primary + 2 streaming replicas (contrib/pgcluster.sh) on
# free loopback ports, loads pgbench -i -s $BENCH_SCALE, then for each script,
# protocol mode and client count runs pgbench against every target:
#   direct     the primary itself
#   null-relay tests/bench/null_relay.c in front of the primary: a server
#              connection per client and one recv() and one send() per
#              readiness event, nothing else; not a proxy anyone would run,
#              but the CPU floor under any proxy relaying over these sockets
#   pgbouncer  Debian's PgBouncer, transaction pooling, pool size $BENCH_POOL_SIZE
#   pgpool     Debian's Pgpool-II, streaming-replication mode, load balancing
#              over primary + 2 replicas, connection cache on, one process
#              per client ($BENCH_PGPOOL_CHILDREN children)
#   pgsteer-primary  this tree's pgsteer in front of the primary only:
#              the like-for-like comparison with PgBouncer
#   pgsteer    the same with both replicas: reads routed to them
#   pgsteer-w2 pgsteer-primary with workers = 2 (two event-loop threads;
#              not in the default list: on 2 cores PostgreSQL and pgbench
#              already use both, see doc/workers.md)
# and records TPS, average and p99 latency (from pgbench's per-transaction
# log) and the proxy's CPU time per transaction (utime+stime from /proc of
# the proxy process and all its descendants, reaped children included,
# before and after the run). Then it holds $BENCH_IDLE_CLIENTS logged-in idle
# clients on each pooler (tests/bench/idle_clients.py) and reports its RSS
# per client, runs the same measurements with TLS clients against
# $BENCH_TLS_TARGETS (pgbench -S -M simple with sslmode=require, over
# long-lived sessions and with -C, one handshake and login per transaction;
# these proxies get a self-signed certificate made by openssl for the run and
# client_tls_sslmode = prefer, every other pgbench run uses sslmode=disable,
# proxy to PostgreSQL stays plain), and runs the classifier microbenchmark
# (bench_classify, ns/statement).
#
# Causal reads (issue #22), with BENCH_CAUSAL=1 after everything else, or
# alone with --causal-only (nothing else is run, no pgbench -i; about 3
# minutes): a pgbench script whose every transaction (autocommit, no BEGIN)
# inserts a row with a random id, reads it back with
# SELECT 1/count(*) ... WHERE id = :id (a stale read divides by zero: the
# client aborts and the run fails) and reads a preloaded row, over
# $BENCH_CAUSAL_MODES x $BENCH_CAUSAL_CLIENTS against
#   direct              the primary
#   pgsteer-causal-off  primary + 2 replicas, causal_read_timeout = 0: reads
#                       after a write go to the primary until the monitor
#                       sees a replica past it
#   pgsteer-causal      the same with causal_read_timeout = $BENCH_CAUSAL_TIMEOUT
# These two have the admin console (admin_users = admin) and /metrics on.
# Per run: TPS, average and p99 latency, the share of reads served by the
# replicas (SHOW NODES reads per node before and after the run), stale reads
# (clients aborted by the division by zero; each client stops at its first),
# causal waits caught up / timed out and their mean wait (/metrics), and the
# p99 added over direct and over pgsteer-causal-off. The primary runs with
# synchronous_commit = on for these runs only (pgcluster.sh's off holds
# commits back from the replicas for up to wal_writer_delay). CSV in
# $BENCH_OUT/causal-STAMP.csv; --causal-only --write-doc replaces just the
# section "Causal reads (issue #22)" of the doc, and a full --write-doc run
# without BENCH_CAUSAL=1 carries that section over unchanged.
#
# Prints Markdown tables (with ratios to PgBouncer and to direct, the added
# p99 over direct and issue #8's goals next to the measured values); writes
# raw numbers as CSV under $BENCH_OUT; with --write-doc also writes
# doc/performance.md (or FILE) with the machine, versions and commands.
# Reports numbers only: it never passes or fails on timings. A mode a target
# cannot do (PgBouncer 1.18 under transaction pooling has no -M prepared) is
# run anyway and shown as "unsupported" with its error, never as a
# measurement. Exit status is non-zero when anything else could not be
# measured (missing binary, failed pgbench, idle clients refused), so a
# partial run is never mistaken for a complete one.
#
# The default matrix (2 scripts x 3 modes x 2 client counts x 5 targets = 60
# runs of warm-up + DURATION, and 2 loads x 3 targets = 6 TLS runs) takes
# about 17 minutes on 2 cores, plus the build of pgsteer when PGSTEER_BIN is
# not given. For a smoke test:
#   DURATION=2 BENCH_WARMUP=0 BENCH_CLIENTS=4 BENCH_MODES=simple \
#   BENCH_SCRIPTS=select-only BENCH_IDLE_CLIENTS=200 BENCH_TLS_CLIENTS=4 contrib/bench.sh
#
# Environment (defaults in brackets):
#   DURATION         seconds per measured run [10]
#   BENCH_WARMUP     unmeasured seconds before each run, to fill pools [2]
#   BENCH_CLIENTS    client counts, space-separated [16 64]
#   BENCH_JOBS       pgbench threads (-j) [2]
#   BENCH_MODES      pgbench -M modes [simple extended prepared]
#   BENCH_SCRIPTS    select-only (-S) and/or tpcb-like [select-only tpcb-like]
#   BENCH_TARGETS    [direct null-relay pgbouncer pgpool pgsteer-primary pgsteer];
#                    pgsteer-w2 on request
#   BENCH_ROUNDS     repeat the whole matrix, targets interleaved; the
#                    table shows means (a shared machine is noisy) [1]
#   BENCH_SCALE      pgbench -i scale [10]
#   BENCH_POOL_SIZE  server pool size for PgBouncer and pgsteer [20]
#   BENCH_PGPOOL_CHILDREN  Pgpool-II num_init_children [largest BENCH_CLIENTS]
#   BENCH_PG_MAX_CONNECTIONS  max_connections of the three PostgreSQL nodes,
#                    room for every target's server connections at once [300]
#   BENCH_IDLE_CLIENTS  idle logged-in clients per pooler; 0 = no idle test [10000]
#   BENCH_IDLE_TARGETS  poolers given the idle test [pgbouncer pgsteer-primary pgsteer]
#   BENCH_TLS_TARGETS   poolers given the TLS-client runs, started even when
#                    not in BENCH_TARGETS; empty: no TLS runs
#                    [pgbouncer pgsteer-primary pgsteer-w2]
#   BENCH_TLS_CLIENTS   client counts of the TLS runs [16]
#   BENCH_TLS_LOADS  steady (long-lived TLS sessions) and/or connect (-C: a
#                    TLS handshake and login per transaction) [steady connect]
#   BENCH_NULL_RELAY_BIN  tests/bench/null_relay binary for the null-relay
#                    target [built next to pgsteer; with PGSTEER_BIN,
#                    ../tests/bench/null_relay beside it]
#   BENCH_CLASSIFY_BIN  bench_classify binary [built next to pgsteer; with
#                    PGSTEER_BIN, ../tests/bench/bench_classify beside it];
#                    "none" skips the classifier benchmark
#   BENCH_OUT        results directory [./bench-results]
#   PGSTEER_BIN      use this pgsteer binary instead of building one
#   BENCH_BUILD_DIR  where to build pgsteer [build-bench in the source tree]
#   PG_BIN           PostgreSQL binaries [/usr/lib/postgresql/15/bin]
#   BENCH_KEEP=1     keep the temporary directory (cluster data, generated configs)
#   BENCH_CAUSAL=1   also run the causal-read workload (--causal-only: only it) [0]
#   BENCH_CAUSAL_CLIENTS  client counts of the causal runs [8 32]
#   BENCH_CAUSAL_MODES    pgbench -M modes of the causal runs [simple extended]
#   BENCH_CAUSAL_TIMEOUT  causal_read_timeout of pgsteer-causal [5ms]
#   BENCH_CAUSAL_ROWS     rows preloaded for the second read [100000]
set -euo pipefail

SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PGCLUSTER=${PGCLUSTER:-$SRCDIR/contrib/pgcluster.sh}
export PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

DURATION=${DURATION:-10}
BENCH_WARMUP=${BENCH_WARMUP:-2}
BENCH_CLIENTS=${BENCH_CLIENTS:-16 64}
BENCH_JOBS=${BENCH_JOBS:-2}
BENCH_MODES=${BENCH_MODES:-simple extended prepared}
BENCH_SCRIPTS=${BENCH_SCRIPTS:-select-only tpcb-like}
BENCH_TARGETS=${BENCH_TARGETS:-direct null-relay pgbouncer pgpool pgsteer-primary pgsteer}
BENCH_ROUNDS=${BENCH_ROUNDS:-1}
BENCH_SCALE=${BENCH_SCALE:-10}
BENCH_POOL_SIZE=${BENCH_POOL_SIZE:-20}
BENCH_PGPOOL_CHILDREN=${BENCH_PGPOOL_CHILDREN:-$(tr -s ' ' '\n' <<<"$BENCH_CLIENTS" | sort -n | tail -n 1)}
BENCH_PG_MAX_CONNECTIONS=${BENCH_PG_MAX_CONNECTIONS:-300}
BENCH_IDLE_CLIENTS=${BENCH_IDLE_CLIENTS:-10000}
BENCH_IDLE_TARGETS=${BENCH_IDLE_TARGETS:-pgbouncer pgsteer-primary pgsteer}
BENCH_TLS_TARGETS=${BENCH_TLS_TARGETS-pgbouncer pgsteer-primary pgsteer-w2}
BENCH_TLS_CLIENTS=${BENCH_TLS_CLIENTS:-16}
BENCH_TLS_LOADS=${BENCH_TLS_LOADS:-steady connect}
BENCH_CLASSIFY_BIN=${BENCH_CLASSIFY_BIN:-}
BENCH_NULL_RELAY_BIN=${BENCH_NULL_RELAY_BIN:-}
BENCH_OUT=${BENCH_OUT:-./bench-results}
BENCH_BUILD_DIR=${BENCH_BUILD_DIR:-$SRCDIR/build-bench}
BENCH_CAUSAL=${BENCH_CAUSAL:-0}
BENCH_CAUSAL_CLIENTS=${BENCH_CAUSAL_CLIENTS:-8 32}
BENCH_CAUSAL_MODES=${BENCH_CAUSAL_MODES:-simple extended}
BENCH_CAUSAL_TIMEOUT=${BENCH_CAUSAL_TIMEOUT:-5ms}
BENCH_CAUSAL_ROWS=${BENCH_CAUSAL_ROWS:-100000}
CAUSAL_TARGETS="direct pgsteer-causal-off pgsteer-causal"
# Every setting, as a command line that reruns this benchmark (the doc prints it).
BENCH_COMMAND="DURATION=$DURATION BENCH_WARMUP=$BENCH_WARMUP BENCH_CLIENTS=\"$BENCH_CLIENTS\" \
BENCH_JOBS=$BENCH_JOBS BENCH_MODES=\"$BENCH_MODES\" BENCH_SCRIPTS=\"$BENCH_SCRIPTS\" \
BENCH_TARGETS=\"$BENCH_TARGETS\" BENCH_ROUNDS=$BENCH_ROUNDS BENCH_SCALE=$BENCH_SCALE \
BENCH_POOL_SIZE=$BENCH_POOL_SIZE BENCH_PGPOOL_CHILDREN=$BENCH_PGPOOL_CHILDREN \
BENCH_PG_MAX_CONNECTIONS=$BENCH_PG_MAX_CONNECTIONS BENCH_IDLE_CLIENTS=$BENCH_IDLE_CLIENTS \
BENCH_IDLE_TARGETS=\"$BENCH_IDLE_TARGETS\" BENCH_TLS_TARGETS=\"$BENCH_TLS_TARGETS\" \
BENCH_TLS_CLIENTS=\"$BENCH_TLS_CLIENTS\" BENCH_TLS_LOADS=\"$BENCH_TLS_LOADS\" contrib/bench.sh"

# The causal runs, as a command line (their section of the doc prints it).
CAUSAL_COMMAND="DURATION=$DURATION BENCH_WARMUP=$BENCH_WARMUP BENCH_JOBS=$BENCH_JOBS \
BENCH_ROUNDS=$BENCH_ROUNDS BENCH_POOL_SIZE=$BENCH_POOL_SIZE BENCH_PG_MAX_CONNECTIONS=$BENCH_PG_MAX_CONNECTIONS \
BENCH_CAUSAL_CLIENTS=\"$BENCH_CAUSAL_CLIENTS\" BENCH_CAUSAL_MODES=\"$BENCH_CAUSAL_MODES\" \
BENCH_CAUSAL_TIMEOUT=$BENCH_CAUSAL_TIMEOUT BENCH_CAUSAL_ROWS=$BENCH_CAUSAL_ROWS contrib/bench.sh --causal-only"

WRITE_DOC=0
CAUSAL_ONLY=0
DOC_FILE=$SRCDIR/doc/performance.md
for arg in "$@"; do
    case $arg in
    --write-doc) WRITE_DOC=1 ;;
    --write-doc=?*) WRITE_DOC=1 DOC_FILE=$(realpath -m "${arg#--write-doc=}") ;;
    --causal-only) CAUSAL_ONLY=1 BENCH_CAUSAL=1 ;;
    -h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "usage: $0 [--write-doc[=FILE]] [--causal-only]" >&2; exit 2 ;;
    esac
done
if [ "$BENCH_CAUSAL" = 1 ] && [ "$CAUSAL_ONLY" = 0 ]; then
    BENCH_COMMAND="BENCH_CAUSAL=1 BENCH_CAUSAL_CLIENTS=\"$BENCH_CAUSAL_CLIENTS\" \
BENCH_CAUSAL_MODES=\"$BENCH_CAUSAL_MODES\" BENCH_CAUSAL_TIMEOUT=$BENCH_CAUSAL_TIMEOUT \
BENCH_CAUSAL_ROWS=$BENCH_CAUSAL_ROWS $BENCH_COMMAND"
fi
if [ "$CAUSAL_ONLY" = 1 ]; then
    # nothing but the causal workload
    BENCH_TARGETS="" BENCH_TLS_TARGETS="" BENCH_IDLE_CLIENTS=0 BENCH_CLASSIFY_BIN=none
fi

PACKAGES=(build-essential autoconf automake pkg-config libevent-dev libssl-dev
          libinih-dev libpcre2-dev libpq-dev postgresql-15 postgresql-client-15
          pgbouncer pgpool2 python3 openssl)
if [ "$BENCH_CAUSAL" = 1 ]; then PACKAGES+=(curl); fi    # reads /metrics
if [ "$CAUSAL_ONLY" = 1 ]; then    # no PgBouncer, Pgpool-II or TLS runs
    CAUSAL_PACKAGES=()
    for pkg in "${PACKAGES[@]}"; do
        case $pkg in pgbouncer | pgpool2 | openssl) ;; *) CAUSAL_PACKAGES+=("$pkg") ;; esac
    done
    PACKAGES=("${CAUSAL_PACKAGES[@]}")
fi

CLK_TCK=$(getconf CLK_TCK)
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
# The source tree as it is when the run (and the build) starts: commits
# that land while it runs are not in the binary measured.
SRC_DESCRIBE=$(git -C "$SRCDIR" describe --always --dirty --tags 2>/dev/null || echo unknown)
PGSTEER_BUILD=""
WORK=""
LOGDIR=""
PGSTEER_PIDS=()
PGBOUNCER_PID=""
PGPOOL_PID=""
declare -A TARGET_PORT=() TARGET_PID=() TARGET_SKIP=() TLS_INFO=() TARGET_STATS_PORT=()
TLS_CERT=""
TLS_KEY=""
PROBLEMS=()

say() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }
loud() {
    printf '\nbench: ********************************************************\n' >&2
    printf 'bench: *** %s\n' "$@" >&2
    printf 'bench: ********************************************************\n\n' >&2
}

# ---------------------------------------------------------------- setup

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

# Optimised out-of-tree build (configure's default CFLAGS are -g -O2), kept
# apart from build/ so that a debug or sanitizer build there is never measured.
# Sets PGSTEER_BIN, or leaves it empty when the build fails.
build_pgsteer() {
    if [ -n "${PGSTEER_BIN:-}" ]; then
        say "using PGSTEER_BIN=$PGSTEER_BIN (not building)"
        PGSTEER_BUILD="binary given by PGSTEER_BIN"
        return 0
    fi
    local log=$LOGDIR/build.log
    say "building pgsteer (-O2) in $BENCH_BUILD_DIR (log: $log)"
    # (&& chains: set -e does not apply inside an if condition)
    if {
        if [ ! -f "$BENCH_BUILD_DIR/Makefile" ]; then
            { [ -x "$SRCDIR/configure" ] || (cd "$SRCDIR" && autoreconf -fi); } &&
                mkdir -p "$BENCH_BUILD_DIR" &&
                (cd "$BENCH_BUILD_DIR" && "$SRCDIR/configure" CFLAGS="-g -O2")
        fi
    } >"$log" 2>&1 && make -C "$BENCH_BUILD_DIR" -j2 >>"$log" 2>&1; then
        PGSTEER_BIN=$BENCH_BUILD_DIR/src/pgsteer
        PGSTEER_BUILD="built with -O2 by bench.sh"
    else
        tail -n 15 "$log" >&2 || true
        PGSTEER_BIN=""
    fi
}

port_in_use() {
    timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# A free block of $1 consecutive ports, starting at a random point in
# 20000-29999 so that concurrent runs (and test suites) rarely collide.
free_ports() {
    local count=$1 p i ok tries
    for ((tries = 0; tries < 200; tries++)); do
        p=$((20000 + RANDOM % 10000))
        ok=1
        for ((i = 0; i < count; i++)); do
            if port_in_use $((p + i)); then ok=0; break; fi
        done
        if [ "$ok" = 1 ]; then echo "$p"; return 0; fi
    done
    die "no block of $count free ports found"
}

wait_port() {
    local port=$1 pid=$2 name=$3 i
    for ((i = 0; i < 100; i++)); do
        port_in_use "$port" && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    say "$name (pid $pid) does not accept connections on port $port after 10 s"
    return 1
}

psql_at() {
    "$PG_BIN/psql" -X -q -A -t -h 127.0.0.1 -p "$1" -U postgres -d postgres -c "$2"
}

start_cluster() {
    PG_PORT=$(free_ports 3)
    say "starting primary + 2 replicas on ports $PG_PORT-$((PG_PORT + 2))"
    "$PGCLUSTER" start "$WORK/cluster" "$PG_PORT"
    raise_max_connections
    if [ "$CAUSAL_ONLY" = 0 ]; then    # the causal workload has a table of its own
        say "pgbench -i -s $BENCH_SCALE on the primary"
        "$PG_BIN/pgbench" -i -q -s "$BENCH_SCALE" -h 127.0.0.1 -p "$PG_PORT" -U postgres postgres \
            >"$LOGDIR/pgbench-init.log" 2>&1 || { cat "$LOGDIR/pgbench-init.log" >&2; die "pgbench -i failed"; }
    fi
    # The replicas should hold the data too before anything is measured.
    wait_replicas
}

wait_replicas() {
    local lsn i
    lsn=$(psql_at "$PG_PORT" "SELECT pg_current_wal_insert_lsn()")
    for ((i = 0; i < 300; i++)); do
        if [ "$(psql_at "$PG_PORT" "SELECT count(*) FROM pg_stat_replication
                WHERE replay_lsn >= '$lsn'::pg_lsn")" = 2 ]; then
            return 0
        fi
        sleep 0.2
    done
    say "warning: replicas have not replayed $lsn after 60 s"
}

# pgcluster.sh allows 200 connections per node; every target keeps its
# server connections while the others run (PgBouncer and pgsteer a pool
# each, Pgpool-II one per child on every node), so make room. ALTER SYSTEM
# (postgresql.auto.conf) is read after pgcluster.sh's include, and a standby
# needs at least its primary's max_connections: set all three, restart all.
raise_max_connections() {
    local port
    [ "$BENCH_PG_MAX_CONNECTIONS" -gt 200 ] || return 0
    for port in "$PG_PORT" $((PG_PORT + 1)) $((PG_PORT + 2)); do
        psql_at "$port" "ALTER SYSTEM SET max_connections = $BENCH_PG_MAX_CONNECTIONS"
    done
    "$PGCLUSTER" stop "$WORK/cluster"
    "$PGCLUSTER" start "$WORK/cluster" "$PG_PORT"
    [ "$(psql_at "$((PG_PORT + 2))" "SHOW max_connections")" = "$BENCH_PG_MAX_CONNECTIONS" ] ||
        die "max_connections = $BENCH_PG_MAX_CONNECTIONS did not take effect"
}

# Client connections a pooler must accept: pgbench's plus the idle test's.
max_client_conn() {
    local n=$((BENCH_IDLE_CLIENTS + 200))
    [ "$n" -ge 1000 ] || n=1000
    echo "$n"
}

# A self-signed server certificate for the TLS runs, made for this run (RSA
# 2048). pgbench's sslmode=require encrypts without verifying it. Without
# it the proxies get no TLS settings and every TLS run fails, which is
# reported.
make_tls_cert() {
    local dir=$WORK/tls
    mkdir -p "$dir"
    if ! openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
        -keyout "$dir/server.key" -out "$dir/server.crt" >"$LOGDIR/openssl.log" 2>&1; then
        cat "$LOGDIR/openssl.log" >&2
        PROBLEMS+=("openssl could not make the TLS certificate (log: $LOGDIR/openssl.log)")
        return 0
    fi
    chmod 600 "$dir/server.key"
    chown -R postgres: "$dir"    # PgBouncer reads them as postgres
    TLS_CERT=$dir/server.crt TLS_KEY=$dir/server.key
}

# Client TLS settings for a proxy in BENCH_TLS_TARGETS. Offered, not
# required: the plain runs use the same process with sslmode=disable, and a
# TLS run's sslmode=require fails on a proxy that does not do TLS.
tls_settings() {
    has_tls_target "$1" && [ -n "$TLS_CERT" ] || return 0
    printf 'client_tls_sslmode = prefer\nclient_tls_cert_file = %s\nclient_tls_key_file = %s\n' \
        "$TLS_CERT" "$TLS_KEY"
}

start_direct() {
    TARGET_PORT[direct]=$PG_PORT
    TARGET_PID[direct]=""
}

# bench_bin NAME GIVEN: a tests/bench program, GIVEN (its BENCH_*_BIN) if
# set, else the one built beside PGSTEER_BIN in its build tree.
bench_bin() {
    if [ -n "$2" ]; then
        echo "$2"
    elif [ -n "${PGSTEER_BIN:-}" ]; then
        echo "$(dirname "$PGSTEER_BIN")/../tests/bench/$1"
    fi
}

# null-relay: a connection to the primary per client, bytes moved with one
# recv() and one send(), nothing else (tests/bench/null_relay.c): the CPU
# any proxy pays for relaying over these sockets.
start_null_relay() {
    local bin port pid
    bin=$(bench_bin null_relay "$BENCH_NULL_RELAY_BIN")
    if [ -z "$bin" ] || [ ! -x "$bin" ]; then
        TARGET_SKIP[null-relay]="no null_relay binary (${bin:-none}; set BENCH_NULL_RELAY_BIN)"
        return 0
    fi
    port=$(free_ports 1)
    setsid "$bin" "$port" "$PG_PORT" >"$WORK/null-relay.log" 2>&1 </dev/null &
    pid=$!
    PGSTEER_PIDS+=("$pid")
    if ! wait_port "$port" "$pid" null-relay; then
        TARGET_SKIP[null-relay]="null_relay did not come up (log: $WORK/null-relay.log)"
        return 0
    fi
    TARGET_PORT[null-relay]=$port
    TARGET_PID[null-relay]=$pid
    say "null-relay on port $port (pid $pid)"
}

# PgBouncer refuses to run as root: its files belong to postgres.
start_pgbouncer() {
    local dir=$WORK/pgbouncer port tls
    if ! command -v pgbouncer >/dev/null; then
        TARGET_SKIP[pgbouncer]="pgbouncer is not installed"
        return 0
    fi
    port=$(free_ports 1)
    mkdir -p "$dir"
    echo '"postgres" ""' >"$dir/userlist.txt"
    tls=$(tls_settings pgbouncer)
    cat >"$dir/pgbouncer.ini" <<EOF
[databases]
* = host=127.0.0.1 port=$PG_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
default_pool_size = $BENCH_POOL_SIZE
max_client_conn = $(max_client_conn)
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid${tls:+
$tls}
EOF
    chown -R postgres: "$dir"
    # runuser's PAM session puts the soft open-file limit back to 1024:
    # raise it again for the idle-clients test (PgBouncer does not).
    # shellcheck disable=SC2016  # expanded by that sh
    if ! runuser -u postgres -- sh -c 'ulimit -Sn "$(ulimit -Hn)" && exec pgbouncer -d "$1"' sh \
        "$dir/pgbouncer.ini" >"$WORK/pgbouncer.out" 2>&1; then
        cat "$WORK/pgbouncer.out" >&2
        TARGET_SKIP[pgbouncer]="pgbouncer failed to start (log: $LOGDIR/pgbouncer.log)"
        return 0
    fi
    local i=0
    while [ ! -s "$dir/pgbouncer.pid" ] && [ $((i += 1)) -le 50 ]; do sleep 0.1; done
    PGBOUNCER_PID=$(cat "$dir/pgbouncer.pid" 2>/dev/null || true)
    if [ -z "$PGBOUNCER_PID" ] || ! wait_port "$port" "$PGBOUNCER_PID" pgbouncer; then
        TARGET_SKIP[pgbouncer]="pgbouncer did not come up (log: $LOGDIR/pgbouncer.log)"
        return 0
    fi
    TARGET_PORT[pgbouncer]=$port
    TARGET_PID[pgbouncer]=$PGBOUNCER_PID
    say "pgbouncer $(pgbouncer --version | head -n 1 | awk '{print $2}') on port $port (pid $PGBOUNCER_PID)"
}

# Pgpool-II as its Debian package is used for load balancing: streaming-
# replication mode over primary + 2 replicas (equal weights, session-level
# balancing), connection cache on, one preforked child per client. Health
# and streaming-replication checks run as postgres (trust); nodes are marked
# DISALLOW_TO_FAILOVER and failover_on_backend_error is off, so a slow check
# under load never detaches a node in the middle of a measurement. It runs
# in the foreground (-n) in its own session, so that its process group is
# exactly pgpool and its children.
start_pgpool() {
    local dir=$WORK/pgpool port pcp_port pid i up=""
    if ! command -v pgpool >/dev/null; then
        TARGET_SKIP[pgpool]="pgpool is not installed (Debian package pgpool2)"
        return 0
    fi
    port=$(free_ports 2)
    pcp_port=$((port + 1))
    mkdir -p "$dir"
    : >"$dir/pcp.conf"
    : >"$dir/pool_hba.conf"
    {
        cat <<EOF
# written by contrib/bench.sh: load balancing over primary + 2 replicas
backend_clustering_mode = 'streaming_replication'
listen_addresses = '127.0.0.1'
port = $port
socket_dir = '$dir'
pcp_listen_addresses = ''
pcp_port = $pcp_port
pcp_socket_dir = '$dir'
wd_ipc_socket_dir = '$dir'
use_watchdog = off
pid_file_name = '$dir/pgpool.pid'
logdir = '$dir'
log_destination = 'stderr'
log_min_messages = warning
enable_pool_hba = off
pool_passwd = ''
num_init_children = $BENCH_PGPOOL_CHILDREN
reserved_connections = 0
max_pool = 1
connection_cache = on
child_life_time = 0
child_max_connections = 0
connection_life_time = 0
client_idle_limit = 0
load_balance_mode = on
statement_level_load_balance = off
memory_cache_enabled = off
sr_check_period = 10
sr_check_user = 'postgres'
sr_check_password = ''
sr_check_database = 'postgres'
health_check_period = 10
health_check_timeout = 10
health_check_user = 'postgres'
health_check_password = ''
health_check_database = 'postgres'
health_check_max_retries = 3
failover_on_backend_error = off
failover_command = ''
search_primary_node_timeout = 10
EOF
        for i in 0 1 2; do
            cat <<EOF
backend_hostname$i = '127.0.0.1'
backend_port$i = $((PG_PORT + i))
backend_weight$i = 1
backend_flag$i = 'DISALLOW_TO_FAILOVER'
EOF
        done
    } >"$dir/pgpool.conf"
    setsid pgpool -n -D -f "$dir/pgpool.conf" -F "$dir/pcp.conf" -a "$dir/pool_hba.conf" \
        >"$dir/pgpool.log" 2>&1 </dev/null &
    pid=$!
    PGPOOL_PID=$pid
    if ! wait_port "$port" "$pid" pgpool; then
        tail -n 15 "$dir/pgpool.log" >&2 || true
        TARGET_SKIP[pgpool]="pgpool did not come up (log: $LOGDIR/pgpool.log)"
        return 0
    fi
    # Usable once it has found the primary and sees all three nodes up.
    for ((i = 0; i < 100; i++)); do
        up=$(psql_at "$port" "SHOW pool_nodes" 2>/dev/null |
            awk -F'|' '$4 == "up" { n++; if ($7 == "primary") p++ } END { print n + 0 "/" p + 0 }') || true
        [ "$up" = 3/1 ] && break
        sleep 0.2
    done
    if [ "$up" != 3/1 ]; then
        TARGET_SKIP[pgpool]="pgpool does not see 3 nodes up with one primary (up/primary: $up; log: $LOGDIR/pgpool.log)"
        return 0
    fi
    TARGET_PORT[pgpool]=$port
    TARGET_PID[pgpool]=$pid
    say "pgpool $(pgpool --version 2>&1 | awk '{print $3}') on port $port (pid $pid, $BENCH_PGPOOL_CHILDREN children, 3 nodes up)"
}

# start_pgsteer NAME NODES [WORKERS [CAUSAL]]: NODES is "primary" (main1
# only) or "all"; with CAUSAL (a causal_read_timeout), the admin console
# (user admin) and /metrics on the next port, for the causal runs.
start_pgsteer() {
    local name=$1 nodes=$2 workers=${3:-1} causal=${4:-} dir=$WORK/$1 port out pid extra
    local stats_listen="                     ; off: PgBouncer has no HTTP endpoint either" routing=""
    if [ -z "${PGSTEER_BIN:-}" ] || [ ! -x "$PGSTEER_BIN" ]; then
        TARGET_SKIP[$name]="no pgsteer binary (${PGSTEER_BIN:-build failed, see $LOGDIR/build.log})"
        return 0
    fi
    if [ -n "$causal" ]; then
        port=$(free_ports 2)
        extra="admin_users = admin              ; SHOW NODES: reads per node"
        stats_listen=" 127.0.0.1:$((port + 1))      ; /metrics: causal waits"
        routing="[routing]
causal_read_timeout = $causal
"
    else
        port=$(free_ports 1)
        extra=$(tls_settings "$name")
    fi
    mkdir -p "$dir"
    cat >"$dir/pgsteer.ini" <<EOF
; written by contrib/bench.sh: same pooling as the PgBouncer target
[pgsteer]
listen_addr = 127.0.0.1
listen_port = $port
auth_type = trust
pool_mode = transaction
default_pool_size = $BENCH_POOL_SIZE
max_client_conn = $(max_client_conn)
workers = $workers
${extra:+$extra
}${routing:+
$routing}
[stats]
listen =$stats_listen

[cluster.main]

[node.main1]
cluster = main
host = 127.0.0.1
port = $PG_PORT

EOF
    if [ "$nodes" = all ]; then
        cat >>"$dir/pgsteer.ini" <<EOF

[node.main2]
cluster = main
host = 127.0.0.1
port = $((PG_PORT + 1))

[node.main3]
cluster = main
host = 127.0.0.1
port = $((PG_PORT + 2))
EOF
    fi
    if ! out=$("$PGSTEER_BIN" --check-config -c "$dir/pgsteer.ini" 2>&1); then
        printf '%s\n' "$out" >&2
        TARGET_SKIP[$name]="pgsteer --check-config rejected $dir/pgsteer.ini"
        return 0
    fi
    # A session of its own, as PgBouncer's -d and Pgpool-II get: with the
    # kernel's autogroup scheduling, a proxy left in this script's session
    # shares one CPU group with pgbench and is preempted far more often.
    setsid "$PGSTEER_BIN" -c "$dir/pgsteer.ini" >"$dir/$name.log" 2>&1 </dev/null &
    pid=$!
    PGSTEER_PIDS+=("$pid")
    if ! wait_port "$port" "$pid" "$name"; then
        tail -n 15 "$dir/$name.log" >&2 || true
        TARGET_SKIP[$name]="pgsteer did not come up (log: $LOGDIR/$name.log)"
        return 0
    fi
    TARGET_PORT[$name]=$port
    TARGET_PID[$name]=$pid
    [ -z "$causal" ] || TARGET_STATS_PORT[$name]=$((port + 1))
    say "$name: $("$PGSTEER_BIN" -V 2>&1 | head -n 1) on port $port (pid $pid, nodes: $nodes${causal:+, causal_read_timeout = $causal, /metrics on $((port + 1))})"
}

# Fast shutdown (SIGINT), then whatever is left of its process group.
# shellcheck disable=SC2317  # invoked by the EXIT trap
stop_pgpool() {
    local i
    kill -INT "$PGPOOL_PID" 2>/dev/null
    for ((i = 0; i < 100; i++)); do
        kill -0 "$PGPOOL_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL -- "-$PGPOOL_PID" 2>/dev/null
    wait "$PGPOOL_PID" 2>/dev/null
    PGPOOL_PID=""
}

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
    local rc=$?
    set +e
    for pid in "${PGSTEER_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
    if [ -n "$PGBOUNCER_PID" ]; then kill -TERM "$PGBOUNCER_PID" 2>/dev/null; fi
    if [ -n "$PGPOOL_PID" ]; then stop_pgpool; fi
    if [ -n "$WORK" ]; then
        cp "$WORK/pgsteer/pgsteer.log" "$WORK/pgsteer-primary/pgsteer-primary.log" \
            "$WORK/pgsteer-w2/pgsteer-w2.log" \
            "$WORK/pgsteer-causal-off/pgsteer-causal-off.log" "$WORK/pgsteer-causal/pgsteer-causal.log" \
            "$WORK/pgbouncer/pgbouncer.log" "$WORK/pgbouncer/pgbouncer.ini" \
            "$WORK/pgpool/pgpool.log" "$WORK/pgpool/pgpool.conf" "$LOGDIR/" 2>/dev/null
        cp "$WORK/pgsteer/pgsteer.ini" "$LOGDIR/pgsteer.ini" 2>/dev/null
        cp "$WORK/pgsteer-primary/pgsteer.ini" "$LOGDIR/pgsteer-primary.ini" 2>/dev/null
        cp "$WORK/pgsteer-w2/pgsteer.ini" "$LOGDIR/pgsteer-w2.ini" 2>/dev/null
        cp "$WORK/pgsteer-causal-off/pgsteer.ini" "$LOGDIR/pgsteer-causal-off.ini" 2>/dev/null
        cp "$WORK/pgsteer-causal/pgsteer.ini" "$LOGDIR/pgsteer-causal.ini" 2>/dev/null
        [ -d "$WORK/cluster" ] && "$PGCLUSTER" destroy "$WORK/cluster"
        if [ "${BENCH_KEEP:-0}" = 1 ]; then
            say "kept $WORK"
        else
            rm -rf "$WORK"
        fi
    fi
    exit "$rc"
}

# ---------------------------------------------------------------- measuring

# CPU time of a process and all its descendants, in clock ticks: utime+stime
# (fields 14, 15 of /proc/PID/stat) of every live process in the tree plus
# cutime+cstime (16, 17), the time of children already reaped, so that a
# Pgpool-II child that exits during a run still counts. The command name in
# field 2 may contain spaces and ')': cut after its last ") ".
tree_cpu_ticks() {
    { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v root="$1" '
    {
        pid = $1; sub(/^.*\) /, "")
        parent[pid] = $2; ticks[pid] = $12 + $13 + $14 + $15
    }
    END {
        if (!(root in ticks)) { print "gone"; exit }
        in_tree[root] = 1
        do {
            grew = 0
            for (p in parent)
                if (!(p in in_tree) && (parent[p] in in_tree)) { in_tree[p] = 1; grew = 1 }
        } while (grew)
        for (p in in_tree) sum += ticks[p]
        print sum
    }'
}

# "AVG_MS P99_MS COUNT" of the transaction latencies (µs, third field) in
# pgbench's per-transaction logs under DIR (one file per pgbench thread);
# p99 is the smallest latency that 99 % of the transactions do not exceed.
# Failed transactions ("failed" in that field) are left out.
latency_stats() {
    local dir=$1 sorted=$1/sorted n idx
    { cat "$dir"/tx.* 2>/dev/null || true; } | awk '$3 ~ /^[0-9]+$/ { print $3 }' | sort -n >"$sorted"
    n=$(wc -l <"$sorted")
    [ "$n" -gt 0 ] || return 0
    idx=$(((n * 99 + 99) / 100))
    awk -v n="$n" -v p99="$(sed -n "${idx}p" "$sorted")" \
        '{ s += $1 } END { printf "%.3f %.3f %d\n", s / n / 1000, p99 / 1000, n }' "$sorted"
}

# The first error pgbench printed, fit for one CSV field and a table cell:
# the server's ERROR/FATAL if there is one (pgbench's threads may interleave
# their "pgbench: error:" prefixes), else pgbench's own first complaint.
first_error() {
    local line
    line=$(grep -m 1 -oE '(ERROR|FATAL): .*' "$1" || true)
    [ -n "$line" ] || line=$({ grep -m 1 -iE 'error|fatal|abort' "$1" || true; } | sed 's/^pgbench: error: //')
    sed -e 's/[,|]/;/g' -e 's/  */ /g' <<<"$line" | cut -c 1-200
}

# A failure that is a known limitation of the tool, not a broken run:
# PgBouncer before 1.21 (and later ones without max_prepared_statements)
# does not carry named prepared statements under transaction pooling, so a
# client's statement is missing on the next server, or another client's
# statement of the same name is already there. (With few clients it may
# happen to work for a whole run: then it is measured like any other.)
is_unsupported() {
    local target=$1 mode=$2 error=$3
    [ "$target" = pgbouncer ] && [ "$mode" = prepared ] &&
        [[ $error == *"prepared statement"*"does not exist"* || $error == *"prepared statement"*"already exists"* ]]
}

# One measured pgbench run; appends a CSV row and prints a status line.
# run_one TARGET SCRIPT MODE CLIENTS ROUND [LOAD]: with LOAD (steady or
# connect) a TLS run, sslmode=require and -C for connect, its row in the TLS
# CSV with LOAD where the script would be; without, sslmode=disable.
run_one() {
    local target=$1 script=$2 mode=$3 clients=$4 round=$5 load=${6:-}
    local what=$script csv=$CSV sslmode=disable
    if [ -n "$load" ]; then what=tls-$load csv=$TLS_CSV sslmode=require; fi
    local port=${TARGET_PORT[$target]} pid=${TARGET_PID[$target]}
    local log=$LOGDIR/pgbench-$target-$what-$mode-c$clients-r$round.log
    local txdir=$WORK/txlog/$target-$what-$mode-c$clients-r$round
    local args=(-n -M "$mode" -c "$clients" -j "$BENCH_JOBS" -h 127.0.0.1 -p "$port" -U postgres)
    local t0=0 t1=0 status=ok tps="" lat="" p99="" txs="" failed="" cpu_us="" error="" stats
    case $script in
    select-only) args+=(-S) ;;
    tpcb-like) args+=(-b tpcb-like) ;;
    *) die "unknown script $script (BENCH_SCRIPTS: select-only tpcb-like)" ;;
    esac
    [ "$load" != connect ] || args+=(-C)

    if [ "$BENCH_WARMUP" -gt 0 ]; then
        PGSSLMODE=$sslmode "$PG_BIN/pgbench" "${args[@]}" -T "$BENCH_WARMUP" postgres >"$log.warmup" 2>&1 || true
    fi
    mkdir -p "$txdir"
    [ -n "$pid" ] && t0=$(tree_cpu_ticks "$pid")
    if ! PGSSLMODE=$sslmode "$PG_BIN/pgbench" "${args[@]}" -T "$DURATION" --log --log-prefix="$txdir/tx" postgres \
        >"$log" 2>&1; then
        status=failed
    fi
    if [ -n "$pid" ]; then
        t1=$(tree_cpu_ticks "$pid")
        [ "$t1" != gone ] || status=proxy-died
    fi
    # (with -C, pgbench's TPS includes the time spent connecting)
    tps=$(sed -n 's/^tps = \([0-9.]*\) (\(without initial connection time\|including reconnection times\))$/\1/p' "$log")
    txs=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$log")
    failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$log")
    [ -n "$tps" ] && [ -n "$txs" ] || [ "$status" != ok ] || status=failed
    if [ "$status" = ok ]; then
        stats=$(latency_stats "$txdir")
        if [ -n "$stats" ]; then
            read -r lat p99 _ <<<"$stats"
        else
            status=failed error="no per-transaction log"
        fi
    fi
    if [ "$status" = ok ] && [ -n "$pid" ] && [ "$txs" -gt 0 ]; then
        cpu_us=$(awk -v d=$((t1 - t0)) -v hz="$CLK_TCK" -v n="$txs" 'BEGIN { printf "%.1f", d / hz * 1e6 / n }')
    fi
    rm -rf "$txdir"
    if [ "$status" != ok ]; then
        # Partial numbers of a failed run are never reported as a measurement.
        tps="" lat="" p99="" cpu_us=""
        [ -n "$error" ] || error=$(first_error "$log")
        [ -n "$error" ] || error="pgbench failed without an error message"
        if [ "$status" = failed ] && is_unsupported "$target" "$mode" "$error"; then
            status=unsupported
        else
            PROBLEMS+=("$target ${load:+TLS $load }$script -M $mode -c $clients round $round: $status: $error (log: $log)")
            tail -n 5 "$log" >&2 || true
        fi
    fi
    echo "$STAMP,$target,${load:-$script},$mode,$clients,$BENCH_JOBS,$DURATION,$BENCH_POOL_SIZE,$tps,$lat,$p99,$txs,${failed:-0},$cpu_us,$status,$round,$error" >>"$csv"
    say "$(printf 'r%s %-15s %-11s %-8s c=%-3s tps=%-9s avg=%-6s p99=%-6s ms cpu=%-5s us/tx %s' \
        "$round" "$target" "$what" "$mode" "$clients" "${tps:--}" "${lat:--}" "${p99:--}" "${cpu_us:--}" \
        "$status${error:+ ($error)}")"
}

# Soft open-file limit of a running process.
nofile_limit() {
    awk '/^Max open files/ { print $4 }' "/proc/$1/limits"
}

# BENCH_IDLE_CLIENTS logged-in idle clients on one pooler: its RSS before
# and with them; appends a row to the idle CSV.
idle_one() {
    local target=$1 port=${TARGET_PORT[$1]} pid=${TARGET_PID[$1]} n=$BENCH_IDLE_CLIENTS
    local log=$LOGDIR/idle-$target.log out="" status=ok before="" idle="" per="" secs="" error="" limit
    limit=$(nofile_limit "$pid")
    if [ "$limit" != unlimited ] && [ "$limit" -lt $((n + BENCH_POOL_SIZE * 3 + 20)) ]; then
        status=failed error="$target's open file limit is $limit; $n clients need more"
    else
        out=$(python3 "$SRCDIR/tests/bench/idle_clients.py" --port "$port" --pid "$pid" --count "$n" 2>"$log") ||
            status=failed
        before=$(sed -n 's/^rss_before_kib=//p' <<<"$out")
        idle=$(sed -n 's/^rss_idle_kib=//p' <<<"$out")
        secs=$(sed -n 's/^open_seconds=//p' <<<"$out")
        error=$(sed -n 's/^error=//p' <<<"$out" | sed 's/[,|]/;/g')
        kill -0 "$pid" 2>/dev/null || status=proxy-died
    fi
    if [ "$status" = ok ] && [ -n "$before" ] && [ -n "$idle" ]; then
        per=$(awk -v a="$before" -v b="$idle" -v n="$n" 'BEGIN { printf "%.2f", (b - a) / n }')
    else
        [ "$status" != ok ] || status=failed
        [ -n "$error" ] || error="idle_clients.py failed (log: $log)"
        before="" idle="" per=""
        PROBLEMS+=("idle test on $target: $status: $error")
    fi
    echo "$STAMP,$target,$n,$before,$idle,$per,$secs,$status,$error" >>"$IDLE_CSV"
    say "idle $target: $n clients, RSS ${before:--} -> ${idle:--} KiB, ${per:--} KiB/client, opened in ${secs:--} s $status${error:+ ($error)}"
}

# ---------------------------------------------------------------- causal reads

# The causal workload's table, its pgbench script, and synchronous_commit = on
# on the primary: with pgcluster.sh's off a commit reaches the replicas only
# when the WAL writer flushes it (wal_writer_delay, 200 ms), far beyond any
# causal wait. ALTER SYSTEM + reload reaches pooled sessions too.
causal_setup() {
    local sql i
    for sql in "CREATE TABLE bench_causal (id bigint PRIMARY KEY, v int NOT NULL)" \
        "INSERT INTO bench_causal SELECT g, 0 FROM generate_series(1, $BENCH_CAUSAL_ROWS) g" \
        "VACUUM ANALYZE bench_causal" "ALTER SYSTEM SET synchronous_commit = on" "SELECT pg_reload_conf()"; do
        psql_at "$PG_PORT" "$sql" >/dev/null
    done
    wait_replicas
    for ((i = 0; i < 50; i++)); do
        [ "$(psql_at "$PG_PORT" "SHOW synchronous_commit")" = on ] && break
        sleep 0.1
    done
    [ "$(psql_at "$PG_PORT" "SHOW synchronous_commit")" = on ] ||
        die "synchronous_commit = on did not take effect on the primary"
    # A random id out of 2^63: a repeat (which would end the run with a
    # unique violation, not a stale read) is a 1 in 10^7 event for the
    # inserts of a whole run.
    cat >"$WORK/causal.sql" <<EOF
\set id random(1000000000, 9000000000000000000)
\set other random(1, $BENCH_CAUSAL_ROWS)
INSERT INTO bench_causal (id, v) VALUES (:id, :client_id);
SELECT 1/count(*) FROM bench_causal WHERE id = :id;
SELECT v FROM bench_causal WHERE id = :other;
EOF
    cp "$WORK/causal.sql" "$LOGDIR/causal.sql"
    say "causal workload: bench_causal with $BENCH_CAUSAL_ROWS rows, synchronous_commit = on on the primary"
}

# Back to pgcluster.sh's synchronous_commit = off, for whatever runs later.
causal_teardown() {
    psql_at "$PG_PORT" "ALTER SYSTEM RESET synchronous_commit" >/dev/null || true
    psql_at "$PG_PORT" "SELECT pg_reload_conf()" >/dev/null || true
}

# "READS REPLICA_READS" summed over the nodes of a pgsteer target's SHOW NODES
# (replica: role replica), or nothing when the console does not answer.
causal_node_reads() {
    "$PG_BIN/psql" -X -q -A -F '|' -P footer=off -h 127.0.0.1 -p "$1" -U admin -d pgsteer \
        -c 'SHOW NODES' 2>/dev/null | awk -F'|' '
        NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        ("reads" in col) { all += $col["reads"]; if ($col["role"] == "replica") rep += $col["reads"]; ok = 1 }
        END { if (ok) print all + 0, rep + 0 }' || true
}

# "CAUGHT_UP TIMEOUT WAIT_SUM_S WAIT_COUNT" from a pgsteer target's /metrics.
causal_metrics() {
    curl -sf --max-time 5 "http://127.0.0.1:$1/metrics" 2>/dev/null | awk '
        /^pgsteer_causal_waits_total\{.*result="caught_up"/ { cu += $NF; ok = 1 }
        /^pgsteer_causal_waits_total\{.*result="timeout"/ { to += $NF }
        /^pgsteer_causal_wait_seconds_sum/ { sum += $NF }
        /^pgsteer_causal_wait_seconds_count/ { n += $NF }
        END { if (ok) printf "%d %d %.9f %d\n", cu, to, sum, n }' || true
}

# One measured run of the causal workload; appends a row to the causal CSV.
# run_causal TARGET MODE CLIENTS ROUND
run_causal() {
    local target=$1 mode=$2 clients=$3 round=$4
    local port=${TARGET_PORT[$target]} pid=${TARGET_PID[$target]} sport=${TARGET_STATS_PORT[$target]:-}
    local log=$LOGDIR/pgbench-$target-causal-$mode-c$clients-r$round.log
    local txdir=$WORK/txlog/$target-causal-$mode-c$clients-r$round
    local args=(-n -M "$mode" -c "$clients" -j "$BENCH_JOBS" -h 127.0.0.1 -p "$port" -U postgres -f "$WORK/causal.sql")
    local t0=0 t1=0 status=ok tps="" lat="" p99="" txs="" failed="" stale=0 cpu_us="" error="" stats
    local crt="" n0="" n1="" m0="" m1="" reads="" rreads="" share="" cu="" to="" wait_us=""
    case $target in
    pgsteer-causal-off) crt=0 ;;
    pgsteer-causal) crt=$BENCH_CAUSAL_TIMEOUT ;;
    esac
    if [ "$BENCH_WARMUP" -gt 0 ]; then
        PGSSLMODE=disable "$PG_BIN/pgbench" "${args[@]}" -T "$BENCH_WARMUP" postgres >"$log.warmup" 2>&1 || true
    fi
    mkdir -p "$txdir"
    if [ -n "$sport" ]; then
        n0=$(causal_node_reads "$port")
        m0=$(causal_metrics "$sport")
    fi
    [ -n "$pid" ] && t0=$(tree_cpu_ticks "$pid")
    if ! PGSSLMODE=disable "$PG_BIN/pgbench" "${args[@]}" -T "$DURATION" --log --log-prefix="$txdir/tx" postgres \
        >"$log" 2>&1; then
        status=failed
    fi
    if [ -n "$pid" ]; then
        t1=$(tree_cpu_ticks "$pid")
        [ "$t1" != gone ] || status=proxy-died
    fi
    if [ -n "$sport" ] && [ "$status" != proxy-died ]; then
        n1=$(causal_node_reads "$port")
        m1=$(causal_metrics "$sport")
    fi
    tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p' "$log")
    txs=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$log")
    failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$log")
    # A stale read aborts its client, and pgbench prints the server's error.
    stale=$(grep -c 'division by zero' "$log" || true)
    if [ "$stale" -gt 0 ]; then
        status=stale error="$stale client(s) aborted by a stale read (division by zero)"
    fi
    [ -n "$tps" ] && [ -n "$txs" ] || [ "$status" != ok ] || status=failed
    if [ "$status" = ok ]; then
        stats=$(latency_stats "$txdir")
        if [ -n "$stats" ]; then
            read -r lat p99 _ <<<"$stats"
        else
            status=failed error="no per-transaction log"
        fi
    fi
    if [ "$status" = ok ] && [ -n "$pid" ] && [ "$txs" -gt 0 ]; then
        cpu_us=$(awk -v d=$((t1 - t0)) -v hz="$CLK_TCK" -v n="$txs" 'BEGIN { printf "%.1f", d / hz * 1e6 / n }')
    fi
    if [ "$status" = ok ] && [ -n "$sport" ]; then
        if [ -n "$n0" ] && [ -n "$n1" ] && [ -n "$m0" ] && [ -n "$m1" ]; then
            # shellcheck disable=SC2034  # rreads: read, written to the CSV
            read -r reads rreads share cu to wait_us <<<"$(awk -v n0="$n0" -v n1="$n1" -v m0="$m0" -v m1="$m1" 'BEGIN {
                split(n0, a, " "); split(n1, b, " "); split(m0, c, " "); split(m1, d, " ")
                r = b[1] - a[1]; rr = b[2] - a[2]; w = d[4] - c[4]
                printf "%d %d %s %d %d %s\n", r, rr, (r > 0 ? sprintf("%.1f", 100 * rr / r) : "-"),
                    d[1] - c[1], d[2] - c[2], (w > 0 ? sprintf("%.0f", (d[3] - c[3]) / w * 1e6) : "-")
            }')"
            [ "$share" != - ] || share=""
            [ "$wait_us" != - ] || wait_us=""
            [ -n "$to" ] || status=failed error="could not compute the reads and waits of the run"
        else
            status=failed error="SHOW NODES or /metrics did not answer (ports $port and $sport)"
        fi
    fi
    rm -rf "$txdir"
    if [ "$status" != ok ]; then
        # Partial numbers of a failed run are never reported as a measurement.
        tps="" lat="" p99="" cpu_us="" reads="" rreads="" share="" cu="" to="" wait_us=""
        [ -n "$error" ] || error=$(first_error "$log")
        [ -n "$error" ] || error="pgbench failed without an error message"
        PROBLEMS+=("$target causal -M $mode -c $clients round $round: $status: $error (log: $log)")
        tail -n 5 "$log" >&2 || true
    fi
    echo "$STAMP,$target,$mode,$clients,$BENCH_JOBS,$DURATION,$BENCH_POOL_SIZE,$crt,$tps,$lat,$p99,$txs,$stale,${failed:-0},$reads,$rreads,$share,$cu,$to,$wait_us,$cpu_us,$status,$round,$error" >>"$CAUSAL_CSV"
    say "$(printf 'r%s %-18s causal %-8s c=%-3s tps=%-8s avg=%-6s p99=%-6s ms replica reads=%-5s%% stale=%s waits=%s/%s mean=%sus %s' \
        "$round" "$target" "$mode" "$clients" "${tps:--}" "${lat:--}" "${p99:--}" "${share:--}" "$stale" \
        "${cu:--}" "${to:--}" "${wait_us:--}" "$status${error:+ ($error)}")"
}

# What a TLS client of TARGET negotiates, "PROTOCOL CIPHER" (psql's
# \conninfo with sslmode=require), for the doc.
tls_probe() {
    local target=$1 out
    out=$(PGSSLMODE=require "$PG_BIN/psql" -X -h 127.0.0.1 -p "${TARGET_PORT[$target]}" -U postgres -d postgres \
        -c '\conninfo' 2>&1) || true
    TLS_INFO[$target]=$(sed -n 's/^SSL connection (protocol: \([^,]*\), cipher: \([^,)]*\).*/\1 \2/p' <<<"$out")
    if [ -n "${TLS_INFO[$target]}" ]; then
        say "TLS to $target: ${TLS_INFO[$target]}"
    else
        PROBLEMS+=("psql with sslmode=require to $target: $(head -n 1 <<<"$out")")
    fi
}

# Classifier microbenchmark over the unit-test corpus (one thread, nothing
# else running): ns/statement median and p99; output kept for the doc.
run_classifier() {
    local bin rc=0 out
    bin=$(bench_bin bench_classify "$BENCH_CLASSIFY_BIN")
    if [ -z "$bin" ] || [ ! -x "$bin" ]; then
        PROBLEMS+=("classifier not measured: no bench_classify binary (${bin:-none}; set BENCH_CLASSIFY_BIN)")
        return 0
    fi
    bin=$(realpath "$bin")
    CLASSIFY_CMD="$bin $SRCDIR/tests/unit/classify_corpus.txt"
    out=$("$bin" "$SRCDIR/tests/unit/classify_corpus.txt" 2>&1) || rc=$?
    printf '%s\n' "$out" >"$LOGDIR/bench_classify.txt"
    # exit status 1 means malloc in the steady state: reported, still measured
    if [ "$rc" -gt 1 ] || ! grep -q '^all statements' <<<"$out"; then
        PROBLEMS+=("bench_classify failed (status $rc; output: $LOGDIR/bench_classify.txt)")
        return 0
    fi
    awk -v stamp="$STAMP" '
    /^statements < 200 bytes/ { for (i = 1; i <= NF; i++) { if ($i == "median") sm = $(i + 1); if ($i == "p99") sp = $(i + 1) }; sub(/^n=/, "", $5); sn = $5 }
    /^all statements/ { for (i = 1; i <= NF; i++) { if ($i == "median") am = $(i + 1); if ($i == "p99") ap = $(i + 1) }; sub(/^n=/, "", $3); an = $3 }
    /^throughput/ { tp = $2 }
    /^malloc calls in steady state/ { mc = $6 }
    END { printf "%s,%s,%s,%s,%s,%s,%s,%s,%s\n", stamp, sn, sm, sp, an, am, ap, tp, mc }' <<<"$out" >>"$CLASSIFY_CSV"
    say "classifier: $(grep -E '^(statements|all)' <<<"$out" | tr -s ' ' | paste -sd ';')"
}

# ---------------------------------------------------------------- reporting

# Means over the rounds that succeeded in a CSV [$CSV], one line per
# target/script (load in the TLS CSV)/mode/clients in run order:
# target,script,mode,clients,tps,avg,p99,cpu,ok,runs,status,error
means() {
    awk -F, '
    NR == 1 { next }
    {
        row = $2 "," $3 "," $4 "," $5
        if (!(row in seen)) { seen[row] = 1; rows[++nr] = row }
        runs[row]++
        if ($15 != "ok") { status[row] = $15; error[row] = $17; next }
        ok[row]++; tps[row] += $9; lat[row] += $10; p99[row] += $11
        if ($14 != "") { cpu[row] += $14; ncpu[row]++ }
    }
    function mean(sum, n, fmt) { return n ? sprintf(fmt, sum / n) : "" }
    END {
        for (i = 1; i <= nr; i++) {
            r = rows[i]
            printf "%s,%s,%s,%s,%s,%d,%d,%s,%s\n", r, mean(tps[r], ok[r], "%.0f"),
                mean(lat[r], ok[r], "%.3f"), mean(p99[r], ok[r], "%.3f"),
                mean(cpu[r], ncpu[r], "%.1f"), ok[r], runs[r],
                (r in status ? status[r] : "ok"), error[r]
        }
    }' "${1:-$CSV}"
}

# Markdown: one table per script, a row per mode/clients/target with the
# ratios to direct and to PgBouncer and the p99 added over direct.
report_matrix() {
    means | awk -F, '
    {
        n++; t[n] = $1; s[n] = $2; m[n] = $3; c[n] = $4
        tps[n] = $5; lat[n] = $6; p99[n] = $7; cpu[n] = $8; ok[n] = $9; runs[n] = $10
        st[n] = $11; err[n] = $12
        k = $2 SUBSEP $3 SUBSEP $4
        TPS[k, $1] = $5; P99[k, $1] = $7; CPU[k, $1] = $8
    }
    function f(x) { return x == "" ? "—" : x }
    function ratio(a, b) { return (a == "" || b == "" || b + 0 == 0) ? "—" : sprintf("%.2f", a / b) }
    function added(a, b) { return (a == "" || b == "") ? "—" : sprintf("%+.3f", a - b) }
    END {
        for (i = 1; i <= n; i++) {
            if (s[i] != last) {
                if (last != "") print ""
                last = s[i]
                printf "### %s\n\n", s[i] == "select-only" ? "select-only (`pgbench -S`)" : s[i] " (`pgbench -b " s[i] "`)"
                print "| mode | clients | target | TPS | TPS ÷ direct | TPS ÷ PgBouncer | avg latency (ms) | p99 latency (ms) | p99 added over direct (ms) | proxy CPU (µs/tx) | CPU ÷ PgBouncer | runs ok |"
                print "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
            }
            k = s[i] SUBSEP m[i] SUBSEP c[i]
            note = ok[i] "/" runs[i]
            if (st[i] != "ok") note = note " **" st[i] "**" (err[i] != "" ? ": " err[i] : "")
            printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                m[i], c[i], t[i], f(tps[i]),
                ratio(tps[i], TPS[k, "direct"]), ratio(tps[i], TPS[k, "pgbouncer"]),
                f(lat[i]), f(p99[i]), (t[i] == "direct" ? "—" : added(p99[i], P99[k, "direct"])),
                f(cpu[i]), ratio(cpu[i], CPU[k, "pgbouncer"]), note
        }
    }'
}

# Markdown: the TLS runs, a row per load/clients/target with the ratios to
# PgBouncer and, for pgsteer-w2, to pgsteer-primary.
report_tls() {
    [ -s "$TLS_CSV" ] && [ "$(wc -l <"$TLS_CSV")" -gt 1 ] || return 0
    echo
    echo "### TLS clients"
    echo
    echo "\`pgbench -S -M simple\` with \`sslmode=require\` to the proxy; proxy to PostgreSQL is plain. **steady**: each client"
    echo "keeps one TLS session for the whole run; **connect** (\`-C\`): a TLS handshake and a login for every transaction (its TPS"
    echo "includes connecting, its latencies do not). Ratios compare with PgBouncer, and pgsteer-w2 with pgsteer-primary, at the same load and client count."
    echo
    echo "| load | clients | target | TPS | TPS ÷ PgBouncer | avg latency (ms) | p99 latency (ms) | proxy CPU (µs/tx) | CPU ÷ PgBouncer | TPS ÷ pgsteer-primary | p99 ÷ pgsteer-primary | CPU ÷ pgsteer-primary | runs ok |"
    echo "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    means "$TLS_CSV" | awk -F, '
    {
        n++; t[n] = $1; l[n] = $2; c[n] = $4
        tps[n] = $5; lat[n] = $6; p99[n] = $7; cpu[n] = $8; ok[n] = $9; runs[n] = $10
        st[n] = $11; err[n] = $12
        k = $2 SUBSEP $4
        TPS[k, $1] = $5; P99[k, $1] = $7; CPU[k, $1] = $8
    }
    function f(x) { return x == "" ? "—" : x }
    function ratio(a, b) { return (a == "" || b == "" || b + 0 == 0) ? "—" : sprintf("%.2f", a / b) }
    END {
        for (i = 1; i <= n; i++) {
            k = l[i] SUBSEP c[i]
            w2 = t[i] == "pgsteer-w2"
            note = ok[i] "/" runs[i]
            if (st[i] != "ok") note = note " **" st[i] "**" (err[i] != "" ? ": " err[i] : "")
            printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                l[i], c[i], t[i], f(tps[i]), ratio(tps[i], TPS[k, "pgbouncer"]),
                f(lat[i]), f(p99[i]), f(cpu[i]), ratio(cpu[i], CPU[k, "pgbouncer"]),
                w2 ? ratio(tps[i], TPS[k, "pgsteer-primary"]) : "—",
                w2 ? ratio(p99[i], P99[k, "pgsteer-primary"]) : "—",
                w2 ? ratio(cpu[i], CPU[k, "pgsteer-primary"]) : "—", note
        }
    }'
}

report_idle() {
    [ -s "$IDLE_CSV" ] && [ "$(wc -l <"$IDLE_CSV")" -gt 1 ] || return 0
    echo
    echo "### Idle clients"
    echo
    echo "| proxy | idle logged-in clients | RSS before (KiB) | RSS with them (KiB) | RSS per client (KiB) | logins/s | status |"
    echo "|---|---:|---:|---:|---:|---:|---|"
    awk -F, 'NR > 1 {
        rate = ($7 != "" && $7 + 0 > 0 && $8 == "ok") ? sprintf("%.0f", $3 / $7) : "—"
        printf "| %s | %s | %s | %s | %s | %s | %s |\n", $2, $3, ($4 == "" ? "—" : $4),
            ($5 == "" ? "—" : $5), ($6 == "" ? "—" : $6), rate, $8 ($9 != "" ? ": " $9 : "")
    }' "$IDLE_CSV"
}

report_classifier() {
    [ -s "$CLASSIFY_CSV" ] && [ "$(wc -l <"$CLASSIFY_CSV")" -gt 1 ] || return 0
    echo
    echo "### Classifier"
    echo
    echo "| statements | count | median (ns/statement) | p99 (ns/statement) |"
    echo "|---|---:|---:|---:|"
    awk -F, 'NR > 1 {
        printf "| under 200 bytes | %s | %s | %s |\n", $2, $3, $4
        printf "| all in the corpus | %s | %s | %s |\n", $5, $6, $7
        printf "\nThroughput %s million statements/s on one core; %s malloc calls in the steady state.\n", $8, $9
    }' "$CLASSIFY_CSV"
}

# Issue #8's goals next to what this run measured. Informative only: nothing
# fails on timings.
report_goals() {
    {
        means | sed 's/^/M,/'
        if [ -s "$IDLE_CSV" ]; then tail -n +2 "$IDLE_CSV" | sed 's/^/I,/'; fi
    } | awk -F, '
    $1 == "M" { k = $3 SUBSEP $4 SUBSEP $5; TPS[k, $2] = $6; P99[k, $2] = $8; CPU[k, $2] = $9
                if (!($5 in cseen)) { cseen[$5] = 1; cl[++nc] = $5 }
                if (!($3 in sseen)) { sseen[$3] = 1; sc[++ns] = $3 }
                next }
    $1 == "I" { if ($3 ~ /^pgsteer/) { idle[++ni] = $3; idlen[ni] = $4; idleper[ni] = $7 } }
    function row(what, goal, value, met) {
        if (!header) {
            print "| goal (issue #8) | target | measured | met |"
            print "|---|---|---:|---|"
            header = 1
        }
        printf "| %s | %s | %s | %s |\n", what, goal, value, met
    }
    function r(a, b) { return (a == "" || b == "" || b + 0 == 0) ? "" : a / b }
    function show(x, fmt) { return x == "" ? "—" : sprintf(fmt, x) }
    function ge(x, g) { return x == "" ? "not measured" : (x >= g ? "yes" : "no") }
    function le(x, g) { return x == "" ? "not measured" : (x <= g ? "yes" : "no") }
    END {
        for (j = 1; j <= nc; j++) {
            c = cl[j]
            for (mi = 1; mi <= 2; mi++) {
                m = mi == 1 ? "simple" : "extended"
                k = "select-only" SUBSEP m SUBSEP c
                if (!((k, "pgbouncer") in TPS) || !((k, "pgsteer-primary") in TPS)) continue
                x = r(TPS[k, "pgsteer-primary"], TPS[k, "pgbouncer"])
                row("TPS pgsteer-primary ÷ PgBouncer, -S -M " m ", " c " clients", "≥ 1.10", show(x, "%.3f"), ge(x, 1.10))
                x = r(CPU[k, "pgsteer-primary"], CPU[k, "pgbouncer"])
                row("CPU/tx pgsteer-primary ÷ PgBouncer, -S -M " m ", " c " clients", "≤ 0.75", show(x, "%.3f"), le(x, 0.75))
                if ((k, "null-relay") in CPU) {
                    x = r(CPU[k, "null-relay"], CPU[k, "pgbouncer"])
                    y = r(TPS[k, "null-relay"], TPS[k, "pgbouncer"])
                    row("the floor: null-relay ÷ PgBouncer (recv and send only), -S -M " m ", " c " clients",
                        "reference", "CPU/tx " show(x, "%.3f") ", TPS " show(y, "%.3f"), "—")
                }
                if ((k, "direct") in P99) {
                    a = P99[k, "pgsteer-primary"]; b = P99[k, "pgbouncer"]; d = P99[k, "direct"]
                    ap = (a == "" || d == "") ? "" : a - d; bp = (b == "" || d == "") ? "" : b - d
                    row("p99 added over direct, pgsteer-primary, -S -M " m ", " c " clients",
                        "≤ PgBouncer'"'"'s " show(bp, "%+.3f") " ms", show(ap, "%+.3f") " ms",
                        (ap == "" || bp == "") ? "not measured" : (ap <= bp ? "yes" : "no"))
                }
            }
        }
        for (i = 1; i <= ns; i++)
            for (j = 1; j <= nc; j++) {
                kp = sc[i] SUBSEP "prepared" SUBSEP cl[j]; ke = sc[i] SUBSEP "extended" SUBSEP cl[j]
                if (!((kp, "pgsteer-primary") in TPS) || !((ke, "pgbouncer") in TPS)) continue
                x = r(TPS[kp, "pgsteer-primary"], TPS[ke, "pgbouncer"])
                row("TPS pgsteer-primary -M prepared ÷ PgBouncer -M extended, " sc[i] ", " cl[j] " clients",
                    "≥ 1.10", show(x, "%.3f"), ge(x, 1.10))
            }
        for (i = 1; i <= ni; i++)
            row("RSS per idle logged-in client, " idle[i] ", " idlen[i] " clients", "≤ 1 KiB",
                show(idleper[i], "%.2f KiB"), le(idleper[i], 1.0))
    }'
}

# The causal runs, one line per target/mode/clients in run order: means over
# the rounds that succeeded, stale reads summed over all rounds:
# target,mode,clients,timeout,tps,avg,p99,share,stale,caught_up,timeouts,wait_us,cpu,ok,runs,status,error
causal_means() {
    awk -F, '
    NR == 1 { next }
    {
        row = $2 "," $3 "," $4
        if (!(row in seen)) { seen[row] = 1; rows[++nr] = row; crt[row] = $8 }
        runs[row]++; stale[row] += $13
        if ($22 != "ok") { status[row] = $22; error[row] = $24; next }
        ok[row]++; tps[row] += $9; lat[row] += $10; p99[row] += $11
        if ($17 != "") { share[row] += $17; nshare[row]++ }
        if ($18 != "") { cu[row] += $18; to[row] += $19; nw[row]++ }
        if ($20 != "") { wt[row] += $20; nwt[row]++ }
        if ($21 != "") { cpu[row] += $21; ncpu[row]++ }
    }
    function mean(sum, n, fmt) { return n ? sprintf(fmt, sum / n) : "" }
    END {
        for (i = 1; i <= nr; i++) {
            r = rows[i]
            printf "%s,%s,%s,%s,%s,%s,%d,%s,%s,%s,%s,%d,%d,%s,%s\n", r, crt[r],
                mean(tps[r], ok[r], "%.0f"), mean(lat[r], ok[r], "%.3f"), mean(p99[r], ok[r], "%.3f"),
                mean(share[r], nshare[r], "%.1f"), stale[r], mean(cu[r], nw[r], "%.0f"),
                mean(to[r], nw[r], "%.0f"), mean(wt[r], nwt[r], "%.0f"), mean(cpu[r], ncpu[r], "%.1f"),
                ok[r], runs[r], (r in status ? status[r] : "ok"), error[r]
        }
    }' "$CAUSAL_CSV"
}

# Markdown: the causal runs, then issue #22's goals next to what was measured.
report_causal() {
    [ -n "${CAUSAL_CSV:-}" ] && [ -s "$CAUSAL_CSV" ] && [ "$(wc -l <"$CAUSAL_CSV")" -gt 1 ] || return 0
    echo
    echo "### Causal reads (issue #22)"
    echo
    echo "Each transaction (autocommit): \`INSERT\` a row with a random id, read it back with \`SELECT 1/count(*) … WHERE id = :id\`"
    echo "(a stale read divides by zero and aborts its client), read a preloaded row. **reads on replicas**: share of the"
    echo "read statements routed to a replica (SHOW NODES \`reads\` per node, before and after the run); **stale reads**:"
    echo "clients aborted by the division by zero (each stops at its first); **causal waits**: pgsteer's checks on a replica"
    echo "not yet seen at the session's write (\`pgsteer_causal_waits_total\`, per run), the mean from \`pgsteer_causal_wait_seconds\`."
    echo "**p99 added** is this target's p99 minus direct's, and minus pgsteer-causal-off's, at the same mode and client count."
    echo
    echo "| mode | clients | target | causal_read_timeout | TPS | avg latency (ms) | p99 latency (ms) | p99 added over direct (ms) | p99 added over causal off (ms) | reads on replicas | stale reads | causal waits caught up | causal waits timed out | mean causal wait (µs) | proxy CPU (µs/tx) | runs ok |"
    echo "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    causal_means | awk -F, '
    {
        n++; t[n] = $1; m[n] = $2; c[n] = $3; crt[n] = $4; tps[n] = $5; lat[n] = $6; p99[n] = $7
        share[n] = $8; stale[n] = $9; cu[n] = $10; to[n] = $11; wt[n] = $12; cpu[n] = $13
        ok[n] = $14; runs[n] = $15; st[n] = $16; err[n] = $17
        P99[$2, $3, $1] = $7
    }
    function f(x) { return x == "" ? "—" : x }
    function added(a, b) { return (a == "" || b == "") ? "—" : sprintf("%+.3f", a - b) }
    END {
        for (i = 1; i <= n; i++) {
            note = ok[i] "/" runs[i]
            if (st[i] != "ok") note = note " **" st[i] "**" (err[i] != "" ? ": " err[i] : "")
            printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                m[i], c[i], t[i], f(crt[i]), f(tps[i]), f(lat[i]), f(p99[i]),
                (t[i] == "direct" ? "—" : added(p99[i], P99[m[i], c[i], "direct"])),
                (t[i] == "pgsteer-causal" ? added(p99[i], P99[m[i], c[i], "pgsteer-causal-off"]) : "—"),
                (share[i] == "" ? "—" : share[i] " %"), stale[i], f(cu[i]), f(to[i]), f(wt[i]), f(cpu[i]), note
        }
    }'
    echo
    echo "| goal (issue #22) | target | measured | met |"
    echo "|---|---|---:|---|"
    causal_means | awk -F, '
    {
        k = $2 ", " $3 " clients"
        if (!(k in seen)) { seen[k] = 1; keys[++nk] = k }
        P99[k, $1] = $7; SHARE[k, $1] = $8; STALE[k] += $9; RUNS[k, $1] = $15
    }
    function show(x, fmt) { return x == "" ? "—" : sprintf(fmt, x) }
    END {
        for (i = 1; i <= nk; i++) {
            k = keys[i]
            if (!((k, "pgsteer-causal") in RUNS)) continue
            x = SHARE[k, "pgsteer-causal"]
            printf "| reads on replicas, pgsteer-causal, -M %s | ≥ 90 %% | %s | %s |\n", k, show(x, "%.1f %%"),
                x == "" ? "not measured" : (x >= 90 ? "yes" : "no, " sprintf("%.1f", 90 - x) " points short")
            printf "| stale reads, all targets, -M %s | 0 | %d | %s |\n", k, STALE[k], STALE[k] == 0 ? "yes" : "**no**"
            a = P99[k, "pgsteer-causal"]; b = P99[k, "pgsteer-causal-off"]
            x = (a == "" || b == "") ? "" : a - b
            printf "| p99 added over pgsteer-causal-off, -M %s | ≤ 1 ms | %s | %s |\n", k, show(x, "%+.3f ms"),
                x == "" ? "not measured" : (x <= 1 ? "yes" : "no, " sprintf("%.3f", x - 1) " ms over")
        }
    }'
}

report() {
    if [ "$CAUSAL_ONLY" = 1 ]; then
        report_causal | sed '1{/^$/d}'
        return 0
    fi
    report_matrix
    report_tls
    report_idle
    report_classifier
    # (the doc gives the causal runs a section of their own)
    [ "${REPORT_CAUSAL:-1}" = 0 ] || report_causal
    local goals
    goals=$(report_goals)
    if [ -n "$goals" ]; then
        printf '\n### Goals of issue #8 (reported, never asserted)\n\n%s\n' "$goals"
    fi
}

in_list() {
    case " $2 " in *" $1 "*) return 0 ;; *) return 1 ;; esac
}
has_target() { in_list "$1" "$BENCH_TARGETS"; }
has_tls_target() { in_list "$1" "$BENCH_TLS_TARGETS"; }
# Started: given the matrix, the TLS runs or both.
is_started() { in_list "$1" "$START_TARGETS"; }

# A generated configuration file, for the doc.
config_block() {
    [ -f "$2" ] || return 0
    printf '<details><summary>%s</summary>\n\n```ini\n' "$1"
    cat "$2"
    printf '```\n\n</details>\n\n'
}

write_doc() {
    local doc=$DOC_FILE tmp script_args="" s tls_args="" tls_info="" target
    for s in $BENCH_SCRIPTS; do
        case $s in select-only) s=-S ;; *) s="-b $s" ;; esac
        script_args+=${script_args:+,}$s
    done
    tls_args=-S
    if in_list connect "$BENCH_TLS_LOADS"; then
        if in_list steady "$BENCH_TLS_LOADS"; then tls_args="-S {,-C}"; else tls_args="-S -C"; fi
    fi
    for target in $BENCH_TLS_TARGETS; do
        tls_info+="${tls_info:+, }$target ${TLS_INFO[$target]:-(not measured)}"
    done
    tmp=$(mktemp "$(dirname "$doc")/.performance.md.XXXXXX")
    {
        echo "# pgsteer performance"
        echo
        echo "Written by \`contrib/bench.sh --write-doc\` on $(date -u '+%Y-%m-%d %H:%M UTC') after a run of $((SECONDS / 60)) min $((SECONDS % 60)) s. Rerun it to refresh."
        echo "Numbers are measurements on one machine, not guarantees; tests never assert timings."
        echo
        echo "## Setup"
        echo
        echo "- Machine: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM"
        echo "- Load average when the run started: $LOADAVG_START (other work on the machine skews results)"
        echo "- OS: Debian $(cat /etc/debian_version), Linux $(uname -r)"
        echo "- PostgreSQL: $("$PG_BIN/postgres" --version), primary + 2 streaming replicas (contrib/pgcluster.sh: fsync off, shared_buffers 16MB; max_connections $BENCH_PG_MAX_CONNECTIONS), all on loopback"
        if is_started pgbouncer; then
            echo "- PgBouncer: $(pgbouncer --version 2>/dev/null | head -n 1), pool_mode=transaction, default_pool_size=$BENCH_POOL_SIZE"
        fi
        if has_target pgpool; then
            echo "- Pgpool-II: $(pgpool --version 2>&1 | head -n 1), streaming_replication mode, load_balance_mode=on over primary + 2 replicas (weights 1:1:1), connection_cache=on, num_init_children=$BENCH_PGPOOL_CHILDREN, max_pool=1"
        fi
        if [ -n "${PGSTEER_BIN:-}" ]; then
            echo "- pgsteer: $("$PGSTEER_BIN" -V 2>&1 | head -n 1), source tree at git $SRC_DESCRIBE when the run started, pool_mode=transaction, default_pool_size=$BENCH_POOL_SIZE, $PGSTEER_BUILD"
        fi
        echo "- Scheduling: every server in a session of its own (PostgreSQL and PgBouncer daemonize, Pgpool-II and pgsteer start under setsid), pgbench in the script's; kernel autogroup scheduling is $( [ "$(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null)" = 1 ] && echo on || echo off), under which each session is one CPU group"
        echo "- Targets: **direct** = the primary; **pgbouncer** and **pgsteer-primary** = the primary only (like for like); **pgpool** and **pgsteer** = primary + 2 replicas, reads balanced/routed to the replicas"
        if is_started null-relay; then
            echo "- **null-relay** = tests/bench/null_relay.c in front of the primary: a server connection per client, bytes moved with one \`recv()\` and one \`send()\` per readiness event and nothing else (no parsing, pooling or routing). Not a product: its CPU per transaction is the floor under any proxy relaying over the same loopback TCP sockets"
        fi
        if is_started pgsteer-w2; then
            echo "- **pgsteer-w2** = pgsteer-primary with \`workers = 2\` (two event-loop threads, each with pools of the full size: [workers.md](workers.md))"
        fi
        echo "- Load: pgbench -i -s $BENCH_SCALE; each run after a ${BENCH_WARMUP} s unmeasured warm-up, pgbench on the same host; rounds: $BENCH_ROUNDS (targets interleaved; the tables show means)"
        echo "- TPS: pgbench's, without connection time. Latency: average and 99th percentile of every transaction in pgbench's per-transaction log (\`--log\`, written for every target alike)"
        echo "- Proxy CPU: utime+stime (from /proc) of the proxy process and all its descendants (for Pgpool-II: the parent, all children, reaped ones included) during the run, divided by the transactions processed; direct has no proxy"
        if [ -n "$BENCH_TLS_TARGETS" ]; then
            echo "- TLS clients ($BENCH_TLS_TARGETS): a self-signed RSA 2048 certificate made for the run; these proxies have client_tls_sslmode = prefer with it, pgbench uses sslmode=require in the TLS runs and sslmode=disable in all others (so a proxy without TLS fails the TLS runs); proxy to PostgreSQL is plain (PostgreSQL ssl = ${PG_SSL:-unknown}). Negotiated (psql \\conninfo): $tls_info. With -C, pgbench's TPS includes connecting and its per-transaction latencies do not"
        fi
        echo "- Idle clients: tests/bench/idle_clients.py logs $BENCH_IDLE_CLIENTS clients in (trust auth, raw protocol), holds them idle, and reads the proxy's VmRSS before and with them; per client = difference ÷ clients"
        echo "- Where the CPU goes (perf, strace, callgrind) and why some of issue #8's goals are out of reach on this design: [profiling.md](profiling.md), written by hand"
        echo
        echo "## Commands"
        echo
        echo '```sh'
        echo "# the whole benchmark (as root; installs missing Debian packages):"
        echo "${PGSTEER_BIN_GIVEN:+PGSTEER_BIN=$PGSTEER_BIN_GIVEN }$BENCH_COMMAND --write-doc"
        echo "# what it runs, PORT being each target's:"
        echo "pgbench -i -q -s $BENCH_SCALE -h 127.0.0.1 -p PORT -U postgres postgres"
        echo "PGSSLMODE=disable pgbench -n -M {${BENCH_MODES// /,}} -c {${BENCH_CLIENTS// /,}} -j $BENCH_JOBS -h 127.0.0.1 -p PORT -U postgres {$script_args} -T $BENCH_WARMUP postgres   # warm-up"
        echo "PGSSLMODE=disable pgbench -n -M {${BENCH_MODES// /,}} -c {${BENCH_CLIENTS// /,}} -j $BENCH_JOBS -h 127.0.0.1 -p PORT -U postgres {$script_args} -T $DURATION --log --log-prefix=DIR/tx postgres"
        echo "tests/bench/idle_clients.py --port PORT --pid PROXY_PID --count $BENCH_IDLE_CLIENTS"
        if [ -n "$BENCH_TLS_TARGETS" ]; then
            echo "# TLS clients (-C: the connect load):"
            echo "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -keyout server.key -out server.crt"
            echo "PGSSLMODE=require pgbench -n -M simple -c {${BENCH_TLS_CLIENTS// /,}} -j $BENCH_JOBS -h 127.0.0.1 -p PORT -U postgres $tls_args -T $BENCH_WARMUP postgres   # warm-up"
            echo "PGSSLMODE=require pgbench -n -M simple -c {${BENCH_TLS_CLIENTS// /,}} -j $BENCH_JOBS -h 127.0.0.1 -p PORT -U postgres $tls_args -T $DURATION --log --log-prefix=DIR/tx postgres"
        fi
        [ -z "${CLASSIFY_CMD:-}" ] || echo "${CLASSIFY_CMD//$SRCDIR\//}"
        echo '```'
        echo
        echo "## Results"
        echo
        echo "How to read them: **TPS ÷ PgBouncer** and **CPU ÷ PgBouncer** compare with PgBouncer on the same script, mode and"
        echo "client count; **p99 added over direct** is the target's p99 minus direct PostgreSQL's. Proxy CPU counts the proxy"
        echo "only (PostgreSQL and pgbench share the same $(nproc) CPUs, so a proxy that needs less CPU leaves more to them)."
        echo "A mode a proxy cannot do is shown as **unsupported** with its error, never as a number. TPC-B at scale"
        echo "$BENCH_SCALE has $BENCH_SCALE branch rows: with more clients than that, its transactions mostly wait on each other's row locks."
        echo
        REPORT_CAUSAL=0 report
        echo
        echo "## Generated configurations"
        echo
        echo "Ports are picked at random for each run."
        echo
        config_block "pgbouncer.ini" "$WORK/pgbouncer/pgbouncer.ini"
        config_block "pgpool.conf" "$WORK/pgpool/pgpool.conf"
        config_block "pgsteer.ini (pgsteer-primary)" "$WORK/pgsteer-primary/pgsteer.ini"
        config_block "pgsteer.ini (pgsteer, with replicas)" "$WORK/pgsteer/pgsteer.ini"
        config_block "pgsteer.ini (pgsteer-w2)" "$WORK/pgsteer-w2/pgsteer.ini"
        # The causal runs of this run, or the section of an earlier one.
        if [ "$BENCH_CAUSAL" = 1 ]; then
            causal_doc_section
        else
            causal_doc_old "$doc"
        fi
    } >"$tmp"
    mv "$tmp" "$doc"
    say "wrote $doc"
}

# The doc's section of the causal runs ("## Causal reads (issue #22)").
causal_doc_section() {
    echo "## Causal reads (issue #22)"
    echo
    echo "Written by \`contrib/bench.sh$([ "$CAUSAL_ONLY" = 1 ] && echo ' --causal-only') --write-doc\` on $(date -u '+%Y-%m-%d %H:%M UTC'). Rerun it to refresh."
    echo
    echo "### Setup"
    echo
    echo "- Machine: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) CPUs; load average when the run started: $LOADAVG_START"
    echo "- PostgreSQL: $("$PG_BIN/postgres" --version), primary + 2 streaming replicas (contrib/pgcluster.sh: fsync off), all on loopback; the primary runs with \`synchronous_commit = on\` (ALTER SYSTEM + reload) for the causal runs only: pgcluster.sh's \`off\` lets a commit reach the replicas only when the WAL writer flushes it (up to \`wal_writer_delay\`, 200 ms later)"
    if [ -n "${PGSTEER_BIN:-}" ]; then
        echo "- pgsteer: $("$PGSTEER_BIN" -V 2>&1 | head -n 1), source tree at git $SRC_DESCRIBE when the run started, $PGSTEER_BUILD; pool_mode=transaction, default_pool_size=$BENCH_POOL_SIZE, read_your_writes = lsn (the default), check_interval 100ms (the default)"
    fi
    echo "- Targets: **direct** = the primary; **pgsteer-causal-off** = pgsteer over primary + 2 replicas with \`causal_read_timeout = 0\` (reads after a write go to the primary until the monitor sees a replica past it, as before causal reads); **pgsteer-causal** = the same with \`causal_read_timeout = $BENCH_CAUSAL_TIMEOUT\`"
    echo "- Load: \`bench_causal (id bigint PRIMARY KEY, v int)\` with $BENCH_CAUSAL_ROWS rows; pgbench -j $BENCH_JOBS, each run after a ${BENCH_WARMUP} s unmeasured warm-up, $DURATION s measured; rounds: $BENCH_ROUNDS. The script (\`-f\`):"
    echo
    echo '```'
    cat "$WORK/causal.sql"
    echo '```'
    echo
    echo "### Commands"
    echo
    echo '```sh'
    echo "${PGSTEER_BIN_GIVEN:+PGSTEER_BIN=$PGSTEER_BIN_GIVEN }$CAUSAL_COMMAND --write-doc"
    echo "# what it runs, PORT being each target's:"
    echo "psql -h 127.0.0.1 -p PRIMARY -U postgres -c 'ALTER SYSTEM SET synchronous_commit = on' -c 'SELECT pg_reload_conf()'"
    echo "PGSSLMODE=disable pgbench -n -M {${BENCH_CAUSAL_MODES// /,}} -c {${BENCH_CAUSAL_CLIENTS// /,}} -j $BENCH_JOBS -h 127.0.0.1 -p PORT -U postgres -f causal.sql -T $BENCH_WARMUP postgres   # warm-up"
    echo "PGSSLMODE=disable pgbench -n -M {${BENCH_CAUSAL_MODES// /,}} -c {${BENCH_CAUSAL_CLIENTS// /,}} -j $BENCH_JOBS -h 127.0.0.1 -p PORT -U postgres -f causal.sql -T $DURATION --log --log-prefix=DIR/tx postgres"
    echo "psql -h 127.0.0.1 -p PORT -U admin pgsteer -c 'SHOW NODES'   # before and after each run: reads per node"
    echo "curl http://127.0.0.1:STATS_PORT/metrics                       # before and after: pgsteer_causal_wait*"
    echo '```'
    report_causal | sed '2s/^### .*/### Results/'
    echo
    config_block "pgsteer.ini (pgsteer-causal)" "$WORK/pgsteer-causal/pgsteer.ini"
}

# The causal section of FILE, verbatim ("## Causal reads (issue #22)" up to
# the next "## " heading), or nothing.
causal_doc_old() {
    [ -f "$1" ] || return 0
    awk '/^## / { on = ($0 == "## Causal reads (issue #22)") } on' "$1"
}

# --causal-only --write-doc: the causal section of DOC_FILE replaced (or
# appended), the rest of it left as it is.
write_causal_doc() {
    local doc=$DOC_FILE tmp section
    section=$(mktemp "$WORK/causal-section.XXXXXX")
    causal_doc_section >"$section"
    tmp=$(mktemp "$(dirname "$doc")/.performance.md.XXXXXX")
    if [ -f "$doc" ]; then
        awk -v sect="$section" '
            function put() { while ((getline line < sect) > 0) print line; done = 1 }
            /^## / { on = ($0 == "## Causal reads (issue #22)"); if (on) put() }
            !on { print; last = $0 }
            END { if (!done) { if (last != "") print ""; put() } }' "$doc" >"$tmp"
    else
        cat "$section" >"$tmp"
    fi
    mv "$tmp" "$doc"
    say "wrote the causal section of $doc"
}

# ---------------------------------------------------------------- main

[ "$(id -u)" = 0 ] || die "run as root (installs packages, runs PostgreSQL and PgBouncer as postgres)"
[ "$DURATION" -gt 0 ] 2>/dev/null || die "DURATION must be a positive number of seconds"
[ "$BENCH_IDLE_CLIENTS" -ge 0 ] 2>/dev/null || die "BENCH_IDLE_CLIENTS must be a number of clients (0: no idle test)"
[ "$BENCH_PGPOOL_CHILDREN" -gt 0 ] 2>/dev/null || die "BENCH_PGPOOL_CHILDREN must be a positive number"
for target in $BENCH_TLS_TARGETS; do
    case $target in pgbouncer | pgsteer | pgsteer-primary | pgsteer-w2) ;;
    *) die "BENCH_TLS_TARGETS: $target is not a proxy given TLS clients (pgbouncer pgsteer-primary pgsteer pgsteer-w2)" ;;
    esac
done
for load in $BENCH_TLS_LOADS; do
    case $load in steady | connect) ;; *) die "BENCH_TLS_LOADS: unknown load $load (steady connect)" ;; esac
done
case $BENCH_CAUSAL in 0 | 1) ;; *) die "BENCH_CAUSAL must be 0 or 1" ;; esac
if [ "$BENCH_CAUSAL" = 1 ]; then
    for mode in $BENCH_CAUSAL_MODES; do
        case $mode in simple | extended | prepared) ;; *) die "BENCH_CAUSAL_MODES: unknown mode $mode (simple extended prepared)" ;; esac
    done
    for clients in $BENCH_CAUSAL_CLIENTS; do
        [ "$clients" -gt 0 ] 2>/dev/null || die "BENCH_CAUSAL_CLIENTS: $clients is not a number of clients"
    done
    [ "$BENCH_CAUSAL_ROWS" -gt 0 ] 2>/dev/null || die "BENCH_CAUSAL_ROWS must be a positive number"
fi
START_TARGETS=$BENCH_TARGETS
for target in $BENCH_TLS_TARGETS; do has_target "$target" || START_TARGETS+=" $target"; done
if [ "$BENCH_CAUSAL" = 1 ]; then
    for target in $CAUSAL_TARGETS; do is_started "$target" || START_TARGETS+=" $target"; done
fi
install_missing_packages
[ -x "$PGCLUSTER" ] || die "$PGCLUSTER not found"
say "load average $LOADAVG_START on $(nproc) CPUs (anything else running skews the numbers)"
PGSTEER_BIN_GIVEN=${PGSTEER_BIN:-}

# The idle test holds BENCH_IDLE_CLIENTS sockets in its client and in each
# pooler (all started from here, so they inherit this limit).
need_fds=$((BENCH_IDLE_CLIENTS + 1024))
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt "$need_fds" ]; then
    ulimit -Hn "$need_fds" 2>/dev/null || say "warning: cannot raise the open file limit to $need_fds"
fi
ulimit -Sn "$(ulimit -Hn)" 2>/dev/null || true

BENCH_OUT=$(realpath -m "$BENCH_OUT")
LOGDIR=$BENCH_OUT/logs-$STAMP    # pgbench output, build log, proxy logs and configs
mkdir -p "$LOGDIR"
trap cleanup EXIT
trap 'exit 130' INT TERM
WORK=$(mktemp -d /tmp/pgsteer-bench.XXXXXX)
chmod 755 "$WORK"    # the postgres user keeps the cluster and PgBouncer below it
CSV=$BENCH_OUT/bench-$STAMP.csv
IDLE_CSV=$BENCH_OUT/idle-$STAMP.csv
CLASSIFY_CSV=$BENCH_OUT/classify-$STAMP.csv
TLS_CSV=$BENCH_OUT/tls-$STAMP.csv
CAUSAL_CSV=""
if [ "$CAUSAL_ONLY" = 0 ]; then
    echo "stamp,target,script,mode,clients,jobs,duration_s,pool_size,tps,latency_avg_ms,latency_p99_ms,transactions,failed_transactions,proxy_cpu_us_per_tx,status,round,error" >"$CSV"
    echo "stamp,target,load,mode,clients,jobs,duration_s,pool_size,tps,latency_avg_ms,latency_p99_ms,transactions,failed_transactions,proxy_cpu_us_per_tx,status,round,error" >"$TLS_CSV"
    echo "stamp,target,clients,rss_before_kib,rss_idle_kib,rss_per_client_kib,open_seconds,status,error" >"$IDLE_CSV"
    echo "stamp,short_statements,short_median_ns,short_p99_ns,all_statements,all_median_ns,all_p99_ns,million_statements_per_s,steady_state_mallocs" >"$CLASSIFY_CSV"
fi
if [ "$BENCH_CAUSAL" = 1 ]; then
    CAUSAL_CSV=$BENCH_OUT/causal-$STAMP.csv
    echo "stamp,target,mode,clients,jobs,duration_s,pool_size,causal_read_timeout,tps,latency_avg_ms,latency_p99_ms,transactions,stale_reads,failed_transactions,reads,replica_reads,replica_read_share_pct,causal_caught_up,causal_timeout,causal_wait_mean_us,proxy_cpu_us_per_tx,status,round,error" >"$CAUSAL_CSV"
fi

if is_started pgsteer || is_started pgsteer-primary || is_started pgsteer-w2 || is_started null-relay ||
    is_started pgsteer-causal-off || is_started pgsteer-causal; then
    build_pgsteer
fi
start_cluster
if [ -n "$BENCH_TLS_TARGETS" ]; then
    make_tls_cert
    PG_SSL=$(psql_at "$PG_PORT" "SHOW ssl")
fi
for target in $START_TARGETS; do
    case $target in
    direct) start_direct ;;
    null-relay) start_null_relay ;;
    pgbouncer) start_pgbouncer ;;
    pgpool) start_pgpool ;;
    pgsteer) start_pgsteer pgsteer all ;;
    pgsteer-primary) start_pgsteer pgsteer-primary primary ;;
    pgsteer-w2) start_pgsteer pgsteer-w2 primary 2 ;;
    pgsteer-causal-off) start_pgsteer pgsteer-causal-off all 1 0 ;;
    pgsteer-causal) start_pgsteer pgsteer-causal all 1 "$BENCH_CAUSAL_TIMEOUT" ;;
    *) die "unknown target $target (BENCH_TARGETS: direct null-relay pgbouncer pgpool pgsteer-primary pgsteer pgsteer-w2 pgsteer-causal-off pgsteer-causal)" ;;
    esac
    if [ -n "${TARGET_SKIP[$target]:-}" ]; then
        loud "SKIPPING $target: ${TARGET_SKIP[$target]}" "its rows are missing from the results"
        PROBLEMS+=("$target skipped: ${TARGET_SKIP[$target]}")
    fi
done

for ((round = 1; round <= BENCH_ROUNDS; round++)); do
    for script in $BENCH_SCRIPTS; do
        for mode in $BENCH_MODES; do
            for clients in $BENCH_CLIENTS; do
                for target in $BENCH_TARGETS; do
                    if [ -n "${TARGET_SKIP[$target]:-}" ]; then continue; fi
                    run_one "$target" "$script" "$mode" "$clients" "$round"
                done
            done
        done
    done
done

if [ "$BENCH_IDLE_CLIENTS" -gt 0 ]; then
    for target in $BENCH_IDLE_TARGETS; do
        has_target "$target" || continue
        case $target in pgbouncer | pgsteer | pgsteer-primary | pgsteer-w2) ;;
        *) die "BENCH_IDLE_TARGETS: $target is not a pooler given the idle test (pgbouncer pgsteer-primary pgsteer pgsteer-w2)" ;;
        esac
        if [ -n "${TARGET_SKIP[$target]:-}" ]; then continue; fi
        idle_one "$target"
    done
fi

# TLS clients, after the idle test: its RSS is measured before any TLS
# session has come and gone.
if [ -n "$BENCH_TLS_TARGETS" ]; then
    for target in $BENCH_TLS_TARGETS; do
        [ -n "${TARGET_SKIP[$target]:-}" ] || tls_probe "$target"
    done
    for ((round = 1; round <= BENCH_ROUNDS; round++)); do
        for load in $BENCH_TLS_LOADS; do
            for clients in $BENCH_TLS_CLIENTS; do
                for target in $BENCH_TLS_TARGETS; do
                    if [ -n "${TARGET_SKIP[$target]:-}" ]; then continue; fi
                    run_one "$target" select-only simple "$clients" "$round" "$load"
                done
            done
        done
    done
fi
# Causal reads last: they turn synchronous_commit on for their runs.
if [ "$BENCH_CAUSAL" = 1 ]; then
    causal_setup
    for ((round = 1; round <= BENCH_ROUNDS; round++)); do
        for mode in $BENCH_CAUSAL_MODES; do
            for clients in $BENCH_CAUSAL_CLIENTS; do
                for target in $CAUSAL_TARGETS; do
                    if [ -n "${TARGET_SKIP[$target]:-}" ]; then continue; fi
                    run_causal "$target" "$mode" "$clients" "$round"
                done
            done
        done
    done
    causal_teardown
fi
if [ "$BENCH_CLASSIFY_BIN" != none ]; then run_classifier; fi

TABLE=$BENCH_OUT/bench-$STAMP.md
report | tee "$TABLE"
if [ "$CAUSAL_ONLY" = 1 ]; then
    say "raw numbers: $CAUSAL_CSV; tables: $TABLE; logs: $LOGDIR"
else
    say "raw numbers: $CSV $TLS_CSV $IDLE_CSV $CLASSIFY_CSV${CAUSAL_CSV:+ $CAUSAL_CSV}; tables: $TABLE; logs: $LOGDIR"
fi
say "finished in $((SECONDS / 60)) min $((SECONDS % 60)) s"

if [ ${#PROBLEMS[@]} -gt 0 ]; then
    loud "INCOMPLETE RUN: not everything was measured" "${PROBLEMS[@]}"
    if [ "$WRITE_DOC" = 1 ]; then say "not writing $DOC_FILE from an incomplete run"; fi
    exit 3
fi
if [ "$WRITE_DOC" = 1 ]; then
    if [ "$CAUSAL_ONLY" = 1 ]; then write_causal_doc; else write_doc; fi
fi
exit 0
