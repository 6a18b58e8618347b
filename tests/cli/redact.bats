#!/usr/bin/env bats
# Whole-vault redaction of `secretctl run` (issue 11 item 4): a value the
# run did not inject is redacted all the same, with the password and
# through the unlock agent.

PW='redact-bats-password'
A='Alpha-Value-5e7d1c3b9a'
B='Bravo-Value-8f2e6d4c1b'

setup() {
	BIN=${SECRETCTL_BIN:-$BATS_TEST_DIRNAME/../../build/secretctl}
	RT=$(mktemp -d /tmp/sc-redact-XXXXXX)
	export XDG_RUNTIME_DIR="$RT"
	export SECRETCTL_VAULT_DIR="$BATS_TEST_TMPDIR/vault"
	unset SECRETCTL_PASSWORD SECRETCTL_NO_AGENT
	printf '%s\n' "$PW" | "$BIN" init --password-fd 0 --kdf-memory 8192 --kdf-time 1 2>/dev/null
	printf '%s' "$A" | SECRETCTL_PASSWORD=$PW "$BIN" set app/a
	printf '%s' "$B" | SECRETCTL_PASSWORD=$PW "$BIN" set app/b
	# what an earlier run left behind
	printf 'left=%s\n' "$A" >"$BATS_TEST_TMPDIR/left"
}

teardown() {
	"$BIN" lock >/dev/null 2>&1 || true
	rm -rf "$RT"
}

@test "run with the password: a value it did not inject is redacted" {
	SECRETCTL_PASSWORD=$PW run "$BIN" run -k app/b -- cat "$BATS_TEST_TMPDIR/left"
	[ "$status" -eq 0 ]
	[ "$output" = "left=[REDACTED:secret]" ]
}

@test "run with the password: the vault password itself is redacted" {
	printf 'pw=%s\n' "$PW" >"$BATS_TEST_TMPDIR/pw"
	SECRETCTL_PASSWORD=$PW run "$BIN" run -k app/b -- cat "$BATS_TEST_TMPDIR/pw"
	[ "$status" -eq 0 ]
	[ "$output" = "pw=[REDACTED:secret]" ]
}

@test "run through the agent: the vault password is redacted too" {
	printf 'pw=%s\n' "$PW" >"$BATS_TEST_TMPDIR/pw"
	printf 'version: 1\ncli_runs: allow\n' >"$SECRETCTL_VAULT_DIR/mcp-policy.yaml"
	chmod 600 "$SECRETCTL_VAULT_DIR/mcp-policy.yaml"
	# an agent started by this unlock, then one handed a new key and password
	printf '%s\n' "$PW" | "$BIN" unlock --password-fd 0
	run "$BIN" run -k app/b -- cat "$BATS_TEST_TMPDIR/pw"
	[ "$status" -eq 0 ]
	[ "$output" = "pw=[REDACTED:secret]" ]
	printf '%s\n' "$PW" | "$BIN" unlock --password-fd 0
	run "$BIN" run -k app/b -- cat "$BATS_TEST_TMPDIR/pw"
	[ "$status" -eq 0 ]
	[ "$output" = "pw=[REDACTED:secret]" ]
}

@test "run through the agent: a value it did not inject is redacted" {
	printf '%s\n' "$PW" | "$BIN" unlock --password-fd 0
	# the sanitizer is the net under a run the policy does not govern (the
	# opt-out); by default the run would be refused or confined
	printf 'version: 1\ncli_runs: allow\n' >"$SECRETCTL_VAULT_DIR/mcp-policy.yaml"
	chmod 600 "$SECRETCTL_VAULT_DIR/mcp-policy.yaml"
	run "$BIN" run -k app/b -- sh -c 'cat "$1"; printf "%s\n" "$APP_B"' sh "$BATS_TEST_TMPDIR/left"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "left=[REDACTED:secret]" ]
	[ "${lines[1]}" = "[REDACTED:APP_B]" ]
	[[ "$output" != *Alpha-Value* ]]
}
