#!/bin/sh
# fuzz-long.sh - every libFuzzer target for a set time (FUZZ_SECONDS each,
# default 600), each on its own corpus kept in BUILD/corpus/NAME: seeded
# once from tests/fuzz/corpus/NAME, then grown run after run (what the
# fuzzer found stays, so the next run starts from there). Not for CI.
#   scripts/fuzz-long.sh [BUILD_DIR] [TARGET...]      (default build-fuzz, all)
# Crashes are kept as BUILD/corpus/NAME.crash-*; exits 1 if any target failed.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-build-fuzz}
[ $# -gt 0 ] && shift
secs=${FUZZ_SECONDS:-600}
jobs=${FUZZ_JOBS:-1}
failed=0
for f in "$dir"/tests/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	if [ $# -gt 0 ]; then
		case " $* " in *" $name "*) ;; *) continue ;; esac
	fi
	corpus=$dir/corpus/$name
	if [ ! -d "$corpus" ]; then
		mkdir -p "$corpus"
		[ -d "$here/tests/fuzz/corpus/$name" ] && cp -r "$here/tests/fuzz/corpus/$name"/. "$corpus"/
	fi
	before=$(find "$corpus" -type f | wc -l)
	echo "fuzz-long: $name for ${secs}s ($before inputs)"
	if ! "$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -jobs="$jobs" \
		-workers="$jobs" -print_final_stats=1 -artifact_prefix="$corpus.crash-" \
		"$corpus" >"$corpus.log" 2>&1; then
		tail -30 "$corpus.log"
		echo "fuzz-long: $name FAILED (see $corpus.log)" >&2
		failed=1
		continue
	fi
	echo "fuzz-long: $name: $(grep -m1 'stat::number_of_executed_units' "$corpus.log" |
		awk '{print $2}') runs, corpus $before -> $(find "$corpus" -type f | wc -l) inputs"
done
[ "$failed" -eq 0 ] && echo "fuzz-long: all targets ran clean"
exit "$failed"
