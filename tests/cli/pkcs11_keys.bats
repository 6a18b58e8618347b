#!/usr/bin/env bats
# Named keys that live in a PKCS#11 token, end to end with SoftHSM2 as the
# real token (its own SOFTHSM2_CONF and token directory per test): key
# create --in-token for aes256-gcm and ecdsa-p256, encrypt/decrypt in the
# token (tamper and a wrong context exit 6), sign in the token checked by
# OpenSSL, the lifecycle, pkcs11-tool seeing the key sensitive and never
# extractable, export refused, the keyring holding only a reference (the
# object deleted behind our back: exit 14), rotation making a new object,
# destruction calling C_DestroyObject, a wrong PIN, the PIN never in any
# /proc/*/cmdline or environment.

bats_require_minimum_version 1.5.0

setup() {
	load helpers
	load skip
	load p11_helpers
	p11_setup sc-keys
	sc_setup
	unset SECRETCTL_TOKEN
	export SECRETCTL_NO_AGENT=1
	URI="pkcs11:token=sc-keys?module-path=$MODULE"
	sc_init
	printf 'attack at dawn' >"$BATS_TEST_TMPDIR/msg"
}

# a command with the PIN on fd 3
p() {
	"$SC_BIN" --pin-fd 3 "$@" 3<<<"$PIN"
}

# the sealed keyring as stored (any change re-seals it)
keyring() {
	sqlite3 "$SC_VAULT/vault.db" 'SELECT hex(body) FROM keyring WHERE id = 1'
}

mk() {
	p key create "$1" --type "$2" --in-token "$URI" >/dev/null 2>&1
}

@test "aes256-gcm in the token: round trip; tamper and a wrong context exit 6" {
	run -0 p key create tk --type aes256-gcm --in-token "$URI"
	[[ "$output" == *"created key 'tk' (aes256-gcm, version 1, in the token)"* ]]
	run -0 p key encrypt tk --context app=web --in "$BATS_TEST_TMPDIR/msg"
	[[ "$output" == sc:v1:tk:1:* ]]
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/ct"
	run -0 p key decrypt --context app=web --in "$BATS_TEST_TMPDIR/ct"
	[ "$output" = "attack at dawn" ]
	run -6 p key decrypt --context app=db --in "$BATS_TEST_TMPDIR/ct"
	[[ "$output" == *"tampered, or another encryption context"* ]]
	run -6 p key decrypt --in "$BATS_TEST_TMPDIR/ct"
	# one payload character changed (the tag's last one)
	ct=$(cat "$BATS_TEST_TMPDIR/ct")
	last=${ct: -1}
	[ "$last" = A ] && sub=B || sub=A
	printf '%s%s\n' "${ct%?}" "$sub" >"$BATS_TEST_TMPDIR/bad"
	run -6 p key decrypt --context app=web --in "$BATS_TEST_TMPDIR/bad"
	[[ "$output" != *"attack at dawn"* ]]
	# the same payload layout as software keys: nonce(12) + 14 + tag(16) bytes
	payload=${ct##*:}
	[ "${#payload}" -eq 56 ]
	# show names the token by label and serial, never a slot
	run -0 sc key show tk
	[[ "$output" == *"token:       pkcs11:"*"serial="*"token=sc-keys"*"id=%"* ]]
	[[ "$output" != *"slot"* ]]
	run -0 sc key show tk --json
	[[ "$(jq -r .token <<<"$output")" == pkcs11:*module-path=* ]]
	run -0 sc key list
	[[ "$output" == *"tk "*"aes256-gcm"*"active  (in a token)"* ]]
	run -0 sc key list --json
	[ "$(jq -r '.[0].in_token' <<<"$output")" = true ]
}

@test "ecdsa-p256 in the token: sign there, OpenSSL verifies with key pubkey" {
	run -0 p key create te --type ecdsa-p256 --in-token "$URI"
	run -0 p sign te --in "$BATS_TEST_TMPDIR/msg" --out "$BATS_TEST_TMPDIR/sig.der"
	sc key pubkey te --format pem >"$BATS_TEST_TMPDIR/pub.pem"
	run -0 openssl dgst -sha256 -verify "$BATS_TEST_TMPDIR/pub.pem" \
		-signature "$BATS_TEST_TMPDIR/sig.der" "$BATS_TEST_TMPDIR/msg"
	[[ "$output" == *"Verified OK"* ]]
	# another message does not verify (OpenSSL would notice a wrong key)
	printf 'attack at dusk' >"$BATS_TEST_TMPDIR/msg2"
	run -1 openssl dgst -sha256 -verify "$BATS_TEST_TMPDIR/pub.pem" \
		-signature "$BATS_TEST_TMPDIR/sig.der" "$BATS_TEST_TMPDIR/msg2"
	run -0 sc verify te --in "$BATS_TEST_TMPDIR/msg" --signature "$BATS_TEST_TMPDIR/sig.der"
	run -1 sc verify te --in "$BATS_TEST_TMPDIR/msg2" --signature "$BATS_TEST_TMPDIR/sig.der"
	[[ "$output" == *"does not verify"* ]]
	# raw r||s: 64 bytes, verified too
	run -0 p sign te --sig-format raw --in "$BATS_TEST_TMPDIR/msg" --out "$BATS_TEST_TMPDIR/sig.raw"
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/sig.raw")" -eq 64 ]
	run -0 sc verify te --sig-format raw --in "$BATS_TEST_TMPDIR/msg" \
		--signature "$BATS_TEST_TMPDIR/sig.raw"
	# the public key is the token's own (pkcs11-tool reads its EC point)
	pt=$(p11_objects | awk '/EC_POINT:/ {print $2; exit}')
	hex=$(sc key pubkey te --format hex)
	[[ "$pt" == *"$hex" ]]
}

