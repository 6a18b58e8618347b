#!/usr/bin/env bats
# export.bats - `secretctl export`: .env lines named as `run` names them,
# our versioned JSON with every part of a secret, patterns, -o files new
# and 0600 (an existing file refused), no .env on a terminal without
# --force, the password asked every time (an unlocked agent, even with
# --reveal, does not serve it), and the audit entry with the names.

bats_require_minimum_version 1.5.0

load helpers

setup() {
	sc_setup
	export SECRETCTL_NO_AGENT=1
	sc_init
}

teardown() {
	if [ -n "${RT:-}" ]; then
		SECRETCTL_NO_AGENT=0 "$SC_BIN" lock >/dev/null 2>&1 || true
		rm -rf "$RT"
	fi
}

fill() {
	sc_put api/key 'Exp-Api-Key-0001'
	printf 'Exp-Db-Pass-0002' | sc set db/prod --secret-field password --field host=db.example \
		--binding PGPASSWORD=password --binding PGHOST=host --tag prod \
		--notes 'rotate monthly' --url https://db.example --expires 2031-01-02 \
		--hint password=admin 2>/dev/null
	sc_put other 'Exp "quoted" $value\with'
}

@test "env: one line per variable, named as run names them, bindings verbatim" {
	fill
	run -0 --separate-stderr sc export --format env
	[ "$output" = "$(printf '%s\n' 'API_KEY=Exp-Api-Key-0001' 'PGPASSWORD=Exp-Db-Pass-0002' 'PGHOST=db.example' 'OTHER="Exp \"quoted\" \$value\\with"')" ]
	[ "$stderr" = "" ]
	# env is the default format
	run -0 --separate-stderr sc export
	[ "${#lines[@]}" -eq 4 ]
	# and a shell reading it back gets the same bytes
	eval "$(sc export other)"
	[ "$OTHER" = 'Exp "quoted" $value\with' ]
}

@test "patterns select secrets; one that matches nothing is exit 3, a bad one exit 2" {
	fill
	run -0 sc export 'api/*' other
	[ "$output" = "$(printf '%s\n' 'API_KEY=Exp-Api-Key-0001' 'OTHER="Exp \"quoted\" \$value\\with"')" ]
	run -3 sc export 'api/*' 'nothing/*'
	[ "$output" = "secretctl: no secret matches 'nothing/*'" ]
	run -2 sc export '../x'
	[[ "$output" == *"invalid name or pattern '../x'"* ]]
	run -2 sc export --format yaml
	[[ "$output" == *"unknown --format 'yaml' (env or json)"* ]]
}

@test "json: versioned, with every field, flag, hint, binding, tag, notes, url, expiry" {
	fill
	run -0 --separate-stderr sc export --format json db/prod
	[ "$(jq -r .format <<<"$output")" = secretctl-export ]
	[ "$(jq -r .version <<<"$output")" = 1 ]
	[ "$(jq -c '.secrets[0] | del(.created, .updated)' <<<"$output")" = '{"name":"db/prod","fields":[{"name":"password","value":"Exp-Db-Pass-0002","sensitive":true,"hint":"admin"},{"name":"host","value":"db.example","sensitive":false}],"bindings":{"PGPASSWORD":"password","PGHOST":"host"},"tags":["prod"],"notes":"rotate monthly","url":"https://db.example","expires":"2031-01-02T00:00:00Z"}' ]
	[[ "$(jq -r '.secrets[0].created' <<<"$output")" =~ ^20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:]+Z$ ]]
	# a value that is not text goes as base64
	printf '\xff\x00\x01' | sc set bin --value-file /dev/stdin 2>/dev/null
	run -0 --separate-stderr sc export --format json bin
	[ "$(jq -c '.secrets[0].fields[0]' <<<"$output")" = '{"name":"value","value_base64":"/wAB","sensitive":true}' ]
}

@test "-o FILE: created new with mode 0600; an existing file is refused and kept" {
	fill
	run -0 sc export --format json -o "$BATS_TEST_TMPDIR/out.json"
	[ "$output" = "secretctl: exported 3 secrets to '$BATS_TEST_TMPDIR/out.json' (plaintext: delete it when done)" ]
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/out.json")" = 600 ]
	[ "$(jq '.secrets | length' "$BATS_TEST_TMPDIR/out.json")" -eq 3 ]
	echo keep-me >"$BATS_TEST_TMPDIR/exists.env"
	run -7 sc export -o "$BATS_TEST_TMPDIR/exists.env"
	[[ "$output" == *"cannot create '$BATS_TEST_TMPDIR/exists.env': it exists"* ]]
	[ "$(cat "$BATS_TEST_TMPDIR/exists.env")" = keep-me ]
	# nor through a symlink, even a dangling one
	ln -s "$BATS_TEST_TMPDIR/target" "$BATS_TEST_TMPDIR/link.env"
	run -7 sc export -o "$BATS_TEST_TMPDIR/link.env"
	[ ! -e "$BATS_TEST_TMPDIR/target" ]
	run -0 sc export --force -o "$BATS_TEST_TMPDIR/f.env"
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/f.env")" = 600 ]
	[ "$(grep -c . "$BATS_TEST_TMPDIR/f.env")" -eq 4 ]
}

