#!/usr/bin/env bats
# history.bats - a secret's versions as a user meets them: set keeps the
# old version and says so, a set that would drop parts is refused unless
# --replace, edit changes named parts, history names what changed (never a
# value), get --version, rollback, delete/undelete, purge, mv, cp and
# retention; through an unlocked agent too; every write audited.

bats_require_minimum_version 1.5.0

load helpers

setup() {
	sc_setup
	export SECRETCTL_NO_AGENT=1
	sc_init
}

set_from() {
	local v=$1
	shift
	printf '%s' "$v" | sc set "$@"
}

# the audit log names these operations (blinded names, so count the ops)
audit_ops() {
	sc audit list 2>/dev/null | awk '{print $4}' | tr '\n' ' '
}

@test "set on an existing name keeps the old version and says how to get it back" {
	run -0 set_from 'Value-One-a1b2c3d4' db --tag prod
	[ "$output" = "" ]
	run -0 set_from 'Value-Two-e5f6a7b8' db --tag prod
	[ "$output" = "secretctl: updated 'db' (version 2; 'secretctl rollback db' brings back version 1)" ]
	run -0 sc get db
	[ "$output" = Value-Two-e5f6a7b8 ]
	run -0 sc get db --version 1
	[ "$output" = Value-One-a1b2c3d4 ]
	run -0 --separate-stderr sc --json set db --tag prod < <(printf 'Value-Three-99887766')
	[ "$(jq -r .version <<<"$output")" = 3 ]
}

@test "set that would drop parts is refused, changes nothing, and names edit and --replace" {
	run -0 set_from 'Value-One-a1b2c3d4' db --secret-field value --field host=db1 \
		--binding DB_PASS=value --tag prod --notes 'rotate monthly' --url https://db.example
	sc_audit_mark
	run -9 set_from 'Value-Two-e5f6a7b8' db
	[[ "$output" == *"not replacing 'db'"* ]]
	[[ "$output" == *"field host"* ]]
	[[ "$output" == *"binding DB_PASS"* ]]
	[[ "$output" == *"tag prod"* ]]
	[[ "$output" == *"notes"* ]]
	[[ "$output" == *"url"* ]]
	[[ "$output" == *"secretctl edit db"* ]]
	[[ "$output" == *"--replace"* ]]
	[[ "$output" != *Value-* ]]
	run -0 sc get db
	[ "$output" = Value-One-a1b2c3d4 ]
	run -0 sc history db
	[ "${#lines[@]}" -eq 2 ]
	sc_assert_audit_appended
	# --replace: replaced whole, the old version kept
	run -0 set_from 'Value-Two-e5f6a7b8' db --replace
	[[ "$output" == *"updated 'db' (version 2;"* ]]
	run -0 sc get db
	[ "$output" = Value-Two-e5f6a7b8 ]
	run -0 sc get db --version 1 --field host
	[ "$output" = db1 ]
}

@test "edit changes named parts and keeps the rest" {
	run -0 set_from 'Value-One-a1b2c3d4' db --secret-field value --field host=db1 --tag prod
	run -0 sc edit db --field host=db2 --field port=5432 --tag eu --untag prod \
		--notes 'a note' --url https://db.example --binding DB_HOST=host --expires 30d
	[[ "$output" == *"updated 'db' (version 2;"* ]]
	run -0 sc get db
	[ "$output" = Value-One-a1b2c3d4 ]
	run -0 sc get db --field host
	[ "$output" = db2 ]
	run -0 sc get db --field port
	[ "$output" = 5432 ]
	run -0 sc list --tag eu
	[ "$output" = db ]
	run -0 sc list --tag prod
	[ "$output" = "" ]
	# a secret field from stdin; remove a field and the binding naming it
	printf 'Value-New-0f0e0d0c' | sc edit db --secret-field value
	run -0 sc get db
	[ "$output" = Value-New-0f0e0d0c ]
	run -0 sc edit db --remove-field host --notes '' --url '' --expires never
	run -0 sc history db
	[[ "${lines[1]}" == *"removed field host, binding DB_HOST, notes, url, expires" ]]
	run -0 sc get db --show-metadata
	[[ "$output" == *"url:      -"* ]]
	[[ "$output" == *"notes:    -"* ]]
	[[ "$output" == *"expires:  never"* ]]
	run -3 sc get db --field host
}

