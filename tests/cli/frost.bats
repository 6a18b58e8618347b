#!/usr/bin/env bats
# frost.bats - `secretctl frost` end to end: a 2-of-3 DKG across three local
# vaults and a coordinator's, signing with every pair (OpenSSL verifies),
# a participant over a real sshd on 127.0.0.1, participants that send
# garbage, a wrong share, a bad round-1 signature or hang, too few
# signers, malformed frames against `frost participate`, and where the
# keys end up (each vault a share, the coordinator none).

bats_require_minimum_version 1.5.0

load helpers
load skip

PEER=$BATS_TEST_DIRNAME/frost_peer.py

setup() {
	sc_setup
	unset SECRETCTL_PASSWORD
	T=$BATS_TEST_TMPDIR
	for v in a b c coord; do
		printf 'pw-%s-frost-bats\n' "$v" >"$T/pw.$v"
		"$SC_BIN" --vault "$T/$v" init --password-fd 0 "${SC_KDF[@]}" <"$T/pw.$v" 2>/dev/null
	done
	# each participant is reached through a script the tests may rewrite
	for v in a b c; do
		part_local "$v"
	done
}

# The participant command for vault $1, run as it is (its password on fd 3),
# waiting $2 seconds (default 20) for each message.
part_cmd() {
	printf '%s --vault %s --password-fd 3 frost participate --timeout %s 3<%s' \
		"$SC_BIN" "$T/$1" "${2:-20}" "$T/pw.$1"
}

part_local() {
	printf '%s\n' "$(part_cmd "$1")" >"$T/run-$1"
}

coord() {
	"$SC_BIN" --vault "$T/coord" frost "$@"
}

keygen() {
	coord keygen g1 --threshold 2 --participant a="sh $T/run-a" \
		--participant b="sh $T/run-b" --participant c="sh $T/run-c" "$@"
}

# Sign $T/msg with signers $1 into $T/sig.$1 and check it with OpenSSL.
sign_and_verify() {
	run coord sign g1 --in "$T/msg" --signers "$1" --out "$T/sig.$1"
	[ "$status" -eq 0 ]
	[ "$(stat -c %s "$T/sig.$1")" -eq 64 ]
	openssl pkeyutl -verify -pubin -inkey "$T/pub.pem" -rawin -in "$T/msg" \
		-sigfile "$T/sig.$1"
}

@test "keygen 2-of-3 across three vaults: each pair signs, OpenSSL verifies" {
	run --separate-stderr keygen
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^[0-9a-f]{64}$ ]]
	[ "${#lines[@]}" -eq 1 ]
	gk=${lines[0]}
	[ "$(coord pubkey g1 --format hex)" = "$gk" ]
	coord pubkey g1 >"$T/pub.pem"
	grep -q 'BEGIN PUBLIC KEY' "$T/pub.pem"
	[ "$(coord list)" = "$(printf 'g1\t2-of-3\ta,b,c')" ]
	printf 'release v1.2.3 tarball digest\n' >"$T/msg"
	for pair in a,b a,c b,c c,a; do
		sign_and_verify "$pair"
	done
	# all three sign too; a signature does not verify another message
	sign_and_verify a,b,c
	printf 'another message\n' >"$T/other"
	run openssl pkeyutl -verify -pubin -inkey "$T/pub.pem" -rawin -in "$T/other" \
		-sigfile "$T/sig.a,b"
	[ "$status" -ne 0 ]
	# base64 on stdout without --out: the same key verifies it
	run --separate-stderr coord sign g1 --signers b,c <"$T/msg"
	[ "$status" -eq 0 ]
	printf '%s' "${lines[0]}" | base64 -d >"$T/sig.b64"
	openssl pkeyutl -verify -pubin -inkey "$T/pub.pem" -rawin -in "$T/msg" \
		-sigfile "$T/sig.b64"
}

@test "each vault holds only its share, the coordinator no key at all" {
	keygen >/dev/null 2>&1
	for v in a b c; do
		run "$SC_BIN" --vault "$T/$v" --password-fd 3 key list 3<"$T/pw.$v"
		[ "$status" -eq 0 ]
		[ "${#lines[@]}" -eq 2 ]
		[[ "$output" =~ frost.g1.*frost-ed25519 ]]
		[[ "$output" =~ frost-identity.*ed25519 ]]
		# the share never leaves its vault, and signs nothing alone
		run "$SC_BIN" --vault "$T/$v" --password-fd 3 key export frost.g1 3<"$T/pw.$v"
		[ "$status" -eq 9 ]
		echo x >"$T/m1"
		run "$SC_BIN" --vault "$T/$v" --password-fd 3 sign frost.g1 --in "$T/m1" 3<"$T/pw.$v"
		[ "$status" -ne 0 ]
		[[ "$output" == *"signs only with its group"* ]]
	done
	run "$SC_BIN" --vault "$T/coord" --password-fd 3 key list 3<"$T/pw.coord"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# the coordinator's record is public: the group key and verifying
	# shares, and no 32-byte secret scalar could hide in its size
	size=$(stat -c %s "$T/coord/frost/g1.group")
	[ "$size" -lt 1024 ]
	# a second keygen of the same group is refused, no share is made
	run keygen
	[ "$status" -eq 7 ]
}

