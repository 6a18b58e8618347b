#!/usr/bin/env bats
# import.bats - `secretctl import`: dotenv syntax read back byte for byte,
# each foreign format from a file in that tool's documented layout
# (tests/data/import, docs/IMPORT.md), malformed input refused with file
# and line (or JSON path) and the vault unchanged, --prefix, --tag,
# --on-conflict, --dry-run, the summary, progress, the audit entry, one
# transaction (a write failing in the middle changes nothing), and the
# round trip export -> import -> identical contents.

bats_require_minimum_version 1.5.0

load helpers

DATA=$BATS_TEST_DIRNAME/../data/import

setup() {
	sc_setup
	export SECRETCTL_NO_AGENT=1
	sc_init
}

teardown() {
	if [ -n "${GNUPGHOME:-}" ] && [ -d "$GNUPGHOME" ]; then
		gpgconf --kill gpg-agent 2>/dev/null || true
		rm -rf "$GNUPGHOME"
	fi
}

# one secret as compact JSON: name, fields [name, value, sensitive],
# bindings, tags, notes, url, expires
show() {
	sc export --format json "$1" 2>/dev/null |
		jq -c '.secrets[0] | {name, f: [.fields[] | [.name, .value, .sensitive]], bindings, tags, notes, url, expires}'
}

# the vault's contents, with the write times left out
contents() {
	sc export --format json 2>/dev/null | jq -S 'del(.secrets[].created, .secrets[].updated)'
}

@test "dotenv: export prefix, comments, blanks, both quotes, escapes, multi-line values" {
	cat >"$BATS_TEST_TMPDIR/a.env" <<'EOF'
# a comment line

export DB_URL=postgres://app@db.example/app
  API_KEY = "line1\nline2\t\"q\" \\ \$HOME"   # trailing comment
LITERAL='no $expansion \n here'
MULTI="first
second"
UNQUOTED=value with spaces   # comment
HASH=abc#not-a-comment
EMPTY=
EOF
	run -0 sc import "$BATS_TEST_TMPDIR/a.env" --format env
	[ "$output" = "imported 6, replaced 0, skipped 0 (1 empty value left out)" ]
	run -0 sc list
	[ "$output" = "$(printf '%s\n' API_KEY DB_URL HASH LITERAL MULTI UNQUOTED)" ]
	[ "$(sc get DB_URL)" = 'postgres://app@db.example/app' ]
	[ "$(sc get API_KEY)" = "$(printf 'line1\nline2\t"q" \\ $HOME')" ]
	[ "$(sc get LITERAL)" = 'no $expansion \n here' ]
	[ "$(sc get MULTI)" = "$(printf 'first\nsecond')" ]
	[ "$(sc get UNQUOTED)" = 'value with spaces' ]
	[ "$(sc get HASH)" = 'abc#not-a-comment' ]
	run -3 sc get EMPTY
	# each is one sensitive field 'value', named by its key as written
	[ "$(show API_KEY | jq -c .f[0][2])" = true ]
}

@test "dotenv: CRLF line ends and a byte order mark" {
	printf '\xef\xbb\xbfA_ONE=Crlf-Value-0001\r\nB_TWO="Crlf-Value-0002"\r\n' >"$BATS_TEST_TMPDIR/w.env"
	run -0 sc import "$BATS_TEST_TMPDIR/w.env" --format env
	[ "$(sc get A_ONE)" = Crlf-Value-0001 ]
	[ "$(sc get B_TWO)" = Crlf-Value-0002 ]
}

# bad_env LINE MESSAGE: the file fails naming itself, the line and the fault,
# exit 2, and the vault is byte for byte as before
bad_env() {
	local want=$1 msg=$2 before
	sc_put Existing-Secret 'Existing-Value-1234'
	before=$(sc_vault_hash)
	run -2 sc import "$BATS_TEST_TMPDIR/bad.env" --format env
	[ "${#lines[@]}" -eq 1 ]
	[ "$output" = "secretctl: cannot import '$BATS_TEST_TMPDIR/bad.env': line $want: $msg" ]
	[ "$(sc_vault_hash)" = "$before" ]
	run -0 sc list
	[ "$output" = Existing-Secret ]
}

@test "dotenv: an unterminated double quote names the line it opened on" {
	printf 'GOOD_ONE=Good-Value-0001\nGOOD_TWO=Good-Value-0002\nBAD="never closed\nMORE=x\n' >"$BATS_TEST_TMPDIR/bad.env"
	bad_env 3 "unterminated double-quoted value"
}

