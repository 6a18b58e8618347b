#!/bin/sh
# rekey.sh - a rekey of a vault of N secrets (default 100000; issue 12's
# target: at most 3 s): in process (bench_rekey: the new wraps, the
# batches, the last check, the erasure; medians of R, default 3) and as a
# whole `secretctl rekey` process (password unlock, the audit entry and
# all; median of R). Small Argon2 parameters (8 MiB, t=1) so the unlock and
# the password slot's new wrap do not drown the figures.
# Usage: bench/rekey.sh [N] [R]
# SECRETCTL_BIN and BENCH_REKEY pick binaries; otherwise a Release build in
# build-bench-rekey/.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-100000}
runs=${2:-3}
if [ -z "${SECRETCTL_BIN:-}" ] || [ -z "${BENCH_REKEY:-}" ]; then
	build=${SC_BENCH_BUILD:-"$root/build-bench-rekey"}
	cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSC_TESTS=OFF >/dev/null
	cmake --build "$build" -j2 --target secretctl bench_rekey >/dev/null
	SECRETCTL_BIN=${SECRETCTL_BIN:-"$build/secretctl"}
	BENCH_REKEY=${BENCH_REKEY:-"$build/bench/bench_rekey"}
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
chmod 700 "$tmp"
export SECRETCTL_PASSWORD="bench-password-1" SECRETCTL_NO_AGENT=1
export SECRETCTL_VAULT_DIR="$tmp/vault"

echo "== machine"
grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'
echo "cores $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== loading $n secrets"
"$BENCH_REKEY" load "$SECRETCTL_VAULT_DIR" "$n"
echo "vault.db $(stat -c %s "$SECRETCTL_VAULT_DIR/vault.db") bytes"
echo "== in process (bench_rekey measure, $runs rekeys)"
"$BENCH_REKEY" measure "$SECRETCTL_VAULT_DIR" "$runs"
echo "== secretctl rekey ($runs runs)"
i=0
: >"$tmp/times"
while [ "$i" -lt "$runs" ]; do
	t0=$(date +%s%N)
	"$SECRETCTL_BIN" rekey >/dev/null
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000)) >>"$tmp/times"
	i=$((i + 1))
done
echo "secretctl_rekey_ms $(sort -n "$tmp/times" | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')"
"$SECRETCTL_BIN" get bench/group007/secret000007 >/dev/null
