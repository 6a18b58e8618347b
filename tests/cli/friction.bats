#!/usr/bin/env bats
# friction.bats - what a new user hits first (issue 17): help on every
# command from the same table the parser uses, whole option names only,
# messages that say it once and name what was meant, the Go secretctl's
# flags, and --json for every command and every error.

bats_require_minimum_version 1.5.0

load helpers

setup() {
	sc_setup
	sc_init
	printf 'v-first-value\n' | sc set base/one 2>/dev/null
}

# The commands and subcommands of the table, as "cmd" or "cmd sub", from
# `help --json` (the table itself).
table_paths() {
	sc --json help | jq -r '.[] | if .subcommands then
		(.name as $c | .subcommands[] | if .subcommands then
			(.name as $s | .subcommands[] | "\($c) \($s) \(.name)")
		else "\($c) \(.name)" end)
	else .name end'
}

# The long options of one table entry.
table_options() {
	local path=$1
	sc --json help | jq -r --arg p "$path" '
		def walk_cmds(prefix): . as $c | (prefix + $c.name) as $n |
			if $c.subcommands then ($c.subcommands[] | walk_cmds($n + " "))
			else {path: $n, options: $c.options} end;
		.[] | walk_cmds("") | select(.path == $p) | .options[] | .name'
}

# ---- help from the table (item 3) ----

@test "-h and --help on every command and subcommand: exit 0, every option, same as help CMD" {
	local p o n=0 m=0
	while read -r p; do
		# shellcheck disable=SC2086
		run -0 sc $p --help
		[[ "$output" == "usage: secretctl $p"* ]] || {
			echo "'$p --help' does not start with its usage: $output"
			false
		}
		local long=$output
		# shellcheck disable=SC2086
		run -0 sc $p -h
		[ "$output" = "$long" ]
		# shellcheck disable=SC2086
		run -0 sc help $p
		[ "$output" = "$long" ]
		[[ "$long" == *"-h, --help"* ]]
		while read -r o; do
			[ -n "$o" ] || continue
			m=$((m + 1))
			grep -qE -- "(^|[ ,])--$o( |$)" <<<"$long" || {
				echo "'$p --help' does not describe --$o"
				false
			}
			# and the parser knows it by the same name
			# shellcheck disable=SC2086
			run sc $p --$o </dev/null
			[[ "$output" != *"unknown option"* ]] || {
				echo "'$p --$o' is in the help but the parser does not take it"
				false
			}
		done < <(table_options "$p")
		n=$((n + 1))
	done < <(table_paths)
	# the table was read: at least the 20 commands and 4 audit subcommands
	[ "$n" -ge 20 ]
	[ "$m" -ge 30 ]
}

@test "'help' of a command with subcommands shows every subcommand's options" {
	run -0 sc help audit
	[[ "$output" == *"--older-than DUR"* ]]
	[[ "$output" == *"--limit N"* ]]
	[[ "$output" == *"-o, --output FILE"* ]]
	run -0 sc help audit prune
	[[ "$output" == "usage: secretctl audit prune"* ]]
	[[ "$output" != *"--limit"* ]]
	run -2 sc help audit frob
	[[ "$output" == *"unknown command 'audit frob'"* ]]
}

@test "'secretctl mcp' prints its usage once" {
	run -2 sc mcp
	[ "$(grep -c 'usage: secretctl mcp policy check' <<<"$output")" -eq 1 ]
	[[ "$output" == *"missing subcommand (policy)"* ]]
	run -0 sc mcp --help
	[ "$(grep -c '^usage:' <<<"$output")" -eq 1 ]
}

# ---- whole option names only (item 2) ----

@test "run --no-s is refused, not taken as --no-sanitize" {
	run -125 sc run -k base/one --no-s -- sh -c 'echo "$BASE_ONE"'
	[[ "$output" == *"unknown option '--no-s' (options are never abbreviated); did you mean '--no-sanitize'?"* ]]
	[[ "$output" != *v-first-value* ]]
}

@test "run --env=prod is an env alias, never --env-prefix=prod" {
	run -125 sc run --env=prod -k base/one -- sh -c 'env'
	[[ "$output" == *"--env 'prod' needs env_aliases"* ]]
	[[ "$output" != *PRODBASE_ONE* ]]
	[[ "$output" != *v-first-value* ]]
	run -125 sc run --env-p=X -k base/one -- true
	[[ "$output" == *"did you mean '--env-prefix'"* ]]
}

