#!/usr/bin/env bats
# refs.bats - secret references secretctl://NAME[/FIELD]: `read` (as get,
# strict parsing, no percent-encoding), `run --env-file` (dotenv lines,
# references injected and redacted, plain values passed through, a bad
# line is FILE:LINE and nothing runs; through the agent under the policy),
# and `inject` (a new 0600 file, password-gated, no file left on error).

bats_require_minimum_version 1.5.0

load helpers

VAL='Ref-Value-5f2e8c1a9b'
PASS='Db-Pass-77aa33cc11'

setup() {
	sc_setup
	export SECRETCTL_NO_AGENT=1
	sc_init
	sc_put api/key "$VAL"
	printf '%s' "$PASS" | sc set db --field user=bob --field host=db.local \
		--secret-field-file password=/dev/stdin 2>/dev/null
	cd "$BATS_TEST_TMPDIR"
}

teardown() {
	if [ -n "${RT:-}" ]; then
		SECRETCTL_NO_AGENT= "$SC_BIN" lock >/dev/null 2>&1 || true
		rm -rf "$RT"
	fi
}

start_agent() {
	RT=$(mktemp -d /tmp/sc-refs-XXXXXX)
	export XDG_RUNTIME_DIR=$RT
	unset SECRETCTL_NO_AGENT
	printf '%s\n' "$SC_PW" | sc unlock --password-fd 0 "$@" >/dev/null
	unset SECRETCTL_PASSWORD
}

@test "read: the whole path names a secret, else NAME/FIELD" {
	run -0 sc read secretctl://api/key
	[ "$output" = "$VAL" ]
	run -0 sc read secretctl://db/user
	[ "$output" = bob ]
	run -0 sc read secretctl://db/password
	[ "$output" = "$PASS" ]
	run -0 sc read --raw secretctl://db/host
	[ "$output" = db.local ]
	run -0 sc --json read secretctl://db/user
	[ "$(jq -r .value <<<"$output")" = bob ]
	# a secret named like NAME/FIELD wins over the field
	sc_put db/user 'whole-name-wins'
	run -0 sc read secretctl://db/user
	[ "$output" = whole-name-wins ]
	# audited as a get of the secret found
	run -0 sc audit list --op get
	[[ "$output" == *get* ]]
}

@test "read: errors and exit statuses" {
	run -2 sc read secretctl://db
	[ "$output" = "secretctl: 'db' has several fields; name one: secretctl://db/FIELD" ]
	run -3 sc read secretctl://db/nope
	[ "$output" = "secretctl: 'db' has no field 'nope'" ]
	run -3 sc read secretctl://nope/x
	[ "$output" = "secretctl: no secret for 'secretctl://nope/x'" ]
	run -2 sc read
	[[ "$output" == *"missing secretctl://NAME[/FIELD]"* ]]
	run -2 sc read secretctl://a secretctl://b
	[[ "$output" == *"too many arguments"* ]]
	SECRETCTL_PASSWORD=wrong-password-000 run -4 sc read secretctl://api/key
}

@test "read: strict syntax, no percent-encoding" {
	for bad in 'api/key' 'secretctl:api/key' 'SECRETCTL://api/key' 'secretctl:///api/key' \
		'secretctl://api/key/' 'secretctl://api//key' 'secretctl://api%2Fkey' \
		'secretctl://api/key?x=1' 'secretctl://api/key#f' 'secretctl://' 'secretctl://../x' \
		'secretctl://user@host/x' 'secretctl://a b'; do
		run -2 sc read "$bad"
		[[ "$output" == *"is not a secret reference"* ]] || { echo "accepted: $bad"; false; }
	done
	run -2 sc read 'secretctl://api%2Fkey'
	[[ "$output" == *"no percent-encoding"* ]]
	run -2 sc read 'https://x'
	[[ "$output" == *"does not start with secretctl://"* ]]
}

@test "read through an agent: values only with --reveal, names resolved there" {
	start_agent
	# use-only: the agent refuses values; no password: a clear failure
	run -4 sc read secretctl://api/key
	sc lock >/dev/null
	start_agent --reveal
	run -0 sc read secretctl://api/key
	[ "$output" = "$VAL" ]
	run -0 sc read secretctl://db/user
	[ "$output" = bob ]
	run -3 sc read secretctl://db/nope
	[ "$output" = "secretctl: 'db' has no field 'nope'" ]
}

