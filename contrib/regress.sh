#!/usr/bin/env bash
# regress.sh: run PostgreSQL 15's regression suite (pg_regress, the
# parallel_schedule run one test at a time) directly against a throwaway
# primary and then through pgsteer, and print the tests whose output
# differs only through pgsteer.
#
#   contrib/regress.sh            quiet when pgsteer changes nothing (exit 0);
#                                 else one line per differing test (exit 1)
#
# Each run gets a fresh cluster (contrib/pgcluster.sh: primary on PG_PORT,
# replicas on PG_PORT+1 and +2) and the database "regression" (some tests
# print its name). pgsteer configurations, in CONFIGS (default "a b c"):
#   a  primary + 2 replicas, pool_mode = transaction
#   b  primary only,         pool_mode = transaction
#   c  primary + 2 replicas, pool_mode = session
# A test still running after TEST_TIMEOUT seconds (its psql hangs) is
# killed and reported as "hang".
#
# Env: PGSTEER (binary; default the newest build*/src/pgsteer), PG_BIN,
# PGSRC (src/test/regress of a PostgreSQL 15 source tree; default: Debian's
# source package, fetched with `apt-get source postgresql-15`, which needs
# a deb-src entry in the apt sources), PG_PORT (35432), STEER_PORT (36432),
# CONFIGS, TEST_TIMEOUT (120), REGRESS_WORK (work dir, kept; default a
# temporary one, removed), KEEP=1 (keep the work dir).
# Needs root (servers run as the postgres user); installs the PostgreSQL
# server headers (postgresql-server-dev-15, to build regress.so with PGXS)
# with apt-get when they are missing.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_PORT=${PG_PORT:-35432}
STEER_PORT=${STEER_PORT:-36432}
CONFIGS=${CONFIGS:-a b c}
TEST_TIMEOUT=${TEST_TIMEOUT:-120}
PG_REGRESS=${PG_REGRESS:-$("$PG_BIN/pg_config" --pkglibdir)/pgxs/src/test/regress/pg_regress}

die() { echo "regress.sh: $*" >&2; exit 2; }

