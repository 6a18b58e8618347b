#!/usr/bin/env bats
# Black-box tests of the audit log: every operation recorded, the detection
# table (any field of any entry changed, entries deleted, swapped, truncated
# or the file replaced by an older copy: `audit verify` exits 10), prune
# then verify, failed unlocks shown after the next unlock, and several
# processes appending at once leaving one unbroken chain.

bats_require_minimum_version 1.5.0

load helpers

setup() {
	sc_setup
	sc_init
	LOG="$SC_VAULT/audit.log"
	sc_put api/key 'Zx9-q7/Lm+Tt4?&=Pw%Rs'
	sc_put db/password 'hunter2-but-longer-0'
	sc get api/key >/dev/null
	sc get no/such 2>/dev/null || true
	sc exists db/password
	sc list >/dev/null
	SECRETCTL_PASSWORD=wrong-password-1 sc get api/key 2>/dev/null || true
	sc_put tmp/one 'temporary-value-1234'
	sc delete tmp/one
	sc get db/password >/dev/null
	sc get api/key >/dev/null
	sc get api/key >/dev/null
	sc get db/password >/dev/null
	sc get api/key >/dev/null
	sc get api/key >/dev/null
	ENTRIES=15
}

# verify must fail with exit 10, naming line $1 when given
verify_fails() {
	run sc audit verify
	if [ "$status" -ne 10 ]; then
		echo "audit verify exited $status (want 10): $output" >&2
		return 1
	fi
	if [ -n "${1:-}" ] && [[ "$output" != *"at line $1 "* && "$output" != *"at line $1:"* ]]; then
		echo "want the report at line $1, got: $output" >&2
		return 1
	fi
}

@test "every operation is recorded and the untouched log verifies" {
	run sc audit verify
	[ "$status" -eq 0 ]
	[[ "$output" == *"$ENTRIES entries (1..$ENTRIES)"* ]]
	[ "$(wc -l <"$LOG")" -eq "$ENTRIES" ]
	run sc audit list --json
	[ "$status" -eq 0 ]
	[ "$(jq length <<<"$output")" -eq "$ENTRIES" ]
	[ "$(jq -r '[.[].op] | join(" ")' <<<"$output")" = \
		"set set get get exists list unlock set delete get get get get get get" ]
	# names shown for secrets that exist, ids for ones that do not
	[ "$(jq -r '.[2].secrets[0].name' <<<"$output")" = "api/key" ]
	[ "$(jq -r '.[3].secrets[0].name' <<<"$output")" = "null" ]
	[ "$(jq -r '.[3].code' <<<"$output")" = "not_found" ]
	[ "$(jq -r '.[8].secrets[0].name' <<<"$output")" = "null" ]
	# no plaintext names or values on disk, and the log is 0600
	sc_assert_no_plaintext "$SC_VAULT" api/key db/password tmp/one 'Zx9-q7/Lm+Tt4?&=Pw%Rs'
	[ "$(stat -c %a "$LOG")" = 600 ]
}

