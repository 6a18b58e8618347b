#!/usr/bin/env bash
# crash-trials.sh - kill -9 at random instants over each write command and
# check what is left: the vault opens, `audit verify` passes, the secret
# reads back either as before or as after (never anything else), and a
# command that had exited 0 before the kill is complete.
#   scripts/crash-trials.sh [-n TRIALS] [-b BINARY] [COMMAND...]
# TRIALS per command (default 10); commands: set-new set-over delete
# passwd prune rekey rewrap (default all). Prints one line per command and exits 1
# if any trial failed. rekey runs over its own vault of 300 secrets with
# history, a deleted one and a named key, 32 records a batch; after a kill
# every value must read back as before, and a rerun must finish it.
# rewrap (`key rewrap --all`) runs over a vault of 60 secrets sealed under
# a named key, each with a kept version, one deleted, the key rotated, 2
# items a batch: after a kill every value (current and kept) reads back,
# the reference index counts every item once, under the old version or
# the new, and a rerun moves the rest.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
n=10
bin=${SECRETCTL_BIN:-$here/build/secretctl}
while getopts n:b: o; do
	case $o in
	n) n=$OPTARG ;;
	b) bin=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
cmds=("$@")
[ ${#cmds[@]} -gt 0 ] || cmds=(set-new set-over delete passwd prune rekey rewrap)
[ -x "$bin" ] || {
	echo "crash-trials: no binary at '$bin'" >&2
	exit 2
}

pw='crash-trial-password-1'
newpw='crash-trial-password-2'
work=$(mktemp -d /tmp/sc-crash-XXXXXX)
trap 'rm -rf "$work"' EXIT
export HOME=$work/home SECRETCTL_NO_AGENT=1 SECRETCTL_PASSWORD=$pw
mkdir -p "$HOME"
kdf=(--kdf-memory 8192 --kdf-time 1)

# The template: two secrets and some audit entries.
export SECRETCTL_VAULT_DIR=$work/template
printf '%s\n' "$pw" | "$bin" init --password-fd 0 "${kdf[@]}" 2>/dev/null
printf 'keep-value-1' | "$bin" set keep/one 2>/dev/null
printf 'old-target-value' | "$bin" set target/x --tag before 2>/dev/null
"$bin" get target/x >/dev/null
head -c 100000 /dev/urandom | base64 -w0 >"$work/big"

# rekey's template: the same and 300 secrets, each with a kept version,
# one deleted, a named key and a ciphertext of it
cp -a "$work/template" "$work/template-rk"
export SECRETCTL_VAULT_DIR=$work/template-rk
for i in $(seq 1 300); do echo "K_$i=first-value-$i"; done >"$work/bulk1.env"
for i in $(seq 1 300); do echo "K_$i=second-value-$i-$RANDOM"; done >"$work/bulk2.env"
"$bin" import --format env --prefix bulk/ "$work/bulk1.env" >/dev/null 2>&1
"$bin" import --format env --prefix bulk/ --on-conflict replace "$work/bulk2.env" >/dev/null 2>&1
"$bin" delete bulk/K_300 >/dev/null 2>&1
"$bin" key create crash-key --type aes256-gcm >/dev/null 2>&1
printf 'a message under the named key' >"$work/msg"
"$bin" key encrypt crash-key --in "$work/msg" >"$work/ct" 2>/dev/null

# everything the rekey template holds, as one hash: every value, a kept
# version, the deleted one's history, the named key's plaintext; a step
# that fails makes a hash that matches nothing
contents() {
	{
		"$bin" export --format json 2>/dev/null | jq -S '.secrets' || echo "export failed $RANDOM"
		"$bin" get --version 1 bulk/K_17 2>/dev/null || echo "no version $RANDOM"
		"$bin" history bulk/K_300 2>/dev/null || echo "no history $RANDOM"
		"$bin" key decrypt --in "$work/ct" 2>/dev/null || echo "no decrypt $RANDOM"
	} | sha256sum | cut -c1-16
}
[ "$("$bin" export --format json 2>/dev/null | jq '.secrets | length')" -eq 301 ] || {
	echo "crash-trials: the rekey template is not as built" >&2
	exit 1
}
RK_BEFORE=$(contents)

# rewrap's template: 60 secrets under a named key, each with a kept
# version, one deleted, the key rotated since (120 items under version 1)
cp -a "$work/template" "$work/template-rw"
export SECRETCTL_VAULT_DIR=$work/template-rw
"$bin" key create rw-key --type aes256-gcm >/dev/null 2>&1
for i in $(seq 1 60); do
	printf 'first-sealed-%s' "$i" | "$bin" set "rw/s$i" --under rw-key >/dev/null 2>&1
	printf 'second-sealed-%s' "$i" | "$bin" set "rw/s$i" --replace >/dev/null 2>&1
done
"$bin" delete rw/s60 >/dev/null 2>&1
"$bin" key rotate rw-key >/dev/null 2>&1
rw_items() { # items under version $1 of rw-key
	"$bin" key show rw-key --json 2>/dev/null |
		jq -r ".versions[] | select(.version == $1) | .items" 2>/dev/null || echo "?$RANDOM"
}
rw_contents() {
	{
		"$bin" export --format json 2>/dev/null | jq -S '.secrets' || echo "export failed $RANDOM"
		for i in 1 17 42 60; do
			"$bin" get --version 1 "rw/s$i" 2>/dev/null || echo "no version $RANDOM"
		done
	} | sha256sum | cut -c1-16
}
[ "$(rw_items 1)" = 120 ] || {
	echo "crash-trials: the rewrap template is not as built ($(rw_items 1) items)" >&2
	exit 1
}
RW_BEFORE=$(rw_contents)
export SECRETCTL_VAULT_DIR=$work/template

# value NAME [PW]: the secret's value, "absent", or "unreadable".
value() {
	local out
	if out=$(SECRETCTL_PASSWORD=${2:-$pw} "$bin" get --raw "$1" 2>/dev/null); then
		printf '%s' "$out" | sha256sum | cut -c1-16
	elif SECRETCTL_PASSWORD=${2:-$pw} "$bin" exists "$1" >/dev/null 2>&1; then
		echo unreadable
	else
		echo absent
	fi
}

start() { # the command under test, in the background; sets PID
	case $1 in
	set-new) "$bin" set new/x --value-file "$work/big" >/dev/null 2>&1 & ;;
	set-over) "$bin" set target/x --value-file "$work/big" --tag after --replace >/dev/null 2>&1 & ;;
	delete) "$bin" delete target/x >/dev/null 2>&1 & ;;
	passwd) printf '%s\n' "$newpw" |
		"$bin" passwd --new-password-fd 0 "${kdf[@]}" >/dev/null 2>&1 & ;;
	prune) "$bin" audit prune --before 2999-01-01 >/dev/null 2>&1 & ;;
	rekey) "$bin" rekey --batch 32 >/dev/null 2>&1 & ;;
	rewrap) "$bin" key rewrap --all rw-key --items-per-batch 2 >/dev/null 2>&1 & ;;
	esac
	PID=$!
}