@test "edit: bad input is a one-line error with its exit status and changes nothing" {
	run -0 set_from 'Value-One-a1b2c3d4' db --secret-field value --field host=db1
	run -2 sc edit db
	[[ "$output" == *"nothing to change"* ]]
	run -3 sc edit nope --tag x
	[[ "$output" == *"no secret 'nope'"* ]]
	run -3 sc edit db --remove-field nope
	[[ "$output" == *"'db' has no field 'nope'"* ]]
	run -3 sc edit db --untag nope
	run -3 sc edit db --unbind NOPE
	run -3 sc edit db --binding X=nope
	run -2 sc edit db --remove-field value --remove-field host
	[[ "$output" == *"no field left"* ]]
	run -2 sc edit db --field 'bad name=1'
	run -2 sc edit db --expires yesterday-ish
	run -2 sc edit db --keep 0
	# a failed edit is audited as one, and the secret is as it was
	run -0 sc get db
	[ "$output" = Value-One-a1b2c3d4 ]
	run -0 sc get db --field host
	[ "$output" = db1 ]
	run -0 sc history db
	[ "${#lines[@]}" -eq 2 ]
}

@test "history names what changed, newest first, and never a value" {
	run -0 set_from 'Secret-Zero-1a2b3c4d' db --secret-field value --field host=Public-Host-55aa --tag prod
	run -0 set_from 'Secret-Uno-5e6f7a8b' db --secret-field value --field host=Public-Host-55aa --tag prod
	run -0 sc edit db --field port=Public-Port-66bb --untag prod --tag eu
	run -0 sc history db
	[ "${lines[0]}" = "VERSION  WRITTEN              CHANGES" ]
	[[ "${lines[1]}" =~ ^3\*\ +[0-9T:-]+Z\ added\ field\ port,\ tag\ eu\;\ removed\ tag\ prod$ ]]
	[[ "${lines[2]}" =~ ^2\ +[0-9T:-]+Z\ changed\ field\ value$ ]]
	[[ "${lines[3]}" =~ ^1\ +[0-9T:-]+Z\ created:\ field\ value,\ field\ host,\ tag\ prod$ ]]
	[ "${#lines[@]}" -eq 4 ]
	run -0 sc --json history db
	[ "$(jq -r '.versions[0].version' <<<"$output")" = 3 ]
	[ "$(jq -r '.versions[1].changes[0].change + " " + .versions[1].changes[0].name' \
		<<<"$output")" = "changed value" ]
	for out in "$(sc history db 2>&1)" "$(sc --json history db 2>&1)"; do
		[[ "$out" != *Secret-* ]]
		[[ "$out" != *Public-* ]]
	done
	run -3 sc history nope
	[ "$output" = "secretctl: no secret 'nope'" ]
	run -2 sc history
	run -2 sc history 'bad..name'
	[[ "$(audit_ops)" == *history* ]]
}

@test "get --version and rollback, with their error paths" {
	run -0 set_from 'Value-One-a1b2c3d4' k
	run -0 set_from 'Value-Two-e5f6a7b8' k
	run -0 set_from 'Value-Three-c0c0c0c0' k
	run -0 sc get k --version 2
	[ "$output" = Value-Two-e5f6a7b8 ]
	run -3 sc get k --version 9
	[ "$output" = "secretctl: 'k' has no version 9 (see 'secretctl history k')" ]
	run -2 sc get k --version 0
	run -2 sc get k --version two
	run -0 sc rollback k
	[ "$output" = "secretctl: rolled back 'k' to version 2 (now version 4; 'secretctl rollback k' undoes it)" ]
	run -0 sc get k
	[ "$output" = Value-Two-e5f6a7b8 ]
	run -0 sc rollback k --to 1
	run -0 sc get k
	[ "$output" = Value-One-a1b2c3d4 ]
	run -3 sc rollback k --to 9
	run -2 sc rollback k --to 5
	[[ "$output" == *"version 5 is the current one"* ]]
	run -2 sc rollback k --to x
	run -3 sc rollback nope
	run -0 sc history k
	[ "${#lines[@]}" -eq 6 ]
	run -0 sc get k
	[ "$output" = Value-One-a1b2c3d4 ]
	run -0 set_from 'Only-Version-77' single
	run -3 sc rollback single
	[[ "$output" == *"no earlier version"* ]]
	[[ "$(audit_ops)" == *rollback* ]]
}