@test "detection: any field of any entry changed or removed" {
	local i k n=0 orig line mutated
	orig=$(cat "$LOG")
	for ((i = 1; i <= ENTRIES; i++)); do
		line=$(sed -n "${i}p" <<<"$orig")
		for k in $(jq -r 'keys_unsorted[]' <<<"$line"); do
			for how in change remove; do
				if [ "$how" = change ]; then
					mutated=$(jq -c --arg k "$k" '
					  def alt: if type == "number" then . + 1
					    elif type == "boolean" then (. | not)
					    elif type == "array" then (.[0] |= alt)
					    elif test("^[0-9a-f]{64}$") then
					      .[:-1] + (if .[-1:] == "0" then "1" else "0" end)
					    elif test("Z$") then
					      .[:-2] + (if .[-2:-1] == "0" then "1" else "0" end) + "Z"
					    elif . == "cli" then "agent"
					    elif . == "get" then "set"
					    else .[:-1] + (if .[-1:] == "a" then "b" else "a" end) end;
					  .[$k] |= alt' <<<"$line")
				else
					mutated=$(jq -c --arg k "$k" 'del(.[$k])' <<<"$line")
				fi
				[ "$mutated" != "$line" ]
				{ head -n $((i - 1)) <<<"$orig"; printf '%s\n' "$mutated"; \
				  tail -n +$((i + 1)) <<<"$orig"; } >"$LOG"
				verify_fails "$i" || { echo "undetected: $how '$k' of line $i" >&2; return 1; }
				n=$((n + 1))
			done
		done
	done
	printf '%s\n' "$orig" >"$LOG"
	run sc audit verify
	[ "$status" -eq 0 ]
	echo "# $n tampered variants, all detected" >&3
	[ "$n" -gt 200 ]
}

@test "detection: a middle entry deleted" {
	sed -i '7d' "$LOG"
	verify_fails 7
}

@test "detection: two entries swapped" {
	awk 'NR == 5 { five = $0; next } NR == 6 { print; print five; next } { print }' \
		"$LOG" >"$LOG.new"
	cat "$LOG.new" >"$LOG"
	verify_fails 5
}

@test "detection: an entry from another timeline of the same vault spliced in" {
	# a backup of the vault, then two writes on each of two timelines (the
	# vault as it went on, and the backup restored): same key, same sequence
	# numbers, every entry with a valid MAC, the anchor of the second
	cp -a "$SC_VAULT" "$BATS_TEST_TMPDIR/backup"
	sc_put fork/a1 'timeline-a-value-1'
	sc_put fork/a2 'timeline-a-value-2'
	cp "$LOG" "$BATS_TEST_TMPDIR/log.a"
	rm -rf "$SC_VAULT"
	cp -a "$BATS_TEST_TMPDIR/backup" "$SC_VAULT"
	sc_put fork/b1 'timeline-b-value-1'
	sc_put fork/b2 'timeline-b-value-2'
	run -0 sc audit verify
	[ "$(wc -l <"$LOG")" -eq $((ENTRIES + 2)) ]
	# B's log with its entry ENTRIES+1 replaced by A's: only 'prev' (the
	# MAC of the entry before, which the next entry carries) tells them apart
	{
		head -n "$ENTRIES" "$LOG"
		sed -n "$((ENTRIES + 1))p" "$BATS_TEST_TMPDIR/log.a"
		sed -n "$((ENTRIES + 2))p" "$LOG"
	} >"$LOG.new"
	cat "$LOG.new" >"$LOG"
	verify_fails $((ENTRIES + 2))
	[[ "$output" == *"'prev' does not match"* ]]
}

@test "detection: the last entry truncated" {
	sed -i '$d' "$LOG"
	verify_fails
	[[ "$output" == *"truncated"* ]]
}

@test "detection: the last entry cut short mid-line" {
	truncate -s -20 "$LOG"
	verify_fails
	[[ "$output" == *"truncated"* ]]
}

@test "detection: the last ten entries truncated" {
	head -n -10 "$LOG" >"$LOG.new"
	cat "$LOG.new" >"$LOG"
	verify_fails
	[[ "$output" == *"ends at entry $((ENTRIES - 10))"* ]]
}

@test "detection: all entries truncated, or the file removed" {
	: >"$LOG"
	verify_fails
	rm "$LOG"
	verify_fails
}

@test "detection: the first entries removed" {
	sed -i '1,3d' "$LOG"
	verify_fails 1
}

@test "detection: the file replaced with an older copy" {
	cp -p "$LOG" "$BATS_TEST_TMPDIR/old.log"
	sc get api/key >/dev/null
	sc get db/password >/dev/null
	cp -p "$BATS_TEST_TMPDIR/old.log" "$LOG"
	verify_fails
}

@test "detection: a line without a MAC in the middle" {
	sed -i '4a {"pending":true,"ts":"2026-01-01T00:00:00.000Z","op":"unlock","src":"cli","pid":1,"uid":0,"result":"error","code":"auth"}' "$LOG"
	verify_fails 5
}

@test "detection: a foreign entry appended" {
	tail -n 1 "$LOG" | jq -c '.seq += 1' >>"$LOG"
	verify_fails $((ENTRIES + 1))
}

@test "appends after tampering keep it visible" {
	sed -i '$d' "$LOG"
	sc get api/key >/dev/null
	verify_fails
}

@test "a wrong password shows up in audit list after the next unlock" {
	cp "$LOG" "$BATS_TEST_TMPDIR/before.log"
	run -4 env SECRETCTL_PASSWORD=not-the-password "$SC_BIN" get api/key
	# written at once, before anyone has the key: pending, unchained, in
	# audit.pending; audit.log untouched
	run cat "$SC_VAULT/audit.pending"
	[[ "$output" == '{"pending":true,'* ]]
	[[ "$output" != *'"mac"'* ]]
	[ "$(stat -c %a "$SC_VAULT/audit.pending")" = 600 ]
	cmp "$LOG" "$BATS_TEST_TMPDIR/before.log"
	run sc audit verify
	[ "$status" -eq 0 ]
	[[ "$output" == *"1 failed unlock not yet chained"* ]]
	run sc audit list --op unlock --json
	[ "$status" -eq 0 ]
	[ "$(jq length <<<"$output")" -eq 2 ]
	[ "$(jq -r '.[1].code' <<<"$output")" = auth ]
	[ "$(jq -r '.[1].late' <<<"$output")" = true ]
	[ "$(jq -r '.[1].seq' <<<"$output")" = $((ENTRIES + 1)) ]
	run sc audit list --limit 1
	[[ "$output" == *"unlock"*"error:auth"*"(recorded late)"* ]]
	run sc audit verify
	[ "$status" -eq 0 ]
	[[ "$output" == *"$((ENTRIES + 1)) entries"* ]]
	[[ "$output" != *"not yet chained"* ]]
	# taken in by appending: the log only grew
	[ ! -s "$SC_VAULT/audit.pending" ]
	cmp -n "$(stat -c %s "$BATS_TEST_TMPDIR/before.log")" "$LOG" "$BATS_TEST_TMPDIR/before.log"
}

@test "prune then verify passes, and tampering after a prune is still caught" {
	sleep 1.1
	cut=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	sleep 1.1
	sc get api/key >/dev/null
	sc get db/password >/dev/null
	run sc audit prune --before "$cut"
	[ "$status" -eq 0 ]
	[ "$output" = "pruned $ENTRIES entries" ]
	run sc audit verify
	[ "$status" -eq 0 ]
	[[ "$output" == *"after a prune checkpoint"* ]]
	head -n 1 "$LOG" | grep -q '"op":"checkpoint"'
	run sc audit list --json
	[ "$(jq -r '[.[].op] | join(" ")' <<<"$output")" = "get get audit.prune" ]
	[ "$(jq -r '.[0].seq' <<<"$output")" = $((ENTRIES + 1)) ]
	# a second prune of everything leaves a checkpoint alone; still verifies
	sleep 1.1
	run sc audit prune --before 0s
	[ "$status" -eq 0 ]
	run sc audit verify
	[ "$status" -eq 0 ]
	sc get api/key >/dev/null
	run sc audit verify
	[ "$status" -eq 0 ]
	cp -p "$LOG" "$BATS_TEST_TMPDIR/pruned.log"
	sed -i '1d' "$LOG" # the checkpoint removed
	verify_fails 1
	cp -p "$BATS_TEST_TMPDIR/pruned.log" "$LOG"
	sed -i '1s/"seq":[0-9]*/"seq":3/' "$LOG" # the checkpoint moved
	verify_fails 1
	cp -p "$BATS_TEST_TMPDIR/pruned.log" "$LOG"
	sed -i '$d' "$LOG"
	verify_fails
}

@test "prune refuses a log that does not verify" {
	sed -i '3d' "$LOG"
	run sc audit prune --before 0s
	[ "$status" -eq 10 ]
	[[ "$output" == *"not pruning"* ]]
}

@test "export: JSON and CSV, formula injection defused" {
	run sc audit export --format json
	[ "$status" -eq 0 ]
	# the entries, and the export's own (written before it prints)
	[ "$(jq length <<<"$output")" -eq $((ENTRIES + 1)) ]
	[ "$(jq -r '.[-1].op' <<<"$output")" = audit.export ]
	[ "$(jq -r '.[0].mac | length' <<<"$output")" -eq 64 ]
	run sc audit export --format csv
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "seq,time,op,source,client,pid,uid,secrets,secret_ids,command,result,code,late,pending,prev,mac" ]
	# a header, the entries, the JSON export just made, and this one
	[ "${#lines[@]}" -eq $((ENTRIES + 3)) ]
	# no cell may start with a formula character
	run grep -E '(^|,)"[=+@-]' <<<"$output"
	[ "$status" -eq 1 ]
	# a client name that is a formula (here a forged failed-unlock line,
	# which anyone who can write the file can add) comes out defused
	printf '%s\n' '{"pending":true,"ts":"2026-01-01T00:00:00.000Z","op":"unlock","src":"mcp","client":"=HYPERLINK(\"http://x\")","pid":1,"uid":0,"result":"error","code":"auth"}' >>"$SC_VAULT/audit.pending"
	run sc audit export --format csv
	[[ "$output" == *'"mcp","'"'"'=HYPERLINK(""http://x"")","1"'* ]]
	run grep -E '(^|,)"[=+@-]' <<<"$output"
	[ "$status" -eq 1 ]
	run sc audit export --format xml
	[ "$status" -eq 2 ]
}

