#!/bin/sh
# agent.sh - what the unlock agent buys: `list`, `exists` and `run -- true`
# wall time with the agent unlocked, beside a bare `true` in the same run and
# beside the locked path (password, Argon2id at the defaults: 64 MiB, t=3);
# and the time until an MCP session is ready (initialize answered).
# Usage: bench/agent.sh [runs, default 50]
# SECRETCTL_BIN picks a binary; otherwise a Release build in build-bench/.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-50}
if [ -z "${SECRETCTL_BIN:-}" ]; then
	build=${SC_BENCH_BUILD:-"$root/build-bench"}
	cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSC_TESTS=OFF >/dev/null
	cmake --build "$build" -j2 --target secretctl bench_agent >/dev/null
	SECRETCTL_BIN="$build/secretctl"
fi
bin=$SECRETCTL_BIN
benchbin=$(dirname "$bin")/bench/bench_agent
tmp=$(mktemp -d /tmp/sc-bench-XXXXXX)
export XDG_RUNTIME_DIR="$tmp"
export SECRETCTL_VAULT_DIR="$tmp/vault"
trap '"$bin" lock >/dev/null 2>&1; rm -rf "$tmp"' EXIT INT TERM
pw="bench-password-1"
# the defaults on purpose: the locked path pays what a user pays
printf '%s\n' "$pw" | "$bin" init --password-fd 0 2>/dev/null
for i in 1 2 3 4 5 6 7 8 9 10; do
	printf 'bench-secret-value-%s-0123456789' "$i" |
		SECRETCTL_PASSWORD=$pw "$bin" set "bench/key$i"
done
truebin=$(command -v true)
init='{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}'
printf '%s\n' "$init" >"$tmp/init.jsonl"

command -v hyperfine >/dev/null 2>&1 || { echo "agent.sh needs hyperfine" >&2; exit 1; }
# locked: every command derives the key from the password
SECRETCTL_PASSWORD=$pw hyperfine -N --warmup 2 --runs 10 --export-json "$tmp/locked.json" \
	--style none "$bin list" "$bin exists bench/key1" "$bin run -k bench/key1 -- $truebin" \
	>/dev/null 2>&1
printf '%s\n' "$pw" | "$bin" unlock --password-fd 0 >/dev/null
# unlocked: no password anywhere
hyperfine -N --warmup 5 --runs "$runs" --export-json "$tmp/agent.json" --style none \
	"$truebin" "$bin list" "$bin exists bench/key1" "$bin run -k bench/key1 -- $truebin" \
	"$bin version" "$bin status" \
	"sh -c '$bin mcp-server <$tmp/init.jsonl >/dev/null'" >/dev/null 2>&1
python3 - "$tmp/locked.json" "$tmp/agent.json" <<'PY'
import json, sys
lk = [x["median"] * 1000 for x in json.load(open(sys.argv[1]))["results"]]
ag = json.load(open(sys.argv[2]))["results"]
med = [x["median"] * 1000 for x in ag]
mn = [x["min"] * 1000 for x in ag]
cpu = [(x["user"] + x["system"]) * 1000 for x in ag]
names = ["true (bare)", "list", "exists", "run -- true", "version (process start)",
         "status (agent round trip, no audit)", "MCP session ready (initialize)"]
print(f"{'':36s} {'agent median':>12s} {'min':>8s} {'cpu':>6s} {'locked median':>14s}")
for i, n in enumerate(names):
    locked = f"{lk[i - 1]:14.2f}" if 1 <= i <= 3 else f"{'':14s}"
    print(f"{n:36s} {med[i]:12.2f} {mn[i]:8.2f} {cpu[i]:6.2f} {locked}  ms")
t = med[0]
print(f"run -- true target (2 x true + 2 ms): {2 * t + 2:.2f} ms; measured {med[3]:.2f} ms")
PY
# the agent's own share, without process start-up
if [ -x "$benchbin" ]; then
	echo
	"$benchbin" "$SECRETCTL_VAULT_DIR" "$runs"
fi
