#!/usr/bin/env bats
# backup.bats - `secretctl backup`, `backup --verify` and `restore` as a user
# meets them: a backup taken while another process writes, restored, every
# value read back and the audit chain verified; tampered and truncated
# backups refused before anything is written; wrong password and
# passphrase; the refusal to replace a vault without --force.

bats_require_minimum_version 1.5.0

load helpers

setup() {
	sc_setup
	export SECRETCTL_NO_AGENT=1
	sc_init
	BK=$BATS_TEST_TMPDIR/vault.scb
	DEST=$BATS_TEST_TMPDIR/restored
	WRITER=
}

teardown() {
	touch "$BATS_TEST_TMPDIR/stop"
	if [ -n "$WRITER" ]; then
		kill "$WRITER" 2>/dev/null || true
		wait "$WRITER" 2>/dev/null || true
	fi
}

# flip the byte at offset $2 of file $1
flip() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "\\$(printf '%03o' $(((b ^ 255) & 255)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

pass_fd3() {
	local p=$1
	shift
	"$SC_BIN" "$@" 3< <(printf '%s\n' "$p")
}

@test "backup writes a 0600 file, refuses an existing one, needs -o" {
	sc_put db/pw 'Value-One-a1b2c3d4'
	run -0 sc backup -o "$BK"
	[[ "$output" == "secretctl: backup written to '$BK': "*" bytes, 1 key slot" ]]
	[ "$(stat -c %a "$BK")" = 600 ]
	run -7 sc backup -o "$BK"
	[[ "$output" == *"cannot create the backup"*"File exists"* ]]
	run -2 sc backup
	[[ "$output" == *"give the backup file with -o FILE"* ]]
	run -2 sc backup -o "$BK.2" extra
	[ ! -e "$BK.2" ]
	# no value in the file in the clear
	sc_assert_no_plaintext "$BATS_TEST_TMPDIR" 'Value-One-a1b2c3d4'
}

@test "backup needs the vault password; a wrong one writes nothing" {
	SECRETCTL_PASSWORD=wrong-password-1 run -4 sc backup -o "$BK"
	[ ! -e "$BK" ]
}

@test "a backup taken while another process writes restores whole" {
	local i k n
	for i in $(seq 1 20); do sc_put "base/s$i" "base-value-$i-abcdef"; done
	# a writer in the background: a loop of set
	(
		i=0
		while [ ! -e "$BATS_TEST_TMPDIR/stop" ]; do
			i=$((i + 1))
			printf 'live-value-%s-xyzxyz' "$i" |
				"$SC_BIN" set --value-file /dev/stdin "live/k$((i % 7))" 2>/dev/null || true
		done
	) >/dev/null 2>&1 3>&- &
	WRITER=$!
	sleep 0.3
	# several backups mid-write: each one's log ends exactly at the anchor
	# its database holds (no entry past it: the snapshot took the log's lock)
	for k in $(seq 1 12); do
		rm -f "$BK"
		run -0 sc backup -o "$BK"
		run -0 --separate-stderr sc --json backup --verify "$BK"
		[ "$(jq -r .audit_lag <<<"$output")" = 0 ]
		sleep 0.0$((RANDOM % 10))
	done
	touch "$BATS_TEST_TMPDIR/stop"
	wait "$WRITER"
	WRITER=
	run -0 sc restore "$BK" --to "$DEST"
	[[ "$output" == "secretctl: restored '$DEST': "*" secrets, "*" audit entries, 1 key slot, made "* ]]
	[ "$(stat -c %a "$DEST")" = 700 ]
	[ "$(stat -c %a "$DEST/vault.db")" = 600 ]
	export SECRETCTL_VAULT_DIR=$DEST
	run -0 sc audit verify
	[[ "$output" == "audit log verified: "* ]]
	for k in $(seq 1 20); do
		run -0 sc get "base/s$k"
		[ "$output" = "base-value-$k-abcdef" ]
	done
	# every live secret the backup holds reads back, with its history
	n=0
	for k in $(sc list | grep '^live/'); do
		run -0 sc get "$k"
		[[ "$output" == live-value-*-xyzxyz ]]
		n=$((n + 1))
	done
	[ "$n" -ge 1 ]
	# the restored vault takes writes and still verifies
	sc_put after 'after-restore-value-1'
	run -0 sc audit verify
}