@test "one participant over a real sshd on 127.0.0.1" {
	command -v /usr/sbin/sshd >/dev/null || sc_skip "no sshd (scripts/deps.sh installs openssh-server)"
	S=$T/ssh
	mkdir -p "$S"
	chmod 700 "$S"
	ssh-keygen -q -t ed25519 -N '' -f "$S/host" >/dev/null
	ssh-keygen -q -t ed25519 -N '' -f "$S/user" >/dev/null
	cp "$S/user.pub" "$S/authorized_keys"
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	cat >"$S/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $port
HostKey $S/host
AuthorizedKeysFile $S/authorized_keys
PidFile $S/sshd.pid
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AcceptEnv NONE
EOF
	/usr/sbin/sshd -D -e -f "$S/sshd_config" 2>"$S/sshd.log" &
	sshd_pid=$!
	for _ in $(seq 50); do
		if ssh -p "$port" -i "$S/user" -o BatchMode=yes -o StrictHostKeyChecking=no \
			-o UserKnownHostsFile="$S/known" 127.0.0.1 true 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	printf 'ssh -p %s -i %s -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=%s 127.0.0.1 %q\n' \
		"$port" "$S/user" "$S/known" "$(part_cmd c)" >"$T/run-c"
	run keygen
	status_kg=$status
	printf 'signed through ssh\n' >"$T/msg"
	coord pubkey g1 >"$T/pub.pem" || true
	run coord sign g1 --in "$T/msg" --signers a,c --out "$T/sig.ssh"
	status_sign=$status
	kill "$sshd_pid"
	wait "$sshd_pid" || true
	[ "$status_kg" -eq 0 ]
	[ "$status_sign" -eq 0 ]
	openssl pkeyutl -verify -pubin -inkey "$T/pub.pem" -rawin -in "$T/msg" \
		-sigfile "$T/sig.ssh"
	# the share is in vault c, reached only through ssh
	run "$SC_BIN" --vault "$T/c" --password-fd 3 key list 3<"$T/pw.c"
	[[ "$output" =~ frost.g1 ]]
}

@test "fewer signers than the threshold, an unknown or repeated signer" {
	keygen >/dev/null 2>&1
	echo m >"$T/msg"
	run coord sign g1 --in "$T/msg" --signers a
	[ "$status" -eq 2 ]
	[[ "$output" == *"1 signers, but group 'g1' needs 2"* ]]
	run coord sign g1 --in "$T/msg" --signers a,zed
	[ "$status" -eq 3 ]
	[[ "$output" == *"no participant 'zed'"* ]]
	run coord sign g1 --in "$T/msg" --signers a,a
	[ "$status" -eq 2 ]
	run coord sign nosuch --in "$T/msg" --signers a,b
	[ "$status" -eq 3 ]
}

@test "a participant that sends garbage is named, exit 15" {
	keygen >/dev/null 2>&1
	echo m >"$T/msg"
	printf 'printf "this is not a frame at all"\n' >"$T/run-b"
	run coord sign g1 --in "$T/msg" --signers a,b
	[ "$status" -eq 15 ]
	[[ "$output" == *"participant 'b'"* ]]
	printf 'head -c 4096 /dev/urandom\n' >"$T/run-b"
	run coord sign g1 --in "$T/msg" --signers a,b
	[ "$status" -eq 15 ]
	[[ "$output" == *"participant 'b'"* ]]
	# at key generation too: nothing is saved
	printf 'printf garbage\n' >"$T/run-c"
	run coord keygen g2 --threshold 2 --participant a="sh $T/run-a" \
		--participant c="sh $T/run-c"
	[ "$status" -eq 15 ]
	[[ "$output" == *"participant 'c'"* ]]
	[ ! -e "$T/coord/frost/g2.group" ]
}

@test "a wrong signature share is named, and no signature is written" {
	keygen >/dev/null 2>&1
	echo m >"$T/msg"
	# flip a bit of b's z (byte 5 of the share: after type, version, suite, id)
	printf 'python3 %s proxy 23 5 %q\n' "$PEER" "$(part_cmd b)" >"$T/run-b"
	run coord sign g1 --in "$T/msg" --signers a,b --out "$T/sig.bad"
	[ "$status" -eq 15 ]
	[[ "$output" == *"participant 'b': its signature share does not verify"* ]]
	[ ! -e "$T/sig.bad" ]
	# a, honest, is not blamed when the pair is given the other way round
	run coord sign g1 --in "$T/msg" --signers b,a
	[ "$status" -eq 15 ]
	[[ "$output" == *"participant 'b'"* ]]
	[[ "$output" != *"participant 'a'"* ]]
}

