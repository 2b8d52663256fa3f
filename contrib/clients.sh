#!/usr/bin/env bash
# clients.sh: pgsteer with two drivers the pytest suite does not use, pgJDBC
# (Debian's libpostgresql-jdbc-java, 42.5) and pgx v4 (Debian's
# golang-github-jackc-pgx-v4-dev, built offline in GOPATH mode against
# /usr/share/gocode), each used the way its users use it. The programs are
# contrib/clients/JdbcCheck.java and contrib/clients/pgxcheck/main.go; their
# headers list the checks: a pool of 20 connections (6 under session pooling)
# sharing 1000 iterations of prepared statements, a transaction that inserts
# and reads back, a plain read and an error + ROLLBACK, all of which must be
# correct; LISTEN/NOTIFY under write load (all 1000 notifications must
# arrive) and at an idle listener; pipelined batches; prepared statements
# across an ALTER TABLE; COPY in and out; query cancel. doc/operations.md
# section 7 has the table of checks.
#
#   contrib/clients.sh                 both pool modes (transaction, then session)
#   contrib/clients.sh --transaction   transaction pooling only
#   contrib/clients.sh --session       session pooling only
#
# Runs as root on Debian 12: installs what is missing with apt-get, builds
# pgsteer out of tree unless PGSTEER_BIN is given, starts a primary and two
# streaming replicas (contrib/pgcluster.sh) on free loopback ports in a temp
# directory, and for each pool mode a pgsteer in front of the three
# (default_pool_size 8, auth_type trust), then runs each driver's program.
# Everything it started is stopped on exit. Each check prints a PASS or FAIL
# line; the last line is always `N passed, N failed` (a driver program that
# cannot be built or dies counts as one failure, and so does a pgsteer that
# is not running after the drivers or does not exit 0 on SIGTERM); the exit
# code is non-zero if anything failed.
#
# Environment: PGSTEER_BIN (a built pgsteer; default: build one in BUILD_DIR,
# default build, with autoreconf -fi, configure and make), PG_BIN (default
# /usr/lib/postgresql/15/bin), CLIENTS_ITERATIONS (default 1000, per driver
# and mode), CLIENTS_NOTIFICATIONS (default 1000), CLIENTS_DRIVERS (default
# "jdbc pgx"), CLIENTS_TIMEOUT (seconds per driver program, default 420; the
# programs give up on a hung check long before), CLIENTS_SKIP_APT=1,
# CLIENTS_KEEP=1 (keep the temp directory: logs, configs, stopped cluster).
set -euo pipefail

SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$SRCDIR"
BUILD_DIR=${BUILD_DIR:-build}
export PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
ITERATIONS=${CLIENTS_ITERATIONS:-1000}
NOTIFICATIONS=${CLIENTS_NOTIFICATIONS:-1000}
PROGRAM_TIMEOUT=${CLIENTS_TIMEOUT:-420}
read -r -a DRIVERS <<<"${CLIENTS_DRIVERS:-jdbc pgx}"
PGCLUSTER=$SRCDIR/contrib/pgcluster.sh
JDBC_JAR=/usr/share/java/postgresql.jar
GOCODE=/usr/share/gocode

PACKAGES=(postgresql-15 postgresql-client-15 default-jdk-headless libpostgresql-jdbc-java
	golang-go golang-github-jackc-pgx-v4-dev)
BUILD_PACKAGES=(build-essential autoconf automake pkg-config libevent-dev libssl-dev
	libinih-dev libpcre2-dev libpq-dev)

MODES=(transaction session)
case ${1:-} in
'') ;;
--transaction) MODES=(transaction) ;;
--session) MODES=(session) ;;
-h | --help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "${BASH_SOURCE[0]}"; exit 0 ;;
*) echo "usage: $0 [--transaction | --session]" >&2; exit 2 ;;
esac

PASSED=0
FAILED=0
WORK=""
PGSTEER_PID=""
CHILD_PID=""
TAIL_PID=""
T_START=$SECONDS

say() { printf '\n==== clients.sh: %s\n' "$*"; }

# Something that is not one of the drivers' checks failed: one failure.
fail() {
	echo "FAIL $*"
	FAILED=$((FAILED + 1))
}

