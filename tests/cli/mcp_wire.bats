#!/usr/bin/env bats
# Raw JSON-RPC wire tests of `secretctl mcp-server`: bad input of every kind
# gets the right error, and the server keeps answering afterwards.

setup() {
	BIN=${SECRETCTL_BIN:-$BATS_TEST_DIRNAME/../../build/secretctl}
	export SECRETCTL_VAULT_DIR="$BATS_TEST_TMPDIR/vault"
	unset SECRETCTL_PASSWORD
	INIT='{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"wire-test","version":"1"}}}'
	PING='{"jsonrpc":"2.0","id":"p","method":"ping"}'
}

# Feed the given lines (one per argument) and keep stdout in $out.
mcp() {
	out=$(printf '%s\n' "$@" | timeout 20 "$BIN" mcp-server 2>"$BATS_TEST_TMPDIR/stderr")
	status=$?
}

# The response whose id is $1 (JSON text), as compact JSON.
resp() {
	printf '%s\n' "$out" | jq -c --argjson id "$1" 'select(.id == $id)'
}

@test "initialize negotiates the client's version and ping answers" {
	mcp "$INIT" '{"jsonrpc":"2.0","method":"notifications/initialized"}' "$PING"
	[ "$status" -eq 0 ]
	[ "$(resp 0 | jq -r .result.protocolVersion)" = "2025-06-18" ]
	[ "$(resp 0 | jq -r .result.serverInfo.name)" = "secretctl" ]
	[ "$(resp 0 | jq -r .result.capabilities.tools.listChanged)" = "false" ]
	[ "$(resp '"p"' | jq -c .result)" = "{}" ]
	# a notification gets no answer: exactly two lines
	[ "$(printf '%s\n' "$out" | wc -l)" -eq 2 ]
}

@test "an unknown protocol version is answered with the newest" {
	mcp '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"1999-01-01","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}'
	[ "$(resp 1 | jq -r .result.protocolVersion)" = "2025-11-25" ]
}

@test "invalid JSON is -32700 with id null, and the server goes on" {
	mcp '{"jsonrpc":"2.0","id":1,"method":' "$PING"
	[ "$(printf '%s\n' "$out" | head -1 | jq -c '[.id, .error.code]')" = '[null,-32700]' ]
	[ "$(resp '"p"' | jq -c .result)" = "{}" ]
}

@test "a batch array is -32600" {
	mcp "[$PING,$PING]" "$PING"
	[ "$(printf '%s\n' "$out" | head -1 | jq -c '[.id, .error.code]')" = '[null,-32600]' ]
	[ "$(resp '"p"' | jq -c .result)" = "{}" ]
}

@test "non-objects, a wrong jsonrpc and a bad id are -32600" {
	mcp '42' '"hello"' '{"jsonrpc":"1.0","id":5,"method":"ping"}' '{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}' '{"jsonrpc":"2.0","id":6}' "$PING"
	[ "$(printf '%s\n' "$out" | jq -s -c '[.[0:5][] | .error.code]')" = '[-32600,-32600,-32600,-32600,-32600]' ]
	[ "$(resp 5 | jq .error.code)" = "-32600" ]
	[ "$(resp '"p"' | jq -c .result)" = "{}" ]
}

@test "requests before initialize are refused, ping is not" {
	mcp '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' "$PING"
	[ "$(resp 1 | jq .error.code)" = "-32600" ]
	resp 1 | jq -r .error.message | grep -q "initialize"
	[ "$(resp '"p"' | jq -c .result)" = "{}" ]
}

@test "an unknown method is -32601" {
	mcp "$INIT" '{"jsonrpc":"2.0","id":1,"method":"resources/list"}' "$PING"
	[ "$(resp 1 | jq .error.code)" = "-32601" ]
	[ "$(resp '"p"' | jq -c .result)" = "{}" ]
}

