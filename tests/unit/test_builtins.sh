#!/bin/sh
# The checked-in built-in function table (src/classify_builtins.inc) must be
# what tools/gen_builtins.py makes of the PostgreSQL catalog and
# tools/builtins-overrides.txt today: a hand edit of the .inc, or an
# override without `make builtins`, fails here.
#
# Run by make check with PYTHON and PG_SHAREDIR from configure.  Exits 77
# (skipped) when python3 or the catalog is missing, or when the catalog is
# of another PostgreSQL version than the table.

top=${srcdir:-.}
inc=$top/src/classify_builtins.inc
sharedir=${PG_SHAREDIR:-/usr/share/postgresql/15}
python=${PYTHON:-python3}

if test "$python" = : || ! "$python" -c 'import sys; sys.exit(sys.version_info < (3,))' 2>/dev/null; then
	echo "SKIP: python3 not found (configure with PYTHON=/path/to/python3)"
	exit 77
fi
overrides=$top/tools/builtins-overrides.txt
missing=
test -r "$sharedir/postgres.bki" || missing=" $sharedir/postgres.bki"
if test -z "$missing"; then
	# the extensions whose scripts the overrides read
	exts=$(sed -n 's/^\[extension \([A-Za-z0-9_-]*\)\].*/\1/p' "$overrides")
	for ext in $exts; do
		ls "$sharedir/extension/$ext"--*.sql >/dev/null 2>&1 ||
			missing="$missing $sharedir/extension/$ext--*.sql"
	done
fi
if test -n "$missing"; then
	echo "SKIP: PostgreSQL catalog files missing:$missing"
	echo "      (install postgresql-15 and postgresql-contrib, or set PG_SHAREDIR)"
	exit 77
fi

# A catalog of another major version is expected to differ.
have=$(sed -n '1s/^# *PostgreSQL *\([0-9][0-9]*\).*/\1/p' "$sharedir/postgres.bki")
want=$(sed -n 's/.* from PostgreSQL \([0-9][0-9]*\).s catalog.*/\1/p' "$inc")
if test "$have" != "$want"; then
	echo "SKIP: $sharedir is PostgreSQL ${have:-?}, the table is from PostgreSQL ${want:-?}"
	exit 77
fi

tmp=$(mktemp "${TMPDIR:-/tmp}/classify_builtins.XXXXXX") || exit 1
trap 'rm -f "$tmp"' EXIT

if ! "$python" "$top/tools/gen_builtins.py" --sharedir "$sharedir" \
		--overrides "$overrides" --output "$tmp"; then
	echo "FAIL: tools/gen_builtins.py failed"
	exit 1
fi
if ! diff -u "$inc" "$tmp"; then
	echo "FAIL: src/classify_builtins.inc is not what tools/gen_builtins.py generates"
	echo "      from $sharedir and tools/builtins-overrides.txt: run make builtins"
	echo "      (and change kinds in the overrides, never in the .inc)"
	exit 1
fi
echo "PASS: src/classify_builtins.inc matches PostgreSQL $have's catalog and the overrides"
