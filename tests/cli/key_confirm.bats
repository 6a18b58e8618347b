#!/usr/bin/env bats
# Keys that ask a person for each signature (issue 14, `key create
# --confirm`): the CLI asks at its terminal, showing the key, the program
# that ran it and the message's SHA-256; no terminal, a no or silence signs
# nothing (exit 9, audited). The unlock agent, which can ask no one, never
# signs with such a key: an AI agent's shell that reaches it gets nothing,
# and the CLI falls back to asking for the password and the confirmation
# at the terminal. The ssh-agent asks (SSH_ASKPASS) even without ,confirm.
# Real ptys (pty_drive.py).

bats_require_minimum_version 1.5.0

setup() {
	load helpers
	sc_setup
	sc_init
	export SECRETCTL_NO_AGENT=1
	sc key create c --type ed25519 --confirm 2>/dev/null
	printf 'pay 100 to bob\n' >"$BATS_TEST_TMPDIR/msg"
	DIGEST=$(sha256sum "$BATS_TEST_TMPDIR/msg" | cut -d' ' -f1)
	DRIVE=$BATS_TEST_DIRNAME/pty_drive.py
	RT=$(mktemp -d /tmp/sc-kconfirm-XXXXXX)
}

teardown() {
	XDG_RUNTIME_DIR=$RT "$SC_BIN" lock >/dev/null 2>&1 || true
	rm -rf "$RT"
}

