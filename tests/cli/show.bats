#!/usr/bin/env bats
# show.bats - `secretctl show NAME` (every part but the sensitive values,
# which are masked; through an agent in either mode) and `secretctl edit
# NAME` with no options: $EDITOR (a small script here) on the public parts
# in a private 0600 file, never a sensitive value; the file read back
# strictly; unchanged = no new version; a failing editor changes nothing.

bats_require_minimum_version 1.5.0

load helpers

PASS='Show-Secret-4d3c2b1a'

setup() {
	sc_setup
	export SECRETCTL_NO_AGENT=1
	sc_init
	printf '%s' "$PASS" | sc set db --field user=bob --field host=db.local \
		--secret-field-file password=/dev/stdin --binding DB_USER=user --tag prod \
		--notes 'line one' --url https://db.example --expires 2099-01-02 2>/dev/null
	cd "$BATS_TEST_TMPDIR"
}

teardown() {
	if [ -n "${RT:-}" ]; then
		SECRETCTL_NO_AGENT= "$SC_BIN" lock >/dev/null 2>&1 || true
		rm -rf "$RT"
	fi
}

# editor SCRIPT-BODY: an $EDITOR that runs the body with the file as $1
editor() {
	printf '#!/bin/sh\nset -e\n%s\n' "$1" >"$BATS_TEST_TMPDIR/ed.sh"
	chmod 755 "$BATS_TEST_TMPDIR/ed.sh"
	export EDITOR="$BATS_TEST_TMPDIR/ed.sh"
}

versions() {
	sc --json history db | jq '.versions | length'
}

@test "show: every part, sensitive values masked" {
	run -0 sc show db
	[ "${lines[0]}" = "name:     db" ]
	[[ "$output" == *"  user = bob"* ]]
	[[ "$output" == *"  host = db.local"* ]]
	[[ "$output" == *"  password = ******** (sensitive)"* ]]
	[[ "$output" == *"bindings: DB_USER=user"* ]]
	[[ "$output" == *"tags:     prod"* ]]
	[[ "$output" == *"url:      https://db.example"* ]]
	[[ "$output" == *"notes:    line one"* ]]
	[[ "$output" == *"expires:  2099-01-02T00:00:00Z"* ]]
	[[ "$output" != *"$PASS"* ]]
	run -0 sc --json show db
	[ "$(jq -r '.fields[] | select(.name == "user") | .value' <<<"$output")" = bob ]
	[ "$(jq -r '.fields[] | select(.name == "password") | .sensitive' <<<"$output")" = true ]
	[ "$(jq -r '.fields[] | select(.name == "password") | has("value")' <<<"$output")" = false ]
	[ "$(jq -r .bindings.DB_USER <<<"$output")" = user ]
	[ "$(jq -r .notes <<<"$output")" = "line one" ]
	[[ "$output" != *"$PASS"* ]]
	run -0 sc audit list --op show
	[[ "$output" == *show* ]]
}

@test "show: errors" {
	run -3 sc show nope
	[ "$output" = "secretctl: no secret 'nope'" ]
	run -2 sc show
	run -2 sc show '../x'
	[[ "$output" == *"invalid secret name"* ]]
	SECRETCTL_PASSWORD=wrong-password-000 run -4 sc show db
}

@test "show through a use-only agent: no value, no notes cross the socket" {
	RT=$(mktemp -d /tmp/sc-show-XXXXXX)
	export XDG_RUNTIME_DIR=$RT
	unset SECRETCTL_NO_AGENT
	printf '%s\n' "$SC_PW" | sc unlock --password-fd 0 >/dev/null
	unset SECRETCTL_PASSWORD
	run -0 sc show db
	[[ "$output" == *"  user = bob"* ]]
	[[ "$output" == *"  password = ******** (sensitive)"* ]]
	[[ "$output" == *"notes:    (set; the agent does not send notes"* ]]
	[[ "$output" != *"$PASS"* ]]
}

