#!/bin/sh
# backup.sh - `secretctl backup`, `backup --verify` and `restore` of a vault
# of N secrets (default 100000; issue 19's target: at most 5 s each way),
# as whole secretctl processes, median of R runs (default 5). The vault is
# made by bench_backup (transactions of 1000 puts) with small Argon2
# parameters (8 MiB, t=1) so the unlock does not drown the figures, plus
# audited writes through the CLI so the audit log has entries to copy and
# verify. Usage: bench/backup.sh [N] [R]
# SECRETCTL_BIN and BENCH_BACKUP pick binaries; otherwise a Release build in
# build-bench-backup/.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-100000}
runs=${2:-5}
if [ -z "${SECRETCTL_BIN:-}" ] || [ -z "${BENCH_BACKUP:-}" ]; then
	build=${SC_BENCH_BUILD:-"$root/build-bench-backup"}
	cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSC_TESTS=OFF >/dev/null
	cmake --build "$build" -j2 --target secretctl bench_backup >/dev/null
	SECRETCTL_BIN=${SECRETCTL_BIN:-"$build/secretctl"}
	BENCH_BACKUP=${BENCH_BACKUP:-"$build/bench/bench_backup"}
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
"$BENCH_BACKUP" load "$SECRETCTL_VAULT_DIR" "$n"
i=0
while [ "$i" -lt 100 ]; do
	printf 'audited-value-%s-abcdef' "$i" |
		"$SECRETCTL_BIN" set --value-file /dev/stdin "audited/k$((i % 10))" 2>/dev/null
	i=$((i + 1))
done
echo "vault.db $(stat -c %s "$SECRETCTL_VAULT_DIR/vault.db") bytes," \
	"audit.log $(stat -c %s "$SECRETCTL_VAULT_DIR/audit.log") bytes"

ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
: >"$tmp/b" && : >"$tmp/v" && : >"$tmp/r"
i=0
while [ "$i" -lt "$runs" ]; do
	rm -rf "$tmp/out.scb" "$tmp/restored"
	t0=$(ms)
	"$SECRETCTL_BIN" backup -o "$tmp/out.scb" 2>/dev/null
	t1=$(ms)
	"$SECRETCTL_BIN" backup --verify "$tmp/out.scb" 2>/dev/null
	t2=$(ms)
	"$SECRETCTL_BIN" restore "$tmp/out.scb" --to "$tmp/restored" 2>/dev/null
	t3=$(ms)
	echo $((t1 - t0)) >>"$tmp/b"
	echo $((t2 - t1)) >>"$tmp/v"
	echo $((t3 - t2)) >>"$tmp/r"
	i=$((i + 1))
done
SECRETCTL_VAULT_DIR="$tmp/restored" "$SECRETCTL_BIN" audit verify
echo "backup file $(stat -c %s "$tmp/out.scb") bytes"
echo "== $n secrets, whole processes, median of $runs (ms)"
echo "backup -o FILE        $(median <"$tmp/b")"
echo "backup --verify FILE  $(median <"$tmp/v")"
echo "restore FILE --to DIR $(median <"$tmp/r")"