@test "dotenv: an unterminated single quote" {
	printf "GOOD_ONE=Good-Value-0001\nBAD='open\n" >"$BATS_TEST_TMPDIR/bad.env"
	bad_env 2 "unterminated single-quoted value"
}

@test "dotenv: a line that is not KEY=VALUE, and a bad key" {
	printf 'GOOD_ONE=Good-Value-0001\njust some words\n' >"$BATS_TEST_TMPDIR/bad.env"
	bad_env 2 "expected KEY=VALUE (KEY of [A-Za-z_][A-Za-z0-9_]*)"
	printf 'GOOD_ONE=Good-Value-0001\n\n1BAD=x\n' >"$BATS_TEST_TMPDIR/bad.env"
	run -2 sc import "$BATS_TEST_TMPDIR/bad.env" --format env
	[[ "$output" == *": line 3: expected KEY=VALUE"* ]]
}

@test "dotenv: an unknown escape, text after the quote, a stray quote, a key twice" {
	printf 'A_KEY="bad \\q escape"\n' >"$BATS_TEST_TMPDIR/bad.env"
	bad_env 1 "unknown escape '\\q' in a double-quoted value"
	printf 'A_KEY="quoted" tail\n' >"$BATS_TEST_TMPDIR/bad.env"
	run -2 sc import "$BATS_TEST_TMPDIR/bad.env" --format env
	[[ "$output" == *": line 1: unexpected text after the closing quote" ]]
	printf 'A_KEY=it"s\n' >"$BATS_TEST_TMPDIR/bad.env"
	run -2 sc import "$BATS_TEST_TMPDIR/bad.env" --format env
	[[ "$output" == *": line 1: a quote inside an unquoted value (quote the whole value)" ]]
	printf 'A_KEY=Value-0001\nB_KEY=Value-0002\nA_KEY=Value-0003\n' >"$BATS_TEST_TMPDIR/bad.env"
	run -2 sc import "$BATS_TEST_TMPDIR/bad.env" --format env
	[[ "$output" == *": line 3: 'A_KEY' is given twice" ]]
}

@test "a bad line after 500 good ones imports none of them" {
	for i in $(seq 1 500); do printf 'KEY_%d=Value-%08d\n' "$i" "$i"; done >"$BATS_TEST_TMPDIR/bad.env"
	printf 'BROKEN="no end\n' >>"$BATS_TEST_TMPDIR/bad.env"
	bad_env 501 "unterminated double-quoted value"
}

@test "a conflict in the middle of the file imports nothing (default --on-conflict error)" {
	sc_put B_KEY 'Already-There-0001'
	printf 'A_KEY=New-Value-0001\nB_KEY=New-Value-0002\nC_KEY=New-Value-0003\n' >"$BATS_TEST_TMPDIR/c.env"
	before=$(contents)
	hash=$(sc_vault_hash)
	run -7 sc import "$BATS_TEST_TMPDIR/c.env" --format env
	[ "$output" = "secretctl: not importing: 'B_KEY' exists in the vault (and 0 more); use --on-conflict skip or --on-conflict replace" ]
	[ "$(sc_vault_hash)" = "$hash" ]
	[ "$(contents)" = "$before" ]
	run -7 sc import "$BATS_TEST_TMPDIR/c.env" --format env --on-conflict error
}

@test "a write that fails in the middle of the transaction leaves the vault unchanged" {
	sc_fault_preload
	for i in $(seq 1 200); do printf 'KEY_%d=Value-%08d\n' "$i" "$i"; done >"$BATS_TEST_TMPDIR/t.env"
	sc_put Existing-Secret 'Existing-Value-1234'
	before=$(contents)
	# the audit entry is written after every secret, before COMMIT: fail it
	SC_FAULT_N=1 SC_FAULT_CALLS=write SC_FAULT_PATH='*/audit.log' LD_PRELOAD=$PRELOAD \
		run ! "$SC_BIN" import "$BATS_TEST_TMPDIR/t.env" --format env
	[[ "$output" == *"nothing imported"* ]]
	run -0 sc list
	[ "$output" = Existing-Secret ]
	[ "$(contents)" = "$before" ]
	run -0 sc audit verify
	# and the same import then goes through whole
	run -0 sc import "$BATS_TEST_TMPDIR/t.env" --format env
	[ "$output" = "imported 200, replaced 0, skipped 0" ]
	[ "$(sc list | wc -l)" -eq 201 ]
}

