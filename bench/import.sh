#!/bin/sh
# import.sh - `secretctl import` of a 10,000-line .env into an empty vault
# (one transaction: parse, 10,000 sealed records, one audit entry), timed as
# whole processes with hyperfine, beside the baseline of the same command's
# unlock (`secretctl exists` of one name, same KDF) and a 10,000-secret `export`.
# Usage: bench/import.sh [lines, default 10000] [hyperfine runs, default 10]
# The vault uses the default Argon2id parameters (64 MiB, t=3): the figure
# is what a user waits for. SECRETCTL_BIN picks a binary; otherwise a
# Release build in build-bench-import/.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
lines=${1:-10000}
runs=${2:-10}
if [ -z "${SECRETCTL_BIN:-}" ]; then
	build=${SC_BENCH_BUILD:-"$root/build-bench-import"}
	cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSC_TESTS=OFF >/dev/null
	cmake --build "$build" -j2 --target secretctl >/dev/null
	SECRETCTL_BIN="$build/secretctl"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
export SECRETCTL_PASSWORD="bench-password-1" SECRETCTL_NO_AGENT=1
export SECRETCTL_VAULT_DIR="$tmp/v"

echo "== machine"
grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'
echo "cores $(nproc), load $(cut -d' ' -f1-3 /proc/loadavg)"

# a realistic mix: plain, double-quoted with escapes, single-quoted, export
awk -v n="$lines" 'BEGIN {
	for (i = 1; i <= n; i++) {
		k = sprintf("APP_KEY_%06d", i)
		if (i % 4 == 0) printf "export %s=plain-value-%08d-abcdefghij\n", k, i
		else if (i % 4 == 1) printf "%s=\"quoted\\tvalue %08d \\\"x\\\"\"\n", k, i
		else if (i % 4 == 2) printf "%s='\''single $value %08d'\''\n", k, i
		else printf "%s=tok_%08d_0123456789abcdef # comment\n", k, i
	}
}' >"$tmp/in.env"
echo "== input: $(wc -l <"$tmp/in.env") lines, $(wc -c <"$tmp/in.env") bytes"

fresh() {
	rm -rf "$SECRETCTL_VAULT_DIR"
	printf '%s\n' "$SECRETCTL_PASSWORD" | "$SECRETCTL_BIN" init --password-fd 0 >/dev/null 2>&1
}
fresh
sc_exists="$SECRETCTL_BIN exists APP_KEY_000001"
if command -v hyperfine >/dev/null 2>&1; then
	echo "== hyperfine -N, $runs runs each (import: into a fresh vault each run)"
	hyperfine -N --warmup 1 --runs "$runs" --style basic \
		--prepare "sh -c 'rm -rf $SECRETCTL_VAULT_DIR; printf \"%s\\n\" \"$SECRETCTL_PASSWORD\" | $SECRETCTL_BIN init --password-fd 0 >/dev/null 2>&1'" \
		"$SECRETCTL_BIN import $tmp/in.env --format env" 2>&1 | grep -E 'Time|Range|import'
	# the last run's vault holds the 10,000 secrets: export them
	hyperfine -N --warmup 1 --runs "$runs" --style basic \
		--prepare "rm -f $tmp/out.env" \
		"$sc_exists" "$SECRETCTL_BIN export -o $tmp/out.env" 2>&1 | grep -E 'Time|Range|exists|export'
else
	echo "== (no hyperfine) one timed run"
	/usr/bin/time -f '%e s elapsed' "$SECRETCTL_BIN" import "$tmp/in.env" --format env
fi
echo "== check: $("$SECRETCTL_BIN" list | wc -l) secrets in the vault"
