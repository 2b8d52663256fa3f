#!/usr/bin/env bash
# fuzz.sh: build and run every libFuzzer target tests/fuzz/fuzz_*.c.
#
#   contrib/fuzz.sh [TARGET...]        e.g. contrib/fuzz.sh fuzz_classify
#
# Targets are discovered by glob, so adding tests/fuzz/fuzz_X.c is enough.
# Each target declares what it links in comment lines at its top:
#   // fuzz-sources: src/classify.c src/log.c     (extra sources)
#   // fuzz-ldflags: -lpcre2-8                     (libraries)
# and is built with
#   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
#         -fno-sanitize-recover=undefined -Isrc tests/fuzz/fuzz_X.c SOURCES LDFLAGS
# Seeds come from tests/fuzz/corpus/fuzz_X/ (never written to: new inputs
# go to $FUZZ_BUILD/corpus/fuzz_X/), a dictionary from tests/fuzz/fuzz_X.dict
# if present.  A crash leaves its reproducer in $FUZZ_BUILD/ and makes the
# script fail.
#
# Environment (defaults in brackets):
#   FUZZ_SECONDS   run time per target [20]
#   FUZZ_BUILD     build and work directory [build-fuzz]
#   FUZZ_JOBS      parallel fuzzing processes per target [1]
#   CC             compiler [clang]
set -u
cd "$(dirname "$0")/.." || exit 1

top=$(pwd)
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
FUZZ_JOBS=${FUZZ_JOBS:-1}
CC=${CC:-clang}

if ! command -v "$CC" >/dev/null; then
	echo "fuzz.sh: $CC not found" >&2
	exit 1
fi
mkdir -p "$FUZZ_BUILD" && FUZZ_BUILD=$(cd "$FUZZ_BUILD" && pwd) || exit 1

if [ $# -gt 0 ]; then
	targets=()
	for t in "$@"; do targets+=("tests/fuzz/${t%.c}.c"); done
else
	targets=(tests/fuzz/fuzz_*.c)
fi

# The value of a "// fuzz-KEY: ..." line of FILE.
directive() {
	sed -n "s|^// fuzz-$2: *||p" "$1" | head -n 1
}

failed=0
for src in "${targets[@]}"; do
	[ -f "$src" ] || { echo "fuzz.sh: no such target $src" >&2; failed=1; continue; }
	name=$(basename "$src" .c)
	bin="$FUZZ_BUILD/$name"
	sources=$(directive "$src" sources)
	ldflags=$(directive "$src" ldflags)
	echo "== $name: build"
	# shellcheck disable=SC2086
	if ! "$CC" -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -Isrc "$src" $sources $ldflags -o "$bin"; then
		echo "fuzz.sh: $name: build failed" >&2
		failed=1
		continue
	fi
	work="$FUZZ_BUILD/corpus/$name"
	mkdir -p "$work"
	seeds=()
	[ -d "tests/fuzz/corpus/$name" ] && seeds+=("$top/tests/fuzz/corpus/$name")
	dict=()
	[ -f "tests/fuzz/$name.dict" ] && dict+=("-dict=$top/tests/fuzz/$name.dict")
	jobs=()
	# with -jobs, libFuzzer writes fuzz-N.log into the current directory:
	# run from the build directory (absolute paths below)
	[ "$FUZZ_JOBS" -gt 1 ] && jobs+=("-jobs=$FUZZ_JOBS" "-workers=$FUZZ_JOBS")
	echo "== $name: fuzz for ${FUZZ_SECONDS}s"
	if ! (cd "$FUZZ_BUILD" && "$bin" -max_total_time="$FUZZ_SECONDS" "${jobs[@]}" \
		-print_final_stats=1 -artifact_prefix="$FUZZ_BUILD/$name-" "${dict[@]}" \
		"$work" "${seeds[@]}") >"$FUZZ_BUILD/$name.log" 2>&1; then
		tail -n 40 "$FUZZ_BUILD/$name.log" >&2
		echo "fuzz.sh: $name: FAILED (log $FUZZ_BUILD/$name.log)" >&2
		failed=1
		continue
	fi
	grep -E "^(stat::number_of_executed_units|Done [0-9]+ runs)" "$FUZZ_BUILD/$name.log" | tail -n 2
	echo "== $name: ok"
done
exit "$failed"
