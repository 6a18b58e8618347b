#!/usr/bin/env bats
# manpage.bats - man/secretctl.1 against the binary it documents: mandoc's
# lint finds nothing at warning level, every command `secretctl help` lists
# has its own `.It Cm COMMAND` entry under COMMANDS, and every option that
# `secretctl help COMMAND` prints appears in that command's entry (the
# global ones under "Global options").

bats_require_minimum_version 1.5.0

load helpers

setup() {
	MAN=$BATS_TEST_DIRNAME/../../man/secretctl.1
	[ -f "$MAN" ]
}

# The commands `secretctl help` lists, one a line.
help_commands() {
	"$SC_BIN" help | awk '
		/^commands:$/ { on = 1; next }
		on && /^$/ { exit }
		on && /^  [a-z]/ { print $1 }'
}

# The options a usage text shows: long ones (--name) and short ones (-k,
# also as "-k, --key" in an option list).
usage_options() {
	grep -oE -- '--[a-z][a-z-]*|(^|[[ |])-[a-zA-Z]([]|, ]|$)' | tr -d '[]|, ' | sort -u
}

# The global options (the first line of `secretctl help`): documented once,
# under "Global options", though every command's help names them.
global_options() {
	"$SC_BIN" help | head -n 1 | usage_options
}

# Every line of the COMMANDS section's top-level entries, as
# "COMMAND<TAB>LINE": an entry starts at a `.It Cm COMMAND` of the outer list
# and holds everything up to the next one, nested lists included.
man_entries() {
	awk '
		/^\.Sh / { in_cmds = ($0 == ".Sh COMMANDS"); depth = 0; cur = ""; next }
		!in_cmds { next }
		/^\.Bl / { depth++ }
		depth == 1 && /^\.It Cm / { cur = $3 }
		cur != "" { print cur "\t" $0 }
		/^\.El$/ { if (--depth == 0) cur = "" }' "$MAN"
}

# The lines of one command's entries.
man_entry() {
	man_entries | awk -F '\t' -v c="$1" '$1 == c { print $2 }'
}

# Whether text on stdin has the mdoc for option $1 (`Fl -name`, `Fl k`).
has_flag() {
	grep -qE "(^|[ ])Fl ${1#-}([^A-Za-z0-9-]|\$)"
}

@test "mandoc -T lint -W warning finds nothing in the man page" {
	command -v mandoc >/dev/null || {
		echo "mandoc is not installed (scripts/deps.sh installs it)"
		false
	}
	run mandoc -T lint -W warning "$MAN"
	[ -z "$output" ] || echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "every command 'secretctl help' lists has a .It Cm entry under COMMANDS" {
	local cmds c entries missing=
	cmds=$(help_commands)
	# the list was read: help always lists itself
	grep -qx help <<<"$cmds"
	entries=$(man_entries | cut -f1 | sort -u)
	for c in $cmds; do
		grep -qxF -- "$c" <<<"$entries" || {
			echo "no '.It Cm $c' entry under COMMANDS in man/secretctl.1"
			missing=1
		}
	done
	[ -z "$missing" ]
}

@test "every option 'secretctl help COMMAND' prints is in that command's entry" {
	local cmds c f body globals checked=0 missing=
	cmds=$(help_commands)
	globals=$(global_options)
	# the global line was read: it has --vault and -h
	grep -qx -- --vault <<<"$globals"
	grep -qx -- -h <<<"$globals"
	for c in $cmds; do
		run -0 "$SC_BIN" help "$c"
		body=$(man_entry "$c")
		for f in $(usage_options <<<"$output"); do
			grep -qxF -- "$f" <<<"$globals" && continue
			checked=$((checked + 1))
			has_flag "$f" <<<"$body" || {
				echo "'$c $f' is not in the '$c' entry of man/secretctl.1"
				missing=1
			}
		done
	done
	# the global options, from the first line of `secretctl help`
	body=$(sed -n '/^\.Ss Global options$/,/^\.S[hs] /p' "$MAN")
	for f in $globals; do
		checked=$((checked + 1))
		has_flag "$f" <<<"$body" || {
			echo "global option '$f' is not under 'Global options' in man/secretctl.1"
			missing=1
		}
	done
	# the usage texts were read: run alone has five options
	[ "$checked" -ge 5 ]
	[ -z "$missing" ]
}