@test "no terminal: nothing is signed, exit 9, the refusal audited" {
	sc_audit_mark
	run -9 --separate-stderr setsid -w "$SC_BIN" sign c --in "$BATS_TEST_TMPDIR/msg" --out "$BATS_TEST_TMPDIR/sig" </dev/null
	[[ "$stderr" == *"key 'c' asks for a confirmation per signature: run 'secretctl sign' at a terminal"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/sig" ]
	sc_assert_audit_appended
	run -0 sc audit list --op key.sign
	[[ "$(tail -n 1 <<<"$output")" == *denied* ]]
}

@test "on a terminal: the prompt shows key, program and digest; yes signs, no does not" {
	local d=$BATS_TEST_TMPDIR
	run -0 python3 "$DRIVE" "[y/N] " y -- \
		"$SC_BIN" sign c --in "$d/msg" --out "$d/sig"
	[[ "$output" == *"sign with key 'c' for python"* ]]
	[[ "$output" == *"SHA-256 of the message: $DIGEST"* ]]
	sc key pubkey c >"$d/c.pem"
	run -0 openssl pkeyutl -verify -pubin -inkey "$d/c.pem" -rawin -in "$d/msg" -sigfile "$d/sig"
	run -9 python3 "$DRIVE" "[y/N] " n -- \
		"$SC_BIN" sign c --in "$d/msg" --out "$d/sig2"
	[[ "$output" == *"the signature by key 'c' was not confirmed"* ]]
	[ ! -e "$d/sig2" ]
}

@test "the unlock agent never signs with it; the CLI asks for password and yes" {
	local d=$BATS_TEST_TMPDIR
	export XDG_RUNTIME_DIR=$RT
	unset SECRETCTL_NO_AGENT
	printf '%s\n' "$SC_PW" | env -u SSH_ASKPASS "$SC_BIN" unlock --password-fd 0 >/dev/null
	unset SECRETCTL_PASSWORD
	# an AI agent's shell, no terminal, no password: nothing signed
	run --separate-stderr setsid -w "$SC_BIN" sign c --in "$d/msg" --out "$d/sig" </dev/null
	[ "$status" -ne 0 ]
	[ ! -e "$d/sig" ]
	# the agent's own refusal is in the log
	run -0 env SECRETCTL_NO_AGENT=1 SECRETCTL_PASSWORD="$SC_PW" "$SC_BIN" audit list --op key.sign
	[[ "$output" == *" agent "*denied* ]]
	# the person at the terminal: the password, then yes
	run -0 python3 "$DRIVE" "Vault password: " "$SC_PW" "[y/N] " y -- \
		"$SC_BIN" sign c --in "$d/msg" --out "$d/sig"
	[ -s "$d/sig" ]
	# a key without --confirm still signs in the agent, without a password
	SECRETCTL_NO_AGENT=1 SECRETCTL_PASSWORD=$SC_PW "$SC_BIN" key create plain --type ed25519 2>/dev/null
	run -0 setsid -w "$SC_BIN" sign plain --in "$d/msg" --out "$d/sig4" </dev/null
}

@test "an agent unlocked with SSH_ASKPASS asks there: yes signs in the agent, no is final" {
	local d=$BATS_TEST_TMPDIR
	export XDG_RUNTIME_DIR=$RT
	unset SECRETCTL_NO_AGENT
	# the person's answers, one per line, and what they were shown
	printf '#!/bin/sh\nprintf "%%s|%%s\\n" "$SSH_ASKPASS_PROMPT" "$1" >>"%s/shown"\nexit "$(cat "%s/answer")"\n' "$d" "$d" >"$d/ask"
	chmod +x "$d/ask"
	printf '%s\n' "$SC_PW" | SSH_ASKPASS=$d/ask "$SC_BIN" unlock --password-fd 0 >/dev/null
	unset SECRETCTL_PASSWORD
	# yes: signed in the agent, no terminal and no password anywhere
	echo 0 >"$d/answer"
	run -0 setsid -w "$SC_BIN" sign c --in "$d/msg" --out "$d/sig" </dev/null
	sc key pubkey c >"$d/c.pem"
	run -0 openssl pkeyutl -verify -pubin -inkey "$d/c.pem" -rawin -in "$d/msg" -sigfile "$d/sig"
	run -0 cat "$d/shown"
	[[ "$output" == "confirm|secretctl agent: sign with key 'c' for secretctl (pid "* ]]
	[[ "$output" == *"SHA-256 of the message: $DIGEST"* ]]
	# no: refused there, and final: the CLI does not go to the vault
	# itself even with the password at hand
	echo 1 >"$d/answer"
	SECRETCTL_PASSWORD=$SC_PW run -9 --separate-stderr setsid -w "$SC_BIN" sign c \
		--in "$d/msg" --out "$d/sig2" </dev/null
	[[ "$stderr" == *"the signature by key 'c' was not confirmed"* ]]
	[ ! -e "$d/sig2" ]
	[ "$(grep -c "^confirm|" "$d/shown")" -eq 2 ]
	run -0 env SECRETCTL_NO_AGENT=1 SECRETCTL_PASSWORD="$SC_PW" "$SC_BIN" audit list --op key.sign
	[ "$(grep -c ' agent .* ok ' <<<"$output")" -eq 1 ]
	[ "$(grep -c ' agent .*denied' <<<"$output")" -eq 1 ]
	[ "$(grep -c ' cli ' <<<"$output")" -eq 0 ]
}

@test "only signing keys take --confirm" {
	run -2 --separate-stderr sc key create k --type aes256-gcm --confirm
	[[ "$stderr" == *"--confirm is for a signing key"* ]]
	run -3 sc key show k
}

@test "the ssh-agent asks for such a key even without ,confirm" {
	local d=$BATS_TEST_TMPDIR
	printf '#!/bin/sh\necho asked >>"%s/asked"\nexit 1\n' "$d" >"$d/no"
	chmod +x "$d/no"
	SSH_ASKPASS=$d/no "$SC_BIN" ssh-agent --socket "$d/a.sock" c >"$d/env" 2>/dev/null &
	local ag=$! i
	for i in $(seq 1 100); do [ -S "$d/a.sock" ] && break; sleep 0.1; done
	sc key pubkey c --format ssh >"$d/c.pub"
	run env SSH_AUTH_SOCK="$d/a.sock" ssh-keygen -Y sign -f "$d/c.pub" -n file "$d/msg"
	[ "$status" -ne 0 ]
	[ "$(cat "$d/asked")" = asked ]
	kill "$ag"
	wait "$ag" || true
}