[ "$(id -u)" -eq 0 ] || die "run as root (servers and pg_regress run as the postgres user)"
if [ ! -x "$PG_REGRESS" ] || [ ! -f "$("$PG_BIN/pg_config" --includedir-server)/postgres.h" ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-server-dev-15 >/dev/null ||
		die "cannot install postgresql-server-dev-15 (pg_regress and the server headers)"
fi
[ -x "$PG_REGRESS" ] || die "no pg_regress at $PG_REGRESS"
if [ -z "${PGSTEER:-}" ]; then
	PGSTEER=$(ls -t "$ROOT"/build*/src/pgsteer "$ROOT"/src/pgsteer 2>/dev/null | head -n 1 || true)
fi
[ -n "${PGSTEER:-}" ] && [ -x "$PGSTEER" ] || die "no pgsteer binary (set PGSTEER)"

if [ -n "${REGRESS_WORK:-}" ]; then
	WORK=$REGRESS_WORK
	mkdir -p "$WORK"
	KEEP=1
else
	WORK=$(mktemp -d /tmp/pgsteer-regress.XXXXXX)
fi
chmod 0755 "$WORK"
CLUSTER=$WORK/cluster
STEER_PID=
WATCH_PID=

cleanup() {
	local rc=$?
	set +e
	[ -n "$WATCH_PID" ] && kill "$WATCH_PID" 2>/dev/null
	stop_steer
	"$ROOT/contrib/pgcluster.sh" destroy "$CLUSTER" >/dev/null 2>&1
	if [ "${KEEP:-0}" != 1 ]; then rm -rf "$WORK"; fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM


stop_steer() {
	if [ -n "$STEER_PID" ]; then
		kill "$STEER_PID" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$STEER_PID" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$STEER_PID" 2>/dev/null || true
		wait "$STEER_PID" 2>/dev/null || true
		STEER_PID=
	fi
}

if [ -z "${PGSRC:-}" ]; then
	(cd "$WORK" && apt-get source -q --download-only postgresql-15 >"$WORK/apt-source.log" 2>&1) ||
		die "apt-get source postgresql-15 failed (no deb-src entry?): set PGSRC to src/test/regress of a PostgreSQL 15 tree"
	tar -xjf "$(ls "$WORK"/postgresql-15_*.orig.tar.bz2 | head -n 1)" -C "$WORK" --wildcards '*/src/test/regress'
	PGSRC=$(ls -d "$WORK"/postgresql-15.*/src/test/regress | head -n 1)
fi
[ -f "$PGSRC/parallel_schedule" ] || die "no regression suite in PGSRC=$PGSRC"

# pgsteer's own copy: the build directory may be rebuilt while we run.
cp "$PGSTEER" "$WORK/pgsteer"

# The suite, readable by the postgres user (COPY reads its data files
# server-side and writes into the output directory), and regress.so plus
# the contrib modules the tests load from --dlpath.
cp -r "$PGSRC" "$WORK/src"
mkdir -p "$WORK/lib"
cp "$PGSRC/regress.c" "$WORK/lib/"
cat >"$WORK/lib/Makefile" <<EOF
MODULES = regress
PG_CONFIG = $PG_BIN/pg_config
PGXS := \$(shell \$(PG_CONFIG) --pgxs)
include \$(PGXS)
EOF
make -s -C "$WORK/lib" >"$WORK/lib/build.log" 2>&1 || { cat "$WORK/lib/build.log" >&2; die "building regress.so failed"; }
for m in autoinc refint; do cp "$("$PG_BIN/pg_config" --pkglibdir)/$m.so" "$WORK/lib/"; done
chown -R postgres "$WORK/src" "$WORK/lib"

write_ini() {	# NAME POOL_MODE NODES
	{
		echo "[pgsteer]"
		echo "listen_addr = 127.0.0.1"
		echo "listen_port = $STEER_PORT"
		echo "auth_type = trust"
		echo "pool_mode = $2"
		echo "default_pool_size = 20"
		echo "log_level = debug"
		echo "log_file = $WORK/steer-$1.log"
		echo "[stats]"
		echo "listen ="
		echo "[cluster.main]"
		for i in $(seq 1 "$3"); do
			echo "[node.main$i]"
			echo "cluster = main"
			echo "host = 127.0.0.1"
			echo "port = $((PG_PORT + i - 1))"
		done
	} >"$WORK/steer-$1.ini"
	"$WORK/pgsteer" --check-config -c "$WORK/steer-$1.ini" >/dev/null
}

# Kill a test's psql that runs longer than TEST_TIMEOUT (a hang), and note it.
# pg_regress runs each test as sh -c "psql ... <WORK/src/sql/TEST.sql ...".
watchdog() {	# PG_REGRESS_PID OUT
	local q t parent
	while kill -0 "$1" 2>/dev/null; do
		for q in $(pgrep -u postgres -x psql 2>/dev/null || true); do
			parent=$(ps -o ppid= -p "$q" 2>/dev/null | tr -d ' ')
			[ -n "$parent" ] || continue
			ps -o args= -p "$parent" 2>/dev/null | grep -qF "$WORK/src/sql/" || continue
			t=$(ps -o etimes= -p "$q" 2>/dev/null | tr -d ' ')
			if [ -n "$t" ] && [ "$t" -gt "$TEST_TIMEOUT" ]; then
				ps -o args= -p "$parent" 2>/dev/null | grep -oE '/sql/[A-Za-z0-9_]+\.sql' |
					sed 's|/sql/||; s|\.sql$||' >>"$2/hangs" || true
				kill "$q" 2>/dev/null || true
			fi
		done
		sleep 5
	done
}

run_suite() {	# NAME PORT
	local out=$WORK/out-$1
	rm -rf "$out"
	mkdir -p "$out"
	chown postgres "$out"
	(cd "$out" && exec runuser -u postgres -- "$PG_REGRESS" \
		--inputdir="$WORK/src" --outputdir="$out" --bindir="$PG_BIN" \
		--dlpath="$WORK/lib" --schedule="$WORK/src/parallel_schedule" \
		--max-connections=1 --host=127.0.0.1 --port="$2" --user=postgres \
		--dbname=regression >"$out/run.log" 2>&1) &
	local pid=$!
	watchdog "$pid" "$out" &
	WATCH_PID=$!
	wait "$pid" || true
	kill "$WATCH_PID" 2>/dev/null || true
	wait "$WATCH_PID" 2>/dev/null || true
	WATCH_PID=
	grep -q 'tests passed\|tests failed\|All [0-9]* tests passed' "$out/run.log" ||
		{ tail -n 20 "$out/run.log" >&2; die "pg_regress did not finish ($1)"; }
}

fresh_cluster() {
	"$ROOT/contrib/pgcluster.sh" destroy "$CLUSTER" >/dev/null
	"$ROOT/contrib/pgcluster.sh" start "$CLUSTER" "$PG_PORT" >/dev/null
}

fresh_cluster
run_suite direct "$PG_PORT"

for cfg in $CONFIGS; do
	case $cfg in
	a) write_ini a transaction 3 ;;
	b) write_ini b transaction 1 ;;
	c) write_ini c session 3 ;;
	*) die "unknown configuration '$cfg' (a, b or c)" ;;
	esac
	fresh_cluster
	"$WORK/pgsteer" -c "$WORK/steer-$cfg.ini" >"$WORK/steer-$cfg.stderr" 2>&1 &
	STEER_PID=$!
	for _ in $(seq 100); do
		"$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$STEER_PORT" && break
		kill -0 "$STEER_PID" 2>/dev/null || { cat "$WORK/steer-$cfg.stderr" >&2; die "pgsteer ($cfg) exited"; }
		sleep 0.1
	done
	run_suite "$cfg" "$STEER_PORT"
	kill -0 "$STEER_PID" 2>/dev/null ||
		echo "config $cfg: pgsteer died during the run (see $WORK/steer-$cfg.log)"
	stop_steer
done

# A test differs when its output differs from the direct run's (so tests
# that fail the same way directly, e.g. from a newer server, do not count).
status=0
for cfg in $CONFIGS; do
	out=$WORK/out-$cfg
	for f in "$WORK/out-direct/results/"*.out; do
		t=$(basename "$f" .out)
		if [ -f "$out/hangs" ] && grep -qx -- "$t" "$out/hangs"; then
			echo "config $cfg: $t: hang (killed after ${TEST_TIMEOUT}s)"
			status=1
		elif [ ! -f "$out/results/$t.out" ]; then
			echo "config $cfg: $t: no output"
			status=1
		elif ! cmp -s "$f" "$out/results/$t.out"; then
			n=$(diff "$f" "$out/results/$t.out" | grep -c '^[<>]' || true)
			echo "config $cfg: $t: differs ($n lines)"
			status=1
		fi
	done
done
[ "${KEEP:-0}" = 1 ] && [ $status -ne 0 ] && echo "outputs kept in $WORK"
exit $status
