#!/usr/bin/env bats
# generate.bats - `secretctl generate`: lengths and bounds, the named and
# custom character sets (every character of a set shows up over many
# draws, none from outside it: a statistical sanity check, not a timing
# test), passphrases from the SLIP-0039 list, and --set, which stores the
# value without printing it.

bats_require_minimum_version 1.5.0

load helpers

WORDS=$BATS_TEST_DIRNAME/../data/slip39_wordlist.txt

setup() {
	sc_setup
	export SECRETCTL_NO_AGENT=1
}

# draws N values of the set and prints the distinct characters seen, sorted
seen_chars() {
	local n=$1
	shift
	for ((i = 0; i < n; i++)); do sc generate "$@"; done | fold -w1 | sort -u | tr -d '\n'
}

@test "the default is 32 alphanumeric characters, different each time" {
	run -0 --separate-stderr sc generate
	[[ "$output" =~ ^[A-Za-z0-9]{32}$ ]]
	a=$output
	run -0 sc generate
	[ "$output" != "$a" ]
	# no vault is needed to print one
	[ ! -e "$SECRETCTL_VAULT_DIR" ]
}

@test "--length sets the length, within 4-4096" {
	run -0 sc generate --length 4
	[ "${#output}" -eq 4 ]
	run -0 sc generate -l 4096
	[ "${#output}" -eq 4096 ]
	run -2 sc generate --length 3
	[[ "$output" == *"bad --length '3' (4-4096 characters)"* ]]
	run -2 sc generate --length 4097
	[[ "$output" == *"bad --length '4097'"* ]]
	run -2 sc generate --length 12x
	[[ "$output" == *"bad --length '12x'"* ]]
	run -2 sc generate --length 0
	[[ "$output" == *"bad --length '0'"* ]]
}

@test "each named set: every character appears over many draws, nothing else does" {
	# 4096 draws from 94 characters miss one with probability < 1e-16
	run -0 seen_chars 1 --charset digits -l 4096
	[ "$output" = 0123456789 ]
	run -0 seen_chars 1 --charset hex -l 4096
	[ "$output" = 0123456789abcdef ]
	run -0 seen_chars 1 --charset alpha -l 4096
	[ "$output" = "$(printf '%s' {a..z} {A..Z} | fold -w1 | sort -u | tr -d '\n')" ]
	run -0 seen_chars 1 --charset alnum -l 4096
	[ "$output" = "$(printf '%s' {0..9} {a..z} {A..Z} | fold -w1 | sort -u | tr -d '\n')" ]
	run -0 seen_chars 2 --charset symbols -l 4096
	want=$(for ((c = 33; c <= 126; c++)); do printf "\\$(printf %03o "$c")\n"; done | sort -u | tr -d '\n')
	[ "${#want}" -eq 94 ]
	[ "$output" = "$want" ]
}

@test "a custom set is its own characters; sets given twice merge" {
	run -0 seen_chars 1 --charset 'xyz!' -l 2000
	[ "$output" = '!xyz' ]
	run -0 seen_chars 1 --charset digits --charset ab -l 2000
	[ "$output" = 0123456789ab ]
	# repeated characters count once (no bias towards them)
	run -0 seen_chars 1 --charset aaab -l 2000
	[ "$output" = ab ]
	a=$(sc generate --charset aaab -l 4096 | tr -cd a | wc -c)
	# uniform over {a, b}: 2048 +- 8 sigma (sigma = 32)
	[ "$a" -gt 1792 ]
	[ "$a" -lt 2304 ]
}

@test "bad character sets are refused with exit 2" {
	run -2 sc generate --charset a
	[[ "$output" == *"--charset 'a' has fewer than 2 different characters"* ]]
	run -2 sc generate --charset "$(printf 'ab\tc')"
	[[ "$output" == *"bad --charset"* ]]
	run -2 sc generate --charset 'é'
	[[ "$output" == *"bad --charset"* ]]
	run -2 sc generate --charset ''
	[[ "$output" == *"bad --charset"* ]]
}

