#!/usr/bin/env bats
# The PKCS#11 key slot, end to end with SoftHSM2 as the real token: each
# test has its own SOFTHSM2_CONF and token directory (never the system's).
# keyslot add/list/remove, unlock with the token alone, the password slot
# removed, a wrong PIN, a token that is not there, a key deleted behind our
# back, the PIN never in any /proc/*/cmdline or environment, the key in the
# token non-extractable and sensitive and in no file of the vault.

bats_require_minimum_version 1.5.0

VAL='Token-Value-5d2c8a1e'

setup() {
	load helpers
	load skip
	load p11_helpers
	p11_setup sc-bats
	sc_setup
	unset SECRETCTL_TOKEN SECRETCTL_NO_AGENT
	export SECRETCTL_NO_AGENT=1
	URI="pkcs11:token=sc-bats;object=vault-kek?module-path=$MODULE"
	sc_init
	# from a file, not a pipe (helpers' sc_put pipes into --value-file /dev/stdin)
	printf '%s' "$VAL" >"$BATS_TEST_TMPDIR/val"
	sc set --value-file "$BATS_TEST_TMPDIR/val" api/key </dev/null >/dev/null 2>&1
}

teardown() {
	if [ -n "${RT:-}" ]; then
		XDG_RUNTIME_DIR=$RT "$SC_BIN" lock >/dev/null 2>&1 || true
		rm -rf "$RT"
	fi
}

# the token slot added with the password (slot 1) still there
add_slot() {
	printf '%s\n' "$PIN" | sc keyslot add pkcs11 --token "$URI" --pin-fd 0
}

# the slot table as it is stored
slots() {
	sqlite3 "$SC_VAULT/vault.db" 'SELECT id, kind, hex(params), hex(wrapped) FROM keyslots'
}

# a command run with the token alone: no password anywhere
tok() {
	printf '%s\n' "$PIN" | env -u SECRETCTL_PASSWORD "$SC_BIN" --token "$URI" --pin-fd 0 "$@"
}

@test "keyslot add pkcs11, list, then the token alone opens the vault" {
	run add_slot
	[ "$status" -eq 0 ]
	[[ "$output" == *"added key slot 2 (pkcs11)"* ]]
	run sc keyslot list
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == "1    password"* ]]
	[[ "${lines[2]}" == "2    pkcs11    vault-kek "*" sc-bats" ]]
	run sc keyslot list --json
	[ "$status" -eq 0 ]
	[ "$(jq -r '.[1].kind, .[1].label, .[1].token' <<<"$output" | tr '\n' ' ')" = \
		"pkcs11 vault-kek sc-bats " ]
	[ "$(jq -r '.[1].last_used' <<<"$output")" = null ]
	run -0 tok get api/key
	[ "$output" = "$VAL" ]
	# last used is set by the unlock
	run -0 sc keyslot list --json
	[ "$(jq -r '.[1].last_used' <<<"$output")" != null ]
	# the password slot still opens it too
	run -0 sc get api/key
	[ "$output" = "$VAL" ]
}

@test "the password slot removed: get, list and run work with the token; the last slot stays" {
	add_slot
	run -0 tok keyslot remove 1
	[[ "$output" == *"removed key slot 1"* ]]
	run -0 sc keyslot list --json
	[ "$(jq -r 'length, .[0].kind' <<<"$output" | tr '\n' ' ')" = "1 pkcs11 " ]
	run -0 tok get api/key
	[ "$output" = "$VAL" ]
	run -0 tok list
	[[ "$output" == *"api/key"* ]]
	run -0 tok run -k api/key -- sh -c 'test "$API_KEY" = Token-Value-5d2c8a1e && echo same'
	[[ "$output" == *same* ]]
	# the password no longer opens anything
	run -4 sc get api/key
	[[ "$output" == *"no password slot"* ]]
	# and the last slot cannot go (the unlock itself dates the slot's last use)
	before=$(slots)
	run -9 tok keyslot remove 2
	[[ "$output" == *"last key slot"* ]]
	[ "$(slots)" = "$before" ]
	run -3 tok keyslot remove 7
	[[ "$output" == *"no key slot 7"* ]]
	# passwd has no password slot to rewrap: a clear line, nothing changed
	run -3 bash -c 'echo "$2" | env -u SECRETCTL_PASSWORD "$0" --token "$1" --pin-fd 0 passwd --new-password-fd 3 3<<<new-password-9' \
		"$SC_BIN" "$URI" "$PIN"
	[[ "$output" == *"no password slot"* ]]
	[ "$(slots)" = "$before" ]
}

