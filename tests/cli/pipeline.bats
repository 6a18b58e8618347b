#!/usr/bin/env bats
# One run pipeline: the same run requests given to the three paths (CLI
# with the key, the MCP server with the key, the MCP server through the
# agent) get the same decisions, also after the policy is edited in the
# middle of a session; and a failed unlock through the MCP server is in
# the audit log.

bats_require_minimum_version 1.5.0

PW='pipeline-test-password'

setup() {
	BIN=${SECRETCTL_BIN:-$BATS_TEST_DIRNAME/../../build/secretctl}
	[ -x "$BIN" ] || { echo "no binary at $BIN" >&2; return 1; }
	RT=$(mktemp -d /tmp/sc-pipe-XXXXXX)
	export XDG_RUNTIME_DIR="$RT"
	export SECRETCTL_VAULT_DIR="$BATS_TEST_TMPDIR/vault"
	unset SECRETCTL_PASSWORD SECRETCTL_NO_AGENT
	printf '%s\n' "$PW" | "$BIN" init --password-fd 0 --kdf-memory 8192 --kdf-time 1 2>/dev/null
	printf 'Pipeline-Value-1234' | SECRETCTL_PASSWORD=$PW "$BIN" set api/key
	POL="$SECRETCTL_VAULT_DIR/mcp-policy.yaml"
}

teardown() {
	"$BIN" lock >/dev/null 2>&1 || true
	for p in ${MCP_PIDS:-}; do kill "$p" 2>/dev/null || true; done
	rm -rf "$RT"
}

# policy A allows echo; policy B (the edit) allows cat instead. Both deny
# by default and keep the built-in denials; cli_runs: policy puts the
# user's own runs under it too.
policy_a() {
	printf 'version: 1\ndefault_action: deny\nallowed_commands:\n  - echo\ncli_runs: policy\n' >"$POL"
	chmod 600 "$POL"
}
policy_b() {
	printf 'version: 1\ndefault_action: deny\nallowed_commands:\n  - cat\ncli_runs: policy\n' >"$POL"
}

# The table: command and arguments (JSON array), then the decision under
# policy A and under policy B.
REQS=(
	'["echo","hello"]|allow|deny'
	'["cat","/dev/null"]|deny|allow'
	'["sh","-c","echo x"]|deny|deny'
	'["env"]|deny|deny'
	'["printenv","HOME"]|deny|deny'
	'["true"]|deny|deny'
)

# An MCP session fed through FIFO fd $2, replies in $BATS_TEST_TMPDIR/$1.out
mcp_open() {
	local name=$1 fd=$2
	shift 2
	mkfifo "$BATS_TEST_TMPDIR/$name.in"
	env "$@" "$BIN" mcp-server <"$BATS_TEST_TMPDIR/$name.in" \
		>"$BATS_TEST_TMPDIR/$name.out" 2>"$BATS_TEST_TMPDIR/$name.err" &
	MCP_PIDS="${MCP_PIDS:-} $!"
	eval "exec $fd>\"$BATS_TEST_TMPDIR/$name.in\""
	printf '%s\n' \
		'{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' \
		'{"jsonrpc":"2.0","method":"notifications/initialized"}' >&"$fd"
}

# secret_run as request ID on session NAME (fd FD); prints allow or deny
mcp_decide() {
	local name=$1 fd=$2 id=$3 argv=$4 cmd args out
	cmd=$(jq -r '.[0]' <<<"$argv")
	args=$(jq -c '.[1:]' <<<"$argv")
	printf '{"jsonrpc":"2.0","id":%s,"method":"tools/call","params":{"name":"secret_run","arguments":{"keys":["api/key"],"command":"%s","args":%s}}}\n' \
		"$id" "$cmd" "$args" >&"$fd"
	for _ in $(seq 200); do
		out=$(jq -c "select(.id == $id)" "$BATS_TEST_TMPDIR/$name.out" 2>/dev/null)
		[ -n "$out" ] && break
		sleep 0.05
	done
	[ -n "$out" ] || { echo "no reply to $id on $name" >&2; return 1; }
	if [ "$(jq -r .result.isError <<<"$out")" = false ]; then
		echo allow
	elif jq -r '.result.content[0].text' <<<"$out" | grep -qiE 'denied|refused|polic'; then
		echo deny
	else
		echo "error: $(jq -r '.result.content[0].text' <<<"$out")"
	fi
}

