#!/bin/sh
# mcp.sh - MCP server figures through the official SDK client: time to a
# ready session (spawn, initialize, tools/list) and secret_list calls per
# second over one session with 1000 secrets; plus the server alone behind a
# pipe client. Usage: bench/mcp.sh [rounds, default 30]
# SECRETCTL_BIN picks a binary; otherwise a Release build in build-bench/.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
rounds=${1:-30}
if [ -z "${SECRETCTL_BIN:-}" ]; then
	build=${SC_BENCH_BUILD:-"$here/../build-bench"}
	cmake -S "$here/.." -B "$build" -DCMAKE_BUILD_TYPE=Release -DSC_TESTS=OFF >/dev/null
	cmake --build "$build" -j2 --target secretctl >/dev/null
	SECRETCTL_BIN="$build/secretctl"
fi
bin=$(readlink -f "$SECRETCTL_BIN")
[ -d "$here/../tests/mcp/node_modules/@modelcontextprotocol/sdk" ] ||
	(cd "$here/../tests/mcp" && npm ci --no-audit --no-fund --loglevel=error)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
vault=$dir/vault
export SECRETCTL_VAULT_DIR="$vault" SECRETCTL_PASSWORD="bench password 1"
"$bin" init --kdf-memory 8192 --kdf-time 1 2>/dev/null
echo "loading 1000 secrets (small KDF parameters for the load only)..."
i=0
while [ $i -lt 1000 ]; do
	printf 'value-%04d-abcdefgh' $i | "$bin" set "$(printf 'bench/k%04d' $i)" --tag bench
	i=$((i + 1))
done
echo "-- the server holds the key (SECRETCTL_PASSWORD in its environment):"
node "$here/mcp_bench.mjs" "$bin" "$vault" "$rounds"
echo "-- through the unlock agent (no password anywhere in the server's environment):"
"$bin" unlock >/dev/null 2>&1
env -u SECRETCTL_PASSWORD node "$here/mcp_bench.mjs" "$bin" "$vault" "$rounds"
"$bin" lock >/dev/null 2>&1 || true
if command -v hyperfine >/dev/null; then
	init='{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"b","version":"1"}}}'
	list='{"jsonrpc":"2.0","id":1,"method":"tools/list"}'
	printf '%s\n%s\n' "$init" "$list" >"$dir/session.jsonl"
	echo "server alone, a pipe client (initialize + tools/list, then EOF):"
	hyperfine -N -w 5 -r 100 "sh -c '$bin mcp-server <$dir/session.jsonl >/dev/null'" \
		"sh -c 'true <$dir/session.jsonl >/dev/null'" 2>&1 | grep -E 'Benchmark|Time'
fi
