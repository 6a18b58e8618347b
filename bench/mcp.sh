#!/bin/sh
# mcp.sh - MCP server figures through the official SDK client: time to a
# ready session (spawn, initialize, tools/list) and secret_list calls per
# second over one session with 1000 secrets; plus the server alone behind a
# pipe client: session start, and secret_list's cost per call on the server
# side in both unlock modes. Usage: bench/mcp.sh [rounds, default 30]
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
	# secret_list on the server side: a session of 201 calls minus one of 1
	n=0
	printf '%s\n' "$init" '{"jsonrpc":"2.0","method":"notifications/initialized"}' \
		>"$dir/l1.jsonl"
	cp "$dir/l1.jsonl" "$dir/l201.jsonl"
	while [ $n -lt 201 ]; do
		n=$((n + 1))
		printf '{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"secret_list","arguments":{}}}\n' \
			$n >>"$dir/l201.jsonl"
	done
	head -3 "$dir/l201.jsonl" | tail -1 >>"$dir/l1.jsonl"
	# the server with the key in its environment, and through the agent
	# shellcheck disable=SC2016 # $1 is for the generated script
	printf '#!/bin/sh\nexec "%s" mcp-server <"$1" >/dev/null\n' "$bin" >"$dir/key.sh"
	# shellcheck disable=SC2016
	printf '#!/bin/sh\nexec env -u SECRETCTL_PASSWORD "%s" mcp-server <"$1" >/dev/null\n' \
		"$bin" >"$dir/agent.sh"
	per_call() { # label, server script
		hyperfine -N -w 2 -r 10 --export-json "$dir/pc.json" "sh $2 $dir/l1.jsonl" \
			"sh $2 $dir/l201.jsonl" >/dev/null 2>&1
		python3 - "$dir/pc.json" "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
one, many = r[0]["median"], r[1]["median"]
print(f"secret_list server side, 1000 secrets, {sys.argv[2]}: "
      f"{(many - one) / 200 * 1000:.2f} ms per call (median of 10 sessions of 201 calls "
      f"minus sessions of 1)")
PY
	}
	per_call "key in the server" "$dir/key.sh"
	"$bin" unlock >/dev/null 2>&1
	per_call "through the unlock agent" "$dir/agent.sh"
	"$bin" lock >/dev/null 2>&1 || true
fi