@test "--on-conflict skip and replace; replace keeps the old version in the history" {
	sc_put B_KEY 'Old-Value-0000001'
	printf 'A_KEY=New-Value-0001\nB_KEY=New-Value-0002\n' >"$BATS_TEST_TMPDIR/c.env"
	run -0 sc import "$BATS_TEST_TMPDIR/c.env" --format env --on-conflict skip
	[ "$output" = "imported 1, replaced 0, skipped 1" ]
	[ "$(sc get B_KEY)" = Old-Value-0000001 ]
	[ "$(sc get A_KEY)" = New-Value-0001 ]
	run -0 sc import "$BATS_TEST_TMPDIR/c.env" --format env --on-conflict replace
	[ "$output" = "imported 0, replaced 2, skipped 0" ]
	[ "$(sc get B_KEY)" = New-Value-0002 ]
	[ "$(sc get B_KEY --version 1)" = Old-Value-0000001 ]
	run -2 sc import "$BATS_TEST_TMPDIR/c.env" --format env --on-conflict merge
	[[ "$output" == *"bad --on-conflict 'merge' (error, skip or replace)"* ]]
}

@test "--dry-run says what would happen and changes nothing" {
	sc_put B_KEY 'Old-Value-0000001'
	printf 'A_KEY=New-Value-0001\nB_KEY=New-Value-0002\n' >"$BATS_TEST_TMPDIR/c.env"
	hash=$(sc_vault_hash)
	run -0 sc import "$BATS_TEST_TMPDIR/c.env" --format env --dry-run --on-conflict replace
	[ "$output" = "would import 1, replace 1, skip 0" ]
	run -7 sc import "$BATS_TEST_TMPDIR/c.env" --format env --dry-run
	[ "$(sc_vault_hash)" = "$hash" ]
	run -0 --separate-stderr sc --json import "$BATS_TEST_TMPDIR/c.env" --format env --dry-run --on-conflict skip
	[ "$(jq -c . <<<"$output")" = '{"dry_run":true,"imported":1,"replaced":0,"skipped":1,"empty":0}' ]
	[ "$(sc_vault_hash)" = "$hash" ]
}

@test "--prefix names and binds, --tag tags every secret" {
	printf 'DB_URL=Prefixed-Value-01\n' >"$BATS_TEST_TMPDIR/p.env"
	run -0 sc import "$BATS_TEST_TMPDIR/p.env" --format env --prefix app/ --tag imported --tag env
	[ "$(show app/DB_URL)" = '{"name":"app/DB_URL","f":[["value","Prefixed-Value-01",true]],"bindings":{"DB_URL":"value"},"tags":["imported","env"],"notes":null,"url":null,"expires":null}' ]
	# the binding gives the variable its old name under run
	run -0 sc run -k 'app/*' -- sh -c 'test "$DB_URL" = Prefixed-Value-01 && echo ok'
	[ "$output" = ok ]
	run -2 sc import "$BATS_TEST_TMPDIR/p.env" --format env --prefix /bad
	[[ "$output" == *"invalid --prefix '/bad'"* ]]
	run -2 sc import "$BATS_TEST_TMPDIR/p.env" --format env --tag 'bad tag'
	[[ "$output" == *"invalid tag 'bad tag'"* ]]
}

@test "usage errors and a missing file: exit 2 and 3, nothing asked or changed" {
	printf 'A_KEY=Value-0001\n' >"$BATS_TEST_TMPDIR/u.env"
	hash=$(sc_vault_hash)
	run -2 sc import
	[[ "$output" == *"missing FILE"* ]]
	run -2 sc import "$BATS_TEST_TMPDIR/u.env"
	[[ "$output" == *"--format is needed"* ]]
	run -2 sc import "$BATS_TEST_TMPDIR/u.env" --format yaml
	[[ "$output" == *"unknown --format 'yaml'"* ]]
	run -2 sc import "$BATS_TEST_TMPDIR/u.env" "$BATS_TEST_TMPDIR/u.env" --format env
	[[ "$output" == *"one FILE at a time"* ]]
	run -3 sc import "$BATS_TEST_TMPDIR/nope.env" --format env
	[[ "$output" == *"'$BATS_TEST_TMPDIR/nope.env'"* ]]
	run -2 sc import "$BATS_TEST_TMPDIR" --format env
	[[ "$output" == *"is a directory (only --format pass reads one)"* ]]
	[ "$(sc_vault_hash)" = "$hash" ]
}

