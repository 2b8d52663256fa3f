#!/usr/bin/env bash
# check.sh: everything CI runs, from any directory. Installs what is missing
# (Debian, as root), builds with -Werror out of tree, runs the cmocka unit
# tests, the same under ASan/UBSan, a short fuzz run when clang is there,
# the checks of what ships beside the code (contrib/check-docs.sh: man
# pages, alert rules, dashboard, logrotate, links), `make distcheck` (the
# tarball builds, unit-tests, installs and uninstalls cleanly), the pytest
# integration suite against real PostgreSQL 15 servers (also under ASan/UBSan,
# and under ThreadSanitizer with workers = 2 in every pgsteer it starts), the bounded
# soak (contrib/soak.sh --ci: fd leaks, RSS, valgrind), and the Debian
# package (contrib/package.sh: builds, lintian, installs, serves, purges).
# The last line printed is always `N passed, N failed` (unit + fuzz + docs +
# distcheck + integration + soak + package; a stage that cannot run counts as one
# failure), and the exit code is non-zero if anything failed.
#
# Environment: BUILD_DIR (default build), ASAN_BUILD_DIR (default
# build-asan), FUZZ_SECONDS (default 5 s per fuzz target; run contrib/fuzz.sh alone for long runs),
# ASAN_PYTEST_IGNORE (modules the ASan and TSan integration runs leave out), CHECK_SKIP_ASAN=1,
# TSAN_BUILD_DIR (default build-tsan), CHECK_SKIP_TSAN=1,
# CHECK_SKIP_FUZZ=1, CHECK_SKIP_APT=1, CHECK_SKIP_DISTCHECK=1,
# CHECK_SKIP_SOAK=1, CHECK_SKIP_PACKAGE=1, PYTEST_ARGS (extra pytest arguments), PYTEST_TIMEOUT
# (seconds for the whole integration run, default 900).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
SRCDIR=$(pwd)
BUILD_DIR=${BUILD_DIR:-build}
ASAN_BUILD_DIR=${ASAN_BUILD_DIR:-build-asan}
TSAN_BUILD_DIR=${TSAN_BUILD_DIR:-build-tsan}
FUZZ_SECONDS=${FUZZ_SECONDS:-5}
# The ASan/UBSan run leaves out the load and fault modules (throughput and
# fault timings under a 2-3x slower daemon); their code paths run under ASan
# in the other modules, and under valgrind in the soak.
ASAN_PYTEST_IGNORE=${ASAN_PYTEST_IGNORE:---ignore=tests/integration/test_pgbench.py --ignore=tests/integration/test_faults.py --ignore=tests/integration/test_failover.py --ignore=tests/integration/test_demo.py}
PYTHON=/usr/bin/python3
JOBS=2

PACKAGES=(build-essential autoconf automake pkg-config libevent-dev libssl-dev
	libinih-dev libpcre2-dev libcmocka-dev libpq-dev libpg-query-dev clang
	python3-pytest python3-psycopg python3-psycopg-pool python3-asyncpg nodejs
	postgresql-15 postgresql-contrib pgbouncer openssl
	prometheus groff-base man-db logrotate valgrind iproute2 procps
	debhelper lintian)
# npm: tests/integration/test_drivers.py installs node-postgres with it. A
# nodejs that bundles npm (NodeSource's) conflicts with Debian's npm package.
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)

PASSED=0
FAILED=0

say() { printf '\n==== check.sh: %s\n' "$*"; }

# Print the totals as the very last line and leave with the right code.
finish() {
	say "summary: unit+fuzz+docs+distcheck+integration+soak+package"
	echo "$PASSED passed, $FAILED failed"
	if [ "$FAILED" -eq 0 ]; then exit 0; fi
	exit 1
}

# A stage that could not run at all counts as one failure.
stage_failed() {
	echo "check.sh: FAILED: $*" >&2
	FAILED=$((FAILED + 1))
}

