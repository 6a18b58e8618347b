#!/usr/bin/env bats
# frost_split.bats - `secretctl frost split`, the trusted dealer: an existing
# exportable ed25519 key split 2-of-3 across three vaults, every pair signs
# and the signature verifies under `key pubkey KEY` (OpenSSL and
# libsodium); one signer is too few; a share changed on its way is refused
# and nothing is kept; non-exportable, suspended and other-type keys are
# refused; what becomes of the original (--keep-original,
# --destroy-original); a --fresh split.

bats_require_minimum_version 1.5.0

load helpers

PEER=$BATS_TEST_DIRNAME/frost_peer.py

setup() {
	sc_setup
	unset SECRETCTL_PASSWORD
	T=$BATS_TEST_TMPDIR
	for v in a b c coord; do
		printf 'pw-%s-split-bats\n' "$v" >"$T/pw.$v"
		"$SC_BIN" --vault "$T/$v" init --password-fd 0 "${SC_KDF[@]}" <"$T/pw.$v" 2>/dev/null
	done
	for v in a b c; do
		printf '%s\n' "$(part_cmd "$v")" >"$T/run-$v"
	done
	printf 'release v2.0.0 digest\n' >"$T/msg"
}

part_cmd() {
	printf '%s --vault %s --password-fd 3 frost participate --timeout 20 3<%s' \
		"$SC_BIN" "$T/$1" "$T/pw.$1"
}

# The coordinator (the dealer) with its password on fd 3.
dealer() {
	"$SC_BIN" --vault "$T/coord" --password-fd 3 "$@" 3<"$T/pw.coord"
}

split() {
	dealer frost split g1 --threshold 2 --participant a="sh $T/run-a" \
		--participant b="sh $T/run-b" --participant c="sh $T/run-c" "$@"
}

keylist() {
	"$SC_BIN" --vault "$T/$1" --password-fd 3 key list 3<"$T/pw.$1"
}

# libsodium's crypto_sign_verify_detached(sig, msg, pub), through ctypes.
sodium_verify() {
	python3 - "$1" "$2" "$3" <<'EOF'
import ctypes, sys
na = ctypes.CDLL("libsodium.so.23")
assert na.sodium_init() >= 0
sig, msg, pub = (open(p, "rb").read() for p in sys.argv[1:4])
assert len(sig) == 64 and len(pub) == 32
sys.exit(0 if na.crypto_sign_verify_detached(sig, msg, ctypes.c_ulonglong(len(msg)), pub) == 0 else 1)
EOF
}

@test "split an exportable key 2-of-3: every pair signs, verified under key pubkey" {
	dealer key create orig --type ed25519 --exportable 2>/dev/null
	dealer key pubkey orig >"$T/orig.pem"
	dealer key pubkey orig --format raw >"$T/orig.raw"
	run --separate-stderr split --key orig --keep-original
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$(dealer key pubkey orig --format hex)" ]
	[[ "$stderr" == *"key 'orig' stays in this vault"* ]]
	# each participant's identity, to compare with what its terminal showed
	for v in a b c; do
		id=$("$SC_BIN" --vault "$T/$v" --password-fd 3 key pubkey frost-identity --format hex 3<"$T/pw.$v")
		[[ "$stderr" == *"participant '$v': identity ${id:0:16}"* ]]
	done
	[ "$(dealer frost pubkey g1 --format hex)" = "${lines[0]}" ]
	[ "$("$SC_BIN" --vault "$T/coord" frost list)" = "$(printf 'g1\t2-of-3\ta,b,c')" ]
	for pair in a,b a,c b,c b,a a,b,c; do
		run dealer frost sign g1 --in "$T/msg" --signers "$pair" --out "$T/sig.$pair"
		[ "$status" -eq 0 ]
		openssl pkeyutl -verify -pubin -inkey "$T/orig.pem" -rawin -in "$T/msg" \
			-sigfile "$T/sig.$pair"
		sodium_verify "$T/sig.$pair" "$T/msg" "$T/orig.raw"
	done
	# the check itself fails on another message
	printf 'other\n' >"$T/other"
	run sodium_verify "$T/sig.a,b" "$T/other" "$T/orig.raw"
	[ "$status" -ne 0 ]
	# each vault holds one share (never exportable), the original stays whole
	for v in a b c; do
		run keylist "$v"
		[[ "$output" =~ frost.g1.*frost-ed25519 ]]
		run "$SC_BIN" --vault "$T/$v" --password-fd 3 key export frost.g1 3<"$T/pw.$v"
		[ "$status" -eq 9 ]
	done
	run dealer key list
	[[ "$output" =~ orig.*ed25519.*active ]]
	dealer sign orig --in "$T/msg" >/dev/null
	# a split of the same group again is refused before any participant runs
	printf 'echo ran >%s/ran\n' "$T" >"$T/run-a"
	run split --key orig --keep-original
	[ "$status" -eq 7 ]
	[ ! -e "$T/ran" ]
}