# secretctl run with the key (password, no agent); prints allow or deny
cli_decide() {
	local argv=$1 st
	mapfile -t a < <(jq -r '.[]' <<<"$argv")
	run env SECRETCTL_PASSWORD=$PW SECRETCTL_NO_AGENT=1 "$BIN" run -k api/key -- "${a[@]}" </dev/null
	st=$status
	if [ "$st" -eq 125 ] && [[ "$output" == *"refused to run"* ]]; then
		echo deny
	elif [ "$st" -ne 125 ]; then
		echo allow
	else
		echo "error: $output"
	fi
}

@test "the three paths decide a table of runs alike, before and after a policy edit mid-session" {
	policy_a
	# the MCP server with the key, in one session for the whole test
	mcp_open key 5 SECRETCTL_PASSWORD=$PW SECRETCTL_NO_AGENT=1
	# the MCP server through the agent (no password in its environment)
	printf '%s\n' "$PW" | "$BIN" unlock --password-fd 0
	mcp_open agent 6 -u SECRETCTL_PASSWORD
	id=1
	for phase in a b; do
		if [ $phase = b ]; then policy_b; fi # the edit, mid-session for both servers
		for req in "${REQS[@]}"; do
			IFS='|' read -r argv want_a want_b <<<"$req"
			want=$want_a
			[ $phase = b ] && want=$want_b
			got_cli=$(cli_decide "$argv")
			got_key=$(mcp_decide key 5 $id "$argv")
			got_agent=$(mcp_decide agent 6 $id "$argv")
			id=$((id + 1))
			echo "policy $phase $argv: want $want cli $got_cli mcp-key $got_key mcp-agent $got_agent"
			[ "$got_cli" = "$want" ]
			[ "$got_key" = "$want" ]
			[ "$got_agent" = "$want" ]
		done
	done
	exec 5>&- 6>&-
	# every denial is in the audit log: 5 a phase on each of the three paths
	run env SECRETCTL_PASSWORD=$PW "$BIN" audit list --json
	[ "$(jq '[.[] | select(.result == "denied" and .source == "mcp")] | length' <<<"$output")" -eq 20 ]
	[ "$(jq '[.[] | select(.result == "denied" and .source == "cli")] | length' <<<"$output")" -eq 10 ]
}

@test "a failed unlock through the MCP server is in the audit log" {
	mcp_open bad 5 SECRETCTL_PASSWORD=wrong-password-1 SECRETCTL_NO_AGENT=1
	printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"secret_list","arguments":{}}}' >&5
	for _ in $(seq 200); do
		jq -e 'select(.id == 1)' "$BATS_TEST_TMPDIR/bad.out" >/dev/null 2>&1 && break
		sleep 0.05
	done
	exec 5>&-
	[ "$(jq -r 'select(.id == 1) | .result.isError' "$BATS_TEST_TMPDIR/bad.out")" = true ]
	run env SECRETCTL_PASSWORD=$PW "$BIN" audit list --json
	[ "$status" -eq 0 ]
	[ "$(jq '[.[] | select(.op == "unlock" and .source == "mcp" and .result == "error")] | length' <<<"$output")" -eq 1 ]
	run env SECRETCTL_PASSWORD=$PW "$BIN" audit verify
	[ "$status" -eq 0 ]
}

# The audit entries from seq $1 on, without what differs between two
# runs (seq, time, MACs), one JSON array.
entries_since() {
	env SECRETCTL_PASSWORD=$PW "$BIN" audit list --json --limit 1000 |
		jq -c --argjson n "$1" '[.[] | select(.seq > $n and .op != "unlock" and .op != "lock") | {op, secrets, result}]'
}