install_packages() {
	local missing=() p
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "check.sh: missing packages (not root, not installing): ${missing[*]}" >&2
		return 0
	fi
	say "apt-get install ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Sum cmocka's "[  PASSED  ] N test(s)." / "[  FAILED  ] N test(s)" lines
# from one build's unit test logs; a failed `make check` whose logs show no
# failure (a crash before cmocka's summary) counts as one failure.
tally_unit() {
	local dir=$1 make_rc=$2 p f
	p=$(cat "$dir"/tests/unit/*.log 2>/dev/null |
		sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test(s)\..*/\1/p' | awk '{s+=$1} END {print s+0}')
	f=$(cat "$dir"/tests/unit/*.log 2>/dev/null |
		sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test(s).*/\1/p' | awk '{s+=$1} END {print s+0}')
	echo "check.sh: $dir unit tests: $p passed, $f failed (make check exit $make_rc)"
	PASSED=$((PASSED + p))
	FAILED=$((FAILED + f))
	if [ "$make_rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		stage_failed "make check in $dir (a test crashed or the harness failed)"
	fi
}

# Configure and build in $1 with the remaining arguments; then make check.
# Returns non-zero if the build itself failed.
build_and_unit_test() {
	local dir=$1 rc=0
	shift
	say "configure $* in $dir"
	mkdir -p "$dir"
	if ! (cd "$dir" && "$SRCDIR/configure" "$@" >configure.out 2>&1); then
		tail -n 40 "$dir/configure.out" || true
		stage_failed "configure in $dir"
		return 1
	fi
	say "make in $dir"
	if ! make -C "$dir" -j"$JOBS"; then
		stage_failed "make in $dir"
		return 1
	fi
	say "make check in $dir"
	rm -f "$dir"/tests/unit/*.log "$dir"/tests/unit/*.trs
	env -u CMOCKA_MESSAGE_OUTPUT make -k -C "$dir" -j"$JOBS" check || rc=$?
	if [ "$rc" -ne 0 ] && [ -f "$dir/test-suite.log" ]; then
		cat "$dir/test-suite.log"
	fi
	tally_unit "$dir" "$rc"
	return 0
}

run_fuzz() {
	[ "${CHECK_SKIP_FUZZ:-0}" = 1 ] && return 0
	[ -x contrib/fuzz.sh ] || [ -f contrib/fuzz.sh ] || return 0
	command -v clang >/dev/null || { echo "check.sh: no clang, fuzzing skipped"; return 0; }
	say "contrib/fuzz.sh (FUZZ_SECONDS=$FUZZ_SECONDS)"
	if FUZZ_SECONDS=$FUZZ_SECONDS timeout $((FUZZ_SECONDS * 10 + 300)) bash contrib/fuzz.sh; then
		PASSED=$((PASSED + 1))
	else
		stage_failed "contrib/fuzz.sh"
	fi
}

# contrib/check-docs.sh: one count per check; its last line is "N passed, N failed".
run_docs_checks() {
	local out last t0=$SECONDS
	say "contrib/check-docs.sh"
	out=$(bash contrib/check-docs.sh 2>&1)
	printf '%s\n' "$out"
	last=$(printf '%s\n' "$out" | tail -n 1)
	if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
		PASSED=$((PASSED + BASH_REMATCH[1]))
		FAILED=$((FAILED + BASH_REMATCH[2]))
	else
		stage_failed "contrib/check-docs.sh did not finish"
	fi
	echo "check.sh: docs checks took $((SECONDS - t0))s"
}

# make distcheck from the main build: the tarball configures (with
# AM_DISTCHECK_CONFIGURE_FLAGS), builds, passes the unit tests, installs
# and uninstalls cleanly. The integration suite is not part of `make check`,
# so it does not run again here; and the tarball is built at -O0 (still
# with -Werror), since the optimised build was checked above: about a
# fifth faster.
run_distcheck() {
	local log=$SRCDIR/$BUILD_DIR/distcheck.log t0=$SECONDS
	[ "${CHECK_SKIP_DISTCHECK:-0}" = 1 ] && return 0
	say "make distcheck in $BUILD_DIR (log: $log)"
	if make -C "$BUILD_DIR" -j"$JOBS" distcheck DISTCHECK_CONFIGURE_FLAGS="CFLAGS=-O0" >"$log" 2>&1; then
		grep -A3 'archives ready for distribution' "$log" || true
		PASSED=$((PASSED + 1))
	else
		tail -n 60 "$log"
		stage_failed "make distcheck (see $log)"
	fi
	echo "check.sh: make distcheck took $((SECONDS - t0))s"
}

# The bounded soak against the -O2 build: 2,000+ clients in random patterns,
# fd and RSS checks, then a short run under valgrind --leak-check=full.
run_soak() {
	local bin=$SRCDIR/$BUILD_DIR/src/pgsteer
	[ "${CHECK_SKIP_SOAK:-0}" = 1 ] && return 0
	say "contrib/soak.sh --ci (PGSTEER_BIN=$bin)"
	if PGSTEER_BIN=$bin timeout -k 30 300 bash contrib/soak.sh --ci; then
		PASSED=$((PASSED + 1))
	else
		stage_failed "contrib/soak.sh --ci"
	fi
}

# contrib/package.sh: the Debian package builds in a copy of the tree, has
# no lintian error, installs, serves through its unit's command line, and
# purges cleanly (about 30 s; it installs and purges, so it needs root).
run_package() {
	local t0=$SECONDS
	[ "${CHECK_SKIP_PACKAGE:-0}" = 1 ] && return 0
	say "contrib/package.sh"
	if timeout -k 30 600 bash contrib/package.sh; then
		PASSED=$((PASSED + 1))
	else
		stage_failed "contrib/package.sh (CHECK_SKIP_PACKAGE=1 leaves it out)"
	fi
	echo "check.sh: package took $((SECONDS - t0))s"
}

# Parse pytest's junit XML into "passed failed".
junit_counts() {
	"$PYTHON" - "$1" <<-'PY'
		import sys, xml.etree.ElementTree as ET
		root = ET.parse(sys.argv[1]).getroot()
		suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
		t = f = e = s = 0
		for su in suites:
		    t += int(su.get("tests", 0)); f += int(su.get("failures", 0))
		    e += int(su.get("errors", 0)); s += int(su.get("skipped", 0))
		print(t - f - e - s, f + e)
	PY
}

# Tear down whatever test clusters a killed pytest left in $1, then remove it.
cleanup_tmp() {
	local d
	for d in "$1"/pgsteer-it-*/pg; do
		if [ -d "$d" ]; then
			contrib/pgcluster.sh destroy "$d" >/dev/null 2>&1 || true
		fi
	done
	rm -rf "$1"
}

# Run the pytest suite against the pgsteer binary of build dir $1 ($2: a label).
run_integration() {
	local dir=$1 label=$2 bin=$SRCDIR/$1/src/pgsteer xml=$SRCDIR/$1/integration-junit.xml rc=0 counts tmp
	local extra=${3:-}
	say "integration tests, $label (pytest, PGSTEER_BIN=$bin)"
	if [ ! -x "$bin" ]; then
		stage_failed "no pgsteer binary in $dir for the $label integration run"
		return
	fi
	rm -f "$xml"
	ulimit -n 8192 2>/dev/null || true
	tmp=$(mktemp -d /tmp/pgsteer-check.XXXXXX)
	chmod 0755 "$tmp"   # the postgres user must reach the clusters inside
	# shellcheck disable=SC2086
	TMPDIR=$tmp PGSTEER_BIN=$bin timeout -k 30 "${PYTEST_TIMEOUT:-900}" \
		"$PYTHON" -m pytest tests/integration --junitxml="$xml" $extra ${PYTEST_ARGS:-} || rc=$?
	if [ "$rc" -eq 124 ]; then
		echo "check.sh: pytest killed after ${PYTEST_TIMEOUT:-900}s" >&2
	fi
	cleanup_tmp "$tmp"
	if [ ! -s "$xml" ]; then
		stage_failed "pytest produced no report (exit $rc)"
		return
	fi
	counts=$(junit_counts "$xml") || { stage_failed "could not read $xml"; return; }
	local p=${counts% *} f=${counts#* }
	echo "check.sh: integration tests ($label): $p passed, $f failed (pytest exit $rc)"
	PASSED=$((PASSED + p))
	FAILED=$((FAILED + f))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		stage_failed "pytest exit $rc"   # e.g. 5: no tests collected
	fi
}

main() {
	if [ "${CHECK_SKIP_APT:-0}" != 1 ]; then
		install_packages || { stage_failed "apt-get install"; finish; }
	fi
	if [ -f config.status ]; then
		stage_failed "the source tree is configured in place; run 'make distclean' at the top first"
		finish
	fi
	say "autoreconf -fi"
	if ! autoreconf -fi; then
		stage_failed "autoreconf"
		finish
	fi
	# without the main build nothing else can be trusted: stop at once
	build_and_unit_test "$BUILD_DIR" --enable-werror || finish
	if [ "${CHECK_SKIP_ASAN:-0}" != 1 ]; then
		build_and_unit_test "$ASAN_BUILD_DIR" --enable-werror --enable-sanitizers || true
	fi
	if [ "${CHECK_SKIP_TSAN:-0}" != 1 ]; then
		build_and_unit_test "$TSAN_BUILD_DIR" --enable-werror --enable-tsan || true
	fi
	run_fuzz
	run_docs_checks
	run_distcheck
	run_integration "$BUILD_DIR" "-O2 build"
	# the same suite again with two worker threads in every pgsteer it starts
	# (doc/workers.md), against the ThreadSanitizer daemon: a data race makes
	# it exit 66 and the test fail (tests/integration/conftest.py). Less the
	# load and fault-timing modules, as the ASan run: their code paths are
	# each worker's own, and the whole run stays under 15 minutes.
	if [ "${CHECK_SKIP_TSAN:-0}" != 1 ]; then
		PGSTEER_TEST_WORKERS=2 TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=0} \
			run_integration "$TSAN_BUILD_DIR" "TSan build, workers = 2" "$ASAN_PYTEST_IGNORE \
				--ignore=tests/integration/test_faults_routing.py"
	fi
	run_soak
	run_package
	# the same suite against the ASan/UBSan daemon: every instance must stop
	# with exit 0 and no sanitizer report (tests/integration/conftest.py)
	if [ "${CHECK_SKIP_ASAN:-0}" != 1 ]; then
		ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
		UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
			run_integration "$ASAN_BUILD_DIR" "ASan/UBSan build" "$ASAN_PYTEST_IGNORE"
	fi
	finish
}

main "$@"