@test "--words draws from the SLIP-0039 list, 10 bits a word" {
	[ -f "$WORDS" ]
	run -0 sc generate --words 6
	[[ "$output" =~ ^[a-z]+(-[a-z]+){5}$ ]]
	# every word drawn over many draws is on the list
	for ((i = 0; i < 40; i++)); do sc generate --words 64; done | tr - '\n' | sort -u >"$BATS_TEST_TMPDIR/drawn"
	run -0 comm -23 "$BATS_TEST_TMPDIR/drawn" <(sort -u "$WORDS")
	[ "$output" = "" ]
	# 2560 draws from 1024 words: all but ~84 expected to appear
	[ "$(wc -l <"$BATS_TEST_TMPDIR/drawn")" -gt 850 ]
	run -0 sc generate --words 3 --separator ' '
	[[ "$output" =~ ^[a-z]+\ [a-z]+\ [a-z]+$ ]]
	run -0 sc --json generate --words 5
	[ "$(jq -r .bits <<<"$output")" = 50 ]
	run -2 sc generate --words 0
	[[ "$output" == *"bad --words '0' (1-64 words)"* ]]
	run -2 sc generate --words 65
	run -2 sc generate --words 4 --length 10
	[[ "$output" == *"--words makes a passphrase: not with --length or --charset"* ]]
	run -2 sc generate --words 4 --separator ab
	[[ "$output" == *"--separator takes one printable character"* ]]
}

@test "--json gives the value and its entropy" {
	run -0 sc --json generate --charset hex --length 10
	[[ "$(jq -r .value <<<"$output")" =~ ^[0-9a-f]{10}$ ]]
	[ "$(jq -r .bits <<<"$output")" = 40 ]
	run -0 sc --json generate -l 20
	# 20 * log2(62) = 119.08
	[ "$(jq -r .bits <<<"$output")" = 119 ]
}

@test "--set stores without printing: new secret, existing value, a field of another" {
	sc_init
	run -0 --separate-stderr sc generate --set app/token -l 40
	[ "$output" = "" ]
	[[ "$stderr" == *"stored a generated value (238 bits) in 'app/token', field 'value' (version 1)"* ]]
	run -0 sc get app/token
	[[ "$output" =~ ^[A-Za-z0-9]{40}$ ]]
	first=$output
	# the same name again: a new version of its value, the old one kept
	run -0 --separate-stderr sc generate --set app/token
	[ "$output" = "" ]
	run -0 sc get app/token
	[ "$output" != "$first" ]
	run -0 sc get app/token --version 1
	[ "$output" = "$first" ]
	# NAME/FIELD of an existing NAME: that field, sensitive, the rest kept
	printf 'pw-1234567' | sc set db --field user=bob --secret-field-file password=/dev/stdin 2>/dev/null
	run -0 --separate-stderr sc generate --set db/password --words 4
	[ "$output" = "" ]
	[[ "$stderr" == *"in 'db', field 'password' (version 2)"* ]]
	run -0 sc get db --field password
	[[ "$output" =~ ^[a-z]+(-[a-z]+){3}$ ]]
	run -0 sc get db --field user
	[ "$output" = bob ]
	run -0 sc --json show db
	[ "$(jq -r '.fields[] | select(.name == "password") | .sensitive' <<<"$output")" = true ]
	# a whole name with several fields and none named
	run -2 sc generate --set db
	[[ "$output" == *"'db' has several fields; name one: --set db/FIELD"* ]]
	run -2 sc generate --set '../x'
	[[ "$output" == *"invalid secret name '../x' for --set"* ]]
	# the value never reached the audit log or the terminal
	run -0 sc audit list
	[[ "$output" == *generate* ]]
}

@test "--set with no vault or a wrong password fails and stores nothing" {
	run -3 sc generate --set x
	[[ "$output" == *"no vault"* ]]
	sc_init
	SECRETCTL_PASSWORD=wrong-password-123 run -4 sc generate --set x
	run -3 sc get x
}