# check CMD ACKED: "" when the vault is sound and as it should be, else why.
check() {
	local cmd=$1 acked=$2 p=$pw old new
	if [ "$cmd" = passwd ]; then
		old=$("$bin" list >/dev/null 2>&1 && echo 1 || echo 0)
		new=$(SECRETCTL_PASSWORD=$newpw "$bin" list >/dev/null 2>&1 && echo 1 || echo 0)
		case $old$new in
		10) [ "$acked" = 0 ] || {
			echo "passwd acknowledged but the old password still opens"
			return
		} ;;
		01) p=$newpw ;;
		*) echo "old/new password open: $old/$new" && return ;;
		esac
	fi
	SECRETCTL_PASSWORD=$p "$bin" list >/dev/null 2>&1 || {
		echo "the vault does not open"
		return
	}
	SECRETCTL_PASSWORD=$p "$bin" audit verify >/dev/null 2>&1 || {
		echo "audit verify fails: $(SECRETCTL_PASSWORD=$p "$bin" audit verify 2>&1 | head -1)"
		return
	}
	[ "$(value keep/one "$p")" = "$KEEP" ] || {
		echo "keep/one changed"
		return
	}
	if [ "$cmd" = rekey ]; then
		check_rekey "$acked"
		return
	fi
	if [ "$cmd" = rewrap ]; then
		check_rewrap "$acked"
		return
	fi
	case $cmd in
	set-new) got=$(value new/x) before=absent ;;
	set-over) got=$(value target/x) before=$OLD ;;
	delete) got=$(value target/x) before=$OLD after=absent ;;
	*) return 0 ;;
	esac
	[ "$cmd" = delete ] || after=$BIG
	if [ "$acked" = 1 ] && [ "$got" != "$after" ]; then
		echo "acknowledged, but reads back $got"
	elif [ "$got" != "$before" ] && [ "$got" != "$after" ]; then
		echo "neither before nor after: $got"
	fi
}