@test "edit with no options: the editor sees the public parts only, in private" {
	editor 'cp "$1" "'"$BATS_TEST_TMPDIR"'/seen"; stat -c %a "$1" "$(dirname "$1")" >"'"$BATS_TEST_TMPDIR"'/modes"; dirname "$1" >"'"$BATS_TEST_TMPDIR"'/dir"'
	run -0 sc edit db
	[ "$output" = "secretctl: 'db' is unchanged; no new version" ]
	[ "$(versions)" = 1 ]
	run -0 grep -v '^#' seen
	[ "$output" = "$(printf 'field user = bob\nfield host = db.local\nbinding DB_USER = user\ntag prod\nurl https://db.example\nnotes line one\nexpires 2099-01-02T00:00:00Z')" ]
	run -0 grep -c 'sensitive field (kept, not shown): password' seen
	run -1 grep -F "$PASS" seen
	[ "$(cat modes)" = "$(printf '600\n700')" ]
	# the file and its directory are gone
	[ ! -e "$(cat dir)" ]
}

@test "edit with no options: changes applied as one new version, secrets kept" {
	editor 'sed -i "s/^field user = bob$/field user = alice/; /^tag prod$/d; s/^notes .*/notes two\\\\nlines/" "$1"
echo "field port = 5432" >>"$1"
echo "tag staging" >>"$1"
sed -i "s/^expires .*/expires never/" "$1"'
	run -0 sc edit db
	[ "$output" = "secretctl: updated 'db' (version 2; 'secretctl rollback db' brings back version 1)" ]
	run -0 sc get db --field user
	[ "$output" = alice ]
	run -0 sc get db --field port
	[ "$output" = 5432 ]
	run -0 sc get db --field password
	[ "$output" = "$PASS" ]
	run -0 sc --json show db
	[ "$(jq -r '.tags | join(",")' <<<"$output")" = staging ]
	[ "$(jq -r .notes <<<"$output")" = "$(printf 'two\nlines')" ]
	[ "$(jq -r .expires_at <<<"$output")" = null ]
	[ "$(jq -r '.fields[] | select(.name == "password") | .sensitive' <<<"$output")" = true ]
	run -0 sc history db
	[[ "$output" == *"changed field user"* ]]
	[[ "$output" == *"added field port"* ]]
	# removing a field's line removes it (and a binding to it must go too)
	editor 'sed -i "/^field host/d" "$1"'
	run -0 sc edit db
	run -3 sc get db --field host
}

@test "edit with no options: a failing editor or a bad file changes nothing" {
	# (the vault's file changes anyway: the audit anchor records each failure)
	before=$(sc --json show db)
	editor 'echo "field user = mallory" >>"$1"; exit 3'
	run -1 sc edit db
	[ "$output" = "secretctl: the editor failed (exit 3); nothing changed" ]
	bad() {
		editor "$1"
		run -2 sc edit db
		[ "$output" = "secretctl: $2; nothing changed" ]
	}
	bad 'echo "field password = stolen" >>"$1"' "line 16: 'password' is a sensitive field: set it with --secret-field"
	bad 'echo "bogus line" >>"$1"' "line 16: unknown part 'bogus' (field, binding, tag, url, notes, expires)"
	bad 'echo "field user = twice" >>"$1"' "line 16: field 'user' is given twice"
	bad 'echo "field bad name = x" >>"$1"' "line 16: expected 'field NAME = VALUE' with a valid field name"
	bad 'echo "expires soonish" >>"$1"' "line 16: 'expires' is given twice"
	bad 'sed -i "s/^expires .*/expires soonish/" "$1"' "line 15: bad expiry 'soonish' (YYYY-MM-DD[THH:MM:SSZ], 30d, never)"
	bad 'echo "notes a\\\\qb" >>"$1"' "line 16: 'notes' is given twice"
	bad 'sed -i "s/^notes .*/notes a\\\\qb/" "$1"' "line 14: a backslash that is not '\\n' or '\\\\'"
	bad 'sed -i "/^field user/d" "$1"' "binding 'DB_USER' names no field 'user'"
	editor 'rm "$1"'
	run -1 sc edit db
	[ "$output" = "secretctl: the edited file is gone; nothing changed" ]
	[ "$(sc --json show db)" = "$before" ]
	[ "$(versions)" = 1 ]
	run -3 sc edit nope
	[ "$output" = "secretctl: no secret 'nope'" ]
	# no EDITOR and no terminal: a usage error, not a vi that waits forever
	unset EDITOR
	run -2 timeout 20 "$SC_BIN" edit db </dev/null
	[[ "$output" == *"nothing to change: name the parts"*"or set EDITOR"* ]]
}
