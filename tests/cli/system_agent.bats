#!/usr/bin/env bats
# The dedicated run user (issue 18, docs/SYSTEM-AGENT.md): `setup
# system-agent` as root, in a root-owned temporary tree (--root), with real
# users made by useradd. The owner's processes - an AI agent's shell among
# them - cannot read a running child's environment, fds or memory with the
# mode, and can without it; everything else works as before.

load helpers
load skip
bats_require_minimum_version 1.5.0

RUN_USER=sc-t-run
OWNER=sc-t-own
OTHER=sc-t-other

setup_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	local u
	for u in "$OWNER" "$OTHER"; do
		id "$u" >/dev/null 2>&1 || useradd --no-create-home --shell /bin/sh "$u"
	done
}

teardown_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	local u
	for u in "$OWNER" "$OTHER" "$RUN_USER"; do
		pkill -KILL -u "$u" 2>/dev/null || true
		userdel "$u" 2>/dev/null || true
	done
}

# As a user, with the test's configuration directory: as_user USER CMD...
as_user() {
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$u" --clear-groups \
		env -u SECRETCTL_PASSWORD -u SECRETCTL_VAULT_DIR HOME="$T/home" \
		SECRETCTL_SYSTEM_DIR="$T/etc/secretctl" XDG_RUNTIME_DIR="$T/xdg" "$@"
}

as_owner() {
	as_user "$OWNER" "$@"
}

# The owner's vault, the ordinary way: app/k, db/prod, and a policy that
# lets sleep and one pinned script have app/k.
make_owner_vault() {
	mkdir -p "$T/home" "$T/xdg"
	chown "$OWNER:" "$T/home" "$T/xdg"
	chmod 700 "$T/home" "$T/xdg"
	printf '%s\n' "$SC_PW" | as_owner "$SC_BIN" init --password-fd 0 "${SC_KDF[@]}" 2>/dev/null
	printf 'sys-secret-value-42' | as_owner env SECRETCTL_PASSWORD="$SC_PW" \
		"$SC_BIN" set app/k 2>/dev/null
	printf 'db-password-77' | as_owner env SECRETCTL_PASSWORD="$SC_PW" \
		"$SC_BIN" set db/prod 2>/dev/null
	# a script the runs may use, pinned by its hash (a shell gets a secret
	# only with its exact argv and its files pinned)
	printf '#!/bin/sh\necho "$APP_K"\n' >"$T/show.sh"
	chmod 755 "$T/show.sh"
	as_owner sh -c "cat > '$T/home/.secretctl/mcp-policy.yaml'" <<EOF
version: 1
default_action: deny
rules:
  - command: /usr/bin/sleep
    secrets: [app/k]
  - command: /bin/sh
    args: ["$T/show.sh"]
    secrets: [app/k]
    files: {"$T/show.sh": "$(sha256sum "$T/show.sh" | cut -d' ' -f1)"}
EOF
	chmod 600 "$T/home/.secretctl/mcp-policy.yaml"
}

start_agent() {
	local cmd i
	cmd=$(sed -n 's/^  \(setpriv .*\)$/\1/p' "$T/setup.out")
	[ -n "$cmd" ]
	$cmd >"$T/agent.log" 2>&1 3>&- &
	AGENT_PID=$!
	for i in $(seq 1 100); do
		[ -S "$T/run/secretctl/$OWNER.sock" ] && return 0
		sleep 0.05
	done
	cat "$T/agent.log" >&2
	return 1
}

setup() {
	[ "$(id -u)" -eq 0 ] || sc_skip "needs root: it creates users and root-owned files"
	command -v setpriv >/dev/null || sc_skip "needs setpriv (util-linux)"
	T=$(mktemp -d /tmp/sc-sys.XXXXXX)
	chmod 755 "$T"
	AGENT_PID=
	make_owner_vault
}

