#!/usr/bin/env bats
# exit.bats - exit statuses the man page promises and that were once wrong:
# 8 for an expired secret (get, run), 4 for a --password-fd that is not
# open, and for `exists` a failed look-up that is not mistaken for "absent"
# (1), so `exists || set` cannot clobber. (test_exit checks the table
# against the man page; this checks the binary against both.)

bats_require_minimum_version 1.5.0

setup() {
	load helpers
	sc_setup
	export SECRETCTL_NO_AGENT=1
	sc_init
	sc_put api/key 'exit-value-1234'
	printf 'old-value-5678' | sc set old --expires 2001-02-03 2>/dev/null
	sc_fault_preload
}

@test "exit: get of an expired secret gives the value and exits 8" {
	run -8 --separate-stderr sc get old
	[ "$output" = old-value-5678 ]
	[[ "$stderr" == *"warning: 'old' expired at 2001-02-03T00:00:00Z"* ]]
	run -0 sc get api/key
}

@test "exit: run refuses an expired secret with 8" {
	run -8 --separate-stderr sc run -k old -- true
	[[ "$stderr" == *"'old' has expired"* ]]
	run -0 sc run -k api/key -- true
}

@test "exit: a --password-fd that is not open is no password (4), said so" {
	unset SECRETCTL_PASSWORD
	run -4 --separate-stderr sc --password-fd 9 list
	[[ "$stderr" == *"--password-fd 9 is not an open file descriptor"* ]]
	[[ "$stderr" != *"input/output error"* ]]
}

@test "exit: exists says 13 when the look-up fails, 1 only when absent" {
	run -0 sc exists api/key
	run -1 sc exists api/none
	# the audit log cannot be written: whether it exists is not answered
	run -13 --separate-stderr env SC_FAULT_PATH='*/audit.log' SC_FAULT_N=1 SC_FAULT_STICKY=1 LD_PRELOAD="$PRELOAD" \
		"$SC_BIN" exists api/none
	[[ "$stderr" == *"cannot look up 'api/none'"* ]]
	run -13 env SC_FAULT_PATH='*/audit.log' SC_FAULT_N=1 SC_FAULT_STICKY=1 LD_PRELOAD="$PRELOAD" \
		"$SC_BIN" exists api/key
}
