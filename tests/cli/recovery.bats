#!/usr/bin/env bats
# Recovery shares (issue 14): `recovery split` adds a recovery key slot and
# prints its key as SLIP-0039 shares; any T of N open the vault with
# `recovery open` and set a new password; fewer, a mistyped share, or the
# shares of another vault or a removed split open nothing and change
# nothing.

bats_require_minimum_version 1.5.0
load helpers

NEWPW='new-password-after-recovery'

setup() {
	sc_setup
	export SECRETCTL_NO_AGENT=1
	sc_init
	sc_put api/key 'Recovery-Value-7d21'
}

# split 3 of 5 into $BATS_TEST_TMPDIR/shares.txt; the mnemonics one a line
# in $BATS_TEST_TMPDIR/m.txt
split35() {
	run -0 --separate-stderr sc recovery split --shares 5 --threshold 3
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/shares.txt"
	grep -v '^#' "$BATS_TEST_TMPDIR/shares.txt" >"$BATS_TEST_TMPDIR/m.txt"
}

# the mnemonics numbered $@ (1-based), one a line
pick() {
	local i
	for i in "$@"; do sed -n "${i}p" "$BATS_TEST_TMPDIR/m.txt"; done
}

# recovery open with the shares on stdin and the new password on fd 3
open_with() {
	sc recovery open --new-password-fd 3 "${SC_KDF[@]}" 3<<<"$NEWPW"
}