@test "run --env resolves keys through the policy's env_aliases" {
	printf 'prod-value-1234\n' | sc set prod/db/pass 2>/dev/null
	cat >"$SC_VAULT/mcp-policy.yaml" <<-'EOF'
		version: 1
		default_action: deny
		env_aliases:
		  prod:
		    - pattern: "db/*"
		      target: "prod/db/*"
	EOF
	chmod 600 "$SC_VAULT/mcp-policy.yaml"
	run -0 sc run --env prod -k 'db/*' -- sh -c 'test "$PROD_DB_PASS" = prod-value-1234 && echo ok'
	[ "$output" = ok ]
	run -125 sc run --env staging -k 'db/*' -- true
	[[ "$output" == *"no env alias 'staging'"*"--env-prefix"* ]]
}

@test "set --value pw is refused (values never on the command line), not read as --value-file" {
	echo 'file-value-9876' >"$BATS_TEST_TMPDIR/pw"
	run -2 sc set --value "$BATS_TEST_TMPDIR/pw" base/two
	[[ "$output" == *"option '--value' is not accepted"*"--value-file FILE"* ]]
	run -1 sc exists base/two
	run -2 sc set --value-f "$BATS_TEST_TMPDIR/pw" base/two
	[[ "$output" == *"did you mean '--value-file'"* ]]
	run -2 sc list --exp
	[[ "$output" == *"did you mean '--expiring'"* ]] || [[ "$output" == *"did you mean '--expired'"* ]]
}

@test "short options still cluster and take attached values" {
	run -0 sc run -kbase/one -t5s -- sh -c 'test -n "$BASE_ONE" && echo ok'
	[ "$output" = ok ]
	run -125 sc run -x -k base/one -- true
	[[ "$output" == *"unknown option '-x'"* ]]
	run -2 sc get --raw=yes base/one
	[[ "$output" == *"option '--raw' takes no value"* ]]
}

# ---- messages (item 4) ----

@test "a mistyped command: did you mean, and no status word tacked on" {
	run -2 sc lsit
	[ "$output" = "secretctl: unknown command 'lsit'; did you mean 'list'?" ]
	run -2 sc zzzzzz
	[ "$output" = "secretctl: unknown command 'zzzzzz'; see 'secretctl help'" ]
	run -2 sc audit lst
	[[ "$output" == "secretctl: unknown subcommand 'audit lst'; did you mean 'audit list'?"* ]]
}

@test "an expired secret is said once, without ': secret has expired'" {
	printf 'x-value-123' | sc set q/exp --expires 1s 2>/dev/null
	sleep 1.2
	run -8 sc run -k q/exp -- true
	[ "$output" = "secretctl: secret 'q/exp' has expired" ]
}

@test "get of a multi-field secret names its fields" {
	printf 's3cret-pass\n' | sc set db/prod --field user=admin --secret-field password 2>/dev/null
	run -2 sc get db/prod
	[ "$output" = "secretctl: 'db/prod' has several fields (user, password); name one with --field" ]
	run -3 sc get db/prod --field pass
	[ "$output" = "secretctl: 'db/prod' has no field 'pass' (it has: user, password)" ]
}

@test "audit list says a denial once, not denied:denied" {
	export XDG_RUNTIME_DIR=$BATS_TEST_TMPDIR/rt
	mkdir -m 700 "$XDG_RUNTIME_DIR"
	printf 'version: 1\ndefault_action: deny\ncli_runs: policy\n' >"$SC_VAULT/mcp-policy.yaml"
	chmod 600 "$SC_VAULT/mcp-policy.yaml"
	sc unlock --password-fd 3 3<<<"$SC_PW" >/dev/null
	run -125 sc run -k base/one -- true </dev/null
	sc lock >/dev/null
	run -0 sc audit list --op run
	[[ "$output" == *" denied "* ]]
	[[ "$output" != *"denied:denied"* ]]
}

# ---- Go secretctl flags (item 8) ----

@test "set --tags a,b is the Go spelling of --tag a --tag b" {
	printf 'tagged-value-1\n' | sc set t/one --tags a,b 2>/dev/null
	run -0 sc list --tag b
	[ "$output" = t/one ]
	run -0 sc --json list --tag a
	[ "$(jq -r '.[0].tags | join(",")' <<<"$output")" = a,b ]
}

