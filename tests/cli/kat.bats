#!/usr/bin/env bats
# The known-answer vault (tests/data/kat-vault-v1, made once, see its
# README.md): this build opens a copy with the fixed password and reads every
# value, field and piece of metadata, and verifies its audit chain. A change
# to the on-disk format (slots, DEK wrap, sub-keys, any AAD, the blinded
# index, the audit MAC) fails here instead of passing unnoticed.

bats_require_minimum_version 1.5.0

setup() {
	load helpers
	KAT=$BATS_TEST_DIRNAME/../data/kat-vault-v1
	export HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME"
	export SECRETCTL_VAULT_DIR="$BATS_TEST_TMPDIR/vault" SECRETCTL_NO_AGENT=1
	export SECRETCTL_PASSWORD='kat-vault-password-v1'
	mkdir -m 700 "$SECRETCTL_VAULT_DIR"
	cp "$KAT/vault.db" "$KAT/audit.log" "$SECRETCTL_VAULT_DIR/"
	chmod 600 "$SECRETCTL_VAULT_DIR"/*
}

value_of() { # NAME [FIELD]: the value, base64 (exact bytes)
	local j
	if [ -n "${2:-}" ]; then
		j=$(sc get --json "$1" --field "$2")
	else
		j=$(sc get --json "$1")
	fi
	jq -r 'if has("value_base64") then .value_base64 else (.value | @base64) end' <<<"$j"
}

b64() { printf '%s' "$1" | base64 -w0; }

@test "the v1 fixture is the one checked in" {
	# (so the tests below read the fixture, not one made again by this build)
	run -0 sha256sum "$KAT/vault.db" "$KAT/audit.log"
	[ "${lines[0]%% *}" = b3bac01aca28c47a07437089f3ad3b270bc81cd03136583a3ff6449c480a72e4 ]
	[ "${lines[1]%% *}" = cf78ac5057eb0ac36605b11f1d607cb3f8af1f6b3290bb03a1a38e4f0c7a5567 ]
}

@test "the v1 fixture opens and every value reads back" {
	[ "$(value_of kat/plain)" = "$(b64 plain-value-0001)" ]
	[ "$(value_of kat/binary)" = "$(python3 -c 'import base64; print(base64.b64encode(bytes(range(256))).decode())')" ]
	[ "$(value_of kat/db password)" = "$(b64 'pg-S3cret/Pass+word=')" ]
	[ "$(value_of kat/db host)" = "$(b64 db.internal)" ]
	[ "$(value_of kat/db user)" = "$(b64 app)" ]
	[ "$(value_of kat/history)" = "$(b64 version-3)" ]
	[ "$(value_of kat/unicode)" = "$(printf '\303\274n\303\257c\303\266d\303\251-\342\234\223-value' | base64 -w0)" ]
	run -3 sc get kat/deleted
	run -1 sc exists kat/deleted
	run -0 sc exists kat/plain
}

@test "the v1 fixture's names and metadata are as made" {
	run -0 sc list
	[ "$output" = "$(printf 'kat/binary\nkat/db\nkat/history\nkat/plain\nkat/unicode')" ]
	run -0 sc list --json
	[ "$(jq -S . <<<"$output")" = "$(jq -S . "$KAT/list.json")" ]
	run -0 sc list --tag prod
	[ "$output" = kat/db ]
	# a binding reaches a command as made
	run -0 sc run --no-sanitize -k kat/db -- sh -c 'printf "%s %s" "$PGPASSWORD" "$PGHOST"'
	[ "$output" = "pg-S3cret/Pass+word= db.internal" ]
}

@test "the v1 fixture's audit chain verifies against its anchor" {
	run -0 sc audit verify
	[[ "$output" == *"9 entries (1..9), anchored at entry 9"* ]]
	run -0 sc audit list --json
	[ "$(jq -r '[.[:9][] | .op] | join(",")' <<<"$output")" = "set,set,set,set,set,set,set,delete,set" ]
}

@test "the v1 fixture refuses a wrong password and stays writable with the right one" {
	SECRETCTL_PASSWORD=wrong-password run -4 "$SC_BIN" list
	printf 'new-value-77' | sc set kat/new
	[ "$(value_of kat/new)" = "$(b64 new-value-77)" ]
	[ "$(value_of kat/plain)" = "$(b64 plain-value-0001)" ]
	run -0 sc audit verify
}
