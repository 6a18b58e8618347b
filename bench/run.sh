#!/bin/sh
# run.sh - what `secretctl run -- true` costs beside a bare `true`, with the
# vault unlock measured on its own (`secretctl exists` pays the same open and
# unlock and runs nothing), so that run's own overhead is the difference.
# Usage: bench/run.sh [runs, default 100]
# The bench vault uses small Argon2 parameters (8 MiB, t=1) so the unlock
# does not drown the figure; the unlock cost with the defaults is separate.
# SECRETCTL_BIN picks a binary; otherwise a Release build in build-bench/.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-100}
if [ -z "${SECRETCTL_BIN:-}" ]; then
	build=${SC_BENCH_BUILD:-"$root/build-bench"}
	cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSC_TESTS=OFF >/dev/null
	cmake --build "$build" -j2 --target secretctl >/dev/null
	SECRETCTL_BIN="$build/secretctl"
fi
bin=$SECRETCTL_BIN
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
export SECRETCTL_VAULT_DIR="$tmp/vault"
export SECRETCTL_PASSWORD="bench-password-1"
"$bin" init --kdf-memory 8M --kdf-time 1 2>/dev/null
printf 'bench-secret-value-0123456789' | "$bin" set bench/key
truebin=$(command -v true)

if command -v hyperfine >/dev/null 2>&1; then
	hyperfine -N --warmup 5 --runs "$runs" --export-json "$tmp/h.json" --style none \
		"$truebin" \
		"$bin exists bench/key" \
		"$bin run -k bench/key -- $truebin" >/dev/null 2>&1
	python3 - "$tmp/h.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
m = [x["median"] * 1000 for x in r]
lo = [x["min"] * 1000 for x in r]
names = ["true (bare)", "secretctl exists (open+unlock)", "secretctl run -- true"]
print(f"{'':34s} {'median':>8s} {'min':>8s}")
for n, a, b in zip(names, m, lo):
    print(f"{n:34s} {a:8.2f} {b:8.2f}  ms")
print(f"{'run - exists - true':34s} {m[2] - m[1] - m[0]:8.2f} {lo[2] - lo[1] - lo[0]:8.2f}  ms")
EOF
else
	t() {
		s=$(date +%s%N)
		i=0
		while [ $i -lt "$runs" ]; do
			"$@" >/dev/null
			i=$((i + 1))
		done
		e=$(date +%s%N)
		echo $(((e - s) / runs / 1000))
	}
	a=$(t "$truebin")
	b=$(t "$bin" exists bench/key)
	c=$(t "$bin" run -k bench/key -- "$truebin")
	echo "true (bare)                     mean ${a} us"
	echo "secretctl exists (open+unlock)  mean ${b} us"
	echo "secretctl run -- true           mean ${c} us"
	echo "run overhead beyond the unlock  $((c - b)) us"
fi
