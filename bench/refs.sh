#!/bin/bash
# refs.sh - what references and completion cost: `run --env-file` with N
# references against `run -k` of the same N secrets (the vault unlock is in
# both), and one bash completion of secret names through an unlocked agent
# holding N secrets, and with the vault locked (no names, no prompt).
# Usage: bench/refs.sh [N, default 100] [runs, default 30]
# SECRETCTL_BIN picks a binary; otherwise a Release build in build-bench/.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-100}
runs=${2:-30}
if [ -z "${SECRETCTL_BIN:-}" ]; then
	build=${SC_BENCH_BUILD:-"$root/build-bench"}
	cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSC_TESTS=OFF >/dev/null
	cmake --build "$build" -j2 --target secretctl >/dev/null
	SECRETCTL_BIN="$build/secretctl"
fi
bin=$SECRETCTL_BIN
tmp=$(mktemp -d /tmp/sc-bench-refs-XXXXXX)
export XDG_RUNTIME_DIR=$tmp
export SECRETCTL_VAULT_DIR="$tmp/vault"
export SECRETCTL_PASSWORD="bench-password-1"
trap '"$bin" lock >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT INT TERM
"$bin" init --kdf-memory 8M --kdf-time 1 2>/dev/null
for ((i = 0; i < n; i++)); do
	printf 'bench-value-%06d-abcdef' "$i" | "$bin" set "bench/k$i"
	printf 'K%d=secretctl://bench/k%d\n' "$i" "$i" >>"$tmp/refs.env"
done
"$bin" completion bash >"$tmp/c.bash"
cat >"$tmp/comp.sh" <<SH
source $tmp/c.bash
COMP_WORDS=($bin get b); COMP_CWORD=2; COMP_LINE="x get b"; COMP_POINT=7
_secretctl
exit 0
SH
SECRETCTL_NO_AGENT=1 hyperfine -N --warmup 3 --runs "$runs" --style basic \
	"$bin run -k bench/* -- true" \
	"$bin run --env-file $tmp/refs.env -- true"
hyperfine -N --warmup 3 --runs "$runs" --style basic -n "completion, locked" \
	"bash --norc $tmp/comp.sh"
printf '%s\n' "$SECRETCTL_PASSWORD" | "$bin" unlock --password-fd 0 >/dev/null
hyperfine -N --warmup 3 --runs "$runs" --style basic -n "completion, $n names via the agent" \
	"bash --norc $tmp/comp.sh"
