#!/usr/bin/env bats
# faults.bats - I/O faults at every step of the write commands. The shim
# (tests/fault/faultshim.c, LD_PRELOAD) fails the Nth write, pwrite(64),
# fsync, fdatasync, rename or ftruncate on the vault's files with EIO (that
# call only) or ENOSPC (that call and every later one: a full disk stays
# full). After each trial, without the shim: the vault opens, `audit verify`
# passes, a command that failed changed nothing (value and metadata read back
# as before) and named the real error, and one that succeeded is complete.
#
# CI runs a sample of N per command; SC_FAULT_ALL=1 runs every N (that is
# scripts/fault-sweep.sh).

bats_require_minimum_version 1.5.0

NEWPW='another-horse-battery-7'

setup_file() {
	load helpers
	export SECRETCTL_NO_AGENT=1
	FT=$BATS_FILE_TMPDIR
	export HOME=$FT/home
	mkdir -p "$HOME"
	export SECRETCTL_PASSWORD=$SC_PW
	export SECRETCTL_VAULT_DIR=$FT/template
	sc_init
	sc_put keep/one 'keep-value-1'
	printf 'old-target-value' | "$SC_BIN" set target/x --tag before --notes 'old notes' \
		--value-file /dev/stdin 2>/dev/null
	"$SC_BIN" get target/x >/dev/null
}

setup() {
	load helpers
	export SECRETCTL_NO_AGENT=1
	export HOME=$BATS_FILE_TMPDIR/home
	export SECRETCTL_PASSWORD=$SC_PW
	sc_fault_preload
	TRIALS=0
}

# A fresh copy of the template vault in $V.
fresh() {
	V=$BATS_TEST_TMPDIR/trial
	rm -rf "$V"
	cp -a "$BATS_FILE_TMPDIR/template" "$V"
	export SECRETCTL_VAULT_DIR=$V
}

# Run "$@" (the command under test, its input on $FIN) under the shim:
# sets RC, ERR (stderr) and COUNT (counted calls).
faulted() {
	local n=$1 errno=$2 sticky=$3
	shift 3
	rm -f "$BATS_TEST_TMPDIR/count"
	RC=0
	SC_FAULT_N=$n SC_FAULT_ERRNO=$errno SC_FAULT_STICKY=$sticky \
		SC_FAULT_PATH="$V/*" SC_FAULT_COUNT=$BATS_TEST_TMPDIR/count \
		SC_FAULT_LOG=$BATS_TEST_TMPDIR/fault.log LD_PRELOAD=$PRELOAD \
		"$SC_BIN" "$@" <"${FIN:-/dev/null}" >/dev/null 2>"$BATS_TEST_TMPDIR/err" || RC=$?
	ERR=$(cat "$BATS_TEST_TMPDIR/err")
	COUNT=$(cat "$BATS_TEST_TMPDIR/count" 2>/dev/null || echo 0)
	TRIALS=$((TRIALS + 1))
}

# What the trial is called in a failure message.
what() {
	echo "$OP: fault $1 ($2, sticky=$3; call '$(cut -d' ' -f2- "$BATS_TEST_TMPDIR/fault.log" \
		2>/dev/null | head -1)'): exit $RC: $ERR"
}

# The message of a failed command names the error that was injected.
assert_names_error() {
	local want
	case $2 in
	EIO) want='input/output error' ;;
	ENOSPC) want='no space left on device' ;;
	esac
	if [ "$RC" -ge 128 ]; then
		echo "$(what "$@"): crashed" >&2
		return 1
	fi
	# strerror() says "Input/output error", sc_strerror() the lower case
	if [[ "${ERR,,}" != *"$want"* ]]; then
		echo "$(what "$@"): the message does not say '$want'" >&2
		return 1
	fi
}

# The vault opens and its audit chain verifies (password: $PW).
assert_sound() {
	local out
	if ! out=$(SECRETCTL_PASSWORD=${PW:-$SC_PW} "$SC_BIN" list 2>&1); then
		echo "$(what "$@"): the vault does not open afterwards: $out" >&2
		return 1
	fi
	if ! out=$(SECRETCTL_PASSWORD=${PW:-$SC_PW} "$SC_BIN" audit verify 2>&1); then
		echo "$(what "$@"): audit verify fails afterwards: $out" >&2
		return 1
	fi
}