pass() {
	echo "PASS $*"
	PASSED=$((PASSED + 1))
}

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
	set +e
	if [ -n "$CHILD_PID" ]; then
		kill -TERM "$CHILD_PID" 2>/dev/null # timeout(1) passes it on to the program
		wait "$CHILD_PID" 2>/dev/null
	fi
	if [ -n "$TAIL_PID" ]; then
		kill "$TAIL_PID" 2>/dev/null
	fi
	if [ -n "$PGSTEER_PID" ] && kill -0 "$PGSTEER_PID" 2>/dev/null; then
		kill -KILL "$PGSTEER_PID" 2>/dev/null
		wait "$PGSTEER_PID" 2>/dev/null
	fi
	PGSTEER_PID=""
	if [ -n "$WORK" ] && [ -d "$WORK" ]; then
		if [ -d "$WORK/pg" ]; then
			if [ "${CLIENTS_KEEP:-0}" = 1 ]; then
				"$PGCLUSTER" stop "$WORK/pg" >/dev/null 2>&1
			else
				"$PGCLUSTER" destroy "$WORK/pg" >/dev/null 2>&1
			fi
		fi
		if [ "${CLIENTS_KEEP:-0}" = 1 ]; then
			echo "clients.sh: kept $WORK"
		else
			rm -rf "$WORK"
		fi
	fi
}

# shellcheck disable=SC2317  # invoked by the EXIT trap
on_exit() {
	local rc=$?
	set +e
	cleanup
	if [ "$rc" -ne 0 ]; then # main ends with exit 0
		echo "clients.sh: FAILED: stopped early (exit $rc)" >&2
		FAILED=$((FAILED + 1))
	fi
	say "summary ($((SECONDS - T_START)) s)"
	echo "$PASSED passed, $FAILED failed"
	if [ "$FAILED" -eq 0 ] && [ "$rc" -eq 0 ]; then exit 0; fi
	exit 1
}
trap on_exit EXIT
trap 'exit 130' INT TERM

install_packages() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "clients.sh: missing packages (not root, not installing): ${missing[*]}" >&2
		return 1
	fi
	say "apt-get install ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Out of tree, as contrib/check.sh: autoreconf, configure, make in BUILD_DIR.
build_pgsteer() {
	if [ -f config.status ]; then
		echo "clients.sh: the source tree is configured in place; run 'make distclean' or set PGSTEER_BIN" >&2
		return 1
	fi
	if [ ! -f "$BUILD_DIR/Makefile" ]; then
		say "autoreconf -fi; configure in $BUILD_DIR"
		autoreconf -fi
		mkdir -p "$BUILD_DIR"
		(cd "$BUILD_DIR" && "$SRCDIR/configure" >configure.out 2>&1) ||
			{ tail -n 40 "$BUILD_DIR/configure.out"; return 1; }
	fi
	say "make in $BUILD_DIR"
	make -C "$BUILD_DIR" -j2 >/dev/null
}