@test "a wrong PIN: exit 4, the tries the token reports, nothing changed" {
	add_slot
	before=$(sc_vault_hash)
	pending=$(stat -c %s "$SC_VAULT/audit.pending" 2>/dev/null || echo 0)
	run -4 bash -c 'echo 000000 | env -u SECRETCTL_PASSWORD "$0" --token "$1" --pin-fd 0 get api/key' \
		"$SC_BIN" "$URI"
	[[ "$output" == *"wrong PIN"* ]]
	[[ "$output" == *"tries left"* ]]
	[[ "$output" != *"$VAL"* ]]
	[ "$(sc_vault_hash)" = "$before" ]
	# the failed unlock is recorded, as a wrong password is
	[ "$(stat -c %s "$SC_VAULT/audit.pending")" -gt "$pending" ]
	# a wrong PIN when adding a slot adds none
	run -4 bash -c 'echo 000000 | "$0" keyslot add pkcs11 --token "$1" --pin-fd 0' "$SC_BIN" \
		"${URI/vault-kek/other-kek}"
	run -0 sc keyslot list --json
	[ "$(jq length <<<"$output")" = 2 ]
}

@test "no PIN at all: no terminal and no --pin-fd is refused" {
	add_slot
	run -4 env -u SECRETCTL_PASSWORD "$SC_BIN" --token "$URI" get api/key </dev/null
	[[ "$output" == *"no token PIN given"* ]]
	run -4 env -u SECRETCTL_PASSWORD "$SC_BIN" --token "$URI" --pin-fd 9 get api/key
	[[ "$output" == *"--pin-fd 9 is not an open file descriptor"* ]]
}

@test "the token missing: exit 14, a clear line; the password still opens" {
	add_slot
	mkdir "$BATS_TEST_TMPDIR/empty"
	printf 'directories.tokendir = %s\n' "$BATS_TEST_TMPDIR/empty" >"$BATS_TEST_TMPDIR/empty.conf"
	before=$(sc_vault_hash)
	SOFTHSM2_CONF=$BATS_TEST_TMPDIR/empty.conf run -14 tok get api/key
	[[ "$output" == *"no token matches"*"is it plugged in?"* ]]
	[ "$(sc_vault_hash)" = "$before" ]
	run -0 sc get api/key
	[ "$output" = "$VAL" ]
}

@test "the key object deleted behind our back: exit 14, the password still opens" {
	add_slot
	pkcs11-tool --module "$MODULE" --login --pin "$PIN" --delete-object --type secrkey \
		--label vault-kek >/dev/null 2>&1
	run -14 tok get api/key
	[[ "$output" == *"no longer in the token"* ]]
	run -0 sc get api/key
	[ "$output" = "$VAL" ]
}

@test "the key in the token: non-extractable, sensitive; the vault holds no copy" {
	add_slot
	run -0 pkcs11-tool --module "$MODULE" --login --pin "$PIN" --list-objects
	[[ "$output" == *"Secret Key Object; AES length 32"* ]]
	[[ "$output" == *"label:      vault-kek"* ]]
	[[ "$output" == *"Access:     sensitive, always sensitive, never extractable"* ]]
	[[ "$output" != *"Access:     extractable"* ]]
	# nobody can read it out of the token
	run pkcs11-tool --module "$MODULE" --login --pin "$PIN" --read-object --type secrkey \
		--label vault-kek
	[ "$status" -ne 0 ]
	# the vault keeps only the URI and the wrapped data key: 1 + 40 bytes of
	# RFC 5649 wrap, then the sealed DEK (32 + 12 + 16)
	[ "$(sqlite3 "$SC_VAULT/vault.db" 'SELECT length(wrapped) FROM keyslots WHERE kind = 3')" = \
		$((1 + 40 + 32 + 28)) ]
	[ "$(sqlite3 "$SC_VAULT/vault.db" 'SELECT CAST(substr(params, 4) AS TEXT) FROM keyslots WHERE kind = 3')" = \
		"$URI" ]
	# no file of the token (its object store) was copied into the vault
	for f in "$TOK"/*/*.object; do
		for g in "$SC_VAULT"/*; do
			run cmp -s "$f" "$g"
			[ "$status" -ne 0 ]
		done
	done
}

@test "the PIN is in no /proc/*/cmdline or environment, the child's included" {
	add_slot
	printf '%s\n' "$PIN" >"$BATS_TEST_TMPDIR/pin"
	cat >"$BATS_TEST_TMPDIR/scan.sh" <<'EOF'
#!/bin/sh
# every process we can read, the parent secretctl and this child included
n=0
for f in /proc/[0-9]*/cmdline /proc/[0-9]*/environ; do
	if tr '\0' '\n' <"$f" 2>/dev/null | grep -qF -f "$PINFILE"; then
		echo "found in $f"
		n=$((n + 1))
	fi
done
echo "hits=$n"
env | grep -cF -f "$PINFILE" || true
EOF
	chmod +x "$BATS_TEST_TMPDIR/scan.sh"
	export PINFILE=$BATS_TEST_TMPDIR/pin
	run -0 tok run -k api/key -- "$BATS_TEST_TMPDIR/scan.sh"
	[[ "$output" == *"hits=0"* ]]
	[ "${lines[-1]}" = 0 ]
	# the scan does find a PIN that is there (it would catch a leak)
	run -0 env "LEAK=$PIN" "$BATS_TEST_TMPDIR/scan.sh"
	[[ "$output" != *"hits=0"* ]]
}

