#!/bin/sh
# Runs every libFuzzer target briefly (FUZZ_SECONDS each, default 20) from
# its seed corpus in tests/fuzz/corpus/NAME when there is one.
set -eu
dir=${1:-build-fuzz}
secs=${FUZZ_SECONDS:-20}
found=0
for f in "$dir"/tests/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	found=1
	name=$(basename "$f")
	work=$(mktemp -d)
	seeds=$(dirname "$0")/../tests/fuzz/corpus/$name
	[ -d "$seeds" ] && cp -r "$seeds"/. "$work"/
	echo "fuzz: $name for ${secs}s"
	if ! "$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=0 \
		"$work" >"$work.log" 2>&1; then
		tail -40 "$work.log"
		echo "fuzz: $name FAILED" >&2
		exit 1
	fi
	tail -1 "$work.log"
	rm -rf "$work" "$work.log"
done
[ "$found" -eq 1 ] || { echo "fuzz: no targets built in $dir" >&2; exit 1; }
echo "fuzz: all targets ran clean"
