#!/usr/bin/env bats
# agent_keys.bats - named keys used inside the unlock agent: each operation
# through the agent gives what the vault path gives and interoperates with
# it (ciphertexts cross, signatures verify with openssl), batches, the
# audit entries the agent writes, a locked agent's refusal, and bad key
# requests on the socket refused.

bats_require_minimum_version 1.5.0

setup() {
	load helpers
	sc_setup
	sc_init
	RT=$(mktemp -d /tmp/sc-akeys-XXXXXX)
	export XDG_RUNTIME_DIR="$RT"
	unset SECRETCTL_NO_AGENT
	printf 'hello agent keys\n' >"$BATS_TEST_TMPDIR/msg"
}

teardown() {
	"$SC_BIN" lock >/dev/null 2>&1 || true
	[ -n "${FG_PID:-}" ] && kill "$FG_PID" 2>/dev/null || true
	[ -n "${FG_PID:-}" ] && wait "$FG_PID" 2>/dev/null || true
	rm -rf "$RT"
}

# unlock the agent, then forget the password: what works after this works
# only through the agent
agent_on() {
	printf '%s\n' "$SC_PW" | "$SC_BIN" unlock --password-fd 0 >/dev/null
	unset SECRETCTL_PASSWORD
}

# the vault path, without the agent
vault() {
	SECRETCTL_NO_AGENT=1 SECRETCTL_PASSWORD=$SC_PW "$SC_BIN" "$@"
}

# the sources of the audit entries with op OP, one a line
audit_sources() {
	vault audit export 2>/dev/null | jq -r --arg op "$1" '.[] | select(.op == $op) | .source'
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
if len(hdr) < 4:
    print("closed")
    sys.exit(0)
n = struct.unpack(">I", hdr)[0]
b = b""
while len(b) < n:
    b += s.recv(n - len(b))
print(b.decode())
EOF
}

@test "encrypt and decrypt through the agent cross with the vault path, context bound" {
	vault key create k1 --type aes256-gcm
	agent_on
	run -0 sc key encrypt k1 --context app=web --in "$BATS_TEST_TMPDIR/msg"
	[[ "$output" == sc:v1:k1:1:* ]]
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/ct.agent"
	# the vault path decrypts what the agent made, and the other way round
	run -0 vault key decrypt --context app=web --in "$BATS_TEST_TMPDIR/ct.agent"
	[ "$output" = "hello agent keys" ]
	vault key encrypt k1 --context app=web --in "$BATS_TEST_TMPDIR/msg" >"$BATS_TEST_TMPDIR/ct.vault"
	run -0 sc key decrypt --context app=web --in "$BATS_TEST_TMPDIR/ct.vault"
	[ "$output" = "hello agent keys" ]
	# a wrong context is the same refusal (exit 6) on both paths
	run -6 sc key decrypt --context app=db --in "$BATS_TEST_TMPDIR/ct.vault"
	[[ "$output" != *"hello"* ]]
	run -6 vault key decrypt --context app=db --in "$BATS_TEST_TMPDIR/ct.agent"
	# the agent wrote the entries, as the agent
	[ "$(audit_sources key.encrypt | sort -u | paste -sd,)" = "agent,cli" ]
	[ "$(audit_sources key.decrypt | grep -c agent)" -eq 2 ]
}

@test "chacha20-poly1305, datakey and hmac through the agent match the vault path" {
	vault key create c1 --type chacha20-poly1305
	vault key create h1 --type hmac-sha256
	agent_on
	sc key encrypt c1 --in "$BATS_TEST_TMPDIR/msg" >"$BATS_TEST_TMPDIR/ct"
	run -0 vault key decrypt --in "$BATS_TEST_TMPDIR/ct"
	[ "$output" = "hello agent keys" ]
	run -0 sc key datakey c1 --context purpose=disk
	[ "${#lines[@]}" -eq 2 ]
	printf '%s\n' "${lines[0]}" >"$BATS_TEST_TMPDIR/w"
	plain=$(vault key decrypt --context purpose=disk --in "$BATS_TEST_TMPDIR/w" | base64 -w0)
	[ "$plain" = "${lines[1]}" ]
	run -0 sc key datakey c1 --wrapped-only
	[ "${#lines[@]}" -eq 1 ]
	# HMAC is deterministic: both paths give the same MAC
	run -0 sc key hmac h1 --in "$BATS_TEST_TMPDIR/msg"
	mac=$output
	[ "$(vault key hmac h1 --in "$BATS_TEST_TMPDIR/msg")" = "$mac" ]
	run -0 sc key hmac h1 --in "$BATS_TEST_TMPDIR/msg" --verify "$mac"
	printf 'other\n' >"$BATS_TEST_TMPDIR/m2"
	run -1 sc key hmac h1 --in "$BATS_TEST_TMPDIR/m2" --verify "$mac"
	[ "$(audit_sources key.datakey | grep -c agent)" -eq 2 ]
	[ "$(audit_sources key.hmac-verify | grep -c agent)" -eq 2 ]
}

