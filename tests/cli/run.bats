#!/usr/bin/env bats
# Black-box tests of `secretctl run`: exit statuses, time limits that kill
# grandchildren, signal forwarding, variable naming, refused names, fd and
# argv hygiene, and redaction of every encoding of a secret in the output.

bats_require_minimum_version 1.5.0

setup() {
	load skip
	BIN=${SECRETCTL_BIN:-$BATS_TEST_DIRNAME/../../build/secretctl}
	"$BIN" help run >/dev/null 2>&1 || sc_skip "'run' is not in the command table (src/cli/main.c)"
	export SECRETCTL_VAULT_DIR="$BATS_TEST_TMPDIR/vault"
	export SECRETCTL_PASSWORD="run-test-password"
	# small Argon2 parameters: these tests are about run, not the KDF
	"$BIN" init --kdf-memory 8M --kdf-time 1 2>/dev/null
	KEY='Zx9-q7/Lm+Tt4?&=Pw%Rs"k\j~'
	printf '%s' "$KEY" | "$BIN" set api/key
}

sc() {
	"$BIN" "$@"
}

# wait_dead PID [SECONDS]: wait, up to SECONDS (default 15), until PID is
# gone or a zombie; fails if it still runs
wait_dead() {
	local i
	for ((i = 0; i < ${2:-15} * 20; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ] || return 0
		sleep 0.05
	done
	echo "process $1 still running after ${2:-15}s" >&2
	return 1
}

@test "the command's exit status passes through" {
	run sc run -k api/key -- true
	[ "$status" -eq 0 ]
	run sc run -k api/key -- sh -c 'exit 3'
	[ "$status" -eq 3 ]
	run sc run -k api/key -- sh -c 'exit 200'
	[ "$status" -eq 200 ]
	run sc run -k api/key -- sh -c 'kill -TERM $$'
	[ "$status" -eq 143 ]
	run sc run -k api/key -- sh -c 'kill -KILL $$'
	[ "$status" -eq 137 ]
}

@test "the command's own flags are its own" {
	run sc run -k api/key -- sh -c 'echo "$0 $1 $2"' -k --timeout
	[ "$status" -eq 0 ]
	[ "$output" = "-k --timeout " ] || [ "$output" = "sh -k --timeout" ]
	# without "--" the first non-option starts the command
	run sc run -k api/key echo -k x --timeout
	[ "$status" -eq 0 ]
	[ "$output" = "-k x --timeout" ]
	# after "--" even secretctl's global options belong to the command
	run sc run -k api/key -- echo --json --vault x
	[ "$status" -eq 0 ]
	[ "$output" = "--json --vault x" ]
	# and without "--" too, from the command's name on
	run sc run -k api/key echo --json --vault x --password-fd 9
	[ "$status" -eq 0 ]
	[ "$output" = "--json --vault x --password-fd 9" ]
	# a global option before the command's name is still secretctl's
	run sc run --vault "$SECRETCTL_VAULT_DIR" --timeout 5s -k api/key echo --vault y
	[ "$status" -eq 0 ]
	[ "$output" = "--vault y" ]
	run sc run --vault "$BATS_TEST_TMPDIR/none" -k api/key echo hi
	[ "$status" -eq 125 ]
}

@test "127 for a command not found, 126 for one not executable" {
	run -127 sc run -k api/key -- no-such-command-sc
	[ "$output" = "secretctl: 'no-such-command-sc': command not found" ]
	printf '#!/bin/sh\necho hi\n' >"$BATS_TEST_TMPDIR/noexec"
	chmod 600 "$BATS_TEST_TMPDIR/noexec"
	run sc run -k api/key -- "$BATS_TEST_TMPDIR/noexec"
	[ "$status" -eq 126 ]
	[[ "$output" == *"permission denied"* ]]
	run sc run -k api/key -- "$BATS_TEST_TMPDIR"
	[ "$status" -eq 126 ]
	# a relative PATH entry is never searched
	chmod 700 "$BATS_TEST_TMPDIR/noexec"
	cd "$BATS_TEST_TMPDIR"
	PATH=".:$PATH" run -127 sc run -k api/key -- noexec
	run sc run -k api/key -- ./noexec
	[ "$status" -eq 0 ]
	[ "$output" = "hi" ]
}

@test "125 when secretctl fails before the command starts" {
	run sc run -k nope -- true
	[ "$status" -eq 125 ]
	[ "$output" = "secretctl: no secret matches 'nope'" ]
	run sc run -k 'nope/*' -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"'nope/*'"* ]]
	run sc run -- true
	[ "$status" -eq 125 ]
	run sc run -k api/key
	[ "$status" -eq 125 ]
	run sc run -k api/key --timeout 5x -- true
	[ "$status" -eq 125 ]
	run sc run -k 'a b' -- true
	[ "$status" -eq 125 ]
	SECRETCTL_PASSWORD=wrong-password run sc run -k api/key -- true
	[ "$status" -eq 125 ]
	run sc --vault "$BATS_TEST_TMPDIR/none" run -k api/key -- true
	[ "$status" -eq 125 ]
	printf 'x-value-123' | sc set old --expires 1s
	sleep 1.1
	run sc run -k old -- true
	[ "$status" -eq 8 ]
	[[ "$output" == *"'old' has expired"* ]]
}

