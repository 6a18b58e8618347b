#!/bin/sh
# pkcs11.sh - what unlocking through a token slot costs: `get` of one secret
# with the vault opened by a SoftHSM2 key slot (one C_Login, one C_UnwrapKey,
# no Argon2) beside the default password slot (Argon2id, 64 MiB, t=3), each
# in a fresh process, the PIN and the password on a file descriptor. Then
# named keys in the token beside software keys (key encrypt of 1 KiB with
# aes256-gcm, sign with ecdsa-p256 and ed25519), the vault opened by the token slot in
# both, so the difference is the token's AES-GCM or ECDSA (and its lookup).
# Usage: bench/pkcs11.sh [runs, default 20]
# SECRETCTL_BIN picks a binary; otherwise a Release build in build-bench/.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-20}
module=/usr/lib/softhsm/libsofthsm2.so
if [ -z "${SECRETCTL_BIN:-}" ]; then
	build=${SC_BENCH_BUILD:-"$root/build-bench"}
	cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSC_TESTS=OFF >/dev/null
	cmake --build "$build" -j2 --target secretctl >/dev/null
	SECRETCTL_BIN="$build/secretctl"
fi
bin=$SECRETCTL_BIN
command -v hyperfine >/dev/null 2>&1 || { echo "pkcs11.sh needs hyperfine" >&2; exit 1; }
[ -f "$module" ] || { echo "pkcs11.sh needs SoftHSM2 ($module)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/sc-bench-XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
# a token of our own, never the system's
mkdir "$tmp/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
	"$tmp/tokens" >"$tmp/softhsm2.conf"
export SOFTHSM2_CONF="$tmp/softhsm2.conf"
export SECRETCTL_VAULT_DIR="$tmp/vault" SECRETCTL_NO_AGENT=1
softhsm2-util --init-token --free --label bench --pin 1234 --so-pin 12345678 >/dev/null
uri="pkcs11:token=bench;object=vault-kek?module-path=$module"
printf 'bench-password-1\n' >"$tmp/pw"
printf '1234\n' >"$tmp/pin"
# the defaults on purpose: the password path pays what a user pays
"$bin" init --password-fd 0 <"$tmp/pw" 2>/dev/null
printf 'bench-secret-value-0123456789' |
	"$bin" --password-fd 3 set bench/key 3<"$tmp/pw" >/dev/null 2>&1
"$bin" --password-fd 3 keyslot add pkcs11 --token "$uri" --pin-fd 4 3<"$tmp/pw" 4<"$tmp/pin" \
	>/dev/null
hyperfine --warmup 2 --runs "$runs" --export-json "$tmp/out.json" --style basic \
	-n password "'$bin' --password-fd 3 get bench/key 3<'$tmp/pw'" \
	-n token "'$bin' --token '$uri' --pin-fd 3 get bench/key 3<'$tmp/pin'"
# medians (the machine is shared: the mean carries its outliers)
jq -r '.results[] | "\(.command): median \(.median * 1000 | floor) ms, min \(.min * 1000 | floor) ms (n=\(.times | length))"' \
	"$tmp/out.json"

# named keys: in the token and in software, the same vault and unlock
tok="pkcs11:token=bench?module-path=$module"
head -c 1024 /dev/urandom >"$tmp/msg"
for k in "tk aes256-gcm --in-token $tok" "sk aes256-gcm" "te ecdsa-p256 --in-token $tok" \
	"se ecdsa-p256" "td ed25519 --in-token $tok" "sd ed25519"; do
	set -- $k
	name=$1 type=$2
	shift 2
	"$bin" --token "$uri" --pin-fd 3 key create "$name" --type "$type" "$@" 3<"$tmp/pin" \
		>/dev/null 2>&1
done
run() { echo "'$bin' --token '$uri' --pin-fd 3 $1 3<'$tmp/pin' >/dev/null"; }
hyperfine --warmup 2 --runs "$runs" --export-json "$tmp/keys.json" --style basic \
	-n encrypt-token "$(run "key encrypt tk --in '$tmp/msg'")" \
	-n encrypt-soft "$(run "key encrypt sk --in '$tmp/msg'")" \
	-n sign-token "$(run "sign te --in '$tmp/msg'")" \
	-n sign-soft "$(run "sign se --in '$tmp/msg'")" \
	-n sign-ed25519-token "$(run "sign td --in '$tmp/msg'")" \
	-n sign-ed25519-soft "$(run "sign sd --in '$tmp/msg'")"
jq -r '.results[] | "\(.command): median \(.median * 1000 | floor) ms, min \(.min * 1000 | floor) ms (n=\(.times | length))"' \
	"$tmp/keys.json"