@test "ed25519 in the token: CKM_EDDSA, OpenSSL verifies with key pubkey" {
	run -0 p key create ed --type ed25519 --in-token "$URI"
	run -0 p sign ed --in "$BATS_TEST_TMPDIR/msg" --out "$BATS_TEST_TMPDIR/sig"
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/sig")" -eq 64 ]
	sc key pubkey ed --format pem >"$BATS_TEST_TMPDIR/ed.pem"
	run -0 openssl pkeyutl -verify -pubin -inkey "$BATS_TEST_TMPDIR/ed.pem" -rawin \
		-in "$BATS_TEST_TMPDIR/msg" -sigfile "$BATS_TEST_TMPDIR/sig"
	[[ "$output" == *"Signature Verified Successfully"* ]]
	printf 'attack at dusk' >"$BATS_TEST_TMPDIR/msg2"
	run -1 openssl pkeyutl -verify -pubin -inkey "$BATS_TEST_TMPDIR/ed.pem" -rawin \
		-in "$BATS_TEST_TMPDIR/msg2" -sigfile "$BATS_TEST_TMPDIR/sig"
	run -0 sc verify ed --in "$BATS_TEST_TMPDIR/msg" --signature "$BATS_TEST_TMPDIR/sig"
	run -1 sc verify ed --in "$BATS_TEST_TMPDIR/msg2" --signature "$BATS_TEST_TMPDIR/sig"
	# one form only, as for a software Ed25519 key
	run -2 p sign ed --sig-format der --in "$BATS_TEST_TMPDIR/msg"
	run -0 p11_objects
	[[ "$output" == *"Private Key Object; EC_EDWARDS"*"label:      secretctl:ed:v1"*"sensitive, always sensitive, never extractable"* ]]
}