@test "get --show-metadata: metadata on stderr, the value alone on stdout" {
	printf 'meta-value-1\n' | sc set m/one --tag x --url https://example.org --notes 'hello' 2>/dev/null
	run -0 --separate-stderr sc get --show-metadata m/one
	[ "$output" = meta-value-1 ]
	[[ "$stderr" == *"tags:     x"* ]]
	[[ "$stderr" == *"url:      https://example.org"* ]]
	[[ "$stderr" == *"notes:    hello"* ]]
	run -0 sc --json get --show-metadata m/one
	[ "$(jq -r .metadata.url <<<"$output")" = https://example.org ]
	[ "$(jq -r .value <<<"$output")" = meta-value-1 ]
}

@test "run -t/--timeout: a short limit stops the command (124); the 5m default is documented" {
	run -124 sc run -k base/one -t 1 -- sleep 10
	run -124 sc run -k base/one --timeout 500ms -- sleep 10
	run -0 sc run --help
	[[ "$output" == *"-t, --timeout DUR"*"default 5m"* ]]
	grep -q 'default 5 minutes' "$BATS_TEST_DIRNAME/../../man/secretctl.1"
	run -0 sc run -k base/one -t 0 -- true
}

@test "audit prune --older-than, --dry-run, --force" {
	run -0 sc audit prune --older-than 1d --dry-run --force
	[[ "$output" == "would prune 0 entries (dry run: nothing removed)" ]]
	printf 'v-second-value\n' | sc set base/two 2>/dev/null
	# whole seconds: "1s ago" is counted from the current second
	sleep 2.1
	# two entries (the two sets) are older than 1s
	run -0 sc --json audit prune --before 1s --dry-run
	[ "$(jq -r .would_remove <<<"$output")" -eq 2 ]
	# the dry run removed nothing
	[ "$(sc --json audit list | jq length)" -eq 2 ]
	run -0 sc audit prune --older-than 1s --force
	[ "$output" = "pruned 2 entries" ]
	[ "$(sc --json audit list | jq '[.[] | select(.op == "set")] | length')" -eq 0 ]
	run -2 sc audit prune --older-than 2025-01-01
	[[ "$output" == *"bad --older-than"* ]]
	run -0 sc audit verify
}

@test "audit export -o FILE --since --until" {
	run -0 sc audit export -o "$BATS_TEST_TMPDIR/out.json"
	[ -z "$output" ]
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/out.json")" = 600 ]
	jq -e 'length >= 1' "$BATS_TEST_TMPDIR/out.json" >/dev/null
	run -7 sc audit export --output "$BATS_TEST_TMPDIR/out.json"
	[[ "$output" == *"it exists"* ]]
	run -0 sc audit export --since 2000-01-01 --until 2000-01-02
	[ "$(jq length <<<"$output")" -eq 0 ]
	run -0 sc audit export --format csv --since 1h
	[ "$(wc -l <<<"$output")" -ge 2 ]
}

@test "password change is passwd" {
	run -0 sc password change --new-password-fd 3 3<<<"another-password-1"
	run -4 sc list
	SECRETCTL_PASSWORD=another-password-1 run -0 sc list
	run -0 sc help password change
	[[ "$output" == *"--new-password-fd N"* ]]
}

# ---- --json everywhere (item 9) ----

@test "--json on write commands says what was done" {
	run -0 bash -c "printf 'json-value-12\n' | '$SC_BIN' --json set j/one"
	[ "$(jq -r '.name + " " + (.stored|tostring)' <<<"$output")" = "j/one true" ]
	run -0 sc --json delete j/one
	[ "$(jq -r .deleted <<<"$output")" = true ]
	run -0 sc --json passwd --new-password-fd 3 3<<<"another-password-2"
	[ "$(jq -r .password_changed <<<"$output")" = true ]
	run -0 sc --json --vault "$BATS_TEST_TMPDIR/v2" init --password-fd 3 --kdf-memory 8M --kdf-time 1 3<<<"$SC_PW"
	[ "$(jq -r .created <<<"$output")" = true ]
	printf 'version: 1\ndefault_action: deny\n' >"$SC_VAULT/mcp-policy.yaml"
	chmod 600 "$SC_VAULT/mcp-policy.yaml"
	run -0 sc --json mcp policy check
	[ "$(jq -r .valid <<<"$output")" = true ]
	run -0 sc --json help
	jq -e 'map(.name) | index("run")' <<<"$output" >/dev/null
}

@test "--json errors: one JSON object on stderr, the same exit status" {
	run -3 --separate-stderr sc --json get nope
	[ -z "$output" ]
	[ "$(jq -r .error.code <<<"$stderr")" = not_found ]
	[ "$(jq -r .error.exit_status <<<"$stderr")" = 3 ]
	[ "$(jq -r .error.message <<<"$stderr")" = "no secret 'nope'" ]
	run -2 --separate-stderr sc lsit --json
	[ "$(jq -r .error.code <<<"$stderr")" = usage ]
	run -2 --separate-stderr sc --json set --value x y
	[ "$(jq -r .error.help <<<"$stderr")" = "secretctl help set" ]
	[ "$(wc -l <<<"$stderr")" -eq 1 ]
	run -4 --separate-stderr env SECRETCTL_PASSWORD=wrong-password-9 "$SC_BIN" --json list
	[ "$(jq -r .error.code <<<"$stderr")" = auth ]
	run -125 --separate-stderr sc --json run -k nope -- true
	[ "$(jq -r .error.code <<<"$stderr")" = run_failed ]
}

