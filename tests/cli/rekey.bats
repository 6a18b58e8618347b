#!/usr/bin/env bats
# rekey.bats - `secretctl rekey` (issue 12): a new DEK, every record,
# bucket, history row, the keyring and the sealed state sealed again under
# it while other processes read and write, a kill -9 mid-way taken up by a
# rerun, every key slot kind rewrapped or removed on request, the old DEK
# gone from the vault (a copy taken before shares no key with it), the
# audit entry, every refusal with its exit status and nothing changed; the
# cryptoperiod that status and doctor warn past. The kill -9 trials are in
# crash_trials.bats (scripts/crash-trials.sh rekey).

bats_require_minimum_version 1.5.0

load helpers
load skip
load p11_helpers

setup() {
	sc_setup
	export SECRETCTL_NO_AGENT=1
	umask 077
	sc_init
	sc_put api/key 'Rekey-Value-91ac'
	sc_put db/pw 'Db-Password-33f0'
	printf 'Db-Password-44f1' | sc set --value-file /dev/stdin db/pw --replace 2>/dev/null
	sc_put gone/x 'Deleted-Value-aa07'
	sc delete gone/x 2>/dev/null
	sc key create k1 --type aes256-gcm >/dev/null 2>&1
	printf 'a message for k1' >"$BATS_TEST_TMPDIR/msg"
	sc key encrypt k1 --in "$BATS_TEST_TMPDIR/msg" >"$BATS_TEST_TMPDIR/ct"
}

teardown() {
	[ -z "${HOLDER:-}" ] || kill "$HOLDER" 2>/dev/null || true
	if [ -n "${RT:-}" ]; then
		XDG_RUNTIME_DIR=$RT "$SC_BIN" lock >/dev/null 2>&1 || true
		rm -rf "$RT"
	fi
}

# every value of the set-up as it was, the kept and the deleted ones too
values_intact() {
	run -0 sc get api/key
	[ "$output" = 'Rekey-Value-91ac' ]
	run -0 sc get db/pw
	[ "$output" = 'Db-Password-44f1' ]
	run -0 sc get --version 1 db/pw
	[ "$output" = 'Db-Password-33f0' ]
	run -0 sc key decrypt --in "$BATS_TEST_TMPDIR/ct"
	[ "$output" = 'a message for k1' ]
	run -0 sc history gone/x
	[[ "$output" == *"created: field value"* ]]
}

dek_version() {
	sc --json status 2>/dev/null | jq -r .data_key.version || true
}

# hex BLOB-QUERY [DB]: a blob of the database as lower-case hex
hexq() {
	sqlite3 "${2:-$SC_VAULT/vault.db}" "$1" | tr 'A-F' 'a-f'
}

# holds DIR HEX: some file of the vault in DIR holds those bytes
holds() {
	local f
	for f in "$1"/vault.db "$1"/vault.db-wal; do
		[ -f "$f" ] || continue
		od -An -v -tx1 "$f" | tr -d ' \n' | grep -qF "$2" && return 0
	done
	return 1
}

# many NUMBER: that many secrets more, in one import
many() {
	local i
	for i in $(seq 1 "$1"); do echo "K_$i=bulk-value-$i-e1b2c3"; done >"$BATS_TEST_TMPDIR/bulk.env"
	sc import --format env --prefix big/ "$BATS_TEST_TMPDIR/bulk.env" >/dev/null 2>&1
}

