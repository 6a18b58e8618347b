#!/usr/bin/env bats
# crash_trials.bats - scripts/crash-trials.sh with a few trials per write
# command (the script's own default is larger; RELIABILITY.md has figures
# from long runs): kill -9 at random instants leaves a vault that opens,
# verifies, and holds each secret as it was before or after; 50 for rekey
# (about 20 s), which a rerun must then finish; 50 for key rewrap --all
# (about 25 s), whose index must then tell the truth.

bats_require_minimum_version 1.5.0

load helpers

@test "crash trials: kill -9 during set, delete, passwd, audit prune" {
	run -0 "$BATS_TEST_DIRNAME/../../scripts/crash-trials.sh" -n "${SC_CRASH_TRIALS:-4}" \
		-b "$SC_BIN" set-new set-over delete passwd prune
	echo "$output" | sed 's/^/# /' >&3
	[ "$(grep -c ' 0 failed' <<<"$output")" -eq 5 ]
}

@test "crash trials: kill -9 at 50 random points of a rekey; every value reads back, a rerun finishes" {
	run -0 "$BATS_TEST_DIRNAME/../../scripts/crash-trials.sh" -n "${SC_REKEY_TRIALS:-50}" \
		-b "$SC_BIN" rekey
	echo "$output" | sed 's/^/# /' >&3
	[[ "$output" == "rekey "*" ${SC_REKEY_TRIALS:-50} trials ("*" 0 failed;"* ]]
	# most kills land mid-way (not all after the end)
	[ "$(sed -n 's/.*(\([0-9]*\) killed mid-way.*/\1/p' <<<"$output")" -ge $((${SC_REKEY_TRIALS:-50} / 2)) ]
}

@test "crash trials: kill -9 at 50 random points of key rewrap --all; values, index and rerun right" {
	run -0 "$BATS_TEST_DIRNAME/../../scripts/crash-trials.sh" -n "${SC_REWRAP_TRIALS:-50}" \
		-b "$SC_BIN" rewrap
	echo "$output" | sed 's/^/# /' >&3
	[[ "$output" == "rewrap "*" ${SC_REWRAP_TRIALS:-50} trials ("*" 0 failed;"* ]]
	# a good share of the kills land mid-way (not all after the end)
	[ "$(sed -n 's/.*(\([0-9]*\) killed mid-way.*/\1/p' <<<"$output")" -ge $((${SC_REWRAP_TRIALS:-50} / 3)) ]
}
