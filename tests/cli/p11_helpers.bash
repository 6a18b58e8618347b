# p11_helpers.bash - SoftHSM2 as the real token for the PKCS#11 bats tests
# (pkcs11.bats, pkcs11_keys.bats). Use with `load p11_helpers` after
# `load helpers` and `load skip`.
#
#   MODULE, PIN        SoftHSM2's module and the test token's user PIN
#   p11_setup LABEL    skip without SoftHSM2/softhsm2-util/pkcs11-tool (a
#                      failure in CI as root), then give the test its own
#                      SOFTHSM2_CONF and token directory (never the
#                      system's) and a fresh token LABEL with PIN
#   p11_objects        pkcs11-tool's --list-objects of that token, logged in

MODULE=/usr/lib/softhsm/libsofthsm2.so
PIN=739184

p11_setup() {
	local tok=$BATS_TEST_TMPDIR/tokens

	[ -f "$MODULE" ] || sc_skip "SoftHSM2 is not installed ($MODULE)"
	command -v softhsm2-util >/dev/null || sc_skip "softhsm2-util is not installed"
	command -v pkcs11-tool >/dev/null || sc_skip "pkcs11-tool (opensc) is not installed"
	mkdir -p "$tok"
	printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
		"$tok" >"$BATS_TEST_TMPDIR/softhsm2.conf"
	export SOFTHSM2_CONF=$BATS_TEST_TMPDIR/softhsm2.conf
	softhsm2-util --init-token --free --label "$1" --pin "$PIN" --so-pin 55667788 >/dev/null
}

p11_objects() {
	pkcs11-tool --module "$MODULE" --login --pin "$PIN" --list-objects 2>/dev/null
}