@test "a wrong password imports nothing (exit 4)" {
	printf 'A_KEY=Value-0001\n' >"$BATS_TEST_TMPDIR/u.env"
	SECRETCTL_PASSWORD=wrong-password-000 run -4 sc import "$BATS_TEST_TMPDIR/u.env" --format env
	run -0 sc list
	[ "$output" = "" ]
}

@test "the import is audited as one entry with the imported names, blinded" {
	printf 'ALPHA_NAME_77=Audit-Value-0001\nBETA_NAME_88=Audit-Value-0002\n' >"$BATS_TEST_TMPDIR/a.env"
	sc_audit_mark
	run -0 sc import "$BATS_TEST_TMPDIR/a.env" --format env
	sc_assert_audit_appended
	run -0 sc audit list --json
	[ "$(jq -c '[.[] | select(.op == "import") | .secrets | length]' <<<"$output")" = '[2]' ]
	run -0 sc audit verify
	sc_assert_no_plaintext "$SC_VAULT" ALPHA_NAME_77 BETA_NAME_88 Audit-Value-0001
}

@test "progress on a terminal for a large file, none when stderr is not one" {
	command -v script >/dev/null || skip "script(1) not installed"
	for i in $(seq 1 1200); do printf 'KEY_%d=Value-%08d\n' "$i" "$i"; done >"$BATS_TEST_TMPDIR/big.env"
	run -0 script -qec "'$SC_BIN' import '$BATS_TEST_TMPDIR/big.env' --format env" /dev/null
	[[ "$output" == *"secretctl: importing 1200/1200"* ]]
	[[ "$output" == *"imported 1200, replaced 0, skipped 0"* ]]
	run -0 --separate-stderr sc import "$BATS_TEST_TMPDIR/big.env" --format env --on-conflict skip
	[ "$stderr" = "" ]
}

@test "round trip: export json -> import into a fresh vault -> identical contents" {
	printf 'Rt-Password-0001' | sc set db/prod --secret-field password --field host=db.example \
		--field port=5432 --binding PGPASSWORD=password --binding PGHOST=host --tag prod --tag db \
		--notes "$(printf 'rotate monthly\nsee the runbook')" --url https://db.example/admin \
		--expires 2031-01-02 --hint password=the-admin-one 2>/dev/null
	sc_put api/token 'Rt-Token-0002-with "quotes" and \\ back'
	printf 'bin\x01\xff\xfe\x00tail' | sc set blob --value-file /dev/stdin 2>/dev/null
	sc_put plain 'Rt-Plain-0003'
	run -0 sc export --format json -o "$BATS_TEST_TMPDIR/all.json"
	a=$(contents)
	export SECRETCTL_VAULT_DIR=$BATS_TEST_TMPDIR/fresh
	SC_VAULT=$SECRETCTL_VAULT_DIR sc_init
	run -0 sc import "$BATS_TEST_TMPDIR/all.json" --format json
	[ "$output" = "imported 4, replaced 0, skipped 0" ]
	b=$(contents)
	[ "$a" = "$b" ]
	[ "$(jq '.secrets | length' <<<"$b")" -eq 4 ]
	# the binary value came back byte for byte (get adds a newline)
	[ "$(sc get blob | od -An -tx1 | tr -d ' \n')" = "$(printf 'bin\x01\xff\xfe\x00tail\n' | od -An -tx1 | tr -d ' \n')" ]
}

@test "round trip through .env: export env -> import -> the same values" {
	sc_put A_KEY "$(printf 'multi\nline "v" $x \\ end')"
	sc_put B_KEY 'Plain-Value-0001'
	run -0 sc export --format env -o "$BATS_TEST_TMPDIR/all.env"
	export SECRETCTL_VAULT_DIR=$BATS_TEST_TMPDIR/fresh
	SC_VAULT=$SECRETCTL_VAULT_DIR sc_init
	run -0 sc import "$BATS_TEST_TMPDIR/all.env" --format env
	[ "$(sc get A_KEY)" = "$(printf 'multi\nline "v" $x \\ end')" ]
	[ "$(sc get B_KEY)" = Plain-Value-0001 ]
}