@test "a time limit kills a backgrounded grandchild that holds stdout" {
	pidfile="$BATS_TEST_TMPDIR/gc.pid"
	termed="$BATS_TEST_TMPDIR/gc.term"
	# the grandchild notes the SIGTERM it gets: the whole group has it at the
	# time limit, not only the child, and not a SIGKILL after the grace
	run sc run -k api/key --timeout 500ms -- sh -c "
		sh -c 'trap \"echo term >$termed; exit 0\" TERM; while :; do sleep 0.05; done' &
		echo \$! >$pidfile; sleep 60"
	[ "$status" -eq 124 ]
	[[ "$output" == *"ran out of time"* ]]
	gc=$(cat "$pidfile")
	wait_dead "$gc"
	[ "$(cat "$termed")" = term ]
}

@test "a command that ignores SIGTERM is killed after the grace period" {
	start=$(date +%s%N)
	run sc run -k api/key --timeout 300ms -- sh -c 'trap "" TERM; while :; do sleep 0.05; done'
	end=$(date +%s%N)
	[ "$status" -eq 124 ]
	ms=$(((end - start) / 1000000))
	[ "$ms" -ge 2000 ]
	# (an upper bound only against a hang: a loaded machine is slow)
	[ "$ms" -lt 30000 ]
}

@test "a background job left running after the command exits does not hang run" {
	pidfile="$BATS_TEST_TMPDIR/left.pid"
	start=$(date +%s%N)
	run sc run -k api/key -- sh -c "sleep 60 & echo \$! >$pidfile; echo done"
	end=$(date +%s%N)
	[ "$status" -eq 0 ]
	[ "$output" = "done" ]
	# well before the job's 60 s (a bound against a hang, not a speed test)
	[ $(((end - start) / 1000000)) -lt 30000 ]
	gc=$(cat "$pidfile")
	wait_dead "$gc"
}

@test "SIGTERM, SIGINT and SIGHUP to secretctl reach the command" {
	for sig in TERM INT HUP; do
		out="$BATS_TEST_TMPDIR/sig.$sig"
		"$BIN" run -k api/key -- sh -c "trap 'echo got-$sig; exit 7' $sig; echo ready; while :; do sleep 0.05; done" >"$out" 2>&1 &
		pid=$!
		for i in $(seq 100); do
			grep -q ready "$out" && break
			sleep 0.05
		done
		kill -"$sig" "$pid"
		st=0
		wait "$pid" || st=$?
		[ "$st" -eq 7 ]
		grep -q "got-$sig" "$out"
	done
}

@test "variables: names from secret and field names, bindings, prefix" {
	printf 'svc-token-value-1' | sc set svc/api-v2.prod --field region=eu-west-1 --secret-field token
	printf 'db-password-value' | sc set db --field user=admin --secret-field password \
		--binding DATABASE_USER=user --binding DATABASE_PASSWORD=password
	run sc run --no-sanitize -k 'svc/*' -k db -- sh -c 'env | grep -E "^(SVC|DATABASE|DB)" | sort'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf '%s\n' DATABASE_PASSWORD=db-password-value DATABASE_USER=admin \
		SVC_API_V2_PROD_REGION=eu-west-1 SVC_API_V2_PROD_TOKEN=svc-token-value-1)" ]
	run sc run --no-sanitize --env-prefix APP_ -k 'svc/**' -k api/key -- sh -c 'env | grep ^APP_ | sort'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "APP_API_KEY=$KEY" ]
	[ "${lines[1]}" = "APP_SVC_API_V2_PROD_REGION=eu-west-1" ]
	# the sensitive field is redacted, the plain one is not
	run sc run -k 'svc/*' -- sh -c 'echo "$SVC_API_V2_PROD_TOKEN $SVC_API_V2_PROD_REGION"'
	[ "$output" = "[REDACTED:SVC_API_V2_PROD_TOKEN] eu-west-1" ]
}

