#!/usr/bin/env bash
# bench.sh: pgsteer side by side with direct PostgreSQL, PgBouncer and Pgpool-II
# (issue #8's benchmark). The implementation and its description (--help) are
# contrib/bench.py; this wrapper keeps the documented command.
exec python3 "$(dirname "$0")/bench.py" "$@"
