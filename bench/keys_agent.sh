#!/bin/sh
# keys_agent.sh - named keys through the unlock agent: encrypt/decrypt of
# 1 KiB one call at a time and in batches of 10,000, and Ed25519, P-256 and
# secp256k1 signatures (bench_keys_agent), against an unlocked agent.
# Usage: bench/keys_agent.sh [calls, default 200]
# SECRETCTL_BIN picks a binary (bench_keys_agent beside it, in bench/);
# otherwise a Release build in build-bench/.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-200}
if [ -z "${SECRETCTL_BIN:-}" ]; then
	build=${SC_BENCH_BUILD:-"$root/build-bench"}
	cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSC_TESTS=OFF >/dev/null
	cmake --build "$build" -j2 --target secretctl bench_keys_agent >/dev/null
	SECRETCTL_BIN="$build/secretctl"
fi
bin=$SECRETCTL_BIN
benchbin=$(dirname "$bin")/bench/bench_keys_agent
# SC_BENCH_TMP=/dev/shm puts the vault on tmpfs: fdatasync then costs
# nothing, which shows the agent's own share beside the durable audit entry
tmp=$(mktemp -d "${SC_BENCH_TMP:-/tmp}/sc-bench-XXXXXX")
export XDG_RUNTIME_DIR="$tmp"
export SECRETCTL_VAULT_DIR="$tmp/vault"
trap '"$bin" lock >/dev/null 2>&1; rm -rf "$tmp"' EXIT INT TERM
pw="bench-password-1"
printf '%s\n' "$pw" | "$bin" init --password-fd 0 --kdf-memory 8192 --kdf-time 1 2>/dev/null
SECRETCTL_PASSWORD=$pw "$bin" key create b-aes --type aes256-gcm >/dev/null
SECRETCTL_PASSWORD=$pw "$bin" key create b-ed25519 --type ed25519 >/dev/null
SECRETCTL_PASSWORD=$pw "$bin" key create b-p256 --type ecdsa-p256 >/dev/null
SECRETCTL_PASSWORD=$pw "$bin" key create b-k1 --type secp256k1 >/dev/null
printf '%s\n' "$pw" | "$bin" unlock --password-fd 0 >/dev/null
echo "bench_keys_agent, $n calls each ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)):"
"$benchbin" "$SECRETCTL_VAULT_DIR" "$n"