@test "names that steer loaders and shells are refused" {
	printf '/tmp/evil.so' | sc set ld/preload
	run sc run -k ld/preload -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"'LD_PRELOAD'"* ]]
	printf '/tmp/evil' | sc set path
	run sc run -k path -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"'PATH'"* ]]
	printf 'echo pwned' | sc set sneaky --binding BASH_ENV=value
	run sc run -k sneaky -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"'BASH_ENV'"* ]]
	printf 'x-value-1' | sc set a-b
	printf 'x-value-2' | sc set a.b
	run sc run -k a-b -k a.b -- true
	[ "$status" -eq 125 ]
	[[ "$output" == *"'A_B'"* ]]
}

@test "base environment: SECRETCTL_* never passes, --clean-env keeps only the basics" {
	FOO_VISIBLE=1 run sc run -k api/key -- sh -c 'env | cut -d= -f1 | sort'
	[ "$status" -eq 0 ]
	[[ "$output" == *FOO_VISIBLE* ]]
	[[ "$output" != *SECRETCTL_* ]]
	FOO_VISIBLE=1 run sc run --clean-env -k api/key -- /usr/bin/env
	[ "$status" -eq 0 ]
	for l in "${lines[@]}"; do
		case "${l%%=*}" in
		PATH | HOME | USER | LOGNAME | LANG | LC_ALL | TERM | TZ | API_KEY) ;;
		*) echo "unexpected $l"; false ;;
		esac
	done
}

@test "the command sees only fds 0-2 and no secret in any argv" {
	run sc run -k api/key -- ls -1 /proc/self/fd 7</dev/null 9>"$BATS_TEST_TMPDIR/x"
	[ "$status" -eq 0 ]
	# ls's own directory fd is 3
	[ "$output" = "$(printf '0\n1\n2\n3')" ]
	run sc run --no-sanitize -k api/key -- sh -c 'ps -eo args; echo "$API_KEY" >/dev/null'
	[ "$status" -eq 0 ]
	[[ "$output" == *"secretctl run"* ]]
	[[ "$output" != *"$KEY"* ]]
}

@test "a short sensitive value gets a warning" {
	printf 'abc' | sc set tiny
	run sc run -k tiny -- true
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning: the value of 'TINY' is shorter than 4 bytes"* ]]
}

