#!/bin/sh
# layout-check.sh - the layout's rules, checked: no source file in src/ over
# 850 lines, and no two object files of the same library that call into
# each other (an import circle). Usage: layout-check.sh BUILD_DIR
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
bad=0
for f in $(find src include -name '*.[ch]' | sort); do
	n=$(wc -l <"$f")
	if [ "$n" -gt 850 ]; then
		echo "layout-check: $f has $n lines (split it by concern)" >&2
		bad=1
	fi
done
# a merge's conflict markers left in any tracked text file (the man page
# once kept them and every test still passed)
if git rev-parse --git-dir >/dev/null 2>&1; then
	marked=$(git grep -l -I -E '^(<<<<<<<|>>>>>>>) ' -- . ':!tests/mcp/node_modules' || true)
	if [ -n "$marked" ]; then
		echo "layout-check: merge conflict markers in: $marked" >&2
		bad=1
	fi
fi
for lib in "$build/libsecretctl_core.a" "$build/libsecretctl_front.a"; do
	[ -f "$lib" ] || { echo "layout-check: $lib not built" >&2; exit 1; }
	tmp=$(mktemp -d)
	# object -> defined symbols, object -> undefined symbols
	nm -A --defined-only "$lib" 2>/dev/null |
		awk '$2 ~ /^[TDBR]$/ {split($1, a, ":"); print a[2], $3}' | sort -k2 >"$tmp/def"
	nm -A --undefined-only "$lib" 2>/dev/null |
		awk '{split($1, a, ":"); print a[2], $NF}' | sort -k2 >"$tmp/undef"
	# edges "user provider" between different objects
	join -1 2 -2 2 -o 1.1,2.1 "$tmp/undef" "$tmp/def" | awk '$1 != $2' | sort -u >"$tmp/edges"
	cycles=$(awk 'NR == FNR {e[$1 " " $2] = 1; next} ($2 " " $1) in e && $1 < $2 {print $1 " <-> " $2}' \
		"$tmp/edges" "$tmp/edges")
	if [ -n "$cycles" ]; then
		echo "layout-check: import circles in $(basename "$lib"):" >&2
		echo "$cycles" >&2
		bad=1
	fi
	rm -rf "$tmp"
done
exit $bad
