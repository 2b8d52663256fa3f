#!/usr/bin/env bash
# soak.sh: many clients connecting, querying, cancelling, getting killed and
# disconnecting in random patterns through pgsteer, against a throwaway
# primary + 2 replicas; checks that no fd leaks, that RSS stays flat after
# warm-up, and that a shorter run under valgrind --leak-check=full is clean.
# The driver is contrib/soak.py; its docstring lists the client patterns.
#
#   contrib/soak.sh            the long form: 30 min of load, 2 min under valgrind
#   contrib/soak.sh --ci       the bounded form contrib/check.sh runs (under a minute)
#   contrib/soak.sh --seconds 600 --workers 64 --valgrind-seconds 0   (any mix)
#
# Environment: PGSTEER_BIN (default build/src/pgsteer; an -O2 build, not the
# ASan one: valgrind cannot run it and ASan's quarantine makes RSS grow).
# Exit code 0 when every check held; the figures are printed either way.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

args=()
for a in "$@"; do
	if [ "$a" = --ci ]; then
		# 2,000 connections (at least 15 s, at most 30 s), then 8 s under valgrind
		# with two worker threads (the load phase runs one)
		args+=(--seconds 15 --max-seconds 30 --clients 2000 --workers 16 --valgrind-seconds 8
			--valgrind-pgsteer-workers 2)
	else
		args+=("$a")
	fi
done
ulimit -n 8192 2>/dev/null || true
exec /usr/bin/python3 contrib/soak.py "${args[@]}"
