#!/usr/bin/env bash
# bench.sh: pgsteer side by side with direct PostgreSQL and PgBouncer, in one run.
#
#   contrib/bench.sh [--write-doc]
#
# Starts a throwaway primary + 2 streaming replicas (contrib/pgcluster.sh) on
# free loopback ports, loads pgbench -i -s $BENCH_SCALE, then for each script,
# protocol mode and client count runs pgbench against every target:
#   direct     the primary itself
#   pgbouncer  Debian's PgBouncer, transaction pooling, pool size $BENCH_POOL_SIZE
#   pgsteer-primary  this tree's pgsteer in front of the primary only:
#              the like-for-like comparison with PgBouncer
#   pgsteer    the same with both replicas: reads routed to them
# and records TPS, average latency and the proxy's CPU time per transaction
# (utime+stime of the proxy process from /proc, before and after the run).
# Prints a Markdown table plus the ratios pgsteer/PgBouncer and
# pgsteer/direct; writes raw numbers as CSV under $BENCH_OUT; with
# --write-doc also writes doc/performance.md. Reports numbers only: it never
# passes or fails on timings. Exit status is non-zero when a target could not
# be measured (missing binary, failed pgbench), so a partial run is never
# mistaken for a complete one.
#
# Environment (defaults in brackets):
#   DURATION         seconds per measured run [15]
#   BENCH_WARMUP     unmeasured seconds before each run, to fill pools [2]
#   BENCH_CLIENTS    client counts, space-separated [16]
#   BENCH_JOBS       pgbench threads (-j) [2]
#   BENCH_MODES      pgbench -M modes [simple extended]
#   BENCH_SCRIPTS    select-only (-S) and/or tpcb-like [select-only]
#   BENCH_TARGETS    [direct pgbouncer pgsteer-primary pgsteer]
#   BENCH_ROUNDS     repeat the whole matrix, targets interleaved; the
#                    table shows means (a shared machine is noisy) [1]
#   BENCH_SCALE      pgbench -i scale [10]
#   BENCH_POOL_SIZE  server pool size for both proxies [20]
#   BENCH_OUT        results directory [./bench-results]
#   PGSTEER_BIN      use this pgsteer binary instead of building one
#   BENCH_BUILD_DIR  where to build pgsteer [build-bench in the source tree]
#   PG_BIN           PostgreSQL binaries [/usr/lib/postgresql/15/bin]
#   BENCH_KEEP=1     keep the temporary directory (cluster data, generated configs)
set -euo pipefail

SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PGCLUSTER=${PGCLUSTER:-$SRCDIR/contrib/pgcluster.sh}
export PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

DURATION=${DURATION:-15}
BENCH_WARMUP=${BENCH_WARMUP:-2}
BENCH_CLIENTS=${BENCH_CLIENTS:-16}
BENCH_JOBS=${BENCH_JOBS:-2}
BENCH_MODES=${BENCH_MODES:-simple extended}
BENCH_SCRIPTS=${BENCH_SCRIPTS:-select-only}
BENCH_TARGETS=${BENCH_TARGETS:-direct pgbouncer pgsteer-primary pgsteer}
BENCH_ROUNDS=${BENCH_ROUNDS:-1}
BENCH_SCALE=${BENCH_SCALE:-10}
BENCH_POOL_SIZE=${BENCH_POOL_SIZE:-20}
BENCH_OUT=${BENCH_OUT:-./bench-results}
BENCH_BUILD_DIR=${BENCH_BUILD_DIR:-$SRCDIR/build-bench}

WRITE_DOC=0
for arg in "$@"; do
    case $arg in
    --write-doc) WRITE_DOC=1 ;;
    -h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "usage: $0 [--write-doc]" >&2; exit 2 ;;
    esac
done

PACKAGES=(build-essential autoconf automake pkg-config libevent-dev libssl-dev
          libinih-dev libpcre2-dev libpq-dev postgresql-15 postgresql-client-15
          pgbouncer)

CLK_TCK=$(getconf CLK_TCK)
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
PGSTEER_BUILD=""
WORK=""
LOGDIR=""
PGSTEER_PIDS=()
PGBOUNCER_PID=""
declare -A TARGET_PORT=() TARGET_PID=() TARGET_SKIP=()
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
    say "pgbench -i -s $BENCH_SCALE on the primary"
    "$PG_BIN/pgbench" -i -q -s "$BENCH_SCALE" -h 127.0.0.1 -p "$PG_PORT" -U postgres postgres \
        >"$LOGDIR/pgbench-init.log" 2>&1 || { cat "$LOGDIR/pgbench-init.log" >&2; die "pgbench -i failed"; }
    # The replicas should hold the data too before anything is measured.
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

