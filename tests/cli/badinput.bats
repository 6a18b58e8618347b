#!/usr/bin/env bats
# badinput.bats - bad input gets a clear one-line message that is safe to
# print: names with control bytes come back escaped (no terminal escape
# sequence, no second line), impossible dates are refused rather than
# rolled over, a time of day must say its zone, the KDF size cannot wrap
# into range, and a policy file that is not text says so.

bats_require_minimum_version 1.5.0

setup() {
	load helpers
	sc_setup
	export SECRETCTL_NO_AGENT=1
	sc_init
}

# No byte of $1 is a C0 control other than one final newline per line, DEL
# or a C1 control (raw or as UTF-8).
no_controls() {
	! LC_ALL=C grep -q -P '[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]' <<<"$1"
}

@test "badinput: a name with an escape sequence is echoed escaped" {
	run -2 --separate-stderr sc get $'x\e]0;PWNED\a'
	no_controls "$stderr"
	[[ "$stderr" == *"invalid secret name 'x\\e]0;PWNED\\x07'"* ]]
	run -2 --separate-stderr sc set $'x\e]0;PWNED\a' </dev/null
	no_controls "$stderr"
	[[ "$stderr" != *$'\e'* ]]
}

@test "badinput: a newline in a name does not split the message" {
	run -2 --separate-stderr sc delete $'a\nsecretctl: forged line'
	[ "$(printf '%s\n' "$stderr" | grep -c '^secretctl: ')" -eq 1 ]
	[[ "$stderr" == *"'a\\nsecretctl: forged line'"* ]]
}

@test "badinput: C1 controls and bytes that are not UTF-8 are escaped, text is not" {
	run -2 --separate-stderr sc get $'n\xc2\x9b31m\x9bz\xff-caf\xc3\xa9'
	no_controls "$stderr"
	[[ "$stderr" == *"'n\\u009b31m\\x9bz\\xff-café'"* ]]
	run -125 --separate-stderr sc run -k $'\x01' -- true
	no_controls "$stderr"
	run --separate-stderr sc --vault $'/tmp/no\e[2Jvault' list
	no_controls "$stderr"
	[[ "$stderr" == *'\e[2J'* ]]
}

@test "badinput: impossible dates are refused, not rolled over" {
	local d
	for d in 2024-02-30 2023-02-29 2024-04-31 2024-13-01 2024-00-10 \
		2024-03-01T24:00Z 2024-03-01T10:60Z 2024-03-01T10:00:61Z 2024-3-01 ' 2024-03-01' \
		1969-12-31; do
		run -2 --separate-stderr sc set x --expires "$d" <<<'vvvvvvvv'
		run -2 --separate-stderr sc audit list --since "$d"
		run -2 --separate-stderr sc audit prune --before "$d"
	done
	run -2 --separate-stderr sc set x --expires 2024-02-30 <<<'vvvvvvvv'
	[[ "$stderr" == *"bad --expires '2024-02-30': no such date or time"* ]]
	run -1 sc exists x
	# the real leap day is taken, as written
	run -0 sc set x --expires 2028-02-29 <<<'vvvvvvvv'
	[ "$(sc list --json | jq -r '.[0].expires_at')" = 2028-02-29T00:00:00Z ]
}

@test "badinput: a time without a zone is refused, saying which zone to give" {
	run -2 --separate-stderr sc set x --expires 2099-03-01T10:00 <<<'vvvvvvvv'
	[[ "$stderr" == *"a time needs its zone: add Z (UTC"* ]]
	run -2 --separate-stderr sc audit list --since 2024-03-01T10:00:00
	[[ "$stderr" == *"add Z (UTC"* ]]
	run -0 sc set x --expires 2099-03-01T10:00Z <<<'vvvvvvvv'
	[ "$(sc list --json | jq -r '.[0].expires_at')" = 2099-03-01T10:00:00Z ]
	run -0 sc audit list --since 2024-03-01T10:00:00Z
}

@test "badinput: a KDF size or fd number that would wrap or carries a sign is refused" {
	run -2 sc passwd --new-password-fd 3 --kdf-memory 17592186044420G 3<<<'new-password-123'
	run -2 sc passwd --new-password-fd -0 --kdf-memory 8192 3<<<'new-password-123'
	run -2 sc passwd --new-password-fd ' 3' --kdf-memory 8192 3<<<'new-password-123'
	run -0 sc list
}

@test "badinput: a policy file with a NUL byte is not text, wherever the NUL is" {
	P=$BATS_TEST_TMPDIR/p.yaml
	printf '\0version: 1\n' >"$P"
	chmod 600 "$P"
	run -2 --separate-stderr sc mcp policy check "$P"
	[[ "$stderr" == *"line 1: not a text file (a NUL byte at offset 0)"* ]]
	[[ "$stderr" != *"empty policy"* ]]
	printf 'version: 1\ndefault_action: deny\n\0\n' >"$P"
	run -2 --separate-stderr sc mcp policy check "$P"
	[[ "$stderr" == *"line 3: not a text file"* ]]
	printf 'version: 1\n' >"$P"
	run -0 sc mcp policy check "$P"
}

# The MCP server's replies to lines on stdin (after initialize).
mcp_lines() {
	{
		printf '%s\n' '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' \
			'{"jsonrpc":"2.0","method":"notifications/initialized"}'
		printf '%s\n' "$@"
	} | "$SC_BIN" mcp-server 2>/dev/null | tail -n +2
}

@test "badinput: MCP JSON with \\u0000 gets -32602 with the request's id" {
	run -0 mcp_lines \
		'{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"secret_exists","arguments":{"key":"a\u0000b"}}}' \
		'{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"secret_exists","arguments":{"k\u0000":"x"}}}' \
		'{"jsonrpc":"2.0","method":"notifications/x","params":{"a":"\u0000"}}' \
		'{"jsonrpc":"2.0","id":"n\u0000","method":"ping"}' \
		'{"jsonrpc":"2.0","id":9,"method":"ping","params":{"a":"\\u0000"}}'
	[ "$(jq -s length <<<"$output")" -eq 4 ] # no reply to the notification
	[ "$(jq -s -c '[.[] | [.id, .error.code]]' <<<"$output")" = \
		'[[7,-32602],[8,-32602],[null,-32602],[9,null]]' ]
	jq -e -s '.[0].error.message | test("u0000")' <<<"$output" >/dev/null
}
