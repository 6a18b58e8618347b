#!/usr/bin/env bats
# completion.bats - `secretctl completion bash|zsh|fish`: the bash script
# in a real bash (complete -p, the function driven through COMP_WORDS and
# COMP_CWORD, compgen), its lists equal to the command table (help
# --json), secret names only from an unlocked agent and never a prompt or
# a hang when locked; zsh and fish scripts parse (and fish completes).

bats_require_minimum_version 1.5.0

load helpers

setup() {
	sc_setup
	export SECRETCTL_NO_AGENT=1
	sc_init
	sc_put api/key 'Completion-Value-9a8b7c6d'
	sc_put db/main 'Completion-Db-11223344'
	sc completion bash >"$BATS_TEST_TMPDIR/c.bash"
}

teardown() {
	if [ -n "${RT:-}" ]; then
		SECRETCTL_NO_AGENT= "$SC_BIN" lock >/dev/null 2>&1 || true
		rm -rf "$RT"
	fi
}

# comp WORD...: the completions bash offers for the line, the last word
# being completed, one a line
comp() {
	bash --norc --noprofile -c '
		source "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_secretctl
		printf "%s\n" "${COMPREPLY[@]}" | sort -u' sh "$BATS_TEST_TMPDIR/c.bash" "$SC_BIN" "$@"
}

start_agent() {
	RT=$(mktemp -d /tmp/sc-comp-XXXXXX)
	export XDG_RUNTIME_DIR=$RT
	unset SECRETCTL_NO_AGENT
	printf '%s\n' "$SC_PW" | sc unlock --password-fd 0 >/dev/null
}

@test "the bash script registers with complete and parses" {
	run -0 bash --norc -n "$BATS_TEST_TMPDIR/c.bash"
	run -0 bash --norc -c 'source <("$1" completion bash) && complete -p secretctl' sh "$SC_BIN"
	[ "$output" = "complete -F _secretctl secretctl" ]
	run -2 sc completion tcsh
	[[ "$output" == *"unknown shell 'tcsh' (bash, zsh or fish)"* ]]
	run -2 sc completion
}

@test "commands and subcommands are the command table's (help --json)" {
	# less the hidden aliases (the Go secretctl's 'password' and 'security')
	want=$(sc --json help | jq -r '.[].name' | grep -vxE 'password|security' | sort)
	run -0 comp ""
	[ "$output" = "$want" ]
	run -0 comp ge
	[ "$output" = "$(printf 'generate\nget')" ]
	want=$(sc --json help audit | jq -r '.subcommands[].name' | sort)
	run -0 comp audit ""
	[ "$output" = "$want" ]
	run -0 comp mcp policy ""
	[ "$output" = check ]
	# global options stand before the command
	run -0 comp --vault "$SC_VAULT" ed
	[ "$output" = edit ]
	# compgen over the script's own lists
	run -0 bash --norc -c 'source "$1"; compgen -W "$(_secretctl_subs "")" -- ro' sh "$BATS_TEST_TMPDIR/c.bash"
	[ "$output" = rollback ]
	run -0 bash --norc -c 'source "$1"; compgen -W "$(_secretctl_opts "run")" -- --env' sh "$BATS_TEST_TMPDIR/c.bash"
	[ "$output" = "$(printf -- '--env-prefix\n--env\n--env-file')" ]
}

@test "each command's options are its option table's" {
	for cmd in set get run inject generate edit "audit list"; do
		want=$( (sc --json help $cmd | jq -r '.options[] | select(.refused | not) | "--" + .name'
			echo --help
			echo --json) | sort -u)
		# shellcheck disable=SC2086
		run -0 comp $cmd --
		[ "$output" = "$want" ] || { echo "drift in '$cmd'"; false; }
	done
	run -0 comp get --f
	[ "$output" = --field ]
	# refused spellings are not offered
	run -0 comp set --val
	[ "$output" = --value-file ]
}

@test "option values: files for FILE, nothing for free values, choices" {
	touch "$BATS_TEST_TMPDIR/tmpl.tpl"
	run -0 comp inject -i "$BATS_TEST_TMPDIR/tmpl."
	[ "$output" = "$BATS_TEST_TMPDIR/tmpl.tpl" ]
	run -0 comp generate --length ""
	[ "$output" = "" ]
	run -0 comp completion ""
	[ "$output" = "$(printf 'bash\nfish\nzsh')" ]
	run -0 comp run -k x -- ech
	[[ "$output" == *echo* ]]
}