@test "a round-1 package with a bad identity signature is refused and named" {
	# flip the last byte of c's round-1 frame: its identity signature
	printf 'python3 %s proxy 11 -1 %q\n' "$PEER" "$(part_cmd c)" >"$T/run-c"
	run keygen
	[ "$status" -eq 15 ]
	[[ "$output" == *"participant 'c': a round-1 package whose identity signature does not verify"* ]]
	[ ! -e "$T/coord/frost/g1.group" ]
	# and one whose package itself was changed after it was signed
	printf 'python3 %s proxy 11 70 %q\n' "$PEER" "$(part_cmd c)" >"$T/run-c"
	run keygen
	[ "$status" -eq 15 ]
	[[ "$output" == *"participant 'c'"* ]]
}

@test "a relay that lies about the echo: the participant refuses, nothing is saved" {
	# flip a bit of the first echo signature the coordinator passes on to c
	printf 'python3 %s proxy-down 14 0 %q\n' "$PEER" "$(part_cmd c)" >"$T/run-c"
	run keygen
	[ "$status" -eq 15 ]
	[[ "$output" == *"participant 1 saw another round-1 set"* ]]
	[[ "$output" == *"participant 'c'"* ]]
	[ ! -e "$T/coord/frost/g1.group" ]
	run "$SC_BIN" --vault "$T/c" --password-fd 3 key list 3<"$T/pw.c"
	[[ "$output" != *frost.g1* ]]
}

@test "a suspended or compromised share does not sign" {
	keygen >/dev/null 2>&1
	echo m >"$T/msg"
	"$SC_BIN" --vault "$T/b" --password-fd 3 key suspend frost.g1 3<"$T/pw.b" 2>/dev/null
	run coord sign g1 --in "$T/msg" --signers a,b
	[ "$status" -eq 15 ]
	[[ "$output" == *"participant 'b': it refused: no usable share"* ]]
	"$SC_BIN" --vault "$T/b" --password-fd 3 key resume frost.g1 3<"$T/pw.b" 2>/dev/null
	run coord sign g1 --in "$T/msg" --signers a,b
	[ "$status" -eq 0 ]
	"$SC_BIN" --vault "$T/b" --password-fd 3 key compromise frost.g1 3<"$T/pw.b" 2>/dev/null
	run coord sign g1 --in "$T/msg" --signers a,b
	[ "$status" -eq 15 ]
	# the other pair still signs
	run coord sign g1 --in "$T/msg" --signers a,c
	[ "$status" -eq 0 ]
}

@test "a participant that hangs is named after --timeout, exit 15" {
	keygen >/dev/null 2>&1
	echo m >"$T/msg"
	printf 'exec sleep 60\n' >"$T/run-c"
	start=$(date +%s)
	run coord sign g1 --in "$T/msg" --signers a,c --timeout 1
	end=$(date +%s)
	[ "$status" -eq 15 ]
	[[ "$output" == *"participant 'c': no answer within 1 s"* ]]
	[ $((end - start)) -lt 10 ]
}

@test "frost participate refuses malformed frames and a replayed commitment" {
	keygen >/dev/null 2>&1
	gk=$(coord pubkey g1 --format hex)
	for c in oversized truncated stall wrongtype replay stale; do
		start=$(date +%s)
		run python3 "$PEER" attack "$c" g1 "$gk" 1 "$(part_cmd a 2)" 2 "$(part_cmd b 2)"
		end=$(date +%s)
		echo "$c: $output"
		[ "$status" -eq 0 ]
		[ $((end - start)) -lt 10 ]
	done
	# another group key or identifier than the share's is refused
	run python3 "$PEER" attack replay g1 "$(printf '%064d' 0 | sed 's/0/1/')" 1 \
		"$(part_cmd a)" 2 "$(part_cmd b)"
	[ "$status" -ne 0 ]
}

@test "keygen and sign usage errors" {
	run coord keygen g1 --threshold 2 --participant a="sh $T/run-a"
	[ "$status" -eq 2 ]
	run coord keygen g1 --threshold 4 --participant a=x --participant b=y
	[ "$status" -eq 2 ]
	run coord keygen g1 --threshold 2 --participant a=x --participant a=y
	[ "$status" -eq 2 ]
	run coord keygen g1 --threshold 2 --participant 'bad name=x' --participant b=y
	[ "$status" -eq 2 ]
	run coord keygen 'bad/group' --threshold 2 --participant a=x --participant b=y
	[ "$status" -eq 2 ]
	run coord sign g1 --in /dev/null
	[ "$status" -eq 2 ]
	run coord pubkey g1 --format ssh
	[ "$status" -eq 2 ]
}