# The child prints every secret in every encoding the sanitizer knows, some
# split across writes; none of the secret-determined text may come out.
@test "output carries no secret in any encoding" {
	printf 'first-line-AAAA\nsecond-line-BBBB\nthird-line-CCCC' | sc set multi
	cat >"$BATS_TEST_TMPDIR/emit.py" <<-'EOF'
	import base64, binascii, json, os, sys, time, urllib.parse
	out = sys.stdout.buffer
	def w(b):
	    out.write(b); out.flush()
	for var in ("API_KEY", "MULTI"):
	    s = os.environb[var.encode()]
	    w(b"raw " + s + b"\n")
	    w(b"hex " + binascii.hexlify(s) + b" " + binascii.hexlify(s).upper() + b"\n")
	    w(b"pct " + urllib.parse.quote(s, safe="").encode() + b"\n")
	    w(b"form " + urllib.parse.quote_plus(s).encode() + b"\n")
	    w(b"json " + json.dumps(s.decode()).encode() + b"\n")
	    for pre in (b"", b"x", b"xy", b"user:"):
	        for enc in (base64.standard_b64encode, base64.urlsafe_b64encode):
	            e = enc(pre + s)
	            w(b"b64 " + e + b" " + e.rstrip(b"=") + b"\n")
	    for line in s.split(b"\n"):
	        w(b"line <" + line + b">\n")
	    # split across writes, with a pause between them
	    h = len(s) // 2
	    w(b"split " + s[:h]); time.sleep(0.15); w(s[h:] + b"\n")
	    w(b"split2 " + s[:1]); time.sleep(0.05); w(s[1:] + b"\n")
	EOF
	cat >"$BATS_TEST_TMPDIR/check.py" <<-'EOF'
	import base64, binascii, json, sys, urllib.parse
	data = open(sys.argv[1], "rb").read()
	bad = []
	for s in (sys.argv[2].encode(), sys.argv[3].encode()):
	    forms = [s, binascii.hexlify(s), binascii.hexlify(s).upper(),
	             urllib.parse.quote(s, safe="").encode(), urllib.parse.quote_plus(s).encode(),
	             json.dumps(s.decode())[1:-1].encode()]
	    forms += [l for l in s.split(b"\n") if len(l) >= 4]
	    for pre in (b"", b"x", b"xy", b"user:"):
	        for enc in (base64.standard_b64encode, base64.urlsafe_b64encode):
	            e = enc(pre + s)
	            p, n = len(pre), len(s)
	            # the characters fully determined by the secret's bytes
	            forms.append(e[-(-8 * p // 6):(8 * (p + n)) // 6])
	    bad += [f for f in forms if f in data]
	print(len(bad))
	EOF
	multi=$(printf 'first-line-AAAA\nsecond-line-BBBB\nthird-line-CCCC')
	# control: without the sanitizer every form is there
	sc run --no-sanitize -k api/key -k multi -- python3 "$BATS_TEST_TMPDIR/emit.py" >"$BATS_TEST_TMPDIR/raw" 2>&1
	[ "$(python3 "$BATS_TEST_TMPDIR/check.py" "$BATS_TEST_TMPDIR/raw" "$KEY" "$multi")" -ge 30 ]
	sc run -k api/key -k multi -- python3 "$BATS_TEST_TMPDIR/emit.py" >"$BATS_TEST_TMPDIR/out" 2>&1
	[ "$(python3 "$BATS_TEST_TMPDIR/check.py" "$BATS_TEST_TMPDIR/out" "$KEY" "$multi")" -eq 0 ]
	grep -q '^raw \[REDACTED:API_KEY\]$' "$BATS_TEST_TMPDIR/out"
	grep -q '^split \[REDACTED:API_KEY\]$' "$BATS_TEST_TMPDIR/out"
	grep -q '^line <\[REDACTED:MULTI\]>$' "$BATS_TEST_TMPDIR/out"
	# the same through stderr
	sc run -k api/key -k multi -- sh -c "python3 $BATS_TEST_TMPDIR/emit.py >&2" 2>"$BATS_TEST_TMPDIR/err"
	[ "$(python3 "$BATS_TEST_TMPDIR/check.py" "$BATS_TEST_TMPDIR/err" "$KEY" "$multi")" -eq 0 ]
	# (and it did come through: an empty stderr would pass the count)
	[ "$(wc -l <"$BATS_TEST_TMPDIR/err")" -eq "$(wc -l <"$BATS_TEST_TMPDIR/out")" ]
	grep -q '^raw \[REDACTED:API_KEY\]$' "$BATS_TEST_TMPDIR/err"
	grep -q '^split \[REDACTED:API_KEY\]$' "$BATS_TEST_TMPDIR/err"
	grep -q '^line <\[REDACTED:MULTI\]>$' "$BATS_TEST_TMPDIR/err"
}

@test "on a terminal the command can read it and gets the keyboard's signals" {
	command -v script >/dev/null || sc_skip "script(1) is not installed"
	# without the terminal handed over, the read would stop the command (SIGTTIN)
	out=$( (sleep 0.5; echo typed-line; sleep 0.5) | timeout 10 script -qec \
		"'$BIN' run -k api/key --timeout 5s -- sh -c 'read a; echo got \$a'" /dev/null)
	[[ "$out" == *"got typed-line"* ]]
	# ^C reaches the command, which is in the foreground
	out=$( (sleep 0.5; printf '\003'; sleep 1) | timeout 10 script -qec \
		"'$BIN' run -k api/key -- sleep 30; echo status=\$?" /dev/null)
	[[ "$out" == *"status=130"* ]]
}