# One secret as JSON: its value and its metadata (list --json's entry, less
# nothing: tags, fields, notes, times). "absent" when it does not exist.
state_of() {
	local val meta
	val=$("$SC_BIN" get --json "$1" 2>/dev/null) || {
		echo absent
		return 0
	}
	meta=$("$SC_BIN" list --json 2>/dev/null | jq -c --arg n "$1" '.[] | select(.name == $n)')
	echo "$val $meta"
}

# The Ns to try for a command that makes $1 counted calls.
sample_n() {
	local c=$1 n
	if [ "${SC_FAULT_ALL:-0}" = 1 ]; then
		seq 1 $((c + 1))
		return
	fi
	for n in 1 2 3 $((c / 4)) $((c / 3)) $((c / 2)) $((2 * c / 3)) $((3 * c / 4)) \
		$((c - 2)) $((c - 1)) "$c"; do
		[ "$n" -ge 1 ] && [ "$n" -le "$c" ] && echo "$n"
	done | sort -n -u
}

# The fault modes: "ERRNO STICKY".
modes() {
	if [ "${SC_FAULT_ALL:-0}" = 1 ]; then
		printf '%s\n' 'EIO 0' 'ENOSPC 1' 'ENOSPC 0' 'EIO 1'
	else
		printf '%s\n' 'EIO 0' 'ENOSPC 1'
	fi
}

# sweep CHECK CMD...: count the calls of CMD once, then for every mode and
# sampled N: a fresh vault, CMD under the fault, CHECK N ERRNO STICKY.
sweep() {
	local check=$1 mode n c bad=0
	shift
	fresh
	faulted 0 EIO 0 "$@"
	[ "$RC" -eq 0 ] || {
		echo "$OP without a fault failed: $ERR" >&2
		return 1
	}
	c=$COUNT
	[ "$c" -gt 0 ] || {
		echo "$OP: the shim counted no call (is it loaded?)" >&2
		return 1
	}
	while read -r mode; do
		# shellcheck disable=SC2086 # two words: errno and sticky
		set -- $mode
		for n in $(sample_n "$c"); do
			fresh
			rm -f "$BATS_TEST_TMPDIR/fault.log"
			faulted "$n" "$1" "$2" "${CMD[@]}"
			"$check" "$n" "$1" "$2" || bad=$((bad + 1))
		done
	done < <(modes)
	echo "# $OP: $TRIALS trials over $c calls, $bad failed" >&3
	[ "$bad" -eq 0 ]
}

# set: a new secret, or a new value (and tag) for an existing one.
check_set() {
	local got
	got=$(state_of "$NAME")
	if [ "$RC" -eq 0 ]; then
		[[ "$got" == *"\"value\":\"$NEWVAL\""* ]] || {
			echo "$(what "$@"): succeeded but reads back $got" >&2
			return 1
		}
	else
		assert_names_error "$@" || return 1
		[ "$got" = "$BEFORE" ] || {
			echo "$(what "$@"): failed but changed the secret: $BEFORE -> $got" >&2
			return 1
		}
	fi
	[ "$(state_of keep/one)" = "$KEEP" ] || {
		echo "$(what "$@"): changed another secret" >&2
		return 1
	}
	assert_sound "$@"
}

@test "faults: set of a new secret changes nothing when it fails" {
	fresh
	OP='set new/x' NAME=new/x NEWVAL=new-value-123
	BEFORE=$(state_of new/x) KEEP=$(state_of keep/one)
	printf '%s' "$NEWVAL" >"$BATS_TEST_TMPDIR/in"
	FIN=$BATS_TEST_TMPDIR/in
	CMD=(set new/x --tag fresh)
	sweep check_set "${CMD[@]}"
}