@test "json: malformed exports name the JSON path or line, exit 2" {
	printf '{"format":"secretctl-export","version":1,"secrets":[{"name":"ok","fields":[{"name":"value","value":"Good-1234"}]},{"name":"bad name","fields":[]}]}' >"$BATS_TEST_TMPDIR/b.json"
	run -2 sc import "$BATS_TEST_TMPDIR/b.json" --format json
	[ "$output" = "secretctl: cannot import '$BATS_TEST_TMPDIR/b.json': secrets[1]: invalid \"name\"" ]
	printf '{"format":"secretctl-export","version":1,"secrets":[{"name":"ok","fields":[{"name":"value"}]}]}' >"$BATS_TEST_TMPDIR/b.json"
	run -2 sc import "$BATS_TEST_TMPDIR/b.json" --format json
	[[ "$output" == *": secrets[0].fields[0]: needs one of \"value\" and \"value_base64\"" ]]
	printf '{"format":"secretctl-export","version":2,"secrets":[]}' >"$BATS_TEST_TMPDIR/b.json"
	run -2 sc import "$BATS_TEST_TMPDIR/b.json" --format json
	[[ "$output" == *": version: unsupported export version (this build reads 1)" ]]
	printf '{"format":"secretctl-export",\n"version":1,\n"secrets":[\n' >"$BATS_TEST_TMPDIR/b.json"
	run -2 sc import "$BATS_TEST_TMPDIR/b.json" --format json
	[[ "$output" == *": line 4, column 0: "* ]]
	run -2 sc import "$DATA/gosecretctl.json" --format json
	[[ "$output" == *"not a secretctl export"* ]]
	run -0 sc list
	[ "$output" = "" ]
}

@test "gosecretctl: the flat export and the --with-metadata one" {
	run -0 sc import "$DATA/gosecretctl.json" --format gosecretctl
	[ "$output" = "imported 3, replaced 0, skipped 0" ]
	[ "$(sc get API_KEY)" = sk-abc123-Go-Flat-01 ]
	[ "$(sc get aws/access_key)" = AKIAIOSFODNN7EXAMPLE ]
	run -0 sc import "$DATA/gosecretctl-meta.json" --format gosecretctl --prefix meta/
	[ "$(show meta/API_KEY)" = '{"name":"meta/API_KEY","f":[["value","sk-abc123-Go-Meta-02",true]],"bindings":{},"tags":["api","prod"],"notes":"Production API key","url":"https://console.example.com","expires":null}' ]
	[ "$(show meta/DB_PASSWORD | jq -r .expires)" = 2030-06-15T00:00:00Z ]
	run -2 sc import "$DATA/gosecretctl-bad.json" --format gosecretctl --prefix bad/
	[ "$output" = "secretctl: cannot import '$DATA/gosecretctl-bad.json': BAD: not a string or an object with \"value\"" ]
	run -3 sc get bad/API_KEY
}

@test "lastpass: the CSV export (quotes, newlines in fields, secure notes, groups)" {
	run -0 sc import "$DATA/lastpass.csv" --format lastpass
	[ "$output" = "imported 3, replaced 0, skipped 0" ]
	run -0 sc list
	[ "$output" = "$(printf '%s\n' Infra/Server-Note Mail Work/Dev/GitHub)" ]
	[ "$(show Work/Dev/GitHub)" = '{"name":"Work/Dev/GitHub","f":[["username","octocat",false],["password","Gh-pa,ss\"w0rd-7731",true]],"bindings":{},"tags":[],"notes":"recovery codes\nin the safe","url":"https://github.com/login","expires":null}' ]
	[ "$(show Infra/Server-Note | jq -c '[.f, .notes, .url]')" = '[[],"NoteType:Server\nHostname:db1",null]' ]
	[ "$(show Mail | jq -c .f)" = '[["username","alice@example.com",false],["password","Mail-Pass-2291",true],["totp","JBSWY3DPEHPK3PXP",true]]' ]
	run -0 sc import "$DATA/lastpass-crlf.csv" --format lastpass
	[ "$(show CRLF-Item | jq -c .f[1])" = '["password","Crlf-Pass-1\r\nsecond",true]' ]
}

