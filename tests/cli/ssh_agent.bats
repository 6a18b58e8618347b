#!/usr/bin/env bats
# secretctl ssh-agent (issue 14): the vault's ed25519 and ecdsa-p256 keys
# served over OpenSSH's agent protocol. The real OpenSSH tools are the
# clients: ssh-add lists, ssh-keygen -Y signs and verifies, ssh logs in to
# a real sshd on 127.0.0.1. Each signature is audited; confirm asks
# SSH_ASKPASS; a lifetime drops the key; the socket and the peer check keep
# other users out; malformed frames close only their own connection.

bats_require_minimum_version 1.5.0
load helpers
load skip

setup() {
	sc_setup
	export SECRETCTL_NO_AGENT=1
	sc_init
	sc key create ed --type ed25519 2>/dev/null
	sc key create ec --type ecdsa-p256 2>/dev/null
	unset SSH_AUTH_SOCK SSH_AGENT_PID SSH_ASKPASS
	AG_PID=
}

teardown() {
	if [ -n "$AG_PID" ]; then
		kill "$AG_PID" 2>/dev/null || true
		wait "$AG_PID" 2>/dev/null || true
	fi
	if [ -n "${OPEN_DIR:-}" ]; then
		rm -rf "$OPEN_DIR"
	fi
	if [ -f "$BATS_TEST_TMPDIR/sshd.pid" ]; then
		kill "$(cat "$BATS_TEST_TMPDIR/sshd.pid")" 2>/dev/null || true
	fi
}

# start the agent with "$@" in the background; SSH_AUTH_SOCK set once it
# has printed it (the socket is listening by then)
start_agent() {
	local out=$BATS_TEST_TMPDIR/agent.out i
	rm -f "$out"
	"$SC_BIN" ssh-agent "$@" >"$out" 2>"$BATS_TEST_TMPDIR/agent.err" &
	AG_PID=$!
	for i in $(seq 1 200); do
		grep -q '^SSH_AGENT_PID=' "$out" 2>/dev/null && break
		kill -0 "$AG_PID" 2>/dev/null || break
		sleep 0.05
	done
	grep -q '^SSH_AGENT_PID=' "$out"
	eval "$(cat "$out")"
	[ -S "$SSH_AUTH_SOCK" ]
	[ "$SSH_AGENT_PID" -eq "$AG_PID" ]
}

# sign $BATS_TEST_TMPDIR/msg through the agent with the public key of
# vault key $1, then verify with ssh-keygen
sign_verify() {
	local d=$BATS_TEST_TMPDIR
	# the public key as it was when first asked (a suspended key has none)
	[ -s "$d/$1.pub" ] || sc key pubkey "$1" --format ssh >"$d/$1.pub"
	printf 'the data %s\n' "$1" >"$d/msg"
	rm -f "$d/msg.sig"
	ssh-keygen -Y sign -f "$d/$1.pub" -n file "$d/msg"
	echo "me $(cat "$d/$1.pub")" >"$d/allowed"
	ssh-keygen -Y verify -f "$d/allowed" -I me -n file -s "$d/msg.sig" <"$d/msg"
}

# one raw request (hex of the whole frame) to the agent; prints the answer
# in hex, or CLOSED when the agent hung up without one
raw() {
	python3 - "$SSH_AUTH_SOCK" "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(bytes.fromhex(sys.argv[2]))
s.settimeout(5)
try:
    d = s.recv(65536)
except (ConnectionResetError, socket.timeout):
    d = b''
print(d.hex() if d else 'CLOSED')
EOF
}