@test "signatures made in the agent verify with openssl and the vault path" {
	for t in ed25519 ecdsa-p256 secp256k1; do
		vault key create "s-$t" --type "$t"
		vault key pubkey "s-$t" --format pem >"$BATS_TEST_TMPDIR/$t.vault.pem"
	done
	agent_on
	for t in ed25519 ecdsa-p256 secp256k1; do
		sc key pubkey "s-$t" --format pem >"$BATS_TEST_TMPDIR/$t.pem"
		cmp "$BATS_TEST_TMPDIR/$t.pem" "$BATS_TEST_TMPDIR/$t.vault.pem"
		run -0 sc sign "s-$t" --in "$BATS_TEST_TMPDIR/msg" --out "$BATS_TEST_TMPDIR/$t.sig"
		if [ "$t" = ed25519 ]; then
			run -0 openssl pkeyutl -verify -pubin -inkey "$BATS_TEST_TMPDIR/$t.pem" -rawin \
				-in "$BATS_TEST_TMPDIR/msg" -sigfile "$BATS_TEST_TMPDIR/$t.sig"
		else
			run -0 openssl dgst -sha256 -verify "$BATS_TEST_TMPDIR/$t.pem" \
				-signature "$BATS_TEST_TMPDIR/$t.sig" "$BATS_TEST_TMPDIR/msg"
		fi
		run -0 vault verify "s-$t" --in "$BATS_TEST_TMPDIR/msg" --signature "$BATS_TEST_TMPDIR/$t.sig"
		run -0 sc verify "s-$t" --in "$BATS_TEST_TMPDIR/msg" --signature "$BATS_TEST_TMPDIR/$t.sig"
		printf 'changed\n' >"$BATS_TEST_TMPDIR/m2"
		run -1 sc verify "s-$t" --in "$BATS_TEST_TMPDIR/m2" --signature "$BATS_TEST_TMPDIR/$t.sig"
	done
	# BIP-340 through the agent, checked by the vault path
	sc sign s-secp256k1 --scheme bip340 --in "$BATS_TEST_TMPDIR/msg" >"$BATS_TEST_TMPDIR/b.sig"
	run -0 vault verify s-secp256k1 --scheme bip340 --in "$BATS_TEST_TMPDIR/msg" \
		--signature "$BATS_TEST_TMPDIR/b.sig"
	[ "$(audit_sources key.sign | grep -c agent)" -eq 4 ]
}

@test "the agent keeps the lifecycle: a suspended key is refused there with exit 9" {
	vault key create k1 --type aes256-gcm
	vault key suspend k1
	agent_on
	run -9 sc key encrypt k1 --in "$BATS_TEST_TMPDIR/msg"
	[[ "$output" == *"suspended"*"key resume"* ]]
	run -3 sc key encrypt nosuch --in "$BATS_TEST_TMPDIR/msg"
}

@test "a batch through the agent: one line each way, decryptable by the vault path" {
	vault key create k1 --type aes256-gcm
	agent_on
	seq 1 2000 | sed 's/^/item-/' >"$BATS_TEST_TMPDIR/lines"
	run -0 sc key encrypt k1 --batch --context b=1 --in "$BATS_TEST_TMPDIR/lines" \
		--out "$BATS_TEST_TMPDIR/cts"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/cts")" -eq 2000 ]
	[ "$(grep -c '^sc:v1:k1:1:' "$BATS_TEST_TMPDIR/cts")" -eq 2000 ]
	# every ciphertext is its own (fresh nonces)
	[ "$(sort -u "$BATS_TEST_TMPDIR/cts" | wc -l)" -eq 2000 ]
	run -0 vault key decrypt k1 --batch --context b=1 --in "$BATS_TEST_TMPDIR/cts" \
		--out "$BATS_TEST_TMPDIR/back"
	cmp "$BATS_TEST_TMPDIR/lines" "$BATS_TEST_TMPDIR/back"
	run -0 sc key decrypt k1 --batch --context b=1 --in "$BATS_TEST_TMPDIR/cts"
	[ "$output" = "$(cat "$BATS_TEST_TMPDIR/lines")" ]
	# one bad item fails the whole batch and gives nothing
	sed '7s/.$/A/;7s/.$/B/' "$BATS_TEST_TMPDIR/cts" | sed '7s/$/x/' >"$BATS_TEST_TMPDIR/bad"
	run -6 sc key decrypt k1 --batch --context b=1 --in "$BATS_TEST_TMPDIR/bad"
	[[ "$output" != *"item-1"* ]]
	# a batch is one audit entry
	[ "$(audit_sources key.encrypt | grep -c agent)" -eq 1 ]
}