start_direct() {
    TARGET_PORT[direct]=$PG_PORT
    TARGET_PID[direct]=""
}

# PgBouncer refuses to run as root: its files belong to postgres.
start_pgbouncer() {
    local dir=$WORK/pgbouncer port
    if ! command -v pgbouncer >/dev/null; then
        TARGET_SKIP[pgbouncer]="pgbouncer is not installed"
        return 0
    fi
    port=$(free_ports 1)
    mkdir -p "$dir"
    echo '"postgres" ""' >"$dir/userlist.txt"
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
max_client_conn = 1000
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
EOF
    chown -R postgres: "$dir"
    if ! runuser -u postgres -- pgbouncer -d "$dir/pgbouncer.ini" >"$WORK/pgbouncer.out" 2>&1; then
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

# start_pgsteer NAME NODES: NODES is "primary" (main1 only) or "all".
start_pgsteer() {
    local name=$1 nodes=$2 dir=$WORK/$1 port out pid
    if [ -z "${PGSTEER_BIN:-}" ] || [ ! -x "$PGSTEER_BIN" ]; then
        TARGET_SKIP[$name]="no pgsteer binary (${PGSTEER_BIN:-build failed, see $LOGDIR/build.log})"
        return 0
    fi
    port=$(free_ports 1)
    mkdir -p "$dir"
    cat >"$dir/pgsteer.ini" <<EOF
; written by contrib/bench.sh: same pooling as the PgBouncer target
[pgsteer]
listen_addr = 127.0.0.1
listen_port = $port
auth_type = trust
pool_mode = transaction
default_pool_size = $BENCH_POOL_SIZE
max_client_conn = 1000

[stats]
listen =                     ; off: PgBouncer has no HTTP endpoint either

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
    "$PGSTEER_BIN" -c "$dir/pgsteer.ini" >"$dir/$name.log" 2>&1 </dev/null &
    pid=$!
    PGSTEER_PIDS+=("$pid")
    if ! wait_port "$port" "$pid" "$name"; then
        tail -n 15 "$dir/pgsteer.log" >&2 || true
        TARGET_SKIP[$name]="pgsteer did not come up (log: $LOGDIR/$name.log)"
        return 0
    fi
    TARGET_PORT[$name]=$port
    TARGET_PID[$name]=$pid
    say "$name: $("$PGSTEER_BIN" -V 2>&1 | head -n 1) on port $port (pid $pid, nodes: $nodes)"
}

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
    local rc=$?
    set +e
    for pid in "${PGSTEER_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
    if [ -n "$PGBOUNCER_PID" ]; then kill -TERM "$PGBOUNCER_PID" 2>/dev/null; fi
    if [ -n "$WORK" ]; then
        cp "$WORK/pgsteer/pgsteer.log" "$WORK/pgsteer-primary/pgsteer-primary.log" \
            "$WORK/pgbouncer/pgbouncer.log" "$WORK/pgbouncer/pgbouncer.ini" "$LOGDIR/" 2>/dev/null
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

# utime+stime of a process in clock ticks (fields 14 and 15 of /proc/PID/stat;
# the command name in field 2 may contain spaces, so cut after its ')').
cpu_ticks() {
    local stat
    stat=$(cat "/proc/$1/stat")
    stat=${stat##*) }
    awk '{ print $12 + $13 }' <<<"$stat"
}

# One measured pgbench run; appends a CSV row and prints a status line.
run_one() {
    local target=$1 script=$2 mode=$3 clients=$4 round=$5
    local port=${TARGET_PORT[$target]} pid=${TARGET_PID[$target]}
    local log=$LOGDIR/pgbench-$target-$script-$mode-c$clients-r$round.log
    local args=(-n -M "$mode" -c "$clients" -j "$BENCH_JOBS" -h 127.0.0.1 -p "$port" -U postgres)
    local t0=0 t1=0 status=ok tps="" lat="" txs="" failed="" cpu_us=""
    case $script in
    select-only) args+=(-S) ;;
    tpcb-like) args+=(-b tpcb-like) ;;
    *) die "unknown script $script (BENCH_SCRIPTS: select-only tpcb-like)" ;;
    esac

    if [ "$BENCH_WARMUP" -gt 0 ]; then
        "$PG_BIN/pgbench" "${args[@]}" -T "$BENCH_WARMUP" postgres >"$log.warmup" 2>&1 || true
    fi
    [ -n "$pid" ] && t0=$(cpu_ticks "$pid")
    if ! "$PG_BIN/pgbench" "${args[@]}" -T "$DURATION" postgres >"$log" 2>&1; then
        status=failed
    fi
    if [ -n "$pid" ]; then
        if kill -0 "$pid" 2>/dev/null; then t1=$(cpu_ticks "$pid"); else status=proxy-died; fi
    fi
    tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p' "$log")
    lat=$(sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p' "$log")
    txs=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$log")
    failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$log")
    [ -n "$tps" ] && [ -n "$txs" ] || status=failed
    if [ "$status" = ok ] && [ -n "$pid" ] && [ "$txs" -gt 0 ]; then
        cpu_us=$(awk -v d=$((t1 - t0)) -v hz="$CLK_TCK" -v n="$txs" 'BEGIN { printf "%.1f", d / hz * 1e6 / n }')
    fi
    if [ "$status" != ok ]; then
        PROBLEMS+=("$target $script -M $mode -c $clients round $round: $status (log: $log)")
        tail -n 5 "$log" >&2 || true
    fi
    echo "$STAMP,$target,$script,$mode,$clients,$BENCH_JOBS,$DURATION,$BENCH_POOL_SIZE,${tps},${lat},${txs},${failed:-0},${cpu_us},$status,$round" >>"$CSV"
    say "$(printf 'r%s %-9s %-11s %-8s c=%-3s tps=%-10s lat=%-6s ms cpu=%s us/tx %s' \
        "$round" "$target" "$script" "$mode" "$clients" "${tps:--}" "${lat:--}" "${cpu_us:--}" "$status")"
}

