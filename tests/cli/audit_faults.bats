#!/usr/bin/env bats
# audit_faults.bats - the audit log under faults and leftovers: export
# prints nothing unless its own entry is on disk; (more below as items land).

bats_require_minimum_version 1.5.0

setup() {
	load helpers
	sc_setup
	export SECRETCTL_NO_AGENT=1
	SHIM=${SC_BUILD_DIR:-$BATS_TEST_DIRNAME/../../build}/libscfault.so
	sc_init
	sc_put api/key 'audit-value-1234'
}

@test "audit export: nothing is printed when its own entry cannot be written" {
	[ -f "$SHIM" ] || skip "no fault shim at $SHIM"
	local fmt
	for fmt in json csv; do
		SC_FAULT_PATH='*/audit.log' SC_FAULT_N=1 SC_FAULT_STICKY=1 LD_PRELOAD=$SHIM \
			run --separate-stderr "$SC_BIN" audit export --format "$fmt"
		[ "$status" -ne 0 ]
		[ -z "$output" ]
		[[ "$stderr" == *"cannot write the audit log"* ]]
	done
	# and with the log writable, the export holds its own entry
	run -0 --separate-stderr sc audit export
	[ "$(jq -r '.[-1].op' <<<"$output")" = audit.export ]
}