# The sources of the entries from seq $1 on, unique.
sources_since() {
	env SECRETCTL_PASSWORD=$PW "$BIN" audit list --json --limit 1000 |
		jq -r --argjson n "$1" '[.[] | select(.seq > $n and .op != "unlock" and .op != "lock") | .source] | unique | join(",")'
}

@test "one session: each read writes the same audit entry through the agent as with the password" {
	printf 'v2' | SECRETCTL_PASSWORD=$PW "$BIN" set api/key --replace >/dev/null
	reads() {
		"$BIN" exists api/key
		"$BIN" exists api/none || true
		"$BIN" list >/dev/null
		"$BIN" show api/key >/dev/null
		"$BIN" history api/key >/dev/null
		"$BIN" get api/key >/dev/null
		"$BIN" read secretctl://api/key >/dev/null
		"$BIN" get api/none 2>/dev/null || true
	}
	n0=$(env SECRETCTL_PASSWORD=$PW "$BIN" audit list --json | jq 'map(.seq) | max')
	# 1: with the password, the vault opened in each command
	( export SECRETCTL_PASSWORD=$PW SECRETCTL_NO_AGENT=1; reads )
	own=$(entries_since "$n0")
	n1=$(env SECRETCTL_PASSWORD=$PW "$BIN" audit list --json | jq 'map(.seq) | max')
	# 2: through an agent unlocked with --reveal, no password given
	printf '%s\n' "$PW" | "$BIN" unlock --reveal --password-fd 0 >/dev/null
	reads </dev/null
	"$BIN" lock >/dev/null
	via=$(entries_since "$n1")
	echo "own: $own"
	echo "via: $via"
	[ "$(jq length <<<"$own")" -eq 8 ]
	[ "$own" = "$via" ]
	jq -e 'map(.op) | index("show") and index("history") and index("exists") and index("list")' <<<"$via" >/dev/null
	[ "$(jq '[.[] | select(.secrets[0].name == null and .op == "get" and .result == "error")] | length' <<<"$via")" -eq 1 ]
	# the source says where the key was
	[ "$(sources_since "$n0" | cut -d, -f1)" = agent ]
	[ "$(env SECRETCTL_PASSWORD=$PW "$BIN" audit list --json --limit 1000 | jq -r --argjson a "$n0" --argjson b "$n1" '[.[] | select(.seq > $a and .seq <= $b and .op != "unlock") | .source] | unique | join(",")')" = cli ]
	[ "$(sources_since "$n1")" = agent ]
}

@test "mcp policy check says, rule by rule, which secrets reach which programs" {
	cat >"$POL" <<'YAML'
version: 1
default_action: deny
allowed_commands:
  - cat
  - python3
rules:
  - command: git
    args: ["push origin main"]
    secrets: ["gh/*"]
  - command: python3
    args: ["deploy.py --prod"]
    secrets: ["deploy/*"]
secret_commands:
  "db/*": [psql]
YAML
	chmod 600 "$POL"
	run -0 "$BIN" mcp policy check
	[[ "$output" == *"line 4: 'cat' (any arguments): every secret can reach it"* ]]
	[[ "$output" == *"warning: line 4: 'cat' reads files it is given"* ]]
	[[ "$output" == *"line 5: 'python3' runs code it is given: it runs without secrets"* ]]
	[[ "$output" == *"line 7: 'git' runs code it is given: 'gh/*' only with 1 exact argv pin"* ]]
	[[ "$output" == *"warning: line 10: 'python3' is given 'deploy.py' by a relative name"* ]]
	[[ "$output" == *"line 14: secrets matching 'db/*' reach only 'psql'"* ]]
	run -0 "$BIN" --json mcp policy check
	[ "$(jq '[.report[] | select(.warning)] | length' <<<"$output")" -eq 2 ]
	# default_action: allow is the widest door of all, and says so
	printf 'version: 1\ndefault_action: allow\n' >"$POL"
	run -0 "$BIN" mcp policy check
	[[ "$output" == *"warning: default_action: allow: every program no entry names"* ]]
}
