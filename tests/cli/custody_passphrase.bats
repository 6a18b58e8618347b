#!/usr/bin/env bats
# Custody keys with a passphrase (issue 14): `key create --passphrase`
# seals a signing key's private part again under Argon2id(passphrase),
# never stored; every signature and rotation asks for it (a wrong or
# missing one is exit 4 and audited), public keys and verification do not;
# such a key never leaves the vault. Prompts on a real pty (pty_drive.py).

bats_require_minimum_version 1.5.0
load helpers

PP='the custody passphrase 42'

setup() {
	sc_setup
	export SECRETCTL_NO_AGENT=1
	sc_init
	printf 'a message to sign\n' >"$BATS_TEST_TMPDIR/msg"
}

# create key $1 of type $2 under $PP (small KDF)
mk() {
	sc key create "$1" --type "$2" --passphrase-fd 3 --kdf-memory 8M --kdf-time 1 3<<<"$PP"
}

# sign msg with key $1 and passphrase $2 (fd 3), the signature's bytes in sig
sign_with() {
	sc sign "$1" --in "$BATS_TEST_TMPDIR/msg" --out "$BATS_TEST_TMPDIR/sig" \
		--passphrase-fd 3 3<<<"$2"
}

# the same without any passphrase and without a terminal
sign_without() {
	setsid -w "$SC_BIN" sign "$1" --in "$BATS_TEST_TMPDIR/msg" --out "$BATS_TEST_TMPDIR/sig" </dev/null
}

@test "ed25519 and P-256 under a passphrase: each signature needs it; OpenSSL verifies" {
	local d=$BATS_TEST_TMPDIR k
	run -0 --separate-stderr mk ed ed25519
	[[ "$stderr" == *"created key 'ed' (ed25519, version 1, under a passphrase)"* ]]
	run -0 mk ec ecdsa-p256
	for k in ed ec; do
		rm -f "$d/sig"
		run -4 --separate-stderr sign_without "$k"
		[[ "$stderr" == *"key '$k' needs its passphrase: use --passphrase-fd N or a terminal"* ]]
		[ ! -e "$d/sig" ]
		run -4 --separate-stderr sign_with "$k" 'not the passphrase'
		[[ "$stderr" == *"wrong passphrase for key '$k'"* ]]
		[ ! -e "$d/sig" ]
		run -0 sign_with "$k" "$PP"
		sc key pubkey "$k" >"$d/$k.pem"
		if [ "$k" = ed ]; then
			run -0 openssl pkeyutl -verify -pubin -inkey "$d/$k.pem" -rawin -in "$d/msg" -sigfile "$d/sig"
		else
			run -0 openssl dgst -sha256 -verify "$d/$k.pem" -signature "$d/sig" "$d/msg"
		fi
		[[ "$output" == *"Verified"* ]]
		# and a second signature asks again: nothing was kept
		run -4 sign_without "$k"
	done
}

@test "secp256k1 under a passphrase: BIP-340 and ECDSA, checked by verify without it" {
	run -0 mk btc secp256k1
	run -0 sign_with btc "$PP"
	run -0 sc verify btc --in "$BATS_TEST_TMPDIR/msg" --signature "$BATS_TEST_TMPDIR/sig"
	run -0 sc sign btc --scheme bip340 --in "$BATS_TEST_TMPDIR/msg" --out "$BATS_TEST_TMPDIR/sig" --passphrase-fd 3 3<<<"$PP"
	run -0 sc verify btc --scheme bip340 --in "$BATS_TEST_TMPDIR/msg" --signature "$BATS_TEST_TMPDIR/sig"
}

@test "wrong and missing passphrases are audited as refusals; the good one as ok" {
	mk ed ed25519
	sc_audit_mark
	run -4 sign_with ed 'wrong one here'
	run -4 sign_without ed
	run -0 sign_with ed "$PP"
	sc_assert_audit_appended
	run -0 sc audit list --op key.sign
	[ "$(grep -c 'error:auth' <<<"$output")" -eq 2 ]
	[ "$(tail -n 1 <<<"$output" | grep -c ' ok ')" -eq 1 ]
	run -0 sc audit verify
}

@test "pubkey and verify need no passphrase" {
	mk ed ed25519
	sign_with ed "$PP"
	run -0 sc key pubkey ed --format ssh
	[[ "$output" == "ssh-ed25519 "* ]]
	run -0 sc verify ed --in "$BATS_TEST_TMPDIR/msg" --signature "$BATS_TEST_TMPDIR/sig"
	printf 'another\n' >"$BATS_TEST_TMPDIR/msg"
	run -1 sc verify ed --in "$BATS_TEST_TMPDIR/msg" --signature "$BATS_TEST_TMPDIR/sig"
}