# ---- passwords at a terminal (item 5), through tmux's pty ----

# tmux on a private server; the command's status lands in $T/rc.
tmux_start() {
	T=$BATS_TEST_TMPDIR/tty
	mkdir -p "$T"
	rm -f "$T/rc" "$T/out" "$T/err"
	TMUX_SOCK="sc-friction-$$-$BATS_TEST_NUMBER"
	tmux -L "$TMUX_SOCK" -f /dev/null new-session -d -s t -x 200 -y 50 \
		"env -u SECRETCTL_PASSWORD HOME='$HOME' SECRETCTL_VAULT_DIR='$SC_VAULT' \
		 SECRETCTL_NO_AGENT=1 $* >'$T/out' 2>'$T/err'; echo \$? >'$T/rc'; sleep 30"
}

tmux_stop() {
	tmux -L "$TMUX_SOCK" kill-server 2>/dev/null || true
}

# Wait until the screen shows $1 at least $2 times (default 1).
screen_has() {
	local i n=${2:-1}
	for i in $(seq 100); do
		[ "$(tmux -L "$TMUX_SOCK" capture-pane -p -t t | grep -c -F -- "$1")" -ge "$n" ] && return 0
		sleep 0.1
	done
	echo "the screen never showed '$1' $n times:" >&2
	tmux -L "$TMUX_SOCK" capture-pane -p -t t >&2
	return 1
}

type_line() {
	tmux -L "$TMUX_SOCK" send-keys -t t -l "$1"
	tmux -L "$TMUX_SOCK" send-keys -t t Enter
}

wait_rc() {
	local i
	for i in $(seq 100); do [ -s "$T/rc" ] && return 0; sleep 0.1; done
	return 1
}

teardown() {
	[ -z "${TMUX_SOCK:-}" ] || tmux_stop
}

@test "a terminal gets three tries at 'Vault password:', each failure audited" {
	tmux_start "$SC_BIN" list
	screen_has "Vault password:"
	type_line wrong-password-1
	screen_has "Wrong password; try again." 1
	type_line wrong-password-2
	screen_has "Wrong password; try again." 2
	type_line "$SC_PW"
	wait_rc
	[ "$(cat "$T/rc")" = 0 ]
	grep -qx base/one "$T/out"
	tmux_stop
	# both failures are in the log
	run -0 sc --json audit list --op unlock
	[ "$(jq '[.[] | select(.result != "ok")] | length' <<<"$output")" -eq 2 ]
}

@test "three wrong passwords at the terminal: exit 4, three failures audited" {
	tmux_start "$SC_BIN" list
	for i in 1 2 3; do
		screen_has "Vault password:" "$i"
		type_line "wrong-password-$i"
	done
	wait_rc
	[ "$(cat "$T/rc")" = 4 ]
	grep -q "wrong password" "$T/err"
	tmux_stop
	run -0 sc --json audit list --op unlock
	[ "$(jq '[.[] | select(.result != "ok")] | length' <<<"$output")" -eq 3 ]
	# a password from an fd gets one try
	run -4 env -u SECRETCTL_PASSWORD "$SC_BIN" --password-fd 3 list 3<<<"wrong-password-4"
	run -0 sc --json audit list --op unlock
	[ "$(jq '[.[] | select(.result != "ok")] | length' <<<"$output")" -eq 4 ]
}

@test "a new value on a terminal is asked twice; a mismatch stores nothing; --no-confirm once" {
	tmux_start env SECRETCTL_PASSWORD="$SC_PW" "$SC_BIN" set t/val
	screen_has "Value for t/val (value):"
	type_line "typed-value-1"
	screen_has "Repeat the value for t/val (value):"
	type_line "typed-value-2"
	wait_rc
	[ "$(cat "$T/rc")" = 2 ]
	grep -q "do not match" "$T/err"
	tmux_stop
	run -1 sc exists t/val
	tmux_start env SECRETCTL_PASSWORD="$SC_PW" "$SC_BIN" set t/val
	screen_has "Value for t/val (value):"
	type_line "typed-value-1"
	screen_has "Repeat the value"
	type_line "typed-value-1"
	wait_rc
	[ "$(cat "$T/rc")" = 0 ]
	tmux_stop
	run -0 sc get t/val
	[ "$output" = typed-value-1 ]
	tmux_start env SECRETCTL_PASSWORD="$SC_PW" "$SC_BIN" set --no-confirm t/val2
	screen_has "Value for t/val2 (value):"
	type_line "typed-value-3"
	wait_rc
	[ "$(cat "$T/rc")" = 0 ]
	if tmux -L "$TMUX_SOCK" capture-pane -p -t t | grep -q "Repeat"; then false; fi
}

