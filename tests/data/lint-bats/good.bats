#!/usr/bin/env bats
# Samples the lint must accept (see lint-bats.sh).

@test "forms that can fail" {
	run ! grep -q x /dev/null
	[[ a != b && c == c ]]
	[ 1 = 1 ] && [ 2 = 2 ] || false
	if ! false && true; then :; fi
	while ! true; do break; done
	for i in 1 2; do [ "$i" = 2 ] && break; done
	true && ok=1
	x=$(echo a && echo b)
	echo "! not a command && not a list"
	echo 'a && b'
	cat <<'X'
! inside a heredoc && fine
X
	# ! a comment && too
	[ "$ok" = 1 ]
}
