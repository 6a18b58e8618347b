#!/usr/bin/env bats
# keys.bats - named keys as a user drives them: create, list, show, rotate,
# encrypt/decrypt with a context, tamper, datakey, hmac, sign/verify checked
# by OpenSSL, the lifecycle's refusals with their exit statuses, export of
# a non-exportable key refused, and every operation in the audit log.

bats_require_minimum_version 1.5.0

setup() {
	load helpers
	sc_setup
	sc_init
	printf 'hello keys\n' >"$BATS_TEST_TMPDIR/msg"
}

@test "create, list and show a key; a second create is exit 7" {
	run sc key create k1 --type aes256-gcm
	[ "$status" -eq 0 ]
	run sc key list
	[ "$status" -eq 0 ]
	[[ "$output" == *"k1"*"aes256-gcm"*"v1"*"active"* ]]
	run sc key show k1
	[ "$status" -eq 0 ]
	[[ "$output" == *"v1"*"active"*"created"* ]]
	run sc key create k1 --type aes256-gcm
	[ "$status" -eq 7 ]
	run sc key create k2
	[ "$status" -eq 2 ]
	run sc key create k2 --type rot13
	[ "$status" -eq 2 ]
	run sc key show nosuch
	[ "$status" -eq 3 ]
}

@test "encrypt and decrypt round trip with a context; wrong context and tamper are exit 6" {
	sc key create k1 --type chacha20-poly1305
	run -0 sc key encrypt k1 --context app=web --context env=prod --in "$BATS_TEST_TMPDIR/msg"
	[[ "$output" == sc:v1:k1:1:* ]]
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/ct"
	# the context's order does not matter: it is canonical
	run -0 sc key decrypt --context env=prod --context app=web --in "$BATS_TEST_TMPDIR/ct"
	[ "$output" = "hello keys" ]
	run sc key decrypt --context app=web --context env=dev --in "$BATS_TEST_TMPDIR/ct"
	[ "$status" -eq 6 ]
	[[ "$output" != *"hello"* ]]
	run sc key decrypt --in "$BATS_TEST_TMPDIR/ct"
	[ "$status" -eq 6 ]
	# flip one payload character
	ct=$(cat "$BATS_TEST_TMPDIR/ct")
	last=${ct: -2:1}
	if [ "$last" = A ]; then new=B; else new=A; fi
	printf '%s%s%s\n' "${ct:0:${#ct}-2}" "$new" "${ct: -1}" >"$BATS_TEST_TMPDIR/bad"
	run sc key decrypt --context app=web --context env=prod --in "$BATS_TEST_TMPDIR/bad"
	[ "$status" -eq 6 ]
	[[ "$output" != *"hello"* ]]
}

@test "rotate: new version encrypts, old ciphertexts still decrypt" {
	sc key create k1 --type aes256-gcm
	sc key encrypt k1 --in "$BATS_TEST_TMPDIR/msg" >"$BATS_TEST_TMPDIR/ct1"
	run -0 sc key rotate k1
	sc key encrypt k1 --in "$BATS_TEST_TMPDIR/msg" >"$BATS_TEST_TMPDIR/ct2"
	grep -q '^sc:v1:k1:2:' "$BATS_TEST_TMPDIR/ct2"
	run -0 sc key decrypt --in "$BATS_TEST_TMPDIR/ct1"
	[ "$output" = "hello keys" ]
	run -0 sc key rewrap k1 --in "$BATS_TEST_TMPDIR/ct1"
	[[ "$output" == sc:v1:k1:2:* ]]
}

@test "suspend refuses with exit 9 and names the way out; resume gives it back" {
	sc key create k1 --type aes256-gcm
	run -0 sc key suspend k1
	run sc key encrypt k1 --in "$BATS_TEST_TMPDIR/msg"
	[ "$status" -eq 9 ]
	[[ "$output" == *"suspended"*"key resume"* ]]
	run -0 sc key resume k1
	run -0 sc key encrypt k1 --in "$BATS_TEST_TMPDIR/msg"
}

@test "deactivate: decrypt only; destroy is scheduled and cancellable" {
	sc key create k1 --type aes256-gcm
	sc key encrypt k1 --in "$BATS_TEST_TMPDIR/msg" >"$BATS_TEST_TMPDIR/ct"
	run -0 sc key deactivate k1
	run sc key encrypt k1 --in "$BATS_TEST_TMPDIR/msg"
	[ "$status" -eq 9 ]
	run -0 sc key decrypt --in "$BATS_TEST_TMPDIR/ct"
	run -0 sc key destroy k1 --days 7
	[[ "$output" == *"crypto-erased on"* ]]
	run sc key decrypt --in "$BATS_TEST_TMPDIR/ct"
	[ "$status" -eq 9 ]
	[[ "$output" == *"scheduled for destruction"* ]]
	run sc key destroy k1 --days 3
	[ "$status" -eq 2 ]
	run -0 sc key cancel-destroy k1
	run -0 sc key decrypt --in "$BATS_TEST_TMPDIR/ct"
	[ "$output" = "hello keys" ]
}