@test "with the agent locked, nothing is done without the password" {
	vault key create k1 --type aes256-gcm
	vault key create s1 --type ed25519
	agent_on
	run -0 sc key encrypt k1 --in "$BATS_TEST_TMPDIR/msg"
	run -0 sc lock
	run sc key encrypt k1 --in "$BATS_TEST_TMPDIR/msg" </dev/null
	[ "$status" -ne 0 ]
	[[ "$output" != *"sc:v1:"* ]]
	run sc sign s1 --in "$BATS_TEST_TMPDIR/msg" </dev/null
	[ "$status" -ne 0 ]
	# a running agent that is locked refuses the operation itself
	"$SC_BIN" agent 2>"$BATS_TEST_TMPDIR/agent.log" &
	FG_PID=$!
	for _ in $(seq 100); do ls "$RT"/secretctl/*.sock >/dev/null 2>&1 && break; sleep 0.05; done
	run -0 raw '{"v":1,"op":"key","kop":"encrypt","name":"k1"}' 6869
	[[ "$output" == *'"ok":false'*"locked"* ]]
}

@test "bad key requests on the socket are refused" {
	vault key create k1 --type aes256-gcm
	agent_on
	# the well-formed request is answered (so the refusals below mean something)
	run -0 raw '{"v":1,"op":"key","kop":"encrypt","name":"k1"}' 6869
	[[ "$output" == *'"ok":true'* ]]
	run -0 raw '{"v":1,"op":"key","kop":"export","name":"k1"}'
	[[ "$output" == *'"ok":false'* ]]
	run -0 raw '{"v":1,"op":"key","kop":"encrypt","name":"../k1"}' 6869
	[[ "$output" == *'"ok":false'* ]]
	run -0 raw '{"v":1,"op":"key","kop":"encrypt","name":"k1","stray":1}' 6869
	[[ "$output" == *'"ok":false'* ]]
	# the canonical encoding of b=x, a=y is answered; the same pairs out of
	# order, or cut short, are not
	run -0 raw '{"v":1,"op":"key","kop":"encrypt","name":"k1","ctx":"000200016100000001790001620000000178"}' 6869
	[[ "$output" == *'"ok":true'* ]]
	run -0 raw '{"v":1,"op":"key","kop":"encrypt","name":"k1","ctx":"000200016200000001780001610000000179"}' 6869
	[[ "$output" == *'"ok":false'* ]]
	run -0 raw '{"v":1,"op":"key","kop":"encrypt","name":"k1","ctx":"0002000162000000017800016100000001"}' 6869
	[[ "$output" == *'"ok":false'* ]]
	run -0 raw '{"v":1,"op":"key","kop":"encrypt","name":"k1","ctx":"zz"}' 6869
	[[ "$output" == *'"ok":false'* ]]
	# a batch whose items do not fill the attachment exactly
	run -0 raw '{"v":1,"op":"key","kop":"encrypt","name":"k1","batch":2}' 000000026869
	[[ "$output" == *'"ok":false'*"malformed key request"* ]]
	# ... or leave bytes over after the last item
	run -0 raw '{"v":1,"op":"key","kop":"encrypt","name":"k1","batch":1}' 00000002686921
	[[ "$output" == *'"ok":false'*"malformed key request"* ]]
	run -0 raw '{"v":1,"op":"key","kop":"encrypt","name":"k1","batch":100001}' 6869
	[[ "$output" == *'"ok":false'* ]]
	run -0 raw '{"v":1,"op":"key","kop":"encrypt","name":"k1","aux_len":9}' 6869
	[[ "$output" == *'"ok":false'* ]]
	# a passphrase goes with a signature only, inside the attachment, and
	# is at most 1024 bytes; the decoder refuses any other before the key
	# is looked at
	run -0 raw '{"v":1,"op":"key","kop":"encrypt","name":"k1","pp_len":1}' 6869
	[[ "$output" == *'"ok":false'*"malformed request ("* ]]
	run -0 raw '{"v":1,"op":"key","kop":"sign","name":"k1","pp_len":3}' 6869
	[[ "$output" == *'"ok":false'*"malformed request ("* ]]
	run -0 raw '{"v":1,"op":"key","kop":"sign","name":"k1","pp_len":1025,"attach":1026}'
	[[ "$output" == *'"ok":false'*"malformed request ("* ]]
	# a datakey takes no input; sign takes no batch
	run -0 raw '{"v":1,"op":"key","kop":"datakey","name":"k1"}' 6869
	[[ "$output" == *'"ok":false'* ]]
	run -0 raw '{"v":1,"op":"key","kop":"sign","name":"k1","batch":1}' 000000026869
	[[ "$output" == *'"ok":false'* ]]
	# the MCP server never gets a plaintext out of the agent
	ct=$(sc key encrypt k1 --in "$BATS_TEST_TMPDIR/msg")
	hex=$(printf '%s' "$ct" | od -An -tx1 | tr -d ' \n')
	run -0 raw '{"v":1,"op":"key","kop":"decrypt","name":"k1"}' "$hex"
	[[ "$output" == *'"ok":true'* ]]
	run -0 raw '{"v":1,"op":"key","kop":"decrypt","name":"k1","origin":1}' "$hex"
	[[ "$output" == *'"ok":false'*"no plaintext"* ]]
	run -0 raw '{"v":1,"op":"key","kop":"datakey","name":"k1","origin":1}'
	[[ "$output" == *'"ok":false'*"no plaintext"* ]]
	run -0 raw '{"v":1,"op":"key","kop":"datakey","name":"k1","origin":1,"wrapped_only":true}'
	[[ "$output" == *'"ok":true'* ]]
	# and the agent is still up and answering
	run -0 sc key encrypt k1 --in "$BATS_TEST_TMPDIR/msg"
}

@test "a passphrase key through an unlocked agent: signed there with the passphrase, never kept" {
	local pp='an agent passphrase 7'
	vault key create cold --type ed25519 --passphrase-fd 3 --kdf-memory 8M --kdf-time 1 3<<<"$pp" 2>/dev/null
	agent_on
	# no password here and no passphrase: nothing is signed
	run -4 --separate-stderr setsid -w "$SC_BIN" sign cold --in "$BATS_TEST_TMPDIR/msg" </dev/null
	[[ "$stderr" == *"key 'cold' needs its passphrase: use --passphrase-fd N or a terminal"* ]]
	# the passphrase alone, no vault password: the agent signs, once
	run -0 env -u SECRETCTL_PASSWORD "$SC_BIN" sign cold --in "$BATS_TEST_TMPDIR/msg" \
		--out "$BATS_TEST_TMPDIR/sig" --passphrase-fd 3 3<<<"$pp"
	"$SC_BIN" key pubkey cold >"$BATS_TEST_TMPDIR/cold.pem"
	run -0 openssl pkeyutl -verify -pubin -inkey "$BATS_TEST_TMPDIR/cold.pem" -rawin \
		-in "$BATS_TEST_TMPDIR/msg" -sigfile "$BATS_TEST_TMPDIR/sig"
	# it kept nothing: the next signature without the passphrase is refused
	run -4 setsid -w "$SC_BIN" sign cold --in "$BATS_TEST_TMPDIR/msg" </dev/null
	# a wrong one is refused there and is final: even with the vault
	# password at hand the CLI does not try the vault itself
	SECRETCTL_PASSWORD=$SC_PW run -4 --separate-stderr "$SC_BIN" sign cold \
		--in "$BATS_TEST_TMPDIR/msg" --passphrase-fd 3 3<<<'not the passphrase'
	[[ "$stderr" == *"wrong passphrase for key 'cold'"* ]]
	# --passphrase-fd for a key without one is a mistake there too
	vault key create warm --type ed25519 2>/dev/null
	run -2 --separate-stderr "$SC_BIN" sign warm --in "$BATS_TEST_TMPDIR/msg" --passphrase-fd 3 3<<<"$pp"
	[[ "$stderr" == *"key 'warm' has no passphrase"* ]]
	# every entry is the agent's: refusals, the one good signature, the
	# wrong passphrase; none from the CLI's own vault path
	run -0 vault audit list --op key.sign
	[ "$(grep -c ' agent .* ok ' <<<"$output")" -eq 1 ]
	[ "$(grep -c ' agent .*error:auth' <<<"$output")" -eq 3 ]
	[ "$(grep -c ' cli ' <<<"$output")" -eq 0 ]
}
