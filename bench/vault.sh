#!/bin/sh
# vault.sh - vault latencies at 1k and 100k secrets: in process (bench_vault:
# open+unlock, get, exists, set, list, count) and as whole `secretctl`
# processes with hyperfine (exists, get, list), whose cost beyond the unlock
# is the process time minus `secretctl exists` (which pays the same start-up,
# open, Argon2 unlock and audit entry and reads one index bucket).
# Usage: bench/vault.sh [large N, default 100000] [hyperfine runs, default 20]
# The 1k/100k vaults use small Argon2 parameters (8 MiB, t=1) so that the
# unlock does not drown the figures; the default-parameter unlock (64 MiB,
# t=3) is measured on its own. Loading 100k secrets is 100k durable
# transactions (several minutes); SC_BENCH_VAULTS=DIR keeps the loaded
# vaults in DIR and reuses them on the next run.
# SECRETCTL_BIN and BENCH_VAULT pick binaries; otherwise a Release build in
# build-bench-vault/.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
large=${1:-100000}
runs=${2:-20}
if [ -z "${SECRETCTL_BIN:-}" ] || [ -z "${BENCH_VAULT:-}" ]; then
	build=${SC_BENCH_BUILD:-"$root/build-bench-vault"}
	cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSC_TESTS=OFF >/dev/null
	cmake --build "$build" -j2 --target secretctl bench_vault >/dev/null
	SECRETCTL_BIN=${SECRETCTL_BIN:-"$build/secretctl"}
	BENCH_VAULT=${BENCH_VAULT:-"$build/bench/bench_vault"}
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
vaults=${SC_BENCH_VAULTS:-"$tmp/vaults"}
mkdir -p "$vaults"
chmod 700 "$vaults"
export SECRETCTL_PASSWORD="bench-password-1"

echo "== machine"
grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'
echo "cores $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== open+unlock with the default KDF (64 MiB, t=3), in process"
"$BENCH_VAULT" unlock "$tmp/default"

for n in 1000 "$large"; do
	dir="$vaults/v$n"
	if [ ! -f "$dir/vault.db" ]; then
		echo "== loading $n secrets through the library"
		"$BENCH_VAULT" load "$dir" "$n"
	fi
	echo "== $n secrets, in process (medians, ms)"
	"$BENCH_VAULT" measure "$dir" "$n"
	if command -v hyperfine >/dev/null 2>&1; then
		echo "== $n secrets, whole secretctl processes (hyperfine -N, $runs runs)"
		export SECRETCTL_VAULT_DIR="$dir"
		name=bench/group042/secret000042
		hyperfine -N --warmup 2 --runs "$runs" --export-json "$tmp/h$n.json" --style none \
			"$SECRETCTL_BIN exists $name" \
			"$SECRETCTL_BIN get $name" \
			"$SECRETCTL_BIN list" >/dev/null 2>&1
		python3 - "$tmp/h$n.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
med = [x["median"] * 1000 for x in r]
lo = [x["min"] * 1000 for x in r]
names = ["secretctl exists (open+unlock+audit)", "secretctl get", "secretctl list"]
print(f"{'':38s} {'median':>8s} {'min':>8s}")
for n, a, b in zip(names, med, lo):
    print(f"{n:38s} {a:8.2f} {b:8.2f}  ms")
print(f"{'get - exists':38s} {med[1] - med[0]:8.2f} {lo[1] - lo[0]:8.2f}  ms")
print(f"{'list - exists':38s} {med[2] - med[0]:8.2f} {lo[2] - lo[0]:8.2f}  ms")
EOF
	fi
done
