#!/bin/bash
# flip-sweep.sh - flip one byte of a small vault's vault.db at a time (every
# byte of the first 8 KiB, where SQLite's header, schema and key slot live,
# then every STEP-th byte) and check that `get` and `list` either succeed
# with the right value or fail with 4 (key slot) or 6 (corrupt): never
# another status, never wrong data. Too slow for CI (minutes); the bats
# suite flips 40 random bytes per run instead.
# Usage: scripts/flip-sweep.sh [BINARY, default build/secretctl] [STEP, default 11]
set -euo pipefail
bin=$(readlink -f "${1:-build/secretctl}")
step=${2:-11}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SECRETCTL_VAULT_DIR=$tmp/v SECRETCTL_PASSWORD=sweep-password-1 SECRETCTL_NO_AGENT=1
"$bin" init --kdf-memory 8M --kdf-time 1 2>/dev/null
printf 'text-value-123' | "$bin" set base/text
head -c 3000 /dev/urandom >"$tmp/bin"
"$bin" set base/bin --value-file "$tmp/bin"
"$bin" set other/x --value-file "$tmp/bin"
cp -a "$tmp/v" "$tmp/pristine"
size=$(stat -c %s "$tmp/pristine/vault.db")
bad=0 n=0
for ((off = 0; off < size; off += (off < 8192 ? 1 : step))); do
	rm -rf "$tmp/v"
	cp -a "$tmp/pristine" "$tmp/v"
	b=$(od -An -tu1 -j "$off" -N1 "$tmp/v/vault.db")
	# shellcheck disable=SC2059 # the format is the byte's escape
	printf "\\x$(printf %02x $((b ^ 0x5a)))" |
		dd of="$tmp/v/vault.db" bs=1 seek="$off" conv=notrunc status=none
	n=$((n + 1))
	s=0
	"$bin" get --raw base/text >"$tmp/got" 2>"$tmp/err" || s=$?
	case $s in
	0) [ "$(cat "$tmp/got")" = text-value-123 ] || { echo "byte $off: wrong data"; bad=1; } ;;
	4 | 6) ;;
	*) echo "byte $off: get exit $s: $(cat "$tmp/err")"; bad=1 ;;
	esac
	s=0
	"$bin" list >/dev/null 2>"$tmp/err" || s=$?
	case $s in
	0 | 4 | 6) ;;
	*) echo "byte $off: list exit $s: $(cat "$tmp/err")"; bad=1 ;;
	esac
done
echo "flip-sweep: $n flips of a $size-byte vault.db, $([ $bad = 0 ] && echo "all refused or right" || echo FAILURES)"
exit $bad
