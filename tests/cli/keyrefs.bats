#!/usr/bin/env bats
# keyrefs.bats - secrets sealed under a named key (set --under), read back
# through every reader, the reference index as `key show` prints it (the
# current record and the versions kept in history), trim and destroy
# refused while an item needs a version, `key rewrap --all` moving them,
# the index anchored against a rollback, and the errors' exit statuses
# (crypto-erase itself, which needs a due date, is in unit/test_keyrefs).

bats_require_minimum_version 1.5.0

setup() {
	load helpers
	sc_setup
	sc_init
	sc key create k1 --type aes256-gcm
}

# set NAME VALUE under key k1 (the value on stdin)
put_under() {
	printf '%s' "$2" | sc set "$1" --under k1 --secret-field value ${3:+"$3"}
}

items() { # items of key $1 version $2, from --json
	sc key show "$1" --json | jq -r ".versions[] | select(.version == $2) | .items"
}

@test "set --under: the record holds an sc:v1 text, get/export/run read the value" {
	put_under db 'pw-under-a-key-123'
	run -0 sc get db
	[ "$output" = 'pw-under-a-key-123' ]
	run -0 sc export --format json
	[[ "$output" == *'pw-under-a-key-123'* ]]
	# run injects the opened value and redacts it from the output
	run -0 sc run -k db -- sh -c 'printf "%s" "$DB" >"$0"; printf "%s" "$DB"' "$BATS_TEST_TMPDIR/seen"
	[ "$(cat "$BATS_TEST_TMPDIR/seen")" = 'pw-under-a-key-123' ]
	[[ "$output" != *'pw-under-a-key-123'* ]]
	# nothing in the clear on disk, neither the value nor the key's use
	sc_assert_no_plaintext "$SC_VAULT" 'pw-under-a-key-123' 'sc:v1:k1'
	run -0 items k1 1
	[ "$output" = 1 ]
}

@test "list goes on while the version a secret needs is suspended; get fails with 9" {
	put_under db 'pw-under-a-key-123'
	sc key suspend k1 --version 1
	run -0 sc list
	[[ "$output" == *db* ]]
	run -9 sc get db
	[[ "$output" == *"sealed under key 'k1'"*suspended*"key resume k1 --version 1"* ]]
	[[ "$output" != *pw-under* ]]
	sc key resume k1 --version 1
	run -0 sc get db
	[ "$output" = 'pw-under-a-key-123' ]
}

@test "the index counts the current record and the history; overwrite and delete move it" {
	put_under db 'first-value-long-1'
	sc key rotate k1
	printf 'second-value-long2' | sc set db --secret-field value --replace
	# a set without --under keeps the field under its key
	run -0 sc key show k1 --json
	[ "$(items k1 1)" = 1 ] # version 1 of db, kept in history
	[ "$(items k1 2)" = 1 ] # the current record
	[ "$(sc key show k1 --json | jq -r '.versions[] | select(.version == 2) | .items_current')" = 1 ]
	[ "$(sc key show k1 --json | jq -r '.versions[] | select(.version == 1) | .items_history')" = 1 ]
	run -0 sc key show k1
	[[ "$output" == *"v1"*"items 1 (0 current, 1 in history)"* ]]
	run -0 sc get db --version 1
	[ "$output" = 'first-value-long-1' ]
	# pruning the history drops its reference
	sc history prune db --keep 1
	[ "$(items k1 1)" = 0 ]
	[ "$(items k1 2)" = 1 ]
	# a delete keeps the last version in the history: still referenced
	sc delete db
	[ "$(items k1 2)" = 1 ]
	[ "$(sc key show k1 --json | jq -r '.versions[] | select(.version == 2) | .items_history')" = 1 ]
}

@test "trim and destroy refuse while an item needs the version, naming rewrap --all" {
	put_under db 'first-value-long-1'
	sc key rotate k1
	run -1 sc key destroy k1 --version 1
	[[ "$output" == *"used by 1 item"*"key rewrap --all k1"* ]]
	run -1 sc key destroy k1
	[[ "$output" == *"key rewrap --all k1"* ]]
	# nothing scheduled (the refusal's audit entry is all it wrote)
	run -0 sc key show k1
	[[ "$output" != *"DESTRUCTION SCHEDULED"* ]]
	run -0 sc key rewrap --all k1
	[[ "$output" == *"rewrapped 1 item"*"version 2"* ]]
	[ "$(items k1 1)" = 0 ]
	[ "$(items k1 2)" = 1 ]
	run -0 sc get db
	[ "$output" = 'first-value-long-1' ]
	run -0 sc key destroy k1 --version 1 --days 7
	run -0 sc audit list --json
	[[ "$output" == *'"key.rewrap-all"'* ]]
}