# the hex of a SIGN_REQUEST frame: key blob $1, data $2 (hex), flags 0,
# then $3 (hex) appended inside the frame
sign_req() {
	local body
	body=0d$(printf '%08x' $((${#1} / 2)))$1$(printf '%08x' $((${#2} / 2)))$2'00000000'${3:-}
	printf '%08x%s' $((${#body} / 2)) "$body"
}

# wait for the background agent; its exit status in AG_STATUS
wait_agent() {
	AG_STATUS=0
	wait "$AG_PID" || AG_STATUS=$?
	AG_PID=
}

@test "ssh-add lists the served keys as key pubkey --format ssh prints them" {
	start_agent ed ec
	run -0 ssh-add -L
	[ "${lines[0]}" = "$(sc key pubkey ed --format ssh)" ]
	[ "${lines[1]}" = "$(sc key pubkey ec --format ssh)" ]
	[ "${#lines[@]}" -eq 2 ]
	# the socket is the owner's alone, in a directory of its own
	[ "$(stat -c %a "$SSH_AUTH_SOCK")" = 600 ]
	[ "$(stat -c %a "$(dirname "$SSH_AUTH_SOCK")")" = 700 ]
}

@test "ssh-keygen -Y sign through the agent: ed25519 and P-256 verify, each audited" {
	start_agent ed ec
	sc_audit_mark
	run -0 sign_verify ed
	[[ "$output" == *'Good "file" signature for me with ED25519 key'* ]]
	run -0 sign_verify ec
	[[ "$output" == *'Good "file" signature for me with ECDSA key'* ]]
	sc_assert_audit_appended
	run -0 sc audit list
	[ "$(grep -c 'ssh-agent.sign .* ok .*-- ssh-keygen' <<<"$output")" -eq 2 ]
	run -0 sc audit verify
}

@test "ssh logs in to a real sshd on 127.0.0.1 with the vault's key" {
	local d=$BATS_TEST_TMPDIR port
	command -v /usr/sbin/sshd >/dev/null || sc_skip "openssh-server is not installed"
	mkdir -p /run/sshd 2>/dev/null || true
	ssh-keygen -q -t ed25519 -N '' -f "$d/hostkey"
	sc key pubkey ed --format ssh >"$d/authorized_keys"
	chmod 600 "$d/authorized_keys"
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	cat >"$d/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $d/hostkey
AuthorizedKeysFile $d/authorized_keys
PidFile $d/sshd.pid
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
EOF
	/usr/sbin/sshd -f "$d/sshd_config" -E "$d/sshd.log"
	start_agent ed
	run -0 --separate-stderr ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o IdentityAgent="$SSH_AUTH_SOCK" \
		-o IdentitiesOnly=no -p "$port" "$(id -un)@127.0.0.1" echo logged-in-by-agent
	[ "$output" = logged-in-by-agent ]
	run -0 sc audit list
	[[ "$output" == *'ssh-agent.sign'*'ok'*'-- ssh'* ]]
	# and with the key not served, the same login fails
	kill "$AG_PID"
	wait_agent
	start_agent ec
	run ssh -F /dev/null -o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o IdentityAgent="$SSH_AUTH_SOCK" \
		-o IdentitiesOnly=no -o PubkeyAuthentication=yes -p "$port" \
		"$(id -un)@127.0.0.1" echo logged-in-by-agent
	[ "$status" -eq 255 ]
}

@test "--confirm asks SSH_ASKPASS with the key and the program; no refuses and is audited" {
	local d=$BATS_TEST_TMPDIR
	cat >"$d/askpass" <<EOF
#!/bin/sh
printf '%s|%s\n' "\$SSH_ASKPASS_PROMPT" "\$1" >>"$d/asked"
exit \$(cat "$d/answer")
EOF
	chmod +x "$d/askpass"
	export SSH_ASKPASS=$d/askpass
	echo 0 >"$d/answer"
	start_agent --confirm ed
	run -0 sign_verify ed
	grep -q "^confirm|secretctl ssh-agent: allow key 'ed' to sign for ssh-keygen (pid [0-9]*)" "$d/asked"
	grep -Eq '^SHA-256 of the data: [0-9a-f]{64}$' "$d/asked"
	echo 1 >"$d/answer"
	sc_audit_mark
	run sign_verify ed
	[ "$status" -ne 0 ]
	[ ! -s "$d/msg.sig" ]
	[ "$(grep -c '^confirm|' "$d/asked")" -eq 2 ]
	run -0 sc audit list
	[[ "$(tail -n 1 <<<"$output")" == *'ssh-agent.sign'*'denied'* ]]
}

@test "confirm per key: 'ec,confirm' asks for ec only" {
	local d=$BATS_TEST_TMPDIR
	printf '#!/bin/sh\necho asked >>"%s/asked"\nexit 1\n' "$d" >"$d/askpass"
	chmod +x "$d/askpass"
	export SSH_ASKPASS=$d/askpass
	start_agent ed ec,confirm
	run -0 sign_verify ed
	[ ! -e "$d/asked" ]
	run sign_verify ec
	[ "$status" -ne 0 ]
	[ "$(cat "$d/asked")" = asked ]
}

@test "confirm with neither SSH_ASKPASS nor a terminal: refused at start (exit 2)" {
	run -2 --separate-stderr setsid -w "$SC_BIN" ssh-agent --confirm ed </dev/null
	[[ "$stderr" == *"key 'ed' asks for confirmation: set SSH_ASKPASS"* ]]
	[ -z "$output" ]
}

@test "a lifetime drops the key; the agent leaves when every key's is over" {
	start_agent ed,lifetime=2s ec
	run -0 ssh-add -l
	[ "${#lines[@]}" -eq 2 ]
	sleep 3
	run -0 ssh-add -l
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *' ec (ECDSA)' ]]
	# the dropped key signs nothing
	run sign_verify ed
	[ "$status" -ne 0 ]
	kill "$AG_PID"
	wait_agent
	# a one-key agent whose key lasts 1 s: it may be gone before a slow
	# (sanitizer) build's poll sees its socket, so wait for it to leave and
	# then look at what it printed and what it left behind
	"$SC_BIN" ssh-agent --lifetime 1s ed >"$BATS_TEST_TMPDIR/agent.out" \
		2>"$BATS_TEST_TMPDIR/agent.err" &
	AG_PID=$!
	wait_agent
	[ "$AG_STATUS" -eq 0 ]
	grep -q "every key's lifetime is over" "$BATS_TEST_TMPDIR/agent.err"
	local sock
	sock=$(sed -n 's/^SSH_AUTH_SOCK=\([^;]*\);.*/\1/p' "$BATS_TEST_TMPDIR/agent.out")
	[ -n "$sock" ]
	[ ! -e "$sock" ]
	[ ! -e "$(dirname "$sock")" ]
}

@test "each signature loads the key anew: suspended after start, it signs nothing" {
	start_agent ed
	run -0 sign_verify ed
	sc key suspend ed 2>/dev/null
	sc_audit_mark
	run sign_verify ed
	[ "$status" -ne 0 ]
	run -0 sc audit list
	[[ "$(tail -n 1 <<<"$output")" == *'ssh-agent.sign'*'state'* ]]
	sc key resume ed 2>/dev/null
	run -0 sign_verify ed
}

@test "after a rotation the agent still signs with the version it serves" {
	local d=$BATS_TEST_TMPDIR
	start_agent ed
	sc key pubkey ed --format ssh >"$d/v1.pub"
	sc key rotate ed 2>/dev/null
	[ "$(sc key pubkey ed --format ssh)" != "$(cat "$d/v1.pub")" ]
	printf 'rotated\n' >"$d/msg"
	ssh-keygen -Y sign -f "$d/v1.pub" -n file "$d/msg" 2>/dev/null
	echo "me $(cat "$d/v1.pub")" >"$d/allowed"
	run -0 ssh-keygen -Y verify -f "$d/allowed" -I me -n file -s "$d/msg.sig" <"$d/msg"
}

@test "keys it will not serve, bad options, a taken socket: each its exit status" {
	sc key create aes --type aes256-gcm 2>/dev/null
	sc key create k1 --type secp256k1 2>/dev/null
	run -2 --separate-stderr sc ssh-agent aes
	[[ "$stderr" == *"key 'aes' is aes256-gcm: OpenSSH takes ed25519 and ecdsa-p256 keys"* ]]
	run -2 --separate-stderr sc ssh-agent k1
	[[ "$stderr" == *"key 'k1' is secp256k1"* ]]
	run -3 --separate-stderr sc ssh-agent nosuch
	[[ "$stderr" == *"no key 'nosuch' in the vault"* ]]
	run -7 --separate-stderr sc ssh-agent ed ed
	[[ "$stderr" == *"key 'ed' is listed twice"* ]]
	run -2 --separate-stderr sc ssh-agent
	run -2 --separate-stderr sc ssh-agent --lifetime 0s ed
	run -2 --separate-stderr sc ssh-agent --lifetime soon ed
	run -2 --separate-stderr sc ssh-agent ed,forever
	[[ "$stderr" == *"bad setting 'forever' for key 'ed'"* ]]
	run -2 --separate-stderr sc ssh-agent 'bad/name'
	sc key create pk --type ed25519 --passphrase-fd 3 --kdf-memory 8M --kdf-time 1 3<<<'a passphrase here'
	run -2 --separate-stderr sc ssh-agent pk
	[[ "$stderr" == *"key 'pk' is sealed under a passphrase, which the ssh-agent never holds"* ]]
	run -2 sc ssh-agent --confirm-timeout 2h ed
	sc key suspend ec 2>/dev/null
	run -9 --separate-stderr sc ssh-agent ec
	SECRETCTL_PASSWORD=wrong-password run -4 --separate-stderr sc ssh-agent ed
	# a socket path that is taken is not stolen
	start_agent ed
	run -7 --separate-stderr sc ssh-agent --socket "$SSH_AUTH_SOCK" ed
	[ -S "$SSH_AUTH_SOCK" ]
	run -0 ssh-add -l
	# nothing printed on stdout by any refusal
	run --separate-stderr sc ssh-agent aes
	[ -z "$output" ]
}

@test "protocol abuse: each bad frame closes its connection only; FAILURE for what we do not do" {
	start_agent ed
	local blob
	blob=$(ssh-add -L | awk '{print $2}' | base64 -d | od -An -tx1 | tr -d ' \n')
	# add (17), remove all (19), lock (22), extension (27): FAILURE
	run -0 raw 0000000111
	[ "$output" = 0000000105 ]
	run -0 raw 0000000113
	[ "$output" = 0000000105 ]
	run -0 raw 0000000116
	[ "$output" = 0000000105 ]
	run -0 raw 000000011b
	[ "$output" = 0000000105 ]
	run -0 ssh-add -l
	[[ "$output" == *' ed (ED25519)' ]]
	# a length over 256 KiB, a zero length, a truncated and a padded sign
	# request: closed without an answer
	run -0 raw 0004000111
	[ "$output" = CLOSED ]
	run -0 raw 00000000
	[ "$output" = CLOSED ]
	run -0 raw "000000090d000000ff00000000"
	[ "$output" = CLOSED ]
	run -0 raw "$(sign_req "$blob" 6869 ff)"
	[ "$output" = CLOSED ]
	# a blob length past the frame's end
	run -0 raw "0000000d0d00000100$blob"
	[ "$output" = CLOSED ]
	# a well-formed request for a key not served (another ed25519 key):
	# FAILURE, audited
	local other
	other=0000000b7373682d6564323535313900000020$(printf '11%.0s' $(seq 32))
	sc_audit_mark
	run -0 raw "$(sign_req "$other" 6869)"
	[ "$output" = 0000000105 ]
	sc_assert_audit_appended
	run -0 sc audit list
	[[ "$(tail -n 1 <<<"$output")" == *'ssh-agent.sign'*'not_found'* ]]
	# the served blob, well formed: a signature (SIGN_RESPONSE, type 14)
	run -0 raw "$(sign_req "$blob" 6869)"
	[ "${output:8:2}" = 0e ]
	# more connections than it holds, all kept open and idle: the one idle
	# longest makes room, so another client is still served meanwhile
	run -0 python3 - "$SSH_AUTH_SOCK" <<'EOF'
import os, socket, subprocess, sys, time
held = []
for i in range(140):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    held.append(s)
time.sleep(0.5)
r = subprocess.run(["ssh-add", "-l"], capture_output=True, timeout=20,
                   env=dict(os.environ, SSH_AUTH_SOCK=sys.argv[1]))
print(r.returncode, r.stdout.decode().strip())
EOF
	[[ "$output" == "0 256 SHA256:"*" ed (ED25519)" ]]
}

@test "a client that never reads its answers, or never finishes a frame, holds nobody up" {
	start_agent ed
	python3 - "$SSH_AUTH_SOCK" <<'EOF' &
import socket, struct, sys, time
c = socket.socket(socket.AF_UNIX)
c.connect(sys.argv[1])
c.setblocking(False)
f = struct.pack(">IB", 1, 11) * 50000
n = 0
try:
    while n < len(f):
        n += c.send(f[n:])
except BlockingIOError:
    pass
h = socket.socket(socket.AF_UNIX)
h.connect(sys.argv[1])
h.send(b"\x00\x00\x01\x00\x0d")  # half a frame, never finished
time.sleep(15)
EOF
	local pyp=$!
	sleep 0.5
	# answered at once, not after the stalled client's send timeout
	run -0 timeout 3 ssh-add -l
	[[ "$output" == *' ed (ED25519)' ]]
	kill "$pyp" 2>/dev/null || true
	wait "$pyp" 2>/dev/null || true
}

@test "a half frame left unfinished is closed after 10 s" {
	start_agent ed
	run -0 timeout 30 python3 - "$SSH_AUTH_SOCK" <<'EOF'
import socket, sys, time
h = socket.socket(socket.AF_UNIX)
h.connect(sys.argv[1])
h.send(b"\x00\x00\x01\x00\x0d")
t = time.time()
h.settimeout(25)
d = h.recv(10)
print("closed" if d == b"" else "data", int(time.time() - t))
EOF
	[[ "$output" == "closed 1"[0-2] ]]
}

@test "refused requests on one connection are bounded: the 17th closes it" {
	start_agent ed
	local other
	other=0000000b7373682d6564323535313900000020$(printf '22%.0s' $(seq 32))
	sc_audit_mark
	run -0 python3 - "$SSH_AUTH_SOCK" "$(sign_req "$other" 6869)" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
req = bytes.fromhex(sys.argv[2])
answers = 0
for i in range(30):
    try:
        s.sendall(req)
        d = s.recv(5)
    except (BrokenPipeError, ConnectionResetError):
        break
    if d != b"\x00\x00\x00\x01\x05":
        break
    answers += 1
print(answers)
EOF
	[ "$output" = 16 ]
	run -0 sc audit list --op ssh-agent.sign
	[ "$(grep -c 'not_found' <<<"$output")" -eq 17 ]
}

@test "a confirmation on the terminal left unanswered is no, and the agent stays" {
	local d=$BATS_TEST_TMPDIR
	command -v script >/dev/null || skip "script (util-linux) is not installed"
	# the agent on a pty of its own, nobody typing
	(sleep 60 | setsid script -qfc "'$SC_BIN' ssh-agent --socket '$d/tty.sock' --confirm-timeout 2s ed,confirm" "$d/tty.log" >/dev/null 2>&1 &)
	local i
	for i in $(seq 1 100); do [ -S "$d/tty.sock" ] && break; sleep 0.1; done
	export SSH_AUTH_SOCK=$d/tty.sock
	sc key pubkey ed --format ssh >"$d/ed.pub"
	printf 'x\n' >"$d/msg"
	run ssh-keygen -Y sign -f "$d/ed.pub" -n file "$d/msg"
	[ "$status" -ne 0 ]
	grep -q "allow key 'ed' to sign for ssh-keygen" "$d/tty.log"
	# still serving
	run -0 ssh-add -l
	[[ "$output" == *' ed (ED25519)' ]]
	run -0 sc audit list --op ssh-agent.sign
	[[ "$(tail -n 1 <<<"$output")" == *denied* ]]
	pkill -f "ssh-agent --socket $d/tty.sock" || true
}

@test "a confirmation that outlasts the key's lifetime signs nothing" {
	local d=$BATS_TEST_TMPDIR
	printf '#!/bin/sh\nsleep 3\nexit 0\n' >"$d/slow"
	chmod +x "$d/slow"
	export SSH_ASKPASS=$d/slow
	start_agent ed,confirm,lifetime=2s ec
	run sign_verify ed
	[ "$status" -ne 0 ]
	run -0 sc audit list --op ssh-agent.sign
	[[ "$(tail -n 1 <<<"$output")" == *'error:expired'* ]]
}

@test "a stale socket left by a killed agent is taken over; a live one never" {
	local d=$BATS_TEST_TMPDIR
	start_agent --socket "$d/s.sock" ed
	kill -9 "$AG_PID"
	wait_agent
	[ -S "$d/s.sock" ]
	start_agent --socket "$d/s.sock" ed
	run -0 ssh-add -l
	# a live agent's socket: refused (exit 7), and it keeps serving
	run -7 --separate-stderr sc ssh-agent --socket "$d/s.sock" ed
	run -0 ssh-add -l
	# a symlink or a plain file at the path: never removed
	ln -s "$d/elsewhere" "$d/link.sock"
	run -7 sc ssh-agent --socket "$d/link.sock" ed
	[ -L "$d/link.sock" ]
	: >"$d/plain"
	run -7 sc ssh-agent --socket "$d/plain" ed
	[ -f "$d/plain" ]
}

@test "another uid is refused even where it can reach the socket (SO_PEERCRED)" {
	[ "$(id -u)" -eq 0 ] || sc_skip "needs root to act as another uid"
	command -v setpriv >/dev/null || sc_skip "setpriv (util-linux) is not installed"
	OPEN_DIR=$(mktemp -d /tmp/sc-sshagent-XXXXXX)
	chmod 755 "$OPEN_DIR"
	start_agent --socket "$OPEN_DIR/agent.sock" ed
	chmod 666 "$SSH_AUTH_SOCK"
	run setpriv --reuid=65534 --regid=65534 --clear-groups ssh-add -l
	[ "$status" -ne 0 ]
	[[ "$output" != *ED25519* ]]
	run -0 ssh-add -l
	[[ "$output" == *' ed (ED25519)' ]]
}

@test "SIGTERM: the agent leaves with status 0 and removes its socket and directory" {
	start_agent ed
	local sock=$SSH_AUTH_SOCK
	kill -TERM "$AG_PID"
	wait_agent
	[ "$AG_STATUS" -eq 0 ]
	[ ! -e "$sock" ]
	[ ! -e "$(dirname "$sock")" ]
}
