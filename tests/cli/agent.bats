#!/usr/bin/env bats
# Black-box tests of the unlock agent: unlock/lock/status, commands without
# a password while unlocked, use-only vs --reveal, the idle timeout, socket
# and directory modes, refusal of other uids (directory mode and the
# SO_PEERCRED check), kill -9, two vaults, signals, the vault going away.

bats_require_minimum_version 1.5.0

PW='agent-test-password'
VAL='Agent-Value-7f3e9c1d'

setup() {
	load skip
	BIN=${SECRETCTL_BIN:-$BATS_TEST_DIRNAME/../../build/secretctl}
	[ -x "$BIN" ] || { echo "no binary at $BIN" >&2; return 1; }
	"$BIN" help unlock >/dev/null 2>&1 || sc_skip "'unlock' is not in the command table"
	# a short private runtime directory: socket paths have a 108-byte limit
	RT=$(mktemp -d /tmp/sc-agent-XXXXXX)
	export XDG_RUNTIME_DIR="$RT"
	export SECRETCTL_VAULT_DIR="$BATS_TEST_TMPDIR/vault"
	unset SECRETCTL_PASSWORD SECRETCTL_NO_AGENT
	printf '%s\n' "$PW" | "$BIN" init --password-fd 0 --kdf-memory 8192 --kdf-time 1 2>/dev/null
	printf '%s' "$VAL" | SECRETCTL_PASSWORD=$PW "$BIN" set api/key
	printf 'plain-user' | SECRETCTL_PASSWORD=$PW "$BIN" set api/user
}

teardown() {
	local v
	for v in "$BATS_TEST_TMPDIR/vault" "$BATS_TEST_TMPDIR/vault2"; do
		[ -d "$v" ] && SECRETCTL_VAULT_DIR=$v "$BIN" lock >/dev/null 2>&1 || true
	done
	[ -n "${FG_PID:-}" ] && kill "$FG_PID" 2>/dev/null || true
	[ -n "${FG_PID:-}" ] && wait "$FG_PID" 2>/dev/null || true
	rm -rf "$RT"
}

sc() {
	"$BIN" "$@"
}

unlock() {
	printf '%s\n' "$PW" | "$BIN" unlock --password-fd 0 "$@"
}

agent_pid() {
	"$BIN" status --json | jq -r .pid
}

sock_dir() {
	echo "$RT/secretctl"
}

# allow_cli_runs [VAULT]: the opt-out (cli_runs: allow) for tests of the
# agent's plumbing (streams, signals, timeouts) that run shells with secrets;
# by default a run through the agent obeys the MCP policy (issue 18: the
# tests "by default, a CLI run through the agent ...")
allow_cli_runs() {
	local f=${1:-$SECRETCTL_VAULT_DIR}/mcp-policy.yaml
	printf 'version: 1\ncli_runs: allow\n' >"$f"
	chmod 600 "$f"
}

