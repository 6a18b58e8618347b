#!/bin/sh
# ssh_agent.sh - what one signature through `secretctl ssh-agent` costs:
# a client on one connection sends N SIGN_REQUESTs (the 150-byte data an
# SSH login signs) and times each answer; then `ssh-keygen -Y sign` of a
# file end to end (a new process and connection each time, hyperfine).
# Each signature loads the keyring from the vault, signs, and appends its
# fsynced audit entry before the answer goes out: that is what is timed.
# Usage: bench/ssh_agent.sh [signatures per key, default 500]
# SECRETCTL_BIN picks a binary; otherwise a Release build in build-bench/.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-500}
if [ -z "${SECRETCTL_BIN:-}" ]; then
	build=${SC_BENCH_BUILD:-"$root/build-bench"}
	cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSC_TESTS=OFF >/dev/null
	cmake --build "$build" -j2 --target secretctl >/dev/null
	SECRETCTL_BIN="$build/secretctl"
fi
bin=$SECRETCTL_BIN
tmp=$(mktemp -d /tmp/sc-bench-XXXXXX)
apid=
trap '[ -z "$apid" ] || kill "$apid" 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
export SECRETCTL_VAULT_DIR="$tmp/vault" SECRETCTL_NO_AGENT=1
export SECRETCTL_PASSWORD=bench-password-1
printf '%s\n' "$SECRETCTL_PASSWORD" | "$bin" init --password-fd 0 2>/dev/null
"$bin" key create ed --type ed25519 2>/dev/null
"$bin" key create ec --type ecdsa-p256 2>/dev/null
"$bin" ssh-agent --socket "$tmp/agent.sock" ed ec >"$tmp/env" 2>/dev/null &
apid=$!
i=0
while ! grep -q SSH_AGENT_PID "$tmp/env" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -lt 200 ] || { echo "ssh_agent.sh: the agent did not start" >&2; exit 1; }
	sleep 0.05
done
python3 - "$tmp/agent.sock" "$n" <<'PY'
import base64, socket, statistics, struct, subprocess, sys, time
sock, n = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_UNIX)
s.connect(sock)

def call(body):
    s.sendall(struct.pack(">I", len(body)) + body)
    hdr = b""
    while len(hdr) < 4:
        hdr += s.recv(4 - len(hdr))
    (ln,) = struct.unpack(">I", hdr)
    d = b""
    while len(d) < ln:
        d += s.recv(ln - len(d))
    return d

ans = call(b"\x0b")
count = struct.unpack(">I", ans[1:5])[0]
off, keys = 5, []
for _ in range(count):
    (bl,) = struct.unpack(">I", ans[off:off + 4]); blob = ans[off + 4:off + 4 + bl]; off += 4 + bl
    (cl,) = struct.unpack(">I", ans[off:off + 4]); name = ans[off + 4:off + 4 + cl].decode(); off += 4 + cl
    keys.append((name, blob))
data = bytes(range(150))
for name, blob in keys:
    req = b"\x0d" + struct.pack(">I", len(blob)) + blob + struct.pack(">I", len(data)) + data + b"\0\0\0\0"
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        r = call(req)
        ts.append((time.perf_counter() - t) * 1e6)
        if r[0] != 14:
            sys.exit("ssh_agent.sh: a signature was refused")
    ts.sort()
    print("ssh-agent sign %-3s (n=%d): p50 %.0f us, p90 %.0f us, p99 %.0f us" % (
        name, n, ts[len(ts) // 2], ts[len(ts) * 9 // 10], ts[len(ts) * 99 // 100]))
PY
if command -v hyperfine >/dev/null 2>&1; then
	"$bin" key pubkey ed --format ssh >"$tmp/ed.pub"
	head -c 1024 /dev/urandom >"$tmp/msg"
	hyperfine --warmup 3 --runs 50 --style basic --export-json "$tmp/hf.json" \
		-n "ssh-keygen -Y sign (ed25519, through the agent)" \
		"rm -f '$tmp/msg.sig'; SSH_AUTH_SOCK='$tmp/agent.sock' ssh-keygen -q -Y sign -f '$tmp/ed.pub' -n file '$tmp/msg'" \
		>/dev/null
	jq -r '.results[] | "\(.command): median \(.median * 1000 * 10 | floor / 10) ms (n=\(.times | length))"' \
		"$tmp/hf.json"
fi