@test "lastpass: malformed files name file and line; nothing imported" {
	hash=$(sc_vault_hash)
	run -2 sc import "$DATA/lastpass-bad-quote.csv" --format lastpass
	[ "$output" = "secretctl: cannot import '$DATA/lastpass-bad-quote.csv': line 3: unterminated quoted field" ]
	run -2 sc import "$DATA/lastpass-bad-header.csv" --format lastpass
	[ "$output" = "secretctl: cannot import '$DATA/lastpass-bad-header.csv': line 1: not a LastPass CSV header (no 'url' column)" ]
	run -2 sc import "$DATA/1password.csv" --format lastpass
	[[ "$output" == *"line 1: not a LastPass CSV header"* ]]
	[ "$(sc_vault_hash)" = "$hash" ]
}

@test "1password-csv: the CSV export (archived items left out, tags, one-time codes)" {
	run -0 sc import "$DATA/1password.csv" --format 1password-csv
	[ "$output" = "imported 2, replaced 0, skipped 0" ]
	[ "$(show Bank-Account)" = '{"name":"Bank-Account","f":[["username","alice",false],["password","Bank-Pass-5512",true],["totp","otpauth://totp/Bank:alice?secret=JBSWY3DPEHPK3PXP&issuer=Bank",true]],"bindings":{},"tags":["finance","home"],"notes":"Branch: Main St.","url":"https://bank.example.com","expires":null}' ]
	[ "$(show Wiki | jq -c .f[1])" = '["password","Wiki \"quoted\" pass",true]' ]
	run -3 sc get Old-Router --field password
	run -2 sc import "$DATA/1password-bad.csv" --format 1password-csv --prefix x/
	[ "$output" = "secretctl: cannot import '$DATA/1password-bad.csv': line 3: text after a closing quote" ]
	run -3 sc get x/Good --field password
}

@test "bitwarden: the unencrypted JSON export (login, custom fields, note, card)" {
	run -0 sc import "$DATA/bitwarden.json" --format bitwarden
	[ "$output" = "imported 3, replaced 0, skipped 0" ]
	[ "$(show Social/Mastodon)" = '{"name":"Social/Mastodon","f":[["username","alice",false],["password","Masto-Pass-4431",true],["totp","otpauth://totp/Mastodon:alice?secret=JBSWY3DPEHPK3PXP",true],["recovery-code","Rc-8842-1177",true],["plan","free",false],["remember-me","true",false]],"bindings":{},"tags":[],"notes":"2FA on","url":"https://mastodon.social","expires":null}' ]
	[ "$(show Wifi | jq -c '[.f, .notes]')" = '[[],"the code is 1234-5678"]' ]
	[ "$(show Visa | jq -c '[.f[] | select(.[2]) | .[0]]')" = '["number","code"]' ]
	[ "$(sc get Visa --field number)" = 4111111111111111 ]
}

@test "bitwarden: malformed, truncated and encrypted exports are refused" {
	hash=$(sc_vault_hash)
	run -2 sc import "$DATA/bitwarden-bad-type.json" --format bitwarden
	[ "$output" = "secretctl: cannot import '$DATA/bitwarden-bad-type.json': items[1]: \"type\" is not 1 (login), 2 (note), 3 (card), 4 (identity) or 5" ]
	run -2 sc import "$DATA/bitwarden-truncated.json" --format bitwarden
	[[ "$output" == *"bitwarden-truncated.json': line "*", column "* ]]
	run -2 sc import "$DATA/bitwarden-encrypted.json" --format bitwarden
	[[ "$output" == *"encrypted: an encrypted Bitwarden export"* ]]
	[ "$(sc_vault_hash)" = "$hash" ]
}

@test "1pux: the archive (zip with export.data) from 1Password" {
	zip -q -X -j "$BATS_TEST_TMPDIR/a.1pux" "$DATA/1pux/export.attributes" "$DATA/1pux/export.data"
	run -0 sc import "$BATS_TEST_TMPDIR/a.1pux" --format 1pux
	[ "$output" = "imported 2, replaced 0, skipped 0" ]
	run -0 sc list
	[ "$output" = "$(printf '%s\n' Personal/Router-Admin Personal/Shop-Login)" ]
	[ "$(show Personal/Shop-Login)" = '{"name":"Personal/Shop-Login","f":[["username","alice@example.com",false],["password","Op-Login-Pass-7781",true],["pin","9876-Op",true],["account-number","12-3456",false]],"bindings":{},"tags":["shopping","Home-Stuff"],"notes":"login for the shop","url":"https://shop.example.com/login","expires":null}' ]
	[ "$(sc get Personal/Router-Admin --field password)" = Op-Password-Item-3321 ]
}

