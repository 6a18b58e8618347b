#!/usr/bin/env bats
# crash_trials.bats - scripts/crash-trials.sh with a few trials per write
# command (the script's own default is larger; RELIABILITY.md has figures
# from long runs): kill -9 at random instants leaves a vault that opens,
# verifies, and holds each secret as it was before or after.

bats_require_minimum_version 1.5.0

load helpers

@test "crash trials: kill -9 during set, delete, passwd, audit prune" {
	run -0 "$BATS_TEST_DIRNAME/../../scripts/crash-trials.sh" -n "${SC_CRASH_TRIALS:-4}" \
		-b "$SC_BIN"
	echo "$output" | sed 's/^/# /' >&3
	[ "$(grep -c ' 0 failed' <<<"$output")" -eq 5 ]
}
