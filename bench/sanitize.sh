#!/bin/sh
# sanitize.sh - build the sanitizer benchmark with release flags and run it.
# Usage: bench/sanitize.sh [MiB of input, default 256]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SC_BENCH_BUILD:-"$root/build-bench"}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSC_TESTS=OFF >/dev/null
cmake --build "$build" -j2 --target bench_sanitize >/dev/null
exec "$build/bench/bench_sanitize" "${1:-256}"
