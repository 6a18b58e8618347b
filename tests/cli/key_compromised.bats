#!/usr/bin/env bats
# key_compromised.bats - a compromised version used with
# --allow-compromised is reported loudly, every time and on every path: a
# warning on stderr naming the key and the version, and an audit entry
# whose op says so (key.decrypt.compromised, ...); through the agent the
# same; the MCP server can never ask for it (the agent refuses it).

bats_require_minimum_version 1.5.0

setup() {
	load helpers
	sc_setup
	sc_init
	RT=$(mktemp -d /tmp/sc-kcomp-XXXXXX)
	export XDG_RUNTIME_DIR="$RT"
	printf 'hello keys\n' >"$BATS_TEST_TMPDIR/msg"
}

teardown() {
	"$SC_BIN" lock >/dev/null 2>&1 || true
	rm -rf "$RT"
}

# how many audit entries have op $1
entries() {
	SECRETCTL_PASSWORD=$SC_PW "$SC_BIN" audit list --json --op "$1" | jq length
}

@test "decrypt with --allow-compromised: a warning naming key and version, each time, and marked entries" {
	SECRETCTL_NO_AGENT=1
	export SECRETCTL_NO_AGENT
	sc key create k1 --type aes256-gcm
	sc key encrypt k1 --in "$BATS_TEST_TMPDIR/msg" >"$BATS_TEST_TMPDIR/ct1"
	printf one | sc key encrypt k1 >"$BATS_TEST_TMPDIR/one"
	sc key rotate k1
	sc key encrypt k1 --in "$BATS_TEST_TMPDIR/msg" >"$BATS_TEST_TMPDIR/ct2"
	printf two | sc key encrypt k1 >"$BATS_TEST_TMPDIR/two"
	sc key compromise k1 --version 1
	# without the flag: refused (exit 9), the flag named
	run -9 --separate-stderr sc key decrypt --in "$BATS_TEST_TMPDIR/ct1"
	[[ "$stderr" == *"compromised: decrypt with --allow-compromised"* ]]
	[ "$(entries key.decrypt.compromised)" -eq 0 ]
	for use in 1 2; do # (not $i: bats's run sets it)
		run -0 --separate-stderr sc key decrypt --allow-compromised --in "$BATS_TEST_TMPDIR/ct1"
		[ "$output" = "hello keys" ]
		[[ "$stderr" == *"version 1 of key 'k1' is COMPROMISED and was used"* ]]
		[ "$(entries key.decrypt.compromised)" -eq "$use" ]
	done
	# a version that is not compromised, flag or not: no warning, an ordinary entry
	n=$(entries key.decrypt)
	run -0 --separate-stderr sc key decrypt --allow-compromised --in "$BATS_TEST_TMPDIR/ct2"
	[[ "$stderr" != *"COMPROMISED"* ]]
	[ "$(entries key.decrypt.compromised)" -eq 2 ]
	[ "$(entries key.decrypt)" -eq $((n + 1)) ]
	# a batch naming the compromised version among newer ones: that one is named
	cat "$BATS_TEST_TMPDIR/two" "$BATS_TEST_TMPDIR/one" "$BATS_TEST_TMPDIR/two" >"$BATS_TEST_TMPDIR/b"
	run -0 --separate-stderr sc key decrypt k1 --batch --allow-compromised --in "$BATS_TEST_TMPDIR/b"
	[ "$output" = "$(printf 'two\none\ntwo')" ]
	[[ "$stderr" == *"version 1 of key 'k1' is COMPROMISED"* ]]
	[ "$(entries key.decrypt.compromised)" -eq 3 ]
	# rewrap of a compromised text: said and recorded as well
	run -0 --separate-stderr sc key rewrap k1 --allow-compromised --in "$BATS_TEST_TMPDIR/ct1"
	[[ "$output" == sc:v1:k1:2:* ]]
	[[ "$stderr" == *"version 1 of key 'k1' is COMPROMISED"* ]]
	[ "$(entries key.rewrap.compromised)" -eq 1 ]
	run -0 sc audit verify
}