@test "rekey seals everything again under a new DEK; every value reads back; audited" {
	[ "$(dek_version)" = 1 ]
	run -0 --separate-stderr sc rekey
	[[ "$output" == *"rekeyed: data key version 2 replaces version 1"* ]]
	[[ "$output" == *"key slots: 1 rewrapped"* ]]
	[[ "$output" == *"old data key (version 1) destroyed: wiped from every key slot"*"WAL checkpointed and truncated"* ]]
	[ "$(dek_version)" = 2 ]
	values_intact
	# the deleted line comes back whole
	run -0 sc undelete gone/x
	run -0 sc get gone/x
	[ "$output" = 'Deleted-Value-aa07' ]
	# writes after it, and a second rekey
	sc_put api/new 'After-Rekey-5c1e'
	run -0 --separate-stderr sc --json rekey
	[ "$(jq -r '.old_version, .new_version, .old_key_destroyed' <<<"$output" | tr '\n' ' ')" = '2 3 true ' ]
	run -0 sc get api/new
	[ "$output" = 'After-Rekey-5c1e' ]
	values_intact
	# the entries (one a rekey), and the chain verifies across both
	run -0 sc --json audit list --op rekey
	[ "$(jq '[.[] | select(.result == "ok")] | length' <<<"$output")" -eq 2 ]
	run -0 sc audit verify
	# the journal is gone
	[ "$(sqlite3 "$SC_VAULT/vault.db" "SELECT count(*) FROM meta WHERE key LIKE 'rekey%'")" = 0 ]
}