# ---------------------------------------------------------------- reporting

# Markdown: one row per target/script/mode/clients (means over the rounds
# that succeeded), then the ratios per script/mode/clients.
report() {
    awk -F, '
    NR == 1 { next }
    {
        key = $3 " | " $4 " | " $5; row = $2 " | " key
        if (!(key in seen)) { seen[key] = 1; keys[++nk] = key }
        if (!(row in rseen)) { rseen[row] = 1; rows[++nr] = row; target[row] = $2; rkey[row] = key }
        runs[row]++
        if ($14 != "ok") { bad[row] = $14; next }
        ok[row]++; tps[row] += $9; lat[row] += $10
        if ($13 != "") { cpu[row] += $13; ncpu[row]++ }
    }
    function mean(sum, n, fmt) { return n ? sprintf(fmt, sum / n) : "" }
    function ratio(a, b) { return (a == "" || b == "" || b + 0 == 0) ? "-" : sprintf("%.2f", a / b) }
    END {
        print "| target | script | mode | clients | TPS | avg latency (ms) | proxy CPU (µs/tx) | rounds |"
        print "|---|---|---|---:|---:|---:|---:|---:|"
        for (i = 1; i <= nr; i++) {
            r = rows[i]
            mt = mean(tps[r], ok[r], "%.0f"); ml = mean(lat[r], ok[r], "%.3f")
            mc = mean(cpu[r], ncpu[r], "%.1f")
            M[rkey[r], target[r], "tps"] = mt; M[rkey[r], target[r], "cpu"] = mc
            printf "| %s | %s | %s | %s | %d/%d%s |\n", r, (mt == "" ? "-" : mt),
                (ml == "" ? "-" : ml), (mc == "" ? "-" : mc), ok[r], runs[r],
                (r in bad ? " (" bad[r] ")" : "")
        }
        print ""
        print "| script | mode | clients | TPS pgsteer-primary/PgBouncer | CPU/tx pgsteer-primary/PgBouncer | TPS pgsteer (replicas)/PgBouncer | TPS pgsteer-primary/direct | TPS PgBouncer/direct |"
        print "|---|---|---:|---:|---:|---:|---:|---:|"
        for (i = 1; i <= nk; i++) {
            k = keys[i]
            printf "| %s | %s | %s | %s | %s | %s |\n", k,
                ratio(M[k, "pgsteer-primary", "tps"], M[k, "pgbouncer", "tps"]),
                ratio(M[k, "pgsteer-primary", "cpu"], M[k, "pgbouncer", "cpu"]),
                ratio(M[k, "pgsteer", "tps"], M[k, "pgbouncer", "tps"]),
                ratio(M[k, "pgsteer-primary", "tps"], M[k, "direct", "tps"]),
                ratio(M[k, "pgbouncer", "tps"], M[k, "direct", "tps"])
        }
    }' "$CSV"
}