@test "hmac verify and signature verify of a compromised version: warned and marked" {
	SECRETCTL_NO_AGENT=1
	export SECRETCTL_NO_AGENT
	sc key create h1 --type hmac-sha256
	mac=$(sc key hmac h1 --in "$BATS_TEST_TMPDIR/msg")
	sc key compromise h1
	run -9 sc key hmac h1 --in "$BATS_TEST_TMPDIR/msg" --verify "$mac"
	run -0 --separate-stderr sc key hmac h1 --in "$BATS_TEST_TMPDIR/msg" --verify "$mac" --allow-compromised
	[[ "$stderr" == *"version 1 of key 'h1' is COMPROMISED"* ]]
	[ "$(entries key.hmac-verify.compromised)" -eq 1 ]
	sc key create s1 --type ed25519
	sc sign s1 --in "$BATS_TEST_TMPDIR/msg" --out "$BATS_TEST_TMPDIR/sig"
	sc key compromise s1
	run -9 sc verify s1 --in "$BATS_TEST_TMPDIR/msg" --signature "$BATS_TEST_TMPDIR/sig"
	run -0 --separate-stderr sc verify s1 --in "$BATS_TEST_TMPDIR/msg" \
		--signature "$BATS_TEST_TMPDIR/sig" --allow-compromised
	[[ "$stderr" == *"version 1 of key 's1' is COMPROMISED"* ]]
	[ "$(entries key.verify.compromised)" -eq 1 ]
}

# raw KEYREQ [ATTACH-HEX]: one frame to the agent's socket; prints the reply
raw() {
	/usr/bin/python3 - "$(ls "$RT"/secretctl/*.sock)" "$@" <<'EOF'
import json, socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
req = json.loads(sys.argv[2])
att = bytes.fromhex(sys.argv[3]) if len(sys.argv) > 3 else b""
if att and "attach" not in req:
    req["attach"] = len(att)
body = json.dumps(req).encode()
s.sendall(struct.pack(">I", len(body)) + body + att)
hdr = b""
while len(hdr) < 4:
    c = s.recv(4 - len(hdr))
    if not c:
        break
    hdr += c
n = struct.unpack(">I", hdr)[0]
b = b""
while len(b) < n:
    b += s.recv(n - len(b))
print(b.decode())
EOF
}

@test "through the agent: the same warning and entry (source agent); MCP never gets the override" {
	unset SECRETCTL_NO_AGENT
	sc key create k1 --type aes256-gcm
	sc key rotate k1
	# version 2 (not 1): the reply carries the version, not a yes
	sc key encrypt k1 --in "$BATS_TEST_TMPDIR/msg" >"$BATS_TEST_TMPDIR/ct1"
	sc key compromise k1 --version 2
	sc key create h1 --type hmac-sha256
	mac=$(sc key hmac h1 --in "$BATS_TEST_TMPDIR/msg")
	printf '%s\n' "$SC_PW" | "$SC_BIN" unlock --password-fd 0 >/dev/null
	unset SECRETCTL_PASSWORD
	run -0 --separate-stderr sc key decrypt --allow-compromised --in "$BATS_TEST_TMPDIR/ct1"
	[ "$output" = "hello keys" ]
	[[ "$stderr" == *"version 2 of key 'k1' is COMPROMISED"* ]]
	run -0 env SECRETCTL_PASSWORD="$SC_PW" "$SC_BIN" audit list --json --op key.decrypt.compromised
	[ "$(jq -r '.[0].source' <<<"$output")" = agent ]
	# the MCP origin: the flag alone is refused, even for a version that is
	# not compromised (the same request without it is answered)
	msghex=$(od -An -tx1 <"$BATS_TEST_TMPDIR/msg" | tr -d ' \n')
	machex=$(printf '%s' "$mac" | od -An -tx1 | tr -d ' \n')
	run -0 raw "{\"v\":1,\"op\":\"key\",\"kop\":\"hmac-verify\",\"name\":\"h1\",\"origin\":1,\"aux_len\":${#mac}}" "$msghex$machex"
	[[ "$output" == *'"ok":true'* ]]
	run -0 raw "{\"v\":1,\"op\":\"key\",\"kop\":\"hmac-verify\",\"name\":\"h1\",\"origin\":1,\"aux_len\":${#mac},\"allow_compromised\":true}" "$msghex$machex"
	[[ "$output" == *'"ok":false'*"never uses a compromised key version"* ]]
	ct=$(cat "$BATS_TEST_TMPDIR/ct1")
	cthex=$(printf '%s' "$ct" | od -An -tx1 | tr -d ' \n')
	run -0 raw '{"v":1,"op":"key","kop":"decrypt","name":"k1","origin":1,"allow_compromised":true}' "$cthex"
	[[ "$output" == *'"ok":false'* ]]
	[[ "$output" != *"hello"* ]]
}
