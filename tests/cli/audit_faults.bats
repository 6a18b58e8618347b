#!/usr/bin/env bats
# audit_faults.bats - the audit log under faults and leftovers: export
# prints nothing unless its own entry is on disk; (more below as items land).

bats_require_minimum_version 1.5.0

setup() {
	load helpers
	sc_setup
	export SECRETCTL_NO_AGENT=1
	sc_fault_preload
	sc_init
	sc_put api/key 'audit-value-1234'
}

@test "audit export: nothing is printed when its own entry cannot be written" {
	local fmt
	for fmt in json csv; do
		run --separate-stderr env SC_FAULT_PATH='*/audit.log' SC_FAULT_N=1 SC_FAULT_STICKY=1 LD_PRELOAD="$PRELOAD" \
			"$SC_BIN" audit export --format "$fmt"
		[ "$status" -ne 0 ]
		[ -z "$output" ]
		[[ "$stderr" == *"cannot write the audit log"* ]]
	done
	# and with the log writable, the export holds its own entry
	run -0 --separate-stderr sc audit export
	[ "$(jq -r '.[-1].op' <<<"$output")" = audit.export ]
}

@test "audit: an append after a torn tail starts a new line; verify names the tail" {
	local log=$SC_VAULT/audit.log
	# a tail without a newline, longer than any entry can be: not an
	# interrupted append of ours, so it is not cut off
	head -c 70000 /dev/zero | tr '\0' x >>"$log"
	run -10 --separate-stderr sc audit verify
	[[ "$stderr" == *"torn"* ]]
	sc_put api/two 'audit-value-5678'
	# the new entry is a line of its own, not glued onto the torn one
	tail -n 1 "$log" | jq -e '.op == "set"' >/dev/null
	[ "$(tail -n 2 "$log" | head -n 1 | head -c 10)" = xxxxxxxxxx ]
}

@test "audit: a short torn tail is cut off by the next append and verify passes" {
	printf '{"seq":99,"ts":"2026' >>"$SC_VAULT/audit.log"
	run -0 --separate-stderr sc audit verify
	[[ "$output$stderr" == *"incomplete"* ]]
	sc_put api/two 'audit-value-5678'
	run -0 sc audit verify
	if grep -q '"seq":99' "$SC_VAULT/audit.log"; then false; fi
}

@test "init: a stale audit.log from an earlier vault is moved aside, saying so" {
	local v=$SC_VAULT
	rm -f "$v/vault.db" "$v/vault.db-wal" "$v/vault.db-shm"
	[ -s "$v/audit.log" ]
	cp "$v/audit.log" "$BATS_TEST_TMPDIR/old.log"
	run -0 --separate-stderr sh -c "printf '%s\n' '$SC_PW' | '$SC_BIN' init --password-fd 0 \
		--kdf-memory 8192 --kdf-time 1"
	[[ "$stderr" == *"moved '$v/audit.log' (left by an earlier vault) to '$v/audit.log.stale-"* ]]
	# the new vault's chain starts afresh and verifies at once
	run -0 sc audit verify
	sc_put api/key 'audit-value-1234'
	run -0 sc audit verify
	# the old log is kept, byte for byte, where the message said
	old=$(ls "$v"/audit.log.stale-* | head -1)
	cmp "$old" "$BATS_TEST_TMPDIR/old.log"
}