write_doc() {
    local doc=$SRCDIR/doc/performance.md tmp
    tmp=$(mktemp "$SRCDIR/doc/.performance.md.XXXXXX")
    {
        echo "# pgsteer performance"
        echo
        echo "Written by \`contrib/bench.sh --write-doc\` on $(date -u '+%Y-%m-%d %H:%M UTC'). Rerun it to refresh."
        echo "Numbers are measurements on one machine, not guarantees; tests never assert timings."
        echo
        echo "## Setup"
        echo
        echo "- Machine: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM"
        echo "- Load average when the run started: $LOADAVG_START (other work on the machine skews results)"
        echo "- OS: Debian $(cat /etc/debian_version), Linux $(uname -r)"
        echo "- PostgreSQL: $("$PG_BIN/postgres" --version), primary + 2 streaming replicas (contrib/pgcluster.sh: fsync off), all on loopback"
        echo "- PgBouncer: $(pgbouncer --version 2>/dev/null | head -n 1), pool_mode=transaction, default_pool_size=$BENCH_POOL_SIZE"
        echo "- pgsteer: $("$PGSTEER_BIN" -V 2>&1 | head -n 1), pool_mode=transaction, default_pool_size=$BENCH_POOL_SIZE, $PGSTEER_BUILD"
        echo "- Load: pgbench -i -s $BENCH_SCALE; each run \`pgbench -n -M MODE -c CLIENTS -j $BENCH_JOBS -T $DURATION\` after a ${BENCH_WARMUP} s warm-up, client on the same host"
        echo "- Rounds: $BENCH_ROUNDS (targets interleaved; the table shows means)"
        echo "- Proxy CPU: utime+stime of the proxy process during the run divided by the transactions processed"
        echo "- Command: \`DURATION=$DURATION BENCH_ROUNDS=$BENCH_ROUNDS BENCH_CLIENTS=\"$BENCH_CLIENTS\" BENCH_MODES=\"$BENCH_MODES\" BENCH_SCRIPTS=\"$BENCH_SCRIPTS\" contrib/bench.sh --write-doc\`"
        echo
        echo "## Results"
        echo
        report
    } >"$tmp"
    mv "$tmp" "$doc"
    say "wrote $doc"
}

# ---------------------------------------------------------------- main

[ "$(id -u)" = 0 ] || die "run as root (installs packages, runs PostgreSQL and PgBouncer as postgres)"
[ "$DURATION" -gt 0 ] 2>/dev/null || die "DURATION must be a positive number of seconds"
install_missing_packages
[ -x "$PGCLUSTER" ] || die "$PGCLUSTER not found"
say "load average $LOADAVG_START on $(nproc) CPUs (anything else running skews the numbers)"

BENCH_OUT=$(realpath -m "$BENCH_OUT")
LOGDIR=$BENCH_OUT/logs-$STAMP    # pgbench output, build log, proxy logs and configs
mkdir -p "$LOGDIR"
trap cleanup EXIT
trap 'exit 130' INT TERM
WORK=$(mktemp -d /tmp/pgsteer-bench.XXXXXX)
chmod 755 "$WORK"    # the postgres user keeps the cluster and PgBouncer below it
CSV=$BENCH_OUT/bench-$STAMP.csv
echo "stamp,target,script,mode,clients,jobs,duration_s,pool_size,tps,latency_avg_ms,transactions,failed_transactions,proxy_cpu_us_per_tx,status,round" >"$CSV"

case " $BENCH_TARGETS " in *" pgsteer "*|*" pgsteer-primary "*) build_pgsteer ;; esac
start_cluster
for target in $BENCH_TARGETS; do
    case $target in
    direct) start_direct ;;
    pgbouncer) start_pgbouncer ;;
    pgsteer) start_pgsteer pgsteer all ;;
    pgsteer-primary) start_pgsteer pgsteer-primary primary ;;
    *) die "unknown target $target (BENCH_TARGETS: direct pgbouncer pgsteer-primary pgsteer)" ;;
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

TABLE=$BENCH_OUT/bench-$STAMP.md
report | tee "$TABLE"
say "raw numbers: $CSV; table: $TABLE; logs: $LOGDIR"

if [ ${#PROBLEMS[@]} -gt 0 ]; then
    loud "INCOMPLETE RUN: not every target was measured" "${PROBLEMS[@]}"
    if [ "$WRITE_DOC" = 1 ]; then say "not writing doc/performance.md from an incomplete run"; fi
    exit 3
fi
if [ "$WRITE_DOC" = 1 ]; then write_doc; fi
exit 0