teardown() {
	[ -n "${AGENT_PID:-}" ] && kill "$AGENT_PID" 2>/dev/null
	pkill -u "$RUN_USER" 2>/dev/null || true
	[ -n "${T:-}" ] && rm -rf "$T"
	return 0
}

migrate() {
	"$SC_BIN" setup system-agent --owner "$OWNER" --user "$RUN_USER" --root "$T" \
		--migrate --from "$T/home/.secretctl" >"$T/setup.out"
}

vault_sums() {
	(cd "$1" && sha256sum audit.log vault.db mcp-policy.yaml)
}

@test "setup needs root, an owner that exists and is not root" {
	run as_owner "$SC_BIN" setup system-agent --owner "$OWNER" --root "$T"
	[ "$status" -eq 5 ]
	[[ "$output" == *"needs root"* ]]
	run "$SC_BIN" setup system-agent --owner no-such-user-x --root "$T"
	[ "$status" -eq 3 ]
	[[ "$output" == *"no user 'no-such-user-x'"* ]]
	run "$SC_BIN" setup system-agent --owner root --root "$T"
	[ "$status" -eq 2 ]
	run env -u SUDO_USER "$SC_BIN" setup system-agent --root "$T"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--owner USER"* ]]
	run "$SC_BIN" setup system-agent --owner "$OWNER" --migrate --undo --root "$T"
	[ "$status" -eq 2 ]
	# nothing was made by any of them
	[ ! -e "$T/etc" ]
	[ ! -e "$T/var" ]
}

@test "migrate and undo move the vault byte for byte; values and audit survive" {
	local before after
	before=$(vault_sums "$T/home/.secretctl")
	run migrate
	[ "$status" -eq 0 ]
	# moved: the copy is the run user's, identical, and the original is gone
	[ "$(vault_sums "$T/var/lib/secretctl/$OWNER")" = "$before" ]
	[ ! -e "$T/home/.secretctl" ]
	[ "$(stat -c '%U %a' "$T/var/lib/secretctl/$OWNER")" = "$RUN_USER 700" ]
	[ "$(stat -c '%U %a' "$T/var/lib/secretctl/$OWNER/vault.db")" = "$RUN_USER 600" ]
	# the configuration is root's, and the owner's uid cannot reach the vault
	[ "$(stat -c '%U %a' "$T/etc/secretctl/system-agent-$(id -u "$OWNER").conf")" = "root 644" ]
	run as_owner ls "$T/var/lib/secretctl/$OWNER"
	[ "$status" -ne 0 ]
	start_agent
	# every value reads back through the agent, with the password
	run as_owner env SECRETCTL_PASSWORD="$SC_PW" "$SC_BIN" get app/k
	[ "$status" -eq 0 ]
	[ "$output" = "sys-secret-value-42" ]
	run as_owner env SECRETCTL_PASSWORD="$SC_PW" "$SC_BIN" get db/prod
	[ "$output" = "db-password-77" ]
	run as_owner env SECRETCTL_PASSWORD="$SC_PW" "$SC_BIN" audit verify
	[ "$status" -eq 0 ]
	# back again: the same bytes as just before, the owner's once more
	after=$(vault_sums "$T/var/lib/secretctl/$OWNER")
	run "$SC_BIN" setup system-agent --owner "$OWNER" --root "$T" --undo
	[ "$status" -eq 0 ]
	[ "$(vault_sums "$T/home/.secretctl")" = "$after" ]
	[ "$(stat -c '%U' "$T/home/.secretctl/vault.db")" = "$OWNER" ]
	[ ! -e "$T/var/lib/secretctl/$OWNER" ]
	[ ! -e "$T/etc/secretctl/system-agent-$(id -u "$OWNER").conf" ]
	# the agent leaves with its vault
	for _ in $(seq 1 60); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.1; done
	run kill -0 "$AGENT_PID"
	[ "$status" -ne 0 ]
	# the ordinary mode again: the owner reads the vault directly
	run as_owner env SECRETCTL_PASSWORD="$SC_PW" SECRETCTL_NO_AGENT=1 "$SC_BIN" get app/k
	[ "$status" -eq 0 ]
	[ "$output" = "sys-secret-value-42" ]
	run as_owner env SECRETCTL_PASSWORD="$SC_PW" SECRETCTL_NO_AGENT=1 "$SC_BIN" audit verify
	[ "$status" -eq 0 ]
}