@test "1pux: not a zip, no export.data, a malformed item" {
	hash=$(sc_vault_hash)
	run -2 sc import "$DATA/bitwarden.json" --format 1pux
	[[ "$output" == *"bitwarden.json': not a zip archive (a .1pux is one)"* ]]
	zip -q -X -j "$BATS_TEST_TMPDIR/no-data.1pux" "$DATA/1pux/export.attributes"
	run -2 sc import "$BATS_TEST_TMPDIR/no-data.1pux" --format 1pux
	[[ "$output" == *"no-data.1pux': no export.data in the archive" ]]
	zip -q -X -j "$BATS_TEST_TMPDIR/bad.1pux" "$DATA/1pux-bad/export.attributes" "$DATA/1pux-bad/export.data"
	run -2 sc import "$BATS_TEST_TMPDIR/bad.1pux" --format 1pux
	[ "$output" = "secretctl: cannot import '$BATS_TEST_TMPDIR/bad.1pux': export.data: accounts[0].vaults[0].items[1]: an item needs \"overview\" and \"details\" objects" ]
	[ "$(sc_vault_hash)" = "$hash" ]
}

# a password store made and encrypted by the real gpg, with a throwaway key
make_store() {
	command -v gpg >/dev/null || skip "gpg not installed"
	GNUPGHOME=$(mktemp -d /tmp/sc-gnupg.XXXXXX)
	export GNUPGHOME
	gpg --batch --passphrase '' --quick-gen-key 'Import Test <import@example.com>' default default never 2>/dev/null
	STORE=$BATS_TEST_TMPDIR/store
	mkdir -p "$STORE/email" "$STORE/.git"
	echo import@example.com >"$STORE/.gpg-id"
	printf 'Pass-Gmail-7781\nlogin: alice@example.com\nurl: https://mail.example.com\notpauth://totp/Gmail:alice?secret=JBSWY3DPEHPK3PXP\nrecovery in the drawer\n' |
		gpg --batch --trust-model always -e -r import@example.com -o "$STORE/email/gmail.gpg"
	printf 'Pass-Token-0042' | gpg --batch --trust-model always -e -r import@example.com -o "$STORE/api-token.gpg"
	echo 'not an entry' >"$STORE/README"
}

@test "pass: a password store decrypted through gpg" {
	make_store
	run -0 sc import "$STORE" --format pass --prefix pass/
	[ "$output" = "imported 2, replaced 0, skipped 0" ]
	run -0 sc list
	[ "$output" = "$(printf '%s\n' pass/api-token pass/email/gmail)" ]
	[ "$(show pass/email/gmail)" = '{"name":"pass/email/gmail","f":[["password","Pass-Gmail-7781",true],["login","alice@example.com",false],["totp","otpauth://totp/Gmail:alice?secret=JBSWY3DPEHPK3PXP",true]],"bindings":{},"tags":[],"notes":"recovery in the drawer","url":"https://mail.example.com","expires":null}' ]
	[ "$(sc get pass/api-token --field password)" = Pass-Token-0042 ]
}

@test "pass: an entry gpg cannot decrypt fails the whole import" {
	make_store
	echo 'garbage, not OpenPGP' >"$STORE/zz-broken.gpg"
	hash=$(sc_vault_hash)
	run -1 --separate-stderr sc import "$STORE" --format pass
	[[ "$stderr" == *"secretctl: cannot import '$STORE': zz-broken.gpg: gpg could not decrypt it (exit status 2)"* ]]
	[ "$(sc_vault_hash)" = "$hash" ]
	run -3 sc import "$BATS_TEST_TMPDIR/no-store" --format pass
}

@test "10,000 lines: never held whole in guarded memory (one region per value would not fit)" {
	for i in $(seq 1 10000); do printf 'KEY_%d=Value-%08d-abcdef\n' "$i" "$i"; done >"$BATS_TEST_TMPDIR/big.env"
	run -0 sc import "$BATS_TEST_TMPDIR/big.env" --format env --tag bulk
	[ "$output" = "imported 10000, replaced 0, skipped 0" ]
	[ "$(sc list --tag bulk | wc -l)" -eq 10000 ]
	[ "$(sc get KEY_9999)" = Value-00009999-abcdef ]
}
