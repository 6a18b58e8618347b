#!/usr/bin/env bats
# key_batch_json.bats - `key encrypt|decrypt NAME --batch-json`: each item
# its own input and context, results in order, a failing item reported in
# its place while the others come out, the exit status of the first
# failure; JSON lines; malformed input refused whole (exit 2, nothing
# done); the same through the agent.

bats_require_minimum_version 1.5.0

setup() {
	load helpers
	sc_setup
	sc_init
	RT=$(mktemp -d /tmp/sc-kbj-XXXXXX)
	export XDG_RUNTIME_DIR="$RT"
	export SECRETCTL_NO_AGENT=1
}

teardown() {
	"$SC_BIN" lock >/dev/null 2>&1 || true
	rm -rf "$RT"
}

# encrypt three items (two contexts, one binary), decrypt them back with
# their contexts, one with the wrong context: it alone fails
round_trip() {
	printf '%s' '[{"in":"one","context":{"app":"a"},"id":1},
		{"in_b64":"AP8=","id":"bin"},
		{"in":"three","context":{"app":"a","env":"prod"}}]' >"$BATS_TEST_TMPDIR/in.json"
	run -0 sc key encrypt k1 --batch-json --in "$BATS_TEST_TMPDIR/in.json"
	[ "$(jq length <<<"$output")" -eq 3 ]
	[ "$(jq -r '.[0].id' <<<"$output")" = 1 ]
	[ "$(jq -r '.[1].id' <<<"$output")" = bin ]
	[[ "$(jq -r '.[2].out' <<<"$output")" == sc:v1:k1:* ]]
	printf '%s' "$output" >"$BATS_TEST_TMPDIR/ct.json"
	jq -c '[(.[0] | {in: .out, context: {app: "a"}, id: "x"}),
		(.[1] | {in: .out}),
		(.[2] | {in: .out, context: {app: "a", env: "dev"}})]' \
		"$BATS_TEST_TMPDIR/ct.json" >"$BATS_TEST_TMPDIR/dec.json"
	run -6 --separate-stderr sc key decrypt k1 --batch-json --in "$BATS_TEST_TMPDIR/dec.json"
	[ "$(jq -r '.[0].out' <<<"$output")" = one ]
	[ "$(jq -r '.[0].id' <<<"$output")" = x ]
	# not UTF-8: in base64
	[ "$(jq -r '.[1].out_b64' <<<"$output")" = "AP8=" ]
	[ "$(jq -r '.[2].ok' <<<"$output")" = false ]
	[ "$(jq -r '.[2].error.code' <<<"$output")" = corrupt ]
	[ "$(jq -r '.[2].error.exit_status' <<<"$output")" = 6 ]
	[[ "$output" != *three* ]]
	[[ "$stderr" == *"1 of 3 batch items failed (first: item 3:"* ]]
	# the right context opens it
	jq -c '.[2] | {in: .out, context: {env: "prod", app: "a"}}' "$BATS_TEST_TMPDIR/ct.json" |
		sc key decrypt k1 --batch-json >"$BATS_TEST_TMPDIR/out"
	[ "$(jq -r '.[0].out' "$BATS_TEST_TMPDIR/out")" = three ]
}

@test "per-item contexts, in order, a failing item alone fails (vault path)" {
	sc key create k1 --type aes256-gcm
	round_trip
	# one entry for what succeeded, one for what failed
	run -0 sc audit list --json --op key.decrypt
	[ "$(jq '[.[] | select(.result == "ok")] | length' <<<"$output")" -ge 1 ]
	[ "$(jq '[.[] | select(.result == "error" and .code == "corrupt")] | length' <<<"$output")" -eq 1 ]
}

@test "per-item contexts through the agent: the same results, entries of source agent" {
	sc key create k1 --type chacha20-poly1305
	unset SECRETCTL_NO_AGENT
	printf '%s\n' "$SC_PW" | "$SC_BIN" unlock --password-fd 0 >/dev/null
	unset SECRETCTL_PASSWORD
	round_trip
	run -0 env SECRETCTL_PASSWORD="$SC_PW" "$SC_BIN" audit list --json --op key.encrypt
	[ "$(jq -r '.[-1].source' <<<"$output")" = agent ]
}

@test "one bad item among 2000 of one context: only it fails, every other comes out" {
	sc key create k1 --type aes256-gcm
	seq 1 2000 | jq -R -c '{in: ., context: {n: "same"}}' >"$BATS_TEST_TMPDIR/in.jsonl"
	run -0 sc key encrypt k1 --batch-json --in "$BATS_TEST_TMPDIR/in.jsonl"
	# item 1234 tampered (its payload's last character changed)
	jq -c 'to_entries[] | {in: (if .key == 1233 then (.value.out | .[0:-1] + (if .[-1:] == "A" then "B" else "A" end)) else .value.out end), context: {n: "same"}}' \
		<<<"$output" >"$BATS_TEST_TMPDIR/dec.jsonl"
	run -6 --separate-stderr sc key decrypt k1 --batch-json --in "$BATS_TEST_TMPDIR/dec.jsonl"
	[ "$(jq length <<<"$output")" -eq 2000 ]
	[ "$(jq '[.[] | select(.ok)] | length' <<<"$output")" -eq 1999 ]
	[ "$(jq -r '.[1233].ok' <<<"$output")" = false ]
	[ "$(jq -r '.[1234].out' <<<"$output")" = 1235 ]
	[ "$(jq -r '[.[] | select(.ok) | .out | tonumber] | add' <<<"$output")" -eq $((2001000 - 1234)) ]
	[[ "$stderr" == *"first: item 1234:"* ]]
}

@test "malformed or unbounded input is refused whole: exit 2, nothing done" {
	sc key create k1 --type aes256-gcm
	run -0 sc audit list --json --op key.encrypt
	n=$(jq length <<<"$output")
	for bad in '[{"in":"a"},{"in":"b","ctx":{}}]' '[{"in":"a","context":{"k":1}}]' \
		'[{"in":"a"}' '[]' '{"in":"a"}
{"in_b64":"not base64"}' '[{"in":"a","in":"b"}]'; do
		run -2 --separate-stderr sc key encrypt k1 --batch-json <<<"$bad"
		[ -z "$output" ]
		[[ "$stderr" == *"cannot read the JSON batch"* ]]
	done
	run -0 sc audit list --json --op key.encrypt
	[ "$(jq length <<<"$output")" -eq "$n" ]
	# one item over the plaintext bound (1 MiB)
	head -c $((1024 * 1024 + 1)) /dev/zero | base64 -w0 | jq -R -c '[{in_b64: .}]' >"$BATS_TEST_TMPDIR/big"
	run -2 --separate-stderr sc key encrypt k1 --batch-json --in "$BATS_TEST_TMPDIR/big"
	[[ "$stderr" == *"item 1: the input is larger than 1048576 bytes"* ]]
	# no mixing with --context or --batch, a name needed, no rewrap batch
	run -2 sc key encrypt k1 --batch-json --context a=b <<<'[{"in":"a"}]'
	run -2 sc key encrypt k1 --batch-json --batch <<<'[{"in":"a"}]'
	run -2 sc key decrypt --batch-json <<<'[{"in":"a"}]'
	run -2 sc key rewrap k1 --batch <<<'x'
	run -2 sc key rewrap k1 --batch-json <<<'[{"in":"a"}]'
}
