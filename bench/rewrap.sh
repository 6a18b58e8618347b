#!/bin/sh
# rewrap.sh - `key rewrap --all` of a vault of N secrets sealed under a
# named key (default 100000; issue 12's target: at most 3 s): in process
# (bench_rewrap: the key rotated, then every item sealed again under the
# new version in batches; median of R, default 3) and as a whole
# `secretctl key rewrap --all` process (password unlock, the audit entry
# and all; median of R). Small Argon2 parameters (8 MiB, t=1).
# Usage: bench/rewrap.sh [N] [R]
# SECRETCTL_BIN and BENCH_REWRAP pick binaries; otherwise a Release build
# in build-bench-rewrap/.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-100000}
runs=${2:-3}
if [ -z "${SECRETCTL_BIN:-}" ] || [ -z "${BENCH_REWRAP:-}" ]; then
	build=${SC_BENCH_BUILD:-"$root/build-bench-rewrap"}
	cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSC_TESTS=OFF >/dev/null
	cmake --build "$build" -j2 --target secretctl bench_rewrap >/dev/null
	SECRETCTL_BIN=${SECRETCTL_BIN:-"$build/secretctl"}
	BENCH_REWRAP=${BENCH_REWRAP:-"$build/bench/bench_rewrap"}
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
chmod 700 "$tmp"
export SECRETCTL_PASSWORD="bench-password-1" SECRETCTL_NO_AGENT=1
export SECRETCTL_VAULT_DIR="$tmp/vault"

echo "== machine"
grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'
echo "cores $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== loading $n secrets under key 'bench'"
"$BENCH_REWRAP" load "$SECRETCTL_VAULT_DIR" "$n"
echo "vault.db $(stat -c %s "$SECRETCTL_VAULT_DIR/vault.db") bytes"
echo "== in process (bench_rewrap measure, $runs rotations and rewraps)"
"$BENCH_REWRAP" measure "$SECRETCTL_VAULT_DIR" "$runs"
echo "== secretctl key rewrap --all ($runs runs, after a key rotate each)"
i=0
: >"$tmp/times"
while [ "$i" -lt "$runs" ]; do
	"$SECRETCTL_BIN" key rotate bench >/dev/null 2>&1
	t0=$(date +%s%N)
	"$SECRETCTL_BIN" key rewrap --all bench >/dev/null
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000)) >>"$tmp/times"
	i=$((i + 1))
done
echo "secretctl_rewrap_all_ms $(sort -n "$tmp/times" | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')"
"$SECRETCTL_BIN" get bench/group007/secret000007 >/dev/null
