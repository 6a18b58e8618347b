#!/usr/bin/env bats
# doctor.bats - `secretctl doctor` (and `security`): weak, duplicate, expired
# and expiring values, loose permissions, the data key's age, the policy
# report's warnings, the run mode; text and --json; exit 0 when clean, 1
# with findings; never a value in its output.

bats_require_minimum_version 1.5.0

load helpers

setup() {
	sc_setup
	export SECRETCTL_NO_AGENT=1
	sc_init
}

strong() {
	head -c 24 /dev/urandom | base64 -w0
}

@test "a clean vault: exit 0, the run mode and the data key said" {
	sc_put api/token "$(strong)"
	sc_put db/pw "$(strong)"
	run -0 sc doctor
	[[ "$output" == *"2 secrets checked, 0 findings"* ]]
	[[ "$output" == *"run mode: children run as you: any process of your uid"*"'secretctl setup system-agent' (root) moves the vault and its runs under a dedicated user"* ]]
	[[ "$output" == *"data key: version 1, made "*" (0 days ago; cryptoperiod 365 days)"* ]]
	[[ "$output" == *"policy: no MCP policy file"* ]]
	run -0 --separate-stderr sc --json doctor
	[ "$(jq -r .clean <<<"$output")" = true ]
	[ "$(jq -r '.findings | length' <<<"$output")" = 0 ]
	[ "$(jq -r .secrets <<<"$output")" = 2 ]
	[[ "$(jq -r .run_mode <<<"$output")" == *"children run as you"* ]]
	# security is the same command
	run -0 sc security
	[[ "$output" == *"2 secrets checked, 0 findings"* ]]
}

@test "weak, duplicate, expired and expiring values are found; no value printed" {
	local dupv
	dupv=$(strong)
	sc_put short 'abc123'
	sc_put same 'aaaaaaaaaaaaaaaaaaaaaaaa'
	sc_put dup/one "$dupv"
	sc_put dup/two "$dupv"
	printf '%s' "$(strong)" | sc set soon --value-file /dev/stdin --expires 3d 2>/dev/null
	printf '%s' "$(strong)" | sc set later --value-file /dev/stdin --expires 90d 2>/dev/null
	printf '%s' "$(strong)" | sc set gone --value-file /dev/stdin --expires 2020-01-01 2>/dev/null
	run -1 sc doctor
	[[ "$output" == *"  short        short/value: 6 bytes long (fewer than 12)"* ]]
	[[ "$output" == *"  low_entropy  same/value: about 0 bits of strength (below 50)"* ]]
	[[ "$output" == *"  duplicate    dup/two/value: the same value as dup/one/value"* ]]
	[[ "$output" == *"  expiring     soon: expires in "[23]" days"* ]]
	[[ "$output" == *"  expired      gone: expired "*" days ago"* ]]
	[[ "$output" != *later* ]]
	[[ "$output" == *"7 secrets checked, 5 findings"* ]]
	[[ "$output" != *"$dupv"* ]]
	[[ "$output" != *abc123* ]]
	# --within widens the window
	run -1 sc doctor --within 100d
	[[ "$output" == *"  expiring     later: expires in "[89][90]" days"* ]]
	run -1 --separate-stderr sc --json doctor
	[ "$(jq -r .clean <<<"$output")" = false ]
	[ "$(jq -r '[.findings[].kind] | sort | join(",")' <<<"$output")" = "duplicate,expired,expiring,low_entropy,short" ]
	[ "$(jq -r '.findings[] | select(.kind == "duplicate") | .subject' <<<"$output")" = dup/two/value ]
	# the report is read, audited
	run -0 sc audit list
	[[ "$output" == *" doctor "* ]]
}

@test "duplicates are found by a keyed hash; no digest of the value is printed" {
	local v
	v=$(strong)
	sc_put a "$v"
	sc_put b "$v"
	run -1 sc doctor
	[[ "$output" == *"duplicate    b/value: the same value as a/value"* ]]
	# no digest of the value in the output: neither its BLAKE2b nor its SHA-256
	run -1 sc --json doctor
	[[ "$output" != *"$(printf '%s' "$v" | b2sum | cut -c1-16)"* ]]
	[[ "$output" != *"$(printf '%s' "$v" | sha256sum | cut -c1-16)"* ]]
}

@test "loose permissions are found, even when the vault then refuses to open" {
	sc_put db/pw "$(strong)"
	chmod 644 "$SC_VAULT/audit.log"
	run -1 sc doctor
	[[ "$output" == *"  permissions  $SC_VAULT/audit.log: mode 0644"* ]]
	[[ "$output" == *"the vault refuses to open until this is fixed; values not checked"* ]]
	chmod 600 "$SC_VAULT/audit.log"
	chmod 755 "$SC_VAULT"
	run -1 sc doctor
	[[ "$output" == *"  permissions  $SC_VAULT: mode 0755"* ]]
	chmod 700 "$SC_VAULT"
	run -0 sc doctor
}

@test "policy rules that let secrets reach programs are findings" {
	sc_put db/pw "$(strong)"
	printf 'version: 1\ndefault_action: allow\n' >"$SC_VAULT/mcp-policy.yaml"
	chmod 600 "$SC_VAULT/mcp-policy.yaml"
	run -1 sc doctor
	[[ "$output" == *"  policy       mcp-policy.yaml: default_action: allow: every program"* ]]
	printf 'version: 1\nallowed_commands:\n  - curl\n' >"$SC_VAULT/mcp-policy.yaml"
	run -1 sc doctor
	[[ "$output" == *"  policy       mcp-policy.yaml: line 3: 'curl' reads files it is given"* ]]
	printf 'version: 1\nnot yaml: [\n' >"$SC_VAULT/mcp-policy.yaml"
	run -1 sc doctor
	[[ "$output" == *"  policy       mcp-policy.yaml: $SC_VAULT/mcp-policy.yaml: line "* ]]
}

@test "doctor needs the password and takes no operand" {
	SECRETCTL_PASSWORD=wrong-password-1 run -4 sc doctor
	run -2 sc doctor extra
	run -2 sc doctor --within soon
	SECRETCTL_VAULT_DIR=$BATS_TEST_TMPDIR/none run -3 sc doctor
}