@test "a migrate that cannot finish leaves the vault where it was" {
	local before
	before=$(vault_sums "$T/home/.secretctl")
	mkdir -p "$T/var/lib/secretctl/$OWNER"
	run migrate
	[ "$status" -eq 7 ]
	[ "$(vault_sums "$T/home/.secretctl")" = "$before" ]
	rmdir "$T/var/lib/secretctl/$OWNER"
	# a vault in use (an unlocked agent of the owner) is not moved
	as_owner env SECRETCTL_PASSWORD="$SC_PW" "$SC_BIN" unlock >/dev/null
	run migrate
	[ "$status" -eq 1 ]
	[[ "$output" == *"open in process"* ]]
	[ "$(vault_sums "$T/home/.secretctl")" = "$before" ]
	[ ! -e "$T/var/lib/secretctl/$OWNER" ]
	as_owner "$SC_BIN" lock >/dev/null
}

# The pid of the sleep the run user (or the owner) runs now.
child_pid() {
	local i p
	for i in $(seq 1 100); do
		p=$(pgrep -u "$1" -x sleep | tail -1)
		[ -n "$p" ] && grep -qz '^APP_K=' "/proc/$p/environ" 2>/dev/null && {
			echo "$p"
			return 0
		}
		sleep 0.05
	done
	return 1
}

@test "with the mode the owner's uid cannot read a running child; without it, it can" {
	local pid job
	migrate
	start_agent
	as_owner env SECRETCTL_PASSWORD="$SC_PW" "$SC_BIN" unlock >/dev/null
	(cd /tmp || exit 1; as_owner "$SC_BIN" run -k app/k -- /usr/bin/sleep 4) 3>&- &
	job=$!
	pid=$(child_pid "$RUN_USER")
	# the value is there (root sees it): the test looks at the right process
	grep -qz '^APP_K=sys-secret-value-42$' "/proc/$pid/environ"
	[ "$(stat -c %U "/proc/$pid")" = "$RUN_USER" ]
	run as_owner cat "/proc/$pid/environ"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Permission denied"* ]]
	run as_owner ls "/proc/$pid/fd"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Permission denied"* ]]
	run as_owner head -c 16 "/proc/$pid/mem"
	[ "$status" -ne 0 ]
	[[ "$output" == *"Permission denied"* ]]
	wait "$job"
	# without the mode: a vault of the owner's own, its own agent, the
	# same run: the owner's uid reads the value from the child
	printf '%s\n' "$SC_PW" | as_owner env SECRETCTL_VAULT_DIR="$T/home/plain" \
		"$SC_BIN" init --password-fd 0 "${SC_KDF[@]}" 2>/dev/null
	printf 'sys-secret-value-42' | as_owner env SECRETCTL_VAULT_DIR="$T/home/plain" \
		SECRETCTL_PASSWORD="$SC_PW" "$SC_BIN" set app/k 2>/dev/null
	printf 'version: 1\ncli_runs: allow\n' | as_owner sh -c "cat > '$T/home/plain/mcp-policy.yaml'"
	chmod 600 "$T/home/plain/mcp-policy.yaml"
	as_owner env SECRETCTL_VAULT_DIR="$T/home/plain" SECRETCTL_PASSWORD="$SC_PW" \
		"$SC_BIN" unlock >/dev/null
	run as_owner env SECRETCTL_VAULT_DIR="$T/home/plain" "$SC_BIN" status
	[[ "$output" == *"children run as you"* ]]
	(cd /tmp || exit 1; as_owner env SECRETCTL_VAULT_DIR="$T/home/plain" "$SC_BIN" run -k app/k -- /usr/bin/sleep 4) 3>&- &
	job=$!
	pid=$(child_pid "$OWNER")
	run as_owner cat "/proc/$pid/environ"
	[ "$status" -eq 0 ]
	[[ "$output" == *"APP_K=sys-secret-value-42"* ]]
	wait "$job"
	as_owner env SECRETCTL_VAULT_DIR="$T/home/plain" "$SC_BIN" lock >/dev/null
}

