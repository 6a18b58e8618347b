#!/bin/sh
# ctest entry: the MCP tests need the SDK from npm (make mcp-deps installs it
# from the lock file). Without it this test fails rather than passing empty.
# Arguments: the test files to run (default: every *.test.mjs).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -d "$here/node_modules/@modelcontextprotocol/sdk" ]; then
	echo "mcp tests: run 'make mcp-deps' (npm ci in tests/mcp) first" >&2
	exit 1
fi
cd "$here"
if [ "$#" -eq 0 ]; then
	set -- ./*.test.mjs
fi
exec node --test --test-concurrency=1 "$@"