# wait_gone PID [SECONDS]: wait, up to SECONDS (default 15), for PID to
# exit; fails if it is still there. Generous: the machine may be loaded.
wait_gone() {
	local i
	for ((i = 0; i < ${2:-15} * 20; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.05
	done
	echo "process $1 still running after ${2:-15}s" >&2
	return 1
}

# wait_for SECONDS CMD...: run CMD every 50 ms until it succeeds; fails
# after SECONDS.
wait_for() {
	local i n=$1
	shift
	for ((i = 0; i < n * 20; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	echo "timed out after ${n}s waiting for: $*" >&2
	return 1
}

# the foreground agent's socket is there
sock_up() {
	compgen -G "$(sock_dir)/*.sock" >/dev/null
}

# status says the agent is locked (or gone)
is_locked() {
	[ "$("$BIN" status --json 2>/dev/null | jq -r .unlocked)" != true ]
}

# An MCP server with no password in its environment, fed through a FIFO on
# fd 5, its replies in $BATS_TEST_TMPDIR/out; initialized.
mcp_start() {
	mkfifo "$BATS_TEST_TMPDIR/in"
	env -u SECRETCTL_PASSWORD "$BIN" mcp-server <"$BATS_TEST_TMPDIR/in" \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	MCP_PID=$!
	exec 5>"$BATS_TEST_TMPDIR/in"
	printf '%s\n' \
		'{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' \
		'{"jsonrpc":"2.0","method":"notifications/initialized"}' >&5
}

mcp_stop() {
	exec 5>&-
	wait "$MCP_PID" || true
}

# secret_list as request ID (with tag TAG); waits for its reply
mcp_list() {
	local args='{}'
	[ -n "${2:-}" ] && args="{\"tag\":\"$2\"}"
	printf '{"jsonrpc":"2.0","id":%s,"method":"tools/call","params":{"name":"secret_list","arguments":%s}}\n' \
		"$1" "$args" >&5
	wait_for 30 jq -e "select(.id == $1)" "$BATS_TEST_TMPDIR/out" >/dev/null 2>&1
}

# the keys request ID's secret_list answered, comma-separated
mcp_keys() {
	jq -r "select(.id == $1) | .result.structuredContent.secrets | map(.key) | join(\",\")" \
		"$BATS_TEST_TMPDIR/out"
}

@test "unlock starts an agent; list, exists and run need no password" {
	run sc status
	[ "$status" -eq 1 ]
	[[ "$output" == *"locked (no agent answers at '$RT/secretctl/"*".sock')"* ]]
	run unlock
	[ "$status" -eq 0 ]
	[[ "$output" == *"unlocked (use-only mode"* ]]
	run sc status
	[ "$status" -eq 0 ]
	[[ "$output" == *"state:  unlocked"* ]]
	[[ "$output" == *"mode:   use-only"* ]]
	[[ "$output" == *"locks:  in "* ]]
	# which rules a run without the password meets, and what is still open
	[[ "$output" == *"runs:   'secretctl run' without the password: refused (no mcp-policy.yaml)"* ]]
	[[ "$output" == *"children run as you: any process of your uid (an AI agent's shell too) can read a running child's environment; 'secretctl setup system-agent' (root)"* ]]
	[[ "$output" != *"$VAL"* ]]
	run sc status --json
	[ "$(jq -r .mode <<<"$output")" = use-only ]
	[ "$(jq -r .cli_runs <<<"$output")" = refused ]
	[ "$(jq -r .run_user <<<"$output")" = owner ]
	[ "$(jq -r .timeout <<<"$output")" -eq 900 ]
	# no password anywhere from here on, and no terminal to ask on
	run sc list </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'api/key\napi/user')" ]
	run sc list --json </dev/null
	[ "$(jq -r '.[0].fields[0].sensitive' <<<"$output")" = true ]
	run sc exists api/key </dev/null
	[ "$status" -eq 0 ]
	run sc exists api/none </dev/null
	[ "$status" -eq 1 ]
	# the agent runs the command: the value is in the child, redacted in its output
	allow_cli_runs
	[ "$(sc status --json | jq -r .cli_runs)" = allow ]
	run sc run -k api/key -- sh -c 'test "$API_KEY" = "$0" && echo "got $API_KEY"' "$VAL" </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = "got [REDACTED:API_KEY]" ]
	run sc run -k api/key -- sh -c 'echo "$API_KEY" >&2; exit 7' </dev/null
	[ "$status" -eq 7 ]
	[ "$output" = "[REDACTED:API_KEY]" ]
	# stdin reaches the command
	run sc run -k api/key -- cat <<<"from stdin"
	[ "$output" = "from stdin" ]
	# errors keep run's exit statuses and words
	run -125 sc run -k no/such -- true </dev/null
	[[ "$output" == *"no secret matches 'no/such'"* ]]
	run -127 sc run -k api/key -- no-such-command-sc </dev/null
	# the agent wrote the audit entries (the CLI had no key to do it)
	run env SECRETCTL_PASSWORD=$PW "$BIN" audit list --json
	[ "$status" -eq 0 ]
	[ "$(jq '[.[] | select(.source == "agent")] | length' <<<"$output")" -ge 5 ]
	[ "$(jq -r '[.[] | select(.source == "agent") | .op] | unique | join(",")' <<<"$output")" = \
		"exists,list,run" ]
}

@test "list through the agent follows puts and deletes; every list is audited" {
	run unlock
	[ "$status" -eq 0 ]
	run sc list </dev/null
	[ "$output" = "$(printf 'api/key\napi/user')" ]
	# the agent keeps the reply while nothing changes: the same answer
	run sc list </dev/null
	[ "$output" = "$(printf 'api/key\napi/user')" ]
	# a put by another process moves the vault's generation
	printf 'new-value-123' | SECRETCTL_PASSWORD=$PW "$BIN" set api/new
	run sc list </dev/null
	[ "$output" = "$(printf 'api/key\napi/new\napi/user')" ]
	run sc list --json </dev/null
	[ "$(jq -r '.[1].name' <<<"$output")" = api/new ]
	SECRETCTL_PASSWORD=$PW "$BIN" delete api/key
	run sc list </dev/null
	[ "$output" = "$(printf 'api/new\napi/user')" ]
	# a replaced value under the same name: the list is the same, and fresh
	printf 'other-value-456' | SECRETCTL_PASSWORD=$PW "$BIN" set api/new
	run sc list </dev/null
	[ "$output" = "$(printf 'api/new\napi/user')" ]
	# each of the six lists left its own entry
	run env SECRETCTL_PASSWORD=$PW "$BIN" audit list --op list --json
	[ "$(jq '[.[] | select(.source == "agent")] | length' <<<"$output")" -eq 6 ]
}

@test "an agent keeps the password only in locked memory, for the sanitizer (root: reads its memory)" {
	SECRETCTL_PASSWORD=$PW run sc unlock
	[ "$status" -eq 0 ]
	pid=$(agent_pid)
	# the agent is not dumpable: only root reads its memory
	/usr/bin/python3 -c "open('/proc/$pid/mem', 'rb')" 2>/dev/null ||
		sc_skip "cannot read the agent's memory (needs root)"
	# how many times $1 is in the agent's readable memory, not after $2; with
	# "unlocked", only those in mappings with no locked page (smaps Locked:)
	count() {
		/usr/bin/python3 - "$pid" "$1" "${2:-}" "${3:-}" <<'EOF'
import sys
pid, needle, n = sys.argv[1], sys.argv[2].encode(), 0
after = sys.argv[3].encode() + needle
only_unlocked = sys.argv[4] == "unlocked"
maps, cur = [], None
with open(f"/proc/{pid}/smaps") as f:
    for line in f:
        parts = line.split()
        if "-" in parts[0] and len(parts) >= 5 and ":" not in parts[0]:
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            cur = [lo, hi, parts[1], 0]
            maps.append(cur)
        elif parts[0] == "Locked:":
            cur[3] = int(parts[1])
with open(f"/proc/{pid}/mem", "rb", 0) as mem:
    for lo, hi, perms, locked in maps:
        # skip what cannot be read, and ASan's terabytes of shadow
        if "r" not in perms or hi - lo > 1 << 30 or (only_unlocked and locked > 0):
            continue
        try:
            mem.seek(lo)
            data = mem.read(hi - lo)
            n += data.count(needle) - (data.count(after) if after != needle else 0)
        except OSError:
            pass
print(n)
EOF
	}
	# the scan sees what the agent does hold: its vault's path, in ordinary
	# (unlocked) memory too, so the filter below is not blind
	[ "$(count "$SECRETCTL_VAULT_DIR")" -gt 0 ]
	[ "$(count "$SECRETCTL_VAULT_DIR" "" unlocked)" -gt 0 ]
	# it holds the password (every run's output is redacted of it) ...
	[ "$(count "$PW" SECRETCTL_PASSWORD=)" -gt 0 ]
	# ... only in locked, guarded memory, never as the environment's copy
	# (an ASan build swaps guarded memory for malloc, and its runtime keeps
	# its own copy of the start-up environment)
	if ! grep -q __asan_init "$BIN"; then
		[ "$(count "SECRETCTL_PASSWORD=$PW")" -eq 0 ]
		[ "$(count "$PW" SECRETCTL_PASSWORD= unlocked)" -eq 0 ]
	fi
}

@test "get asks for the password in use-only mode, and is served with --reveal" {
	unlock
	run sc get api/key </dev/null
	[ "$status" -eq 4 ]
	[[ "$output" == *"does not reveal values in use-only mode"* ]]
	[[ "$output" != *"$VAL"* ]]
	# with the password it works as ever
	run --separate-stderr env SECRETCTL_PASSWORD=$PW "$BIN" get api/key
	[ "$status" -eq 0 ]
	[ "$output" = "$VAL" ]
	run unlock --reveal
	[ "$status" -eq 0 ]
	[[ "$output" == *"AI agent's shell"* ]]
	[[ "$output" == *"unlocked (reveal mode"* ]]
	[ "$(sc status --json | jq -r .mode)" = reveal ]
	run sc get api/key </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = "$VAL" ]
	run sc get api/none </dev/null
	[ "$status" -eq 3 ]
	# a plain unlock goes back to use-only
	unlock
	run sc get api/key </dev/null
	[ "$status" -eq 4 ]
}

@test "lock wipes the key: commands need the password again" {
	unlock
	pid=$(agent_pid)
	run sc lock
	[ "$status" -eq 0 ]
	[ "$output" = locked ]
	# the daemon exits once locked
	wait_gone "$pid"
	run sc status
	[ "$status" -eq 1 ]
	run sc list </dev/null
	[ "$status" -eq 4 ]
	[[ "$output" == *"no password given"* ]]
	run -125 sc run -k api/key -- true </dev/null
	run env SECRETCTL_PASSWORD=$PW "$BIN" list
	[ "$status" -eq 0 ]
	# locking twice is fine
	run sc lock
	[ "$status" -eq 0 ]
}

@test "the idle timeout locks" {
	run unlock --timeout 2s
	[[ "$output" == *"locks after 2s idle"* ]]
	run sc list </dev/null
	[ "$status" -eq 0 ]
	# locked within the timeout and the agent's one-second tick (bounded
	# generously for a loaded machine)
	wait_for 20 is_locked
	run sc status
	[ "$status" -eq 1 ]
	run sc list </dev/null
	[ "$status" -eq 4 ]
	run -2 sc unlock --timeout 0s
	run -2 sc unlock --timeout soon
}

@test "a run in progress is not cut short by the idle timeout, and counts as use" {
	unlock --timeout 2s
	allow_cli_runs
	run sc run -k api/key -- sh -c 'sleep 3; echo done' </dev/null
	[ "$output" = done ]
	run sc list </dev/null
	[ "$status" -eq 0 ]
}

@test "socket directory 0700, socket 0600, lock file empty" {
	unlock
	d=$(sock_dir)
	[ "$(stat -c %a "$d")" = 700 ]
	s=$(ls "$d"/*.sock)
	[ -S "$s" ]
	[ "$(stat -c %a "$s")" = 600 ]
	l=$(ls "$d"/*.lock)
	[ "$(stat -c %a "$l")" = 600 ]
	[ ! -s "$l" ]
	# a directory with looser modes is refused, by client and agent alike
	sc lock
	chmod 755 "$d"
	run sc unlock --password-fd 0 <<<"$PW"
	[ "$status" -eq 5 ]
	[[ "$output" == *"must be 0700"* ]]
	chmod 700 "$d"
	# a symlink in its place is refused
	mv "$d" "$d.real"
	ln -s "$d.real" "$d"
	run sc unlock --password-fd 0 <<<"$PW"
	[ "$status" -eq 5 ]
	rm "$d"
	mv "$d.real" "$d"
}

@test "without XDG_RUNTIME_DIR the socket lives in a private /tmp directory" {
	unset XDG_RUNTIME_DIR
	[ ! -e "/tmp/secretctl-$(id -u)" ] || [ -O "/tmp/secretctl-$(id -u)" ]
	unlock
	[ "$(stat -c %a "/tmp/secretctl-$(id -u)")" = 700 ]
	run sc list </dev/null
	[ "$status" -eq 0 ]
	sc lock
}

@test "another uid is refused: by the directory mode, and by the peer check (root)" {
	command -v setpriv >/dev/null || sc_skip "no setpriv"
	[ "$(id -u)" -eq 0 ] || sc_skip "needs root to switch uid"
	# the foreground agent logs to stderr
	"$BIN" agent 2>"$BATS_TEST_TMPDIR/agent.log" &
	FG_PID=$!
	wait_for 20 sock_up
	unlock
	s=$(ls "$(sock_dir)"/*.sock)
	chmod 755 "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR/vault" "$RT" 2>/dev/null || true
	# layer 1: nobody cannot even reach the socket in the 0700 directory
	run setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
except PermissionError:
    print("EACCES"); sys.exit(0)
print("connected")' "$s"
	[ "$output" = EACCES ]
	# layer 2: with the directory and socket opened up, the agent itself
	# refuses the foreign uid: it closes without a reply, and logs it
	chmod 711 "$(sock_dir)"
	chmod 666 "$s"
	run setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
body = b"{\"v\":1,\"op\":\"status\"}"
try:
    s.sendall(struct.pack(">I", len(body)) + body)
    r = s.recv(65536)
except (BrokenPipeError, ConnectionResetError):
    r = b""
print("closed" if r == b"" else "reply: %r" % r)' "$s"
	[ "$output" = closed ]
	grep -q "refused a connection from uid 65534" "$BATS_TEST_TMPDIR/agent.log"
	# the same request from our own uid is answered
	run /usr/bin/python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
body = b"{\"v\":1,\"op\":\"status\"}"
s.sendall(struct.pack(">I", len(body)) + body)
print(s.recv(65536)[4:].decode())' "$s"
	[[ "$output" == *'"unlocked":true'* ]]
	# the secretctl client run as nobody refuses the directory it does not own
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN" status
	[ "$status" -ne 0 ]
	[[ "$output" != *"state:  unlocked"* ]]
	chmod 700 "$(sock_dir)"
	chmod 600 "$s"
}

@test "the client refuses an agent socket served by another uid (root)" {
	[ "$(id -u)" -eq 0 ] || sc_skip "needs root to serve a socket as another uid"
	unlock
	s=$(ls "$(sock_dir)"/*.sock)
	sc lock
	sock_gone() { [ ! -e "$s" ]; }
	wait_for 20 sock_gone
	# a fake agent in the agent's place: bound as root (the 0700 directory
	# lets only us), listening as nobody, so SO_PEERCRED names uid 65534; it
	# answers any request as an unlocked agent would
	/usr/bin/python3 - "$s" "$BATS_TEST_TMPDIR/fake.ready" <<'EOF' 3>&- &
import os, socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
ready = open(sys.argv[2], "w")
os.setgroups([])
os.setresgid(65534, 65534, 65534)
os.setresuid(65534, 65534, 65534)
s.listen(8)
ready.write("ready"); ready.close()
body = b'{"v":1,"ok":true,"unlocked":true,"reveal":true,"pid":1,"timeout":900,"left":900}'
while True:
    c, _ = s.accept()
    try:
        c.recv(65536)
        c.sendall(struct.pack(">I", len(body)) + body)
    except OSError:
        pass
    c.close()
EOF
	FG_PID=$!
	wait_for 20 test -s "$BATS_TEST_TMPDIR/fake.ready"
	run sc status
	[ "$status" -ne 0 ]
	[[ "$output" == *"served by another user"* ]]
	run sc list </dev/null
	[ "$status" -ne 0 ]
	[[ "$output" == *"served by another user"* ]]
	kill "$FG_PID"
	FG_PID=
	rm -f "$s"
}

@test "an agent directory owned by another uid is refused, by client and agent (root)" {
	[ "$(id -u)" -eq 0 ] || sc_skip "needs root to give the directory to another uid"
	unlock
	sc lock
	d=$(sock_dir)
	# mode 0700 still, but nobody's: root could use it, and must not
	chown 65534 "$d"
	run sc status
	[ "$status" -ne 0 ]
	[[ "$output" == *"owned by uid 65534"* ]]
	run sc unlock --password-fd 0 <<<"$PW"
	[ "$status" -eq 5 ]
	[[ "$output" == *"owned by uid 65534"* ]]
	chown 0 "$d"
}

@test "malformed frames are refused and the agent keeps serving" {
	unlock
	s=$(ls "$(sock_dir)"/*.sock)
	run /usr/bin/python3 -c '
import socket, struct, sys
def ask(raw):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    s.sendall(raw)
    s.shutdown(socket.SHUT_WR)
    out = b""
    while True:
        b = s.recv(65536)
        if not b: break
        out += b
    return out
def frame(b): return struct.pack(">I", len(b)) + b
print(ask(frame(b"not json"))[4:].decode())
print(ask(frame(b"{\"v\":2,\"op\":\"status\"}"))[4:].decode())
print(ask(frame(b"{\"v\":1,\"op\":\"status\",\"x\":1}"))[4:].decode())
print(ask(frame(b"{\"v\":1,\"op\":\"get\",\"name\":\"../x\"}"))[4:].decode())
print(len(ask(struct.pack(">I", 64 * 1024 * 1024))))
' "$s"
	[ "$status" -eq 0 ]
	[ "$(sed -n 1p <<<"$output" | jq -r .status)" -eq 1 ]  # SC_ERR_INVALID
	[ "$(sed -n 2p <<<"$output" | jq -r .status)" -eq 10 ] # SC_ERR_VERSION
	[ "$(sed -n 3p <<<"$output" | jq -r .status)" -eq 1 ]
	[ "$(sed -n 4p <<<"$output" | jq -r .status)" -eq 12 ] # SC_ERR_NAME
	[ "$(sed -n 5p <<<"$output")" -eq 0 ]                  # oversize: dropped
	run sc list </dev/null
	[ "$status" -eq 0 ]
}

@test "kill -9 leaves no key material on disk and the next command falls back" {
	unlock
	pid=$(agent_pid)
	before=$(find "$BATS_TEST_TMPDIR/vault" -type f | sort | xargs sha256sum)
	kill -9 "$pid"
	wait_gone "$pid"
	# what is left: an empty lock file and a dead socket, nothing else
	run find "$RT" -type f -size +0
	[ "$output" = "" ]
	# no core file, no new file in the vault
	[ "$(find "$BATS_TEST_TMPDIR/vault" -type f | sort | xargs sha256sum)" = "$before" ]
	run sc status
	[ "$status" -eq 1 ]
	[[ "$output" == *"no agent answers at"* ]]
	run sc list </dev/null
	[ "$status" -eq 4 ]
	[[ "$output" == *"no password given"* ]]
	run env SECRETCTL_PASSWORD=$PW "$BIN" run -k api/key -- true
	[ "$status" -eq 0 ]
	# and a new unlock replaces the stale socket
	unlock
	run sc list </dev/null
	[ "$status" -eq 0 ]
}

@test "two agents for two vaults do not mix" {
	V2="$BATS_TEST_TMPDIR/vault2"
	printf '%s\n' "other-password-2" |
		SECRETCTL_VAULT_DIR=$V2 "$BIN" init --password-fd 0 --kdf-memory 8192 --kdf-time 1
	printf 'Second-Vault-Value-42' |
		SECRETCTL_PASSWORD=other-password-2 SECRETCTL_VAULT_DIR=$V2 "$BIN" set api/key
	printf 'only-in-two' |
		SECRETCTL_PASSWORD=other-password-2 SECRETCTL_VAULT_DIR=$V2 "$BIN" set two/only
	unlock
	printf '%s\n' "other-password-2" | SECRETCTL_VAULT_DIR=$V2 "$BIN" unlock --password-fd 0 --reveal
	[ "$(ls "$(sock_dir)"/*.sock | wc -l)" -eq 2 ]
	p1=$(agent_pid)
	p2=$(SECRETCTL_VAULT_DIR=$V2 "$BIN" status --json | jq -r .pid)
	[ "$p1" != "$p2" ]
	allow_cli_runs
	allow_cli_runs "$V2"
	run sc run -k api/key -- sh -c 'test "$API_KEY" = "$0"' "$VAL" </dev/null
	[ "$status" -eq 0 ]
	run env SECRETCTL_VAULT_DIR=$V2 "$BIN" run -k api/key -- sh -c 'test "$API_KEY" = "$0"' \
		'Second-Vault-Value-42' </dev/null
	[ "$status" -eq 0 ]
	run sc exists two/only </dev/null
	[ "$status" -eq 1 ]
	run env SECRETCTL_VAULT_DIR=$V2 "$BIN" get api/key </dev/null
	[ "$output" = "Second-Vault-Value-42" ]
	[ "$(sc status --json | jq -r .mode)" = use-only ]
	# locking one leaves the other
	sc lock
	run env SECRETCTL_VAULT_DIR=$V2 "$BIN" exists two/only </dev/null
	[ "$status" -eq 0 ]
	# a key for one vault does not open the other
	run sc unlock --password-fd 0 <<<"other-password-2"
	[ "$status" -eq 4 ]
}

@test "signals reach the command through the agent" {
	unlock
	allow_cli_runs
	# the command says when its trap is set; the signal is sent only then
	"$BIN" run -k api/key -- sh -c 'trap "echo got-int; exit 9" INT; : >"$0"; sleep 10 & wait' \
		"$BATS_TEST_TMPDIR/ready" >"$BATS_TEST_TMPDIR/out" </dev/null &
	cli=$!
	wait_for 20 test -e "$BATS_TEST_TMPDIR/ready"
	kill -INT "$cli"
	st=0
	wait "$cli" || st=$?
	[ "$st" -eq 9 ]
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = got-int ]
}

@test "--no-sanitize never goes through the agent: it needs the password" {
	unlock
	run -125 sc run --no-sanitize -k api/key -- true </dev/null
	[[ "$output" == *"no password given"* ]]
}

@test "SIGTERM wipes and exits; SIGHUP locks a foreground agent that stays up" {
	"$BIN" agent 2>"$BATS_TEST_TMPDIR/agent.log" &
	FG_PID=$!
	wait_for 20 sock_up
	run sc status
	[[ "$output" == *"state:  locked"* ]]
	unlock
	[ "$(sc status --json | jq -r .pid)" -eq "$FG_PID" ]
	kill -HUP "$FG_PID"
	wait_for 20 is_locked
	run sc status --json
	[ "$(jq -r .unlocked <<<"$output")" = false ]
	kill -0 "$FG_PID"
	unlock
	kill -TERM "$FG_PID"
	st=0
	wait "$FG_PID" || st=$?
	[ "$st" -eq 0 ]
	FG_PID=
	[ -z "$(ls "$(sock_dir)"/*.sock 2>/dev/null)" ]
	run sc status
	[ "$status" -eq 1 ]
	grep -q "locked (SIGHUP)" "$BATS_TEST_TMPDIR/agent.log"
}

@test "the agent exits when its vault disappears" {
	unlock
	pid=$(agent_pid)
	mv "$BATS_TEST_TMPDIR/vault" "$BATS_TEST_TMPDIR/moved"
	# the agent looks once a second
	wait_gone "$pid"
	mv "$BATS_TEST_TMPDIR/moved" "$BATS_TEST_TMPDIR/vault"
	# a vault replaced by another file under the same name counts as gone too
	unlock
	pid=$(agent_pid)
	cp -p "$BATS_TEST_TMPDIR/vault/vault.db" "$BATS_TEST_TMPDIR/copy.db"
	mv "$BATS_TEST_TMPDIR/copy.db" "$BATS_TEST_TMPDIR/vault/vault.db"
	wait_gone "$pid"
}

@test "the agent is not dumpable and holds its key in locked memory (as root: on an agent run as nobody)" {
	unlock
	pid=$(agent_pid)
	# (an ASan build swaps guarded memory for malloc, so nothing is locked)
	grep -q __asan_init "$BIN" || [ "$(awk '/^VmLck/ {print $2}' "/proc/$pid/status")" -gt 0 ]
	# core limit 0
	grep -q "^Max core file size *0 *0" "/proc/$pid/limits"
	# not dumpable: the kernel gives its /proc files (environ, mem, maps) to
	# root, not to the process's uid. As root that shows nothing, so there
	# the check is made on an agent run as nobody (a copy of the binary and
	# a vault of its own in a directory nobody owns).
	if [ "$(id -u)" -ne 0 ]; then
		[ "$(stat -c %u "/proc/$pid/environ")" -eq 0 ]
	else
		nb=$(mktemp -d /tmp/sc-nobody-XXXXXX)
		chmod 755 "$nb"
		mkdir "$nb/bin"
		cp "$BIN" "$nb/bin/secretctl"
		chown -R 65534:65534 "$nb"
		as_nobody() {
			setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$nb" \
				XDG_RUNTIME_DIR="$nb" SECRETCTL_VAULT_DIR="$nb/vault" "$nb/bin/secretctl" "$@"
		}
		printf '%s\n' "$PW" | as_nobody init --password-fd 0 --kdf-memory 8192 --kdf-time 1
		printf '%s\n' "$PW" | as_nobody unlock --password-fd 0
		npid=$(as_nobody status --json | jq -r .pid)
		st=0
		[ "$(awk '/^Uid:/ {print $2}' "/proc/$npid/status")" -eq 65534 ] || st=1
		[ "$(stat -c %u "/proc/$npid/environ")" -eq 0 ] || st=1
		[ "$(stat -c %u "/proc/$npid/mem")" -eq 0 ] || st=1
		as_nobody lock
		wait_gone "$npid"
		rm -rf "$nb"
		[ "$st" -eq 0 ]
	fi
	[ "$(tr -d '\0' <"/proc/$pid/environ" | grep -c SECRETCTL_PASSWORD)" -eq 0 ]
}

@test "the MCP server works through the agent with no password in its environment" {
	# a policy that allows one script, which checks and prints the value
	printf '#!/bin/sh\necho "key=$API_KEY"\ntest "$API_KEY" = "%s" && echo match\n' "$VAL" \
		>"$BATS_TEST_TMPDIR/show.sh"
	chmod 755 "$BATS_TEST_TMPDIR/show.sh"
	printf 'version: 1\ndefault_action: deny\nallowed_commands:\n  - %s\n' \
		"$(realpath "$BATS_TEST_TMPDIR/show.sh")" >"$SECRETCTL_VAULT_DIR/mcp-policy.yaml"
	chmod 600 "$SECRETCTL_VAULT_DIR/mcp-policy.yaml"
	unlock
	mcp_start
	pid=$MCP_PID
	printf '%s\n' \
		'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"secret_list","arguments":{}}}' \
		"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"secret_run\",\"arguments\":{\"keys\":[\"api/key\"],\"command\":\"$BATS_TEST_TMPDIR/show.sh\"}}}" \
		'{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"secret_run","arguments":{"keys":["api/key"],"command":"env"}}}' \
		'{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"secret_get_field","arguments":{"key":"api/user","field":"value"}}}' >&5
	has_replies() { [ "$(wc -l <"$BATS_TEST_TMPDIR/out")" -ge 5 ]; }
	wait_for 30 has_replies
	# the running server's environment: no password, no value
	tr '\0' '\n' <"/proc/$pid/environ" >"$BATS_TEST_TMPDIR/environ"
	[ -s "$BATS_TEST_TMPDIR/environ" ]
	run ! grep -q SECRETCTL_PASSWORD "$BATS_TEST_TMPDIR/environ"
	run ! grep -qF "$PW" "$BATS_TEST_TMPDIR/environ"
	run ! grep -qF "$VAL" "$BATS_TEST_TMPDIR/environ"
	exec 5>&-
	wait "$pid" || true
	out="$BATS_TEST_TMPDIR/out"
	[ "$(jq -r 'select(.id == 1) | .result.structuredContent.secrets | map(.key) | join(",")' "$out")" = \
		"api/key,api/user" ]
	[ "$(jq -r 'select(.id == 2) | .result.structuredContent.stdout' "$out")" = \
		"$(printf 'key=[REDACTED:API_KEY]\nmatch')" ]
	jq -r 'select(.id == 3) | .result.content[0].text' "$out" | grep -q "denied by policy"
	[ "$(jq -r 'select(.id == 4) | .result.isError' "$out")" = true ]
	run ! grep -qF "$VAL" "$out"
	# the agent applied the policy and wrote the entries
	run env SECRETCTL_PASSWORD=$PW "$BIN" audit list --json
	echo "$(jq -r '[.[] | select(.source == "mcp") | .op + ":" + .result] | sort | join(",")' <<<"$output")" >&2
	[ "$(jq -r '[.[] | select(.source == "mcp") | .op + ":" + .result] | sort | join(",")' <<<"$output")" = \
		"secret_get_field:ok,secret_list:ok,secret_run:denied,secret_run:ok" ]
}

@test "MCP secret_list through the agent follows puts and deletes within one session" {
	unlock
	mcp_start
	mcp_list 1
	mcp_list 2 # unchanged: the server's kept answer
	printf 'new-value-123' | SECRETCTL_PASSWORD=$PW "$BIN" set api/new --tag t1
	mcp_list 3
	SECRETCTL_PASSWORD=$PW "$BIN" delete api/key
	mcp_list 4
	mcp_list 5 t1 # a tag filter is its own answer
	mcp_list 6
	mcp_stop
	[ "$(mcp_keys 1)" = "api/key,api/user" ]
	[ "$(mcp_keys 2)" = "api/key,api/user" ]
	[ "$(mcp_keys 3)" = "api/key,api/new,api/user" ]
	[ "$(mcp_keys 4)" = "api/new,api/user" ]
	[ "$(mcp_keys 5)" = "api/new" ]
	[ "$(mcp_keys 6)" = "api/new,api/user" ]
	# every call was answered by the agent and audited there
	run env SECRETCTL_PASSWORD=$PW "$BIN" audit list --op secret_list --json
	[ "$(jq '[.[] | select(.source == "mcp")] | length' <<<"$output")" -eq 6 ]
}

@test "MCP secret_list through the agent: a vault made again in its place is a new list" {
	unlock
	mcp_start
	mcp_list 1
	# the vault deleted and made again with as many writes: the same
	# generation, another vault (its agent is a new one too)
	sc lock
	rm -rf "$SECRETCTL_VAULT_DIR"
	printf '%s\n' "$PW" | "$BIN" init --password-fd 0 --kdf-memory 8192 --kdf-time 1 2>/dev/null
	printf 'other-value-1' | SECRETCTL_PASSWORD=$PW "$BIN" set other/one
	printf 'other-value-2' | SECRETCTL_PASSWORD=$PW "$BIN" set other/two
	unlock
	mcp_list 2
	mcp_stop
	[ "$(mcp_keys 1)" = "api/key,api/user" ]
	[ "$(mcp_keys 2)" = "other/one,other/two" ]
}

@test "mcp-server with SECRETCTL_NO_AGENT set does not use an unlocked agent" {
	unlock
	init='{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}'
	list='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"secret_list","arguments":{}}}'
	serve() {
		printf '%s\n' "$init" "$list" | env -u SECRETCTL_PASSWORD "$@" timeout 20 "$BIN" \
			mcp-server 2>/dev/null | jq -c 'select(.id == 1) | .result'
	}
	# without it (or set to 0) the agent answers, with no password anywhere
	[ "$(serve | jq -r '.structuredContent.secrets | map(.key) | join(",")')" = "api/key,api/user" ]
	[ "$(serve SECRETCTL_NO_AGENT=0 | jq -r .isError)" = false ]
	# with it the server is on its own: locked, and says why
	res=$(serve SECRETCTL_NO_AGENT=1)
	[ "$(jq -r .isError <<<"$res")" = true ]
	jq -r '.content[0].text' <<<"$res" | grep -q "locked: SECRETCTL_NO_AGENT is set"
	[ "$(jq -r '.structuredContent.secrets' <<<"$res")" = null ]
	# with the password too, the server uses its own key, not the agent's
	before=$(SECRETCTL_PASSWORD=$PW "$BIN" audit list --json | jq length)
	res=$(serve SECRETCTL_NO_AGENT=1 SECRETCTL_PASSWORD=$PW)
	[ "$(jq -r .isError <<<"$res")" = false ]
	run env SECRETCTL_PASSWORD=$PW "$BIN" audit list --json
	[ "$(jq -c --argjson n "$before" '[.[$n:][] | select(.source == "mcp") | .op]' <<<"$output")" = \
		'["secret_list"]' ]
}

@test "by default, a CLI run through the agent obeys the MCP policy; cli_runs: allow opts out" {
	unlock
	truebin=$(realpath /bin/true)
	pol=$SECRETCTL_VAULT_DIR/mcp-policy.yaml
	# no policy file: refused, saying how to get the run anyway
	run -125 sc run -k api/key -- "$truebin" </dev/null
	[[ "$output" == *"through the agent obeys mcp-policy.yaml, and the vault has none"* ]]
	[[ "$output" == *"SECRETCTL_NO_AGENT=1"* ]]
	# with the password, the user's own runs are unrestricted, as before
	run env SECRETCTL_NO_AGENT=1 SECRETCTL_PASSWORD=$PW "$BIN" run -k api/key -- sh -c 'exit 4'
	[ "$status" -eq 4 ]
	# cli_runs unset: the same allowlist as MCP runs, and the way out named
	printf 'version: 1\ndefault_action: deny\nallowed_commands:\n  - %s\n' "$truebin" >"$pol"
	chmod 600 "$pol"
	[[ "$(sc status)" == *"without the password: obey mcp-policy.yaml, confined"* ]]
	run sc run -k api/key -- "$truebin" </dev/null
	[ "$status" -eq 0 ]
	run -125 sc run -k api/key -- sh -c 'exit 4' </dev/null
	[[ "$output" == *"the agent refused to run 'sh'"* ]]
	[[ "$output" == *"'cli_runs: allow' in mcp-policy.yaml opts out"* ]]
	run env SECRETCTL_NO_AGENT=1 SECRETCTL_PASSWORD=$PW "$BIN" run -k api/key -- sh -c 'exit 4'
	[ "$status" -eq 4 ]
	# cli_runs: allow leaves runs through the agent alone even when MCP would deny
	printf 'version: 1\ndefault_action: deny\nallowed_commands:\n  - %s\ncli_runs: allow\n' \
		"$truebin" >"$pol"
	run sc run -k api/key -- sh -c 'exit 4' </dev/null
	[ "$status" -eq 4 ]
	# cli_runs: policy: runs with the password obey it too
	printf 'version: 1\ndefault_action: deny\nallowed_commands:\n  - %s\ncli_runs: policy\n' \
		"$truebin" >"$pol"
	run sc run -k api/key -- "$truebin" </dev/null
	[ "$status" -eq 0 ]
	run -125 sc run -k api/key -- sh -c 'exit 4' </dev/null
	[[ "$output" == *"the agent refused to run 'sh'"* ]]
	run -125 env SECRETCTL_NO_AGENT=1 SECRETCTL_PASSWORD=$PW "$BIN" run -k api/key -- sh -c 'exit 4'
	[[ "$output" == *"'sh'"* ]]
	# an invalid policy file stops them too (it may have said cli_runs: policy)
	printf 'version: 1\nbogus_key: 1\n' >"$pol"
	run -125 sc run -k api/key -- "$truebin" </dev/null
	[[ "$output" == *"policy file is invalid"* ]]
	# the denials are in the audit log: four through the agent, one with the password
	run env SECRETCTL_PASSWORD=$PW "$BIN" audit list --json
	[ "$(jq '[.[] | select(.op == "run" and .result == "denied" and .source == "agent")] | length' <<<"$output")" -eq 4 ]
	[ "$(jq '[.[] | select(.op == "run" and .result == "denied" and .source == "cli")] | length' <<<"$output")" -eq 1 ]
}

@test "by default, a shell as the user cannot read a secret through the agent by transforming it" {
	# issue 18's first road: `secretctl run -k app/k -- python3 -c ...[::-1]`
	# needed no password and printed the value reversed
	unlock
	rev=$(printf '%s' "$VAL" | rev)
	pol=$SECRETCTL_VAULT_DIR/mcp-policy.yaml
	code='import os; print(os.environ["API_KEY"][::-1])'
	run -125 sc run -k api/key -- python3 -c "$code" </dev/null
	[[ "$output" != *"$rev"* ]]
	# an allowlist that names python3: a program that runs code it is given
	# receives no secret unless its argv is pinned
	printf 'version: 1\ndefault_action: deny\nallowed_commands:\n  - python3\n  - grep\n' >"$pol"
	chmod 600 "$pol"
	run -125 sc run -k api/key -- python3 -c "$code" </dev/null
	[[ "$output" != *"$rev"* ]]
	[[ "$output" == *"python3"* ]]
	# grep may have the secret, but it runs confined: a recursive read of
	# its own /proc directory (a path the argument check cannot see) opens
	# no environ
	walk=(grep -ar --include=environ -o 'API_KEY=.*' /proc/self/)
	run sc run -k api/key -- "${walk[@]}" </dev/null
	[ "$status" -ne 0 ]
	[[ "$output" == *"environ: Permission denied"* ]]
	[[ "$output" != *"API_KEY="* ]]
	# the opt-out is the old behaviour: the same read succeeds (the
	# sanitizer hides the value; the reversed one it cannot)
	printf 'version: 1\ndefault_action: deny\nallowed_commands:\n  - grep\ncli_runs: allow\n' >"$pol"
	run sc run -k api/key -- "${walk[@]}" </dev/null
	[[ "$output" == *"API_KEY=[REDACTED:API_KEY]"* ]]
	run sc run -k api/key -- python3 -c "$code" </dev/null
	[ "$output" = "$rev" ]
}

@test "a process in another user or PID namespace is not served (a confined run, a container)" {
	unshare --user --map-current-user true 2>/dev/null ||
		sc_skip "cannot make a user namespace here"
	unlock
	run sc list </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"api/key"* ]]
	# the same uid, the same socket, from inside a namespace: refused,
	# not served as if it were the user's own shell
	run unshare --user --map-current-user "$BIN" list </dev/null
	[ "$status" -eq 9 ]
	[[ "$output" == *"serves no process in another namespace"* ]]
	[[ "$output" != *"api/key"* ]]
	run unshare --user --map-current-user "$BIN" run -k api/key -- true </dev/null
	[ "$status" -eq 125 ]
	if unshare --pid --fork true 2>/dev/null; then
		run unshare --pid --fork "$BIN" exists api/key </dev/null
		[[ "$output" == *"serves no process in another namespace"* ]]
	fi
}