@test "rotate needs the same passphrase: a typo makes no version" {
	mk ed ed25519
	run -4 --separate-stderr sc key rotate ed --passphrase-fd 3 3<<<'a typo of it'
	[[ "$stderr" == *"wrong passphrase for key 'ed'"* ]]
	run -0 sc --json key show ed
	[ "$(jq -r '.versions | length' <<<"$output")" -eq 1 ]
	run -4 setsid -w "$SC_BIN" key rotate ed </dev/null
	run -0 sc key rotate ed --passphrase-fd 3 3<<<"$PP"
	run -0 sc --json key show ed
	[ "$(jq -r '.versions | length' <<<"$output")" -eq 2 ]
	# the new version signs under the same passphrase
	run -0 sign_with ed "$PP"
	run -0 sc verify ed --in "$BATS_TEST_TMPDIR/msg" --signature "$BATS_TEST_TMPDIR/sig"
}

@test "such a key never leaves: export refused, never exportable, not in a token" {
	mk ed ed25519
	run -9 --separate-stderr sc key export ed
	run -2 --separate-stderr sc key create x --type ed25519 --passphrase --exportable
	[[ "$stderr" == *"--passphrase is for a signing key in software, never --exportable"* ]]
	run -2 sc key create x --type aes256-gcm --passphrase
	run -2 sc key create x --type ed25519 --passphrase --in-token 'pkcs11:token=t'
	run -2 --separate-stderr sc key create x --type ed25519 --kdf-memory 8M
	[[ "$stderr" == *"--kdf-memory and --kdf-time go with --passphrase"* ]]
	run -2 --separate-stderr sc key create x --type ed25519 --passphrase-fd 3 3<<<'short'
	[[ "$stderr" == *"at least 8 characters"* ]]
	run -2 sc key create x --type ed25519 --passphrase-fd nope
	# none of the refused creations made a key
	run -0 sc --json key list
	[ "$(jq -r '[.[] | .name] | join(",")' <<<"$output")" = ed ]
	# --passphrase-fd for a key that has none is a mistake, said so
	sc key create plain --type ed25519 2>/dev/null
	run -2 --separate-stderr sc sign plain --in "$BATS_TEST_TMPDIR/msg" --passphrase-fd 3 3<<<"$PP"
	[[ "$stderr" == *"key 'plain' has no passphrase"* ]]
}

@test "the passphrase is nowhere on disk, in the vault or its backup" {
	mk ed ed25519
	sign_with ed "$PP"
	sc backup -o "$BATS_TEST_TMPDIR/v.scb" 2>/dev/null
	sc_assert_no_plaintext "$SC_VAULT" "$PP"
	sc_assert_no_plaintext "$BATS_TEST_TMPDIR" "$PP"
}

@test "on a terminal: create asks twice (a mismatch makes nothing), sign asks each time" {
	local drive=$BATS_TEST_DIRNAME/pty_drive.py
	run -2 python3 "$drive" "Passphrase for key 'tt': " "$PP" \
		"Passphrase for key 'tt' (again): " "something else" -- \
		"$SC_BIN" key create tt --type ed25519 --passphrase --kdf-memory 8M --kdf-time 1
	[[ "$output" == *"the two passphrases differ"* ]]
	run -3 sc key show tt
	run -0 python3 "$drive" "Passphrase for key 'tt': " "$PP" \
		"Passphrase for key 'tt' (again): " "$PP" -- \
		"$SC_BIN" key create tt --type ed25519 --passphrase --kdf-memory 8M --kdf-time 1
	[[ "$output" != *"$PP"* ]]
	run -0 python3 "$drive" "Passphrase for key 'tt': " "$PP" -- \
		"$SC_BIN" sign tt --in "$BATS_TEST_TMPDIR/msg" --out "$BATS_TEST_TMPDIR/sig"
	run -4 python3 "$drive" "Passphrase for key 'tt': " "wrong wrong" -- \
		"$SC_BIN" sign tt --in "$BATS_TEST_TMPDIR/msg" --out "$BATS_TEST_TMPDIR/sig2"
	[[ "$output" == *"wrong passphrase for key 'tt'"* ]]
}