@test "hmac-sha256 in the token: CKM_SHA256_HMAC, the same MAC pkcs11-tool computes" {
	run -0 p key create hm --type hmac-sha256 --in-token "$URI"
	run -0 p key hmac hm --in "$BATS_TEST_TMPDIR/msg"
	[[ "$output" == sc:v1:hm:1:* ]]
	mac=$output
	run -0 p key hmac hm --in "$BATS_TEST_TMPDIR/msg" --verify "$mac"
	printf 'attack at dusk' >"$BATS_TEST_TMPDIR/msg2"
	run -1 p key hmac hm --in "$BATS_TEST_TMPDIR/msg2" --verify "$mac"
	# the token itself, asked by pkcs11-tool, gives the same 32 bytes
	id=$(p11_objects | awk '/label: +secretctl:hm:v1/ {f = 1} f && /ID:/ {print $2; exit}')
	[ -n "$id" ]
	pkcs11-tool --module "$MODULE" --login --pin "$PIN" --sign --mechanism SHA256-HMAC \
		--id "$id" -i "$BATS_TEST_TMPDIR/msg" -o "$BATS_TEST_TMPDIR/tool.mac" >/dev/null 2>&1
	b64=${mac##*:}
	ours=$(printf '%s=' "$b64" | tr '_-' '/+' | base64 -d | od -An -tx1 | tr -d ' \n')
	[ "$ours" = "$(od -An -tx1 "$BATS_TEST_TMPDIR/tool.mac" | tr -d ' \n')" ]
	run -0 p11_objects
	[[ "$output" == *"label:      secretctl:hm:v1"*"sensitive, always sensitive, never extractable"* ]]
}

@test "lifecycle: suspend refuses (9), resume works, deactivate decrypts only" {
	mk tk aes256-gcm
	mk te ecdsa-p256
	p key encrypt tk --in "$BATS_TEST_TMPDIR/msg" >"$BATS_TEST_TMPDIR/ct"
	run -0 sc key suspend tk
	run -9 p key encrypt tk --in "$BATS_TEST_TMPDIR/msg"
	[[ "$output" == *"suspended"* ]]
	run -0 sc key resume tk
	run -0 p key encrypt tk --in "$BATS_TEST_TMPDIR/msg"
	run -0 sc key deactivate tk
	run -9 p key encrypt tk --in "$BATS_TEST_TMPDIR/msg"
	run -0 p key decrypt --in "$BATS_TEST_TMPDIR/ct"
	[ "$output" = "attack at dawn" ]
	run -0 sc key suspend te
	run -9 p sign te --in "$BATS_TEST_TMPDIR/msg"
	run -0 sc key resume te
	run -0 p sign te --in "$BATS_TEST_TMPDIR/msg"
	# the same audit entries as software keys, failures included
	run -0 sc audit list --json
	[ "$(jq '[.[] | select(.op == "key.encrypt" and .result == "ok")] | length' \
		<<<"$output")" -eq 2 ]
	[ "$(jq '[.[] | select(.op == "key.encrypt" and .result != "ok")] | length' \
		<<<"$output")" -eq 2 ]
	[ "$(jq '[.[] | select(.op == "key.sign")] | map(.result) | join(",")' \
		<<<"$output")" = '"error,ok"' ]
}

@test "the key stays in the token: sensitive, never extractable; export refused" {
	mk tk aes256-gcm
	mk te ecdsa-p256
	run -0 p11_objects
	[[ "$output" == *"label:      secretctl:tk:v1"* ]]
	[[ "$output" == *"label:      secretctl:te:v1"* ]]
	[ "$(grep -c 'Access:     sensitive, always sensitive, never extractable' <<<"$output")" -eq 2 ]
	# the AES key cannot be read out of the token
	run pkcs11-tool --module "$MODULE" --login --pin "$PIN" --read-object --type secrkey \
		--label secretctl:tk:v1
	[ "$status" -ne 0 ]
	run -9 sc key export tk
	[[ "$output" == *"lives in a token"* ]]
	run -9 sc key export te
	run -2 p key create tx --type aes256-gcm --exportable --in-token "$URI"
	run -2 p key create tc --type chacha20-poly1305 --in-token "$URI"
	run -2 p key create to --type aes256-gcm --in-token "pkcs11:token=sc-keys;object=mine?module-path=$MODULE"
	[[ "$output" == *"names the token only"* ]]
	run -2 p key create to --type aes256-gcm --in-token "pkcs11:token=sc-keys;id=%01?module-path=$MODULE"
	run -3 sc key show tx
}

@test "the keyring holds only a reference: the object deleted behind our back is exit 14" {
	mk tk aes256-gcm
	mk te ecdsa-p256
	p key encrypt tk --in "$BATS_TEST_TMPDIR/msg" >"$BATS_TEST_TMPDIR/ct"
	pkcs11-tool --module "$MODULE" --login --pin "$PIN" --delete-object --type secrkey \
		--label secretctl:tk:v1 >/dev/null 2>&1
	pkcs11-tool --module "$MODULE" --login --pin "$PIN" --delete-object --type privkey \
		--label secretctl:te:v1 >/dev/null 2>&1
	before=$(keyring)
	run -14 p key decrypt --in "$BATS_TEST_TMPDIR/ct"
	[[ "$output" == *"version 1 of key 'tk': its object is gone from token 'sc-keys'"* ]]
	run -14 p key encrypt tk --in "$BATS_TEST_TMPDIR/msg"
	[[ "$output" == *"gone from token"* ]]
	run -14 p sign te --in "$BATS_TEST_TMPDIR/msg"
	[[ "$output" == *"gone from token"* ]]
	[ "$(keyring)" = "$before" ]
}

@test "rotate makes a new object; a due destruction calls C_DestroyObject" {
	mk tk aes256-gcm
	p key encrypt tk --in "$BATS_TEST_TMPDIR/msg" >"$BATS_TEST_TMPDIR/ct1"
	run -0 p key rotate tk
	[[ "$output" == *"now at version 2"* ]]
	run -0 p11_objects
	[[ "$output" == *"secretctl:tk:v1"* ]]
	[[ "$output" == *"secretctl:tk:v2"* ]]
	run -0 p key encrypt tk --in "$BATS_TEST_TMPDIR/msg"
	[[ "$output" == sc:v1:tk:2:* ]]
	run -0 p key decrypt --in "$BATS_TEST_TMPDIR/ct1"
	[ "$output" = "attack at dawn" ]
	# scheduling keeps the object; past the date the next use with the token
	# destroys it in the token, and v2 stays
	run -0 sc key destroy tk --version 1 --days 7
	run -0 p11_objects
	[[ "$output" == *"secretctl:tk:v1"* ]]
	sc_fault_preload
	# without the token (no PIN asked) the version stays scheduled, unusable
	run -0 env LD_PRELOAD="$PRELOAD" SC_FAULT_TIME_SHIFT=$((8 * 86400)) "$SC_BIN" key list
	run -0 p11_objects
	[[ "$output" == *"secretctl:tk:v1"* ]]
	run -0 env LD_PRELOAD="$PRELOAD" SC_FAULT_TIME_SHIFT=$((8 * 86400)) \
		"$SC_BIN" --pin-fd 3 key show tk 3<<<"$PIN"
	[[ "$output" == *"v1    destroyed"* ]]
	run -0 p11_objects
	[[ "$output" != *"secretctl:tk:v1"* ]]
	[[ "$output" == *"secretctl:tk:v2"* ]]
	run -9 p key decrypt --in "$BATS_TEST_TMPDIR/ct1"
	[[ "$output" == *"destroyed"* ]]
}

@test "a wrong PIN is exit 4 and creates nothing; a token not there is exit 14" {
	mk tk aes256-gcm
	before=$(keyring)
	objs=$(p11_objects | grep -c label)
	run -4 bash -c '"$0" --pin-fd 3 key create t2 --type aes256-gcm --in-token "$1" 3<<<000000' \
		"$SC_BIN" "$URI"
	[[ "$output" == *"wrong PIN"* ]]
	run -4 bash -c '"$0" --pin-fd 3 key encrypt tk --in "$1" 3<<<000000' \
		"$SC_BIN" "$BATS_TEST_TMPDIR/msg"
	[[ "$output" == *"wrong PIN"* ]]
	[ "$(keyring)" = "$before" ]
	[ "$(p11_objects | grep -c label)" -eq "$objs" ]
	run -3 sc key show t2
	# no PIN at all (no terminal, no --pin-fd)
	run -4 sc key encrypt tk --in "$BATS_TEST_TMPDIR/msg" </dev/null
	[[ "$output" == *"no token PIN given"* ]]
	# the token gone (another configuration: no such token)
	printf 'directories.tokendir = %s\n' "$BATS_TEST_TMPDIR/none" >"$BATS_TEST_TMPDIR/empty.conf"
	mkdir -p "$BATS_TEST_TMPDIR/none"
	SOFTHSM2_CONF=$BATS_TEST_TMPDIR/empty.conf run -14 p key encrypt tk --in "$BATS_TEST_TMPDIR/msg"
	[[ "$output" == *"no token matches"* ]]
	SOFTHSM2_CONF=$BATS_TEST_TMPDIR/empty.conf run -14 p key create t3 --type aes256-gcm \
		--in-token "$URI"
	[ "$(keyring)" = "$before" ]
}

@test "the PIN is in no /proc/*/cmdline or environment while the key is used" {
	mk tk aes256-gcm
	printf '%s\n' "$PIN" >"$BATS_TEST_TMPDIR/pin"
	export PINFILE=$BATS_TEST_TMPDIR/pin
	cat >"$BATS_TEST_TMPDIR/scan.sh" <<'EOF'
#!/bin/sh
# every process we can read; secretctl is blocked writing into our pipe
n=0
for f in /proc/[0-9]*/cmdline /proc/[0-9]*/environ; do
	if tr '\0' '\n' <"$f" 2>/dev/null | grep -qF -f "$PINFILE"; then
		echo "found in $f"
		n=$((n + 1))
	fi
done
echo "hits=$n"
EOF
	chmod +x "$BATS_TEST_TMPDIR/scan.sh"
	# 512 KiB in: the ciphertext fills the pipe, so secretctl (PIN read, the
	# token used) waits in write() while the scan runs
	head -c 524288 /dev/zero >"$BATS_TEST_TMPDIR/big"
	run -0 bash -c '"$0" --pin-fd 3 key encrypt tk --in "$1" 3<"$PINFILE" |
		{ sleep 1; pgrep -f "key encrypt tk" >/dev/null && echo alive; "$2"; cat >/dev/null; }' \
		"$SC_BIN" "$BATS_TEST_TMPDIR/big" "$BATS_TEST_TMPDIR/scan.sh"
	[[ "$output" == *"alive"* ]]
	[[ "$output" == *"hits=0"* ]]
	# the scan does find a PIN that is there (it would catch a leak)
	run -0 env "LEAK=$PIN" "$BATS_TEST_TMPDIR/scan.sh"
	[[ "$output" != *"hits=0"* ]]
}

@test "a vault opened by its token slot: one --pin-fd serves the token key too" {
	printf '%s\n' "$PIN" | sc keyslot add pkcs11 --pin-fd 0 \
		--token "pkcs11:token=sc-keys;object=vault-kek?module-path=$MODULE" >/dev/null
	slot="pkcs11:token=sc-keys?module-path=$MODULE"
	run -0 env -u SECRETCTL_PASSWORD "$SC_BIN" --token "$slot" --pin-fd 3 \
		key create tk --type aes256-gcm --in-token "$URI" 3<<<"$PIN"
	run -0 env -u SECRETCTL_PASSWORD "$SC_BIN" --token "$slot" --pin-fd 3 \
		key encrypt tk --in "$BATS_TEST_TMPDIR/msg" 3<<<"$PIN"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/ct"
	run -0 env -u SECRETCTL_PASSWORD "$SC_BIN" --token "$slot" --pin-fd 3 \
		key decrypt --in "$BATS_TEST_TMPDIR/ct" 3<<<"$PIN"
	[ "$output" = "attack at dawn" ]
}

@test "a create or rotate whose save fails leaves no object in the token" {
	sc_fault_preload
	# the vault's writes fail (disk full) when the new keyring is saved
	run -12 env LD_PRELOAD="$PRELOAD" SC_FAULT_N=1 SC_FAULT_STICKY=1 SC_FAULT_CALLS=write,pwrite \
		SC_FAULT_PATH='*/vault.db-wal' SC_FAULT_ERRNO=ENOSPC "$SC_BIN" --pin-fd 3 \
		key create t2 --type aes256-gcm --in-token "$URI" 3<<<"$PIN"
	[[ "$output" == *"cannot create key 't2'"*"no space left"* ]]
	run -3 sc key show t2
	run -0 p11_objects
	[[ "$output" != *"secretctl:t2:"* ]]
	# the same create without the fault does make the object
	mk t2 aes256-gcm
	run -0 p11_objects
	[[ "$output" == *"secretctl:t2:v1"* ]]
	# and a rotation whose save fails leaves no v2 behind
	run -12 env LD_PRELOAD="$PRELOAD" SC_FAULT_N=1 SC_FAULT_STICKY=1 SC_FAULT_CALLS=write,pwrite \
		SC_FAULT_PATH='*/vault.db-wal' SC_FAULT_ERRNO=ENOSPC "$SC_BIN" --pin-fd 3 \
		key rotate t2 3<<<"$PIN"
	run -0 p11_objects
	[[ "$output" == *"secretctl:t2:v1"* ]]
	[[ "$output" != *"secretctl:t2:v2"* ]]
	run -0 sc key show t2
	[[ "$output" == *"newest:      v1"* ]]
	# nor a rotation that comes due inside an encryption (--rotate-every)
	p key create t3 --type aes256-gcm --rotate-every 1d --in-token "$URI" >/dev/null 2>&1
	run -12 env LD_PRELOAD="$PRELOAD" SC_FAULT_TIME_SHIFT=$((2 * 86400)) SC_FAULT_N=1 \
		SC_FAULT_STICKY=1 SC_FAULT_CALLS=write,pwrite SC_FAULT_PATH='*/vault.db-wal' \
		SC_FAULT_ERRNO=ENOSPC "$SC_BIN" --pin-fd 3 key encrypt t3 --in "$BATS_TEST_TMPDIR/msg" \
		3<<<"$PIN"
	run -0 p11_objects
	[[ "$output" == *"secretctl:t3:v1"* ]]
	[[ "$output" != *"secretctl:t3:v2"* ]]
	# without the fault the same encryption rotates, and v2 is in the token
	run -0 env LD_PRELOAD="$PRELOAD" SC_FAULT_TIME_SHIFT=$((2 * 86400)) "$SC_BIN" --pin-fd 3 \
		key encrypt t3 --in "$BATS_TEST_TMPDIR/msg" 3<<<"$PIN"
	[[ "$output" == *"rotated to version 2"*"sc:v1:t3:2:"* ]]
	run -0 p11_objects
	[[ "$output" == *"secretctl:t3:v2"* ]]
}

@test "one C_Initialize per process, every session closed (pkcs11-spy counts the calls)" {
	spy=/usr/lib/x86_64-linux-gnu/pkcs11-spy.so
	[ -f "$spy" ] || sc_skip "pkcs11-spy (opensc) is not installed"
	export PKCS11SPY=$MODULE
	suri="pkcs11:token=sc-keys?module-path=$spy"
	T=$BATS_TEST_TMPDIR
	s() {
		local log=$1 pin=$2
		shift 2
		env PKCS11SPY_OUTPUT="$T/$log" "$SC_BIN" --pin-fd 3 "$@" 3<<<"$pin"
	}
	n() { grep -oE '^[0-9]+: C_[A-Za-z]+' "$T/$1" | awk '{print $2}' | grep -cx "$2" || true; }
	run -0 s create.log "$PIN" key create sp --type aes256-gcm --in-token "$suri"
	run -0 s create-ec.log "$PIN" key create se --type ecdsa-p256 --in-token "$suri"
	run -0 s encrypt.log "$PIN" key encrypt sp --in "$T/msg"
	ct=${lines[-1]}
	printf '%s\n' "$ct" >"$T/ct"
	printf '%sA\n' "${ct%?}" >"$T/bad"
	[ "$(cat "$T/bad")" != "$ct" ] || printf '%sB\n' "${ct%?}" >"$T/bad"
	run -0 s decrypt.log "$PIN" key decrypt --in "$T/ct"
	run -6 s tamper.log "$PIN" key decrypt --in "$T/bad"
	run -4 s wrongpin.log 000000 key encrypt sp --in "$T/msg"
	run -0 s sign.log "$PIN" sign se --in "$T/msg"
	for log in create create-ec encrypt decrypt tamper wrongpin sign; do
		[ "$(n $log.log C_Initialize)" -eq 1 ]
		[ "$(n $log.log C_OpenSession)" -ge 1 ]
		[ "$(n $log.log C_OpenSession)" -eq "$(n $log.log C_CloseSession)" ]
	done
	# the work was done by the token, through the spy
	[ "$(n encrypt.log C_Encrypt)" -eq 1 ]
	[ "$(n tamper.log C_Decrypt)" -eq 1 ]
	[ "$(n sign.log C_Sign)" -eq 1 ]
}

@test "frost split refuses a key in the token: its private part never leaves it" {
	mk ted ed25519
	run -9 sc frost split g --key ted --keep-original --threshold 2 --participant a=x \
		--participant b=y
	[[ "$output" == *"key 'ted' lives in a token: its private part never leaves it"* ]]
	[ ! -e "$SC_VAULT/frost/g.group" ]
}