@test "rewrap --all moves the history too, in batches, and says when there is nothing" {
	for i in 1 2 3 4 5; do put_under "s$i" "value-number-$i-long"; done
	printf 'second-of-s1-long' | sc set s1 --secret-field value --replace
	sc key rotate k1
	[ "$(items k1 1)" = 6 ]
	run -0 sc key rewrap --all k1 --items-per-batch 2 --json
	[ "$(jq -r .items <<<"$output")" = 6 ]
	[ "$(jq -r .batches <<<"$output")" = 3 ]
	[ "$(jq -r .version <<<"$output")" = 2 ]
	[ "$(items k1 1)" = 0 ]
	[ "$(items k1 2)" = 6 ]
	for k in 2 3 4 5; do
		run -0 sc get "s$k"
		[ "$output" = "value-number-$k-long" ]
	done
	run -0 sc get s1 --version 1
	[ "$output" = 'value-number-1-long' ]
	run -0 sc key rewrap --all k1
	[[ "$output" == *"already under version 2"* ]]
}

@test "rename and rollback keep the values and the index right" {
	put_under db 'first-value-long-1'
	printf 'second-value-long2' | sc set db --secret-field value --replace
	sc mv db db2
	run -0 sc get db2
	[ "$output" = 'second-value-long2' ]
	run -0 sc get db2 --version 1
	[ "$output" = 'first-value-long-1' ]
	sc rollback db2
	run -0 sc get db2
	[ "$output" = 'first-value-long-1' ]
	[ "$(items k1 1)" = 3 ]
	sc cp db2 db3
	run -0 sc get db3
	[ "$output" = 'first-value-long-1' ]
}

@test "rekey takes the index along: values and counts survive a new DEK" {
	put_under db 'survives-a-rekey-1'
	sc key rotate k1
	run -0 sc rekey
	run -0 sc get db
	[ "$output" = 'survives-a-rekey-1' ]
	[ "$(items k1 1)" = 1 ]
	run -0 sc key rewrap --all k1
	[ "$(items k1 2)" = 1 ]
}

@test "errors: unknown key 3, bad --under 2, hmac key refused, bad --items-per-batch 2" {
	run -3 sh -c "printf 'a-value-long-enough' | '$SC_BIN' set db --under nokey --secret-field value"
	[[ "$output" == *"no key 'nokey'"* ]]
	run -2 sh -c "printf x | '$SC_BIN' set db --under '-bad' --secret-field value"
	[[ "$output" == *"invalid key name"* ]]
	sc key create mac --type hmac-sha256
	run -2 sh -c "printf 'a-value-long-enough' | '$SC_BIN' set db --under mac --secret-field value"
	[[ "$output" == *"does not encrypt"* ]]
	run -2 sc key rewrap --all k1 --items-per-batch 0
	run -2 sc key rewrap --items-per-batch 5 k1
	run -2 sc key rewrap --all
	run -3 sc key rewrap --all nokey
	# none of the refused writes stored anything
	run -3 sc get db
}

@test "tampering: the index row swapped for an older one is refused (exit 6)" {
	put_under db 'first-value-long-1'
	cp "$SC_VAULT/vault.db" "$BATS_TEST_TMPDIR/old.db"
	sqlite3 "$BATS_TEST_TMPDIR/old.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null 2>&1 || true
	put_under db2 'second-value-long2'
	sqlite3 "$SC_VAULT/vault.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
	# the whole older row (its tag and body): the state's anchor refuses it
	tag=$(sqlite3 "$BATS_TEST_TMPDIR/old.db" "SELECT hex(tag) FROM keyrefs WHERE id = 1")
	old=$(sqlite3 "$BATS_TEST_TMPDIR/old.db" "SELECT hex(body) FROM keyrefs WHERE id = 1")
	sqlite3 "$SC_VAULT/vault.db" "UPDATE keyrefs SET tag = x'$tag', body = x'$old' WHERE id = 1"
	run -6 sc key show k1
	[[ "$output" == *"rolled back or replaced"* ]]
	# the body alone, under the newer tag: refused too
	sqlite3 "$SC_VAULT/vault.db" "UPDATE keyrefs SET tag = (SELECT tag FROM keyrefs) WHERE id = 1"
	run -6 sc get db2
	sqlite3 "$SC_VAULT/vault.db" "DELETE FROM keyrefs"
	run -6 sc key show k1
}