@test "CLI and MCP runs, lock, unlock and the idle timeout through the dedicated agent" {
	migrate
	start_agent
	run as_owner "$SC_BIN" status
	[ "$status" -eq 1 ]
	[[ "$output" == *"state:  locked"* ]]
	[[ "$output" == *"children run as the dedicated run user"* ]]
	run as_owner "$SC_BIN" run -k app/k -- /bin/sh "$T/show.sh" </dev/null
	[ "$status" -eq 4 ]
	as_owner env SECRETCTL_PASSWORD="$SC_PW" "$SC_BIN" unlock >/dev/null
	run as_owner "$SC_BIN" --json status
	[ "$(jq -r .run_user <<<"$output")" = "$RUN_USER" ]
	# a CLI run without the password: the policy's, output redacted
	run bash -c "cd /tmp && $(declare -f as_user as_owner); T=$T OWNER=$OWNER as_owner '$SC_BIN' run -k app/k -- /bin/sh $T/show.sh"
	[ "$status" -eq 0 ]
	[[ "$output" != *"sys-secret-value-42"* ]]
	[[ "$output" == *"REDACTED"* ]]
	# ... and what the policy does not allow is refused
	run as_owner "$SC_BIN" run -k db/prod -- /usr/bin/sleep 0
	[ "$status" -eq 125 ]
	# an MCP run through the agent, from the owner's MCP server
	local init run_req out
	init='{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"sys-test","version":"1"}}}'
	run_req='{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"secret_run","arguments":{"keys":["app/k"],"command":"/bin/sh","args":["'"$T/show.sh"'"]}}}'
	out=$( (printf '%s\n' "$init" '{"jsonrpc":"2.0","method":"notifications/initialized"}' "$run_req"; sleep 2) |
		(cd /tmp && as_owner timeout 20 "$SC_BIN" mcp-server 2>/dev/null) | jq -c 'select(.id == 2)')
	[ "$(jq -r '.result.structuredContent.exit_code' <<<"$out")" = "0" ]
	[[ "$(jq -r '.result.structuredContent.stdout' <<<"$out")" == *"REDACTED"* ]]
	[[ "$out" != *"sys-secret-value-42"* ]]
	# doctor, forwarded, says the mode too
	run --separate-stderr as_owner env SECRETCTL_PASSWORD="$SC_PW" "$SC_BIN" doctor
	[[ "$output" == *"run mode: children run as the dedicated run user"* ]]
	# a forwarded command that prompts gets the caller's terminal: the
	# password, then the value twice, on a real pty (each typed once its
	# prompt is there)
	(cd /tmp || exit 1; python3 "$BATS_TEST_DIRNAME/pty_drive.py" "Vault password: " "$SC_PW" \
		"Value for app/tty" tty-value-31 "Repeat the value" tty-value-31 -- \
		setpriv --reuid="$OWNER" --regid="$OWNER" --clear-groups env -u SECRETCTL_PASSWORD \
		HOME="$T/home" SECRETCTL_SYSTEM_DIR="$T/etc/secretctl" XDG_RUNTIME_DIR="$T/xdg" \
		"$SC_BIN" set app/tty >/dev/null)
	run --separate-stderr as_owner env SECRETCTL_PASSWORD="$SC_PW" "$SC_BIN" get app/tty
	[ "$status" -eq 0 ]
	[ "$output" = "tty-value-31" ]
	# lock, then an idle timeout
	run as_owner "$SC_BIN" lock
	[ "$status" -eq 0 ]
	run as_owner "$SC_BIN" status
	[[ "$output" == *"state:  locked"* ]]
	# (5 s: a loaded CI machine must still find it unlocked right after)
	as_owner env SECRETCTL_PASSWORD="$SC_PW" "$SC_BIN" unlock --timeout 5s >/dev/null
	run as_owner "$SC_BIN" --json status
	[ "$(jq -r .unlocked <<<"$output")" = true ]
	[ "$(jq -r .timeout <<<"$output")" = 5 ]
	sleep 6.5
	run as_owner "$SC_BIN" status
	[[ "$output" == *"state:  locked"* ]]
}