@test "a slow Argon2id says it is deriving the key, on a terminal only" {
	local slow=$BATS_TEST_TMPDIR/slow
	printf '%s\n' "$SC_PW" | "$SC_BIN" --vault "$slow" init --password-fd 0 --kdf-memory 256M --kdf-time 4 2>/dev/null
	# stderr a file: nothing but the result
	run -0 --separate-stderr sc --vault "$slow" list
	[ -z "$stderr" ]
	# stderr a terminal
	tmux -L "sc-friction-$$-slow" -f /dev/null new-session -d -s t -x 200 -y 50 \
		"SECRETCTL_PASSWORD='$SC_PW' SECRETCTL_NO_AGENT=1 '$SC_BIN' --vault '$slow' list; sleep 30"
	TMUX_SOCK="sc-friction-$$-slow"
	screen_has "deriving the key (Argon2id)..."
	# and the small test vault is quick enough to stay quiet
	tmux_stop
	tmux_start env SECRETCTL_PASSWORD="$SC_PW" "$SC_BIN" list
	wait_rc
	if tmux -L "$TMUX_SOCK" capture-pane -p -t t | grep -q "deriving"; then false; fi
}

@test "--password-fd on a closed descriptor: no password available (4), said plainly" {
	run -4 env -u SECRETCTL_PASSWORD "$SC_BIN" --password-fd 9 list
	[ "$output" = "secretctl: --password-fd 9 is not an open file descriptor" ]
}

# ---- run executes what PATH found, argv[0] as given (item 1) ----

@test "run psql --version: the real Debian postgresql-client through pg_wrapper" {
	command -v psql >/dev/null || {
		echo "postgresql-client is not installed (scripts/deps.sh installs it)"
		false
	}
	# psql is a symlink to pg_wrapper, which picks the client by its $0
	[ "$(basename "$(realpath "$(command -v psql)")")" = pg_wrapper ]
	run -0 env SECRETCTL_NO_AGENT=1 "$SC_BIN" run -k base/one -- psql --version
	[[ "$output" == "psql (PostgreSQL) "* ]]
	run -0 sc audit list --op run
	[[ "$output" == *"-- psql (pg_wrapper)"* ]]
}

@test "a symlinked script sees its own name as \$0; the audit records both names" {
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	printf '#!/bin/sh\necho "zero=$0 first=$1"\n' >"$BATS_TEST_TMPDIR/bin/real-tool"
	chmod 755 "$BATS_TEST_TMPDIR/bin/real-tool"
	ln -s real-tool "$BATS_TEST_TMPDIR/bin/nick"
	PATH="$BATS_TEST_TMPDIR/bin:$PATH" run -0 env SECRETCTL_NO_AGENT=1 "$SC_BIN" run -k base/one -- nick arg1
	[ "$output" = "zero=$BATS_TEST_TMPDIR/bin/nick first=arg1" ]
	run -0 env SECRETCTL_NO_AGENT=1 "$SC_BIN" run -k base/one -- sh -c 'echo "$0"'
	[ "$output" = sh ]
	run -0 sc audit list --op run
	[[ "$output" == *"-- nick (real-tool)"* ]]
	[[ "$output" == *"-- sh ("* ]] || [[ "$output" == *"-- sh"$'\n'* ]] || [[ "$output" == *"-- sh" ]]
}

@test "a program swapped between the check and the exec is not run" {
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	printf '#!/bin/sh\necho checked\n' >"$BATS_TEST_TMPDIR/bin/tool"
	printf '#!/bin/sh\necho swapped "$BASE_ONE"\n' >"$BATS_TEST_TMPDIR/bin/evil"
	chmod 755 "$BATS_TEST_TMPDIR/bin/tool" "$BATS_TEST_TMPDIR/bin/evil"
	mkfifo "$BATS_TEST_TMPDIR/pw"
	exec 7<>"$BATS_TEST_TMPDIR/pw"
	# run finds the program, then waits for the password on fd 7
	env -u SECRETCTL_PASSWORD SECRETCTL_NO_AGENT=1 "$SC_BIN" --password-fd 7 run -k base/one -- \
		"$BATS_TEST_TMPDIR/bin/tool" >"$BATS_TEST_TMPDIR/out" 2>&1 &
	pid=$!
	sleep 0.5
	mv "$BATS_TEST_TMPDIR/bin/evil" "$BATS_TEST_TMPDIR/bin/tool"
	printf '%s\n' "$SC_PW" >&7
	rc=0
	wait "$pid" || rc=$?
	exec 7>&-
	cat "$BATS_TEST_TMPDIR/out"
	[ "$rc" -eq 125 ]
	grep -q "was replaced after it was checked" "$BATS_TEST_TMPDIR/out"
	if grep -q swapped "$BATS_TEST_TMPDIR/out"; then false; fi
}