@test "env is not printed to a terminal without --force; json and -o are" {
	command -v script >/dev/null || skip "script(1) not installed"
	fill
	run -2 script -qec "'$SC_BIN' export" /dev/null
	[[ "$output" == *"not printing secrets to a terminal; use -o FILE, a pipe, or --force"* ]]
	[[ "$output" != *Exp-Api-Key-0001* ]]
	run -0 script -qec "'$SC_BIN' export --force api/key" /dev/null
	[[ "$output" == *"API_KEY=Exp-Api-Key-0001"* ]]
	run -0 script -qec "'$SC_BIN' export -o '$BATS_TEST_TMPDIR/t.env'" /dev/null
	[ -f "$BATS_TEST_TMPDIR/t.env" ]
}

@test "the password is asked every time: wrong or missing is exit 4, nothing written" {
	fill
	SECRETCTL_PASSWORD=wrong-password-000 run -4 sc export -o "$BATS_TEST_TMPDIR/w.env"
	[ ! -e "$BATS_TEST_TMPDIR/w.env" ]
	run -4 env -u SECRETCTL_PASSWORD "$SC_BIN" export -o "$BATS_TEST_TMPDIR/w.env" </dev/null
	[ ! -e "$BATS_TEST_TMPDIR/w.env" ]
}

@test "an unlocked agent (even --reveal) does not serve an export" {
	fill
	RT=$(mktemp -d /tmp/sc-exp-XXXXXX)
	export XDG_RUNTIME_DIR=$RT SECRETCTL_NO_AGENT=0
	printf '%s\n' "$SC_PW" | "$SC_BIN" unlock --reveal --password-fd 0 >/dev/null 2>&1
	unset SECRETCTL_PASSWORD
	run -0 sc get api/key
	[ "$output" = Exp-Api-Key-0001 ]
	run -4 sc export --format json </dev/null
	[[ "$output" != *Exp-Api-Key-0001* ]]
}

@test "export is audited with the names exported, before anything is written" {
	fill
	sc_audit_mark
	run -0 sc export 'api/*' other -o "$BATS_TEST_TMPDIR/a.env"
	sc_assert_audit_appended
	run -0 sc audit list --json
	[ "$(jq -c '[.[] | select(.op == "export") | [.secrets[].name]]' <<<"$output")" = '[["api/key","other"]]' ]
	sc_assert_no_plaintext "$SC_VAULT" api/key Exp-Api-Key-0001
	# an export the log cannot take does not happen
	sc_fault_preload
	SC_FAULT_N=1 SC_FAULT_CALLS=write SC_FAULT_PATH='*/audit.log' LD_PRELOAD=$PRELOAD \
		run ! "$SC_BIN" export -o "$BATS_TEST_TMPDIR/b.env"
	[[ "$output" == *"cannot record the export in the audit log"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/b.env" ]
}

@test "more secrets than one audit entry holds: every name is recorded" {
	for i in $(seq 1 600); do printf 'K_%d=Value-%08d\n' "$i" "$i"; done >"$BATS_TEST_TMPDIR/big.env"
	sc import "$BATS_TEST_TMPDIR/big.env" --format env >/dev/null
	run -0 sc export -o "$BATS_TEST_TMPDIR/all.env"
	run -0 sc audit list --json
	[ "$(jq -c '[.[] | select(.op == "export") | .secrets | length]' <<<"$output")" = '[512,88]' ]
	[ "$(jq -c '[.[] | select(.op == "import") | .secrets | length]' <<<"$output")" = '[512,88]' ]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/all.env")" -eq 600 ]
}

@test "env: values a .env cannot hold and variable clashes are refused (exit 2)" {
	printf 'a\x00b' | sc set nul --value-file /dev/stdin 2>/dev/null
	run -2 sc export nul
	[[ "$output" == *"'nul' field 'value' holds a NUL byte, which a .env cannot"* ]]
	sc_put a-b 'Clash-Value-0001'
	sc_put a.b 'Clash-Value-0002'
	run -2 sc export 'a?b'
	[[ "$output" == *"'a-b' and 'a.b' both give variable A_B"* ]]
	# json holds both
	run -0 --separate-stderr sc export --format json 'a?b' nul
	[ "$(jq '.secrets | length' <<<"$output")" -eq 3 ]
}

@test "an empty vault exports nothing, as a valid document" {
	run -0 --separate-stderr sc export --format json
	[ "$(jq -c . <<<"$output")" = '{"format":"secretctl-export","version":1,"secrets":[]}' ]
	run -0 --separate-stderr sc export
	[ "$output" = "" ]
}