port_in_use() {
	timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# A random base port such that it and the next $1-1 ports are free, below
# the kernel's ephemeral range (a client socket there, pg_basebackup's for
# one, could take a port between the check and the server's bind).
free_ports() {
	local base i try ok low=32768 span
	read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
	span=$((low - 10000 - $1))
	[ "$span" -gt 1000 ] || span=20000 # an odd range: hope for the best
	for ((try = 0; try < 200; try++)); do
		base=$((10000 + RANDOM % span))
		ok=1
		for ((i = 0; i < $1; i++)); do
			if port_in_use $((base + i)); then ok=0; break; fi
		done
		if [ "$ok" = 1 ]; then echo "$base"; return 0; fi
	done
	echo "clients.sh: no $1 free loopback ports in a row" >&2
	return 1
}

# The tests/integration/helpers.py pgsteer_sections config, pool size 8.
write_config() {
	local mode=$1
	cat >"$WORK/pgsteer-$mode.ini" <<-EOF
		; written by contrib/clients.sh
		[pgsteer]
		listen_addr = 127.0.0.1
		listen_port = $PROXY_PORT
		auth_type = trust
		pool_mode = $mode
		default_pool_size = 8
		max_client_conn = 1000
		admin_users = admin
		shutdown_timeout = 3s

		[stats]
		listen =

		[cluster.main]

		[node.main1]
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
	local mode=$1 i
	write_config "$mode"
	"$PGSTEER_BIN" -c "$WORK/pgsteer-$mode.ini" >"$WORK/pgsteer-$mode.log" 2>&1 &
	PGSTEER_PID=$!
	for ((i = 0; i < 150; i++)); do
		if ! kill -0 "$PGSTEER_PID" 2>/dev/null; then
			tail -n 20 "$WORK/pgsteer-$mode.log"
			PGSTEER_PID=""
			return 1
		fi
		port_in_use "$PROXY_PORT" && return 0
		sleep 0.1
	done
	tail -n 20 "$WORK/pgsteer-$mode.log"
	return 1
}

# pgsteer must still run after the drivers, and stop with 0 on SIGTERM.
stop_pgsteer() {
	local mode=$1 rc=0 i
	if ! kill -0 "$PGSTEER_PID" 2>/dev/null; then
		wait "$PGSTEER_PID" || rc=$?
		PGSTEER_PID=""
		fail "pgsteer/$mode: not running after the drivers (exit $rc); last lines of its log:"
		tail -n 30 "$WORK/pgsteer-$mode.log" | sed 's/^/    /'
		return 0
	fi
	kill -TERM "$PGSTEER_PID"
	for ((i = 0; i < 150; i++)); do
		kill -0 "$PGSTEER_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$PGSTEER_PID" 2>/dev/null; then
		kill -KILL "$PGSTEER_PID"
		wait "$PGSTEER_PID" 2>/dev/null || true
		PGSTEER_PID=""
		fail "pgsteer/$mode: still running 15 s after SIGTERM (killed)"
		return 0
	fi
	wait "$PGSTEER_PID" || rc=$?
	PGSTEER_PID=""
	if [ "$rc" -eq 0 ]; then
		pass "pgsteer/$mode: ran through the drivers, exit 0 on SIGTERM"
	else
		fail "pgsteer/$mode: exit $rc on SIGTERM; last lines of its log:"
		tail -n 30 "$WORK/pgsteer-$mode.log" | sed 's/^/    /'
	fi
}

build_jdbc() {
	[ -r "$JDBC_JAR" ] || { echo "clients.sh: no $JDBC_JAR" >&2; return 1; }
	mkdir -p "$WORK/jdbc"
	javac -Xlint:all -Werror -cp "$JDBC_JAR" -d "$WORK/jdbc" contrib/clients/JdbcCheck.java
}

# GOPATH mode: Debian installs pgx and everything it imports under
# /usr/share/gocode/src in GOPATH layout (major versions as /v4, /v2
# directories), so no go.mod and no module download is needed.
build_pgx() {
	[ -d "$GOCODE/src/github.com/jackc/pgx/v4" ] || { echo "clients.sh: no pgx v4 in $GOCODE" >&2; return 1; }
	if [ -z "${GOCACHE:-}" ] && [ -z "${HOME:-}" ] && [ -z "${XDG_CACHE_HOME:-}" ]; then
		export GOCACHE=$WORK/gocache
	fi
	GO111MODULE=off GOPATH=$GOCODE GOPROXY=off GOFLAGS='' \
		go build -o "$WORK/pgxcheck" ./contrib/clients/pgxcheck
}

# Run one driver's program; count its PASS and FAIL lines.
run_driver() {
	local driver=$1 mode=$2 pool=$3 out=$WORK/$1-$2.out rc=0 p f
	local -a cmd
	case $driver in
	jdbc) cmd=(java -cp "$JDBC_JAR:$WORK/jdbc" JdbcCheck) ;;
	pgx) cmd=("$WORK/pgxcheck") ;;
	esac
	say "$driver, pool_mode = $mode, $pool connections, $ITERATIONS iterations"
	# in the background, so that a signal to this script is acted on at once
	# (timeout(1) runs the program in a process group of its own)
	PGSTEER_PORT=$PROXY_PORT NODE_PORTS="$PG_PORT,$((PG_PORT + 1)),$((PG_PORT + 2))" \
		CLIENTS_MODE=$mode CLIENTS_POOL=$pool CLIENTS_ITERATIONS=$ITERATIONS \
		CLIENTS_NOTIFICATIONS=$NOTIFICATIONS \
		timeout -k 10 "$PROGRAM_TIMEOUT" "${cmd[@]}" >"$out" 2>&1 &
	CHILD_PID=$!
	tail -n +1 -f -s 0.1 --pid="$CHILD_PID" "$out" &
	TAIL_PID=$!
	wait "$CHILD_PID" || rc=$?
	wait "$TAIL_PID" || true # it prints the rest, then ends with the program
	CHILD_PID=""
	TAIL_PID=""
	p=$(grep -c '^PASS ' "$out" || true)
	f=$(grep -c '^FAIL ' "$out" || true)
	PASSED=$((PASSED + p))
	FAILED=$((FAILED + f))
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		fail "$driver/$mode: killed after ${PROGRAM_TIMEOUT} s"
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		fail "$driver/$mode: the program exited $rc without a FAIL line"
	fi
}

