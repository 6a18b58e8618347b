# helpers.bash - shared set-up for the bats tests of the secretctl binary:
# the binary's path, a private vault and HOME per test, init with small KDF
# parameters, and checks on the files of a vault. Use with `load helpers`.
#
#   SC_BIN                 the binary ($SECRETCTL_BIN, else build/secretctl)
#   sc ARGS...             run the binary
#   sc_setup [DIR]         private HOME, SECRETCTL_VAULT_DIR (default
#                          $BATS_TEST_TMPDIR/vault, not created) and
#                          SECRETCTL_PASSWORD=$SC_PW
#   sc_init [ARGS...]      init that vault (password on fd 0, small KDF)
#   sc_put NAME VALUE      store VALUE (exact bytes) as NAME's value
#   sc_vault_hash [DIR]    one sha256 over the vault's data: vault.db and its
#                          WAL (audit.log is left out: reads and failed
#                          unlocks append to it by design)
#   sc_audit_mark [DIR]    remember audit.log as it is now
#   sc_assert_audit_appended [DIR]
#                          fail unless audit.log only grew since the mark
#   sc_fault_preload       set SHIM (the fault shim) and PRELOAD, the
#                          LD_PRELOAD list for it: a sanitizer build's
#                          runtimes first, ASan before UBSan, then the shim
#   sc_assert_no_plaintext DIR STRING...
#                          fail, naming the file, if any file in DIR holds
#                          one of the strings

SC_BIN=${SECRETCTL_BIN:-$BATS_TEST_DIRNAME/../../build/secretctl}
SC_PW='correct-horse-battery-9'
SC_KDF=(--kdf-memory 8192 --kdf-time 1)

if [ ! -x "$SC_BIN" ]; then
	echo "secretctl binary not found at '$SC_BIN' (build it, or set SECRETCTL_BIN)" >&2
	return 1
fi

sc() {
	"$SC_BIN" "$@"
}

sc_setup() {
	SC_VAULT=${1:-$BATS_TEST_TMPDIR/vault}
	export HOME="$BATS_TEST_TMPDIR/home"
	mkdir -p "$HOME"
	export SECRETCTL_VAULT_DIR="$SC_VAULT"
	export SECRETCTL_PASSWORD="$SC_PW"
}

sc_init() {
	printf '%s\n' "$SC_PW" | "$SC_BIN" init --password-fd 0 "${SC_KDF[@]}" "$@" 2>/dev/null
}

sc_put() {
	printf '%s' "$2" | "$SC_BIN" set --value-file /dev/stdin "$1" 2>/dev/null
}

sc_fault_preload() {
	local rt
	SHIM=${SC_BUILD_DIR:-$BATS_TEST_DIRNAME/../../build}/libscfault.so
	if [ ! -f "$SHIM" ]; then
		echo "fault shim not found at '$SHIM' (build the 'scfault' target)" >&2
		return 1
	fi
	PRELOAD=
	for rt in $(ldd "$SC_BIN" | awk '/libasan\.so/ { print $3 }') \
		$(ldd "$SC_BIN" | awk '/libubsan\.so/ { print $3 }'); do
		PRELOAD="$PRELOAD$rt:"
	done
	PRELOAD="$PRELOAD$SHIM"
}

sc_vault_hash() {
	local dir=${1:-$SC_VAULT}

	(cd "$dir" && find . -maxdepth 1 -type f \( -name vault.db -o -name vault.db-wal \) \
		-print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -d' ' -f1
}

sc_audit_mark() {
	local dir=${1:-$SC_VAULT}

	rm -f "$BATS_TEST_TMPDIR/audit.mark"
	[ ! -e "$dir/audit.log" ] || cp "$dir/audit.log" "$BATS_TEST_TMPDIR/audit.mark"
}

sc_assert_audit_appended() {
	local dir=${1:-$SC_VAULT} n

	[ -e "$BATS_TEST_TMPDIR/audit.mark" ] || return 0
	n=$(stat -c %s "$BATS_TEST_TMPDIR/audit.mark")
	if [ ! -e "$dir/audit.log" ] || [ "$(stat -c %s "$dir/audit.log")" -lt "$n" ] ||
		! cmp -s -n "$n" "$BATS_TEST_TMPDIR/audit.mark" "$dir/audit.log"; then
		echo "audit.log was rewritten, not appended to" >&2
		return 1
	fi
}

sc_assert_no_plaintext() {
	local dir=$1 s f
	shift

	for s in "$@"; do
		[ -n "$s" ] || continue
		while IFS= read -r -d '' f; do
			if grep -a -q -F -e "$s" "$f"; then
				echo "plaintext '$s' found in '$f'" >&2
				return 1
			fi
		done < <(find "$dir" -type f -print0)
	done
}