@test "recovery split 3 of 5: five distinct mnemonics, a recovery slot in keyslot list" {
	split35
	[ "$(wc -l <"$BATS_TEST_TMPDIR/m.txt")" -eq 5 ]
	[ "$(sort -u "$BATS_TEST_TMPDIR/m.txt" | wc -l)" -eq 5 ]
	# 33 words each: 7 of metadata and checksum, 26 for a 256-bit key
	while read -r line; do
		[ "$(wc -w <<<"$line")" -eq 33 ]
	done <"$BATS_TEST_TMPDIR/m.txt"
	grep -q '^# secretctl recovery shares: any 3 of these 5 open the vault (key slot 2' "$BATS_TEST_TMPDIR/shares.txt"
	[[ "$stderr" == *"keep each share apart"* ]]
	run -0 sc --json keyslot list
	[ "$(jq -r '.[] | select(.id == 2) | .kind' <<<"$output")" = recovery ]
	[[ "$(jq -r '.[] | select(.id == 2) | .label' <<<"$output")" == "3 of 5 shares, split "* ]]
	run -0 sc --json audit list --op recovery.split
	[ "$(jq length <<<"$output")" -eq 1 ]
	# the key is kept nowhere, nor any share
	for f in "$SC_VAULT"/*; do
		while read -r line; do
			if grep -qF "$line" "$f"; then false; fi
		done <"$BATS_TEST_TMPDIR/m.txt"
	done
}

@test "any 3 of the 5 shares open the vault and set a new password; the values read back" {
	split35
	combos='1 2 3|1 2 4|1 2 5|1 3 4|1 3 5|1 4 5|2 3 4|2 3 5|2 4 5|3 4 5'
	IFS='|' read -r -a list <<<"$combos"
	for combo in "${list[@]}"; do
		# shellcheck disable=SC2086
		pick $combo | open_with
		SECRETCTL_PASSWORD=$NEWPW run -0 sc get api/key
		[ "$output" = 'Recovery-Value-7d21' ]
		# back to the first password for the next combination
		SECRETCTL_PASSWORD=$NEWPW sc passwd --new-password-fd 3 "${SC_KDF[@]}" 3<<<"$SC_PW"
	done
	# the order does not matter, nor comments and blank lines
	{ echo '# mine'; pick 5; echo; pick 3; echo '  '; pick 1; } | open_with
	SECRETCTL_PASSWORD=$NEWPW run -0 sc get api/key
	SECRETCTL_PASSWORD=$SC_PW run -4 sc get api/key
	SECRETCTL_PASSWORD=$NEWPW run -0 sc --json audit list --op recovery.open
	[ "$(jq '[.[] | select(.result == "ok")] | length' <<<"$output")" -eq 11 ]
}

@test "two shares open nothing (2), the password stays, the failure is audited" {
	split35
	before=$(sc_vault_hash)
	run -2 --separate-stderr open_with < <(pick 2 4)
	[[ "$stderr" == *"exactly 3 needed"* ]]
	[ "$(sc_vault_hash)" = "$before" ]
	run -0 sc get api/key
	run -0 sc --json audit list --op recovery.open
	[ "$(jq '[.[] | select(.result == "error")] | length' <<<"$output")" -eq 1 ]
	# no shares at all
	run -2 --separate-stderr open_with </dev/null
	[[ "$stderr" == *"no shares given"* ]]
}

@test "a mistyped share is caught by its checksum (6), nothing changes" {
	split35
	before=$(sc_vault_hash)
	# the 10th word of share 2 replaced by another word of the list
	bad=$(pick 2 | awk '{ $10 = ($10 == "academic" ? "acid" : "academic"); print }')
	run -6 --separate-stderr open_with < <(pick 1; echo "$bad"; pick 3)
	[[ "$stderr" == *"checksum"* ]]
	# a word that is not in the list
	bad=$(pick 2 | awk '{ $12 = "notaword"; print }')
	run -2 --separate-stderr open_with < <(pick 1; echo "$bad"; pick 3)
	[ "$(sc_vault_hash)" = "$before" ]
	run -0 sc get api/key
}

@test "shares of another vault (4), of two splits (2), of a removed split (4) open nothing" {
	split35
	cp "$BATS_TEST_TMPDIR/m.txt" "$BATS_TEST_TMPDIR/a.txt"
	# a second vault's split
	(
		export SECRETCTL_VAULT_DIR=$BATS_TEST_TMPDIR/other
		printf '%s\n' "$SC_PW" | sc init --password-fd 0 "${SC_KDF[@]}" 2>/dev/null
		sc recovery split --shares 3 --threshold 2 2>/dev/null | grep -v '^#' >"$BATS_TEST_TMPDIR/o.txt"
	)
	before=$(sc_vault_hash)
	run -4 --separate-stderr open_with < <(sed -n '1p;3p' "$BATS_TEST_TMPDIR/o.txt")
	[[ "$stderr" == *"open no recovery slot of this vault"* ]]
	[ "$(sc_vault_hash)" = "$before" ]
	# a second split of this vault: mixing the two is refused
	split35
	before=$(sc_vault_hash)
	run -2 --separate-stderr open_with < <(sed -n '1p;2p' "$BATS_TEST_TMPDIR/a.txt"; pick 3)
	[ "$(sc_vault_hash)" = "$before" ]
	# the first split's slot removed: its shares open nothing any more
	run -0 sc keyslot remove 2
	run -4 --separate-stderr open_with < <(sed -n '1p;2p;3p' "$BATS_TEST_TMPDIR/a.txt")
	[[ "$stderr" == *"open no recovery slot"* ]]
	# the second still does
	pick 2 3 4 | open_with
	SECRETCTL_PASSWORD=$NEWPW run -0 sc get api/key
}

@test "passwd keeps the recovery slot; a changed slot row opens nothing (4)" {
	split35
	sc passwd --new-password-fd 3 "${SC_KDF[@]}" 3<<<"another-password-1"
	pick 1 2 3 | open_with
	SECRETCTL_PASSWORD=$NEWPW run -0 sc get api/key
	# the split's shape in the params changed (3 of 5 -> 2 of 16): only the
	# AAD binds it, the KEK does not depend on it
	set_params() {
		python3 - "$SC_VAULT/vault.db" "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
(p,) = db.execute("SELECT params FROM keyslots WHERE kind = 2").fetchone()
if sys.argv[2] == "save":
    open(sys.argv[1] + ".saved", "wb").write(p)
    p = p[:19] + bytes([2, 16])
else:
    p = open(sys.argv[1] + ".saved", "rb").read()
db.execute("UPDATE keyslots SET params = ? WHERE kind = 2", (p,))
db.commit()
PY
	}
	set_params save
	run -4 open_with < <(pick 1 2 3)
	set_params restore
	# the slot moved to another row: its id is in the AAD too
	sqlite3 "$SC_VAULT/vault.db" "UPDATE keyslots SET id = 9 WHERE kind = 2"
	run -4 open_with < <(pick 1 2 3)
	sqlite3 "$SC_VAULT/vault.db" "UPDATE keyslots SET id = 2 WHERE kind = 2"
	# put back, it opens again
	pick 1 2 3 | open_with
}

@test "recovery split and open refuse bad arguments (2) and change nothing" {
	before=$(sc_vault_hash)
	run -2 sc recovery split
	run -2 sc recovery split --shares 5
	run -2 sc recovery split --shares 5 --threshold 6
	run -2 sc recovery split --shares 1 --threshold 1
	run -2 sc recovery split --shares 17 --threshold 2
	run -2 sc recovery split --shares 5 --threshold x
	run -2 sc recovery split --shares 5 --threshold 3 extra
	run -2 sc recovery open --shares-fd x
	run -2 --separate-stderr open_with < <(printf 'index\0birthday\n')
	[[ "$stderr" == *"NUL"* ]]
	run -2 --separate-stderr open_with < <(for i in $(seq 17); do echo "word$i"; done)
	[[ "$stderr" == *"more than 16 shares"* ]]
	[ "$(sc_vault_hash)" = "$before" ]
	[ "$(sc --json keyslot list | jq length)" -eq 1 ]
	# the wrong password makes no slot
	SECRETCTL_PASSWORD=wrong-password-1 run -4 sc recovery split --shares 3 --threshold 2
	[ "$(sc --json keyslot list | jq length)" -eq 1 ]
}

@test "recovery split --json gives the mnemonics; they open the vault" {
	run -0 --separate-stderr sc --json recovery split --shares 3 --threshold 2
	[ "$(jq '.mnemonics | length' <<<"$output")" -eq 3 ]
	[ "$(jq '.threshold' <<<"$output")" -eq 2 ]
	[ "$(jq '.slot' <<<"$output")" -eq 2 ]
	jq -r '.mnemonics[0], .mnemonics[2]' <<<"$output" | open_with
	SECRETCTL_PASSWORD=$NEWPW run -0 sc get api/key
}