@test "datakey: wrapped and plain; --wrapped-only prints no plaintext; the wrap decrypts to it" {
	sc key create k1 --type aes256-gcm
	run -0 sc key datakey k1 --context purpose=disk
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == sc:v1:k1:1:* ]]
	printf '%s\n' "${lines[0]}" >"$BATS_TEST_TMPDIR/w"
	plain=$(sc key decrypt --context purpose=disk --in "$BATS_TEST_TMPDIR/w" | base64 -w0)
	[ "$plain" = "${lines[1]}" ]
	run -0 sc key datakey k1 --wrapped-only
	[ "${#lines[@]}" -eq 1 ]
}

@test "hmac: make and verify; a changed message is exit 1" {
	sc key create h1 --type hmac-sha256
	run -0 sc key hmac h1 --in "$BATS_TEST_TMPDIR/msg"
	mac=$output
	run -0 sc key hmac h1 --in "$BATS_TEST_TMPDIR/msg" --verify "$mac"
	printf 'other\n' >"$BATS_TEST_TMPDIR/m2"
	run sc key hmac h1 --in "$BATS_TEST_TMPDIR/m2" --verify "$mac"
	[ "$status" -eq 1 ]
	# an encryption key does not make MACs
	sc key create k1 --type aes256-gcm
	run sc key hmac k1 --in "$BATS_TEST_TMPDIR/msg"
	[ "$status" -ne 0 ]
}

@test "ed25519 and ecdsa-p256 signatures verify with openssl; ours rejects a changed one" {
	for t in ed25519 ecdsa-p256; do
		sc key create "s-$t" --type "$t"
		sc key pubkey "s-$t" --format pem >"$BATS_TEST_TMPDIR/$t.pem"
		run -0 sc sign "s-$t" --in "$BATS_TEST_TMPDIR/msg" --out "$BATS_TEST_TMPDIR/$t.sig"
		if [ "$t" = ed25519 ]; then
			run -0 openssl pkeyutl -verify -pubin -inkey "$BATS_TEST_TMPDIR/$t.pem" -rawin \
				-in "$BATS_TEST_TMPDIR/msg" -sigfile "$BATS_TEST_TMPDIR/$t.sig"
		else
			run -0 openssl dgst -sha256 -verify "$BATS_TEST_TMPDIR/$t.pem" \
				-signature "$BATS_TEST_TMPDIR/$t.sig" "$BATS_TEST_TMPDIR/msg"
		fi
		run -0 sc verify "s-$t" --in "$BATS_TEST_TMPDIR/msg" --signature "$BATS_TEST_TMPDIR/$t.sig"
		printf 'changed\n' >"$BATS_TEST_TMPDIR/m2"
		run sc verify "s-$t" --in "$BATS_TEST_TMPDIR/m2" --signature "$BATS_TEST_TMPDIR/$t.sig"
		[ "$status" -eq 1 ]
	done
}

@test "secp256k1: ecdsa and bip340 sign and verify; ssh form refused" {
	sc key create s1 --type secp256k1
	run -0 sc sign s1 --in "$BATS_TEST_TMPDIR/msg"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/sig"
	run -0 sc verify s1 --in "$BATS_TEST_TMPDIR/msg" --signature "$BATS_TEST_TMPDIR/sig"
	run -0 sc key pubkey s1 --format hex
	[ "${#output}" -eq 66 ]
	run sc key pubkey s1 --format ssh
	[ "$status" -ne 0 ]
	run sc key pubkey s1 --format bogus
	[ "$status" -eq 2 ]
}

@test "a non-exportable key is never printed; an exportable one is" {
	sc key create s1 --type ed25519
	run sc key export s1
	[ "$status" -eq 9 ]
	[[ "$output" == *"not exportable"* ]]
	sc key create s2 --type ed25519 --exportable
	run -0 sc key export s2
	seed=$output
	# the exported seed gives the same public key under openssl
	{ printf '302e020100300506032b657004220420' | xxd -r -p; printf '%s' "$seed" | base64 -d; } \
		>"$BATS_TEST_TMPDIR/k.der"
	openssl pkey -inform DER -in "$BATS_TEST_TMPDIR/k.der" -pubout >"$BATS_TEST_TMPDIR/a.pem"
	sc key pubkey s2 >"$BATS_TEST_TMPDIR/b.pem"
	cmp "$BATS_TEST_TMPDIR/a.pem" "$BATS_TEST_TMPDIR/b.pem"
}

@test "every key operation is in the audit log" {
	sc key create k1 --type aes256-gcm
	sc key encrypt k1 --in "$BATS_TEST_TMPDIR/msg" >"$BATS_TEST_TMPDIR/ct"
	sc key suspend k1
	run sc key encrypt k1 --in "$BATS_TEST_TMPDIR/msg"
	[ "$status" -eq 9 ]
	run -0 sc audit list --json
	[[ "$output" == *'"key.create"'* ]]
	[[ "$output" == *'"key.encrypt"'* ]]
	[[ "$output" == *'"key.suspend"'* ]]
	run -0 sc audit verify
}

@test "a wrong password is exit 4 and changes nothing" {
	sc key create k1 --type aes256-gcm
	before=$(sc_vault_hash)
	SECRETCTL_PASSWORD=wrong-password run sc key rotate k1
	[ "$status" -eq 4 ]
	[ "$(sc_vault_hash)" = "$before" ]
}
