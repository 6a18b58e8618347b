#!/usr/bin/env bats
# busy.bats - an agent at its connection limit refuses a connection with
# "busy" and closes it at once, often before the client's request is out.
# The client must read that refusal and say the agent is busy (not "broken
# pipe"), and the MCP server retries for a moment before giving up. The
# fault shim delays the client's sendmsg() so the close always comes first.

bats_require_minimum_version 1.5.0

PW='busy-test-password'
CONNS_MAX=64 # AGENT_CONNS_MAX in src/agent/agent.h

setup() {
	load helpers
	[ -x /usr/bin/python3 ] || skip "python3 is needed to hold connections open"
	sc_fault_preload
	RT=$(mktemp -d /tmp/sc-busy-XXXXXX)
	export XDG_RUNTIME_DIR=$RT HOME=$BATS_TEST_TMPDIR/home
	mkdir -p "$HOME"
	export SECRETCTL_VAULT_DIR=$BATS_TEST_TMPDIR/vault
	unset SECRETCTL_PASSWORD SECRETCTL_NO_AGENT
	printf '%s\n' "$PW" | "$SC_BIN" init --password-fd 0 "${SC_KDF[@]}" 2>/dev/null
	printf 'busy-value-1234' | SECRETCTL_PASSWORD=$PW "$SC_BIN" set api/key
	printf 'version: 1\ndefault_action: allow\nallowed_commands: [%s]\n' \
		"$(command -v true)" >"$SECRETCTL_VAULT_DIR/mcp-policy.yaml"
	chmod 600 "$SECRETCTL_VAULT_DIR/mcp-policy.yaml"
	printf '%s\n' "$PW" | "$SC_BIN" unlock --password-fd 0 >/dev/null
	SOCK=$(ls "$RT"/secretctl/*.sock)
}

teardown() {
	[ -n "${HOLD_PID:-}" ] && kill "$HOLD_PID" 2>/dev/null
	[ -n "${HOLD_PID:-}" ] && wait "$HOLD_PID" 2>/dev/null
	"$SC_BIN" lock >/dev/null 2>&1 || true
	rm -rf "$RT"
}

# Hold every connection the agent serves for $1 seconds (in the background).
hold() {
	/usr/bin/python3 - "$SOCK" "$CONNS_MAX" "$1" "$BATS_TEST_TMPDIR/held" <<'PY' &
import socket, sys, time
path, n, secs, flag = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
held = []
for _ in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    held.append(s)
time.sleep(0.3)  # let the agent accept them all
open(flag, "w").close()
time.sleep(secs)
PY
	HOLD_PID=$!
	for _ in $(seq 100); do
		[ -e "$BATS_TEST_TMPDIR/held" ] && return 0
		sleep 0.05
	done
	return 1
}

mcp_run() {
	printf '%s\n' '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' \
		'{"jsonrpc":"2.0","method":"notifications/initialized"}' \
		"{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"secret_run\",\"arguments\":{\"keys\":[\"api/key\"],\"command\":\"$(command -v true)\",\"args\":[]}}}" |
		SC_FAULT_SEND_DELAY_MS=50 LD_PRELOAD=$PRELOAD "$SC_BIN" mcp-server 2>/dev/null |
		jq -c 'select(.id == 5)'
}

@test "busy: a refused client says the agent is busy, not broken pipe" {
	hold 30
	run -1 --separate-stderr env SC_FAULT_SEND_DELAY_MS=50 LD_PRELOAD="$PRELOAD" \
		"$SC_BIN" status
	[[ "$stderr" == *"too many connections to the agent"* ]]
	[[ "$stderr" != *"roken pipe"* ]]
	run -0 mcp_run
	[[ "$output" == *'"isError":true'* ]]
	[[ "$output" == *"agent is busy"* ]]
	[[ "$output" != *"roken pipe"* && "$output" != *"locked"* ]]
}

@test "busy: the MCP server retries a busy agent briefly, then runs" {
	hold 0.4
	run -0 mcp_run
	[[ "$output" == *'"isError":false'* ]] || {
		echo "$output" >&2
		false
	}
}