@test "one signer is too few for a split group" {
	run split --fresh
	[ "$status" -eq 0 ]
	gk=${lines[0]}
	for s in a b c; do
		run dealer frost sign g1 --in "$T/msg" --signers "$s"
		[ "$status" -eq 2 ]
		[[ "$output" == *"1 signers, but group 'g1' needs 2"* ]]
	done
	# a fresh key exists nowhere whole: the dealer's keyring is empty
	run dealer key list
	[ -z "$output" ]
	dealer frost pubkey g1 >"$T/pub.pem"
	run dealer frost sign g1 --in "$T/msg" --signers c,a --out "$T/sig"
	[ "$status" -eq 0 ]
	openssl pkeyutl -verify -pubin -inkey "$T/pub.pem" -rawin -in "$T/msg" -sigfile "$T/sig"
}

@test "a share changed on its way is refused, named, and nothing is kept" {
	dealer key create orig --type ed25519 --exportable 2>/dev/null
	# flip a bit of the sealed share the dealer sends to b
	printf 'python3 %s proxy-down 32 40 %q\n' "$PEER" "$(part_cmd b)" >"$T/run-b"
	run split --key orig --destroy-original
	[ "$status" -eq 15 ]
	[[ "$output" == *"participant 'b'"* ]]
	[[ "$output" == *"does not open"* ]]
	[ ! -e "$T/coord/frost/g1.group" ]
	run keylist b
	[[ "$output" != *frost.g1* ]]
	# the failed split destroyed nothing
	run dealer key list
	[[ "$output" =~ orig.*active ]]
	[[ "$output" != *destroy* ]]
}

@test "--destroy-original: the key signs nothing after the split, the group does" {
	dealer key create orig --type ed25519 --exportable 2>/dev/null
	dealer key pubkey orig >"$T/orig.pem"
	run split --key orig --destroy-original
	[ "$status" -eq 0 ]
	[[ "$output" == *"crypto-erased in 7 days"* ]]
	run dealer key show orig
	[[ "$output" == *"DESTRUCTION SCHEDULED"* ]]
	run dealer sign orig --in "$T/msg"
	[ "$status" -ne 0 ]
	run dealer frost sign g1 --in "$T/msg" --signers a,c --out "$T/sig"
	[ "$status" -eq 0 ]
	openssl pkeyutl -verify -pubin -inkey "$T/orig.pem" -rawin -in "$T/msg" -sigfile "$T/sig"
}

@test "keys that cannot be split are refused with the reason, nothing runs" {
	printf 'echo ran >%s/ran\n' "$T" >"$T/run-a"
	dealer key create locked --type ed25519 2>/dev/null
	run split --key locked --keep-original
	[ "$status" -eq 9 ]
	[[ "$output" == *"key 'locked' is not exportable: its private part never leaves this vault"* ]]
	dealer key create p --type ecdsa-p256 --exportable 2>/dev/null
	run split --key p --keep-original
	[ "$status" -eq 2 ]
	[[ "$output" == *"key 'p' is a ecdsa-p256 key: frost split takes an ed25519 key"* ]]
	dealer key create sym --type aes256-gcm --exportable 2>/dev/null
	run split --key sym --keep-original
	[ "$status" -eq 2 ]
	[[ "$output" == *"frost split takes an ed25519 key"* ]]
	dealer key create sus --type ed25519 --exportable 2>/dev/null
	dealer key suspend sus 2>/dev/null
	run split --key sus --keep-original
	[ "$status" -eq 9 ]
	[[ "$output" == *"suspended"* ]]
	run split --key nosuch --keep-original
	[ "$status" -eq 3 ]
	[ ! -e "$T/ran" ]
	[ ! -e "$T/coord/frost/g1.group" ]
}

@test "split usage: what to split and what becomes of the original are explicit" {
	dealer key create orig --type ed25519 --exportable 2>/dev/null
	run split
	[ "$status" -eq 2 ]
	[[ "$output" == *"--key KEY or --fresh"* ]]
	run split --key orig --fresh
	[ "$status" -eq 2 ]
	run split --key orig
	[ "$status" -eq 2 ]
	[[ "$output" == *"--keep-original or --destroy-original"* ]]
	run split --key orig --keep-original --destroy-original
	[ "$status" -eq 2 ]
	run split --fresh --destroy-original
	[ "$status" -eq 2 ]
	run dealer frost split g1 --fresh --threshold 3 --participant a=x --participant b=y
	[ "$status" -eq 2 ]
	run dealer frost split g1 --fresh --threshold 2 --participant a=x
	[ "$status" -eq 2 ]
	[ ! -e "$T/coord/frost/g1.group" ]
}