@test "faults: set over an existing secret changes nothing when it fails" {
	fresh
	OP='set target/x' NAME=target/x NEWVAL=replaced-value-456
	BEFORE=$(state_of target/x) KEEP=$(state_of keep/one)
	printf '%s' "$NEWVAL" >"$BATS_TEST_TMPDIR/in"
	FIN=$BATS_TEST_TMPDIR/in
	CMD=(set target/x --tag after --replace)
	sweep check_set "${CMD[@]}"
}

check_delete() {
	local got
	got=$(state_of target/x)
	if [ "$RC" -eq 0 ]; then
		[ "$got" = absent ] || {
			echo "$(what "$@"): succeeded but target/x is still there" >&2
			return 1
		}
	else
		assert_names_error "$@" || return 1
		[ "$got" = "$BEFORE" ] || {
			echo "$(what "$@"): failed but changed target/x: $BEFORE -> $got" >&2
			return 1
		}
	fi
	[ "$(state_of keep/one)" = "$KEEP" ] || {
		echo "$(what "$@"): changed another secret" >&2
		return 1
	}
	assert_sound "$@"
}

@test "faults: delete changes nothing when it fails" {
	fresh
	OP='delete target/x'
	BEFORE=$(state_of target/x) KEEP=$(state_of keep/one)
	FIN=
	CMD=(delete target/x)
	sweep check_delete "${CMD[@]}"
}

# passwd: exactly one of the two passwords opens the vault afterwards.
check_passwd() {
	local old=0 new=0
	SECRETCTL_PASSWORD=$SC_PW "$SC_BIN" list >/dev/null 2>&1 && old=1
	SECRETCTL_PASSWORD=$NEWPW "$SC_BIN" list >/dev/null 2>&1 && new=1
	if [ "$RC" -eq 0 ]; then
		[ "$old$new" = 01 ] || {
			echo "$(what "$@"): succeeded, but old/new password open: $old/$new" >&2
			return 1
		}
		PW=$NEWPW
	else
		assert_names_error "$@" || return 1
		[ "$old$new" = 10 ] || {
			echo "$(what "$@"): failed, but old/new password open: $old/$new" >&2
			return 1
		}
		PW=$SC_PW
	fi
	[ "$(SECRETCTL_PASSWORD=$PW state_of keep/one)" = "$KEEP" ] || {
		echo "$(what "$@"): keep/one reads back changed" >&2
		return 1
	}
	assert_sound "$@"
	PW=
}

@test "faults: passwd changes nothing when it fails" {
	fresh
	OP=passwd KEEP=$(state_of keep/one)
	printf '%s\n' "$NEWPW" >"$BATS_TEST_TMPDIR/in"
	FIN=$BATS_TEST_TMPDIR/in
	CMD=(passwd --new-password-fd 0 "${SC_KDF[@]}")
	sweep check_passwd "${CMD[@]}"
}

# audit prune --before a future date: all entries go, or (failed) all stay.
seqs() {
	"$SC_BIN" audit list --json 2>/dev/null | jq -c '[.[] | .seq]'
}

check_prune() {
	local after
	after=$(seqs)
	if [ "$RC" -eq 0 ]; then
		# every entry from before the prune is gone
		[ "$(jq --argjson b "$SEQS" '[.[] | select(. <= ($b | max))] | length' <<<"$after")" \
			-eq 0 ] || {
			echo "$(what "$@"): succeeded but left $after (had $SEQS)" >&2
			return 1
		}
	else
		assert_names_error "$@" || return 1
		# the entries from before are all still there
		[ "$(jq -c --argjson b "$SEQS" '[.[] | select(. <= ($b | max))]' <<<"$after")" = \
			"$SEQS" ] || {
			echo "$(what "$@"): failed but the log changed: $SEQS -> $after" >&2
			return 1
		}
	fi
	[ "$(state_of keep/one)" = "$KEEP" ] || {
		echo "$(what "$@"): keep/one reads back changed" >&2
		return 1
	}
	assert_sound "$@"
}

@test "faults: audit prune changes nothing when it fails" {
	fresh
	OP='audit prune' KEEP=$(state_of keep/one)
	fresh # `audit list` adds no entry: these are the template's
	SEQS=$(seqs)
	FIN=
	CMD=(audit prune --before 2999-01-01)
	sweep check_prune "${CMD[@]}"
}