# check_rekey ACKED: every value as before the rekey, which a rerun finishes
check_rekey() {
	local pending
	pending=$("$bin" --json status 2>/dev/null | jq -r .data_key.rekey_pending)
	if [ "$1" = 1 ] && [ "$pending" != false ]; then
		echo "acknowledged, but a rekey is still pending ($pending)"
		return
	fi
	[ "$(contents)" = "$RK_BEFORE" ] || {
		echo "the values differ after the kill"
		return
	}
	"$bin" rekey >/dev/null 2>&1 || {
		echo "a rerun of rekey fails: $("$bin" rekey 2>&1 | head -1)"
		return
	}
	[ "$("$bin" --json status 2>/dev/null | jq -r .data_key.rekey_pending)" = false ] || {
		echo "still pending after the rerun"
		return
	}
	[ "$(contents)" = "$RK_BEFORE" ] || echo "the values differ after the rerun"
	"$bin" audit verify >/dev/null 2>&1 || echo "audit verify fails after the rerun"
}

# check_rewrap ACKED: every value as before, every item counted once under
# one version or the other; a rerun moves the rest
check_rewrap() {
	local v1 v2
	v1=$(rw_items 1) v2=$(rw_items 2)
	if ! [ "$v1" -ge 0 ] 2>/dev/null || ! [ "$v2" -ge 0 ] 2>/dev/null ||
		[ $((v1 + v2)) -ne 120 ]; then
		echo "the index counts $v1 + $v2 items, not 120"
		return
	fi
	if [ "$1" = 1 ] && [ "$v1" != 0 ]; then
		echo "acknowledged, but $v1 items are still under version 1"
		return
	fi
	[ "$(rw_contents)" = "$RW_BEFORE" ] || {
		echo "the values differ after the kill"
		return
	}
	"$bin" key rewrap --all rw-key >/dev/null 2>&1 || {
		echo "a rerun fails: $("$bin" key rewrap --all rw-key 2>&1 | head -1)"
		return
	}
	[ "$(rw_items 1)" = 0 ] && [ "$(rw_items 2)" = 120 ] || {
		echo "after the rerun: $(rw_items 1) + $(rw_items 2) items"
		return
	}
	[ "$(rw_contents)" = "$RW_BEFORE" ] || {
		echo "the values differ after the rerun"
		return
	}
	# the index tells the truth: with version 1 scheduled for destruction
	# (it then does nothing) every value still reads back
	"$bin" key destroy rw-key --version 1 --days 7 >/dev/null 2>&1 || {
		echo "version 1 cannot be scheduled for destruction after the rerun"
		return
	}
	[ "$(rw_contents)" = "$RW_BEFORE" ] || echo "a value still needs version 1 after the rerun"
	"$bin" audit verify >/dev/null 2>&1 || echo "audit verify fails after the rerun"
}

KEEP=$(value keep/one) OLD=$(value target/x)
BIG=$(sha256sum <"$work/big" | cut -c1-16)
failed=0
for cmd in "${cmds[@]}"; do
	tmpl=$work/template
	[ "$cmd" != rekey ] || tmpl=$work/template-rk
	[ "$cmd" != rewrap ] || tmpl=$work/template-rw
	# how long the command takes, to spread the kills over it
	rm -rf "$work/v" && cp -a "$tmpl" "$work/v"
	export SECRETCTL_VAULT_DIR=$work/v
	t0=$(date +%s%N)
	start "$cmd"
	wait "$PID" || {
		echo "crash-trials: $cmd fails without a kill" >&2
		exit 1
	}
	span=$((($(date +%s%N) - t0) / 1000)) # microseconds
	killed=0 done=0 bad=0
	for _ in $(seq "$n"); do
		rm -rf "$work/v" && cp -a "$tmpl" "$work/v"
		start "$cmd"
		delay=$((RANDOM * 32768 + RANDOM))
		delay=$((delay % (span * 3 / 2 + 1)))
		sleep "$(printf '0.%06d' "$delay")"
		acked=0 st=0
		kill -9 "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || st=$?
		# 137: the kill landed; anything else: it had exited already
		if [ "$st" -eq 137 ]; then
			killed=$((killed + 1))
		else
			[ "$st" -eq 0 ] && acked=1
			done=$((done + 1))
		fi
		why=$(check "$cmd" "$acked")
		if [ -n "$why" ]; then
			bad=$((bad + 1))
			echo "crash-trials: $cmd: killed after ${delay}us: $why" >&2
		fi
	done
	printf '%-9s %4d trials (%d killed mid-way, %d had finished), %d failed; %dus a run\n' \
		"$cmd" "$n" "$killed" "$done" "$bad" "$span"
	failed=$((failed + bad))
done
[ "$failed" -eq 0 ]