@test "secret names come from an unlocked agent, names only" {
	# no agent: no names (the password in the environment is not used)
	run -0 comp get ""
	[ "$output" = "" ]
	start_agent
	run -0 comp get ""
	[ "$output" = "$(printf 'api/key\ndb/main')" ]
	run -0 comp get d
	[ "$output" = db/main ]
	run -0 comp run -k ""
	[ "$output" = "$(printf 'api/key\ndb/main')" ]
	run -0 comp show a
	[ "$output" = api/key ]
	# key commands name keys, not secrets
	run -0 comp key show ""
	[ "$output" = "" ]
	# read takes references: bash splits at ':', so the rest after it
	run -0 bash --norc -c '
		source "$1"
		COMP_WORDS=("$2" read secretctl : //ap); COMP_CWORD=4
		COMP_LINE="$2 read secretctl://ap"; COMP_POINT=${#COMP_LINE}
		_secretctl; printf "%s\n" "${COMPREPLY[@]}"' sh "$BATS_TEST_TMPDIR/c.bash" "$SC_BIN"
	[ "$output" = //api/key ]
	# never a value
	run -0 comp get ""
	[[ "$output" != *Completion-Value* ]]
}

@test "a locked vault gives no names at once, and never asks (even on a terminal)" {
	start_agent
	sc lock >/dev/null
	unset SECRETCTL_PASSWORD
	# on a terminal (script gives one): a prompt would stall until the
	# script's 3-second limit on list; it must answer at once, with no names
	# and no prompt text
	printf 'source %q\nCOMP_WORDS=(%q get ""); COMP_CWORD=2; COMP_LINE="x get "; COMP_POINT=6\n_secretctl; echo "got:${COMPREPLY[*]}:"\n' \
		"$BATS_TEST_TMPDIR/c.bash" "$SC_BIN" >"$BATS_TEST_TMPDIR/drive.sh"
	t0=$(date +%s%N)
	run -0 timeout 20 script -qec "bash --norc $BATS_TEST_TMPDIR/drive.sh" /dev/null </dev/null
	ms=$((($(date +%s%N) - t0) / 1000000))
	[[ "$output" == *"got::"* ]]
	[[ "$output" != *assword* ]]
	[ "$ms" -lt 2500 ] || { echo "took ${ms} ms"; false; }
	# SECRETCTL_NO_PROMPT=1 is what keeps list from asking
	SECRETCTL_NO_PROMPT=1 run -4 sc list
	[[ "$output" == *"no password given"* ]]
}

@test "zsh and fish scripts are produced and parse; fish completes" {
	run -0 sc completion zsh
	[[ "${lines[0]}" == "#compdef secretctl" ]]
	[[ "$output" == *"complete -F _secretctl secretctl"* ]]
	sc completion zsh >"$BATS_TEST_TMPDIR/c.zsh"
	sc completion fish >"$BATS_TEST_TMPDIR/c.fish"
	command -v zsh >/dev/null || skip "zsh is not installed (scripts/deps.sh)"
	run -0 zsh -n "$BATS_TEST_TMPDIR/c.zsh"
	run -0 zsh -fc "source $BATS_TEST_TMPDIR/c.zsh && echo sourced"
	[[ "$output" == *sourced* ]]
	command -v fish >/dev/null || skip "fish is not installed (scripts/deps.sh)"
	run -0 fish -n "$BATS_TEST_TMPDIR/c.fish"
	run -0 fish -c "source $BATS_TEST_TMPDIR/c.fish; complete -C'secretctl ge'"
	[[ "$output" == *generate* ]]
	[[ "$output" == *get* ]]
	run -0 fish -c "source $BATS_TEST_TMPDIR/c.fish; complete -C'secretctl completion '"
	[[ "$output" == *zsh* ]]
	run -0 fish -c "source $BATS_TEST_TMPDIR/c.fish; complete -C'secretctl get --f'"
	[[ "$output" == *--field* ]]
}