@test "delete keeps the history, undelete brings it back, --purge erases it all" {
	run -0 set_from 'Value-One-a1b2c3d4' k
	run -0 set_from 'Value-Two-e5f6a7b8' k
	run -0 sc delete k
	run -3 sc get k
	run -0 sc history k
	[[ "$output" == *"'k' is deleted; 'secretctl undelete k' brings back version 2"* ]]
	run -0 sc undelete k
	[ "$output" = "secretctl: undeleted 'k' (version 2)" ]
	run -0 sc get k
	[ "$output" = Value-Two-e5f6a7b8 ]
	run -0 sc get k --version 1
	[ "$output" = Value-One-a1b2c3d4 ]
	run -7 sc undelete k
	run -3 sc undelete never-was
	# purge: gone, every version, from the database and its WAL
	run -0 sc delete k
	run -0 set_from 'Value-Three-c0c0c0c0' k
	run -0 sc delete --purge k
	run -3 sc get k
	run -3 sc history k
	run -3 sc undelete k
	run -3 sc delete --purge k
	[[ "$(audit_ops)" == *purge* ]]
	[[ "$(audit_ops)" == *undelete* ]]
	[ "$(sqlite3 "$SC_VAULT/vault.db" 'SELECT count(*) FROM history')" = 0 ]
}

@test "mv moves the history with the name; cp copies the current version" {
	run -0 set_from 'Value-One-a1b2c3d4' a
	run -0 set_from 'Value-Two-e5f6a7b8' a
	run -0 set_from 'Other-Value-11223344' taken
	run -0 sc mv a b
	run -3 sc get a
	run -0 sc get b
	[ "$output" = Value-Two-e5f6a7b8 ]
	run -0 sc get b --version 1
	[ "$output" = Value-One-a1b2c3d4 ]
	run -7 sc mv b taken
	[[ "$output" == *"'taken' exists"* ]]
	run -3 sc mv nope x
	run -2 sc mv b b
	run -2 sc mv b
	run -0 sc cp b c
	run -0 sc get c
	[ "$output" = Value-Two-e5f6a7b8 ]
	run -0 sc history c
	[ "${#lines[@]}" -eq 2 ]
	run -7 sc cp b taken
	[[ "$(audit_ops)" == *mv*cp* ]]
}

@test "retention: 10 versions by default, --keep N, history prune" {
	local i
	for i in $(seq 1 12); do
		printf 'Value-%02d-abcdefgh' "$i" | sc set k 2>/dev/null
	done
	run -0 sc history k
	[ "${#lines[@]}" -eq 11 ]
	[[ "${lines[10]}" == "3 "*"(the versions before it were pruned)" ]]
	run -3 sc get k --version 2
	run -0 sc get k --version 3
	[ "$output" = Value-03-abcdefgh ]
	printf 'Value-13-abcdefgh' | sc set k --keep 3 2>/dev/null
	run -0 sc history k
	[ "${#lines[@]}" -eq 4 ]
	run -0 sc history prune --keep 1
	[ "$output" = "secretctl: erased 2 old versions" ]
	run -0 sc history k
	[ "${#lines[@]}" -eq 2 ]
	run -0 sc get k
	[ "$output" = Value-13-abcdefgh ]
	run -2 sc history prune --keep 0
	run -2 sc history prune --keep 1001
	run -3 sc history prune nope
	run -2 set_from 'x-x-x-x-x-x' k --keep nope
}

@test "history through an unlocked agent, without the password" {
	local rt
	rt=$(mktemp -d /tmp/sc-hist-XXXXXX)
	export XDG_RUNTIME_DIR=$rt
	unset SECRETCTL_NO_AGENT
	run -0 set_from 'Value-One-a1b2c3d4' db
	run -0 set_from 'Value-Two-e5f6a7b8' db
	printf '%s\n' "$SC_PW" | sc unlock --password-fd 0 >/dev/null 2>&1
	unset SECRETCTL_PASSWORD
	run -0 --separate-stderr sc history db </dev/null
	[[ "${lines[1]}" == "2* "*"changed field value" ]]
	[[ "$output" != *Value-* ]]
	run -3 sc history nope </dev/null
	sc lock >/dev/null 2>&1 || true
	rm -rf "$rt"
}