@test "MCP: a policy entry 'psql' allows /usr/bin/psql (pg_wrapper), which then works" {
	command -v psql >/dev/null
	printf 'version: 1\ndefault_action: deny\nallowed_commands:\n  - psql\n' >"$SC_VAULT/mcp-policy.yaml"
	chmod 600 "$SC_VAULT/mcp-policy.yaml"
	init='{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"friction","version":"1"}}}'
	call='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"secret_run","arguments":{"keys":["base/one"],"command":"psql","args":["--version"]}}}'
	out=$({ printf '%s\n' "$init" "$call"; sleep 4; } | SECRETCTL_NO_AGENT=1 timeout 30 "$SC_BIN" mcp-server 2>"$BATS_TEST_TMPDIR/err")
	res=$(jq -c 'select(.id == 1) | .result' <<<"$out")
	echo "$res"
	[ "$(jq -r .isError <<<"$res")" = false ]
	[[ "$(jq -r '.content[0].text' <<<"$res")" == *"psql (PostgreSQL) "* ]]
	# a look-alike named psql elsewhere on PATH is not the system's psql
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	ln -s /bin/sh "$BATS_TEST_TMPDIR/bin/psql"
	out=$({ printf '%s\n' "$init" "$call"; sleep 2; } | PATH="$BATS_TEST_TMPDIR/bin:$PATH" SECRETCTL_NO_AGENT=1 timeout 30 "$SC_BIN" mcp-server 2>/dev/null)
	res=$(jq -c 'select(.id == 1) | .result' <<<"$out")
	[ "$(jq -r .isError <<<"$res")" = true ]
	run -0 sc audit list --op secret_run
	[[ "$output" == *"psql (pg_wrapper)"* ]]
}

# ---- the agent found the same way in every process (item 6) ----