@test "restore keeps every version, the history and the audit log" {
	sc_put db 'Version-One-1234567'
	sc_put db 'Version-Two-1234567'
	run -0 sc backup -o "$BK"
	run -0 sc restore "$BK" --to "$DEST"
	# the audit log up to the backup, entry for entry
	run -0 cmp <(head -c "$(stat -c %s "$DEST/audit.log")" "$SC_VAULT/audit.log") "$DEST/audit.log"
	SECRETCTL_VAULT_DIR=$DEST run -0 sc get db --version 1
	[ "$output" = Version-One-1234567 ]
	SECRETCTL_VAULT_DIR=$DEST run -0 sc get db
	[ "$output" = Version-Two-1234567 ]
	# the restored vault opens with the password (its key slots came along)
	SECRETCTL_VAULT_DIR=$DEST SECRETCTL_PASSWORD=wrong-password-1 run -4 sc get db
}

@test "backup --verify checks a backup and writes nothing" {
	sc_put db 'Value-One-a1b2c3d4'
	run -0 sc backup -o "$BK"
	run -0 sc backup --verify "$BK"
	[[ "$output" == "secretctl: verified '$BK': 1 secrets, "*" audit entries, 1 key slot, made "* ]]
	run -0 sc --json backup --verify "$BK"
	[ "$(jq -r .secrets <<<"$output")" = 1 ]
	[ "$(jq -r .verified <<<"$output")" = true ]
	run -2 sc backup --verify
	run -3 sc backup --verify "$BATS_TEST_TMPDIR/none.scb"
	SECRETCTL_PASSWORD=wrong-password-1 run -4 sc backup --verify "$BK"
	[[ "$output" == *"wrong password for this backup"* ]]
	run ls -A "$BATS_TEST_TMPDIR"
	[[ "$output" != *check* ]]
}

@test "a tampered or truncated backup is refused before anything is written" {
	local size off
	sc_put db 'Value-One-a1b2c3d4'
	for i in $(seq 1 40); do sc_put "bulk/s$i" "$(head -c 3000 /dev/urandom | base64 -w0)"; done
	run -0 sc backup -o "$BK"
	size=$(stat -c %s "$BK")
	[ "$size" -gt 140000 ] # three chunks at least
	# the magic, a header field (created), the stream header at the end of
	# the header, a middle chunk, the final chunk's tag
	for off in 0 33 $((size / 2)) $((size - 1)); do
		cp "$BK" "$BK.t"
		flip "$BK.t" "$off"
		run -6 sc restore "$BK.t" --to "$DEST"
		[[ "$output" == "secretctl: "* ]]
		[ ! -e "$DEST" ]
		run -6 sc backup --verify "$BK.t"
	done
	# a key slot's wrapped key (wrong password and tamper look alike: 4),
	# and the header's last byte (the secretstream header: 6)
	local plen wlen
	plen=$(od -An -tu4 --endian=big -j 92 -N4 "$BK" | tr -d ' ')
	wlen=$(od -An -tu4 --endian=big -j $((96 + plen)) -N4 "$BK" | tr -d ' ')
	cp "$BK" "$BK.t"
	flip "$BK.t" $((100 + plen + 5))
	run -4 sc restore "$BK.t" --to "$DEST"
	[ ! -e "$DEST" ]
	cp "$BK" "$BK.t"
	flip "$BK.t" $((100 + plen + wlen + 23))
	run -6 sc restore "$BK.t" --to "$DEST"
	[ ! -e "$DEST" ]
	# truncated (last chunk cut; at a chunk boundary; header only)
	for size in $((size - 1)) 65553 100; do
		head -c "$size" "$BK" >"$BK.t"
		run -6 sc restore "$BK.t" --to "$DEST"
		[ ! -e "$DEST" ]
	done
	# a byte added at the end
	{ cat "$BK"; printf x; } >"$BK.t"
	run -6 sc restore "$BK.t" --to "$DEST"
	[[ "$output" == *"longer than its header says"* ]]
	[ ! -e "$DEST" ]
	# nothing left beside the destination either
	run ls -A "$BATS_TEST_TMPDIR"
	[[ "$output" != *restore-* ]]
	# the untouched one still restores
	run -0 sc restore "$BK" --to "$DEST"
}

