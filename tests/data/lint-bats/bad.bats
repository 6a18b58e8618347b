#!/usr/bin/env bats
# Samples the lint must reject: one finding per test (see lint-bats.sh).

@test "bare negation" {
	! grep -q x /dev/null
	true
}

@test "negation before ||" {
	! kill -0 1 2>/dev/null || [ "$(cat /dev/null)" = Z ]
}

@test "negation after then" {
	if true; then ! false; fi
}

@test "non-final && of tests" {
	[ 1 -eq 1 ] && [ 2 -eq 2 ]
	true
}

@test "&& after [[ ]]" {
	[[ a == a ]] && [ 1 = 1 ]
}

@test "&& of commands" {
	head -n 1 /dev/null >/tmp/x && cat /tmp/x
}

@test "&& continued on the next line" {
	[ 1 = 1 ] &&
		[ 2 = 2 ]
	true
}