@test "run is recorded with its secrets and the command's basename; CSV defuses formulas" {
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	printf '#!/bin/sh\nexit 0\n' >"$BATS_TEST_TMPDIR/bin/=SUM(A1)"
	chmod 700 "$BATS_TEST_TMPDIR/bin/=SUM(A1)"
	run sc run -k api/key -k db/password -- "$BATS_TEST_TMPDIR/bin/=SUM(A1)"
	[ "$status" -eq 0 ]
	run sc audit list --op run --json
	[ "$(jq length <<<"$output")" -eq 1 ]
	[ "$(jq -r '.[0].command' <<<"$output")" = "=SUM(A1)" ]
	[ "$(jq -r '[.[0].secrets[].name] | sort | join(" ")' <<<"$output")" = "api/key db/password" ]
	# the directory (which may say more than it should) is not kept
	run ! grep -qF "$BATS_TEST_TMPDIR" "$LOG"
	run sc audit export --format csv
	[[ "$output" == *'"'"'"'=SUM(A1)"'* ]]
	run grep -E '(^|,)"[=+@-]' <<<"$output"
	[ "$status" -eq 1 ]
	# a run refused before it starts is recorded as an error
	run sc run -k 'no/such*' -- true
	[ "$status" -eq 125 ]
	run sc audit list --op run --json
	[ "$(jq -r '.[1].code' <<<"$output")" = not_found ]
}

