#!/bin/sh
# audit.sh - build the audit benchmark with release flags and run it:
# verify throughput on N generated entries, and the cost of an append beside
# a bare append+fdatasync and a bare anchor update on the same disk.
# Usage: bench/audit.sh [ENTRIES, default 1000000] [DIR on the disk to measure,
#        default the build directory]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SC_BENCH_BUILD:-"$root/build-bench"}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSC_TESTS=OFF >/dev/null
cmake --build "$build" -j2 --target bench_audit >/dev/null
exec "$build/bench/bench_audit" "${1:-1000000}" "${2:-$build}"