@test "SECRETCTL_TOKEN names the token for every command" {
	add_slot
	run -0 bash -c 'echo "$2" | SECRETCTL_TOKEN=$1 env -u SECRETCTL_PASSWORD "$0" --pin-fd 0 get api/key' \
		"$SC_BIN" "$URI" "$PIN"
	[ "$output" = "$VAL" ]
}

@test "unlock --token hands the key to the agent" {
	add_slot
	unset SECRETCTL_NO_AGENT
	RT=$(mktemp -d /tmp/sc-p11-XXXXXX)
	export XDG_RUNTIME_DIR=$RT
	run -0 tok unlock
	[[ "$output" == *"unlocked"* ]]
	run -0 env -u SECRETCTL_PASSWORD "$SC_BIN" list
	[[ "$output" == *"api/key"* ]]
	run -0 "$SC_BIN" lock
}

@test "two tokens, two slots: --token picks its own slot, with its own PIN" {
	add_slot
	softhsm2-util --init-token --free --label sc-bats2 --pin 246813 --so-pin 55667788 >/dev/null
	URI2="pkcs11:token=sc-bats2;object=kek2?module-path=$MODULE"
	printf '246813\n' | sc keyslot add pkcs11 --token "$URI2" --pin-fd 0
	run -0 bash -c 'echo 246813 | env -u SECRETCTL_PASSWORD "$0" --token "$1" --pin-fd 0 get api/key' \
		"$SC_BIN" "$URI2"
	[ "$output" = "$VAL" ]
	# a token URI without the object, as the token alone names it
	run -0 bash -c 'echo 246813 | env -u SECRETCTL_PASSWORD "$0" --token "$1" --pin-fd 0 get api/key' \
		"$SC_BIN" "pkcs11:token=sc-bats2?module-path=$MODULE"
	[ "$output" = "$VAL" ]
	run -0 tok get api/key
	[ "$output" = "$VAL" ]
}

@test "keyslot add: bad input is one line, exit 2, no slot written" {
	# (the audited outcome moves the audit anchor: the slot table is compared)
	before=$(slots)
	run -2 bash -c 'echo "$2" | "$0" keyslot add pkcs11 --token "$1" --pin-fd 0' "$SC_BIN" \
		"pkcs11:token=sc-bats;object=k?pin-value=$PIN&module-path=$MODULE" "$PIN"
	[[ "$output" == *"a PIN in the token URI is refused"* ]]
	run -2 bash -c 'echo "$2" | "$0" keyslot add pkcs11 --token "$1" --pin-fd 0' "$SC_BIN" \
		"https://example.com/" "$PIN"
	[[ "$output" == *"bad token URI"* ]]
	run -2 bash -c 'echo "$2" | "$0" keyslot add pkcs11 --token "$1" --pin-fd 0' "$SC_BIN" \
		"pkcs11:token=sc-bats?module-path=$MODULE" "$PIN"
	[[ "$output" == *"no key label"* ]]
	run -2 sc keyslot add pkcs11
	[[ "${lines[0]}" == *"needs --token URI"* ]]
	run -2 sc keyslot add tpm --token "$URI"
	[[ "${lines[0]}" == *"unknown key slot kind 'tpm'"* ]]
	run -2 sc keyslot remove abc
	[ "$(slots)" = "$before" ]
	run -0 sc keyslot list --json
	[ "$(jq length <<<"$output")" = 1 ]
}

@test "backup and restore keep the token slot: the restored vault opens with the token" {
	add_slot
	run -0 sc backup -o "$BATS_TEST_TMPDIR/v.scb"
	[[ "$output" == *"2 key slots"* ]]
	run -0 sc restore "$BATS_TEST_TMPDIR/v.scb" --to "$BATS_TEST_TMPDIR/restored"
	SECRETCTL_VAULT_DIR=$BATS_TEST_TMPDIR/restored run -0 tok get api/key
	[ "$output" = "$VAL" ]
}

@test "a run's output has the PIN redacted, as it has the password" {
	add_slot
	printf 'pin=%s\n' "$PIN" >"$BATS_TEST_TMPDIR/echo-pin"
	run -0 tok run -k api/key -- cat "$BATS_TEST_TMPDIR/echo-pin"
	[[ "$output" != *"$PIN"* ]]
	[[ "$output" == "pin="* ]]
}
