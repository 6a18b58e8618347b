#!/usr/bin/env bats
# A CLI run through the agent that the policy leaves to a person (`ask`,
# issue 18): asked at the controlling terminal, and the answer is the vault
# password, so neither a pipe nor a pty an AI drives can approve it without
# knowing the password. Real ptys (tests/cli/pty_drive.py).

bats_require_minimum_version 1.5.0

PW='ask-tty-password-1'
VAL='Ask-Value-9b2e71'

setup() {
	load skip
	BIN=${SECRETCTL_BIN:-$BATS_TEST_DIRNAME/../../build/secretctl}
	RT=$(mktemp -d /tmp/sc-ask-XXXXXX)
	export XDG_RUNTIME_DIR="$RT"
	export SECRETCTL_VAULT_DIR="$BATS_TEST_TMPDIR/vault"
	unset SECRETCTL_PASSWORD SECRETCTL_NO_AGENT
	printf '%s\n' "$PW" | "$BIN" init --password-fd 0 --kdf-memory 8192 --kdf-time 1 2>/dev/null
	printf '%s' "$VAL" | SECRETCTL_PASSWORD=$PW "$BIN" set app/k 2>/dev/null
	SHOW="$BATS_TEST_TMPDIR/show.sh"
	printf '#!/bin/sh\necho "length ${#APP_K}"\n' >"$SHOW"
	chmod 755 "$SHOW"
	# the run is allowed to nobody: the policy leaves it to a person
	cat >"$SECRETCTL_VAULT_DIR/mcp-policy.yaml" <<EOF
version: 1
default_action: ask
rules:
  - command: /usr/bin/sleep
    secrets: [app/k]
EOF
	chmod 600 "$SECRETCTL_VAULT_DIR/mcp-policy.yaml"
	SECRETCTL_PASSWORD=$PW "$BIN" unlock >/dev/null
}

teardown() {
	"$BIN" lock >/dev/null 2>&1 || true
	rm -rf "$RT"
}

# Run the command line $1 on a new pty, typing each later argument once
# the next password prompt has appeared (a prompt flushes what was typed
# before it): tests/cli/pty_drive.py.
on_pty() {
	local cmd=$1 a=()
	shift
	for line in "$@"; do
		a+=("Vault password: " "$line")
	done
	python3 "$BATS_TEST_DIRNAME/pty_drive.py" "${a[@]}" -- sh -c "$cmd"
}

@test "without a terminal an 'ask' run is refused, and says how to allow it" {
	run setsid -w "$BIN" run -k app/k -- /bin/sh "$SHOW" </dev/null
	[ "$status" -eq 125 ]
	[[ "$output" == *"leaves this run to a person"* ]]
	[[ "$output" != *"length"* ]]
}

@test "at a terminal the vault password approves an 'ask' run once" {
	run on_pty "'$BIN' run -k app/k -- /bin/sh '$SHOW'; echo \"rc=\$?\"" "$PW"
	[[ "$output" == *"leaves running '/bin/sh' with these secrets to you"* ]]
	[[ "$output" == *"length ${#VAL}"* ]]
	[[ "$output" == *"rc=0"* ]]
	[[ "$output" != *"$VAL"* ]]
	# once: the next run is asked about again
	run setsid -w "$BIN" run -k app/k -- /bin/sh "$SHOW" </dev/null
	[ "$status" -eq 125 ]
}

@test "at a terminal a wrong answer (not the password) runs nothing" {
	run on_pty "'$BIN' run -k app/k -- /bin/sh '$SHOW'; echo \"rc=\$?\"" "y" "yes" "y"
	[[ "$output" != *"length"* ]]
	[[ "$output" == *"cannot unlock the vault: wrong password"* ]]
	[[ "$output" == *"rc=125"* ]]
}