@test "XDG_RUNTIME_DIR unset: the agent is found in /run/user/UID; when none answers, the message says where" {
	command -v unshare >/dev/null || skip "no unshare"
	[ "$(id -u)" -eq 0 ] || skip "needs root for a private /run/user (mount namespace)"
	cat >"$BATS_TEST_TMPDIR/ns.sh" <<-'EOS'
		set -eu
		# a private /run/user, as systemd makes it, seen by this namespace only
		mount -t tmpfs -o mode=755 none /run/user
		mkdir -m 700 "/run/user/$(id -u)"
		init='{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"friction","version":"1"}}}'
		list='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"secret_list","arguments":{}}}'
		# the terminal has XDG_RUNTIME_DIR; the MCP server does not
		XDG_RUNTIME_DIR=/run/user/$(id -u) "$SC_BIN" unlock --password-fd 3 3<<<"$SC_PW" >/dev/null
		ls /run/user/$(id -u)/secretctl/*.sock >"$OUT/sock.txt"
		pid=$(XDG_RUNTIME_DIR=/run/user/$(id -u) "$SC_BIN" --json status | jq -r .pid)
		{ printf '%s\n' "$init" "$list"; sleep 1; } |
			env -u XDG_RUNTIME_DIR -u SECRETCTL_PASSWORD "$SC_BIN" mcp-server >"$OUT/unlocked.json" 2>/dev/null
		env -u XDG_RUNTIME_DIR "$SC_BIN" status >"$OUT/status-unlocked.txt" || true
		env -u XDG_RUNTIME_DIR "$SC_BIN" lock >/dev/null
		{ printf '%s\n' "$init" "$list"; sleep 1; } |
			env -u XDG_RUNTIME_DIR -u SECRETCTL_PASSWORD "$SC_BIN" mcp-server >"$OUT/locked.json" 2>/dev/null
		# clean-up only: a locked agent may have left by itself already
		kill "$pid" 2>/dev/null || true
	EOS
	OUT=$BATS_TEST_TMPDIR SC_PW=$SC_PW SC_BIN=$SC_BIN run unshare -m --propagation private \
		bash "$BATS_TEST_TMPDIR/ns.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	# unlocked: the server, without the variable, found the agent
	res=$(jq -c 'select(.id == 1) | .result' "$BATS_TEST_TMPDIR/unlocked.json")
	[ "$(jq -r .isError <<<"$res")" = false ]
	[[ "$res" == *base/one* ]]
	grep -q "state:  unlocked" "$BATS_TEST_TMPDIR/status-unlocked.txt"
	# locked: the message names the socket it tried
	sock=$(cat "$BATS_TEST_TMPDIR/sock.txt")
	[[ "$sock" == /run/user/*/secretctl/*.sock ]]
	res=$(jq -c 'select(.id == 1) | .result' "$BATS_TEST_TMPDIR/locked.json")
	[ "$(jq -r .isError <<<"$res")" = true ]
	[[ "$(jq -r '.content[0].text' <<<"$res")" == *"no unlocked agent answered at '$sock'"* ]]
}

# ---- secret_run and $NAME in arguments (item 10) ----

@test "secret_run: an argument naming an injected \$VAR gets a warning; the description says so" {
	printf 'version: 1\ndefault_action: deny\nallowed_commands:\n  - printf\n' >"$SC_VAULT/mcp-policy.yaml"
	chmod 600 "$SC_VAULT/mcp-policy.yaml"
	init='{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"friction","version":"1"}}}'
	tools='{"jsonrpc":"2.0","id":1,"method":"tools/list"}'
	call='{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"secret_run","arguments":{"keys":["base/one"],"command":"printf","args":["%s|%s\\n","Bearer ${BASE_ONE}","$HOME"]}}}'
	out=$({ printf '%s\n' "$init" "$tools" "$call"; sleep 3; } | SECRETCTL_NO_AGENT=1 timeout 30 "$SC_BIN" mcp-server 2>/dev/null)
	desc=$(jq -r 'select(.id == 1) | .result.tools[] | select(.name == "secret_run") | .description' <<<"$out")
	[[ "$desc" == *"Arguments are never expanded"*"wrapper script"* ]]
	res=$(jq -c 'select(.id == 2) | .result.structuredContent' <<<"$out")
	echo "$res"
	# the program got the text, as the warning says
	[ "$(jq -r .stdout <<<"$res")" = "Bearer \${BASE_ONE}|\$HOME" ]
	[ "$(jq -r '.warnings | length' <<<"$res")" -eq 1 ]
	[[ "$(jq -r '.warnings[0]' <<<"$res")" == "args[1] contains '\$BASE_ONE'"*"wrapper script"* ]]
	# no variable named: no warnings at all
	call='{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"secret_run","arguments":{"keys":["base/one"],"command":"printf","args":["plain"]}}}'
	out=$({ printf '%s\n' "$init" "$call"; sleep 3; } | SECRETCTL_NO_AGENT=1 timeout 30 "$SC_BIN" mcp-server 2>/dev/null)
	[ "$(jq -r 'select(.id == 3) | .result.structuredContent | has("warnings")' <<<"$out")" = false ]
}

# ---- make demo shows the main job (item 11) ----

@test "scripts/demo.sh (make demo): the CLI, then an SDK client through the agent, then lock" {
	[ -d "$BATS_TEST_DIRNAME/../mcp/node_modules/@modelcontextprotocol/sdk" ] || {
		echo "the MCP SDK is not installed: make mcp-deps"
		false
	}
	export XDG_RUNTIME_DIR=$BATS_TEST_TMPDIR/rt
	mkdir -m 700 "$XDG_RUNTIME_DIR"
	run -0 "$BATS_TEST_DIRNAME/../../scripts/demo.sh" "$SC_BIN"
	# the MCP part ran with the official client
	[[ "$output" == *"[mcp client] tools/list"* ]]
	[[ "$output" == *"calling the API with key [REDACTED:OPENAI_API_KEY]"* ]]
	[[ "$output" == *"denied by policy: command 'printenv' is always denied"* ]]
	[[ "$output" == *" mcp:demo-agent "*"secret_run"*"openai/api-key -- call-api"* ]]
	[[ "$output" == *"secret_run "*" denied "*"-- printenv"* ]]
	[[ "$output" == *"no plaintext found in the vault files"* ]]
	# what the agent saw holds no value
	mcp_part=${output#*"[mcp client] tools/list"}
	mcp_part=${mcp_part%%"secretctl audit list"*}
	[[ "$mcp_part" == *"[mcp client] secret_list"* ]]
	[[ "$mcp_part" != *sk-demo-1234567890abcdef* ]]
	# locked at the end
	[[ "$output" == *$'\nlocked\n'* ]]
}

# ---- the same audit entry on every path (item 7) ----

# Drive mcp-server with one line per argument, 3 s to finish the runs.
mcp_lines() {
	{ printf '%s\n' "$@"; sleep 3; } | timeout 30 "$SC_BIN" mcp-server 2>/dev/null
}

# The MCP entries since entry $1, without times, pids and chain fields.
mcp_entries() {
	sc --json audit list | jq -c --argjson n "$1" \
		'[.[] | select(.seq > $n and .source == "mcp") |
		  {op, source, client, secrets: [.secrets[].name], command, result, code}] |
		 sort_by(.op, .command, .secrets)'
}

@test "MCP audit entries: identical with the server's own key and through the agent" {
	printf 's3cret-pass-1\n' | sc set db/prod --field host=db.internal --secret-field password \
		--binding PGPASSWORD=password --binding PGHOST=host 2>/dev/null
	printf 'version: 1\ndefault_action: deny\nallowed_commands:\n  - "true"\n' >"$SC_VAULT/mcp-policy.yaml"
	chmod 600 "$SC_VAULT/mcp-policy.yaml"
	init='{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"audit-client","version":"1"}}}'
	t() { printf '{"jsonrpc":"2.0","id":%s,"method":"tools/call","params":{"name":"%s","arguments":%s}}' "$1" "$2" "$3"; }
	calls=("$init"
		"$(t 1 secret_list '{}')"
		"$(t 2 secret_exists '{"key":"base/one"}')"
		"$(t 3 secret_exists '{"key":"no/such"}')"
		"$(t 4 secret_list_fields '{"key":"db/prod"}')"
		"$(t 5 secret_get_masked '{"key":"db/prod"}')"
		"$(t 6 secret_run '{"keys":["base/one"],"command":"true"}')"
		"$(t 7 secret_run_with_bindings '{"key":"db/prod","command":"true"}')"
		"$(t 8 secret_run '{"keys":["base/one"],"command":"printenv"}')")
	n0=$(sc --json audit list | jq 'map(.seq) | max')
	# 1: the server holds the key itself
	SECRETCTL_NO_AGENT=1 mcp_lines "${calls[@]}" >"$BATS_TEST_TMPDIR/own.json"
	own=$(mcp_entries "$n0")
	n1=$(sc --json audit list | jq 'map(.seq) | max')
	# 2: through the unlocked agent, the server without a password
	export XDG_RUNTIME_DIR=$BATS_TEST_TMPDIR/rt
	mkdir -m 700 "$XDG_RUNTIME_DIR"
	sc unlock --password-fd 3 3<<<"$SC_PW" >/dev/null
	env -u SECRETCTL_PASSWORD "$SC_BIN" mcp-server </dev/null >/dev/null 2>&1 || true
	( unset SECRETCTL_PASSWORD; mcp_lines "${calls[@]}" ) >"$BATS_TEST_TMPDIR/agent.json"
	sc lock >/dev/null
	via=$(mcp_entries "$n1")
	echo "own: $own"
	echo "via: $via"
	# every call answered, both ways
	[ "$(jq -s '[.[] | select(.id >= 1)] | length' "$BATS_TEST_TMPDIR/own.json")" -eq 8 ]
	[ "$(jq -s '[.[] | select(.id >= 1)] | length' "$BATS_TEST_TMPDIR/agent.json")" -eq 8 ]
	[ "$(jq length <<<"$own")" -ge 8 ]
	[ "$own" = "$via" ]
	# the client's name and the tools' own names are in them
	[ "$(jq -r '[.[].client] | unique | join(",")' <<<"$via")" = audit-client ]
	jq -e 'map(.op) | index("secret_run_with_bindings") and index("secret_list_fields")' <<<"$via" >/dev/null
	if jq -e 'map(.op) | index("fields") or index("list")' <<<"$via" >/dev/null; then false; fi
	# audit list keeps its columns with the long tool names: the result
	# starts at the same place on every line
	run -0 sc audit list
	grep -q "secret_run_with_bindings" <<<"$output"
	while IFS= read -r line; do
		res=${line:86:8}
		[[ "$res" == "ok      " || "$res" == "denied  " || "$res" == error* ]] || {
			echo "column moved: '$line'"
			false
		}
	done <<<"$output"
}

@test "a piped value no field takes is refused, never dropped (issue 19)" {
	run sh -c 'printf "piped-value-1" | "$1" set db/tmp --field host=x' sh "$SC_BIN"
	[ "$status" -eq 2 ]
	[[ "$output" == *"a value was piped in, but no field takes it: add --secret-field value"* ]]
	# nothing was stored
	run sc exists db/tmp
	[ "$status" -eq 1 ]
	# from a file too; an empty pipe or /dev/null is no value
	printf 'file-value-22' >"$BATS_TEST_TMPDIR/v"
	run sc set db/tmp --field host=x <"$BATS_TEST_TMPDIR/v"
	[ "$status" -eq 2 ]
	run sh -c ': | "$1" set db/tmp --field host=x' sh "$SC_BIN"
	[ "$status" -eq 0 ]
	run sc set db/tmp2 --field host=x </dev/null
	[ "$status" -eq 0 ]
	# taken by a field, it is stored
	run sh -c 'printf "piped-value-1" | "$1" set db/tmp3 --field host=x --secret-field value' sh "$SC_BIN"
	[ "$status" -eq 0 ]
	run sc get db/tmp3 --field value
	[ "$output" = "piped-value-1" ]
}