@test "a backup under a passphrase needs it, and the right one" {
	sc_put db 'Value-One-a1b2c3d4'
	run -0 pass_fd3 'backup-passphrase-1' backup -o "$BK" --passphrase-fd 3 --kdf-memory 8M --kdf-time 1
	[[ "$output" == *", with a passphrase" ]]
	run -4 sc restore "$BK" --to "$DEST"
	[[ "$output" == *"sealed with a passphrase too"* ]]
	[ ! -e "$DEST" ]
	run -4 pass_fd3 'wrong-passphrase-1' restore "$BK" --to "$DEST" --passphrase-fd 3
	[[ "$output" == *"wrong passphrase"* ]]
	[ ! -e "$DEST" ]
	SECRETCTL_PASSWORD=wrong-password-1 run -4 pass_fd3 'backup-passphrase-1' restore "$BK" --to "$DEST" --passphrase-fd 3
	[ ! -e "$DEST" ]
	run -0 pass_fd3 'backup-passphrase-1' restore "$BK" --to "$DEST" --passphrase-fd 3
	SECRETCTL_VAULT_DIR=$DEST run -0 sc get db
	[ "$output" = Value-One-a1b2c3d4 ]
	# a short passphrase, bad KDF bounds
	run -2 pass_fd3 'short' backup -o "$BK.2" --passphrase-fd 3
	[ ! -e "$BK.2" ]
	run -2 pass_fd3 'backup-passphrase-1' backup -o "$BK.2" --passphrase-fd 3 --kdf-memory 4096
	[ ! -e "$BK.2" ]
}

@test "restore refuses to replace a vault unless --force, and then replaces it whole" {
	sc_put db 'Old-Value-a1b2c3d4'
	run -0 sc backup -o "$BK"
	sc_put db 'New-Value-a1b2c3d4'
	sc_put extra 'Extra-Value-a1b2c3'
	local before
	before=$(sc_vault_hash)
	run -7 sc restore "$BK"
	[[ "$output" == *"give --force to replace it"* ]]
	[ "$(sc_vault_hash)" = "$before" ]
	run -0 sc restore "$BK" --force
	run -0 sc get db
	[ "$output" = Old-Value-a1b2c3d4 ]
	run -3 sc get extra
	run -0 sc audit verify
	# nothing left aside
	run ls -A "$BATS_TEST_TMPDIR"
	[[ "$output" != *.old-* ]]
	# a tampered backup with --force leaves the vault as it was
	before=$(sc_vault_hash)
	cp "$BK" "$BK.t"
	flip "$BK.t" $(($(stat -c %s "$BK") / 2))
	run -6 sc restore "$BK.t" --force
	[ "$(sc_vault_hash)" = "$before" ]
	# a file in the way is not a directory
	touch "$BATS_TEST_TMPDIR/file"
	run -7 sc restore "$BK" --to "$BATS_TEST_TMPDIR/file"
	run -2 sc restore
	run -2 sc restore "$BK" "$BK"
}

@test "backup and restore are audited in the live vault" {
	run -0 sc backup -o "$BK"
	run -0 sc audit list
	[[ "$output" == *" backup "* ]]
}