@test "run --env-file: references injected and redacted, plain values passed" {
	cat >app.env <<'ENV'
# a comment, then a blank line

export API_KEY=secretctl://api/key
DB_PASS="secretctl://db/password"
DB_USER = 'secretctl://db/user'
PLAIN=hello world   # a comment after a bare value
QUOTED="tab\there $HOME"
SINGLE='$literal # not a comment'
ENV
	run -0 sc run --env-file app.env -- sh -c \
		'[ "$API_KEY" = "$1" ] && [ "$DB_PASS" = "$2" ] && echo ok; echo "$API_KEY|$DB_USER|$PLAIN|$QUOTED|$SINGLE"' \
		sh "$VAL" "$PASS"
	[ "${lines[0]}" = ok ]
	[ "${lines[1]}" = "[REDACTED:API_KEY]|bob|hello world|$(printf 'tab\there $HOME')|\$literal # not a comment" ]
	# references inject only their variable, not the secret's fields
	run -0 sc run --env-file app.env -- sh -c 'echo "${API_KEY_VALUE:-none}${DB_HOST:-none}"'
	[ "$output" = nonenone ]
	# with -k as well; a plain variable wins over the caller's
	printf 'PLAIN=from the file\nK=secretctl://api/key\n' >p.env
	PLAIN=outer run -0 sc run -k db --env-file p.env -- sh -c 'echo "$DB_HOST $PLAIN $K"'
	[ "$output" = "db.local from the file [REDACTED:K]" ]
	# audited as a run of the secrets behind the references
	run -0 sc audit list --op run
	[[ "$output" == *run* ]]
}

@test "run --env-file: a bad line is FILE:LINE and nothing runs" {
	check() {
		printf "$1" >bad.env
		rm -f ran
		run -125 sc run --env-file bad.env -- touch ran
		[ ! -e ran ]
		[ "$output" = "secretctl: bad.env:$2: $3" ]
	}
	check 'A=1\nnot a line\n' 2 'expected KEY=VALUE'
	check '1A=x\n' 1 'the key is not a variable name ([A-Za-z_][A-Za-z0-9_]*)'
	check 'A="open\n' 1 'unterminated double quote'
	check "A='open\n" 1 'unterminated single quote'
	check 'A="x" y\n' 1 'text after the closing quote'
	check 'A=x"y\n' 1 'a quote inside a bare value (quote the whole value)'
	check 'A="\\q"\n' 1 'unknown escape in a double-quoted value'
	check 'A=1\nB=2\nA=3\n' 3 "'A' is set twice (first on line 1)"
	check 'X=secretctl://db%%2Fpassword\n' 1 "'X' is not a valid secret reference (secretctl://NAME[/FIELD]: letters, digits, . _ - and /; no percent-encoding)"
	rm -f ran
	run -125 sc run --env-file missing.env -- touch ran
	[[ "$output" == *"cannot read the env file: 'missing.env'"* ]]
	[ ! -e ran ]
}

@test "run --env-file: references that do not resolve, refused variables" {
	rm -f ran
	printf 'X=secretctl://nope\n' >e.env
	run -125 sc run --env-file e.env -- touch ran
	[ "$output" = "secretctl: no secret matches 'secretctl://nope'" ]
	printf 'X=secretctl://db\n' >e.env
	run -125 sc run --env-file e.env -- touch ran
	[ "$output" = "secretctl: 'secretctl://db' names a secret with several fields; add /FIELD" ]
	printf 'LD_PRELOAD=secretctl://api/key\n' >e.env
	run -125 sc run --env-file e.env -- touch ran
	[[ "$output" == *"refusing to set 'LD_PRELOAD'"* ]]
	# a reference's variable and a -k variable clash
	printf 'API_KEY=secretctl://db/user\n' >e.env
	run -125 sc run -k api/key --env-file e.env -- touch ran
	[[ "$output" == *"two secrets map to the variable 'API_KEY'"* ]]
	[ ! -e ran ]
	run -125 sc run --env-file e.env --env-file e.env -- true
	[[ "$output" == *"--env-file is given once"* ]]
	run -125 sc run -- true
	[[ "$output" == *"give -k PATTERN or --env-file FILE"* ]]
}

@test "run --env-file through the agent: resolved there, under the policy" {
	# the expected value in a file: a run the policy governs gets only the
	# small base environment, not the caller's (EXPECT would not reach it)
	printf '%s' "$VAL" >expect
	cat >show.sh <<SH
#!/bin/sh
[ "\$A" = "\$(cat '$BATS_TEST_TMPDIR/expect')" ] && echo same
echo "\$A|\$P|\$EXPECT"
SH
	chmod 755 show.sh
	printf 'version: 1\ndefault_action: deny\nallowed_commands:\n  - %s\ncli_runs: policy\nsecret_commands:\n  "db": [psql]\n' \
		"$BATS_TEST_TMPDIR/show.sh" >"$SC_VAULT/mcp-policy.yaml"
	chmod 600 "$SC_VAULT/mcp-policy.yaml"
	start_agent
	printf 'A=secretctl://api/key\nP=plain\n' >ok.env
	EXPECT=$VAL run -0 sc run --env-file ok.env -- "$BATS_TEST_TMPDIR/show.sh"
	[ "${lines[0]}" = same ]
	# the reference is injected; a plain value of the file and the caller's
	# own variables are not (they are whoever asked's: docs/POLICY.md)
	[ "${lines[1]}" = "[REDACTED:A]||" ]
	# the policy keeps 'db' to psql: a reference to it is refused too
	printf 'A=secretctl://db/password\n' >no.env
	EXPECT=$PASS run -125 sc run --env-file no.env -- "$BATS_TEST_TMPDIR/show.sh"
	[[ "$output" == *"secret_commands 'db' lists"* ]]
	[[ "$output" != *same* ]]
	printf 'A=secretctl://nope\n' >nf.env
	run -125 sc run --env-file nf.env -- "$BATS_TEST_TMPDIR/show.sh"
	[ "$output" = "secretctl: no secret matches 'secretctl://nope'" ]
}