@test "list filters: --op, --limit, --since, --until" {
	run sc audit list --op get --json
	[ "$(jq length <<<"$output")" -eq 8 ]
	run sc audit list --op get --limit 2 --json
	[ "$(jq -r '[.[].seq] | join(" ")' <<<"$output")" = "14 15" ]
	run sc audit list --since 1h --json
	[ "$(jq length <<<"$output")" -eq "$ENTRIES" ]
	run sc audit list --until 2000-01-01 --json
	[ "$(jq length <<<"$output")" -eq 0 ]
	run sc audit list --limit 0
	[ "$status" -eq 2 ]
	run sc audit nonsense
	[ "$status" -eq 2 ]
}

@test "a symlinked or group-readable log is refused" {
	chmod 640 "$LOG"
	run sc get api/key
	[ "$status" -eq 5 ]
	chmod 600 "$LOG"
	mv "$LOG" "$BATS_TEST_TMPDIR/real.log"
	ln -s "$BATS_TEST_TMPDIR/real.log" "$LOG"
	run sc get api/key
	[ "$status" -eq 5 ]
	[ "$output" = "" ] || [[ "$output" != *"Zx9"* ]]
}

@test "concurrency: 4 processes x 25 operations leave one unbroken chain" {
	local p
	for p in 1 2 3 4; do
		(
			for i in $(seq 1 25); do
				case $((i % 3)) in
				0) sc get api/key >/dev/null ;;
				1) sc exists db/password ;;
				2) printf 'value-%s-%s-abcdefgh' "$p" "$i" | sc set --value-file /dev/stdin "c/$p" ;;
				esac || exit 1
			done
		) 2>"$BATS_TEST_TMPDIR/err.$p" &
	done
	wait
	cat "$BATS_TEST_TMPDIR"/err.* >&2
	run sc audit verify
	[ "$status" -eq 0 ]
	[[ "$output" == *"$((ENTRIES + 100)) entries (1..$((ENTRIES + 100))), anchored at entry $((ENTRIES + 100))"* ]]
	run sc audit list --json
	[ "$(jq '[.[] | select(.seq > 15)] | length' <<<"$output")" -eq 100 ]
	[ "$(jq '[.[] | select(.seq > 15) | .pid] | unique | length' <<<"$output")" -eq 100 ]
	[ "$(jq '[.[] | select(.seq > 15 and .op == "set")] | length' <<<"$output")" -eq 32 ]
	[ "$(jq '[.[] | select(.seq > 15 and .result != "ok")] | length' <<<"$output")" -eq 0 ]
}