main() {
	local mode pool d t0
	declare -A built=()
	if [ "${CLIENTS_SKIP_APT:-0}" != 1 ]; then
		if [ -n "${PGSTEER_BIN:-}" ]; then
			install_packages "${PACKAGES[@]}"
		else
			install_packages "${PACKAGES[@]}" "${BUILD_PACKAGES[@]}"
		fi
	fi
	if [ -z "${PGSTEER_BIN:-}" ]; then
		build_pgsteer
		PGSTEER_BIN=$SRCDIR/$BUILD_DIR/src/pgsteer
	fi
	[ -x "$PGSTEER_BIN" ] || { echo "clients.sh: no pgsteer at $PGSTEER_BIN" >&2; exit 2; }
	echo "clients.sh: pgsteer $PGSTEER_BIN ($("$PGSTEER_BIN" -V 2>&1 | head -n 1))"

	WORK=$(mktemp -d /tmp/pgsteer-clients.XXXXXX)
	chmod 0755 "$WORK" # the postgres user keeps the cluster below it

	for d in "${DRIVERS[@]}"; do
		t0=$SECONDS
		say "build the $d program"
		case $d in
		jdbc) build_jdbc && built[$d]=1 ;;
		pgx) build_pgx && built[$d]=1 ;;
		*) echo "clients.sh: unknown driver '$d' in CLIENTS_DRIVERS (jdbc, pgx)" >&2 ;;
		esac
		if [ -n "${built[$d]:-}" ]; then
			echo "clients.sh: built in $((SECONDS - t0)) s"
		else
			fail "$d: the program did not build"
		fi
	done

	# a port taken between the check and the bind: again on other ports
	local base try
	t0=$SECONDS
	for ((try = 1; ; try++)); do
		base=$(free_ports 4)
		PG_PORT=$base
		PROXY_PORT=$((base + 3))
		say "primary + 2 replicas on 127.0.0.1:$PG_PORT-$((PG_PORT + 2)) (contrib/pgcluster.sh)"
		"$PGCLUSTER" start "$WORK/pg" "$PG_PORT" && break
		"$PGCLUSTER" destroy "$WORK/pg" >/dev/null 2>&1 || true
		[ "$try" -lt 3 ] || exit 1
	done
	echo "clients.sh: streaming after $((SECONDS - t0)) s"

	for mode in "${MODES[@]}"; do
		pool=20
		[ "$mode" = session ] && pool=6
		say "pgsteer on 127.0.0.1:$PROXY_PORT, pool_mode = $mode, default_pool_size = 8"
		if ! start_pgsteer "$mode"; then
			fail "pgsteer/$mode: did not start"
			continue
		fi
		for d in "${DRIVERS[@]}"; do
			[ -n "${built[$d]:-}" ] || continue
			t0=$SECONDS
			run_driver "$d" "$mode" "$pool"
			echo "clients.sh: $d/$mode took $((SECONDS - t0)) s"
		done
		if grep -q -E ' (WARNING|ERROR|FATAL|PANIC) ' "$WORK/pgsteer-$mode.log"; then
			echo "clients.sh: pgsteer's warnings and errors ($mode; first 20):"
			grep -E ' (WARNING|ERROR|FATAL|PANIC) ' "$WORK/pgsteer-$mode.log" | head -n 20 | sed 's/^/    /'
		fi
		stop_pgsteer "$mode"
	done
}

main "$@"
exit 0
