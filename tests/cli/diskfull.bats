#!/usr/bin/env bats
# diskfull.bats - a real full disk (a small tmpfs) and a real read-only
# file system (that tmpfs remounted read-only). A full disk: a write fails
# with "no space left on device" and its own exit status, changes nothing,
# and the vault verifies once there is room again. Read-only: reads work,
# writes fail with "read-only file system" (exit 11), never "corrupt".
# Mounting needs root: elsewhere these tests skip, saying so.

bats_require_minimum_version 1.5.0

setup() {
	load helpers
	[ "$(id -u)" -eq 0 ] || skip "needs root to mount a small tmpfs (CI runs as root)"
	MNT=$(mktemp -d /tmp/sc-mnt-XXXXXX)
	mount -t tmpfs -o size=4m,mode=0700 tmpfs "$MNT" || skip "cannot mount a tmpfs here"
	sc_setup "$MNT/vault"
	export SECRETCTL_NO_AGENT=1
	sc_init
	sc_put keep/one 'keep-value-1'
	sc_put target/x 'old-target-value'
}

teardown() {
	[ -n "${MNT:-}" ] || return 0
	umount "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null || true
	rmdir "$MNT" 2>/dev/null || true
}

# Fill the file system but for about $1 KiB.
fill_to() {
	local free
	dd if=/dev/zero of="$MNT/filler" bs=4k 2>/dev/null || true
	free=$(($1 / 4))
	[ "$free" -gt 0 ] && truncate -s "-$((free * 4))K" "$MNT/filler"
	sync
}

@test "full disk: set fails with 'no space left on device', exit 12, changes nothing" {
	head -c 200000 /dev/urandom | base64 -w0 >"$BATS_TEST_TMPDIR/big"
	fill_to 56
	run --separate-stderr sc set target/x --value-file "$BATS_TEST_TMPDIR/big"
	echo "exit $status: $stderr"
	[ "$status" -eq 12 ]
	[[ "$stderr" == *"no space left on device"* ]]
	[[ "$stderr" == *"$SC_VAULT"* ]] # names where
	[[ "$stderr" != *"rollback"* && "$stderr" != *"input/output error"* ]]
	run -0 sc get target/x
	[ "$output" = old-target-value ]
	rm -f "$MNT/filler"
	run -0 sc get keep/one
	run -0 sc audit verify
}

@test "full disk: a new secret and a delete fail cleanly too" {
	head -c 200000 /dev/urandom | base64 -w0 >"$BATS_TEST_TMPDIR/big"
	fill_to 8
	run --separate-stderr sc set new/x --value-file "$BATS_TEST_TMPDIR/big"
	[ "$status" -eq 12 ]
	[[ "$stderr" == *"no space left on device"* ]]
	run --separate-stderr sc delete target/x
	if [ "$status" -ne 0 ]; then
		[ "$status" -eq 12 ]
		[[ "$stderr" == *"no space left on device"* ]]
	fi
	rm -f "$MNT/filler"
	run -1 sc exists new/x
	run -0 sc audit verify
}

@test "read-only file system: reads work, writes say so with exit 11" {
	mount -o remount,ro "$MNT"
	run -0 --separate-stderr sc get target/x
	[ "$output" = old-target-value ]
	# the audit log cannot take the entry: said, not hidden
	[[ "$stderr" == *"read-only file system"*"not recorded"* ]]
	run -0 sc list
	run -0 sc exists keep/one
	run --separate-stderr sc set target/x <<<'new-value-xyz'
	echo "exit $status: $stderr"
	[ "$status" -eq 11 ]
	[[ "$stderr" == *"read-only file system"* ]]
	[[ "$stderr" != *"damaged"* && "$stderr" != *"corrupt"* ]]
	run -11 --separate-stderr sc delete target/x
	[[ "$stderr" == *"read-only file system"* ]]
	mount -o remount,rw "$MNT"
	run -0 sc get target/x
	[ "$output" = old-target-value ]
	run -0 sc audit verify
}
