#!/usr/bin/env bats
# json.bats - every --json output of the CLI is one valid JSON document with
# the documented members, and the command exits as it does without --json.
# (Jansson's json_pack formats cannot be checked by the compiler: a missing
# key once crashed `--json unlock`. This suite is what checks them.)

bats_require_minimum_version 1.5.0

setup() {
	load helpers
	sc_setup
	# a short private runtime directory for the agent's socket
	RT=$(mktemp -d /tmp/sc-json-XXXXXX)
	export XDG_RUNTIME_DIR=$RT
	unset SECRETCTL_NO_AGENT
	sc_init
	sc_put api/key 'json-value-1234'
}

teardown() {
	"$SC_BIN" lock >/dev/null 2>&1 || true
	rm -rf "$RT"
}

# run -N --separate-stderr CMD, then the output must be one JSON document
# for which the jq filter $1 is true.
json_ok() {
	local filter=$1
	shift
	run --separate-stderr "$@"
	[ "$status" -lt 128 ] || {
		echo "crashed: $status: $stderr" >&2
		return 1
	}
	jq -e "$filter" <<<"$output" >/dev/null || {
		echo "not the JSON expected ($filter): $output / $stderr" >&2
		return 1
	}
	[ "$(jq -s length <<<"$output")" -eq 1 ]
}

@test "json: version" {
	json_ok '.version | type == "string"' sc --json version
	[ "$status" -eq 0 ]
}

@test "json: get, list, exists" {
	json_ok '.name == "api/key" and .value == "json-value-1234"' sc --json get api/key
	[ "$status" -eq 0 ]
	json_ok '.[0].name == "api/key"' sc --json list
	[ "$status" -eq 0 ]
	json_ok '.exists == true' sc --json exists api/key
	[ "$status" -eq 0 ]
	json_ok '.exists == false' sc --json exists api/none
	[ "$status" -eq 1 ]
}

@test "json: audit list, verify, prune" {
	json_ok 'type == "array" and length > 0' sc audit list --json
	[ "$status" -eq 0 ]
	json_ok 'type == "object"' sc audit verify --json
	[ "$status" -eq 0 ]
	json_ok '.removed | type == "number"' sc --json audit prune --before 2001-01-01
	[ "$status" -eq 0 ]
}

@test "json: unlock, status, lock (with and without an agent)" {
	json_ok '.agent == false and .unlocked == false' sc --json status
	[ "$status" -eq 1 ]
	json_ok '.unlocked == true and .mode == "use-only" and .timeout > 0 and .pid > 0' \
		sc --json unlock --password-fd 3 3<<<"$SC_PW"
	[ "$status" -eq 0 ]
	json_ok '.agent == true and .unlocked == true and .timeout > 0' sc --json status
	[ "$status" -eq 0 ]
	json_ok '.locked == true and .agent == true' sc --json lock
	[ "$status" -eq 0 ]
	json_ok '.locked == true and .agent == false' sc --json lock
	[ "$status" -eq 0 ]
}