@test "tools/list works with and without params and lists exactly the eleven tools" {
	mcp "$INIT" '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' '{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"cursor":"x"}}'
	[ "$(resp 1 | jq -c '[.result.tools[].name] | sort')" = '["key_datakey","key_encrypt","key_list","key_sign","secret_exists","secret_get_field","secret_get_masked","secret_list","secret_list_fields","secret_run","secret_run_with_bindings"]' ]
	[ "$(resp 2 | jq '.result.tools | length')" -eq 11 ]
	# every tool has a title, a description, both schemas and annotations
	[ "$(resp 1 | jq '[.result.tools[] | select(.title and .description and .inputSchema and .outputSchema and .annotations)] | length')" -eq 11 ]
}

@test "tools/call with bad params is -32602; an unknown tool too" {
	mcp "$INIT" '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"arguments":{}}}' \
		'{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"secret_get"}}' \
		'{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"secret_list","arguments":[1]}}' \
		'{"jsonrpc":"2.0","id":4,"method":"tools/call","params":7}' "$PING"
	[ "$(resp 1 | jq .error.code)" = "-32602" ]
	[ "$(resp 2 | jq .error.code)" = "-32602" ]
	[ "$(resp 3 | jq .error.code)" = "-32602" ]
	[ "$(printf '%s\n' "$out" | jq -c 'select(.id == 4) | .error.code')" = "-32600" ]
	[ "$(resp '"p"' | jq -c .result)" = "{}" ]
}

@test "a line over 1 MiB is discarded and answered; the next line is served" {
	big=$(head -c 1100000 /dev/zero | tr '\0' 'a')
	mcp "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"ping\",\"params\":{\"x\":\"$big\"}}" "$PING"
	[ "$(printf '%s\n' "$out" | head -1 | jq -c '[.id, .error.code]')" = '[null,-32600]' ]
	[ "$(resp '"p"' | jq -c .result)" = "{}" ]
	[ "$(printf '%s\n' "$out" | wc -l)" -eq 2 ]
}

@test "deep nesting is refused before parsing" {
	deep=$(printf '[%.0s' $(seq 1 5000))
	mcp "$deep" "$PING"
	[ "$(printf '%s\n' "$out" | head -1 | jq -c '.error.code')" = "-32600" ]
	[ "$(resp '"p"' | jq -c .result)" = "{}" ]
}

@test "huge argument arrays get a tool error, not a crash" {
	keys=$(seq 1 5000 | jq -R . | jq -s -c .)
	mcp "$INIT" "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"secret_run\",\"arguments\":{\"keys\":$keys,\"command\":\"true\"}}}" "$PING"
	[ "$(resp 1 | jq .result.isError)" = "true" ]
	resp 1 | jq -r '.result.content[0].text' | grep -q "too many"
	[ "$(resp '"p"' | jq -c .result)" = "{}" ]
}

@test "duplicate keys in a message are a parse error" {
	mcp '{"jsonrpc":"2.0","id":1,"id":2,"method":"ping"}' "$PING"
	[ "$(printf '%s\n' "$out" | head -1 | jq -c '.error.code')" = "-32700" ]
}

@test "with no vault the server starts and tools say how to fix it" {
	mcp "$INIT" '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"secret_list","arguments":{}}}'
	[ "$(resp 1 | jq .result.isError)" = "true" ]
	resp 1 | jq -r '.result.content[0].text' | grep -q "secretctl init"
}

@test "a locked vault: tools answer isError with how to unlock" {
	printf 'correct horse battery\n' | "$BIN" init --password-fd 0 --kdf-memory 8192 --kdf-time 1
	mcp "$INIT" '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"secret_list","arguments":{}}}'
	[ "$(resp 1 | jq .result.isError)" = "true" ]
	resp 1 | jq -r '.result.content[0].text' | grep -q "locked"
}

@test "stdout carries only JSON-RPC messages" {
	mcp "$INIT" 'garbage' "$PING" '{"jsonrpc":"2.0","id":2,"method":"nope"}'
	printf '%s\n' "$out" | while IFS= read -r line; do
		printf '%s' "$line" | jq -e '.jsonrpc == "2.0"' >/dev/null
	done
}