@test "the audit log records the runs and a wrong password sent through the agent" {
	migrate
	start_agent
	as_owner env SECRETCTL_PASSWORD="$SC_PW" "$SC_BIN" unlock >/dev/null
	cd /tmp
	as_owner "$SC_BIN" run -k app/k -- /usr/bin/sleep 0
	run as_owner env SECRETCTL_PASSWORD=wrong-password-1 "$SC_BIN" get app/k
	[ "$status" -eq 4 ]
	[[ "$output" == *"wrong password"* ]]
	# a command that would not ask for the password itself is refused too
	# (it would show the run user's policy): the agent checks it first
	run as_owner env SECRETCTL_PASSWORD=wrong-password-1 "$SC_BIN" mcp policy check
	[ "$status" -eq 4 ]
	[[ "$output" != *"sleep"* ]]
	run as_owner env SECRETCTL_PASSWORD="$SC_PW" "$SC_BIN" mcp policy check
	[ "$status" -eq 0 ]
	[[ "$output" == *"sleep"* ]]
	run as_owner env SECRETCTL_PASSWORD="$SC_PW" "$SC_BIN" --json audit list
	[ "$status" -eq 0 ]
	jq -e '[.[] | select(.op == "run" and .command == "sleep" and .result == "ok")] | length == 1' <<<"$output"
	jq -e '[.[] | select(.op == "unlock" and .code == "auth")] | length == 2' <<<"$output"
	run as_owner env SECRETCTL_PASSWORD="$SC_PW" "$SC_BIN" audit verify
	[ "$status" -eq 0 ]
}

@test "other uids are refused by the agent; a configuration others may write is refused" {
	migrate
	start_agent
	# a uid the setup did not name: its connection is dropped unanswered
	run as_user "$OTHER" python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
body = b"{\"v\":1,\"op\":\"status\"}"
s.sendall(struct.pack(">I", len(body)) + body)
print("reply:", s.recv(100))' "$T/run/secretctl/$OWNER.sock"
	[[ "$output" != *'"ok"'* ]]
	grep -q "refused a connection from uid $(id -u "$OTHER")" "$T/agent.log"
	# the owner's client gets an answer from the same socket
	run as_owner "$SC_BIN" status
	[[ "$output" == *"agent:  pid"* ]]
	# a configuration someone but root could change is not followed
	chmod 666 "$T/etc/secretctl/system-agent-$(id -u "$OWNER").conf"
	run as_owner "$SC_BIN" list
	[ "$status" -eq 5 ]
	[[ "$output" == *"refusing the dedicated run user's configuration"* ]]
	chmod 644 "$T/etc/secretctl/system-agent-$(id -u "$OWNER").conf"
	# a socket served by another uid than the run user's is not trusted
	kill "$AGENT_PID"
	wait "$AGENT_PID" 2>/dev/null || true
	AGENT_PID=
	chmod 1777 "$T/run/secretctl"
	as_owner python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); time.sleep(5)' \
		"$T/run/secretctl/$OWNER.sock" 2>/dev/null 3>&- &
	local fake=$!
	sleep 0.5
	run as_owner env SECRETCTL_PASSWORD="$SC_PW" "$SC_BIN" get app/k
	kill "$fake" 2>/dev/null || true
	[ "$status" -eq 5 ]
	[[ "$output" == *"served by uid $(id -u "$OWNER")"* ]]
}
