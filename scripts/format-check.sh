#!/bin/sh
# format-check.sh - fail when a C file drifts from .clang-format (make test
# runs it). Usage: scripts/format-check.sh [--fix]
set -eu
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "format-check: clang-format not found" >&2; exit 1; }
files=$(find src include tests bench -name '*.[ch]' -not -path '*/node_modules/*' | sort)
if [ "${1:-}" = --fix ]; then
	# shellcheck disable=SC2086
	clang-format -i $files
	exit 0
fi
bad=0
for f in $files; do
	if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
		echo "format-check: $f differs from .clang-format (run scripts/format-check.sh --fix)" >&2
		bad=1
	fi
done
exit $bad