@test "inject: references rendered into a new 0600 file, other braces kept" {
	cat >t.tpl <<'TPL'
key: {{secretctl://api/key}}
db: {{   secretctl://db/user	}}:{{ secretctl://db/password }}@{{ secretctl://db/host }}
helm: {{ .Values.image }} and {{ not a ref }}
TPL
	run -0 sc inject -i t.tpl -o out.yaml
	[ "$output" = "" ]
	[ "$(stat -c %a out.yaml)" = 600 ]
	run -0 cat out.yaml
	[ "${lines[0]}" = "key: $VAL" ]
	[ "${lines[1]}" = "db: bob:$PASS@db.local" ]
	[ "${lines[2]}" = "helm: {{ .Values.image }} and {{ not a ref }}" ]
	# audited
	run -0 sc audit list --op inject
	[[ "$output" == *inject* ]]
}

@test "inject: an existing file is refused unless --force, which renames over it" {
	printf 'k={{ secretctl://api/key }}\n' >t.tpl
	printf 'old\n' >out
	chmod 644 out
	run -7 sc inject -i t.tpl -o out
	[ "$output" = "secretctl: 'out' exists; give --force to replace it" ]
	[ "$(cat out)" = old ]
	ino=$(stat -c %i out)
	run -0 sc inject -i t.tpl -o out --force
	[ "$(cat out)" = "k=$VAL" ]
	[ "$(stat -c %a out)" = 600 ]
	# a new file, renamed over the old one
	[ "$(stat -c %i out)" != "$ino" ]
	run -0 find . -name '.out.*'
	[ "$output" = "" ]
	# not over a directory or through a symlink
	mkdir d
	run -2 sc inject -i t.tpl -o d --force
	ln -s out link
	run -7 sc inject -i t.tpl -o link
}

@test "inject: unknown references and open braces are LINE errors, no file left" {
	printf 'a\nb {{ secretctl://nope/x }}\n' >t.tpl
	run -3 sc inject -i t.tpl -o out
	[ "$output" = "secretctl: t.tpl:2: 'secretctl://nope/x': no such secret" ]
	[ ! -e out ]
	printf '{{ secretctl://db/nope }}\n' >t.tpl
	run -3 sc inject -i t.tpl -o out
	[ "$output" = "secretctl: t.tpl:1: 'secretctl://db/nope': 'db' has no field 'nope'" ]
	printf 'a\n\n{{ secretctl://api/key\n}}\n' >t.tpl
	run -2 sc inject -i t.tpl -o out
	[ "$output" = "secretctl: t.tpl:3: unterminated '{{ secretctl://' (no '}}' after the reference)" ]
	printf '{{ secretctl://db }}' >t.tpl
	run -2 sc inject -i t.tpl -o out
	[ "$output" = "secretctl: t.tpl:1: 'secretctl://db' names a secret with several fields; add /FIELD" ]
	printf '{{ secretctl://db%%2Fx }}' >t.tpl
	run -2 sc inject -i t.tpl -o out
	[[ "$output" == *"t.tpl:1: 'secretctl://db%2Fx' is not a secret reference"* ]]
	[ ! -e out ]
	run -2 sc inject -i t.tpl
	[[ "$output" == *"inject needs -i TEMPLATE and -o FILE"* ]]
	run -3 sc inject -i missing.tpl -o out
	[[ "$output" == *"cannot read the template"* ]]
	[ ! -e out ]
}

@test "inject is password-gated: an unlocked agent never serves it" {
	printf 'k={{ secretctl://api/key }}\n' >t.tpl
	start_agent --reveal
	# no password given: refused, even though the agent would reveal
	run -4 sc inject -i t.tpl -o out
	[ ! -e out ]
	SECRETCTL_PASSWORD=$SC_PW run -0 sc inject -i t.tpl -o out
	[ "$(cat out)" = "k=$VAL" ]
}