@test "the old DEK is gone: a copy taken before shares no key with the vault" {
	local pre=$BATS_TEST_TMPDIR/pre mix=$BATS_TEST_TMPDIR/mix back=$BATS_TEST_TMPDIR/back
	local oldslot oldrec
	cp -a "$SC_VAULT" "$pre"
	oldslot=$(hexq 'SELECT hex(wrapped) FROM keyslots WHERE id = 1' "$pre/vault.db")
	oldrec=$(hexq 'SELECT hex(body) FROM records ORDER BY id LIMIT 1' "$pre/vault.db")
	[ ${#oldslot} -gt 40 ]
	[ ${#oldrec} -gt 40 ]
	# the searches can find: the copy holds both
	holds "$pre" "$oldslot"
	holds "$pre" "$oldrec"
	# another process holds the vault open (idle), so that closing ours is
	# not the last close, which would checkpoint by itself
	python3 -c 'import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1]); c.execute("SELECT count(*) FROM meta").fetchall()
print("open", flush=True); time.sleep(60)' "$SC_VAULT/vault.db" >"$BATS_TEST_TMPDIR/holder" &
	HOLDER=$!
	for _ in $(seq 1 100); do
		grep -q open "$BATS_TEST_TMPDIR/holder" && break
		sleep 0.05
	done
	run -0 --separate-stderr sc rekey
	[[ "$output" == *"the WAL checkpointed and truncated"* ]]
	# no byte of the old slot's wrapped key, nor of an old record, is left
	# in the database or its WAL (secure_delete, the checkpoint)
	run holds "$SC_VAULT" "$oldslot"
	[ "$status" -eq 1 ]
	run holds "$SC_VAULT" "$oldrec"
	[ "$status" -eq 1 ]
	kill "$HOLDER"
	HOLDER=
	# the copy alone is a whole old vault: the old password opens it
	SECRETCTL_VAULT_DIR=$pre run -0 sc get api/key
	[ "$output" = 'Rekey-Value-91ac' ]
	# the copy's records under the vault's slots now: the same password
	# opens the new DEK only, and that opens none of the copy
	cp -a "$pre" "$mix"
	sqlite3 "$mix/vault.db" "ATTACH '$SC_VAULT/vault.db' AS n;
		DELETE FROM keyslots; INSERT INTO keyslots SELECT * FROM n.keyslots;
		DELETE FROM meta WHERE key LIKE 'dek_%'; INSERT INTO meta SELECT * FROM n.meta WHERE key LIKE 'dek_%';"
	SECRETCTL_VAULT_DIR=$mix run -6 sc get api/key
	[[ "$output" != *Rekey-Value* ]]
	# the other way: the old slots in the vault give the old DEK, which
	# opens nothing in it now
	cp -a "$SC_VAULT" "$back"
	sqlite3 "$back/vault.db" "ATTACH '$pre/vault.db' AS o;
		DELETE FROM keyslots; INSERT INTO keyslots SELECT * FROM o.keyslots;"
	SECRETCTL_VAULT_DIR=$back run -4 sc get api/key
	[[ "$output" != *Rekey-Value* ]]
}

@test "reads and writes by other processes go on during a rekey" {
	local pid n=0 st=0
	many 1500
	sc rekey --batch 1 >"$BATS_TEST_TMPDIR/out" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		run -0 sc get big/K_7
		[ "$output" = 'bulk-value-7-e1b2c3' ]
		run -0 sc get --version 1 db/pw
		[ "$output" = 'Db-Password-33f0' ]
		n=$((n + 1))
		[ "$n" -ne 2 ] || sc_put during/x 'Written-During-7d'
	done
	wait "$pid" || st=$?
	cat "$BATS_TEST_TMPDIR/out"
	[ "$st" -eq 0 ]
	# the reads overlapped the rekey, and the write landed under the new key
	[ "$n" -ge 3 ]
	grep -q 'replaces version 1' "$BATS_TEST_TMPDIR/out"
	run -0 sc get during/x
	[ "$output" = 'Written-During-7d' ]
	run -0 sc get big/K_1500
	[ "$output" = 'bulk-value-1500-e1b2c3' ]
	values_intact
}

# pending: a rekey has begun and not finished (as secretctl reads the vault)
pending() {
	sc --json status 2>/dev/null | jq -r .data_key.rekey_pending || true
}

@test "a rekey killed mid-way: the vault reads, slot changes wait, a rerun finishes it" {
	local pid i try journal
	many 1500
	cp -a "$SC_VAULT" "$BATS_TEST_TMPDIR/start"
	# kill it once its journal is on disk, before it ends (a try that came
	# too late, the rekey done, starts again from the copy)
	for try in 1 2 3; do
		rm -rf "$SC_VAULT"
		cp -a "$BATS_TEST_TMPDIR/start" "$SC_VAULT"
		sc rekey --batch 1 >/dev/null 2>&1 &
		pid=$!
		for i in $(seq 1 300); do
			[ "$(pending)" = true ] && break
			sleep 0.01
		done
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		[ "$(pending)" = true ] && break
	done
	[ "$(pending)" = true ]
	# the journal: the new DEK sealed under the old key. Whoever has the
	# old DEK (a copy taken before, the old password) could open it, so
	# once the rekey ends it must be gone from every file, not just
	# unlinked from the table (secure_delete, the checkpoint)
	journal=$(hexq "SELECT hex(value) FROM meta WHERE key = 'rekey_key'")
	[ ${#journal} -gt 40 ]
	holds "$SC_VAULT" "$journal"
	values_intact
	run -0 sc get big/K_999
	[ "$output" = 'bulk-value-999-e1b2c3' ]
	# a password change would wrap the key being replaced: refused (1)
	run -1 sc passwd --new-password-fd 3 3<<<'another-password-9'
	[[ "$output" == *"a rekey of the vault has begun and not finished"* ]]
	run -1 --separate-stderr sc --json status
	[ "$(jq -r .data_key.rekey_pending <<<"$output")" = true ]
	[[ "$stderr" == *"a rekey has begun and not finished"* ]]
	run -0 --separate-stderr sc rekey
	[[ "$output" == *"replaces version 1 (an unfinished rekey resumed)"* ]]
	[ "$(dek_version)" = 2 ]
	run holds "$SC_VAULT" "$journal"
	[ "$status" -eq 1 ]
	values_intact
	run -0 sc get big/K_1500
	[ "$output" = 'bulk-value-1500-e1b2c3' ]
	run -0 sc audit verify
}

@test "bad command lines are refused (2) and change nothing" {
	local before
	before=$(sc_vault_hash)
	run -2 sc rekey extra
	[[ "$output" == *"unexpected argument 'extra'"* ]]
	run -2 sc rekey --batch 0
	run -2 sc rekey --batch lots
	run -2 sc rekey --cryptoperiod soon
	run -2 sc rekey --drop-slot one
	run -2 sc rekey --nonsense
	[ "$(sc_vault_hash)" = "$before" ]
	[ "$(dek_version)" = 1 ]
}

@test "a wrong password (4), no such slot (3), dropping every slot (9) change nothing" {
	local before
	before=$(sc_vault_hash)
	SECRETCTL_PASSWORD=wrong-password-1 run -4 sc rekey
	run -3 sc rekey --drop-slot 7
	[[ "$output" == *"no key slot 7"* ]]
	run -9 sc rekey --drop-slot 1
	[[ "$output" == *"would remove every key slot"* ]]
	[ "$(sc_vault_hash)" = "$before" ]
	run -3 env SECRETCTL_VAULT_DIR="$BATS_TEST_TMPDIR/none" "$SC_BIN" rekey
	values_intact
}

@test "a recovery slot: refused (9) unless --drop-slot; then removed, and its shares open nothing" {
	local before copy=$BATS_TEST_TMPDIR/copy
	sc recovery split --shares 3 --threshold 2 2>/dev/null | grep -v '^#' >"$BATS_TEST_TMPDIR/m.txt"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/m.txt")" -eq 3 ]
	cp -a "$SC_VAULT" "$copy"
	before=$(sc_vault_hash)
	run -9 sc rekey
	[[ "$output" == *"key slot 2 is a recovery slot: rekey cannot rewrap it without its shares; pass --drop-slot 2"* ]]
	[ "$(sc_vault_hash)" = "$before" ]
	run -0 --separate-stderr sc rekey --drop-slot 2
	[[ "$output" == *"key slots: 1 rewrapped; removed: slot 2"* ]]
	run -0 sc keyslot list
	[[ "$output" != *recovery* ]]
	# two of the shares opened the copy taken before; they open nothing now
	head -2 "$BATS_TEST_TMPDIR/m.txt" |
		SECRETCTL_VAULT_DIR=$copy sc recovery open --new-password-fd 3 "${SC_KDF[@]}" 3<<<'after-recovery-1' >/dev/null 2>&1
	head -2 "$BATS_TEST_TMPDIR/m.txt" | {
		run -4 sc recovery open --new-password-fd 3 "${SC_KDF[@]}" 3<<<'after-recovery-1'
	}
	values_intact
}

@test "token slot (SoftHSM2): rewrapped with its PIN; a wrong PIN (4) or a gone token (14) change nothing" {
	local uri before slot_before
	p11_setup sc-rekey
	uri="pkcs11:token=sc-rekey;object=vault-kek?module-path=$MODULE"
	printf '%s\n' "$PIN" | sc keyslot add pkcs11 --token "$uri" --pin-fd 0 >/dev/null
	slot_before=$(hexq 'SELECT hex(wrapped) FROM keyslots WHERE id = 2')
	before=$(sc_vault_hash)
	run -4 bash -c 'echo 000000 | "$0" rekey --pin-fd 0' "$SC_BIN"
	[ "$(sc_vault_hash)" = "$before" ]
	# no PIN at all (no terminal): nothing to rewrap the token slot with
	run -4 sc rekey </dev/null
	[ "$(sc_vault_hash)" = "$before" ]
	run -0 --separate-stderr bash -c 'echo "$1" | "$0" rekey --pin-fd 0' "$SC_BIN" "$PIN"
	[[ "$output" == *"key slots: 2 rewrapped"* ]]
	[ "$(hexq 'SELECT hex(wrapped) FROM keyslots WHERE id = 2')" != "$slot_before" ]
	# the token alone opens the new DEK; so does the password
	run -0 bash -c 'echo "$2" | env -u SECRETCTL_PASSWORD "$0" --token "$1" --pin-fd 0 get api/key' \
		"$SC_BIN" "$uri" "$PIN"
	[ "$output" = 'Rekey-Value-91ac' ]
	values_intact
	# unlocked by the token: the password slot needs the password too
	run -4 bash -c 'echo "$2" | env -u SECRETCTL_PASSWORD "$0" --token "$1" --pin-fd 0 rekey </dev/null' \
		"$SC_BIN" "$uri" "$PIN"
	run -0 --separate-stderr bash -c 'echo "$2" | env -u SECRETCTL_PASSWORD "$0" --token "$1" --pin-fd 0 --password-fd 3 rekey 3<<<"$3"' \
		"$SC_BIN" "$uri" "$PIN" "$SC_PW"
	[[ "$output" == *"version 3 replaces version 2"* ]]
	values_intact
	# the token gone: refused (14) unless its slot is dropped
	before=$(sc_vault_hash)
	mkdir "$BATS_TEST_TMPDIR/empty"
	printf 'directories.tokendir = %s\n' "$BATS_TEST_TMPDIR/empty" >"$BATS_TEST_TMPDIR/empty.conf"
	SOFTHSM2_CONF=$BATS_TEST_TMPDIR/empty.conf run -14 bash -c 'echo "$1" | "$0" rekey --pin-fd 0' "$SC_BIN" "$PIN"
	[[ "$output" == *"key slot 2 (pkcs11)"*"--drop-slot 2"* ]]
	[ "$(sc_vault_hash)" = "$before" ]
	SOFTHSM2_CONF=$BATS_TEST_TMPDIR/empty.conf run -0 --separate-stderr sc rekey --drop-slot 2
	[[ "$output" == *"removed: slot 2"* ]]
	values_intact
}

@test "cryptoperiod: default one year, --cryptoperiod kept; status and doctor warn past it" {
	local old
	run -1 --separate-stderr sc --json status
	[ "$(jq -r .data_key.cryptoperiod <<<"$output")" = 31536000 ]
	[ "$(jq -r .data_key.past_cryptoperiod <<<"$output")" = false ]
	# made 100 days ago: inside the year; 400: past it
	old=$(printf '%016x' $(($(date +%s) - 100 * 86400)))
	sqlite3 "$SC_VAULT/vault.db" "UPDATE meta SET value = x'$old' WHERE key = 'dek_created'"
	run -0 --separate-stderr sc --json doctor --within 1d
	[ "$(jq '[.findings[] | select(.kind == "old_dek")] | length' <<<"$output")" -eq 0 ]
	old=$(printf '%016x' $(($(date +%s) - 400 * 86400)))
	sqlite3 "$SC_VAULT/vault.db" "UPDATE meta SET value = x'$old' WHERE key = 'dek_created'"
	run -1 --separate-stderr sc --json doctor
	[[ "$(jq -r '.findings[] | select(.kind == "old_dek") | .detail' <<<"$output")" == *"400 days ago; cryptoperiod 365 days): past its cryptoperiod, run 'secretctl rekey'"* ]]
	run -1 --separate-stderr sc status
	[[ "$output" == *"dek:    version 1, made "*"past its cryptoperiod"* ]]
	[[ "$stderr" == *"the data key is past its cryptoperiod: run 'secretctl rekey'"* ]]
	# a rekey makes a new key, dated now, with the period asked for
	run -0 --separate-stderr sc rekey --cryptoperiod 30d
	run -1 --separate-stderr sc --json status
	[ "$(jq -r .data_key.cryptoperiod <<<"$output")" = 2592000 ]
	[ "$(jq -r .data_key.past_cryptoperiod <<<"$output")" = false ]
	[ $(($(date +%s) - $(jq -r .data_key.created <<<"$output"))) -lt 60 ]
	old=$(printf '%016x' $(($(date +%s) - 31 * 86400)))
	sqlite3 "$SC_VAULT/vault.db" "UPDATE meta SET value = x'$old' WHERE key = 'dek_created'"
	run -1 --separate-stderr sc --json doctor
	[[ "$(jq -r '.findings[] | select(.kind == "old_dek") | .detail' <<<"$output")" == *"cryptoperiod 30 days): past its cryptoperiod"* ]]
	# the next rekey keeps the vault's period
	run -0 --separate-stderr sc rekey
	[ "$(sc --json status 2>/dev/null | jq -r .data_key.cryptoperiod)" = 2592000 ]
}

@test "an unlocked agent holds the old key: rekey locks it and says so" {
	RT=$(mktemp -d /tmp/sc-rekey-XXXXXX)
	export XDG_RUNTIME_DIR=$RT
	unset SECRETCTL_NO_AGENT
	printf '%s\n' "$SC_PW" | sc unlock --password-fd 0 >/dev/null 2>&1
	run -0 sc status
	[[ "$output" == *"state:  unlocked"* ]]
	run -0 --separate-stderr sc rekey
	[[ "$output" == *"the unlock agent held the old key and was locked"* ]]
	run -1 sc status
	[[ "$output" == *locked* ]]
	values_intact
}
